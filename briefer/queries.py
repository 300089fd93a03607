"""What a section is searched for: its questions, in parts and in the memo's context.

Analysts write broad questions.  Two kinds search badly as written: a question
that asks about two things at once ("supporting R&D and overseeing mergers")
finds only the closer one, and a question that names no subject ("What risks
should a staffer watch?") finds anything.  The first is searched in parts, the
second with the memo's title after it.  ``evidence`` scores the candidates.
"""

from __future__ import annotations

import re
from collections.abc import Sequence

from .textanalysis import terms

# "How is the government supporting R&D and overseeing mergers, and what is changing?" asks two
# things; searched whole, the closer match (R&D) took every slot and the merger report none.
_FOLLOW_UP = re.compile(r",?\s+and\s+((?:what|how|why|which|who|where|when)\b[^?]*)\??\s*$", re.IGNORECASE)
_GERUND = re.compile(r"\b[a-z]{3,}ing\b")
_NOT_GERUND = frozenset("during including according regarding concerning following notwithstanding nothing "
                        "something anything everything thing king ring spring string bring morning evening "
                        "ceiling".split())


def sub_questions(question: str) -> list[str]:
    """A question that coordinates two actions ("supporting X and overseeing Y") as one query per action.

    Each part keeps the shared opening ("How is the federal government") and the
    follow-up ("and what is changing?"), so each still reads as the analyst's question.
    """
    q = question.strip()
    follow = _FOLLOW_UP.search(q)
    core, tail = (q[:follow.start()], f", and {follow.group(1)}?") if follow else (q.rstrip("?"), "?")
    verbs = [m for m in _GERUND.finditer(core) if m.group(0).lower() not in _NOT_GERUND]
    for first, second in zip(verbs, verbs[1:]):
        joint = re.search(r",?\s+and\s+$", core[:second.start()])
        if joint and first.start() > 0:
            return [core[:joint.start()] + tail, core[:first.start()] + core[second.start():] + tail]
    return [question]


# Words that frame a briefing question without naming its subject: "What risks should a staffer
# keep an eye on?" is about the memo's subject, which only the topic names.  Stems (textanalysis.terms).
_FRAME = frozenset(terms(
    "risk risks uncertainty uncertainties uncertain watch watching keep eye eyes staffer staffers staff analyst "
    "analysts reader readers policymaker policymakers official officials boss know known need needs important "
    "significant key main major biggest issue issues concern concerns implication implications matter matters "
    "next outlook future trend trends development developments recent latest happen happening happened change "
    "changes changing challenge challenges opportunity opportunities option options question questions consider "
    "expect expected look looking ahead remain remaining open unresolved point points takeaway takeaways summary "
    "overview bottom line priority priorities step steps debate debates problem problems document documents "
    "report reports source sources say says tell tells come coming year years month months now today "
    "worry worries focus attention emerging emerge emerges"))


def subject_less(question: str) -> bool:
    """Does the question name no subject of its own ("What should a staffer watch?"), so the topic's is meant?"""
    words = set(terms(question))
    return bool(words) and words <= _FRAME


def section_queries(topic_title: str, section_title: str, questions: Sequence[str]) -> list[str]:
    """What a section is searched for: its questions (compound ones in parts) and its title in the memo's context.

    A question that names no subject is searched with the topic's title after it: alone,
    "What risks should a staffer watch?" matched Russian nuclear risk in a memo about China
    and scored too low to be answered at all."""
    queries = list(dict.fromkeys(f"{part} — {topic_title}" if subject_less(part) else part
                                 for q in questions if q.strip() for part in sub_questions(q)))
    queries.append(f"{section_title} — {topic_title}")
    return queries


def evidence_slots(per_section: int, questions: Sequence[str]) -> int:
    """A section's evidence quota: two more sentences for every extra part its questions split into."""
    return per_section + 2 * (sum(len(sub_questions(q)) for q in questions) - 1)
