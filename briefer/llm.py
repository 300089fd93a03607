"""The chat model: one loaded GGUF for the whole memo, through llama-cpp-python.

``ChatModel`` is the small protocol the pipeline needs, so tests pass a fake
that replays queued answers.  ``LlamaChatModel`` uses the chat template stored
in the GGUF (``create_chat_completion`` picks it up from the metadata) and
relies on llama-cpp-python's prefix matching to reuse the KV cache between
sections: every section's prompt starts with the same system message.  How a chat
becomes prompt tokens is in ``briefer/llm_prompt.py``, GPU detection in ``briefer/gpu.py``.
"""

from __future__ import annotations

import logging
import signal
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Protocol

from . import gpu, interrupt
from .errors import ModelError
from .llm_prompt import ZWSP, batch_request, chat_formatter, context_error, control_pattern, defang_with
from .modelfile import check_fits, read_gguf_header, resolve_model_path
from .paraphrase import GuardProcessor, WordForms

# Importers of briefer.llm get these from here; the code looks them up in briefer.gpu, so patch them there.
from .gpu import GPU_INSTALL_HINT, choose_gpu_layers, describe_model, gpu_available, gpu_layers_warning, gpu_offload_supported

__all__ = ["REPEAT_PENALTY", "ZWSP", "ChatModel", "ChatResult", "GPU_INSTALL_HINT", "LlamaChatModel", "chat_all",
           "choose_gpu_layers", "context_error", "describe_model", "gpu_available", "gpu_layers_warning",
           "gpu_offload_supported", "load_chat_model", "resolve_model_path"]

#: Tiny models loop without it; recorded in the JSON record so a replay can match.
REPEAT_PENALTY = 1.15


@dataclass
class ChatResult:
    text: str
    prompt_tokens: int = 0  # tokens in the prompt sent
    prompt_evaluated: int = 0  # of those, tokens actually evaluated (rest came from the KV cache)
    completion_tokens: int = 0
    prompt_seconds: float = 0.0
    generation_seconds: float = 0.0
    finish_reason: str = ""
    copied: int = 0  # of completion_tokens, those the batch decoder fed from the prompt (a copied line's tail)


class ChatModel(Protocol):
    """What the pipeline needs from a model: ``LlamaChatModel`` here, ``briefer.remote.RemoteChatModel``
    (a server), the tests' fake; :func:`briefer.backends.make_chat_model` picks one.  An optional
    ``choose(messages, options)`` gives a grammar-constrained answer (see :mod:`briefer.entail`)."""

    info: dict

    def chat(self, messages: list[dict], *, max_tokens: int, temperature: float, seed: int) -> ChatResult: ...


def chat_all(model: ChatModel, conversations: list[list[dict]], *, max_tokens: int, temperature: float,
             seed: int, together: bool = True, stop_copies: bool = False) -> list[ChatResult]:
    """Answer every conversation: together where the backend can (``chat_many``), else one by one.
    ``stop_copies`` is passed on to a ``chat_many`` that takes it (an answer copying its prompt ends)."""
    many = getattr(model, "chat_many", None) if together else None
    if many is not None:
        extra = {"stop_copies": True} if stop_copies else {}
        return many(conversations, max_tokens=max_tokens, temperature=temperature, seed=seed, **extra)
    return [model.chat(m, max_tokens=max_tokens, temperature=temperature, seed=seed) for m in conversations]


class LlamaChatModel:
    """A GGUF chat model kept loaded for the whole memo."""

    def __init__(self, path: Path, *, n_ctx: int, n_threads: int, n_gpu_layers: int, seed: int = 42) -> None:
        import llama_cpp

        self.path = path
        size = path.stat().st_size
        header = read_gguf_header(path)
        check_fits(path, header, n_ctx=n_ctx, gpu_layers=n_gpu_layers)
        try:
            with interrupt.deferred():  # a Ctrl-C during loading lands in llama.cpp's log callback
                self._llm = self._load(llama_cpp, path, n_ctx, n_threads, n_gpu_layers, seed)
        except (ValueError, RuntimeError, OSError) as exc:
            hint = ""
            if n_ctx > 8192:
                hint = f" The context size n_ctx={n_ctx} may need more memory than available; lower --n-ctx (BRIEFER_N_CTX)."
            raise ModelError(
                f"Could not load model {path} ({size / 1e6:.0f} MB): llama.cpp rejected it ({exc}); the file may be "
                f"truncated, corrupt or of an unsupported architecture.{hint} Pass another GGUF with --model PATH."
            ) from None
        self._init_rest(llama_cpp, path, size, header, n_ctx, n_threads, n_gpu_layers)

    @staticmethod
    def _load(llama_cpp, path: Path, n_ctx: int, n_threads: int, n_gpu_layers: int, seed: int):
        from .llama_cpu import plain_buffers

        with plain_buffers(llama_cpp):
            return llama_cpp.Llama(model_path=str(path), n_ctx=n_ctx, n_threads=n_threads, n_threads_batch=n_threads,
                                   n_gpu_layers=n_gpu_layers, seed=seed, verbose=False)

    def _init_rest(self, llama_cpp, path: Path, size: int, header, n_ctx: int, n_threads: int, n_gpu_layers: int) -> None:
        train_ctx = header.arch_value("context_length") or n_ctx
        self.info = {
            "path": str(path),
            "name": path.name,
            "size": size,
            "n_ctx": n_ctx,
            "n_ctx_train": train_ctx,
            "threads": n_threads,
            "gpu_layers": n_gpu_layers,
            "gpu_offload": bool(n_gpu_layers) and gpu.gpu_available(),
            "chat_format": getattr(self._llm, "chat_format", None),
            "llama_cpp_python": llama_cpp.__version__,
        }

        self._interrupted = False
        self._abort = llama_cpp.ggml_abort_callback(lambda _data: self._interrupted)  # keep a reference
        llama_cpp.llama_set_abort_callback(self._llm.ctx, self._abort, None)
        self._control = control_pattern(llama_cpp, self._llm)

    def defang(self, text: str) -> str:
        """Break up this model's control-token strings in prompt text (see :func:`briefer.llm_prompt.defang_with`)."""
        return defang_with(self._control, text)

    def _defanged(self, messages: list[dict]) -> list[dict]:
        return [{**m, "content": self.defang(m["content"])} for m in messages]

    @contextmanager
    def _ctrl_c_aborts(self) -> Iterator[None]:
        """Make Ctrl-C stop llama.cpp within one graph node instead of after a whole batch.

        Python runs signal handlers only between bytecodes, so a plain
        KeyboardInterrupt waits until ``llama_decode`` returns: 10 s and more
        for a 512-token prompt batch on two busy cores.  During a call, SIGINT
        only sets a flag; llama.cpp's abort callback (run on this thread after
        every graph node) reads it, the decode stops, and we raise
        KeyboardInterrupt ourselves.
        """
        log = logging.getLogger("llama-cpp-python")  # llama.cpp's log lines go through its level
        level = log.level

        def on_sigint(*_: object) -> None:
            self._interrupted = True
            interrupt.request()
            log.setLevel(logging.CRITICAL)  # the aborted decode logs an "error" the analyst need not see

        self._interrupted = False
        previous = signal.getsignal(signal.SIGINT)
        # Leave an application's own handler alone; ours (briefer.interrupt's) is taken over.
        mine = threading.current_thread() is threading.main_thread() and (
            previous is signal.default_int_handler or interrupt.is_guard_handler(previous))
        if mine:
            signal.signal(signal.SIGINT, on_sigint)
        try:
            yield
        except Exception:
            if not self._interrupted:
                raise  # an aborted decode surfaces as RuntimeError("llama_decode returned 2")
        finally:
            if mine:
                signal.signal(signal.SIGINT, previous)
            log.setLevel(level)
        if self._interrupted:
            self._llm.reset()  # the aborted batch left the KV cache half-written: never reuse it
            if getattr(self, "_batch", None) is not None:
                self._batch.reset()
            raise KeyboardInterrupt

    adapt_threads = False
    copy_guard = False  # forbid long verbatim runs through the prompt (briefer/paraphrase.py)

    def _retune_threads(self, llama_cpp) -> None:
        """Follow the machine's load between answers: llama.cpp's OpenMP threads spin while
        waiting for each other, so one thread too many on a busy machine costs far more than
        one too few (see settings.auto_threads)."""
        from .settings import auto_threads

        threads = auto_threads()
        if threads != self.info.get("threads_now", self.info["threads"]):
            llama_cpp.llama_set_n_threads(self._llm.ctx, threads, threads)
            if getattr(self, "_batch", None) is not None:
                self._batch.set_threads(threads)
            self.info["threads_now"] = threads
            self.info.setdefault("thread_changes", []).append(threads)

    def count_tokens(self, text: str) -> int:
        return len(self._llm.tokenize(text.encode("utf-8"), add_bos=False, special=True))

    def chat(self, messages: list[dict], *, max_tokens: int, temperature: float, seed: int) -> ChatResult:
        import llama_cpp
        from llama_cpp import LogitsProcessorList

        ctx = self._llm.ctx
        if self.adapt_threads:
            self._retune_threads(llama_cpp)
        llama_cpp.llama_perf_context_reset(ctx)
        t0 = time.perf_counter()
        try:
            with self._ctrl_c_aborts():
                out = self._llm.create_chat_completion(
                    messages=self._defanged(messages),
                    max_tokens=max_tokens,
                    temperature=temperature,
                    seed=seed,
                    repeat_penalty=REPEAT_PENALTY,
                    logits_processor=LogitsProcessorList([GuardProcessor(self.word_forms())]) if self.copy_guard else None,
                )
        except ValueError as exc:
            raise context_error(exc, n_ctx=self.info["n_ctx"], max_tokens=max_tokens,
                                n_ctx_train=self.info.get("n_ctx_train")) from None
        wall = time.perf_counter() - t0
        perf = llama_cpp.llama_perf_context(ctx)
        usage = out.get("usage", {})
        choice = out["choices"][0]
        return ChatResult(
            text=choice["message"].get("content") or "",
            prompt_tokens=int(usage.get("prompt_tokens", 0)),
            prompt_evaluated=int(perf.n_p_eval),
            completion_tokens=int(usage.get("completion_tokens", 0)),
            prompt_seconds=perf.t_p_eval_ms / 1000.0,
            generation_seconds=max(0.0, wall - perf.t_p_eval_ms / 1000.0),
            finish_reason=choice.get("finish_reason") or "",
        )

    def chat_many(self, conversations: list[list[dict]], *, max_tokens: int, temperature: float,
                  seed: int, stop_copies: bool = False) -> list[ChatResult]:
        """Answer several chats at once, decoded side by side (``briefer/batchgen.py``).  With
        ``stop_copies`` an answer copying a line of its prompt ends there (finish reason "copy").

        Falls back to one chat after another where batching does not apply: sampling
        with a temperature, or a chat format not taken from the model's own template.
        """
        formatter = chat_formatter(self._llm)
        if temperature != 0.0 or formatter is None or len(conversations) < 2:
            return [self.chat(m, max_tokens=max_tokens, temperature=temperature, seed=seed) for m in conversations]
        requests = [batch_request(self._llm, formatter, self._defanged(messages), max_tokens=max_tokens,
                                  n_ctx=self.info["n_ctx"], n_ctx_train=self.info.get("n_ctx_train"))
                    for messages in conversations]
        with self._ctrl_c_aborts():
            outputs = self._batcher().run(requests, max_tokens=max_tokens, penalty=REPEAT_PENALTY,
                                          stop_copies=stop_copies)
        return [ChatResult(text=o.text, prompt_tokens=len(r.tokens), prompt_evaluated=o.evaluated,
                           completion_tokens=o.generated, prompt_seconds=o.prompt_seconds,
                           generation_seconds=o.generation_seconds, finish_reason=o.finish_reason, copied=o.copied)
                for r, o in zip(requests, outputs)]

    def _batcher(self):
        if getattr(self, "_batch", None) is None:
            from .batchgen import BatchDecoder

            self._batch = BatchDecoder(self._llm, self.info.get("threads_now", self.info["threads"]), self._abort,
                                       self.word_forms() if self.copy_guard else None)
        return self._batch

    def word_forms(self) -> WordForms:
        """The vocabulary read as words, for the copy guard (``briefer/paraphrase.py``); built once."""
        if getattr(self, "_forms", None) is None:
            self._forms = WordForms.of_model(self._llm)
        return self._forms

    def choose(self, messages: list[dict], options: tuple[str, ...]) -> str:
        """Answer with exactly one of ``options``: generation constrained by a GBNF grammar.

        Used by the entailment check (``briefer/entail.py``): a free-form reply
        ("Yes, but…") would have to be guessed at; a grammar makes it one word.
        """
        import llama_cpp

        rule = " | ".join('"' + o.replace('"', '\\"') + '"' for o in options)
        grammar = llama_cpp.LlamaGrammar.from_string(f"root ::= {rule}", verbose=False)
        with self._ctrl_c_aborts():
            out = self._llm.create_chat_completion(
                messages=self._defanged(messages),
                max_tokens=max(len(self._llm.tokenize(o.encode(), add_bos=False)) for o in options) + 1,
                temperature=0.0, grammar=grammar)
        text = (out["choices"][0]["message"].get("content") or "").strip()
        return text if text in options else options[-1]


def load_chat_model(path: str | Path | None, *, n_ctx: int, n_threads: int, gpu_layers: int | None, seed: int,
                    adapt_threads: bool = False, models_dir: Path | None = None,
                    copy_guard: bool = False) -> LlamaChatModel:
    """Load the chat model; ``adapt_threads`` (threads not set by the analyst) re-measures the
    free cores before each answer and changes the thread count if the machine got busier or idler."""
    resolved = resolve_model_path(path, models_dir)
    model = LlamaChatModel(resolved, n_ctx=n_ctx, n_threads=n_threads, n_gpu_layers=gpu.choose_gpu_layers(gpu_layers), seed=seed)
    model.adapt_threads = adapt_threads
    model.copy_guard = copy_guard
    return model
