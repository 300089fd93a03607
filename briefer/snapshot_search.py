"""Ranking over the SQLite store's snapshot: the SQLite side of :class:`briefer.store.Searcher`.

BM25 (bm25s's "lucene" formula, scored over the snapshot's postings) and
dense cosine over the embedding matrix, fused by reciprocal rank fusion
(:func:`briefer.store.fuse`).  The snapshot is memory-mapped, so opening a
100k-chunk index reads no chunk text; only the hits' documents are read later.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from .textanalysis import terms
from .snapshot import load_snapshot
from .snapshot_arrays import Snapshot
from .store import Hit, fuse


class SnapshotSearcher:
    """One snapshot version of a ``CorpusIndex``, ranked in memory."""

    def __init__(self, index: Any) -> None:
        self.index = index
        self.snap: Snapshot = load_snapshot(index)
        self.size = self.snap.n
        self.vectors = self.snap.manifest["embed_model"] if self.snap.dense else ""

    def _bm25(self, query: str, n: int) -> list[tuple[int, float]]:
        vocab = self.snap.vocab
        ids = sorted(i for i in self.index.term_ids(terms(query)).values() if i < vocab)
        if not ids:
            return []
        return top(self.snap.bm25(ids), n, floor=0.0)

    def rank(self, query: str | None, query_vector: np.ndarray | None, n: int) -> list[Hit]:
        """See :meth:`briefer.store.Searcher.rank`; ties go by slot (document, then start, in a fresh build)."""
        rankings = []
        if query is not None:
            rankings.append(self._bm25(query, n))
        if query_vector is not None and self.snap.dense:
            sims = self.snap.dense_scores(np.asarray(query_vector, dtype=np.float32))
            rankings.append(top(sims, n, floor=-np.inf))
        if not rankings:
            return []
        scores = fuse(rankings)
        a, m = self.snap.slots, self.snap.manifest
        docs, titles, shas = self.snap.docs, m["titles"], m["shas"]
        hits = []
        for i in sorted(scores, key=lambda i: (-scores[i], i)):
            d = int(a["doc"][i])
            hits.append(Hit(a["ids"][i].decode(), docs[d], titles[d] or docs[d], shas[d],
                            int(a["start"][i]), int(a["end"][i]), scores[i]))
        return hits


def top(scores: np.ndarray, n: int, floor: float) -> list[tuple[int, float]]:
    """The ``n`` best (slot, score) pairs above ``floor``, best first (ties by slot, so results are stable)."""
    n = min(n, len(scores))
    if n == 0:
        return []
    best = np.argpartition(-scores, n - 1)[:n]
    best = best[np.lexsort((best, -scores[best]))]
    return [(int(i), float(scores[i])) for i in best if scores[i] > floor]
