"""Stage 3: find the passages, then the sentences, that answer a question.

Hybrid retrieval: BM25 (bm25s) and, when an embedder is available, dense
cosine similarity over the chunk embeddings; the two rankings are fused with
reciprocal rank fusion and re-ordered to spread the top results across
documents.  We fuse ourselves (a few lines) rather than through LlamaIndex's
``QueryFusionRetriever``, which resolves a global LLM (OpenAI by default) even
when it does not need one.

Evidence is picked at *sentence* level inside the retrieved passages: the
memo cites a sentence, not a 160-word chunk, so an analyst can check a claim
at a glance and the verifier compares a claim with the text it rests on.
"""

from __future__ import annotations

import math
import re
import shutil
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from .index import CorpusIndex
from .schema import Passage
from .verify import sentence_spans

RRF_K = 60
CANDIDATES = 50
MAX_PER_DOCUMENT = 2
MIN_SENTENCE_WORDS = 5

_WORD = re.compile(r"[\w%$.-]+", re.UNICODE)
STOPWORDS = frozenset(
    "a an and are as at be been but by can could did do does for from had has have how in into is it its of on or "
    "our should so such than that the their them then there these they this those to was we were what when where "
    "which while who whom why will with would about after also any between both each more most other over same some "
    "under up very you your".split()
)


def stem(word: str) -> str:
    """A deliberately light suffix stripper, shared by BM25 and evidence scoring.

    (PyStemmer would be better; it is a compiled extra dependency for a small
    gain on short policy texts, so we keep this until measurements say otherwise.)
    """
    for suffix in ("ingly", "ings", "ing", "edly", "ied", "ies", "ed", "es", "s"):
        if word.endswith(suffix) and len(word) - len(suffix) >= 3:
            return word[: -len(suffix)]
    return word


def terms(text: str) -> list[str]:
    out = []
    for raw in _WORD.findall(text.lower()):
        word = raw.strip(".-")
        if word and word not in STOPWORDS:
            out.append(stem(word))
    return out


@dataclass(frozen=True)
class Candidate:
    """An evidence sentence before it gets a citation key."""

    document: str
    title: str
    start: int
    end: int
    text: str
    score: float


class Retriever:
    """Search one ``CorpusIndex``; built once per run and reused for every question."""

    def __init__(self, index: CorpusIndex, embedder: Any | None = None) -> None:
        import bm25s

        self.index = index
        self.embedder = embedder
        self.ids, texts = index.chunk_texts()
        self._rows = {cid: (p, s, e) for cid, p, s, e in index.chunk_rows()}
        self._titles = {p: t for p, (_, t) in index.documents().items()}
        self._docs: dict[str, str] = {}
        cache = index.root / f"bm25-v{index.version}"
        self.bm25 = None
        if self.ids:
            if (cache / "params.index.json").exists() or (cache / "params.json").exists():
                self.bm25 = bm25s.BM25.load(str(cache))
            else:
                self.bm25 = bm25s.BM25()
                self.bm25.index([terms(t) for t in texts], show_progress=False)
                self._save_bm25(cache)
        vec_ids, matrix = index.vectors() if embedder is not None else ([], None)
        self._dense_ok = matrix is not None and len(vec_ids) == len(self.ids)
        self._matrix = matrix
        self._vec_ids = vec_ids

    def _save_bm25(self, cache: Path) -> None:
        """Persist next to the index (versioned dir, written then renamed; old versions removed)."""
        tmp = cache.with_name(cache.name + ".tmp")
        shutil.rmtree(tmp, ignore_errors=True)
        try:
            self.bm25.save(str(tmp))
            tmp.rename(cache)
        except OSError:
            shutil.rmtree(tmp, ignore_errors=True)
            return
        for old in cache.parent.glob("bm25-v*"):
            if old != cache:
                shutil.rmtree(old, ignore_errors=True)

    @property
    def dense(self) -> bool:
        return self._dense_ok

    def doc_text(self, path: str) -> str:
        if path not in self._docs:
            self._docs[path] = self.index.document(path).text
        return self._docs[path]

    def _bm25_ranking(self, query: str, n: int) -> list[tuple[int, float]]:
        q = terms(query)
        if not q or self.bm25 is None:
            return []
        scores = self.bm25.get_scores(q)
        n = min(n, len(scores))
        top = np.argpartition(-scores, n - 1)[:n]
        return [(int(i), float(scores[i])) for i in sorted(top, key=lambda i: -scores[i]) if scores[i] > 0]

    def _dense_ranking(self, query: str, n: int) -> list[tuple[int, float]]:
        if not self._dense_ok:
            return []
        qv = np.asarray(self.embedder.embed([query])[0], dtype=np.float32)
        sims = self._matrix @ qv
        n = min(n, len(sims))
        top = np.argpartition(-sims, n - 1)[:n]
        return [(int(i), float(sims[i])) for i in sorted(top, key=lambda i: -sims[i])]

    def search(self, query: str, k: int = 5, mode: str = "hybrid") -> list[Passage]:
        """Top-k passages; ``mode`` is "hybrid", "bm25" or "dense"."""
        if not self.ids:
            return []
        rankings = []
        if mode in ("hybrid", "bm25"):
            rankings.append(self._bm25_ranking(query, CANDIDATES))
        if mode in ("hybrid", "dense"):
            rankings.append(self._dense_ranking(query, CANDIDATES))
        fused: dict[int, float] = {}
        for ranking in rankings:
            for rank, (i, _) in enumerate(ranking):
                fused[i] = fused.get(i, 0.0) + 1.0 / (RRF_K + rank + 1)
        ordered = sorted(fused, key=lambda i: -fused[i])
        # Diversity: at most MAX_PER_DOCUMENT per document in the first pass.
        per_doc: dict[str, int] = {}
        first, rest = [], []
        for i in ordered:
            path = self._rows[self.ids[i]][0]
            per_doc[path] = per_doc.get(path, 0) + 1
            (first if per_doc[path] <= MAX_PER_DOCUMENT else rest).append(i)
        out = []
        for i in (first + rest)[:k]:
            cid = self.ids[i]
            path, start, end = self._rows[cid]
            out.append(Passage(cid, path, self._titles.get(path, path), start, end, self.doc_text(path)[start:end], fused[i]))
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
