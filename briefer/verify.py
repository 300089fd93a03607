"""Section-level verification: only sentences their cited text supports reach the memo.

``claims.py`` judges one sentence against the texts it cites.  This module
makes the decisions about a whole section on top of that: which evidence a
model sentence should cite when its own keys are wrong (:func:`best_support`),
which repeats to drop, and which evidence sentences to quote verbatim when the
model said too little (:func:`verify_section`).  Whether the evidence addresses
the question at all, or the memo must refuse, is ``relevance.py``'s.
"""

from __future__ import annotations

import dataclasses
import itertools
import re
from dataclasses import dataclass
from typing import Callable, Sequence

from briefer.claims import (
    MEMBER_MIN,
    SUPPORTED,
    UNSUPPORTED,
    check_sentence,
    check_sentence_sources,
    strip_markers,
)
from briefer.claims_analysis import analyse
from briefer.meaning import strays
from briefer.quoting import quote_instead
from briefer.relevance import FRAME, extraction_order, topics
from briefer.textanalysis import split_sentences
from briefer.textclean import evidence_problem
from briefer.schema import CheckResult, Evidence

ORIGIN_MODEL = "model"
ORIGIN_EXTRACTED = "extracted"

NEAR_DUPLICATE = 0.8  # share of the shorter sentence's words: the same claim again
_PAIR_POOL = 8  # candidates combined in best_support (28 pairs)


@dataclass
class VerifiedSentence:
    """One memo sentence after verification, ready for rendering/review."""

    text: str
    citations: list[str]  # evidence keys
    status: str  # SUPPORTED / UNSUPPORTED
    origin: str  # ORIGIN_MODEL / ORIGIN_EXTRACTED
    checks: dict  # CheckResult.as_dict()


def best_support(sentence: str, candidates: Sequence[Evidence],
                 max_cites: int = 2) -> tuple[list[Evidence], CheckResult]:
    """Attach citations after generation: the fewest candidates that support it.

    One supporting passage is preferred (the tightest citation); combinations
    of up to ``max_cites`` passages are tried only when none suffices alone.
    Returns ``([], unsupported result)`` when nothing supports the sentence.
    """
    cands = list({e.key: e for e in candidates if e.text.strip()}.values())
    singles = [(check_sentence(sentence, [e.text]), e) for e in cands] if max_cites > 0 else []
    good = [x for x in singles if x[0].supported]
    if good:
        result, ev = max(good, key=lambda x: (x[0].overlap, x[1].score))
        return [ev], result
    order = {e.key: i for i, e in enumerate(cands)}
    pool = sorted((x for x in singles if x[0].overlap >= MEMBER_MIN),
                  key=lambda x: x[0].overlap, reverse=True)[:_PAIR_POOL]
    for size in range(2, min(max_cites, len(pool)) + 1):
        found = []
        for combo in itertools.combinations(pool, size):
            evs = sorted((e for _, e in combo), key=lambda e: order[e.key])
            result = check_sentence(sentence, [e.text for e in evs])
            if result.supported:
                found.append((result.overlap, -len(found), result, evs))
        if found:
            _, _, result, evs = max(found)
            return evs, result
    return [], check_sentence(sentence, [])


def _near_duplicate(facts: frozenset[str], seen: Sequence[frozenset[str]]) -> bool:
    """The same claim again: most of the shorter one's facts are in the other."""
    return any(len(facts & other) >= NEAR_DUPLICATE * min(len(facts), len(other))
               and (facts & other or facts == other) for other in seen)


def restates_question(sentence: str, question: str) -> bool:
    """A sentence that adds fewer than two content words to the question's own says nothing new.

    "The new rule restricts frontier model weights" under the question "What does
    the new rule restrict about frontier model weights?" passes every support
    check and briefs no one.  Numbers count as content: "… rose to 145%" is news.
    """
    said, asked = analyse(sentence), analyse(question)
    new = topics(said) - topics(asked) - FRAME
    return len(new) < 2


# What the model may copy out of a source that is no finding: "NSF, FY 2026 Budget Request to Congress, p.
# MREFC-4." led an untuned memo's Key points.  (Not "fragment" or "table row": a short summary with
# figures, "Tariffs reached 145% in 2025.", is both by those rules.)
_NOT_A_FINDING = frozenset({"citation list", "heading", "markup", "url", "byline", "page furniture",
                            "table of contents", "boilerplate", "template placeholder"})


def verify_section(answer: Sequence[tuple[str, list[str]]], evidence: Sequence[Evidence],
                   question: str, *, keep_unsupported: bool = False, min_sentences: int = 2,
                   max_extracted: int = 4,
                   extract_from: Sequence[Evidence] | None = None,
                   already_said: Sequence[str] = (),
                   entail: Callable[[str, list[str]], bool] | None = None,
                   similarity: Callable[[str, str], float] | None = None,
                   quote_figures: int = 0, title: str = "") -> list[VerifiedSentence]:
    """Turn the model's cited sentences into a section a reader can trust.

    Each sentence is checked against what it cites; failing that, citations
    are re-attached from all evidence (small models cite the wrong key);
    failing that it is dropped, or kept flagged with ``keep_unsupported``.
    Repeats (looping generation) are dropped.  With fewer than
    ``min_sentences`` supported sentences, the evidence sentences most
    relevant to the question are quoted verbatim (origin "extracted"), adding
    at most ``max_extracted`` and stopping once the section has
    ``max(min_sentences, max_extracted)`` supported sentences; a section may
    stay short rather than be padded with sentences off the question.
    ``extract_from`` limits quoting to the section's own evidence while model
    sentences may still be checked against all of ``evidence``.  Sentences
    that restate the question (or the section ``title``: "The final scheme lists
    exemptions and discounts." under "Exemptions and discounts"), or repeat one of
    ``already_said`` (earlier sections), are dropped: a memo says each thing once.  ``entail`` (the
    optional model check, :mod:`briefer.entail`) gets the last word on a
    model sentence that passed the lexical checks.  ``similarity`` (the embedder's cosine, when
    there is one) sends a sentence that strays in meaning from its one source to the quote
    (:mod:`briefer.meaning`).
    """
    evs = list({e.key: e for e in evidence if e.text and e.text.strip()}.values())
    if not evs:
        return []
    sec = _Section(evs, {e.key: e for e in evs}, [analyse(t).facts for t in already_said],
                   f"{title}. {question}" if title else question, keep_unsupported, entail, similarity)
    for raw, keys in answer:
        _check_model_sentence(sec, strip_markers(raw or ""), keys)
    _quote_evidence(sec, question, list(extract_from or evs), min_sentences=min_sentences,
                    max_extracted=max_extracted, quote_figures=quote_figures)
    return sec.out


@dataclass
class _Section:
    """What :func:`verify_section` has decided so far, and what its checks need."""

    evs: list[Evidence]
    by_key: dict[str, Evidence]
    earlier: list[frozenset[str]]  # facts of earlier sections' sentences
    asked: str  # the section's title and question, for the restatement test
    keep_unsupported: bool
    entail: Callable[[str, list[str]], bool] | None
    similarity: Callable[[str, str], float] | None
    out: list[VerifiedSentence] = dataclasses.field(default_factory=list)
    seen: list[frozenset[str]] = dataclasses.field(default_factory=list)  # facts of ``out``, item by item


def gives_way(text: str, source: str, similarity: Callable[[str, str], float] | None) -> bool:
    """Should the one source a supported model sentence cites be shown instead, as a quote?  By
    :func:`quoting.quote_instead`'s rules, or (with an embedder) because the sentence strays in
    meaning.  The reword stage asks the same of each rewording (``reword.Checks``)."""
    return quote_instead(text, source) or (similarity is not None and strays(text, source, similarity))


def _check_model_sentence(sec: _Section, text: str, keys: list[str] | None) -> None:
    """Keep, re-cite, quote in its place, or drop one model sentence (see :func:`verify_section`)."""
    out, seen, earlier = sec.out, sec.seen, sec.earlier
    facts = analyse(text).facts
    if (not re.search(r"[^\W\d_]", text) or _near_duplicate(facts, seen + earlier)
            or restates_question(text, sec.asked) or evidence_problem(text) in _NOT_A_FINDING):
        return
    named = cited = [sec.by_key[k] for k in dict.fromkeys(keys or []) if k in sec.by_key]
    result, used = check_sentence_sources(text, [e.text for e in cited])
    if result.supported:
        cited = [cited[i] for i in used]  # drop keys that support nothing
    else:
        chosen, alt = best_support(text, sec.evs)
        if alt.supported:
            cited, result = chosen, alt
    entailed = None
    if result.supported and sec.entail is not None:
        entailed = sec.entail(text, [e.text for e in cited])
        if not entailed:
            result = dataclasses.replace(result, status=UNSUPPORTED)
    if result.supported and len(cited) == 1 and gives_way(text, cited[0].text, sec.similarity):
        _add_quote(cited[0], out, seen)
        return
    if not result.supported and not sec.keep_unsupported and _restates(text, named):
        # The model restated its one source and got it wrong: the fact it pointed at is shown
        # as the quote (a reworded "Mondays through Fridays" for "weekdays" fails the word
        # checks and lost the section its figure), if the quote is clean and new.
        if evidence_problem(named[0].text) is None and not _near_duplicate(analyse(named[0].text).facts,
                                                                          seen + earlier):
            _add_quote(named[0], out, seen)
        return
    if result.supported and len(cited) == 1 and _said_enough(cited[0], out):
        return  # a third rewording of a one-sentence source says it again, in other words
    if result.supported or sec.keep_unsupported:
        seen.append(facts)
        checks = result.as_dict() if entailed is None else {**result.as_dict(), "entailment": entailed}
        out.append(VerifiedSentence(text, [e.key for e in cited], result.status, ORIGIN_MODEL, checks))


def _quote_evidence(sec: _Section, question: str, source: list[Evidence], *, min_sentences: int,
                    max_extracted: int, quote_figures: int) -> None:
    """Quote evidence verbatim where the model said too little, or left out a figure."""
    out = sec.out
    supported = sum(v.status == SUPPORTED for v in out)
    # Enough was said: still quote up to ``quote_figures`` evidence sentences with a figure the
    # model left out (a small model skips or blurs them, and figures are what analysts need).
    figures_only = supported >= min_sentences
    if figures_only and (not quote_figures or supported == 0):  # nothing verified: nothing to add to
        return
    pool = list({e.key: e for e in source if e.text.strip()}.values())
    ranked = sorted(pool, key=lambda e: -e.score) if figures_only else extraction_order(question, pool)
    budget = quote_figures if figures_only else max_extracted
    said = {k for v in out if v.status == SUPPORTED for k in v.citations}
    # A flagged wrong sentence ("rose to 125%") must not block quoting the
    # right one ("rose to 145%"): compare with supported sentences only.
    seen = [f for f, v in zip(sec.seen, out) if v.status == SUPPORTED] + sec.earlier
    added = 0
    for e in ranked:
        if added >= budget or (not figures_only and supported >= max(min_sentences, max_extracted)):
            break
        facts = analyse(e.text).facts
        if figures_only and not analyse(e.text).numbers:
            continue
        if e.key in said or _near_duplicate(facts, seen) or evidence_problem(e.text) is not None:
            continue  # headings and fragments are not claims
        result = check_sentence(e.text, [e.text])
        if result.supported:
            seen.append(facts)
            out.append(VerifiedSentence(_as_sentence(e.text), [e.key], SUPPORTED, ORIGIN_EXTRACTED,
                                        result.as_dict()))
            added, supported = added + 1, supported + 1


def _as_sentence(quote: str) -> str:
    """A quote as a memo sentence: one line.  A list item is quoted with its lead-in line ("... directive:\n
    Publish ..."); the record's source keeps the exact text, the memo's sentence reads as prose."""
    return " ".join(quote.split())


def _said_enough(e: Evidence, out: Sequence[VerifiedSentence]) -> bool:
    """Does the section already hold as many model sentences citing ``e`` alone as ``e`` has sentences?

    The model restated one CRS sentence three times ("CRS provides policy experts and legal points of
    contact." / "CRS can assist with AI issues." / "To support, CRS lists policy experts ..."): each
    passed the word checks and the repeat test, and a judge rejected the second.
    """
    held = sum(v.origin == ORIGIN_MODEL and v.citations == [e.key] for v in out)
    return held >= max(1, len(split_sentences(e.text)))


def _restates(sentence: str, cited: Sequence[Evidence]) -> bool:
    """Does the sentence cite one source and share most of its words with it?  An invented
    sentence ("Tariffs hit 900% in 1850.") shares few; its source is not what it meant."""
    return len(cited) == 1 and check_sentence(sentence, [cited[0].text]).overlap >= MEMBER_MIN


def _add_quote(e: Evidence, out: list[VerifiedSentence], seen: list[frozenset[str]]) -> None:
    """Show evidence ``e`` verbatim, as a quote, unless the section already quotes it.

    A model sentence citing ``e`` alone gives way to the quote: an evidence unit of two sentences
    ("... a tug-of-war. This new rule targets ... model weights ...") whose first the model restated
    and whose second it copied kept only the first, and the memo lost the model weights.
    (``seen`` holds the facts of ``out``, item by item.)
    """
    held = next((i for i, v in enumerate(out) if v.citations == [e.key]), None)
    if held is not None and out[held].origin != ORIGIN_MODEL:
        return  # the section already quotes it
    quote = VerifiedSentence(_as_sentence(e.text), [e.key], SUPPORTED, ORIGIN_EXTRACTED,
                             check_sentence(e.text, [e.text]).as_dict())
    if held is None:
        out.append(quote)
        seen.append(analyse(e.text).facts)
    else:
        out[held], seen[held] = quote, analyse(e.text).facts
