"""Stage 3: find the passages, then the sentences, that answer a question.

Hybrid retrieval: BM25 (bm25s's "lucene" formula, scored over the snapshot's
postings) and, when an embedder is available, dense cosine similarity over the
chunk embeddings; the two rankings are fused
with reciprocal rank fusion and re-ordered to spread the top results across
documents.  We fuse ourselves (a few lines) rather than through LlamaIndex's
``QueryFusionRetriever``, which resolves a global LLM (OpenAI by default) even
when it does not need one.

Ranking happens in the store (:mod:`briefer.store`: the SQLite snapshot in
memory, or SQL on PostgreSQL); this module asks a store's searcher for the top
chunks, spreads them across documents and reads the hits' text.

Evidence is picked at *sentence* level inside the retrieved passages: the
memo cites a sentence, not a 160-word chunk, so an analyst can check a claim
at a glance and the verifier compares a claim with the text it rests on.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

import numpy as np

from .textanalysis import terms
from .textanalysis import sentence_spans
from .errors import ConfigError, IndexError_
from .schema import Passage
from .store import Hit, Store, model_id

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
    """Search one store; built once per run and reused for every question."""

    def __init__(self, index: Store, embedder: Any | None = None) -> None:
        self.index = index
        self.embedder = embedder
        self.view = index.searcher(embedder)
        self._texts: dict[str, str] = {}
        self._dense_ok = bool(self.view.vectors) and embedder is not None and model_id(embedder) == self.view.vectors

    @property
    def dense(self) -> bool:
        return self._dense_ok

    def doc_text(self, path: str, sha256: str | None = None) -> str:
        """The text a hit's offsets index into; ``sha256`` checks it is the version that was ranked."""
        if path not in self._texts:
            d = self.index.document(path)
            if sha256 is not None and d.sha256 != sha256:
                raise IndexError_(f"The index changed while searching ({d.path} was re-indexed); run the command again.")
            self._texts[path] = d.text
        return self._texts[path]

    def search(self, query: str, k: int = 5, mode: str = "hybrid", query_vector: np.ndarray | None = None) -> list[Passage]:
        """Top-k passages; ``mode`` is "hybrid", "bm25" or "dense".

        Scores: RRF for hybrid, the BM25 score or the cosine for a single mode.
        ``query_vector`` (for benchmarks) replaces embedding the query."""
        if mode not in MODES:
            raise ConfigError(f"Unknown search mode {mode!r}; use one of {', '.join(MODES)}.")
        dense = bool(self.view.vectors) and (self._dense_ok or query_vector is not None)
        if mode == "dense" and not dense:
            raise ConfigError("Dense search needs the embedding model the index was built with; "
                              "drop --no-embeddings (or pass the same --embed-model), or use --mode bm25.")
        if self.view.size == 0 or k < 1:
            return []
        if mode in ("hybrid", "dense") and dense:
            if query_vector is None:
                query_vector = self.embedder.embed([query])[0]
            query_vector = np.asarray(query_vector, dtype=np.float32)
        else:
            query_vector = None
        hits = self.view.rank(query if mode != "dense" else None, query_vector, max(CANDIDATES, 2 * k))
        return [Passage(h.id, h.document, h.title, h.start, h.end, self.doc_text(h.document, h.sha256)[h.start:h.end],
                        h.score) for h in spread(hits)[:k]]

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


def spread(hits: list[Hit]) -> list[Hit]:
    """Diversity: at most MAX_PER_DOCUMENT hits per document first, then the rest, each in rank order."""
    per_doc: dict[str, int] = {}
    first, rest = [], []
    for h in hits:
        per_doc[h.document] = per_doc.get(h.document, 0) + 1
        (first if per_doc[h.document] <= MAX_PER_DOCUMENT else rest).append(h)
    return first + rest
