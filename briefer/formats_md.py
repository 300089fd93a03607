"""Markdown to plain text: the text an analyst reads, not the markup they type.

Why render instead of keeping the file verbatim: raw Markdown put ``**``,
``[text](https://...)``, front matter and ``| cell |`` pipes into the evidence
a memo quotes.  Why the ``markdown`` package (Python-Markdown) and not our own
regexes or markdown-it: it is already a dependency (memo rendering), it is pure
Python (so output depends only on its pinned version: same bytes, same text)
and it handles the long tail (reference links, nested emphasis, raw HTML,
setext headings, lists, block quotes) that hand-written regexes get wrong.  The
HTML it produces goes through the same walker as ``.html`` files
(:mod:`briefer.formats_html`), so a paragraph wrapped over several source lines
becomes one line, each heading and list item its own line, images and HTML
comments vanish, and links keep only their text.

Five things are done before rendering, because real-world Markdown (e.g. pages
converted from the web) breaks the renderer's assumptions:

* rows that start with ``|`` become one line of cells joined by ``"; "``
  (Python-Markdown's table extension needs a ``|---|`` separator row, which
  converters often omit); a separator row is dropped;
* ``**Label: **text`` (closing mark after a space, invalid for the renderer)
  is rewritten to ``**Label:** text``; any ``**``/``__`` still left is removed;
* kramdown attribute lists (``{:start="3"}``) are removed;
* spaces lost around links and empty emphasis in pages converted from the web
  (``[Four](u)[similar](u)``, ``of****strategic``) are put back;
* footnote references (``[^1]``) are removed and definitions (``[^1]: text``) keep
  their text (the renderer's footnotes extension would turn a reference into a
  number glued to the word before it).

Files over :data:`RENDER_LIMIT` characters skip the renderer (it is roughly
1-2 MB/s) and get the same table handling plus light regex stripping; so do
files nested deeper than :data:`RENDER_DEPTH` (lists, quotes), on which the
renderer recurses once per level (a 1,000-level list: RecursionError after 9 s
and 300 MB), or with more than that many "[", "<" or "(" in one paragraph, on
which its inline patterns turn quadratic (20 KB of "![": 54 s); see
:func:`briefer.limits.markdown_complexity`.
The threshold is a constant, not a setting, so the same bytes always give the
same text (citation offsets depend on it).
"""

from __future__ import annotations

import re

from .formats_html import CELL_SEP
from .limits import DEFAULT, markdown_complexity

RENDER_LIMIT = 8_000_000
RENDER_DEPTH = 100  # real documents nest a handful of levels, with a few links per paragraph
_FENCE = re.compile(r"^ {0,3}(`{3,}|~{3,})")
_PIPE_ROW = re.compile(r"^ {0,3}\|")
_SEPARATOR_CELL = re.compile(r"^:?-{2,}:?$")
_BAD_CLOSE = re.compile(r"(\*\*|__)(?=\S)([^*_\n]*?\S)[ \t]+\1(?=\S)")
# Footnotes (a Markdown extension the renderer does not run here): "Open Government* [^1] instructed"
# kept "[^1]" in the evidence.  References go; a definition "[^1]: OMB Memorandum ..." keeps its text.
_FOOTNOTE_REF = re.compile(r"[ \t]?\[\^[^\]\s]{1,40}\](?!:)")
# Pages converted from congress.gov keep a footnote's number glued after the sentence's full stop:
# "... reconciliation act (P.L. 119-21).12" | "In addition, ..." (a CRS report) read as one sentence with
# a figure "12" that is not there.  After a word (two letters or a closing bracket or quote), not after a
# figure ("Section 3.12") or an abbreviation ("p.12").
_GLUED_NOTE = re.compile(r"(?:(?<=[A-Za-z]{2}\.)|(?<=[)\]\"\u201d\u2019]\.))\d{1,3}(?=\s*$|\s+[A-Z\u201c\"])")
_FOOTNOTE_DEF = re.compile(r"^ {0,3}\[\^[^\]\s]{1,40}\]:[ \t]*")
# Pages converted from the web lose the spaces around links and emphasis: "[Four](u1)[similar](u2)
# [measures](u3)", "a triad of****strategic", "declaratory policy](u),Russian" (a CRS Insight) read as
# "Foursimilarmeasures", "ofstrategic", "policy,Russian".  Each gap gets its space back; an empty
# emphasis inside a word ("**s****pace**", "**t****e****xt**") stays glued unless every piece is a word of
# the document and the whole is not.
_EMPTY = re.compile(r"\*\*\*\*|____")
_EMPTY_EMPHASIS = re.compile(rf"(?<![A-Za-z0-9])[A-Za-z0-9]+(?:(?:{_EMPTY.pattern})[A-Za-z0-9]+)+")
_WORD = re.compile(r"[a-z0-9]+")
# Jekyll sources (government sites on GitHub Pages) carry kramdown attribute lists: '{:start="3"}' on
# the line before a list glued the list's first item to it ('{:start="3"} 3. Publish a vulnerability
# disclosure policy ...'), a "sentence" opening with a brace.  They are layout, never text.
_ATTRIBUTE_LIST = re.compile(r"\{:[^{}\n]*\}")
# A list may start right under the line that leads into it ("Results include:" | "* Data Center ...") in
# CommonMark, which is how GitHub and most sites show it; Python-Markdown wants a blank line first and
# ran the items into the lead-in's paragraph ("Results include: * Data Center ...", a GSA blog post).
# Only a list starting at "1" may interrupt a paragraph, as in CommonMark: a wrapped line that happens to
# open with "2020. The ..." stays prose.
_LIST_START = re.compile(r"^ {0,3}(?:[-*+]|1[.)])[ \t]+\S")
_ANY_ITEM = re.compile(r"^[ \t]*(?:[-*+]|\d{1,9}[.)])[ \t]+\S|^[ \t]{2,}\S")  # an item, or a line indented under one
_SPACE_LOST = (
    (re.compile(r"(?<=[A-Za-z0-9.,;:])(\]\([^()\s]*\))(?=\[[A-Za-z0-9])"), r"\1 "),
    (re.compile(r"(\]\([^()\s]*\)[,;:])(?=[A-Z][a-z])"), r"\1 "),
)
# Light stripping for huge files (no renderer): images, links, emphasis, headings, bullets.
# Link titles, image alt text and HTML comments never become text (they are where instructions hide).
_LIGHT = (
    (re.compile(r"^ {0,3}\[[^\]\n]+\]:[^\n]*(?:\n[ \t]+[\"'(][^\n]*)?", re.MULTILINE), ""),  # [r]: url "title"
    # No "[" inside the brackets: each search then stops at the next "[", so a line of 15,000 "["
    # costs one pass, not 10^8 steps (an unclosed "[" used to scan to the end of the line).
    (re.compile(r"!\[[^\[\]\n]*\](?:\([^()\n]*\)|\[[^\[\]\n]*\])"), ""),
    (re.compile(r"\[([^\[\]\n]*)\]\[[^\[\]\n]*\]"), r"\1"),
    (re.compile(r"\[([^\[\]\n]*)\]\([^()\n]*\)"), r"\1"),
    (re.compile(r"\*\*+|__+|`+"), ""),
    (re.compile(r"^[ \t]*(?:#{1,6}[ \t]+|(?:>[ \t]?|[-*+][ \t]+)+)", re.MULTILINE), ""),  # any depth: nested files
    (re.compile(r"<!--(?:[^<]|<(?!!--))*?-->|</?[a-zA-Z][^<>\n]*>"), ""),  # linear: stops at the next "<"
)


def _table_row(line: str) -> str | None:
    """A ``| a | b |`` line as ``a; b`` (None for a ``|---|---|`` separator row)."""
    cells = [c.strip() for c in line.strip().strip("|").split("|")]
    cells = [c for c in cells if c]
    if cells and all(_SEPARATOR_CELL.match(c) for c in cells):
        return None
    return CELL_SEP.join(cells)


def prepare(source: str) -> str:
    """Rewrite pipe-table rows, badly closed emphasis and footnote marks, outside fenced code."""
    out: list[str] = []
    fence: str | None = None
    # The document's words, outside the glued runs themselves ("xt" of "t****e****xt" is no word).
    vocabulary = set(_WORD.findall(_EMPTY_EMPHASIS.sub(" ", source).lower())) if _EMPTY.search(source) else set()

    def emphasis_gap(m: re.Match[str]) -> str:
        pieces = _EMPTY.split(m.group(0))
        apart = all(p.lower() in vocabulary for p in pieces) and "".join(pieces).lower() not in vocabulary
        return " ".join(pieces) if apart else "".join(pieces)

    for line in source.split("\n"):
        opened = _FENCE.match(line)
        if fence is not None:
            if opened and opened.group(1)[0] == fence[0] and len(opened.group(1)) >= len(fence):
                fence = None
            out.append(line)
        elif opened:
            fence = opened.group(1)
            out.append(line)
        elif _PIPE_ROW.match(line):
            row = _table_row(line)
            if row:  # each row its own paragraph: one line of text
                out.extend(("", row, ""))
        else:
            line = _GLUED_NOTE.sub("", _ATTRIBUTE_LIST.sub("", _FOOTNOTE_REF.sub("", _FOOTNOTE_DEF.sub("", line))))
            for pattern, replacement in _SPACE_LOST:
                line = pattern.sub(replacement, line)
            if vocabulary:
                line = _EMPTY_EMPHASIS.sub(emphasis_gap, line)
            if _LIST_START.match(line) and out and out[-1].strip() and not _ANY_ITEM.match(out[-1]):
                out.append("")  # a list right under its lead-in line (see _LIST_START)
            out.append(_BAD_CLOSE.sub(r"\1\2\1 ", line))
    return "\n".join(out)


def markdown_to_text(source: str, start: int = 0, max_nesting: int = DEFAULT.max_nesting) -> str:
    """Plain text of a Markdown document; ``source[:start]`` (front matter) is left out.

    ``max_nesting`` bounds the depth of raw HTML inside it, as for ``.html`` files.
    """
    body = prepare(source[start:] if start else source)
    if len(body) > RENDER_LIMIT or markdown_complexity(body, RENDER_DEPTH) > RENDER_DEPTH:
        for pattern, replacement in _LIGHT:
            body = pattern.sub(replacement, body)
        lines = (" ".join(line.split()) for line in body.split("\n"))
        return "\n".join(line for line in lines if line)
    import markdown
    from bs4 import BeautifulSoup

    from .formats_html import html_text

    html = markdown.markdown(body, extensions=["tables"], output_format="html")
    return html_text(BeautifulSoup(html, "html.parser"), strip_marks=True, max_nesting=max_nesting)
