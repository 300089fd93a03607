"""The PostgreSQL + pgvector store against a real server on loopback.

``.ci/run`` starts one server and exports ``BRIEFER_TEST_PG_URL``; without
it the session starts its own (``briefer.pgserver``) and stops it at the end.
Each test gets a database of its own.
"""

from __future__ import annotations

import json
import os
import shutil
import uuid
from urllib.parse import urlsplit

import numpy as np
import pytest
from fakes import FakeLLM, copy_first_source
from test_index import HashEmbedder

from briefer import store_pg_search, store_pg_write
from briefer.errors import ConfigError, EmbedderMismatch, IndexError_
from briefer.index import CorpusIndex
from briefer.pipeline import generate
from briefer.retrieval import Retriever
from briefer.settings import load_settings
from briefer.store import open_store
from briefer.store_pg import PgStore

pytestmark = pytest.mark.postgres

# Read at import: the autouse fixture in conftest.py clears BRIEFER_* variables for every test.
SERVER_URL = os.environ.get("BRIEFER_TEST_PG_URL", "")
QUERIES = ["tariffs trade war 145% Huawei Ascend", "gallium export licences", "Nvidia chips sold to China",
           "what did the Commerce Department announce", "rare earth magnets"]


@pytest.fixture(scope="session")
def pg_server() -> str:
    """The URL of a running server: CI's, or one started (and stopped) by this session."""
    if SERVER_URL:
        yield SERVER_URL
        return
    from briefer.pgserver import temporary_server

    server = temporary_server()
    try:
        yield server.url
    finally:
        server.stop()
        shutil.rmtree(server.folder, ignore_errors=True)


@pytest.fixture()
def pg_url(pg_server) -> str:
    """A fresh database on the server (dropped afterwards), so each test sees an empty store."""
    import psycopg

    name = f"briefer_test_{uuid.uuid4().hex[:12]}"
    with psycopg.connect(pg_server, autocommit=True) as conn:
        conn.execute(f"CREATE DATABASE {name}")
    yield urlsplit(pg_server)._replace(path=f"/{name}").geturl()
    with psycopg.connect(pg_server, autocommit=True) as conn:
        conn.execute(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")


def _hits(retriever: Retriever, query: str, mode: str) -> list[tuple]:
    return [(p.id, p.document, p.start, p.end, p.text) for p in retriever.search(query, 10, mode=mode)]


@pytest.mark.parametrize("postings", [1, store_pg_search.CANDIDATE_POSTINGS])
def test_same_results_and_offsets_as_sqlite(sample_corpus, isolated_home, pg_url, monkeypatch, postings):
    # postings=1: the lexical search starts from the rarest term alone and must widen until exact.
    monkeypatch.setattr(store_pg_search, "CANDIDATE_POSTINGS", postings)
    emb = HashEmbedder()
    pg = PgStore(pg_url, sample_corpus, emb)
    sq = CorpusIndex(isolated_home / "indexes", sample_corpus, emb)
    assert pg.refresh().summary() == sq.refresh().summary()
    assert pg.documents() == sq.documents()
    rp, rs = Retriever(pg, emb), Retriever(sq, emb)
    assert rp.dense and rs.dense
    for query in QUERIES:
        for mode in ("bm25", "dense", "hybrid"):
            a, b = rp.search(query, 10, mode=mode), rs.search(query, 10, mode=mode)
            assert _hits(rp, query, mode) == _hits(rs, query, mode), (query, mode)
            assert np.allclose([p.score for p in a], [p.score for p in b], rtol=1e-5), (query, mode)
    sq.refresh_sentences()
    for path in pg.documents():
        mine, theirs = pg.sentences().get(path), sq.sentences().get(path)
        assert np.array_equal(mine.spans, theirs.spans) and mine.text == theirs.text
        assert np.allclose(mine.vecs, theirs.vecs, atol=1e-6)


def test_changed_file_is_replaced_atomically_and_unchanged_not_reembedded(sample_corpus, pg_url, monkeypatch):
    store = PgStore(pg_url, sample_corpus, HashEmbedder())
    store.refresh()
    target = sorted(sample_corpus.glob("*.txt"))[0]
    before = store.documents()
    count = 'SELECT count(*) FROM briefer_chunks WHERE path = %s'
    chunks_before = store.conn.execute(count, (target.name,)).fetchone()[0]
    target.write_text(target.read_text(encoding="utf-8") + "\nWolfram smelting moved to Jiangxi province in the "
                      "spring of 2026.\n", encoding="utf-8")

    # A failure after the old rows are deleted and the new ones copied in: the transaction rolls back.
    monkeypatch.setattr(store_pg_write, "_DF_UP", "SELECT no_such_function()")
    with pytest.raises(IndexError_, match="no_such_function"):
        PgStore(pg_url, sample_corpus, HashEmbedder()).refresh()
    assert store.documents() == before
    assert store.conn.execute(count, (target.name,)).fetchone()[0] == chunks_before
    assert "Jiangxi" not in store.document(target.name).text
    monkeypatch.undo()

    again = HashEmbedder()
    report = PgStore(pg_url, sample_corpus, again).refresh()
    assert report.changed == [target.name] and len(report.unchanged) == 4
    others = {p.name: p.read_text(encoding="utf-8") for p in sample_corpus.glob("*.txt") if p != target}
    assert again.texts and all(t not in body for t in again.texts for body in others.values())
    assert report.embedded < 4  # only the edited passages: the file's other chunks keep their vectors
    store = PgStore(pg_url, sample_corpus, again)
    hit = Retriever(store, again).search("wolfram smelting Jiangxi", 1)[0]
    assert hit.document == target.name and "Jiangxi" in hit.text
    assert store.document(target.name).text[hit.start:hit.end] == hit.text
    assert PgStore(pg_url, sample_corpus, HashEmbedder()).refresh().unchanged == sorted(
        p.name for p in sample_corpus.glob("*.txt"))


def test_removed_file_leaves_the_index_and_its_statistics(sample_corpus, pg_url):
    emb = HashEmbedder()
    store = PgStore(pg_url, sample_corpus, emb)
    before = store.refresh().chunks
    gone = sorted(sample_corpus.glob("*.txt"))[-1]  # the only file on tariffs
    gone.unlink()
    report = store.refresh()
    assert report.removed == [gone.name] and gone.name not in store.documents()
    assert 0 < report.chunks < before
    assert not Retriever(store, emb).search("tariffs", 20, mode="bm25")
    hits = Retriever(store, emb).search("export controls", 50)
    assert hits and all(h.document != gone.name for h in hits)
    n, total = store.conn.execute("SELECT n, total FROM briefer_stats WHERE corpus = %s", (store.corpus,)).fetchone()
    assert (n, total) == store.conn.execute("SELECT count(*), sum(dl) FROM briefer_chunks WHERE corpus = %s",
                                            (store.corpus,)).fetchone()


def test_refuses_vectors_of_another_embedding_model(sample_corpus, pg_url):
    PgStore(pg_url, sample_corpus, HashEmbedder("model-a")).refresh()
    other = HashEmbedder("model-b")
    with pytest.raises(EmbedderMismatch) as caught:
        PgStore(pg_url, sample_corpus, other).refresh()
    assert "\n" not in str(caught.value) and "model-a" in str(caught.value)
    assert other.calls == 0
    store = PgStore(pg_url, sample_corpus, HashEmbedder("model-a"))
    assert store.conn.execute("SELECT count(DISTINCT vec IS NULL) FROM briefer_chunks").fetchone()[0] == 1
    assert not Retriever(store, other).dense  # query vectors of another model never meet the stored ones


def test_bm25_only_index_gets_its_vectors_later(sample_corpus, pg_url):
    store = PgStore(pg_url, sample_corpus, None)
    store.refresh()
    assert not Retriever(store, None).dense
    emb = HashEmbedder()
    report = PgStore(pg_url, sample_corpus, emb).refresh()
    assert report.embedded == report.chunks
    store = PgStore(pg_url, sample_corpus, emb)
    assert Retriever(store, emb).dense and store.sentences().get(sorted(store.documents())[0]).vecs is not None


def test_generate_end_to_end_on_postgres_matches_sqlite(sample_corpus, tmp_path, pg_url):
    records = {}
    for name, url in (("sqlite", None), ("postgres", pg_url)):
        settings = load_settings(corpus=sample_corpus, out=tmp_path / name, store_url=url)
        generate(settings, "export-controls", model=FakeLLM(default=copy_first_source), embedder=HashEmbedder())
        records[name] = json.loads((tmp_path / name / "export-controls.json").read_text(encoding="utf-8"))
    pg = records["postgres"]
    assert pg["sources"] and pg["settings"]["retrieval"] == "hybrid"
    for src in pg["sources"]:
        assert (sample_corpus / src["document"]).read_text(encoding="utf-8")[src["start"]:src["end"]] == src["quote"]
    assert pg["sources"] == records["sqlite"]["sources"]
    assert [s["sentences"] for s in pg["sections"]] == [s["sentences"] for s in records["sqlite"]["sections"]]


def test_store_url_errors_are_one_line(sample_corpus, tmp_path):
    with pytest.raises(ConfigError, match="not a known store"):
        open_store(load_settings(corpus=sample_corpus, store_url="mysql://x@localhost/db"))
    from briefer.pgserver import free_port

    with pytest.raises(IndexError_) as caught:
        open_store(load_settings(corpus=sample_corpus, store_url=f"postgresql://postgres:secret@127.0.0.1:{free_port()}/x"))
    assert "\n" not in str(caught.value) and "secret" not in str(caught.value)


def test_pruned_bm25_is_exact(tmp_path, isolated_home, pg_url, monkeypatch):
    """MaxScore stops before reading the common terms' postings, and still ranks exactly as SQLite."""
    rng = np.random.default_rng(5)
    vocab = [f"w{i}" for i in range(300)]
    p = 1.0 / np.arange(1, 301) ** 1.1
    corpus = tmp_path / "zipf"
    corpus.mkdir()
    for f in range(30):
        words = rng.choice(vocab, size=600, p=p / p.sum())
        text = ". ".join(" ".join(words[i:i + 12]) for i in range(0, 600, 12))
        (corpus / f"d{f:02d}.txt").write_text(text + ".\n", encoding="utf-8")
    monkeypatch.setattr(store_pg_search, "CANDIDATE_POSTINGS", 20)
    pg = PgStore(pg_url, corpus, None)
    sq = CorpusIndex(isolated_home / "indexes", corpus, None)
    pg.refresh(), sq.refresh()
    rp, rs = Retriever(pg, None), Retriever(sq, None)
    runs, early = [], []
    run = rp.view._run
    monkeypatch.setattr(rp.view, "_run", lambda found, take, *a: runs.append(take < len(found)) or run(found, take, *a))
    for i in range(20):
        query = " ".join(rng.choice(vocab, size=4, p=p / p.sum())) + f" w{250 + i}"
        a, b = rp.search(query, 10, mode="bm25"), rs.search(query, 10, mode="bm25")
        early.append(runs[-1])  # the answer came from a statement that left some terms unread
        assert [(h.id, h.start, h.end) for h in a] == [(h.id, h.start, h.end) for h in b], query
        assert np.allclose([h.score for h in a], [h.score for h in b], rtol=1e-5)
    assert any(early)  # some queries were answered without scoring the common terms' chunks


def test_second_run_waits_then_fails_in_one_line(sample_corpus, pg_url):
    first = PgStore(pg_url, sample_corpus, None)
    second = PgStore(pg_url, sample_corpus, None, lock_timeout=0.3)
    with first.locked():
        with pytest.raises(IndexError_, match="Another briefer run") as caught:
            second.refresh()
    assert "\n" not in str(caught.value)
    assert second.refresh().added  # the lock is free again
