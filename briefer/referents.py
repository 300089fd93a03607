"""Which sentences name something only the sentence before them (or one further back) introduces.

A quote is a sentence lifted from its paragraph.  One whose "these challenges" or
"that rule" names a noun of the sentence before needs that sentence as its
antecedent (:func:`refers_back`); one whose "these/those X" was named further
back is no evidence at all (:func:`leans_further_back`).  Split from
:mod:`briefer.leadins` (the fronts of quotes), which stays under 300 lines.
"""

from __future__ import annotations

import re
from itertools import takewhile

from .leadins import _FINITE
from .textanalysis import stem, stopwords


# "A federal district court vacated that rule in February 2026" | the sentence before: "In 2024, the
# FTC ... adopted a final rule expanding ...".  Quoted alone, "that rule" names nothing, and a judge
# rejected the quote; :func:`dangling_start` sees only a reference that opens the sentence.
# The words after it are looked ahead at, not taken: "ensure that these assessments" must yield "these
# assessments" after "that" (session 28: taken, the "that" match hid it, and the quote went out alone).
_DEMONSTRATIVE = re.compile(r"\b(this|that|these|those)\s+(?=((?:[a-z][a-z-]+\s+){0,2}[a-z][a-z-]+))")
# "that" is a determiner after a preposition or a past-tense verb ("of that process", "vacated that
# rule"), not after a noun ("mergers that exceed ...") or a present-tense verb ("requires that
# information be ...").
_DETERMINER_THAT = re.compile(r"(?:\b(?:of|in|on|at|by|for|with|from|to|under|about|into|after|before|during|"
                              r"since|through|against|over|upon)|[a-z]{3,}ed)\s+$", re.IGNORECASE)
# Not the thing referred to: "this new rule" names "rule"; "this year" is the document's date.
_NOT_REFERENT = frozenset("new same other recent current latest last first final next proposed".split())
_TIME_WORDS = frozenset("year years month months week weeks day days time times morning afternoon evening "
                        "quarter season calendar fiscal century decade".split())


# "The version of H.R. 2683 introduced in the Senate (S. 3519) contains similar provisions.", "Four similar
# measures were rejected ...": similar to what the sentence before said.  Alone, the quote (and the model's
# "The Senate version of H.R. 2683 contains similar provisions.") tells the reader nothing.  Not "similar
# to ..." (the sentence names what it compares with), nor "any similar process" (an alternative).
_COMPARES_BACK = re.compile(r"(?<!\bany )(?<!\bmore )\bsimilar\s+(?!to\b|in\b|than\b)[a-z]", re.IGNORECASE)


def refers_back(sentence: str, before: str) -> bool:
    """Does a "this/that/these/those <noun>" inside ``sentence`` name a noun of the sentence ``before``
    that the sentence itself has not introduced, or does it call something "similar" to what came before?
    Then it needs that sentence as its antecedent."""
    if _COMPARES_BACK.search(sentence):
        return True
    seen_before: set[str] | None = None  # stemmed only for a sentence that has such a phrase (most have none)
    for m in _DEMONSTRATIVE.finditer(sentence):
        if m.start() == 0 or (m.group(1).lower() == "that" and not _DETERMINER_THAT.search(sentence[:m.start()])):
            continue
        if seen_before is None:
            seen_before = _stems(before)
        earlier = _stems(sentence[:m.start()])
        if any(w not in earlier and w in seen_before for w in _named(m)):
            return True
    return False


def _stems(text: str) -> set[str]:
    """The stems of the text's words, among which a demonstrative's noun is looked for."""
    return {stem(w) for w in re.findall(r"[a-z]+", text.lower())}


def _named(m: re.Match) -> list[str]:
    """Stems of the words demonstrative ``m`` names, to the first non-noun ("these are", "this year"), less "new" ..."""
    words = takewhile(lambda w: w not in stopwords() and w not in _FINITE and w not in _TIME_WORDS, m.group(2).split())
    return [stem(w) for w in words if w not in _NOT_REFERENT]


def leans_further_back(sentence: str, before: str) -> bool:
    """Does a "these/those <noun>" inside ``sentence`` name something neither the sentence nor the one
    ``before`` it introduces ("This policy seeks to address these challenges ...", "Covered agencies
    should ensure access to these services.")?  Its referent lies further back, out of the quote's
    reach: a judge rejected both as incomplete (session 28).  Not the singular "this policy": in a
    policy, it is usually the document itself (``ownref``)."""
    for m in _DEMONSTRATIVE.finditer(sentence):
        if m.start() == 0 or m.group(1).lower() not in ("these", "those") or _names_own(sentence, m):
            continue
        named = _named(m)
        if named and not set(named) & (_stems(before) | _stems(sentence[:m.start()])):
            return True
    return False


LEAN_WINDOW = 15  # words before a demonstrative from which a sentence has named its own referent
_POSTMODIFIER = re.compile(r"\b(?:that|which|who|whom|whose|with|in|of|from|outside|\w+ed|\w+ing)\b")


def _names_own(sentence: str, m: re.Match) -> bool:
    """Does the sentence itself say what "these/those X" are?  Late in a long sentence it has, in its own
    words ("... for non-tiered server closets, and improving efficiencies in these areas ..."); and "those"
    followed by what defines it points forward ("those units that ...", "those requested by ...").
    Of 179 bench-corpus sentences the rule flagged, 81 had 10 or more words before the demonstrative."""
    if len(re.findall(r"[A-Za-z]+", sentence[:m.start()])) > LEAN_WINDOW:
        return True
    return m.group(1).lower() == "those" and bool(_POSTMODIFIER.search(m.group(2)))
