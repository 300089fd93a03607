"""Stage 2: chunk documents and keep them in a durable, incremental index.

The store is one SQLite file per corpus (stdlib, transactional, no server).
It holds documents (with their extracted text, so citation offsets resolve
without re-reading files), chunks (character offsets, a hash of their text and
their BM25 term counts as small blobs), an append-only term vocabulary, and
embeddings keyed by (text hash, model).  Why SQLite and not LlamaIndex's JSON
stores: a change touches a few rows instead of rewriting every file, and
loading reads only what a search needs (see ``bench/index_bench.py
--compare-stores`` for the measurements).

A refresh re-reads only files whose sha256 changed, then writes documents,
chunks and vocabulary in *one* transaction: an interrupted run (Ctrl-C, crash,
kill -9, full disk) leaves the previous index exactly as it was.  Embeddings
are the slow part, so they are committed batch by batch as they are computed:
an interrupted run keeps them, and the next run embeds only what is still
missing.  Unchanged chunks of an edited file keep their embedding (same text,
same hash).  A file lock makes a second concurrent run wait (saying so), then
fail with a clear message after ``BRIEFER_LOCK_TIMEOUT``.  Inside the
transaction, before COMMIT, the search arrays for the new version are derived
from the previous ones and published (:mod:`briefer.snapshot`), so a reader
never finds a committed version without its arrays and never waits for a
writer; a run killed between the two leaves arrays for a version that never
committed, which the next commit of that number rebuilds.

What a document is cut into, and which terms a chunk holds, is decided in
:mod:`briefer.chunking`; this module only stores the result.
"""

from __future__ import annotations

import shutil
import sqlite3
import time
from collections import Counter
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager, nullcontext
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
from filelock import FileLock, Timeout

from .chunking import ANALYSIS_VERSION, chunk_id, chunk_spans
from .textanalysis import terms
from .corpus import extract
from .errors import DISK_FULL_ADVICE, DiskFull, IndexError_, disk_full, low_disk
from .formats import EXTRACTOR_VERSION
from .limits import Limits
from .schema import Document, Skipped
from .sentstore import SentenceStore
from .crashpoint import reached
from .snapshot import ensure_snapshot, prune_snapshots
from .snapshot_search import SnapshotSearcher
from .store import IndexReport, Progress, corpus_key, model_id, plan_refresh, text_hash

__all__ = ["CorpusIndex", "IndexReport", "index_dir_for", "model_id", "open_sqlite", "text_hash"]

# An index with another schema is rebuilt from the corpus on open (it is a cache).  Bump
# the leading number when the tables change; the rest follows the chunking and terms()
# (bumped in briefer.chunking), since the stored chunks and term counts come from them.
SCHEMA_VERSION = f"4/{ANALYSIS_VERSION}/{EXTRACTOR_VERSION}"
LOCK_TIMEOUT_S = 30.0
EMBED_BATCH = 32  # texts per embedder call
CHECKPOINT_EVERY = EMBED_BATCH  # embeddings per committed batch: a kill loses at most one batch
SQL_VARS = 900  # parameters per IN (...) query, under SQLite's limit

_SCHEMA = """
CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT);
CREATE TABLE IF NOT EXISTS documents (path TEXT PRIMARY KEY, sha256 TEXT, title TEXT, date TEXT, format TEXT, text TEXT);
CREATE TABLE IF NOT EXISTS chunks (id TEXT PRIMARY KEY, path TEXT, start INTEGER, end INTEGER, hash TEXT,
    n_terms INTEGER, tids BLOB, tfs BLOB);
CREATE INDEX IF NOT EXISTS chunks_path ON chunks(path);
CREATE INDEX IF NOT EXISTS chunks_hash ON chunks(hash);
CREATE TABLE IF NOT EXISTS vocab (term TEXT PRIMARY KEY, id INTEGER NOT NULL);
CREATE TABLE IF NOT EXISTS embeddings (hash TEXT, model TEXT, vec BLOB, PRIMARY KEY (hash, model));
"""


def index_dir_for(root: Path, corpus_dir: Path) -> Path:
    return root / corpus_key(corpus_dir)


def batched(items: list, size: int = SQL_VARS) -> Iterator[list]:
    for i in range(0, len(items), size):
        yield items[i : i + size]


def open_sqlite(settings: Any, embedder: Any | None = None, on_wait: Callable[[str], None] | None = None) -> CorpusIndex:
    """The default store (see :func:`briefer.store.open_store`)."""
    return CorpusIndex(settings.index_root, Path(settings.corpus), embedder, lock_timeout=settings.lock_timeout,
                       limits=Limits.from_settings(settings), on_wait=on_wait)


# ----------------------------------------------------------------------------- refresh
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


class CorpusIndex:
    """The index of one corpus folder, stored under ``root``."""

    def __init__(self, root: Path, corpus_dir: Path, embedder: Any | None = None,
                 lock_timeout: float = LOCK_TIMEOUT_S, limits: Limits | None = None,
                 on_wait: Callable[[str], None] | None = None) -> None:
        self.corpus_dir = corpus_dir
        self.limits = limits
        self.on_wait = on_wait  # told once when a run has to wait for another run's lock
        self.root = index_dir_for(root, corpus_dir)
        self.embedder = embedder
        try:
            self.root.mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            raise IndexError_(f"Cannot create index folder {self.root}: {exc.strerror}. Set BRIEFER_HOME to a writable folder.") from None
        self.db_path = self.root / "index.sqlite"
        self.lock = FileLock(str(self.root / "index.lock"), timeout=lock_timeout)
        try:
            # Creating a new index happens under the lock: two runs creating it at once would
            # otherwise race on "PRAGMA journal_mode" and one would see "database is locked".
            # Opening an existing one stays lock-free, so `search` works while `index` runs.
            if self.db_path.exists():
                self._connect(lock_timeout)
            else:
                with self.locked():
                    self._connect(lock_timeout)
        except sqlite3.OperationalError as exc:
            if disk_full(exc) or low_disk(self.root):
                raise DiskFull(f"The index {self.db_path} cannot be opened: the disk is full ({exc}). "
                               f"{DISK_FULL_ADVICE}") from None
            if "locked" in str(exc) or "busy" in str(exc):
                raise IndexError_(f"Another briefer run is using the index in {self.root}; wait for it to finish "
                                  "(or set BRIEFER_HOME to use a separate cache).") from None
            raise IndexError_(f"The index {self.db_path} cannot be opened ({exc}). Delete the folder {self.root} "
                              "and run `briefer index` again to rebuild it from the corpus.") from None
        except sqlite3.DatabaseError as exc:
            raise IndexError_(f"The index {self.db_path} is damaged ({exc}). Delete the folder {self.root} "
                              "and run `briefer index` again to rebuild it from the corpus.") from None

    def _connect(self, busy_timeout: float) -> None:
        self._db = sqlite3.connect(self.db_path, isolation_level=None, check_same_thread=False, timeout=busy_timeout)
        # 16 KiB pages (new files only): a 1.5 KiB embedding row leaves less slack than in 4 KiB pages.
        self._db.execute("PRAGMA page_size=16384")
        self._db.execute("PRAGMA journal_mode=WAL")
        self._db.execute("PRAGMA synchronous=NORMAL")  # WAL + NORMAL: atomic and consistent, cheaper commits
        self._db.execute("PRAGMA journal_size_limit=67108864")  # a big build's WAL shrinks back after checkpoint
        self._open_schema()

    def _open_schema(self) -> None:
        """Create the tables; an index written by an older briefer is rebuilt (it is a cache of the corpus)."""
        tables = {r[0] for r in self._db.execute("SELECT name FROM sqlite_master WHERE type='table'")}
        stale = bool(tables) and ("meta" not in tables or self.meta("schema") != SCHEMA_VERSION)
        if tables and not stale:
            return
        with self.locked():
            self._db.execute("BEGIN IMMEDIATE")
            try:
                for table in tables if stale else ():
                    self._db.execute(f'DROP TABLE IF EXISTS "{table}"')
                for statement in filter(str.strip, _SCHEMA.split(";")):
                    self._db.execute(statement)
                self._db.execute("INSERT OR REPLACE INTO meta VALUES ('schema', ?)", (SCHEMA_VERSION,))
                self._db.execute("COMMIT")
            except BaseException:
                self._db.execute("ROLLBACK")
                raise
            for derived in self.root.glob("*-*"):  # search arrays of the old tables (bm25-v*, snap-v*, main-*)
                if derived.is_dir():
                    shutil.rmtree(derived, ignore_errors=True)

    # -- reading -------------------------------------------------------------
    def meta(self, key: str, default: str = "") -> str:
        row = self._db.execute("SELECT value FROM meta WHERE key=?", (key,)).fetchone()
        return row[0] if row else default

    @property
    def version(self) -> int:
        return int(self.meta("version", "0"))

    @property
    def db(self) -> sqlite3.Connection:
        return self._db

    def document(self, path: str) -> Document:
        row = self._db.execute("SELECT path, sha256, title, date, format, text FROM documents WHERE path=?", (path,)).fetchone()
        if row is None:
            raise KeyError(path)
        return Document(path=row[0], sha256=row[1], title=row[2], date=row[3], format=row[4], text=row[5])

    def documents(self) -> dict[str, tuple[str, str]]:
        """path -> (sha256, title)"""
        return {p: (s, t) for p, s, t in self._db.execute("SELECT path, sha256, title FROM documents ORDER BY path")}

    def chunk_count(self) -> int:
        return self._db.execute("SELECT COUNT(*) FROM chunks").fetchone()[0]

    def term_ids(self, words: Iterable[str]) -> dict[str, int]:
        """Vocabulary ids of the given index terms (unknown terms are left out)."""
        found: dict[str, int] = {}
        for part in batched(sorted(set(words))):
            marks = ",".join("?" * len(part))
            found.update(self._db.execute(f"SELECT term, id FROM vocab WHERE term IN ({marks})", part))
        return found

    def vocab_size(self) -> int:
        return self._db.execute("SELECT COALESCE(MAX(id) + 1, 0) FROM vocab").fetchone()[0]

    # -- writing -------------------------------------------------------------
    def try_lock(self) -> bool:
        """Take the index lock if it is free right now (readers use this never to wait)."""
        try:
            self.lock.acquire(timeout=0)
            return True
        except Timeout:
            return False

    @contextmanager
    def locked(self) -> Iterator[None]:
        """Hold the index lock, saying so if another run has it; a timeout is a one-line error."""
        try:
            if not self.try_lock():
                if self.on_wait is not None:
                    self.on_wait(f"another briefer run is updating the index in {self.root}; waiting for it "
                                 f"(up to {self.lock.timeout:g} s, BRIEFER_LOCK_TIMEOUT)")
                self.lock.acquire()
        except Timeout:
            raise IndexError_(
                f"Another briefer run is updating the index in {self.root}; wait for it to finish "
                "(or set BRIEFER_HOME to use a separate cache)."
            ) from None
        try:
            yield
        finally:
            self.lock.release()

    def refresh(self, progress: Progress | None = None, wait: bool = True) -> IndexReport | None:
        """Bring the index in line with the corpus folder, re-reading only changed files.

        ``wait=False`` (``search``): if another run holds the lock, return None at once
        instead of waiting, and the caller reads the last committed version.
        """
        held = not wait and self.try_lock()  # taken here, never waited for
        if not wait and not held:
            return None
        try:
            with nullcontext() if held else self.locked():
                report = self._refresh(progress)
                t = time.perf_counter()
                ensure_snapshot(self)  # a no-op unless the arrays are missing or damaged
                report.timings["snapshot"] = report.timings.get("snapshot", 0.0) + time.perf_counter() - t
                report.seconds += time.perf_counter() - t
                return report
        finally:
            if held:
                self.lock.release()

    def _refresh(self, progress: Progress | None) -> IndexReport:
        t0 = time.perf_counter()
        known = {p: sha for p, (sha, _) in self.documents().items()}
        report, todo = plan_refresh(self.corpus_dir, known, self.limits)
        report.timings["scan"] = time.perf_counter() - t0

        t = time.perf_counter()
        docs, chunks = self._read(todo, known, report, progress)
        report.timings["read"] = time.perf_counter() - t
        t = time.perf_counter()
        gone = set(report.removed) | set(report.changed)
        report.embedded = self._embed_missing(chunks, gone, progress)
        report.timings["embed"] = time.perf_counter() - t

        t = time.perf_counter()
        snapshot_s = 0.0
        if todo or report.removed or report.embedded:
            snapshot_s = self._commit(docs, chunks, gone)
        elif self.embedder is not None and self.meta("vectors_for") != model_id(self.embedder):
            self._write("INSERT OR REPLACE INTO meta VALUES ('vectors_for', ?)", [(model_id(self.embedder),)])
        report.timings["commit"] = time.perf_counter() - t - snapshot_s  # the arrays are built inside the commit
        report.timings["snapshot"] = snapshot_s
        report.chunks = self.chunk_count()
        report.seconds = time.perf_counter() - t0
        return report

    def _read(self, todo: list, known: dict[str, str], report: IndexReport,
              progress: Progress | None) -> tuple[list[Document], list[_Chunk]]:
        """Extract, chunk and analyse the new and changed files (nothing is written yet)."""
        docs: list[Document] = []
        chunks: list[_Chunk] = []
        vocab = _Vocab(self)
        for i, entry in enumerate(todo, 1):
            if progress:
                progress("read", i, len(todo))
            doc = extract(entry, self.limits)
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
        self._new_terms = vocab.new
        return docs, chunks

    def _embed_missing(self, chunks: list[_Chunk], gone: set[str], progress: Progress | None) -> int:
        """Embed every chunk text that has no vector for this embedder yet, committing in batches."""
        if self.embedder is None:
            return 0
        model = model_id(self.embedder)
        want = {c.hash: c.text for c in chunks}
        # Stored chunks without a vector for this model (indexed with --no-embeddings, or a new
        # model): a full scan, skipped when the last refresh with this model left none behind.
        missing_old = [] if self.meta("vectors_for") == model else self._db.execute(
            "SELECT c.hash, c.path, c.start, c.end FROM chunks c WHERE NOT EXISTS "
            "(SELECT 1 FROM embeddings e WHERE e.hash = c.hash AND e.model = ?)", (model,)).fetchall()
        texts: dict[str, str] = {}
        for h, path, start, end in missing_old:  # e.g. chunks indexed with --no-embeddings, or a new model
            if path not in gone and h not in want:
                if path not in texts:
                    texts = {path: self.document(path).text}
                want[h] = texts[path][start:end]
        hashes = list(want)
        have: set[str] = set()
        for part in batched(hashes):
            marks = ",".join("?" * len(part))
            have.update(r[0] for r in self._db.execute(
                f"SELECT hash FROM embeddings WHERE model=? AND hash IN ({marks})", [model, *part]))
        todo = [(h, want[h]) for h in hashes if h not in have]
        pending: list[tuple[str, str, bytes]] = []
        for start in range(0, len(todo), EMBED_BATCH):
            part = todo[start : start + EMBED_BATCH]
            vecs = np.asarray(self.embedder.embed([t for _, t in part]), dtype=np.float32)
            if vecs.ndim != 2 or len(vecs) != len(part):
                raise IndexError_(f"The embedding model returned {vecs.shape} for {len(part)} texts; "
                                  "pass --embed-model PATH to a GGUF embedding model, or --no-embeddings.")
            pending.extend((h, model, v.tobytes()) for (h, _), v in zip(part, vecs))
            if len(pending) >= CHECKPOINT_EVERY:
                self._write("INSERT OR IGNORE INTO embeddings VALUES (?,?,?)", pending)
                pending = []
                reached("embed")
            if progress:
                progress("embed", min(start + EMBED_BATCH, len(todo)), len(todo))
        self._write("INSERT OR IGNORE INTO embeddings VALUES (?,?,?)", pending)
        return len(todo)

    def _write(self, sql: str, rows: list) -> None:
        if not rows:
            return
        self._db.execute("BEGIN IMMEDIATE")
        try:
            self._db.executemany(sql, rows)
            self._db.execute("COMMIT")
        except BaseException:
            self._db.execute("ROLLBACK")
            raise

    def _commit(self, docs: list[Document], chunks: list[_Chunk], gone: set[str]) -> float:
        """Everything a refresh changes, in one transaction, with the new version's search arrays
        published before COMMIT (see the module docstring).  Returns the seconds the arrays took."""
        db = self._db
        model = model_id(self.embedder)
        old_model = self.meta("embed_model")
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
            db.executemany("INSERT INTO vocab VALUES (?,?)", self._new_terms)
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
            db.execute("INSERT OR REPLACE INTO meta VALUES ('version', ?)", (str(self.version + 1),))
            t = time.perf_counter()
            snap = ensure_snapshot(self, rebuild=True, prune=False)  # reads this transaction's rows
            seconds = time.perf_counter() - t
            reached("commit")
            db.execute("COMMIT")
        except BaseException:
            db.execute("ROLLBACK")
            raise
        prune_snapshots(self, snap)  # older versions' arrays, once no new reader can pick them
        return seconds

    # -- the rest of the Store protocol (briefer.store) ------------------------
    def refresh_sentences(self, progress: Progress | None = None, wait: bool = True) -> int:
        """Sentence vectors of new or changed documents, computed once (files beside the index).
        ``wait=False`` (a reader): only if no writer holds the lock now, else nothing."""
        held = not wait and self.try_lock()
        if not wait and not held:
            return 0
        try:
            with nullcontext() if held else self.locked():
                return self.sentences().refresh(progress)
        finally:
            if held:
                self.lock.release()

    def sentences(self) -> SentenceStore:
        return SentenceStore(self, self.embedder)

    def searcher(self, embedder: Any | None) -> SnapshotSearcher:
        return SnapshotSearcher(self)

    def close(self) -> None:
        self._db.close()


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
