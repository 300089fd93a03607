"""Does a section's evidence address its question at all, or must the memo refuse?

Retrieval always returns something; these tests decide whether it is about the
question (:func:`is_relevant`: the question's names, numbers and topic words are
there) or, for a broad analyst question that names nothing, close to it in
meaning (:func:`broadly_relevant`).  :func:`topics` and :func:`question_terms`
say what a text or a question is about; ``verify.py`` uses them too, and
:func:`extraction_order` to pick which evidence to quote for which part of a
question when the model said too little.
"""

from __future__ import annotations

import math
import re
from collections import Counter
from typing import Sequence

from briefer.claims_analysis import ALIAS, Analysis, analyse, demonyms, has_number, has_token
from briefer.schema import Evidence
from briefer.textanalysis import stem, terms

# is_relevant: share of the question's content words that one evidence
# sentence must hold.  Against toy-BM25 hits from the sample corpus, 11
# on-topic questions scored >= 0.56 and 10 off-topic ones <= 0.33 (EU AI Act,
# Fed rates, Tesla batteries, ASML, ...), except "Who won the 2022 FIFA World
# Cup?" (0.50: "2022" and "world" occur) which the names test refuses.
RELEVANCE_MIN_SHARE = 0.45
# Where a compound question splits into parts, each judged on its own.
_SUBQUESTION_RE = re.compile(r"[?;]|,?\s+and\s+(?=(?:what|how|which|why|when|where|who|whom|"
                             r"whose|does|did|do|is|are|was|were)\b)", re.IGNORECASE)
# Words that frame a question rather than name its topic.
FRAME = frozenset({"say", "said", "describ", "explain", "mention", "accord", "corpu", "document",
                   "sourc", "tell", "happen", "mani", "much"})


def topics(a: Analysis) -> frozenset[str]:
    """What a text is *about*, for relevance only: "Chinese" counts as China.

    (For support the demonym stays distinct: see ``claims_analysis.ALIAS``.)
    """
    return frozenset(demonyms().get(f, f) for f in a.content) | {
        f"#{n.value:f}" for n in a.numbers}


def question_terms(question: str) -> frozenset[str]:
    """The question's topic words, without the words that only frame it ("What does the report say …")."""
    return topics(analyse(question)) - FRAME


# broadly_relevant: the best cosine between a section's question(s) and its evidence.  On our
# eval sets (bench/), 38 on-topic analyst questions scored 0.37-0.83 and the plainly unrelated
# off-corpus ones 0.21-0.27 (unemployment, vitamin D, the ECB, the FIFA World Cup); near-topic
# ones (0.46-0.68) must be refused by their names, which the evidence lacks.
BROAD_MIN_COSINE = 0.33
BROAD_MIN_LEXICAL = 0.3  # the same without an embedder: a share of the queries' words (Evidence.score)


def broadly_relevant(question: str, evidence: Sequence[Evidence], min_score: float = BROAD_MIN_COSINE) -> bool:
    """A broad analyst question ("What should Congress watch?") names nothing to match lexically.

    Such a question (every name and written-out figure it uses present in
    the evidence) is
    answered when its evidence was found by meaning: the best cosine between
    the question(s) and an evidence sentence (``Evidence.meaning``) reaches
    ``min_score`` (``BROAD_MIN_COSINE``; in BM25-only runs the lexical share
    in ``Evidence.score`` against ``BROAD_MIN_LEXICAL``).  A question that names
    a thing or a number must pass :func:`is_relevant`, so an off-corpus
    question ("What rate did the ECB set?") is still refused.
    """
    q = analyse(question)
    if not evidence:
        return False
    pooled = analyse("\n".join(e.text for e in evidence))
    if any(any(c.isdigit() for c in n.surface) and not has_number(n, pooled) for n in q.numbers):
        return False  # a specific number ("in 2019") must be there; "the two countries" need not
    if names_missing(q, pooled, [e.text for e in evidence]):
        return False  # it names something the evidence does not
    found = max(e.meaning for e in evidence) or max(e.score for e in evidence)  # cosine, else lexical share
    return found >= min_score


def is_relevant(question: str, evidence: Sequence[Evidence]) -> bool:
    """Does the evidence address the question at all (else the memo refuses)?

    Retrieval always returns *something*, and generic words ("AI", "models")
    occur everywhere in a themed corpus, so both tests must pass:

    1. The specific terms are present somewhere: every number, and at least
       half the tokens of each name/acronym run ("Xi Jinping" matches
       "President Xi"; "EU AI Act" does not match a corpus that only says
       "AI").  Names and numbers are what tie a question to a corpus.
    2. One evidence sentence holds ``RELEVANCE_MIN_SHARE`` of the question's
       content words (and at least two), so the topic words co-occur in one
       place instead of matching as scattered common words.

    A compound question ("How many firms attended, and what does it show?")
    or an enumeration ("…about traffic, bus times and air quality?") is
    relevant if the whole or any part of it passes: each part dilutes the
    other's share.
    """
    texts = [e.text for e in evidence if e.text and e.text.strip()]
    if not texts:
        return False
    pooled = analyse("\n".join(texts))
    about = [topics(analyse(t)) for t in texts]

    # Enumerations ("…about traffic, bus journey times and nitrogen dioxide?")
    # are judged item by item too: no single sentence lists every item.
    items = [p for p in re.split(r"[,;]", question) if p.strip()]
    for part in [question, *_SUBQUESTION_RE.split(question), *(items if len(items) > 1 else [])]:
        q, words = analyse(part), question_terms(part)
        # A part with one topic word leans on the rest for its subject: "... audit of FedRAMP reuse,
        # and what did it recommend?" is not about any recommendation the evidence makes.
        if not words or len(words) < 2 and part is not question:
            continue
        if not all(has_number(n, pooled) for n in q.numbers) or names_missing(q, pooled, texts):
            continue
        best = max(len(words & a) for a in about)
        if best >= min(2, len(words)) and best / len(words) >= RELEVANCE_MIN_SHARE:
            return True
    return False


def names_missing(q: Analysis, pooled: Analysis, texts: Sequence[str]) -> bool:
    """Does the question name something the evidence does not?

    At least half the tokens of each name must be there ("Xi Jinping" matches "President Xi";
    "China" matches "Chinese").  A name of three or more words must also appear with all but
    one of its words in a row, or as its acronym: "Congressional Budget Office" is not
    "Office of Management and Budget", whose words it half shares (session 29: the model
    answered a question on CBO's cost estimate from OMB's figures).
    """
    def found(token: str) -> bool:
        key = ALIAS.get(token) or stem(token)
        return has_token(token, pooled) or demonyms().get(key, key) in topics(pooled)

    runs: list[str] | None = None
    for surface, toks in q.entities:
        acronym = "".join(w[0] for w in re.findall(r"[A-Z][\w'\u2019-]*", surface)).lower()
        if len(acronym) >= 3 and acronym in pooled.words:
            continue
        if 2 * sum(map(found, toks)) < len(toks):
            return True
        name = terms(surface)
        if len(name) < 3:
            continue
        if runs is None:
            runs = [" " + " ".join(terms(t)) + " " for t in texts]
        need = len(name) - 1
        if not any(" " + " ".join(name[i:i + need]) + " " in run for i in range(len(name) - need + 1) for run in runs):
            return True
    return False


# ------------------------------------------------------------ quoting order
def _ranked_for(question: str, evs: list[Evidence]) -> list[Evidence]:
    """Evidence about one question, best first.

    Rank by the question words each sentence holds, each weighted by how rare
    it is among the evidence (in a corpus about China, "China" tells nothing),
    then by retrieval score.  Keep only sentences about the question: at least
    two of its words and half the best weight, never mere padding.
    """
    terms = question_terms(question)
    held = {e.key: terms & topics(analyse(e.text)) for e in evs}
    df = Counter(t for h in held.values() for t in h)
    weight = {e.key: sum(math.log(1 + len(evs) / df[t]) for t in held[e.key]) for e in evs}
    best, top = max(weight.values()), max(max(e.score for e in evs), 0.0) or 1.0
    pool = [e for e in evs if not terms or len(held[e.key]) >= min(2, len(terms))
            and weight[e.key] >= best / 2]

    def relevance(e: Evidence) -> float:
        return weight[e.key] / (best or 1.0) + 0.3 * max(e.score, 0.0) / top

    return sorted(pool, key=relevance, reverse=True)


def extraction_order(question: str, evs: list[Evidence]) -> list[Evidence]:
    """Interleave the best evidence for each part of a compound question.

    A section asking "How are Nvidia and AMD affected? Which chips were
    stockpiled?" should quote the best answer to each part before the second
    best answer to either.
    """
    if not evs:
        return []
    parts = [p.strip() + "?" for p in question.split("?") if p.strip()] or [question]
    rankings = [_ranked_for(p, evs) for p in parts]
    order: list[Evidence] = []
    for rank in range(max(len(r) for r in rankings)):
        for ranking in rankings:
            if rank < len(ranking) and ranking[rank] not in order:
                order.append(ranking[rank])
    return order
