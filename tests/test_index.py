"""The durable, incremental index: only changed files are re-read and only new
text is embedded; interrupted and concurrent runs leave a usable index; the
search arrays derived incrementally equal a fresh build."""

from __future__ import annotations

import hashlib
import json
import sqlite3
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
from filelock import FileLock
from typer.testing import CliRunner

from briefer import index_write
from briefer import snapshot
from briefer.textanalysis import terms
from briefer.cli import app
from briefer.errors import IndexError_
from briefer.index import CorpusIndex, index_dir_for
from briefer.retrieval import Retriever
from briefer.snapshot import load_snapshot

runner = CliRunner()
NEW_TEXT = ("The Quokka Accord on lithium refining was signed in Reykjavik on 3 March 2025. "
            "It caps export licences for gallium at 40 tonnes a year.\n")


class HashEmbedder:
    """A deterministic bag-of-words embedder that records every text it embeds.

    Words are hashed into ``dim`` buckets, so texts that share words get similar
    vectors: good enough to exercise dense search without a model."""

    def __init__(self, model_id: str = "hash-64", dim: int = 64, fail_after: int | None = None) -> None:
        self.model_id = model_id
        self.dim = dim
        self.calls = 0
        self.texts: list[str] = []
        self.fail_after = fail_after

    def embed(self, texts: list[str]) -> np.ndarray:
        if self.fail_after is not None and self.calls >= self.fail_after:
            raise KeyboardInterrupt
        self.calls += 1
        self.texts.extend(texts)
        out = np.zeros((len(texts), self.dim), dtype=np.float32)
        for row, text in enumerate(texts):
            for word in terms(text):
                out[row, int(hashlib.md5(word.encode()).hexdigest()[:8], 16) % self.dim] += 1.0
        return out / np.maximum(np.linalg.norm(out, axis=1, keepdims=True), 1e-9)


def open_index(home: Path, corpus: Path, embedder=None, **kw) -> CorpusIndex:
    return CorpusIndex(home / "indexes", corpus, embedder, **kw)


def cli(*args: object):
    return runner.invoke(app, [str(a) for a in args])


def top_documents(corpus: Path, query: str, k: int = 3) -> list[str]:
    result = cli("search", query, "--corpus", corpus, "--no-embeddings", "--json", "--k", k)
    assert result.exit_code == 0, result.output
    return [row["document"] for row in json.loads(result.stdout)]


def test_adding_one_file_reads_and_embeds_only_that_file(sample_corpus, isolated_home):
    emb = HashEmbedder()
    first = open_index(isolated_home, sample_corpus, emb).refresh()
    assert (len(first.added), first.embedded) == (5, first.chunks) and first.chunks > 5
    (sample_corpus / "zz_new.txt").write_text(NEW_TEXT)
    emb.texts.clear()
    idx = open_index(isolated_home, sample_corpus, emb)
    report = idx.refresh()
    assert report.added == ["zz_new.txt"] and len(report.unchanged) == 5
    assert not report.changed and not report.removed
    assert "1 added, 0 changed, 0 removed, 5 unchanged" in report.summary()
    assert [t.strip() for t in emb.texts] == [NEW_TEXT.strip()] and report.embedded == 1  # the new file is one chunk
    assert report.chunks == first.chunks + 1
    assert top_documents(sample_corpus, "Quokka Accord gallium licences")[0] == "zz_new.txt"
    again = open_index(isolated_home, sample_corpus, emb).refresh()
    assert (len(again.unchanged), again.embedded) == (6, 0)


def test_changed_file_reembeds_only_edited_chunks(sample_corpus, isolated_home):
    emb = HashEmbedder()
    open_index(isolated_home, sample_corpus, emb).refresh()
    target = sample_corpus / "000_c87a0dec3c1a38a8.txt"
    text = target.read_text()
    target.write_text(text + "\nAn added closing line mentions the Zanzibar protocol on gallium quotas.\n")
    emb.texts.clear()
    report = open_index(isolated_home, sample_corpus, emb).refresh()
    assert report.changed == [target.name] and len(report.unchanged) == 4 and not report.added
    assert 1 <= report.embedded <= 2, "unchanged chunks of the edited file keep their vectors"
    assert all("Zanzibar" in t or t in text for t in emb.texts) and any("Zanzibar" in t for t in emb.texts)
    assert top_documents(sample_corpus, "Zanzibar protocol gallium")[0] == target.name


def test_deleted_and_unreadable_files_leave_the_index(sample_corpus, isolated_home, tmp_path):
    emb = HashEmbedder()
    first = open_index(isolated_home, sample_corpus, emb).refresh()
    (sample_corpus / "004_a582c51554cfb319.txt").unlink()
    broken = sample_corpus / "003_123aad9ebebfa0ad.txt"
    broken.rename(tmp_path / "moved.txt")
    broken.symlink_to(tmp_path / "gone-forever.txt")  # still listed, can no longer be read
    idx = open_index(isolated_home, sample_corpus, emb)
    report = idx.refresh()
    assert report.removed == ["003_123aad9ebebfa0ad.txt", "004_a582c51554cfb319.txt"]
    assert [s.path for s in report.skipped] == [broken.name] and "could not read" in report.skipped[0].reason
    assert report.embedded == 0 and report.chunks < first.chunks
    assert set(idx.documents()) == {"000_c87a0dec3c1a38a8.txt", "001_d1c6d6df92f9f05f.txt", "002_b1b133b70b90d89f.txt"}
    hits = Retriever(idx, emb).search("tariffs trade war 145% Huawei Ascend", 10)
    assert hits and not {h.document for h in hits} & {"003_123aad9ebebfa0ad.txt", "004_a582c51554cfb319.txt"}
    db = idx.db
    assert db.execute("SELECT COUNT(*) FROM embeddings").fetchone()[0] == \
        db.execute("SELECT COUNT(DISTINCT hash) FROM chunks").fetchone()[0], "orphan vectors are dropped"
    broken.unlink()
    (tmp_path / "moved.txt").rename(broken)
    back = open_index(isolated_home, sample_corpus, emb).refresh()
    assert back.added == [broken.name]
    assert back.embedded > 0  # its vectors were dropped with it, so they are computed again


def test_interrupted_refresh_keeps_old_index_and_resumes(sample_corpus, isolated_home, monkeypatch):
    monkeypatch.setattr(index_write, "EMBED_BATCH", 2)
    monkeypatch.setattr(index_write, "CHECKPOINT_EVERY", 2)
    open_index(isolated_home, sample_corpus, HashEmbedder()).refresh()
    for i in range(4):
        lines = (" ".join(f"Bulk note {i}.{j}.{s} on wolfram smelting quotas." for s in range(40)) for j in range(6))
        (sample_corpus / f"bulk{i}.txt").write_text("\n".join(lines) + "\n")
    idx = open_index(isolated_home, sample_corpus, HashEmbedder(fail_after=2))
    before = idx.documents()
    with pytest.raises(KeyboardInterrupt):
        idx.refresh()
    assert idx.documents() == before and idx.version == 1
    old = Retriever(open_index(isolated_home, sample_corpus), HashEmbedder())
    assert old.dense and len(old.search("trade war tariffs", 3, mode="dense")) == 3
    assert old.search("What tariff level did the trade war reach?", 1, mode="bm25")[0].document == "004_a582c51554cfb319.txt"
    assert not old.search("wolfram smelting", 3, mode="bm25")
    resumed = HashEmbedder()
    report = open_index(isolated_home, sample_corpus, resumed).refresh()
    assert len(report.added) == 4 and report.embedded == len(resumed.texts)
    checkpointed = 4  # two calls of two texts each were committed before the interrupt
    new_chunks = report.chunks - old.view.snap.n
    assert report.embedded == new_chunks - checkpointed
    hits = Retriever(open_index(isolated_home, sample_corpus), resumed).search("wolfram smelting", 3)
    assert hits and hits[0].document.startswith("bulk")


def test_second_run_waits_for_the_lock_then_fails_clearly(sample_corpus, isolated_home):
    idx = open_index(isolated_home, sample_corpus, lock_timeout=0.2)
    with FileLock(str(idx.root / "index.lock")):
        with pytest.raises(IndexError_, match="Another briefer run"):
            idx.refresh()
    assert idx.refresh().added


def test_concurrent_runs_do_not_corrupt_the_index(sample_corpus, isolated_home):
    for i in range(6):
        (sample_corpus / f"extra{i}.txt").write_text(f"Extra memo {i} about rare earth magnets and cobalt. " * 300)
    cmd = [sys.executable, "-m", "briefer.cli", "index", "--corpus", str(sample_corpus), "--no-embeddings"]
    procs = [subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True) for _ in range(2)]
    outs = [p.communicate(timeout=300) for p in procs]
    assert [p.returncode for p in procs] == [0, 0], outs
    summaries = sorted(o[0].strip() for o in outs)
    assert summaries[0].startswith("0 added, 0 changed, 0 removed, 11 unchanged"), summaries  # the waiter saw the work done
    assert summaries[1].startswith("11 added"), summaries
    idx = open_index(isolated_home, sample_corpus)
    assert idx.db.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
    assert idx.version == 1 and len(idx.documents()) == 11


def test_new_embedding_model_reembeds_everything(sample_corpus, isolated_home):
    first = open_index(isolated_home, sample_corpus, HashEmbedder("model-a")).refresh()
    other = HashEmbedder("model-b", dim=32)
    idx = open_index(isolated_home, sample_corpus, other)
    report = idx.refresh()
    assert report.embedded == first.chunks and len(report.unchanged) == 5
    assert idx.meta("embed_model") == "model-b"
    assert {r[0] for r in idx.db.execute("SELECT DISTINCT model FROM embeddings")} == {"model-b"}
    retriever = Retriever(idx, other)
    assert retriever.dense and retriever.view.snap.dim == 32 and retriever.view.snap.n == first.chunks
    assert not Retriever(idx, HashEmbedder("model-a")).dense  # query vectors of another model never mix in


def test_embeddings_added_later_for_a_bm25_only_index(sample_corpus, isolated_home):
    first = open_index(isolated_home, sample_corpus).refresh()
    assert first.embedded == 0 and not Retriever(open_index(isolated_home, sample_corpus), HashEmbedder()).dense
    emb = HashEmbedder()
    report = open_index(isolated_home, sample_corpus, emb).refresh()
    assert report.embedded == first.chunks and len(report.unchanged) == 5
    assert Retriever(open_index(isolated_home, sample_corpus), emb).dense


@pytest.mark.parametrize("compact", [False, True], ids=["delta", "compacted"])
def test_incremental_snapshot_equals_a_fresh_build(sample_corpus, isolated_home, tmp_path, monkeypatch, compact):
    monkeypatch.setattr(snapshot, "DELTA_MIN_SLOTS", 0 if compact else 10**9)
    monkeypatch.setattr(snapshot, "DEAD_MAX_SHARE", 0.25 if compact else 1.0)
    emb = HashEmbedder()
    open_index(isolated_home, sample_corpus, emb).refresh()
    (sample_corpus / "001_d1c6d6df92f9f05f.txt").unlink()
    live = open_index(isolated_home, sample_corpus, emb)
    live.refresh()
    (sample_corpus / "zz_new.txt").write_text(NEW_TEXT * 30)
    edited = sample_corpus / "002_b1b133b70b90d89f.txt"
    edited.write_text(edited.read_text().replace("800 companies", "900 companies"))
    live.refresh()
    snap = load_snapshot(live)
    assert (snap.manifest["main"] == f"main-{live.version}") == compact
    assert snap.has_dead != compact and snap.dense
    fresh = open_index(tmp_path / "fresh-home", sample_corpus, emb)
    fresh.refresh()

    def by_chunk(idx: CorpusIndex, query: str) -> dict[str, tuple[float, float]]:
        s = load_snapshot(idx)
        ids = sorted(i for i in idx.term_ids(terms(query)).values() if i < s.vocab)
        bm25, dense = s.bm25(ids), s.dense_scores(emb.embed([query])[0])
        return {cid.decode(): (float(b), float(d)) for cid, b, d, ok in zip(s.slots["ids"], bm25, dense, s.live) if ok}

    for query in ("Shanghai companies exhibited 900", "Quokka Accord gallium", "export controls chips Nvidia"):
        got, want = by_chunk(live, query), by_chunk(fresh, query)
        assert got.keys() == want.keys()
        for cid in want:
            assert got[cid] == pytest.approx(want[cid], rel=1e-5, abs=1e-6), (query, cid)
    docs = [h.document for h in Retriever(live, emb).search("900 companies exhibited in Shanghai", 3, mode="bm25")]
    assert docs[0] == edited.name and "001_d1c6d6df92f9f05f.txt" not in docs


def test_damaged_snapshot_is_rebuilt(sample_corpus, isolated_home):
    idx = open_index(isolated_home, sample_corpus)
    idx.refresh()
    (load_snapshot(idx).main.path / "rows.npy").write_bytes(b"garbage")
    hits = Retriever(open_index(isolated_home, sample_corpus)).search("Huawei Ascend chips ByteDance", 1)
    assert hits[0].document == "003_123aad9ebebfa0ad.txt"


def test_index_from_an_older_briefer_is_rebuilt(sample_corpus, isolated_home):
    root = index_dir_for(isolated_home / "indexes", sample_corpus)
    root.mkdir(parents=True)
    db = sqlite3.connect(root / "index.sqlite")
    db.executescript("CREATE TABLE meta (key TEXT PRIMARY KEY, value TEXT); INSERT INTO meta VALUES ('schema', '1');"
                     "CREATE TABLE chunks (id TEXT PRIMARY KEY, path TEXT, start INTEGER, end INTEGER, vec BLOB);")
    db.close()
    (root / "bm25-v3").mkdir()  # the old search cache
    report = open_index(isolated_home, sample_corpus).refresh()
    assert len(report.added) == 5 and report.chunks > 5
    assert not (root / "bm25-v3").exists()


def test_an_extractor_change_re_splits_and_re_embeds_unchanged_files(tmp_path, isolated_home, monkeypatch):
    """After an upgrade whose extractor gives other text for the same bytes, the index was rebuilt
    but the sentence store kept the old text's spans and vectors (named by the file's sha256 only):
    every sentence was read at the wrong offsets, and the evidence of a CRS set lost half its facts."""
    from briefer import corpus as corpus_module, formats, index_schema
    from briefer.textanalysis import sentence_spans

    corpus = tmp_path / "corpus"
    corpus.mkdir()
    (corpus / "a.md").write_text("The council approved the charge in March.\n\nDrivers will pay 9.50 a day.\n")
    emb = HashEmbedder()
    first = open_index(isolated_home, corpus, emb)
    first.refresh()
    assert first.refresh_sentences() > 0

    original = formats.extract_md
    monkeypatch.setattr(formats, "extract_md", lambda raw, limits=None: (
        "Preface added by a new extractor version. " + original(raw)[0], *original(raw)[1:]))
    monkeypatch.setitem(corpus_module._FORMATS, ".md", ("md", "Markdown", formats.extract_md))
    monkeypatch.setattr(formats, "EXTRACTOR_VERSION", formats.EXTRACTOR_VERSION + "-test")
    monkeypatch.setattr(index_schema, "SCHEMA_VERSION", index_schema.SCHEMA_VERSION + "-test")
    idx = open_index(isolated_home, corpus, emb)
    idx.refresh()
    idx.refresh_sentences()
    stored = idx.sentences().get("a.md")
    assert stored.text.startswith("Preface added by a new extractor version.")
    assert [list(span) for span in stored.spans] == [list(span) for span in sentence_spans(stored.text)]
