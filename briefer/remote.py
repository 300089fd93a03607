"""The ``openai-compatible`` backend: chat and embeddings from a server the analyst runs.

Selected by ``BRIEFER_LLM_URL`` (chat) and ``BRIEFER_EMBED_URL`` (embeddings),
each an OpenAI-style base URL such as ``http://127.0.0.1:8000/v1``.  The two
are separate on purpose: llama-cpp-python's server swaps models in and out of
memory when one server is asked for two (a reload per request), many chat
servers serve no embeddings at all, and an index's vectors must all come from
one embedder.  Without ``BRIEFER_EMBED_URL`` embeddings stay in-process.

The prompts are the in-process ones, sent with the same sampling settings
(temperature, seed, repeat penalty); verification runs here, on the returned
text, exactly as for a local model.  ``choose`` sends the same GBNF grammar as
:meth:`briefer.llm.LlamaChatModel.choose` in the request's ``grammar`` field,
which llama-cpp-python's and llama.cpp's servers accept; a server that ignores
it answers free text, which is read as in :func:`briefer.entail.entails`.
"""

from __future__ import annotations

import re
import time
from typing import Any

import numpy as np

from .httpclient import JsonClient
from .llm import REPEAT_PENALTY, ChatResult

BACKEND = "openai-compatible"
#: Texts per embeddings request: small enough for a server's batch, large enough to amortise HTTP.
EMBED_BATCH = 32
# Control-token spellings of the common chat templates (ChatML/Llama 3/Phi ``<|...|>``, Gemma
# turns, Llama 2 ``[INST]``, ``<s>``).  A remote model's vocabulary is unknown here, so these
# are broken up in prompt text, as LlamaChatModel.defang does with the loaded model's own list.
_CONTROL = re.compile(r"<\|[A-Za-z0-9_.:-]{1,40}\|>|<(?:start|end)_of_turn>|</?s>|\[/?INST\]")
ZWSP = "\u200b"


def defang(text: str) -> str:
    """A zero-width space after the first character: the model reads ordinary text, not a turn marker."""
    return _CONTROL.sub(lambda m: m.group(0)[0] + ZWSP + m.group(0)[1:], text)


def grammar_for(options: tuple[str, ...]) -> str:
    """The GBNF rule ``root ::= "YES" | "NO"`` that LlamaChatModel.choose also uses."""
    return "root ::= " + " | ".join('"' + o.replace('"', '\\"') + '"' for o in options)


class RemoteChatModel:
    """A :class:`briefer.llm.ChatModel` served over HTTP; ``info`` feeds the record's model block."""

    def __init__(self, client: JsonClient, model: str | None = None) -> None:
        self.client = client
        self.model = model or client.only_model()
        self.info = {"backend": BACKEND, "name": self.model, "endpoint": client.base_url, "path": None,
                     "sha256": None, "threads": None, "gpu_layers": None}

    def _messages(self, messages: list[dict]) -> list[dict]:
        return [{**m, "content": defang(m["content"])} for m in messages]

    def chat(self, messages: list[dict], *, max_tokens: int, temperature: float, seed: int) -> ChatResult:
        t0 = time.perf_counter()
        out = self.client.post("chat/completions", {
            "model": self.model, "messages": self._messages(messages), "max_tokens": max_tokens,
            "temperature": temperature, "seed": seed, "repeat_penalty": REPEAT_PENALTY, "stream": False})
        wall = time.perf_counter() - t0
        choice = _first_choice(out, self.client.base_url)
        usage = out.get("usage") or {}
        prompt_tokens = int(usage.get("prompt_tokens") or 0)
        return ChatResult(text=(choice.get("message") or {}).get("content") or "",
                          prompt_tokens=prompt_tokens, prompt_evaluated=prompt_tokens,
                          completion_tokens=int(usage.get("completion_tokens") or 0),
                          prompt_seconds=0.0, generation_seconds=wall, finish_reason=choice.get("finish_reason") or "")

    def choose(self, messages: list[dict], options: tuple[str, ...]) -> str:
        """One of ``options``, constrained by the grammar where the server supports it."""
        out = self.client.post("chat/completions", {
            "model": self.model, "messages": self._messages(messages), "temperature": 0.0,
            "max_tokens": max(len(o) for o in options) + 1, "grammar": grammar_for(options), "stream": False})
        text = ((_first_choice(out, self.client.base_url).get("message") or {}).get("content") or "").strip()
        if text in options:
            return text
        first = (text.split() or [""])[0].strip(".,!:\"'*").upper()
        return first if first in options else options[-1]


def _first_choice(out: Any, where: str) -> dict:
    from .errors import ServerUnavailable

    try:
        return out["choices"][0]
    except (KeyError, IndexError, TypeError):
        raise ServerUnavailable(f"{where}/chat/completions answered without a choice: "
                                f"{str(out)[:120]}") from None


class RemoteEmbedder:
    """``embed(texts) -> (n, dim)`` float32 rows of unit length, like :class:`briefer.embed.Embedder`.

    Servers differ on normalisation (llama-cpp-python's returns raw mean-pooled
    vectors), so every row is L2-normalised here: a dot product is the cosine.
    """

    adapt_threads = False  # the server owns its threads

    def __init__(self, client: JsonClient, model: str | None = None) -> None:
        self.client = client
        self.model = model or client.only_model()
        # The index keeps vectors per embedder identity: another server or model means re-embedding.
        self.model_id = f"{BACKEND}:{self.model}@{client.base_url}"
        self._dim = int(self._request(["dimension probe"]).shape[1])

    @property
    def dim(self) -> int:
        return self._dim

    def _request(self, texts: list[str]) -> np.ndarray:
        from .errors import ServerUnavailable

        out = self.client.post("embeddings", {"model": self.model, "input": texts})
        try:
            rows = sorted(out["data"], key=lambda d: d.get("index", 0))
            vectors = np.asarray([r["embedding"] for r in rows], dtype=np.float32)
        except (KeyError, TypeError, ValueError):
            raise ServerUnavailable(f"{self.client.base_url}/embeddings answered without embeddings: "
                                    f"{str(out)[:120]}") from None
        if vectors.ndim != 2 or len(vectors) != len(texts):
            raise ServerUnavailable(f"{self.client.base_url}/embeddings returned {len(vectors)} vectors for "
                                    f"{len(texts)} texts (a token-level embedding model needs pooling).")
        return vectors

    def embed(self, texts: list[str], progress: Any = None) -> np.ndarray:
        out = np.empty((len(texts), self._dim), dtype=np.float32)
        for start in range(0, len(texts), EMBED_BATCH):
            batch = texts[start:start + EMBED_BATCH]
            out[start:start + len(batch)] = self._request([t if t.strip() else " " for t in batch])
            if progress:
                progress(start + len(batch), len(texts))
        norms = np.linalg.norm(out, axis=1, keepdims=True)
        return out / np.maximum(norms, 1e-12)


def chat_from_settings(settings: Any) -> RemoteChatModel:
    """Factory for :mod:`briefer.backends` (``BRIEFER_LLM_URL`` is set)."""
    client = JsonClient(settings.llm_url, api_key=settings.llm_key, timeout=settings.llm_timeout,
                        retries=settings.llm_retries, setting="BRIEFER_LLM_URL")
    return RemoteChatModel(client, settings.llm_model)


def embedder_from_settings(settings: Any) -> RemoteEmbedder:
    """Factory for :mod:`briefer.backends` (``BRIEFER_EMBED_URL`` is set); ``BRIEFER_EMBED_MODEL`` names the model."""
    client = JsonClient(settings.embed_url, api_key=settings.embed_key, timeout=settings.llm_timeout,
                        retries=settings.llm_retries, setting="BRIEFER_EMBED_URL")
    return RemoteEmbedder(client, str(settings.embed_model) if settings.embed_model else None)
