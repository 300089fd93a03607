"""What a summary makes its subject: a noun the source only qualified, a place, or a whole for its part.

``quoting.quote_reason`` asks these rules, with ``reframing.py``'s and ``certainty.py``'s, whether a
model sentence must give way to the quote it cites.  Each keeps every word of its source and moves
one: "a complete analysis of issues that could preclude public disclosure" became "analysis of issues
could preclude public disclosure" (the issues, not the analysis, preclude it); "The version of H.R.
2683 introduced in the Senate" became "The Senate introduced a version" (a place made the actor);
"Phase Two of the Environmental Justice Scorecard was released" became "the Environmental Justice
Scorecard was released" (the whole for its part).  An independent judge rejected each of them
(``bench/judge/sheet-a704b68-reword.jsonl`` and earlier sheets); the word checks pass them all.

Over the 530 distinct single-source model sentences the judge has ruled on (``bench/judge/*.jsonl``),
these rules and ``certainty.drops_noun_hedge`` flag 6 that the other rules let through, all rejected
by the judge, and none it accepted.
Those rows are where the rules come from, so that is no held-out figure (``bench/HISTORY.md``,
session 28, has the held-out one).
"""

from __future__ import annotations

import re

from briefer.textanalysis import stem, stopwords, words

_AUXILIARIES = ("is|are|was|were|has|have|had|will|would|can|could|may|might|must|shall|should|do|does|did")
# "issues that could preclude": the noun a relative clause hangs on, and the clause's auxiliary.
_RELATIVE = re.compile(r"\b([a-z][\w-]+)\s+(?:that|which|who)\s+(%s)\b" % _AUXILIARIES, re.IGNORECASE)
# "introduced in the Senate", "released at the Treasury": a participle and where it happened.
_PLACE = re.compile(r"\b([a-z]{3,}ed)\s+(?:in|at|within|from|across|on)\s+(?:the\s+)?"
                    r"((?:[A-Z][\w.-]*\s+){0,3}[A-Z][\w.-]*)")
# "Phase Two of the ... Scorecard was released": a part of a named whole, and what it did.
_PARTS = ("phase|part|stage|round|tranche|section|title|chapter|volume|division|portion|share|half|version|draft|"
          "element|component|pillar|step")
_PART_OF = re.compile(r"\b((?:%s)(?:\s+[A-Za-z0-9][\w-]*)?)\s+of\s+(?:the\s+)?(?:[\w.-]+\s+){0,4}?([\w.-]+)\s+(%s)\b"
                      % (_PARTS, _AUXILIARIES), re.IGNORECASE)


def _joined(text: str) -> str:
    """The text's words, lower-cased, one space apart: what the patterns below search."""
    return " ".join(w.lower() for w in words(text))


def relative_made_main(sentence: str, source: str) -> bool:
    """Does the sentence give a noun the verb of the relative clause that qualified it in the source?

    "analysis of issues that could preclude disclosure" → "analysis of issues could preclude
    disclosure"; "Responses to requests ... that are received by the Agency Office" (a noun phrase)
    → "Responses ... are handled by the Agency Office" (a sentence).
    """
    said, text = _joined(sentence), _joined(source)
    for m in _RELATIVE.finditer(source):
        pair = f"{m.group(1).lower()} {m.group(2).lower()}"
        if m.group(1).lower() not in stopwords() and re.search(rf"\b{re.escape(pair)}\b", said) \
                and not re.search(rf"\b{re.escape(pair)}\b", text):
            return True
    return False


def place_made_actor(sentence: str, source: str) -> bool:
    """Does the sentence make the place where something was done ("introduced in the Senate") its doer?"""
    for m in _PLACE.finditer(source):
        place = m.group(2).split()[-1]
        if re.search(rf"\b{re.escape(place)}\s+(?:\w+\s+)?{re.escape(stem(m.group(1).lower()))}", sentence):
            return True
    return False


def whole_for_part(sentence: str, source: str) -> bool:
    """Does the sentence say of a named whole what its source says of one part ("Phase Two of" it)?"""
    for m in _PART_OF.finditer(source):
        part = [w for w in m.group(1).lower().split() if w not in stopwords()]
        last, aux = m.group(2), m.group(3)
        if last.lower() in stopwords():
            continue
        if re.search(rf"\b{re.escape(last)}\s+{aux}\b", sentence, re.IGNORECASE) \
                and not any(re.search(rf"\b{re.escape(w)}", sentence, re.IGNORECASE) for w in part):
            return True
    return False
