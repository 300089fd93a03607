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
The tables and connection are in :mod:`briefer.index_schema`, the writes of a
refresh in :mod:`briefer.index_write`.
"""

from __future__ import annotations

import sqlite3
import time
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager, nullcontext
from pathlib import Path
from typing import Any

from filelock import FileLock, Timeout

from .errors import DISK_FULL_ADVICE, DiskFull, IndexError_, disk_full, low_disk
from .index_schema import batched, connect, open_schema
from .index_write import refresh_index
from .limits import Limits
from .schema import Document
from .sentstore import SentenceStore
from .snapshot import ensure_snapshot
from .snapshot_search import SnapshotSearcher
from .store import IndexReport, Progress, corpus_key, model_id, text_hash

__all__ = ["CorpusIndex", "IndexReport", "index_dir_for", "model_id", "open_sqlite", "text_hash"]

LOCK_TIMEOUT_S = 30.0


def index_dir_for(root: Path, corpus_dir: Path) -> Path:
    return root / corpus_key(corpus_dir)


def open_sqlite(settings: Any, embedder: Any | None = None, on_wait: Callable[[str], None] | None = None) -> CorpusIndex:
    """The default store (see :func:`briefer.store.open_store`)."""
    return CorpusIndex(settings.index_root, Path(settings.corpus), embedder, lock_timeout=settings.lock_timeout,
                       limits=Limits.from_settings(settings), on_wait=on_wait)


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
        self._db = connect(self.db_path, busy_timeout)
        open_schema(self)

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
                report = refresh_index(self, progress)
                t = time.perf_counter()
                ensure_snapshot(self)  # a no-op unless the arrays are missing or damaged
                report.timings["snapshot"] = report.timings.get("snapshot", 0.0) + time.perf_counter() - t
                report.seconds += time.perf_counter() - t
                return report
        finally:
            if held:
                self.lock.release()

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
