"""One snapshot's memory-mapped arrays, and the BM25 and cosine scores search reads off them.

Why apart from :mod:`briefer.snapshot`: that module decides when and how a
version's arrays are written (full build, delta, compaction, pruning); this
one only opens a published folder and scores over it, so a reader needs
nothing of the writing side.  The layout and the BM25 variant are described
in :mod:`briefer.snapshot`.
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np

from .store import B, K1

_MMAP_MIN_BYTES = 1 << 20  # smaller arrays are simply read
_SLOT_ARRAYS = ("ids", "doc", "start", "end", "dl")


def _load(path: Path) -> np.ndarray:
    return np.load(path, mmap_mode="r" if path.stat().st_size >= _MMAP_MIN_BYTES else None)


class Segment:
    """Postings (and vectors) of a contiguous range of slots."""

    def __init__(self, path: Path, prefix: str = "", vectors: bool = False) -> None:
        self.path = path
        self.indptr, self.rows, self.tf = (_load(path / f"{prefix}{x}.npy") for x in ("indptr", "rows", "tf"))
        self.vecs = _load(path / f"{prefix}vecs.npy") if vectors else None
        if not len(self.rows) == len(self.tf) == int(self.indptr[-1]):
            raise ValueError(f"inconsistent postings in {path}")

    @property
    def vocab(self) -> int:
        return len(self.indptr) - 1

    @staticmethod
    def write(folder: Path, prefix: str, postings: tuple[np.ndarray, ...], vecs: np.ndarray | None) -> None:
        for name, arr in zip(("indptr", "rows", "tf"), postings):
            np.save(folder / f"{prefix}{name}.npy", arr)
        if vecs is not None:
            np.save(folder / f"{prefix}vecs.npy", vecs)


class Snapshot:
    """One index version, ready to search: slots, main + delta segments, live-slot statistics."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self.manifest = m = json.loads((path / "manifest.json").read_text(encoding="utf-8"))
        self.slots = {name: _load(path / f"{name}.npy") for name in _SLOT_ARRAYS}
        if any(len(a) != m["slots"] for a in self.slots.values()):
            raise ValueError(f"inconsistent snapshot {path}")
        self.main = Segment(path.parent / m["main"], vectors=m["dense"])
        self.delta = Segment(path, "d_", vectors=m["dense"])
        if m["dense"] and (len(self.main.vecs) != m["main_slots"] or len(self.delta.vecs) != m["slots"] - m["main_slots"]):
            raise ValueError(f"inconsistent vectors in {path}")
        self.live = np.asarray(self.slots["doc"]) >= 0
        self.n = int(self.live.sum())
        self.has_dead = self.n < m["slots"]
        dl = np.asarray(self.slots["dl"], dtype=np.float64)
        avgdl = float(dl[self.live].mean()) if self.n else 1.0
        self.norm = (K1 * (1 - B + B * dl / (avgdl or 1.0))).astype(np.float32)

    @property
    def docs(self) -> list[str]:
        return self.manifest["docs"]

    @property
    def dense(self) -> bool:
        return bool(self.manifest["dense"])

    @property
    def dim(self) -> int:
        return int(self.main.vecs.shape[1] if len(self.main.vecs) else self.delta.vecs.shape[1]) if self.dense else 0

    @property
    def vocab(self) -> int:
        return max(self.main.vocab, self.delta.vocab)

    def bm25(self, term_ids: list[int]) -> np.ndarray:
        """BM25 score of every slot (dead slots score 0) for a query's distinct term ids."""
        scores = np.zeros(self.manifest["slots"], dtype=np.float32)
        for t in term_ids:
            parts = [(seg.rows[seg.indptr[t]:seg.indptr[t + 1]], seg.tf[seg.indptr[t]:seg.indptr[t + 1]])
                     for seg in (self.main, self.delta) if t < seg.vocab]
            rows = np.concatenate([p[0] for p in parts]) if parts else np.zeros(0, np.int32)
            tf = np.concatenate([p[1] for p in parts]).astype(np.float32) if parts else np.zeros(0, np.float32)
            if self.has_dead:
                alive = self.live[rows]
                rows, tf = rows[alive], tf[alive]
            if not len(rows):
                continue
            idf = np.float32(np.log1p((self.n - len(rows) + 0.5) / (len(rows) + 0.5)))
            scores[rows] += idf * (tf / (self.norm[rows] + tf))  # a term occurs once per slot: no duplicates
        return scores

    def dense_scores(self, query_vector: np.ndarray) -> np.ndarray:
        """Cosine of every slot with a unit query vector (dead slots -inf)."""
        sims = np.concatenate([_dot(self.main.vecs, query_vector), _dot(self.delta.vecs, query_vector)])
        if self.has_dead:
            sims[~self.live] = -np.inf
        return sims


def _dot(matrix: np.ndarray, vector: np.ndarray) -> np.ndarray:
    """Row-wise dot products without BLAS: a matrix-vector product is memory-bound,
    and OpenBLAS's worker threads made it 10x slower and erratic on a busy 2-core
    machine (a descheduled worker stalls the call)."""
    if not len(matrix):
        return np.zeros(0, dtype=np.float32)
    vecdot = getattr(np, "vecdot", None)  # numpy >= 2.0
    return vecdot(matrix, vector) if vecdot else np.einsum("ij,j->i", matrix, vector)

