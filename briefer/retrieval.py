"""Stage 3: find the passages, then the sentences, that answer a question.

Hybrid retrieval: BM25 (scored by bm25s) and, when an embedder is available,
dense cosine similarity over the chunk embeddings; the two rankings are fused
with reciprocal rank fusion and re-ordered to spread the top results across
documents.  We fuse ourselves (a few lines) rather than through LlamaIndex's
``QueryFusionRetriever``, which resolves a global LLM (OpenAI by default) even
when it does not need one.

Search runs on a *snapshot*: the arrays of one index version (chunk offsets,
the BM25 term-document matrix in bm25s's CSC layout, the embedding matrix)
saved as ``.npy`` files in ``snap-v<version>/`` and memory-mapped, so opening
a 100k-chunk index reads no chunk text and costs milliseconds.  A new version's
snapshot is derived from the previous one: rows of removed or changed
documents are dropped and the new chunks' postings merged in, all vectorised
numpy over the stored term counts -- no re-tokenising, and none of bm25s's
per-document Python loops, which made a full rebuild after every change cost
seconds at 100k chunks.  The weights are exactly bm25s's (method "lucene");
``tests/test_retrieval.py`` checks them against ``bm25s.BM25.index``.

Evidence is picked at *sentence* level inside the retrieved passages: the
memo cites a sentence, not a 160-word chunk, so an analyst can check a claim
at a glance and the verifier compares a claim with the text it rests on.
"""

from __future__ import annotations

import json
import math
import os
import shutil
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from .errors import ConfigError, IndexError_
from .index import STOPWORDS, CorpusIndex, batched, model_id, stem, terms  # noqa: F401 (re-exported)
from .schema import Passage
from .verify import sentence_spans

RRF_K = 60
CANDIDATES = 50
MAX_PER_DOCUMENT = 2
MIN_SENTENCE_WORDS = 5
MODES = ("hybrid", "bm25", "dense")
K1, B = 1.5, 0.75  # bm25s defaults
SNAP_PREFIX = "snap-v"
_ARRAYS = ("ids", "doc", "start", "end", "dl", "indptr", "rows", "tf", "data")
_MMAP_MIN_BYTES = 1 << 20  # smaller arrays are simply read


@dataclass(frozen=True)
class Candidate:
    """An evidence sentence before it gets a citation key."""

    document: str
    title: str
    start: int
    end: int
    text: str
    score: float


# ----------------------------------------------------------------------------- snapshots
class Snapshot:
    """The search arrays of one index version, memory-mapped from ``snap-v<N>/``."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self.manifest = json.loads((path / "manifest.json").read_text(encoding="utf-8"))
        a = {name: _load(path / f"{name}.npy") for name in _ARRAYS}
        n, vocab = self.manifest["chunks"], self.manifest["vocab"]
        if any(len(a[x]) != n for x in ("ids", "doc", "start", "end", "dl")) or len(a["indptr"]) != vocab + 1 \
                or not len(a["rows"]) == len(a["tf"]) == len(a["data"]) == int(a["indptr"][-1]):
            raise ValueError(f"inconsistent snapshot {path}")
        self.a = a
        self.vecs = _load(path / "vecs.npy") if self.manifest["dense"] else None
        if self.vecs is not None and self.vecs.shape[0] != n:
            raise ValueError(f"inconsistent snapshot {path}")

    @property
    def n(self) -> int:
        return int(self.manifest["chunks"])

    @property
    def docs(self) -> list[str]:
        return self.manifest["docs"]


def _load(path: Path) -> np.ndarray:
    return np.load(path, mmap_mode="r" if path.stat().st_size >= _MMAP_MIN_BYTES else None)


def snapshot_path(index: CorpusIndex, version: int | None = None) -> Path:
    return index.root / f"{SNAP_PREFIX}{index.version if version is None else version}"


def _try_load(path: Path) -> Snapshot | None:
    try:
        return Snapshot(path)
    except (OSError, ValueError, KeyError, EOFError):
        return None


def ensure_snapshot(index: CorpusIndex) -> Snapshot:
    """The snapshot of the index's current version, derived from the newest older one if needed.

    The caller holds the index lock.  Written to a temporary folder and renamed,
    so a reader never sees half a snapshot; older versions are removed (a
    process still searching one keeps its memory-mapped files until it closes)."""
    target = snapshot_path(index)
    snap = _try_load(target)
    if snap is not None:
        return snap
    base = None
    older = sorted((p for p in index.root.glob(f"{SNAP_PREFIX}*") if p.name[len(SNAP_PREFIX):].isdigit()),
                   key=lambda p: -int(p.name[len(SNAP_PREFIX):]))
    for path in older:
        if path != target and (base := _try_load(path)) is not None:
            break
    arrays, vecs, manifest = _build(index, base)
    tmp = target.with_name(f"{target.name}.tmp")
    shutil.rmtree(tmp, ignore_errors=True)
    shutil.rmtree(target, ignore_errors=True)
    try:
        tmp.mkdir()
        for name, arr in arrays.items():
            np.save(tmp / f"{name}.npy", arr)
        if vecs is not None:
            np.save(tmp / "vecs.npy", vecs)
        (tmp / "manifest.json").write_text(json.dumps(manifest), encoding="utf-8")
        os.rename(tmp, target)
    except OSError as exc:
        shutil.rmtree(tmp, ignore_errors=True)
        raise IndexError_(f"Cannot write the search snapshot in {index.root}: {exc.strerror or exc}. "
                          "Free some disk space or set BRIEFER_HOME to a writable folder.") from None
    for path in index.root.glob(f"{SNAP_PREFIX}*"):
        if path != target:
            shutil.rmtree(path, ignore_errors=True)
    return Snapshot(target)


def _build(index: CorpusIndex, base: Snapshot | None) -> tuple[dict[str, np.ndarray], np.ndarray | None, dict]:
    """Arrays for the current version: ``base`` minus gone documents plus new ones."""
    db = index.db
    docs = db.execute("SELECT path, sha256, title FROM documents ORDER BY path").fetchall()
    model = index.meta("embed_model")
    if base is not None and model and index.embedder is not None and (base.vecs is None or base.manifest["embed_model"] != model):
        base = None  # vectors of a new model, or newly complete: build from scratch (rare; follows an embedding pass)
    current = {p: sha for p, sha, _ in docs}
    doc_no = {p: i for i, (p, _, _) in enumerate(docs)}
    if base is not None:
        keep_doc = np.array([current.get(p) == s for p, s in zip(base.docs, base.manifest["shas"])], dtype=bool)
        remap = np.array([doc_no.get(p, -1) for p in base.docs], dtype=np.int32)
        keep = keep_doc[base.a["doc"]] if len(keep_doc) else np.zeros(0, dtype=bool)
        kept_paths = {p for p, k in zip(base.docs, keep_doc) if k}
    else:
        keep, remap, kept_paths = np.zeros(0, dtype=bool), np.zeros(0, dtype=np.int32), set()
    select = ("SELECT c.id, c.path, c.start, c.end, c.n_terms, c.tids, c.tfs, e.vec FROM chunks c "
              "LEFT JOIN embeddings e ON e.hash = c.hash AND e.model = ?")
    new_paths = [p for p, _, _ in docs if p not in kept_paths]
    if base is None:
        rows = db.execute(select + " ORDER BY c.path, c.start", (model,)).fetchall()
    else:
        rows = []
        for part in batched(new_paths):
            marks = ",".join("?" * len(part))
            rows += db.execute(select + f" WHERE c.path IN ({marks}) ORDER BY c.path, c.start", [model, *part]).fetchall()
    n_kept = int(keep.sum())
    a: dict[str, np.ndarray] = {}
    b = base.a if base is not None else None

    def column(name: str, values: list, dtype: Any) -> np.ndarray:
        old = np.asarray(b[name])[keep] if b is not None else np.zeros(0, dtype=dtype)
        return np.concatenate([old.astype(dtype), np.array(values, dtype=dtype)])

    a["ids"] = column("ids", [r[0] for r in rows], "S16")
    a["doc"] = np.concatenate([remap[np.asarray(b["doc"])[keep]] if b is not None else np.zeros(0, np.int32),
                               np.array([doc_no[r[1]] for r in rows], dtype=np.int32)])
    a["start"] = column("start", [r[2] for r in rows], np.int64)
    a["end"] = column("end", [r[3] for r in rows], np.int64)
    a["dl"] = column("dl", [r[4] for r in rows], np.int32)
    a["indptr"], a["rows"], a["tf"] = _merge_postings(b, keep, n_kept, rows, index.vocab_size())
    a["data"] = _weights(a["indptr"], a["rows"], a["tf"], a["dl"])
    vecs = _vectors(base, keep, rows)
    manifest = {"format": 1, "version": index.version, "chunks": len(a["ids"]), "vocab": len(a["indptr"]) - 1,
                "docs": [p for p, _, _ in docs], "titles": [t for _, _, t in docs], "shas": [s for _, s, _ in docs],
                "embed_model": model, "dense": vecs is not None, "k1": K1, "b": B}
    return a, vecs, manifest


def _merge_postings(b: dict | None, keep: np.ndarray, n_kept: int, rows: list, vocab: int) -> tuple[np.ndarray, ...]:
    """CSC postings (term -> chunk rows, term counts): the kept old ones and the new chunks', merged by term."""
    if b is not None:
        indptr_b, rows_b, tf_b = (np.asarray(b[x]) for x in ("indptr", "rows", "tf"))
        counts_a = np.diff(indptr_b)
        if n_kept == len(keep):
            rows_a, tf_a = rows_b, tf_b
        else:  # drop the postings of gone rows and renumber the rest
            keep_el = keep[rows_b]
            col_of = np.repeat(np.arange(len(counts_a), dtype=np.int32), counts_a)
            rows_a = (np.cumsum(keep, dtype=np.int32) - 1)[rows_b[keep_el]]
            tf_a, counts_a = tf_b[keep_el], np.bincount(col_of[keep_el], minlength=len(counts_a))
    else:
        rows_a, tf_a, counts_a = np.zeros(0, np.int32), np.zeros(0, np.uint16), np.zeros(0, np.int64)
    cols_n = np.frombuffer(b"".join(r[5] for r in rows), dtype="<u4").astype(np.int32)
    tf_n = np.frombuffer(b"".join(r[6] for r in rows), dtype="<u2")
    lens = np.array([len(r[5]) // 4 for r in rows], dtype=np.int64)
    rows_n = n_kept + np.repeat(np.arange(len(rows), dtype=np.int32), lens)
    order = np.argsort(cols_n, kind="stable")
    cols_n, rows_n, tf_n = cols_n[order], rows_n[order], tf_n[order]
    width = max(vocab, len(counts_a), int(cols_n.max()) + 1 if len(cols_n) else 0)
    counts_a = np.pad(counts_a, (0, width - len(counts_a)))
    counts_n = np.bincount(cols_n, minlength=width)
    indptr = np.zeros(width + 1, dtype=np.int64)
    np.cumsum(counts_a + counts_n, out=indptr[1:])
    start_a = np.concatenate([[0], np.cumsum(counts_a)[:-1]]) if width else np.zeros(0, np.int64)
    start_n = np.concatenate([[0], np.cumsum(counts_n)[:-1]]) if width else np.zeros(0, np.int64)
    pos_a = np.arange(len(rows_a)) + np.repeat(indptr[:-1] - start_a, counts_a)  # old postings first in each term
    pos_n = np.arange(len(rows_n)) + np.repeat(indptr[:-1] + counts_a - start_n, counts_n)
    out_rows = np.empty(indptr[-1], dtype=np.int32)
    out_tf = np.empty(indptr[-1], dtype=np.uint16)
    out_rows[pos_a], out_tf[pos_a] = rows_a, tf_a
    out_rows[pos_n], out_tf[pos_n] = rows_n, tf_n
    return indptr, out_rows, out_tf


def _weights(indptr: np.ndarray, rows: np.ndarray, tf: np.ndarray, dl: np.ndarray) -> np.ndarray:
    """bm25s's "lucene" BM25 weight of every posting: idf(term) * tf / (tf + k1 (1 - b + b dl/avgdl))."""
    n = len(dl)
    if not len(rows):
        return np.zeros(0, dtype=np.float32)
    df = np.diff(indptr)
    idf = np.log1p((n - df + 0.5) / (df + 0.5)).astype(np.float32)
    avgdl = float(dl.mean()) or 1.0
    norm = (K1 * (1 - B + B * dl.astype(np.float64) / avgdl)).astype(np.float32)
    tf32 = tf.astype(np.float32)
    return np.repeat(idf, df) * (tf32 / (norm[rows] + tf32))


def _vectors(base: Snapshot | None, keep: np.ndarray, rows: list) -> np.ndarray | None:
    """The embedding matrix when every chunk has a vector of the index's model, else None (BM25 only)."""
    blobs = [r[7] for r in rows]
    if any(v is None for v in blobs):
        return None
    new = np.frombuffer(b"".join(blobs), dtype=np.float32)
    if base is None:
        return new.reshape(len(rows), -1) if rows else None
    if base.vecs is None:
        return None if base.n or not rows else new.reshape(len(rows), -1)
    dim = base.vecs.shape[1]
    if new.size != len(rows) * dim:
        return None
    return np.concatenate([np.asarray(base.vecs)[keep], new.reshape(len(rows), dim)])


def load_snapshot(index: CorpusIndex) -> Snapshot:
    """The current version's snapshot; built (under the index lock) if missing or damaged."""
    snap = _try_load(snapshot_path(index))
    if snap is not None:
        return snap
    with index.locked():
        return ensure_snapshot(index)


# ----------------------------------------------------------------------------- search
class Retriever:
    """Search one ``CorpusIndex``; built once per run and reused for every question."""

    def __init__(self, index: CorpusIndex, embedder: Any | None = None) -> None:
        import bm25s

        self.index = index
        self.embedder = embedder
        self.snap = load_snapshot(index)
        a = self.snap.a
        self._bm25 = bm25s.BM25(k1=K1, b=B, method="lucene")
        self._bm25.scores = {"data": a["data"], "indices": a["rows"], "indptr": a["indptr"], "num_docs": self.snap.n}
        self._bm25.nonoccurrence_array = None
        self._docs = self.snap.docs
        self._titles = self.snap.manifest["titles"]
        self._shas = self.snap.manifest["shas"]
        self._texts: dict[int, str] = {}
        self._dense_ok = (self.snap.vecs is not None and embedder is not None
                          and model_id(embedder) == self.snap.manifest["embed_model"])

    @property
    def dense(self) -> bool:
        return self._dense_ok

    def doc_text(self, path: str) -> str:
        return self._doc_text(self._docs.index(path))

    def _doc_text(self, doc: int) -> str:
        if doc not in self._texts:
            d = self.index.document(self._docs[doc])
            if d.sha256 != self._shas[doc]:
                raise IndexError_(f"The index changed while searching ({d.path} was re-indexed); run the command again.")
            self._texts[doc] = d.text
        return self._texts[doc]

    def _bm25_ranking(self, query: str, n: int) -> list[tuple[int, float]]:
        vocab = len(self.snap.a["indptr"]) - 1
        ids = sorted(i for i in self.index.term_ids(terms(query)).values() if i < vocab)
        if not ids or self.snap.n == 0:
            return []
        scores = self._bm25.get_scores_from_ids(ids)
        return _top(scores, n, positive=True)

    def _dense_ranking(self, query: str, n: int, query_vector: np.ndarray | None) -> list[tuple[int, float]]:
        if query_vector is None:
            query_vector = self.embedder.embed([query])[0]
        return _top(_dot(self.snap.vecs, np.asarray(query_vector, dtype=np.float32)), n)

    def search(self, query: str, k: int = 5, mode: str = "hybrid", query_vector: np.ndarray | None = None) -> list[Passage]:
        """Top-k passages; ``mode`` is "hybrid", "bm25" or "dense".

        Scores: RRF for hybrid, the BM25 score or the cosine for a single mode.
        ``query_vector`` (for benchmarks) replaces embedding the query."""
        if mode not in MODES:
            raise ConfigError(f"Unknown search mode {mode!r}; use one of {', '.join(MODES)}.")
        dense = self.snap.vecs is not None and (self._dense_ok or query_vector is not None)
        if mode == "dense" and not dense:
            raise ConfigError("Dense search needs the embedding model the index was built with; "
                              "drop --no-embeddings (or pass the same --embed-model), or use --mode bm25.")
        if self.snap.n == 0 or k < 1:
            return []
        n = max(CANDIDATES, 2 * k)
        rankings = []
        if mode in ("hybrid", "bm25"):
            rankings.append(self._bm25_ranking(query, n))
        if mode in ("hybrid", "dense") and dense:
            rankings.append(self._dense_ranking(query, n, query_vector))
        if len(rankings) == 1:
            scores = dict(rankings[0])
        else:
            scores = {}
            for ranking in rankings:
                for rank, (i, _) in enumerate(ranking):
                    scores[i] = scores.get(i, 0.0) + 1.0 / (RRF_K + rank + 1)
        ordered = sorted(scores, key=lambda i: (-scores[i], i))
        # Diversity: at most MAX_PER_DOCUMENT per document in the first pass.
        doc_of = self.snap.a["doc"]
        per_doc: dict[int, int] = {}
        first, rest = [], []
        for i in ordered:
            d = int(doc_of[i])
            per_doc[d] = per_doc.get(d, 0) + 1
            (first if per_doc[d] <= MAX_PER_DOCUMENT else rest).append(i)
        out = []
        a = self.snap.a
        for i in (first + rest)[:k]:
            d, start, end = int(doc_of[i]), int(a["start"][i]), int(a["end"][i])
            out.append(Passage(a["ids"][i].decode(), self._docs[d], self._titles[d] or self._docs[d], start, end,
                               self._doc_text(d)[start:end], scores[i]))
        return out

    def candidates(self, question: str, k_passages: int, n_sentences: int) -> list[Candidate]:
        """The best evidence sentences for ``question`` inside its top passages."""
        passages = self.search(question, k_passages)
        q_terms = set(terms(question))
        pool: dict[tuple[str, int], Candidate] = {}
        for rank, passage in enumerate(passages):
            for s, e in sentence_spans(passage.text):
                text = passage.text[s:e]
                words = terms(text)
                if len(text.split()) < MIN_SENTENCE_WORDS:
                    continue
                hits = q_terms.intersection(words)
                lexical = sum(1.0 / math.log(2 + len(w)) * len(w) for w in hits) / (1 + len(q_terms))
                score = lexical + 0.5 / (rank + 1)
                key = (passage.document, passage.start + s)
                if key not in pool or pool[key].score < score:
                    pool[key] = Candidate(passage.document, passage.title, passage.start + s, passage.start + e, text, score)
        ranked = sorted(pool.values(), key=lambda c: (-c.score, c.document, c.start))
        return ranked[:n_sentences]


def _dot(matrix: np.ndarray, vector: np.ndarray) -> np.ndarray:
    """Row-wise dot products without BLAS: a matrix-vector product is memory-bound,
    and OpenBLAS's worker threads made it 10x slower and erratic on a busy 2-core
    machine (a descheduled worker stalls the call)."""
    vecdot = getattr(np, "vecdot", None)  # numpy >= 2.0
    return vecdot(matrix, vector) if vecdot else np.einsum("ij,j->i", matrix, vector)


def _top(scores: np.ndarray, n: int, positive: bool = False) -> list[tuple[int, float]]:
    """The ``n`` best (row, score) pairs, best first (ties by row, so results are stable)."""
    n = min(n, len(scores))
    if n == 0:
        return []
    top = np.argpartition(-scores, n - 1)[:n]
    top = top[np.lexsort((top, -scores[top]))]
    return [(int(i), float(scores[i])) for i in top if not positive or scores[i] > 0]
