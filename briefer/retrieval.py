"""Stage 3: find the passages, then the sentences, that answer a question.

Hybrid retrieval: BM25 (bm25s's "lucene" formula, scored over the snapshot's
postings) and, when an embedder is available, dense cosine similarity over the
chunk embeddings; the two rankings are fused
with reciprocal rank fusion and re-ordered to spread the top results across
documents.  We fuse ourselves (a few lines) rather than through LlamaIndex's
``QueryFusionRetriever``, which resolves a global LLM (OpenAI by default) even
when it does not need one.

Search runs on a :mod:`briefer.snapshot` of the index: memory-mapped arrays
with BM25 postings and the embedding matrix, so opening a 100k-chunk index
reads no chunk text, and only the hits' documents are read from the store.

Evidence is picked at *sentence* level inside the retrieved passages: the
memo cites a sentence, not a 160-word chunk, so an analyst can check a claim
at a glance and the verifier compares a claim with the text it rests on.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

import numpy as np

from .chunking import terms
from .claims import sentence_spans
from .errors import ConfigError, IndexError_
from .index import CorpusIndex, model_id
from .schema import Passage
from .snapshot import load_snapshot

RRF_K = 60
CANDIDATES = 50
MAX_PER_DOCUMENT = 2
MIN_SENTENCE_WORDS = 5
MODES = ("hybrid", "bm25", "dense")


@dataclass(frozen=True)
class Candidate:
    """An evidence sentence before it gets a citation key."""

    document: str
    title: str
    start: int
    end: int
    text: str
    score: float
    meaning: float = 0.0  # cosine to the section's questions alone (0 without an embedder)


# ----------------------------------------------------------------------------- search
class Retriever:
    """Search one ``CorpusIndex``; built once per run and reused for every question."""

    def __init__(self, index: CorpusIndex, embedder: Any | None = None) -> None:
        self.index = index
        self.embedder = embedder
        self.snap = load_snapshot(index)
        self._docs = self.snap.docs
        self._titles = self.snap.manifest["titles"]
        self._shas = self.snap.manifest["shas"]
        self._texts: dict[int, str] = {}
        self._dense_ok = (self.snap.dense and embedder is not None
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
        vocab = self.snap.vocab
        ids = sorted(i for i in self.index.term_ids(terms(query)).values() if i < vocab)
        if not ids:
            return []
        return _top(self.snap.bm25(ids), n, floor=0.0)

    def _dense_ranking(self, query: str, n: int, query_vector: np.ndarray | None) -> list[tuple[int, float]]:
        if query_vector is None:
            query_vector = self.embedder.embed([query])[0]
        return _top(self.snap.dense_scores(np.asarray(query_vector, dtype=np.float32)), n, floor=-np.inf)

    def search(self, query: str, k: int = 5, mode: str = "hybrid", query_vector: np.ndarray | None = None) -> list[Passage]:
        """Top-k passages; ``mode`` is "hybrid", "bm25" or "dense".

        Scores: RRF for hybrid, the BM25 score or the cosine for a single mode.
        ``query_vector`` (for benchmarks) replaces embedding the query."""
        if mode not in MODES:
            raise ConfigError(f"Unknown search mode {mode!r}; use one of {', '.join(MODES)}.")
        dense = self.snap.dense and (self._dense_ok or query_vector is not None)
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
        doc_of = self.snap.slots["doc"]
        per_doc: dict[int, int] = {}
        first, rest = [], []
        for i in ordered:
            d = int(doc_of[i])
            per_doc[d] = per_doc.get(d, 0) + 1
            (first if per_doc[d] <= MAX_PER_DOCUMENT else rest).append(i)
        out = []
        a = self.snap.slots
        for i in (first + rest)[:k]:
            d, start, end = int(doc_of[i]), int(a["start"][i]), int(a["end"][i])
            out.append(Passage(a["ids"][i].decode(), self._docs[d], self._titles[d] or self._docs[d], start, end,
                               self._doc_text(d)[start:end], scores[i]))
        return out

    def candidates(self, question: str, passages: list[Passage], n_sentences: int) -> list[Candidate]:
        """The best evidence sentences for ``question`` inside ``passages`` (its top ``search`` hits).

        The caller passes the hits it already has, so a question is searched (and its
        query embedded) once.
        """
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


def _top(scores: np.ndarray, n: int, floor: float) -> list[tuple[int, float]]:
    """The ``n`` best (slot, score) pairs above ``floor``, best first (ties by slot, so results are stable)."""
    n = min(n, len(scores))
    if n == 0:
        return []
    top = np.argpartition(-scores, n - 1)[:n]
    top = top[np.lexsort((top, -scores[top]))]
    return [(int(i), float(scores[i])) for i in top if scores[i] > floor]
