"""Stage 5: the model writes each section from its evidence; every sentence is verified.

One system prompt (and worked example) serves every section, so llama.cpp
reuses that prefix from its KV cache; each section then sends only its own
sources and question.  A section whose evidence was found only by meaning
(its question names nothing the evidence holds) must be answered by the
model: a refusal is honoured and nothing is quoted in its place.  The memo
opens with "Key points", the most central findings moved up from the
sections, so nothing is said twice.
"""

from __future__ import annotations

import re
import time
from collections.abc import Callable
from typing import Any

from .answer import build_messages, parse_answer
from .claims import strip_markers
from .claims_analysis import analyse
from .entail import entails
from .evidence import specificity
from .llm import ChatModel, chat_all
from .meaning import Meaning
from .schema import Evidence
from .settings import Settings
from .topics import Section, Topic
from .relevance import broadly_relevant, is_relevant
from .reword import Checks, quotes, reword_quotes
from .verify import verify_section

KEY_POINTS_TITLE = "Key points"
KEY_POINTS_MAX = 4
OWN_WORDS_BONUS = 0.1
# A Key point with a figure (an amount, a share, a date) tells the boss how much or when; the central
# sentences without one were the ones an analyst's review called vacuous ("the future of global tech
# appears increasingly divided").  Replaying Key points on reviewed memos (bench/key_points.py):
# findings 25 -> 31 of 36 (3207bc5), 29 -> 30 of 36 (3f3fb03), 1 -> 2 of 4 (the shipped memo).
FIGURE_BONUS = 0.2
QUOTE_FIGURES = 2  # evidence sentences with a figure the model left out, quoted per section
# A broad question may be answered by quoting when its evidence is this close (cosine); on our
# eval sets plainly unrelated questions scored <= 0.27 and near-topic ones 0.46-0.68 (relevance.py).
QUOTE_MIN_COSINE = 0.45


# The answer cap grows with the sources: one "KEY: fact" line per source, and the model
# often keeps a long report sentence nearly whole (40-50 tokens).  A fixed 160 tokens cut
# the answer after four or five of twelve sources, and the rest were never stated.
LINE_TOKENS = 40
MIN_ANSWER_TOKENS = 160


def answer_cap(max_tokens: int | None, sources: list[int]) -> int:
    """Tokens one section's answer may take: the analyst's ``max_tokens``, else by its sources."""
    return max_tokens or max([MIN_ANSWER_TOKENS] + [LINE_TOKENS * n for n in sources])


def _close(evidence: list[Evidence]) -> bool:
    return max((e.meaning for e in evidence), default=0.0) >= QUOTE_MIN_COSINE


class SectionWriter:
    """Asks the model section by section with one system prompt, verifies, and keeps the accounts."""

    def __init__(self, settings: Settings, model: ChatModel, system: str, pool: list[Evidence], broad_min: float,
                 embedder: Any | None = None) -> None:
        self.settings, self.model, self.system, self.pool, self.broad_min = settings, model, system, pool, broad_min
        self.meaning = Meaning(embedder) if embedder is not None else None
        self.valid = {e.key for e in pool}
        self.tokens = {"prompt_sent": 0, "prompt_evaluated": 0, "generated": 0, "copied": 0}
        self.timings = {"llm_prompt": 0.0, "llm_generation": 0.0, "verification": 0.0}
        self.said: list[dict] = []  # every kept sentence so far, memo-wide

    def _count(self, result: Any) -> None:
        self.tokens["prompt_sent"] += result.prompt_tokens
        self.tokens["prompt_evaluated"] += result.prompt_evaluated
        self.tokens["generated"] += result.completion_tokens
        self.tokens["copied"] += getattr(result, "copied", 0)
        self.timings["llm_prompt"] += result.prompt_seconds
        self.timings["llm_generation"] += result.generation_seconds

    def _entail(self) -> Callable[[str, list[str]], bool] | None:
        if not getattr(self.settings, "entailment", False):
            return None
        return lambda claim, texts: entails(self.model, texts, claim, seed=self.settings.seed)

    def answer_all(self, sections: list[Section], evidence: list[list[Evidence]],
                   progress: Callable[..., None] | None = None) -> list[dict]:
        """Every section: the model answers all of them in one call (decoded side by side where the
        backend can, ``ChatModel.chat_many``), then each is verified in memo order, so that a
        sentence already said in an earlier section is not said again."""
        plans = [self._plan(sec, ev) for sec, ev in zip(sections, evidence)]
        entries = [entry for entry, _ in plans]
        asked = [i for i, e in enumerate(entries) if e["status"] == "pending"]
        s = self.settings
        conversations = [build_messages(self.system, sections[i].question, evidence[i]) for i in asked]
        if progress and asked:
            together = len(asked) > 1 and s.batch_sections and getattr(self.model, "chat_many", None) is not None
            progress("model", message=f"writing {len(asked)} section{'s' * (len(asked) > 1)}"
                                      f"{' side by side' if together else ''}")
        cap = answer_cap(s.max_tokens, [len(evidence[i]) for i in asked])
        results = chat_all(self.model, conversations, max_tokens=cap, temperature=s.temperature, seed=s.seed,
                           together=s.batch_sections)
        answers = dict(zip(asked, zip(conversations, results)))
        for i, (sec, ev, entry) in enumerate(zip(sections, evidence, entries)):
            if progress:
                progress("section", current=i + 1, total=len(sections), title=sec.title)
            if i in answers:
                self._count(answers[i][1])
                self._finish(sec, ev, entry, plans[i][1], *answers[i])
        return entries

    def reword(self, entries: list[dict], title: str, audience: str,
               progress: Callable[..., None] | None = None) -> None:
        """Offer the model's own wording in place of each quote (:mod:`briefer.reword`).

        Kept apart from the sections' accounts (``llm_reword``, ``reword_*`` tokens): the raw
        replay's ratio (``bench/raw_replay.py``) is of the section prompts the record holds."""
        n = len(quotes(entries))
        if not n:
            return
        if progress:
            progress("model", message=f"rewording {n} quote{'s' * (n != 1)} in the memo's own words")
        t = time.perf_counter()
        s = self.settings
        results = reword_quotes(self.model, entries, {e.key: e for e in self.pool}, title=title, audience=audience,
                                checks=Checks(self.meaning, self._entail()), temperature=s.temperature, seed=s.seed,
                                together=s.batch_sections, prepare=self.meaning.prepare if self.meaning else None)
        self.timings["llm_reword"] = time.perf_counter() - t
        self.tokens.update(reword_sent=sum(r.prompt_tokens for r in results),
                           reword_evaluated=sum(r.prompt_evaluated for r in results),
                           reword_generated=sum(r.completion_tokens for r in results),
                           reworded=sum(bool(x["checks"].get("reworded")) for e in entries for x in e["sentences"]))

    def _plan(self, section: Section, evidence: list[Evidence]) -> tuple[dict, bool]:
        """The section's entry, "pending" if the model is to be asked; and whether its question names the evidence."""
        entry: dict[str, Any] = {"title": section.title, "question": section.question, "questions": list(section.questions),
                                 "evidence": [e.key for e in evidence], "status": "pending"}
        named = bool(evidence) and is_relevant(section.question, evidence)
        if not named and not (evidence and broadly_relevant(section.question, evidence, self.broad_min)):
            entry.update(status="not_covered", reason="no relevant evidence retrieved", prompt=None, model_output=None, sentences=[])
        return entry, named

    def _finish(self, section: Section, evidence: list[Evidence], entry: dict, named: bool, messages: list[dict],
                result: Any) -> None:
        t = time.perf_counter()
        parsed = parse_answer(result, self.valid)
        if parsed.refused and not named:  # found by meaning only, and the model finds no answer in it
            entry.update(status="not_covered", reason="the model found no answer in the evidence", prompt=messages,
                         model_output=result.text, model_refused=True, invalid_keys=parsed.invalid_keys, sentences=[])
            return
        own = {e.key for e in evidence}
        candidates = evidence + [e for e in self.pool if e.key not in own]
        if self.meaning is not None:  # one embedding call for the section's sentences and what they cite
            by_key = {e.key: e.text for e in candidates}
            self.meaning.prepare([strip_markers(t) for t, _ in parsed.sentences],
                                 [by_key[k] for _, keys in parsed.sentences for k in keys if k in by_key])
        verified = verify_section(parsed.sentences, candidates, section.question, keep_unsupported=self.settings.keep_unsupported,
                                  extract_from=evidence, already_said=[v["text"] for v in self.said], entail=self._entail(),
                                  similarity=self.meaning,
                                  # Found by meaning only: quote in the model's place only when the evidence is
                                  # close in meaning; else the model must answer.
                                  min_sentences=2 if named or _close(evidence) else 0,
                                  quote_figures=QUOTE_FIGURES, title=section.title)
        self.timings["verification"] += time.perf_counter() - t
        sentences = [v.__dict__ for v in verified]
        self.said += sentences
        entry.update(status="answered" if verified else "not_covered",
                     reason=None if verified else "no sentence could be supported by the sources",
                     prompt=messages, model_output=result.text, model_refused=parsed.refused,
                     invalid_keys=parsed.invalid_keys, sentences=sentences)


# A key point states what is or what was done, not what might be done or who argues what: in
# untuned memos whose title named Congress ("... what Congress needs to know") the closest sentences
# were options ("Members may consider whether to ...", "Others argue that Congress should ..."), and
# the Key points read as a list of possibilities.  They stay in their sections.
_TENTATIVE = re.compile(r"\b(?:may|might|could|should|whether|argues?|argued|advocates?|advocated|cautions?|"
                        r"cautioned|contends?|contended)\b", re.IGNORECASE)


def telling_figure(text: str) -> bool:
    """Does the sentence state a figure a boss would quote: a share, a sum of money, a year or date, a
    count of ten or more, a measure with a fraction?  "Including three case studies" and "conducted 2
    tours" count things without telling anything (the Justice40 memo led with the first for its "three")."""
    return any(n.pct or n.currency or n.value >= 10 or n.value != n.value.to_integral_value()
               for n in analyse(text).numbers)


def _tells(text: str, known: set[str]) -> bool:
    """A telling figure, or a name the memo's title and description do not already give: "China remains
    vulnerable to export controls and sanctions from the U.S." names only the memo's own subjects and
    tells a boss nothing (the shipped memo's two vacuous Key points in session 22's review)."""
    return telling_figure(text) or any(t not in known for _, toks in analyse(text).entities for t in toks)


def _candidates(sections: list[dict], keep: Callable[[str], bool]) -> list[tuple[int, list]]:
    """(section index, [(sentence index, sentence)]) of the answered sections' supported, untentative
    sentences that ``keep`` accepts; a section of fewer than two sentences gives none away."""
    picks = []
    for si, sec in enumerate(sections):
        cands = [(j, s) for j, s in enumerate(sec["sentences"])
                 if s["status"] == "supported" and not _TENTATIVE.search(s["text"]) and keep(s["text"])]
        if sec["status"] == "answered" and len(sec["sentences"]) >= 2 and cands:
            picks.append((si, cands))
    return picks


def lead_findings(sections: list[dict], topic: Topic, embedder: Any | None) -> dict | None:
    """The memo's opening "Key points": the most central finding of up to four sections, moved up.

    Moved, not copied, so the memo never says a thing twice, and taken only from
    sections that keep at least one sentence.  Central means closest to what the
    whole memo is about (the topic's title and description), by meaning when an
    embedder is at hand, else by shared words, plus the credit evidence gets for
    figures and names (:func:`briefer.evidence.specificity`): closeness alone led with
    the sentences that restate the memo's theme ("The federal government supports R&D
    efforts that lead to scientific breakthroughs"); a boss who reads only the Key points
    needs what was decided, by whom, when and how much, so a sentence with a telling figure
    (:func:`telling_figure`: not "three case studies") gets ``FIGURE_BONUS`` more.  A tentative
    sentence (an option, a possibility, an argument: ``_TENTATIVE``) is no finding to lead with,
    nor, while two sections have better, one with neither a telling figure nor a name beyond the
    topic's own (:func:`_tells`).
    """
    about = f"{topic.title}. {topic.description}"
    known = {t for _, toks in analyse(about).entities for t in toks}
    picks = _candidates(sections, lambda text: _tells(text, known))
    if len(picks) < 2:  # a memo of few telling sentences still opens with its most central ones
        picks = _candidates(sections, lambda text: True)
    if len(picks) < 2:
        return None
    texts = [s["text"] for _, cands in picks for _, s in cands]
    scores = iter(_centrality(about, texts, embedder))
    best = []
    for si, cands in picks:
        # The memo's own words read better as a lead than a long quote.
        scored = [(next(scores) + specificity(x["text"]) + (OWN_WORDS_BONUS if x["origin"] == "model" else 0.0)
                   + (FIGURE_BONUS if telling_figure(x["text"]) else 0.0), j) for j, x in cands]
        best.append(max(scored) + (si,))
    moved = sorted(sorted(best, reverse=True)[:KEY_POINTS_MAX], key=lambda b: b[2])
    sentences = [sections[si]["sentences"].pop(j) for _, j, si in moved]
    return {"title": KEY_POINTS_TITLE, "kind": "key_points", "question": topic.description or topic.title,
            "questions": [], "retrieved": [], "evidence": [k for s in sentences for k in s["citations"]],
            "status": "answered", "reason": None, "prompt": None, "model_output": None,
            "sentences": sentences}


def _centrality(about: str, texts: list[str], embedder: Any | None) -> list[float]:
    if embedder is not None:
        vecs = embedder.embed([about, *texts])
        return [float(v) for v in vecs[1:] @ vecs[0]]
    from .textanalysis import terms

    want = set(terms(about))
    return [len(want & set(terms(t))) / (1 + len(set(terms(t)))) for t in texts]
