"""Plain text: verbatim, unless its paragraphs are hard-wrapped at a fixed width.

A text file that keeps each paragraph on one line (the sample corpus, most
exports) is indexed byte for byte.  But many government text files wrap every
paragraph at 70-100 columns, often indented (CFPB's source code policy in
``bench/eval-fetched5``).  Sentences are split line by line
(:func:`briefer.textanalysis.sentence_spans`: a line break ends a heading), so
each wrapped line became a fragment: 58 of that policy's 82 lines ended
mid-sentence, no sentence of it was quotable, and the memo never cited it.

Such a file is re-joined into one line per paragraph with the same rules that
re-join a PDF's layout lines (:mod:`briefer.formats_pdf_lines`): a blank line or
a list item ("a)", "1.") starts a paragraph, a line-end hyphenation is undone.
Citations then quote the re-joined text, as they quote a PDF's extracted text.
"""

from __future__ import annotations

import re

from .formats_pdf_lines import _BULLET, _TERMINAL, _WORD, _full_length, _glue, _joins

WRAP_MIN_LINES = 5  # fewer wrapped lines than this: a one-paragraph-per-line file with a few odd lines
WRAP_SHARE = 0.3  # share of long lines that run on into the next line, from which a file is hard-wrapped
_LONG = 40  # a line this long is prose, not a heading or a list label
_SPACES = re.compile(r"[ \t\f\v]+")
# An outline item: the PDF bullets plus "iii." and "a." (a PDF's layout gives those their own line anyway).
_ITEM = re.compile(r"%s|^(?:[ivx]{1,5}|[a-z])\.\s" % _BULLET.pattern)


def hard_wrapped(lines: list[str]) -> bool:
    """Do the file's long lines run on into the next non-blank line, unfinished, as a wrapped paragraph's do?

    In a file with one paragraph per line, a long line ends its sentence (or is a
    heading before a blank line); in a wrapped one, most long lines stop mid-sentence.
    """
    long_lines = run_on = 0
    for line, nxt in zip(lines, lines[1:] + [""]):
        if len(line) < _LONG:
            continue
        long_lines += 1
        run_on += bool(nxt and not _TERMINAL.search(line))
    return run_on >= WRAP_MIN_LINES and run_on >= WRAP_SHARE * long_lines


def unwrap(text: str) -> str:
    """``text`` with hard-wrapped paragraphs on one line each; any other text unchanged."""
    lines = [_SPACES.sub(" ", line).strip() for line in text.split("\n")]
    if not hard_wrapped(lines):
        return text
    vocabulary = set(_WORD.findall(text.lower()))
    full = _full_length([line for line in lines if line], 60)
    paragraphs: list[str] = []
    last = ""  # the previous non-blank line of the current block ("" after a blank line)
    for line in lines:
        if not line:
            last = ""
            continue
        if last and not _ITEM.match(line) and _joins(last, line, full, paragraphs[-1]):
            paragraphs[-1] = _glue(paragraphs[-1], line, vocabulary)
        else:
            paragraphs.append(line)
        last = line
    return "\n".join(paragraphs) + ("\n" if text.endswith("\n") else "")
