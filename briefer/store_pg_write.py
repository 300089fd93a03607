"""Writing the PostgreSQL store: a batch of changed files, one transaction, rows by COPY.

A document is prepared in Python with the shared chunker, term analysis and
sentence splitter (so offsets and BM25 term counts equal the SQLite store's),
then its vectors are found: first by text hash among the vectors already in
the database (an edited file's unchanged passages, a file copied between
corpora), and only the rest are embedded.  Then one transaction deletes the
old rows of every changed or removed file and COPYs the new ones in, keeping
the BM25 statistics (document frequency per term, chunk count, total length)
in step.  Until it commits, readers see the old version; if it fails, the old
version stays.
"""

from __future__ import annotations

import struct
import time
from collections import Counter
from dataclasses import dataclass, field
from typing import Any

import numpy as np
from psycopg.adapt import Dumper
from psycopg.pq import Format

from .chunking import chunk_id, chunk_spans
from .textanalysis import terms
from .textanalysis import sentence_spans
from .schema import Document, Skipped
from .store import IndexReport, Progress, text_hash

EMBED_BATCH = 32  # texts per embedder call
CHECKPOINT_EVERY = 256  # vectors per committed update when filling in missing ones
MAX_POSITIONS = 256  # tsvector keeps at most 256 positions (= term count) per lexeme
MAX_LEXEME_BYTES = 2046  # longer words cannot be tsvector lexemes (still counted in the length)
TSVECTOR_OID = 3614  # a built-in type: its oid is fixed
CHUNK_TYPES = ["text", "text", "text", "int4", "int4", "text", "int4", "tsvector", "vector"]
SENTENCE_TYPES = ["text", "text", "int4", "int4", "int4", "text", "vector"]


@dataclass
class Prepared:
    """A document cut into chunks and sentences, ready to COPY (vectors filled in later)."""

    doc: Document
    chunks: list[tuple[str, int, int, str, int, TermCounts]]  # id, start, end, hash, length in terms, counts
    sentences: list[tuple[int, int, int, str]]  # n, start, end, hash

    def chunk_text(self, i: int) -> str:
        return self.doc.text[self.chunks[i][1]:self.chunks[i][2]]


@dataclass
class Batch:
    docs: list[Prepared] = field(default_factory=list)
    gone: list[str] = field(default_factory=list)  # removed (or now unreadable) files

    @property
    def size(self) -> int:
        return sum(len(p.chunks) for p in self.docs)


class TermCounts(dict):
    """A chunk's term -> count, written as a tsvector whose positions 1..count encode the count."""


def tsvector_binary(counts: TermCounts) -> bytes:
    """PostgreSQL's binary tsvector (``tsvectorrecv``): lexeme count, then each lexeme NUL-terminated
    with its positions.  Binary COPY: formatting 384 floats per vector as text cost more than
    everything else in a load."""
    out = [struct.pack("!i", 0)]
    n = 0
    for term, tf in counts.items():
        raw = term.encode("utf-8")
        if len(raw) > MAX_LEXEME_BYTES:
            continue
        npos = min(tf, MAX_POSITIONS)
        out.append(raw + b"\0" + struct.pack(f"!H{npos}H", npos, *range(1, npos + 1)))
        n += 1
    out[0] = struct.pack("!i", n)
    return b"".join(out)


class TsvectorDumper(Dumper):
    format = Format.BINARY
    oid = TSVECTOR_OID

    def dump(self, obj: TermCounts) -> bytes:
        return tsvector_binary(obj)


def prepare(doc: Document) -> Prepared | Skipped:
    """Chunks (with term counts) and sentences of ``doc``; Skipped if PostgreSQL cannot store its text."""
    if "\x00" in doc.text:
        return Skipped(doc.path, "contains NUL characters, which PostgreSQL text cannot hold")
    try:
        doc.text.encode("utf-8")
    except UnicodeEncodeError:
        return Skipped(doc.path, "contains characters that are not valid UTF-8")
    chunks = []
    for s, e in chunk_spans(doc.text):
        words = terms(doc.text[s:e])
        chunks.append((chunk_id(doc, s, e), s, e, text_hash(doc.text[s:e]), len(words), TermCounts(Counter(words))))
    sentences = [(n, s, e, text_hash(doc.text[s:e])) for n, (s, e) in enumerate(sentence_spans(doc.text))]
    return Prepared(doc, chunks, sentences)


# ----------------------------------------------------------------------------- vectors
def vectors_for(store: Any, table: str, want: dict[str, str], stage: str, progress: Progress | None) -> tuple[dict, int]:
    """hash -> vector for the texts in ``want``: reused from ``table`` where stored, else embedded."""
    found: dict[str, np.ndarray] = {}
    hashes = list(want)
    if hashes and store.model:
        rows = store.conn.cursor(binary=True).execute(f"SELECT DISTINCT ON (hash) hash, vec FROM {table} "
                                                      "WHERE hash = ANY(%s) AND vec IS NOT NULL", (hashes,))
        found = {h: v.to_numpy() for h, v in rows}
    todo = [h for h in hashes if h not in found]
    if store.embedder is None or not todo:
        return found, 0
    for i in range(0, len(todo), EMBED_BATCH):
        part = todo[i:i + EMBED_BATCH]
        vecs = np.asarray(store.embedder.embed([want[h] for h in part]), dtype=np.float32)
        if not store.model:
            store.register_model(vecs.shape[1])
        found.update(zip(part, vecs))
        if progress:
            progress(stage, min(i + EMBED_BATCH, len(todo)), len(todo))
    return found, len(todo)


def _vec(found: dict, h: str) -> np.ndarray | None:
    return found.get(h)


# ----------------------------------------------------------------------------- one transaction
_COUNT = """INSERT INTO briefer_stats AS s (corpus, n, total)
    SELECT %(c)s, {sign} count(*), {sign} coalesce(sum(dl), 0) FROM briefer_chunks WHERE corpus = %(c)s AND path = ANY(%(p)s)
    ON CONFLICT (corpus) DO UPDATE SET n = s.n + excluded.n, total = s.total + excluded.total"""
_DF_DOWN = """UPDATE briefer_terms t SET df = t.df - g.k FROM (SELECT u.lexeme, count(*) AS k
    FROM briefer_chunks c, unnest(c.tsv) u WHERE c.corpus = %(c)s AND c.path = ANY(%(p)s) GROUP BY u.lexeme) g
    WHERE t.corpus = %(c)s AND t.term = g.lexeme"""
_DF_UP = """INSERT INTO briefer_terms AS t (corpus, term, df) SELECT %(c)s, u.lexeme, count(*)
    FROM briefer_chunks c, unnest(c.tsv) u WHERE c.corpus = %(c)s AND c.path = ANY(%(p)s) GROUP BY u.lexeme
    ON CONFLICT (corpus, term) DO UPDATE SET df = t.df + excluded.df"""


def apply_batch(store: Any, batch: Batch, report: IndexReport, progress: Progress | None) -> int:
    """Embed what is missing, then replace the batch's files in one transaction; returns texts embedded."""
    t = time.perf_counter()
    want = {c[3]: p.chunk_text(i) for p in batch.docs for i, c in enumerate(p.chunks)}
    chunk_vecs, embedded = vectors_for(store, "briefer_chunks", want, "embed", progress)
    want = {s[3]: p.doc.text[s[1]:s[2]] for p in batch.docs for s in p.sentences}
    sent_vecs, _ = vectors_for(store, "briefer_sentences", want, "sentences", progress)
    report.timings["embed"] = report.timings.get("embed", 0.0) + time.perf_counter() - t
    t = time.perf_counter()
    conn, c = store.conn, store.corpus
    paths = sorted(set(batch.gone) | {p.doc.path for p in batch.docs})
    new = {"c": c, "p": [p.doc.path for p in batch.docs]}
    with conn.transaction():
        old = {"c": c, "p": paths}
        conn.execute(_COUNT.format(sign="-"), old)
        conn.execute(_DF_DOWN, old)
        for table in ("briefer_chunks", "briefer_sentences", "briefer_documents"):
            conn.execute(f"DELETE FROM {table} WHERE corpus = %(c)s AND path = ANY(%(p)s)", old)
        with conn.cursor() as cur:
            with cur.copy("COPY briefer_documents (corpus, path, sha256, title, date, format, text) FROM STDIN") as cp:
                for p in batch.docs:
                    d = p.doc
                    cp.write_row((c, d.path, d.sha256, d.title, d.date, d.format, d.text))
            with cur.copy('COPY briefer_chunks (corpus, path, id, start, "end", hash, dl, tsv, vec) '
                          "FROM STDIN (FORMAT BINARY)") as cp:
                cp.set_types(CHUNK_TYPES)
                for p in batch.docs:
                    for cid, s, e, h, dl, tsv in p.chunks:
                        cp.write_row((c, p.doc.path, cid, s, e, h, dl, tsv, _vec(chunk_vecs, h)))
            with cur.copy('COPY briefer_sentences (corpus, path, n, start, "end", hash, vec) '
                          "FROM STDIN (FORMAT BINARY)") as cp:
                cp.set_types(SENTENCE_TYPES)
                for p in batch.docs:
                    for n, s, e, h in p.sentences:
                        cp.write_row((c, p.doc.path, n, s, e, h, _vec(sent_vecs, h)))
        conn.execute(_COUNT.format(sign="+"), new)
        conn.execute(_DF_UP, new)
    report.timings["commit"] = report.timings.get("commit", 0.0) + time.perf_counter() - t
    return embedded


# ----------------------------------------------------------------------------- missing vectors
def fill_missing_vectors(store: Any, progress: Progress | None) -> int:
    """Vectors for rows stored without one (indexed with --no-embeddings), committed in small batches."""
    if store.embedder is None:
        return 0
    done = 0
    for table, stage in (("briefer_chunks", "embed"), ("briefer_sentences", "sentences")):
        rows = store.conn.execute(f'SELECT path, start, "end", hash FROM {table} WHERE corpus = %s AND vec IS NULL',
                                  (store.corpus,)).fetchall()
        texts: dict[str, str] = {}
        want: dict[str, str] = {}
        for path, s, e, h in sorted(rows):
            if path not in texts:
                texts = {path: store.document(path).text}
            want.setdefault(h, texts[path][s:e])
        hashes = list(want)
        for i in range(0, len(hashes), CHECKPOINT_EVERY):
            part = {h: want[h] for h in hashes[i:i + CHECKPOINT_EVERY]}
            found, n = vectors_for(store, table, part, stage, None)
            done += n if table == "briefer_chunks" else 0
            with store.conn.transaction(), store.conn.cursor() as cur:
                cur.executemany(f"UPDATE {table} SET vec = %s WHERE hash = %s AND vec IS NULL",
                                [(v, h) for h, v in found.items()])
            if progress:
                progress(stage, min(i + CHECKPOINT_EVERY, len(hashes)), len(hashes))
    return done
