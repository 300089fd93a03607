"""Ranking in PostgreSQL: BM25 over full-text search, cosine over HNSW, fused in one statement.

Lexical: for each query term, the chunks whose ``tsvector`` holds it are
found through the GIN index (``tsv @@ 'term'``: the index is the postings
list, so a query costs the postings of its terms, not the size of the
matching chunks), and each (chunk, term) is scored with bm25s's "lucene"
BM25 -- idf = ln(1 + (N - df + 0.5) / (df + 0.5)), tf / (tf + k1 (1 - b + b
dl / avgdl)) -- from the term's count, which the tsvector holds as positions
1..tf and ``ts_rank`` reads out in C, and the corpus statistics the writer
keeps.  Postgres's own ``ts_rank`` is not BM25 and would rank differently from
the embedded store; this gives the same scores (to float rounding).

Dense: ``ORDER BY vec <#> q`` (negative inner product; vectors are unit
length, so this is cosine) on the HNSW index, with ``hnsw.ef_search`` at
least 200 and the number of candidates and ``hnsw.iterative_scan = relaxed_order``
so the corpus filter cannot starve the scan; the candidates are re-sorted
exactly afterwards.

Both lists are fused by reciprocal rank fusion in SQL, exactly as
:func:`briefer.store.fuse`, ties by (document, start).
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np

from .textanalysis import terms
from .store import B, K1, RRF_K, Hit

# ef_search: pgvector's default is 40; at 100k chunks recall of the exact top 10 went from 0.55
# to 0.75 between 40 and 200 for 3 -> 7 ms (bench/scale_bench.py); 1000 is pgvector's ceiling.
MIN_EF_SEARCH, MAX_EF_SEARCH = 200, 1000
CANDIDATE_POSTINGS = 1000  # postings the first lexical try reads (the rarest terms'), see PgSearcher.rank

# tf of a term in a chunk, from ts_rank with every weight 1 and a one-term query: with positions
# 1..tf, ts_rank = (1 + 1/2² + ... + 1/tf²) / (π²/6), which this inverts exactly for tf ≤ 256
# (and gives 0 when the chunk lacks the term).
_TF = "round(1 / (1.64493406685::float8 * (1 - ts_rank('{1,1,1,1}', c.tsv, q.tsq, 0)::float8)) - 0.5)"
_LEXICAL = f"""lex AS (SELECT c.id, c.path, c.start, (
            SELECT sum(q.idf * f.tf / (f.tf + {K1} * (1 - {B} + {B} * c.dl / %(avgdl)s::float8)))
            FROM unnest(%(tsqs)s::tsquery[], %(idfs)s::float8[]) AS q(tsq, idf) CROSS JOIN LATERAL (SELECT {_TF} AS tf) f
        ) AS score
        FROM briefer_chunks c WHERE c.corpus = %(c)s AND c.tsv @@ %(match)s::tsquery
        ORDER BY score DESC, c.path, c.start LIMIT %(n)s)"""
_DENSE = """den AS MATERIALIZED (
    SELECT c.id, c.path, c.start, -(c.vec <#> %(v)s::vector) AS score FROM briefer_chunks c
    WHERE c.corpus = %(c)s AND c.vec IS NOT NULL ORDER BY c.vec <#> %(v)s::vector LIMIT %(n)s)"""
_RANKED = "SELECT id, {score} AS score FROM {src}"
_RRF = f"1.0::float8 / ({RRF_K} + row_number() OVER (ORDER BY score DESC, path, start))"
_OUT = """SELECT c.id, c.path, coalesce(nullif(d.title, ''), c.path), d.sha256, c.start, c."end", r.score, {check}
    FROM ({ranked}) r JOIN briefer_chunks c ON c.corpus = %(c)s AND c.id = r.id
    JOIN briefer_documents d ON d.corpus = c.corpus AND d.path = c.path
    ORDER BY r.score DESC, c.path, c.start"""
_CHECK = "(SELECT count(*) FROM lex), (SELECT min(score) FROM lex)"


def tsquery(words: list[str]) -> str:
    """``'a' | 'b'``: the query terms verbatim (no parsing, no stemming: they are briefer's own terms)."""
    return " | ".join("'" + w.replace("\\", "\\\\").replace("'", "''") + "'" for w in words)


class PgSearcher:
    """Searches one corpus of a :class:`briefer.store_pg.PgStore` (a live view: the sha256 check in
    :class:`briefer.retrieval.Retriever` catches a document re-indexed mid-run)."""

    def __init__(self, store: Any) -> None:
        self.store = store
        row = store.conn.execute("SELECT n, total FROM briefer_stats WHERE corpus = %s", (store.corpus,)).fetchone()
        self.size, total = (int(row[0]), int(row[1])) if row else (0, 0)
        self.avgdl = max(total / max(self.size, 1), 1e-9)
        missing = store.conn.execute("SELECT EXISTS (SELECT 1 FROM briefer_chunks WHERE corpus = %s AND vec IS NULL)",
                                     (store.corpus,)).fetchone()[0]
        self.vectors = store.model if self.size and not missing else ""

    def _terms(self, query: str) -> list[tuple[str, float, int]]:
        """(term, idf, df) of the query's terms that occur in the corpus, rarest first."""
        words = sorted(set(terms(query)))
        rows = self.store.conn.execute("SELECT term, df FROM briefer_terms WHERE corpus = %s AND term = ANY(%s) AND df > 0",
                                       (self.store.corpus, words)).fetchall()
        found = [(t, math.log1p((self.size - df + 0.5) / (df + 0.5)), df) for t, df in rows]
        return sorted(found, key=lambda x: (-x[1], x[0]))

    def rank(self, query: str | None, query_vector: np.ndarray | None, n: int) -> list[Hit]:
        """See :meth:`briefer.store.Searcher.rank`.

        Exact BM25 top-n without reading every posting of every term (MaxScore):
        candidates are the chunks holding the rarest terms (about CANDIDATE_POSTINGS
        postings), scored with *all* the query's terms; a chunk holding none of them
        scores less than the sum of the other terms' idf, so if the n-th candidate
        beats that sum, the top n is exact.  If not, the next term joins and the
        statement runs again; a common term (idf near 0) rarely has to be read."""
        dense = query_vector is not None and bool(self.vectors)
        found = self._terms(query) if query is not None else []
        if not found and not dense:
            return []
        fused = query is not None and dense
        take = 1
        while take < len(found) and sum(df for _, _, df in found[:take + 1]) <= CANDIDATE_POSTINGS:
            take += 1
        while True:
            rows = self._run(found, take, query_vector if dense else None, n, fused)
            bound = sum(idf for _, idf, _ in found[take:])
            count, worst = (rows[0][7], rows[0][8]) if rows else (0, None)
            if take >= len(found) or (count >= n and worst is not None and worst > bound):
                return [Hit(i, p, t, sha, s, e, float(score)) for i, p, t, sha, s, e, score, *_ in rows]
            take += 1  # one term at a time: the next term is the cheapest left to read

    def _run(self, found: list, take: int, query_vector: np.ndarray | None, n: int, fused: bool) -> list[tuple]:
        """One statement: lexical top-n over the first ``take`` terms' chunks and/or dense top-n, fused."""
        params: dict[str, Any] = {"c": self.store.corpus, "n": n, "avgdl": self.avgdl}
        ctes, parts = [], []
        if found:
            params.update(tsqs=[tsquery([t]) for t, _, _ in found], idfs=[idf for _, idf, _ in found],
                          match=tsquery([t for t, _, _ in found[:take]]))
            ctes.append(_LEXICAL)
            parts.append(("lex", _RRF if fused else "score"))
        if query_vector is not None:
            ctes.append(_DENSE)
            params["v"] = np.asarray(query_vector, dtype=np.float32)
            parts.append(("den", _RRF if fused else "score"))
        ranked = " UNION ALL ".join(_RANKED.format(score=score, src=src) for src, score in parts)
        if len(parts) > 1:
            ranked = f"SELECT id, sum(score) AS score FROM ({ranked}) f GROUP BY id"
        check = _CHECK if found else "0, NULL"
        sql = "WITH " + ",\n".join(ctes) + "\n" + _OUT.format(ranked=ranked, check=check)
        conn = self.store.conn
        with conn.transaction():
            if query_vector is not None:
                conn.execute(f"SET LOCAL hnsw.ef_search = {max(MIN_EF_SEARCH, min(MAX_EF_SEARCH, n))}")
                conn.execute("SET LOCAL hnsw.iterative_scan = relaxed_order")
            return conn.execute(sql, params).fetchall()
