"""Stage 5b: the quotes a section fell back to, reworded by the model one source at a time.

Why: asked for one reworded line per source with the whole section's sources in view,
Qwen2.5-Coder-1.5B copies, and its copying feeds on itself: 20% of the lines it writes
before its first copy are copies, 88% of those after (``bench/own_words.py``).  Every copy,
and every line that drops a figure or an attribution, is shown as the verbatim quote
(``quoting.quote_reason``), so at 8d728f6 the memo's own words were 14% of its sentences.
With one passage in view and no question to answer, the same model rewords: in replays of
three kept memos, 29% of its sentences could stand (against 15% from the section prompt),
and nothing it writes is about the question rather than the passage (a one-source prompt
that kept the question had it restate the question: "The US government has taken measures
to restrict China's access ..." under a sentence about Chinese developers).

So this stage does not choose what the memo says: the section's answer and verification did
that.  It only offers, for each quote, the model's rewording of that same passage, and the
rewording replaces the quote only if it passes every check a model sentence passes against
its one source (the word checks, :func:`quoting.quote_instead`, the meaning check, the
entailment check when on, and the restatement test).  A rewording that fails leaves the
quote; a section's citations never change.  The chats share one prefix (system prompt and
worked examples), so a batching backend evaluates it once.

**Off by default** (``BRIEFER_REWORD``).  Over the ten bench memos (session 26) it doubled the
memo's own words (56 to 112 of 399 sentences), but an independent judge found 52 of 76 new model
sentences supported (68%, against 54 of 64 for the section answers' own sentences): "as much as
$100 billion" became "$100 billion", "would direct" "directs", "will be evaluated" "Treasury will
evaluate".  The checks pass them; the judge does not.  Two facts were lost as well ("The open
data policy is prospective ..." reworded without "prospective").  With a model that rewords
faithfully (served, ``BRIEFER_LLM_URL``) it is worth turning on and judging again.  Session 27's
rules (``certainty.py``: a hedge per verb, a figure's bound, an aim, an added actor) turn those
back into quotes: 43 of 58 rewordings supported (74%), the whole sheet 94.5%, still under 95%
(``python bench/run.py --reword``; ``bench/judge/sheet-a704b68-reword.jsonl``).  Session 28's
subject rules (``roles.py``) took those sheets to 95.1%, but on two memos of documents no rule had
seen (``bench/eval-fetched5``, ``bench/eval-fetched6``) the judge passed 4 of 7 rewordings, so the
rules fix the errors they came from, and the stage stays off.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

from .claims import check_sentence
from .answer import spaced_initials
from .llm import ChatModel, ChatResult, chat_all
from .quoting import certainty_reason
from .prompts import (REWORD_EXAMPLES, REWORD_PROMPT, REWORD_PROMPT_VARS, REWORD_SYSTEM, REWORD_SYSTEM_VARS,
                      fill, is_refusal)
from .schema import Evidence
from .textanalysis import split_sentences, terms
from .textclean import evidence_problem
from .verify import ORIGIN_EXTRACTED, ORIGIN_MODEL, gives_way, restates_question

# A rewording is about as long as its passage: one line of ``REWORD_LINE_TOKENS`` per
# passage sentence, and a copy (which the checks turn back into the quote) is fast-forwarded.
REWORD_LINE_TOKENS = 48
# A rewording restates its passage; it is no summary.  The quote it replaces is the whole passage,
# so a rewording that sheds a third of the passage's content words loses what the quote told: in the
# first bench run (session 26) the 9 of 51 kept rewordings under this share included "In 2018,
# President Putin said that Russia was developing new capabilities. ... the latter two systems were
# tested in 2025" (the list the "latter two" points into dropped) and "After two years, all ...
# systems must be included" (after what: "the issuance of this directive").  It is no faithfulness
# check: the judge's verdicts do not improve with the share (bench/HISTORY.md, session 26).
MIN_KEPT = 0.7
# "Rewritten: ...", "Passage: ...", "Here is the rewrite: ..." -- the model talking about its task.
_META = re.compile(r"^\s*(?:(?:here\s+is\s+)?(?:the\s+)?(?:rewritten|rewrite|rewording|passage|sentence|answer)"
                   r"(?:\s+passage)?\s*[:：]\s*)+", re.IGNORECASE)


def reword_messages(title: str, audience: str, passage: str) -> list[dict]:
    """The chat for one passage: the same system prompt and examples for every passage (a shared prefix)."""
    messages = [{"role": "system", "content": fill(REWORD_SYSTEM, REWORD_SYSTEM_VARS, title=title, audience=audience)}]
    for source, rewording in REWORD_EXAMPLES:
        messages += [{"role": "user", "content": fill(REWORD_PROMPT, REWORD_PROMPT_VARS, passage=source)},
                     {"role": "assistant", "content": rewording}]
    return messages + [{"role": "user", "content": fill(REWORD_PROMPT, REWORD_PROMPT_VARS,
                                                        passage=" ".join(passage.split()))}]


def rewording(result: ChatResult, passage: str) -> str | None:
    """The model's rewording as memo text, or None: a refusal, nothing, a cut-off sentence, or
    a sentence more than the passage has (the model went on past its passage: one more is a long
    sentence split in two, "... expired in February 2026. However, Russia stated ...")."""
    if result.finish_reason in ("length", "copy"):
        return None
    text = spaced_initials(result.text.strip().split("\n\n", 1)[0])
    text = _META.sub("", " ".join(text.split())).strip(" \"'-*•")
    if not re.search(r"[^\W\d_]", text) or is_refusal(text):
        return None
    if len(split_sentences(text)) > len(split_sentences(passage)) + 1:
        return None
    return text


@dataclass
class Checks:
    """What a rewording must pass: the checks :func:`verify.verify_section` gives a model sentence."""

    similarity: Callable[[str, str], float] | None = None
    entail: Callable[[str, list[str]], bool] | None = None

    def accept(self, text: str, source: str, asked: str) -> dict | None:
        """The word checks' result (as the record keeps it) if the rewording may replace the quote, else None."""
        result = check_sentence(text, [source])
        if (not result.supported or kept_share(text, source) < MIN_KEPT or restates_question(text, asked)
                or evidence_problem(text) is not None or gives_way(text, source, self.similarity)
                or splits_off_certainty(text, source)):
            return None
        checks = result.as_dict()
        if self.entail is not None:
            if not self.entail(text, [source]):
                return None
            checks["entailment"] = True
        return checks


def splits_off_certainty(text: str, source: str) -> bool:
    """Does a rewording in more sentences than its source leave one of them without the source's duty
    or hedge?  "..., mandating executive agencies to create their own source code policy, ... and
    create an inventory ..." became "... required executive agencies to create their own source code
    policies ... The agency also created an inventory ..." (a judge rejected it, session 28): the
    whole passes the checks, since its first sentence keeps the duty."""
    parts = split_sentences(text)
    return len(parts) > len(split_sentences(source)) and any(certainty_reason(p, source) for p in parts)


def kept_share(text: str, source: str) -> float:
    """The share of the source's content words (stemmed) that the rewording keeps."""
    said, cited = set(terms(text)), set(terms(source))
    return len(said & cited) / len(cited) if cited else 1.0


def quotes(sections: Sequence[dict]) -> list[tuple[int, int, str]]:
    """(section, sentence, key) of every quoted sentence citing one source, in memo order."""
    return [(si, j, s["citations"][0]) for si, sec in enumerate(sections) for j, s in enumerate(sec["sentences"])
            if s["origin"] == ORIGIN_EXTRACTED and len(s["citations"]) == 1]


def reword_quotes(model: ChatModel, sections: list[dict], by_key: dict[str, Evidence], *, title: str, audience: str,
                  checks: Checks, temperature: float, seed: int, together: bool = True,
                  prepare: Callable[[list[str], list[str]], Any] | None = None) -> list[ChatResult]:
    """Offer the model's rewording for every quote; keep those that pass (see the module doc).

    ``sections`` are the record's section entries (``sentences`` as dicts with ``citations``
    still evidence keys); they are changed in place.  Returns the chat results, for the token
    and time accounts.  ``prepare`` embeds the rewordings and their sources in one call.
    """
    todo = quotes(sections)
    if not todo:
        return []
    passages = [by_key[key].text for _, _, key in todo]
    chats = [reword_messages(title, audience, p) for p in passages]
    cap = REWORD_LINE_TOKENS * max(len(split_sentences(p)) for p in passages)
    results = chat_all(model, chats, max_tokens=cap, temperature=temperature, seed=seed, together=together,
                       stop_copies=True)
    texts = [rewording(r, p) for r, p in zip(results, passages)]
    if prepare is not None:
        prepare([t for t in texts if t], [p for t, p in zip(texts, passages) if t])
    for (si, j, key), text, passage in zip(todo, texts, passages):
        sec = sections[si]
        asked = f"{sec['title']}. {sec.get('question') or ''}"
        accepted = checks.accept(text, passage, asked) if text else None
        if accepted is not None:
            sentence = sec["sentences"][j]
            sentence.update(text=text, origin=ORIGIN_MODEL, checks={**accepted, "reworded": True})
    return results

