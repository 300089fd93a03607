"""The PostgreSQL + pgvector store: one database that a team's runs share (``BRIEFER_STORE_URL``).

Same contract as the SQLite store (:mod:`briefer.store`), different engine:

- **Incremental by content hash.** Files whose sha256 is unchanged are not
  read; a changed file's old rows are deleted and its new rows inserted in the
  *same* transaction (a batch of files per transaction, rows loaded with
  COPY), so a crash leaves every file at its old or its new version, never
  missing.  Vectors are looked up by text hash before anything is embedded, so
  the unchanged passages of an edited file are not embedded again.
- **Search** (:mod:`briefer.store_pg_search`): dense on an HNSW index
  (inner product on unit vectors, the same cosine as the embedded store),
  lexical through Postgres full-text search -- a GIN index on a ``tsvector``
  of briefer's own terms finds the matching chunks, and BM25 is scored in SQL
  from the tsvector's term counts with the same formula as the snapshot --
  fused by reciprocal rank fusion in the same statement.
- **Sentences** and their vectors are rows too, written with their document.
- **One embedding model per database**: vectors of another model are refused
  (:class:`briefer.errors.EmbedderMismatch`), never mixed.
- Offsets are briefer's own (the chunker and sentence splitter are shared), so
  a citation points at the same characters whichever store produced it.

Several corpora share the tables, keyed by the same corpus key as the SQLite
index folder; a search filters on it, so HNSW scans run with
``hnsw.iterative_scan`` to still return ``k`` rows after filtering.
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import numpy as np

from .textanalysis import sentence_spans
from .errors import EmbedderMismatch, IndexError_
from .store_pg_schema import SCHEMA_VERSION, connect, create_schema, ensure_search_indexes, register_model
from .store_pg_write import Batch, TermCounts, TsvectorDumper, apply_batch, fill_missing_vectors, prepare
from .corpus import extract
from .schema import Document, Skipped
from .store import DocSentences, IndexReport, Progress, corpus_key, model_id, plan_refresh

BATCH_CHUNKS = 2000  # chunks per transaction (and per COPY) during a big load
LOCK_POLL_S = 0.2


def open_pg(settings: Any, embedder: Any | None = None, on_wait: Any = None) -> PgStore:
    """The PostgreSQL store (see :func:`briefer.store.open_store`)."""
    from .limits import Limits

    return PgStore(settings.store_url, Path(settings.corpus), embedder, lock_timeout=settings.lock_timeout,
                   limits=Limits.from_settings(settings))


class PgStore:
    """The index of one corpus folder inside a shared PostgreSQL database."""

    def __init__(self, url: str, corpus_dir: Path, embedder: Any | None = None, lock_timeout: float = 30.0,
                 limits: Any = None) -> None:
        self.url = url
        self.limits = limits  # briefer.limits.Limits: per-file bounds on what is read
        self.corpus_dir = corpus_dir
        self.corpus = corpus_key(corpus_dir)  # the same key as the SQLite index folder
        self.embedder = embedder
        self.lock_timeout = lock_timeout
        self.conn = connect(url)
        self.conn.adapters.register_dumper(TermCounts, TsvectorDumper)  # binary COPY of term counts
        create_schema(self.conn)
        self._lock_key = f"briefer:{self.corpus}"
        self._loaded = 0  # chunks written by the current refresh

    # -- reading -------------------------------------------------------------
    def meta(self, key: str, default: str = "") -> str:
        row = self.conn.execute("SELECT value FROM briefer_meta WHERE key = %s", (key,)).fetchone()
        return row[0] if row else default

    @property
    def model(self) -> str:
        """The embedding model of every vector in this database ("" before the first)."""
        return self.meta("embed_model")

    def documents(self) -> dict[str, tuple[str, str]]:
        rows = self.conn.execute("SELECT path, sha256, title FROM briefer_documents WHERE corpus = %s ORDER BY path",
                                 (self.corpus,))
        return {p: (s, t) for p, s, t in rows}

    def document(self, path: str) -> Document:
        row = self.conn.execute("SELECT path, sha256, title, date, format, text FROM briefer_documents "
                                "WHERE corpus = %s AND path = %s", (self.corpus, path)).fetchone()
        if row is None:
            raise KeyError(path)
        return Document(path=row[0], sha256=row[1], title=row[2], date=row[3], format=row[4], text=row[5])

    def chunk_count(self) -> int:
        row = self.conn.execute("SELECT n FROM briefer_stats WHERE corpus = %s", (self.corpus,)).fetchone()
        return int(row[0]) if row else 0

    # -- writing -------------------------------------------------------------
    @contextmanager
    def locked(self) -> Iterator[None]:
        """This corpus's advisory lock (session level): a second run waits, then fails in one line."""
        deadline = time.monotonic() + self.lock_timeout
        while not self.conn.execute("SELECT pg_try_advisory_lock(hashtextextended(%s, 0))", (self._lock_key,)).fetchone()[0]:
            if time.monotonic() > deadline:
                raise IndexError_(f"Another briefer run is updating the index of {self.corpus_dir} in PostgreSQL; "
                                  "wait for it to finish (or raise BRIEFER_LOCK_TIMEOUT).")
            time.sleep(LOCK_POLL_S)
        try:
            yield
        finally:
            self.conn.execute("SELECT pg_advisory_unlock(hashtextextended(%s, 0))", (self._lock_key,))

    def check_embedder(self) -> None:
        """Refuse vectors from another model than the one this database holds."""
        stored, mine = self.model, model_id(self.embedder)
        if self.embedder is not None and stored and stored != mine:
            raise EmbedderMismatch(f"The PostgreSQL index holds vectors from {stored!r}, not {mine!r}; pass the "
                                   "--embed-model it was built with, or use another database in BRIEFER_STORE_URL.")

    def refresh(self, progress: Progress | None = None, wait: bool = True) -> IndexReport:
        """Bring the index in line with the corpus folder, re-reading only changed files.
        (``wait`` is accepted for the protocol: readers never block on PostgreSQL's writers.)"""
        import psycopg

        try:
            return self._refresh(progress)
        except psycopg.Error as exc:
            reason = " ".join(str(exc).split())[:200] or type(exc).__name__
            raise IndexError_(f"The PostgreSQL index could not be updated ({reason}); every file keeps its last "
                              "complete version. Run the command again.") from None

    def _refresh(self, progress: Progress | None) -> IndexReport:
        with self.locked():
            t0 = time.perf_counter()
            self.check_embedder()
            report, todo = plan_refresh(self.corpus_dir, {p: sha for p, (sha, _) in self.documents().items()},
                                        self.limits)
            report.timings["scan"] = time.perf_counter() - t0
            self._load(todo, set(report.changed), report, progress)
            t = time.perf_counter()
            report.embedded += fill_missing_vectors(self, progress)
            report.timings["embed"] = report.timings.get("embed", 0.0) + time.perf_counter() - t
            t = time.perf_counter()
            ensure_search_indexes(self.conn, self._loaded)  # built after the first load, maintained by later ones
            report.timings["indexes"] = time.perf_counter() - t
            report.removed.sort()
            report.chunks = self.chunk_count()
            report.seconds = time.perf_counter() - t0
            return report

    def _load(self, todo: list, known: set[str], report: IndexReport, progress: Progress | None) -> None:
        """Read, chunk, embed and write the new and changed files, a batch per transaction."""
        batch = Batch(gone=list(report.removed))
        self._loaded = 0
        for i, entry in enumerate(todo, 1):
            if progress:
                progress("read", i, len(todo))
            t = time.perf_counter()
            doc = extract(entry, self.limits)
            prepared = doc if isinstance(doc, Skipped) else prepare(doc)
            report.timings["read"] = report.timings.get("read", 0.0) + time.perf_counter() - t
            if isinstance(prepared, Skipped):  # unreadable now: drop any older version from the index
                report.unreadable(prepared, entry.path in known)
                if entry.path in known:
                    batch.gone.append(entry.path)
                continue
            batch.docs.append(prepared)
            self._loaded += len(prepared.chunks)
            if batch.size >= BATCH_CHUNKS:
                report.embedded += apply_batch(self, batch, report, progress)
                batch = Batch()
        if batch.docs or batch.gone:
            report.embedded += apply_batch(self, batch, report, progress)

    def register_model(self, dim: int) -> None:
        """Bind this database to the embedder's model (first vectors ever written)."""
        register_model(self.conn, model_id(self.embedder), dim)
        self.check_embedder()

    # -- the rest of the Store protocol --------------------------------------
    def refresh_sentences(self, progress: Progress | None = None, wait: bool = True) -> int:
        """Nothing left to do: sentences are written, with their vectors, together with their document."""
        return 0

    def sentences(self) -> PgSentences:
        return PgSentences(self)

    def searcher(self, embedder: Any | None) -> Any:
        from .store_pg_search import PgSearcher

        return PgSearcher(self)

    def close(self) -> None:
        self.conn.close()


class PgSentences:
    """A document's sentence spans and vectors, read from ``briefer_sentences``."""

    def __init__(self, store: PgStore) -> None:
        self.store = store
        self._cache: dict[str, DocSentences] = {}
        mine = model_id(store.embedder)
        self._vectors = store.embedder is not None and mine == store.model

    def get(self, path: str) -> DocSentences:
        if path in self._cache:
            return self._cache[path]
        doc = self.store.document(path)
        rows = self.store.conn.cursor(binary=True).execute(
            'SELECT start, "end", vec FROM briefer_sentences WHERE corpus = %s AND path = %s ORDER BY n',
            (self.store.corpus, path)).fetchall()
        if rows:
            spans = np.array([(s, e) for s, e, _ in rows], dtype=np.int64).reshape(-1, 2)
        else:  # a document indexed before its sentences were (cannot happen today): split on the fly
            spans = np.asarray(sentence_spans(doc.text), dtype=np.int64).reshape(-1, 2)
        vecs = None
        if self._vectors and rows and all(v is not None for _, _, v in rows):
            vecs = np.stack([v.to_numpy() for _, _, v in rows]).astype(np.float32)
        found = DocSentences(path, doc.text, spans, vecs)
        self._cache[path] = found
        return found


__all__ = ["PgSentences", "PgStore", "SCHEMA_VERSION", "open_pg"]
