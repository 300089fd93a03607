"""Choosing each section's evidence sentences: by meaning, for coverage, each used once.

A memo that briefs must state what matters in the documents, not only the
sentences that repeat the question's words.  So, for every section:

1. **Gather broadly.** Every question of the section (in parts, or in the
   memo's context: :mod:`briefer.queries`), plus the section title set in the
   topic's title, is searched (hybrid BM25 + dense) for ``settings.top_k``
   passages (20); every *whole* document sentence that overlaps a hit is a
   candidate (``sentstore``), not just the chunk's slice.
2. **Score by meaning.** A candidate's relevance is the best cosine between
   its sentence embedding (computed at index time) and any of the section's
   questions, plus small terms for shared words, passage rank, specifics
   (figures, names) and novelty (the share of its words the questions lack: a
   sentence that restates the question's theme informs less than one that
   answers it).  The title query counts less: set in the topic's title it
   matches every document, and would fill "Space Force" with nuclear sentences.
   A sentence found both alone and with its antecedent is one candidate, the
   pair.  Without an embedder the lexical term alone ranks.
3. **Keep only evidence.** Headings, table rows, bylines, fragments, text
   addressed to an AI model and sentences of a near-duplicate document are
   dropped (``textclean``); a sentence that opens with "These chips…" is given
   its antecedent sentence, one that opens with a bare connective
   ("However, …") is trimmed, and the quote stays an exact slice.  A sentence that
   several documents share word for word (a publisher's footer or disclaimer) is
   dropped (:mod:`briefer.boilerplate`; a BM25 search for each pick finds its
   copies in documents no section retrieved).
4. **Fill the memo, each sentence once.** One greedy pass over all sections
   (:func:`allocate`) makes the best remaining (section, sentence) pick at
   each step: relevance relative to the section's best candidate against
   redundancy with everything already chosen (maximal marginal relevance,
   memo-wide), so a fact is stated once, in the section where it ranks
   best, and a section whose best sentences went elsewhere still fills its
   quota from what is left.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from .textanalysis import terms
from .claims_analysis import analyse
from .prompts import looks_like_instructions
from .retrieval import Candidate, Retriever
from .store import SentenceSource
from .evidence_spans import quotable, quotable_span

PASSAGES_PER_QUERY = 20  # default of Gatherer.gather; the pipeline passes settings.top_k
BOILERPLATE_SEARCH = 8  # passages searched for copies of a chosen sentence in other documents (Gatherer.copies)
MMR_LAMBDA = 0.7  # weight of relevance against redundancy
KEEP_MARGIN = 0.3  # a candidate within this much of the section's best relevance may be chosen
LEXICAL_WEIGHT = 0.25
RANK_WEIGHT = 0.05
SPECIFIC_WEIGHT = 0.04  # per number or name in the sentence, up to SPECIFIC_MAX: briefs state facts
SPECIFIC_MAX = 0.16
TITLE_DISCOUNT = 0.2  # the title query ("Overview — <topic>") matches the whole corpus; it finds, questions rank
SAME_DOCUMENT = 0.1  # redundancy added between two sentences of one document
# Per share of a sentence's words that its section's queries do not use.  Cosine to a broad
# question favours sentences that restate its theme ("The U.S. government supports a broad
# range of R&D") over those that answer it ("The requested $181.4 billion ..."); a sentence
# briefs by what it adds.  bench/evidence_coverage.py: 41/58 facts in the evidence at 0,
# 43 at 0.2 and 0.25, 45 at 0.3, 44 at 0.4 and 0.7 (no set lost a fact at 0.3).
NOVELTY_WEIGHT = 0.3


@dataclass
class Scored:
    """A candidate evidence sentence with what selection needs to know about it."""

    document: str
    title: str
    start: int
    end: int
    text: str
    relevance: float
    vec: np.ndarray | None = field(default=None, repr=False)
    per_query: tuple[float, ...] = ()  # relevance to each of the section's queries
    meaning: float = 0.0  # plain cosine to the section's questions (not its title): does it address them?
    at: float = 0.0  # where it starts in its document, as a fraction of the text

    def candidate(self) -> Candidate:
        return Candidate(self.document, self.title, self.start, self.end, self.text, self.relevance, self.meaning)


def _lexical(q_terms: set[str], words: set[str]) -> float:
    """The queries' words (stems) the sentence uses, long words counting more."""
    hits = q_terms & words
    return sum(math.log(2 + len(w)) for w in hits) / (1 + sum(math.log(2 + len(w)) for w in q_terms))


def specificity(text: str) -> float:
    """A little credit for numbers and names: "over 800 companies" briefs, "a fascinating case study" does not."""
    a = analyse(text)
    return min(SPECIFIC_MAX, SPECIFIC_WEIGHT * (len(a.numbers) + len(a.entities)))


def _novelty(q_terms: set[str], words: set[str]) -> float:
    """The share of the sentence's words (stems) that the queries do not use: what it adds to the question."""
    return len(words - q_terms) / max(1, len(words))


class Gatherer:
    """Finds and scores candidate sentences for a section's queries."""

    def __init__(self, retriever: Retriever, store: SentenceSource, embedder: Any | None,
                 skip_documents: set[str] | None = None) -> None:
        self.retriever = retriever
        self.store = store
        self.embedder = embedder if retriever.dense else None
        self.skip = skip_documents or set()
        self.injected: dict[tuple[str, int], Candidate] = {}

    def copies(self, text: str) -> set[str]:
        """The other documents that hold ``text`` word for word (stems), found by a BM25 search for it.

        :func:`briefer.boilerplate.drop_boilerplate` sees only the sections' candidates: a footer found in one report
        alone ("CRS serves as nonpartisan shared staff to congressional committees") looked
        like that report's own sentence, and the model restated it in a memo on tariffs.
        """
        norm = " ".join(terms(text))
        hits = self.retriever.search(text, BOILERPLATE_SEARCH, mode="bm25")
        return {h.document for h in hits if h.document not in self.skip and norm in " ".join(terms(h.text))}

    def gather(self, queries: Sequence[str], k: int = PASSAGES_PER_QUERY) -> tuple[list[Scored], list]:
        """Scored candidates for ``queries`` (best first) and the passages searched."""
        qvecs = self.embedder.embed(list(queries)) if self.embedder is not None else None
        q_terms = set(terms(" ".join(queries)))
        per_query_terms = [set(terms(q)) for q in queries]  # BM25-only scoring, once per section
        found: dict[tuple[str, int, int], Scored] = {}
        hits = []
        for qi, query in enumerate(queries):
            passages = self.retriever.search(query, k, query_vector=None if qvecs is None else qvecs[qi])
            hits += passages
            for rank, p in enumerate(passages):
                if p.document in self.skip:
                    continue
                self._collect(p, rank, queries, q_terms, per_query_terms, qvecs, found)
        return sorted(_absorb(found.values()), key=lambda c: (-c.relevance, c.document, c.start)), hits

    def _collect(self, passage: Any, rank: int, queries: Sequence[str], q_terms: set[str],
                 per_query_terms: list[set[str]], qvecs: np.ndarray | None,
                 found: dict[tuple[str, int, int], Scored]) -> None:
        sents = self.store.get(passage.document)
        for i in sents.overlapping(passage.start, passage.end):
            span = quotable_span(sents.text, sents.spans, int(i))
            if span is None:
                continue
            text = sents.text[span[0]:span[1]]
            if not quotable(text):
                continue
            if looks_like_instructions(text):
                self.injected.setdefault((passage.document, span[0]),
                                         Candidate(passage.document, passage.title, span[0], span[1], text, 0.0))
                continue
            vec = sents.vecs[int(i)] if sents.vecs is not None else None
            words = set(terms(text))
            bonus = RANK_WEIGHT / (rank + 1) + specificity(text) + NOVELTY_WEIGHT * _novelty(q_terms, words)
            meaning = 0.0
            if qvecs is not None and vec is not None:
                lexical = _lexical(q_terms, words)
                cosines = qvecs @ vec
                per_query = tuple(float(x) + LEXICAL_WEIGHT * lexical + bonus for x in cosines)
                meaning = float(max(cosines[:max(1, len(queries) - 1)]))  # the last query is the title
            else:  # BM25-only: the lexical share stands in for meaning
                per_query = tuple(_lexical(qt, words) + bonus for qt in per_query_terms)
            key = (passage.document, span[0], span[1])  # a sentence alone and with its antecedent differ
            if len(per_query) > 1:  # the title query finds candidates; the questions decide what answers them
                relevance = max(max(per_query[:-1]), per_query[-1] - TITLE_DISCOUNT)
                per_query = per_query[:-1]
            else:
                relevance = per_query[0]
            if key not in found or found[key].relevance < relevance:
                found[key] = Scored(passage.document, passage.title, span[0], span[1], text, relevance, vec,
                                    per_query, meaning, span[0] / max(1, len(sents.text)))


def _absorb(cands: Sequence[Scored]) -> list[Scored]:
    """A sentence found alone and inside its antecedent pair is one candidate: the pair, scored as the better.

    "X rose. This new rule targets Y." quoted whole states both; scored apart, the pair
    and the lone antecedent compete for one slot and the rule's sentence is usually lost.
    """
    by_doc: dict[str, list[Scored]] = {}
    for c in cands:
        by_doc.setdefault(c.document, []).append(c)
    out = []
    for group in by_doc.values():
        for c in group:
            outer = [o for o in group if o is not c and o.start <= c.start and c.end <= o.end]
            if outer:
                o = outer[0]
                if c.relevance > o.relevance:
                    o.relevance, o.per_query = c.relevance, tuple(map(max, zip(o.per_query, c.per_query)))
                o.meaning = max(o.meaning, c.meaning)
            else:
                out.append(c)
    return out


def _similarity(a: Scored, b: Scored) -> float:
    """Redundancy of two candidates: their meaning, plus a little for sharing a document (spread the memo)."""
    same_doc = SAME_DOCUMENT if a.document == b.document else 0.0
    if a.vec is not None and b.vec is not None:
        return float(a.vec @ b.vec) + same_doc
    wa, wb = set(terms(a.text)), set(terms(b.text))
    return len(wa & wb) / max(1, min(len(wa), len(wb))) + same_doc


def _overlaps(a: Scored, b: Scored) -> bool:
    return a.document == b.document and a.start < b.end and b.start < a.end


def allocate(per_section: list[list[Scored]], quotas: Sequence[int], lam: float = MMR_LAMBDA,
             keep_margin: float = KEEP_MARGIN) -> list[list[Scored]]:
    """Fill every section's quota memo-wide, greedily: each step makes the best remaining (section, sentence) pick.

    Relevance is relative to the section's best candidate, so a section whose questions
    the embedder matches weakly still competes; redundancy is against everything
    already chosen for the memo, so a fact stated in one section is not restated in
    another.  A sentence wanted by two sections goes to the one where it ranks better
    unless that section is full, in which case the other may take it: no section
    is left near-empty because a neighbour claimed its candidates and then had no room.
    Within a section the questions take turns: a section with two questions answers
    both, instead of five sentences on the easier one.  A candidate more than
    ``keep_margin`` below the best one the section has left is never picked: better a
    short section than padding.
    """
    pools = [list(cands) for cands in per_section]
    tops = [max((c.relevance for c in p), default=1.0) or 1.0 for p in pools]
    chosen: list[list[Scored]] = [[] for _ in per_section]
    taken: list[Scored] = []
    while True:
        best: tuple[float, int, Scored] | None = None
        for si, pool in enumerate(pools):
            if len(chosen[si]) >= quotas[si] or not pool:
                continue
            n_q = min(len(c.per_query) for c in pool) or 0
            q = len(chosen[si]) % n_q if n_q else None
            # The floor follows what this section still has or took: a neighbour may have taken its best.
            floor = max(c.relevance for c in pool + chosen[si]) - keep_margin
            for c in (c for c in pool if c.relevance >= floor):
                rel = (c.relevance if q is None else c.per_query[q]) / tops[si]
                redundancy = max((_similarity(c, d) for d in taken), default=0.0)
                gain = lam * rel - (1 - lam) * redundancy
                if best is None or gain > best[0]:
                    best = (gain, si, c)
        if best is None:
            return chosen
        _, si, pick = best
        chosen[si].append(pick)
        taken.append(pick)
        pools = [[c for c in pool if not _overlaps(c, pick) and not _same(c, pick)] for pool in pools]


def _same(a: Scored, b: Scored) -> bool:
    return a.document == b.document and a.start == b.start and a.end == b.end


def reading_order(chosen: Sequence[Scored]) -> list[Scored]:
    """A section's evidence as the model reads it: the document with the best sentence first,
    each document's sentences in their own order.

    The model writes one line per source in the order given, and its answer is capped:
    what comes last is what a long answer loses, so that should be the least relevant
    document, while sentences of one document stay in the order that makes them read.
    """
    best: dict[str, float] = {}
    for c in chosen:
        best[c.document] = max(best.get(c.document, c.relevance), c.relevance)
    return sorted(chosen, key=lambda c: (-best[c.document], c.document, c.start))
