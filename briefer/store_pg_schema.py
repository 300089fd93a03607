"""Tables, indexes and the connection of the PostgreSQL store (:mod:`briefer.store_pg`).

Every table starts with ``briefer_`` and carries the corpus key, so one
database can hold the indexes of several corpus folders.  The vector columns
get their dimension when the first vectors arrive (HNSW needs a fixed one),
and the search indexes (GIN on the tsvector, HNSW on the vectors) are created
*after* the first load: building them once over the loaded rows is much
faster than maintaining them row by row during a bulk COPY.  A chunk row
(tsvector about 1.2 KB, vector 1.5 KB) stays whole and uncompressed in its
page (``toast_tuple_target``): BM25 reads the tsvector once per query term,
and decompressing it each time made lexical search five times slower.
"""

from __future__ import annotations

import re
from typing import Any

from .chunking import ANALYSIS_VERSION
from .errors import IndexError_
from .formats import EXTRACTOR_VERSION
from .textanalysis import SPLIT_VERSION

# Like the SQLite index, the database is a cache of the corpus: tables of another version are rebuilt.
SCHEMA_VERSION = f"pg2/{ANALYSIS_VERSION}/{EXTRACTOR_VERSION}/{SPLIT_VERSION}"
HNSW_M, HNSW_EF_CONSTRUCTION = 16, 64  # pgvector's defaults; see README "PostgreSQL" for 10M chunks
TABLES = ("briefer_meta", "briefer_documents", "briefer_chunks", "briefer_sentences", "briefer_terms", "briefer_stats")

_SCHEMA = """
CREATE TABLE IF NOT EXISTS briefer_meta (key text PRIMARY KEY, value text NOT NULL);
CREATE TABLE IF NOT EXISTS briefer_documents (corpus text, path text, sha256 text NOT NULL, title text, date text,
    format text, text text NOT NULL, PRIMARY KEY (corpus, path));
CREATE TABLE IF NOT EXISTS briefer_chunks (corpus text, path text NOT NULL, id text, start integer NOT NULL,
    "end" integer NOT NULL, hash text NOT NULL, dl integer NOT NULL, tsv tsvector NOT NULL, vec vector,
    PRIMARY KEY (corpus, id)) WITH (toast_tuple_target = 8160);
CREATE INDEX IF NOT EXISTS briefer_chunks_path ON briefer_chunks (corpus, path);
CREATE INDEX IF NOT EXISTS briefer_chunks_hash ON briefer_chunks (hash);
CREATE INDEX IF NOT EXISTS briefer_chunks_novec ON briefer_chunks (corpus) WHERE vec IS NULL;
CREATE TABLE IF NOT EXISTS briefer_sentences (corpus text, path text, n integer, start integer NOT NULL,
    "end" integer NOT NULL, hash text NOT NULL, vec vector, PRIMARY KEY (corpus, path, n));
CREATE INDEX IF NOT EXISTS briefer_sentences_hash ON briefer_sentences (hash);
CREATE INDEX IF NOT EXISTS briefer_sentences_novec ON briefer_sentences (corpus) WHERE vec IS NULL;
CREATE TABLE IF NOT EXISTS briefer_terms (corpus text, term text, df integer NOT NULL, PRIMARY KEY (corpus, term));
CREATE TABLE IF NOT EXISTS briefer_stats (corpus text PRIMARY KEY, n bigint NOT NULL, total bigint NOT NULL)
"""


def redact(url: str) -> str:
    """The URL without its password, for messages."""
    return re.sub(r"(//[^:/@]+):[^@/]*@", r"\1:***@", url)


def connect(url: str) -> Any:
    """An autocommit connection with pgvector's types registered (transactions are explicit)."""
    try:
        import psycopg
        from pgvector.psycopg import register_vector
    except ImportError:
        raise IndexError_("BRIEFER_STORE_URL names PostgreSQL but psycopg/pgvector are not installed; "
                          'run pip install "psycopg[binary]" pgvector.') from None
    try:
        conn = psycopg.connect(url, autocommit=True, connect_timeout=10)
        with conn.transaction():
            conn.execute("SELECT pg_advisory_xact_lock(hashtextextended('briefer:schema', 0))")
            conn.execute("CREATE EXTENSION IF NOT EXISTS vector")
        register_vector(conn)
    except psycopg.Error as exc:
        reason = " ".join(str(exc).split()) or type(exc).__name__
        raise IndexError_(f"Cannot use the PostgreSQL store at {redact(url)}: {reason[:200]}. "
                          "Check BRIEFER_STORE_URL and that the server runs and has pgvector.") from None
    return conn


def create_schema(conn: Any) -> None:
    """Create the tables; tables of another schema version are dropped and rebuilt (a cache of the corpus)."""
    with conn.transaction():
        conn.execute("SELECT pg_advisory_xact_lock(hashtextextended('briefer:schema', 0))")
        exists = conn.execute("SELECT to_regclass('briefer_meta') IS NOT NULL").fetchone()[0]
        version = exists and conn.execute("SELECT value FROM briefer_meta WHERE key = 'schema'").fetchone()
        if version and version[0] == SCHEMA_VERSION:
            return
        for table in TABLES if exists else ():
            conn.execute(f"DROP TABLE IF EXISTS {table}")
        for statement in filter(str.strip, _SCHEMA.split(";")):
            conn.execute(statement)
        conn.execute("INSERT INTO briefer_meta VALUES ('schema', %s)", (SCHEMA_VERSION,))


def register_model(conn: Any, model: str, dim: int) -> None:
    """Record the database's embedding model and give the vector columns its dimension (once)."""
    with conn.transaction():
        conn.execute("SELECT pg_advisory_xact_lock(hashtextextended('briefer:schema', 0))")
        if conn.execute("SELECT 1 FROM briefer_meta WHERE key = 'embed_model'").fetchone():
            return  # another run got there first; the caller re-checks the model
        for table in ("briefer_chunks", "briefer_sentences"):
            conn.execute(f"ALTER TABLE {table} ALTER COLUMN vec TYPE vector({int(dim)})")
        conn.execute("INSERT INTO briefer_meta VALUES ('embed_model', %s), ('dim', %s)", (model, str(dim)))


def ensure_search_indexes(conn: Any, loaded: int = 0) -> None:
    """GIN and HNSW indexes, when missing (after the first load; later loads maintain them).

    After a big load (``loaded`` rows) the planner's statistics are refreshed at once, so the
    next query uses the indexes instead of waiting for autovacuum to notice."""
    if loaded >= 1000:
        conn.execute("ANALYZE briefer_chunks, briefer_terms, briefer_sentences")
    with conn.transaction():  # two runs finishing their first loads at once: one builds, the other waits
        conn.execute("SELECT pg_advisory_xact_lock(hashtextextended('briefer:schema', 0))")
        conn.execute("CREATE INDEX IF NOT EXISTS briefer_chunks_tsv ON briefer_chunks USING gin (tsv)")
        if conn.execute("SELECT 1 FROM briefer_meta WHERE key = 'dim'").fetchone():
            conn.execute("SET LOCAL maintenance_work_mem = '512MB'")  # the graph built in memory: much faster
            conn.execute("CREATE INDEX IF NOT EXISTS briefer_chunks_hnsw ON briefer_chunks USING hnsw "
                         f"(vec vector_ip_ops) WITH (m = {HNSW_M}, ef_construction = {HNSW_EF_CONSTRUCTION})")
