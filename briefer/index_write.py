"""What :meth:`briefer.index.CorpusIndex.refresh` writes, and in which transactions.

A refresh reads the changed files (writing nothing), embeds what has no vector
yet (committed batch by batch, so a killed run keeps them), then writes
documents, chunks and vocabulary in one transaction with the new search arrays
published before COMMIT (see :mod:`briefer.index`).  These steps live apart
from the index class because they are its only writes: whether an interrupted
run leaves the previous index intact is checked by reading this module alone.
"""

from __future__ import annotations

import sqlite3
import time
from collections import Counter
from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np

from .chunking import chunk_id, chunk_spans
from .textanalysis import terms
from .corpus import extract
from .errors import IndexError_
from .index_schema import batched
from .schema import Document, Skipped
from .crashpoint import reached
from .snapshot import ensure_snapshot, prune_snapshots
from .store import IndexReport, Progress, model_id, plan_refresh, text_hash

if TYPE_CHECKING:  # annotations only: briefer.index imports this module
    from .index import CorpusIndex

EMBED_BATCH = 32  # texts per embedder call
CHECKPOINT_EVERY = EMBED_BATCH  # embeddings per committed batch: a kill loses at most one batch


@dataclass
class _Chunk:
    id: str
    path: str
    start: int
    end: int
    hash: str
    text: str
    n_terms: int
    tids: bytes = b""
    tfs: bytes = b""


def refresh_index(index: CorpusIndex, progress: Progress | None) -> IndexReport:
    """One refresh of ``index`` (its lock held by the caller), with the seconds each step took."""
    t0 = time.perf_counter()
    known = {p: sha for p, (sha, _) in index.documents().items()}
    report, todo = plan_refresh(index.corpus_dir, known, index.limits)
    report.timings["scan"] = time.perf_counter() - t0

    t = time.perf_counter()
    docs, chunks, new_terms = _read(index, todo, known, report, progress)
    report.timings["read"] = time.perf_counter() - t
    t = time.perf_counter()
    gone = set(report.removed) | set(report.changed)
    report.embedded = _embed_missing(index, chunks, gone, progress)
    report.timings["embed"] = time.perf_counter() - t

    t = time.perf_counter()
    snapshot_s = 0.0
    if todo or report.removed or report.embedded:
        snapshot_s = _commit(index, docs, chunks, new_terms, gone)
    elif index.embedder is not None and index.meta("vectors_for") != model_id(index.embedder):
        _write(index.db, "INSERT OR REPLACE INTO meta VALUES ('vectors_for', ?)", [(model_id(index.embedder),)])
    report.timings["commit"] = time.perf_counter() - t - snapshot_s  # the arrays are built inside the commit
    report.timings["snapshot"] = snapshot_s
    report.chunks = index.chunk_count()
    report.seconds = time.perf_counter() - t0
    return report


def _read(index: CorpusIndex, todo: list, known: dict[str, str], report: IndexReport,
          progress: Progress | None) -> tuple[list[Document], list[_Chunk], list[tuple[str, int]]]:
    """Extract, chunk and analyse the new and changed files (nothing is written yet)."""
    docs: list[Document] = []
    chunks: list[_Chunk] = []
    vocab = _Vocab(index)
    for i, entry in enumerate(todo, 1):
        if progress:
            progress("read", i, len(todo))
        doc = extract(entry, index.limits)
        reached("read")
        if isinstance(doc, Skipped):  # unreadable now: drop any older version from the index
            report.unreadable(doc, entry.path in known)
            continue
        docs.append(doc)
        spans = chunk_spans(doc.text)
        counts = [Counter(terms(doc.text[s:e])) for s, e in spans]
        ids = vocab.ids(set().union(*counts))
        for (s, e), tf in zip(spans, counts):
            text = doc.text[s:e]
            tids = np.fromiter((ids[t] for t in tf), dtype="<u4", count=len(tf))
            tfs = np.fromiter(tf.values(), dtype=np.int64, count=len(tf))
            chunks.append(_Chunk(chunk_id(doc, s, e), doc.path, s, e, text_hash(text), text, int(tfs.sum()),
                                 tids.tobytes(), np.minimum(tfs, 65535).astype("<u2").tobytes()))
    report.removed.sort()
    return docs, chunks, vocab.new


def _embed_missing(index: CorpusIndex, chunks: list[_Chunk], gone: set[str], progress: Progress | None) -> int:
    """Embed every chunk text that has no vector for this embedder yet, committing in batches."""
    if index.embedder is None:
        return 0
    model = model_id(index.embedder)
    want = {c.hash: c.text for c in chunks}
    # Stored chunks without a vector for this model (indexed with --no-embeddings, or a new
    # model): a full scan, skipped when the last refresh with this model left none behind.
    missing_old = [] if index.meta("vectors_for") == model else index.db.execute(
        "SELECT c.hash, c.path, c.start, c.end FROM chunks c WHERE NOT EXISTS "
        "(SELECT 1 FROM embeddings e WHERE e.hash = c.hash AND e.model = ?)", (model,)).fetchall()
    texts: dict[str, str] = {}
    for h, path, start, end in missing_old:  # e.g. chunks indexed with --no-embeddings, or a new model
        if path not in gone and h not in want:
            if path not in texts:
                texts = {path: index.document(path).text}
            want[h] = texts[path][start:end]
    hashes = list(want)
    have: set[str] = set()
    for part in batched(hashes):
        marks = ",".join("?" * len(part))
        have.update(r[0] for r in index.db.execute(
            f"SELECT hash FROM embeddings WHERE model=? AND hash IN ({marks})", [model, *part]))
    todo = [(h, want[h]) for h in hashes if h not in have]
    pending: list[tuple[str, str, bytes]] = []
    for start in range(0, len(todo), EMBED_BATCH):
        part = todo[start : start + EMBED_BATCH]
        vecs = np.asarray(index.embedder.embed([t for _, t in part]), dtype=np.float32)
        if vecs.ndim != 2 or len(vecs) != len(part):
            raise IndexError_(f"The embedding model returned {vecs.shape} for {len(part)} texts; "
                              "pass --embed-model PATH to a GGUF embedding model, or --no-embeddings.")
        pending.extend((h, model, v.tobytes()) for (h, _), v in zip(part, vecs))
        if len(pending) >= CHECKPOINT_EVERY:
            _write(index.db, "INSERT OR IGNORE INTO embeddings VALUES (?,?,?)", pending)
            pending = []
            reached("embed")
        if progress:
            progress("embed", min(start + EMBED_BATCH, len(todo)), len(todo))
    _write(index.db, "INSERT OR IGNORE INTO embeddings VALUES (?,?,?)", pending)
    return len(todo)


def _write(db: sqlite3.Connection, sql: str, rows: list) -> None:
    if not rows:
        return
    db.execute("BEGIN IMMEDIATE")
    try:
        db.executemany(sql, rows)
        db.execute("COMMIT")
    except BaseException:
        db.execute("ROLLBACK")
        raise


def _commit(index: CorpusIndex, docs: list[Document], chunks: list[_Chunk], new_terms: list[tuple[str, int]],
            gone: set[str]) -> float:
    """Everything a refresh changes, in one transaction, with the new version's search arrays
    published before COMMIT (see :mod:`briefer.index`).  Returns the seconds the arrays took."""
    db = index.db
    model = model_id(index.embedder)
    old_model = index.meta("embed_model")
    db.execute("BEGIN IMMEDIATE")
    try:
        paths = sorted(gone | {d.path for d in docs})
        dropped: set[str] = set()
        for part in batched(paths):
            marks = ",".join("?" * len(part))
            dropped.update(r[0] for r in db.execute(f"SELECT hash FROM chunks WHERE path IN ({marks})", part))
            db.execute(f"DELETE FROM chunks WHERE path IN ({marks})", part)
            db.execute(f"DELETE FROM documents WHERE path IN ({marks})", part)
        db.executemany("INSERT INTO documents VALUES (?,?,?,?,?,?)",
                       [(d.path, d.sha256, d.title, d.date, d.format, d.text) for d in docs])
        db.executemany("INSERT INTO vocab VALUES (?,?)", new_terms)
        db.executemany("INSERT INTO chunks VALUES (?,?,?,?,?,?,?,?)",
                       [(c.id, c.path, c.start, c.end, c.hash, c.n_terms, c.tids, c.tfs) for c in chunks])
        if model and old_model and old_model != model:
            db.execute("DELETE FROM embeddings WHERE model=?", (old_model,))
        if model:
            db.execute("INSERT OR REPLACE INTO meta VALUES ('embed_model', ?)", (model,))
        if model or chunks:  # every chunk now has this model's vector / new chunks may have none
            db.execute("INSERT OR REPLACE INTO meta VALUES ('vectors_for', ?)", (model,))
        # Vectors of texts no chunk uses any more (deleted or edited passages).
        db.executemany("DELETE FROM embeddings WHERE hash=? AND NOT EXISTS (SELECT 1 FROM chunks WHERE hash=?)",
                       [(h, h) for h in dropped])
        db.execute("INSERT OR REPLACE INTO meta VALUES ('version', ?)", (str(index.version + 1),))
        t = time.perf_counter()
        snap = ensure_snapshot(index, rebuild=True, prune=False)  # reads this transaction's rows
        seconds = time.perf_counter() - t
        reached("commit")
        db.execute("COMMIT")
    except BaseException:
        db.execute("ROLLBACK")
        raise
    prune_snapshots(index, snap)  # older versions' arrays, once no new reader can pick them
    return seconds


class _Vocab:
    """Term -> id during one refresh: ids come from the store, new terms get the next free ids."""

    def __init__(self, index: CorpusIndex) -> None:
        self._index = index
        self._ids: dict[str, int] = {}
        self._next = index.vocab_size()
        self.new: list[tuple[str, int]] = []

    def ids(self, words: set[str]) -> dict[str, int]:
        """Ids of ``words`` (one query per document for the ones not seen in this refresh)."""
        unknown = sorted(w for w in words if w not in self._ids)
        if unknown:
            found = self._index.term_ids(unknown)
            for word in unknown:
                if word not in found:
                    found[word] = self._next
                    self.new.append((word, self._next))
                    self._next += 1
            self._ids.update(found)
        return self._ids
