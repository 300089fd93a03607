"""Ranking in PostgreSQL: BM25 over full-text search, cosine over HNSW, fused in one statement.

Lexical: the chunks whose ``tsvector`` matches any query term are found
through the GIN index (``tsv @@ 'a' | 'b'``); each match is scored with
bm25s's "lucene" BM25 -- idf = ln(1 + (N - df + 0.5) / (df + 0.5)),
tf / (tf + k1 (1 - b + b dl / avgdl)) -- from the term counts its tsvector
holds (one position per occurrence) and the corpus statistics the writer
keeps.  Postgres's own ``ts_rank`` is not BM25 and would rank differently from
the embedded store; this gives the same scores (to float rounding).

Dense: ``ORDER BY vec <#> q`` (negative inner product; vectors are unit
length, so this is cosine) on the HNSW index, with ``hnsw.ef_search`` at
least the number of candidates and ``hnsw.iterative_scan = relaxed_order``
so the corpus filter cannot starve the scan; the candidates are re-sorted
exactly afterwards.

Both lists are fused by reciprocal rank fusion in SQL, exactly as
:func:`briefer.store.fuse`, ties by (document, start).
"""

from __future__ import annotations

from typing import Any

import numpy as np

from .chunking import terms
from .store import B, K1, RRF_K, Hit

MIN_EF_SEARCH, MAX_EF_SEARCH = 40, 1000  # pgvector's default and its ceiling

_LEXICAL = f"""lex AS (
    SELECT c.id, c.path, c.start, sum(q.idf * u.tf / (u.tf + {K1} * (1 - {B} + {B} * c.dl / st.avgdl))) AS score
    FROM briefer_chunks c
    CROSS JOIN st
    CROSS JOIN LATERAL (SELECT lexeme, cardinality(positions)::float8 AS tf FROM unnest(c.tsv)) u
    JOIN q ON q.term = u.lexeme
    WHERE c.corpus = %(c)s AND c.tsv @@ %(tsq)s::tsquery
    GROUP BY c.id, c.path, c.start
    ORDER BY score DESC, c.path, c.start LIMIT %(n)s)"""
_STATS = """st AS (SELECT n::float8 AS n, greatest(total::float8 / greatest(n, 1), 1e-9) AS avgdl
        FROM briefer_stats WHERE corpus = %(c)s),
    q AS (SELECT t.term, ln(1 + (st.n - t.df + 0.5) / (t.df + 0.5)) AS idf
        FROM briefer_terms t, st WHERE t.corpus = %(c)s AND t.term = ANY(%(terms)s) AND t.df > 0)"""
_DENSE = """den AS MATERIALIZED (
    SELECT c.id, c.path, c.start, -(c.vec <#> %(v)s::vector) AS score FROM briefer_chunks c
    WHERE c.corpus = %(c)s AND c.vec IS NOT NULL ORDER BY c.vec <#> %(v)s::vector LIMIT %(n)s)"""
_RANKED = "SELECT id, {score} AS score FROM {src}"
_RRF = f"1.0::float8 / ({RRF_K} + row_number() OVER (ORDER BY score DESC, path, start))"
_OUT = """SELECT c.id, c.path, coalesce(nullif(d.title, ''), c.path), d.sha256, c.start, c."end", r.score
    FROM ({ranked}) r JOIN briefer_chunks c ON c.corpus = %(c)s AND c.id = r.id
    JOIN briefer_documents d ON d.corpus = c.corpus AND d.path = c.path
    ORDER BY r.score DESC, c.path, c.start"""


def tsquery(words: list[str]) -> str:
    """``'a' | 'b'``: the query terms verbatim (no parsing, no stemming: they are briefer's own terms)."""
    return " | ".join("'" + w.replace("\\", "\\\\").replace("'", "''") + "'" for w in words)


class PgSearcher:
    """Searches one corpus of a :class:`briefer.store_pg.PgStore` (a live view: the sha256 check in
    :class:`briefer.retrieval.Retriever` catches a document re-indexed mid-run)."""

    def __init__(self, store: Any) -> None:
        self.store = store
        self.size = store.chunk_count()
        missing = store.conn.execute("SELECT EXISTS (SELECT 1 FROM briefer_chunks WHERE corpus = %s AND vec IS NULL)",
                                     (store.corpus,)).fetchone()[0]
        self.vectors = store.model if self.size and not missing else ""

    def rank(self, query: str | None, query_vector: np.ndarray | None, n: int) -> list[Hit]:
        """See :meth:`briefer.store.Searcher.rank`."""
        words = sorted(set(terms(query))) if query is not None else []
        lexical = query is not None
        dense = query_vector is not None and bool(self.vectors)
        if not (lexical or dense):
            return []
        params: dict[str, Any] = {"c": self.store.corpus, "n": n, "terms": words, "tsq": tsquery(words) or "''"}
        ctes, parts = [], []
        if lexical:
            ctes += [_STATS, _LEXICAL]
            parts.append(("lex", "score" if not dense else _RRF))
        if dense:
            ctes.append(_DENSE)
            params["v"] = np.asarray(query_vector, dtype=np.float32)
            parts.append(("den", "score" if not lexical else _RRF))
        if lexical and not words:  # nothing to match: the lexical list is empty, as in the embedded store
            ctes, parts = ([_DENSE], [("den", _RRF)]) if dense else ([], [])
            if not parts:
                return []
        ranked = " UNION ALL ".join(_RANKED.format(score=score, src=src) for src, score in parts)
        if len(parts) > 1:
            ranked = f"SELECT id, sum(score) AS score FROM ({ranked}) f GROUP BY id"
        sql = "WITH " + ",\n".join(ctes) + "\n" + _OUT.format(ranked=ranked)
        conn = self.store.conn
        with conn.transaction():
            if dense:
                conn.execute(f"SET LOCAL hnsw.ef_search = {max(MIN_EF_SEARCH, min(MAX_EF_SEARCH, n))}")
                conn.execute("SET LOCAL hnsw.iterative_scan = relaxed_order")
            rows = conn.execute(sql, params).fetchall()
        return [Hit(i, p, t, sha, s, e, float(score)) for i, p, t, sha, s, e, score in rows]
