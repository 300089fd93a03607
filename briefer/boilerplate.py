"""Publisher boilerplate out of the evidence: sentences that several documents share word for word.

"CRS serves as nonpartisan shared staff to congressional committees." ends every report of
a series; it is true, but says nothing about the topic, and a memo that cites it looks
careless.  Near-duplicate *documents* (the same report as PDF and Markdown) are handled
before this (``duplicates.py``: their evidence is cited once); this is for distinct documents.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

from .evidence import Scored, allocate
from .textanalysis import terms

BOILERPLATE_DOCUMENTS = 3  # a sentence in this many documents is the publisher's, not the report's
BOILERPLATE_TAIL = 0.8  # ... or in two, each time in the last fifth of the text (a footer)


def drop_boilerplate(per_section: list[list[Scored]]) -> list[list[Scored]]:
    """Without the candidates several documents share word for word: disclaimers and footers.

    Two documents quoting one statement keep it unless both have it in their closing part.
    """
    norms = {id(c): " ".join(terms(c.text)) for cands in per_section for c in cands}
    where: dict[str, dict[str, float]] = {}
    for cands in per_section:
        for c in cands:
            docs = where.setdefault(norms[id(c)], {})
            docs[c.document] = min(docs.get(c.document, 1.0), c.at)

    def shared(c: Scored) -> bool:
        docs = where[norms[id(c)]]
        return len(docs) >= BOILERPLATE_DOCUMENTS or (len(docs) >= 2 and min(docs.values()) >= BOILERPLATE_TAIL)

    return [[c for c in cands if not shared(c)] for cands in per_section]


def allocate_unshared(per_section: list[list[Scored]], quotas: Sequence[int],
                      copies: Callable[[str], set[str]]) -> list[list[Scored]]:
    """:func:`allocate` after :func:`drop_boilerplate`, then without any pick the corpus holds in
    ``BOILERPLATE_DOCUMENTS`` documents (``copies``: :meth:`Gatherer.copies`), refilled.

    The candidates show only what the sections retrieved: a footer that one report alone
    contributed looks like that report's own sentence.  Only the picks are searched for
    (about 50 BM25 searches a memo); a refill rarely picks another footer, and after three
    refills any shared pick left is dropped rather than replaced.
    """
    pools = drop_boilerplate(per_section)
    found: dict[str, bool] = {}

    def shared(c: Scored) -> bool:
        if c.text not in found:
            found[c.text] = len(copies(c.text) | {c.document}) >= BOILERPLATE_DOCUMENTS
        return found[c.text]

    for _ in range(3):
        chosen = allocate(pools, quotas)
        if not any(shared(c) for picks in chosen for c in picks):
            return chosen
        pools = [[c for c in pool if not shared(c)] for pool in pools]
    return [[c for c in picks if not shared(c)] for picks in allocate(pools, quotas)]
