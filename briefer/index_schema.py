"""The SQLite file of a :class:`briefer.index.CorpusIndex`: tables, connection and schema check.

Kept apart from the index class so that what lies on disk reads in one place:
the tables, the pragmas that make a commit atomic yet cheap, and the version
that decides when a file written by another briefer is dropped and rebuilt
(the index is a cache of the corpus).  The class decides when to open, lock
and write it; this module only says what the file is.
"""

from __future__ import annotations

import shutil
import sqlite3
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING

from .chunking import ANALYSIS_VERSION
from .formats import EXTRACTOR_VERSION

if TYPE_CHECKING:  # annotations only: briefer.index imports this module
    from .index import CorpusIndex

# An index with another schema is rebuilt from the corpus on open (it is a cache).  Bump
# the leading number when the tables change; the rest follows the chunking and terms()
# (bumped in briefer.chunking), since the stored chunks and term counts come from them.
SCHEMA_VERSION = f"4/{ANALYSIS_VERSION}/{EXTRACTOR_VERSION}"
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


def batched(items: list, size: int = SQL_VARS) -> Iterator[list]:
    for i in range(0, len(items), size):
        yield items[i : i + size]


def connect(db_path: Path, busy_timeout: float) -> sqlite3.Connection:
    """A connection with the pragmas every index file is used with (WAL: readers never wait for a writer)."""
    db = sqlite3.connect(db_path, isolation_level=None, check_same_thread=False, timeout=busy_timeout)
    # 16 KiB pages (new files only): a 1.5 KiB embedding row leaves less slack than in 4 KiB pages.
    db.execute("PRAGMA page_size=16384")
    db.execute("PRAGMA journal_mode=WAL")
    db.execute("PRAGMA synchronous=NORMAL")  # WAL + NORMAL: atomic and consistent, cheaper commits
    db.execute("PRAGMA journal_size_limit=67108864")  # a big build's WAL shrinks back after checkpoint
    return db


def open_schema(index: CorpusIndex) -> None:
    """Create the tables; an index written by an older briefer is rebuilt (it is a cache of the corpus)."""
    db = index.db
    tables = {r[0] for r in db.execute("SELECT name FROM sqlite_master WHERE type='table'")}
    stale = bool(tables) and ("meta" not in tables or index.meta("schema") != SCHEMA_VERSION)
    if tables and not stale:
        return
    with index.locked():
        db.execute("BEGIN IMMEDIATE")
        try:
            for table in tables if stale else ():
                db.execute(f'DROP TABLE IF EXISTS "{table}"')
            for statement in filter(str.strip, _SCHEMA.split(";")):
                db.execute(statement)
            db.execute("INSERT OR REPLACE INTO meta VALUES ('schema', ?)", (SCHEMA_VERSION,))
            db.execute("COMMIT")
        except BaseException:
            db.execute("ROLLBACK")
            raise
        for derived in index.root.glob("*-*"):  # search arrays of the old tables (bm25-v*, snap-v*, main-*)
            if derived.is_dir():
                shutil.rmtree(derived, ignore_errors=True)
