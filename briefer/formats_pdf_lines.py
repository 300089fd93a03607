"""Re-joining the lines pypdf gives into paragraphs: does a line go on in the next one?

pypdf breaks a line wherever the layout did, so one paragraph arrives as many
lines, and a heading, a list item or a table-of-contents entry arrives as a line
just like them.  :func:`briefer.formats_pdf.clean_pages` asks :func:`_joins`
whether a line continues the paragraph before it and :func:`_glue` how to join
the two (undoing a line-end hyphenation).  These rules are what new documents
keep correcting (EXTRACTOR_VERSION x6, x8 and x11 changed them) and they know
nothing of page furniture or footnotes, so they live apart from the page
cleaning in :mod:`briefer.formats_pdf`.  Pure functions of the line strings.
"""

from __future__ import annotations

import re

FULL_LINE = 0.75  # a line this share of the page's long-line length was wrapped, not ended
_OPEN_LINE = 0.55  # ... and one this long, without a full stop, was wrapped too
# Bullets: the usual glyphs; Symbol and Wingdings font bullets, which text extraction gives as
# private-use characters ("\uf0b7 Responsible for ..." in an SBA procedure); Word's second-level
# "o " before a capital; "-", "a)", "1." markers.
_BULLET = re.compile(r"^(?:[•●▪◦‣⁃■□➢✓\uf000-\uf0ff]|o\s+(?=[A-Z])|[-–]\s|\(?[a-z0-9]{1,2}\)\s|\d{1,2}\.\s)")
_TOC_LINE = re.compile(r"(?:\.\s?){4,}\s*\d+$")  # "Introduction ........ 1"
_BULLET_GLYPH = re.compile(r"^(?:[•●▪◦‣⁃■□➢\uf000-\uf0ff]\s*|o\s+(?=[A-Z]))")
_TERMINAL = re.compile(r"[.!?:][\u201d\u2019\"')\]]*$")
_MID_SENTENCE = re.compile(r"(?![ivx]+\.\s)[a-z]{2,}\b")  # a line that opens on a lower-case word, not "ii. "
_CLAUSE_START = re.compile(r"\S+(?:\s+\S+)?\s+(?:is|are|was|were|has|have|had|will|would|can|could|may|must|shall|"
                           r"should|does|did)\b")
_SENTENCE_END_INSIDE = re.compile(r"[a-z)][.!?][\u201d\u2019\"')\]]* [A-Z]")
_WORD = re.compile(r"[a-z]+")
_SMALL_WORDS = frozenset("a an and as at by for from in of on or the to with".split())
_CLAUSE = re.compile(r",\s+(?!by\b)[a-z]")  # ", by Laurie Harris" ends a catalogue entry
# A line ending in a comma or a word that needs what follows ("and", "the", "our") never ends a
# paragraph or a heading, however short the narrow column it sits in ("As directed by | the
# bipartisan Protecting our | Infrastructure of Pipelines and | Enhancing Safety (PIPES) Act").
_OPEN_END = re.compile(r"(?:,|\b(?:%s|our|its|their|that|which|whose|who)\b)$"
                       % "|".join(sorted(_SMALL_WORDS)), re.IGNORECASE)
# ... unless the next line opens a sentence ("40 percent of" | "The Justice40 Initiative allows"):
# a browser print interleaves a sidebar's cut lines with the page's own paragraphs.
_OPENER = re.compile(r"^(?:The|A|An|This|These|Those|It|Its|We|Our|They|Their|He|She|In|On|For|At)\b")


def _glue(prev: str, nxt: str, vocabulary: set[str]) -> str:
    """Join two lines of one paragraph, undoing a line-end hyphenation when it is one."""
    if prev.endswith(("-", "\u2014", "/")):  # "U.S.-\nMexico", "agencies\u2014\nthe", "S. 1272/\nH.R."
        head = re.search(r"(?<![\w-])([A-Za-z]+)-$", prev)
        tail = _WORD.match(nxt)
        if head and tail and (head.group(1) + tail.group(0)).lower() in vocabulary:
            return prev[:-1] + nxt
        return prev + nxt
    return prev + " " + nxt


def _joins(prev: str, nxt: str, full: int, paragraph: str = "") -> bool:
    """Does *nxt* continue the paragraph that *prev* (a line of the page) is in?

    A list item starts a new paragraph; a short line without a full stop after a
    sentence end is a heading; a long ("full") line was wrapped by the layout; a
    line starting lower-case continues an unfinished one, and so does one after it
    while the sentence is still open in a paragraph of prose.
    """
    if _BULLET.match(nxt) or _TOC_LINE.search(prev):
        return False
    ended = bool(_TERMINAL.search(prev))
    # A link or bold run breaks pypdf's lines mid-sentence: "… the two generally work in distinct
    # silos. IT teams … should strongly consider" | "integrating" | "IT sustainability experts" |
    # "within their IT teams …" (a CIO Council guide).  A line that is itself the middle of a
    # sentence (lower-case, no end) in a paragraph that already ended one is no heading's or item's
    # last line: the sentence goes on.
    if (not ended and _MID_SENTENCE.match(prev) and _SENTENCE_END_INSIDE.search(paragraph[:-len(prev)])
            and not (nxt[:1].isupper() and (_TERMINAL.search(nxt) or _CLAUSE_START.match(nxt)))):
        return True  # ... unless the next line is a sentence of its own ("EPA is the Designated ...")
    if ended and len(nxt) < full and not _TERMINAL.search(nxt) and nxt[:1].isupper():
        return False
    if prev.endswith(("-", "\u2014", "/")) or (_OPEN_END.search(prev) and not _OPENER.match(nxt)):
        return True
    if len(prev) >= full:
        heading = prev[-1:].isalpha() and _title_case(prev, 0.9)  # "...Economic Priorities"
        return ended or not nxt[:1].isupper() or not heading
    if ended or nxt[:1].islower():
        return not ended
    # An unfinished line of some length (a narrower block on the page) goes on, unless
    # it is a title-case heading ("Biometric Technologies and Global Security").
    return len(prev) >= full * _OPEN_LINE / FULL_LINE and not _title_case(prev)


def _title_case(line: str, share: float = 0.75) -> bool:
    """Most content words capitalised, as in a heading (at most 15 words).

    A comma before a lower-case word is a sentence's, not a heading's: "September 2023, the National
    Highway" | "Institute, which is funded ..." is one sentence in a narrow column."""
    if _CLAUSE.search(line):
        return False
    words = [w for w in line.split() if w[:1].isalpha() and w.lower() not in _SMALL_WORDS]
    return 0 < len(words) <= 15 and sum(w[0].isupper() for w in words) >= share * len(words)


def _full_length(lines: list[str], fallback: int) -> int:
    """Length from which a line of this page counts as wrapped (share of its long lines)."""
    if len(lines) < 5:
        return fallback
    lengths = sorted(len(line) for line in lines)
    return max(20, int(FULL_LINE * lengths[int(0.9 * (len(lengths) - 1))]))
