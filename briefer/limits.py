"""Explicit bounds on what one corpus file may cost to read.

A corpus is whatever someone dropped in a folder: a 300 MB log renamed
``.txt``, a PDF with 50,000 pages, a zip bomb named ``.docx``, a page nested
tens of thousands of tags deep.  Each parser (pypdf, python-docx,
Python-Markdown, BeautifulSoup) is fine on ordinary files but has inputs that
make it slow (quadratic), deeply recursive or memory-hungry.  So every file is
checked against these limits *before* the expensive step, and a file over a
limit is skipped with a reason that names the setting to raise
(``BRIEFER_MAX_FILE_MB``, ``BRIEFER_MAX_PDF_PAGES``, ``BRIEFER_MAX_NESTING``,
``BRIEFER_EXTRACT_TIMEOUT``).  The time limit is the safety net for the
patterns no check foresaw: the parsers are pure Python, so an alarm signal
stops them between bytecodes.
"""

from __future__ import annotations

import re
import signal
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

MB = 1024 * 1024


class LimitExceeded(BaseException):
    """A file is over one of the limits; the message is the skip reason.

    A ``BaseException`` so that a parser's own ``except Exception`` (pypdf
    recovers from most errors that way) cannot swallow the time limit and go on.
    """


@dataclass(frozen=True)
class Limits:
    """Per-file bounds; the defaults are the settings' defaults (see README, Configuration)."""

    max_file_bytes: int = 200 * MB  # on disk, and for a DOCX also its parts unpacked
    max_pdf_pages: int = 2000
    max_nesting: int = 1000  # HTML element depth (browsers flatten beyond 512)
    extract_timeout: float = 120.0  # seconds one file may take to extract

    @classmethod
    def from_settings(cls, settings: Any) -> Limits:
        return cls(max_file_bytes=int(settings.max_file_mb * MB), max_pdf_pages=settings.max_pdf_pages,
                   max_nesting=settings.max_nesting, extract_timeout=settings.extract_timeout)


DEFAULT = Limits()


@contextmanager
def time_limit(seconds: float) -> Iterator[None]:
    """Raise :class:`LimitExceeded` in the block after ``seconds`` (main thread only, else unbounded).

    Why a signal and not a thread or process: extraction must stay in-process
    (it is called once per changed file and its result is large), and the
    parsers that can loop for minutes are pure Python, where the handler runs
    at the next bytecode.  The previous handler and timer are restored.
    """
    if seconds <= 0 or threading.current_thread() is not threading.main_thread() or not hasattr(signal, "setitimer"):
        yield
        return

    def expired(signum: int, frame: object) -> None:
        raise LimitExceeded(f"took longer than {seconds:g} s to read (limit BRIEFER_EXTRACT_TIMEOUT)")

    previous = signal.signal(signal.SIGALRM, expired)
    signal.setitimer(signal.ITIMER_REAL, seconds)
    try:
        yield
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, previous)


# Tags that old hand-written pages leave unclosed ("<p>a<p>b", "<li>"), which html.parser then nests
# one inside the other: a page of 2,000 such paragraphs is 2,000 deep yet harmless, so bare ones
# (no id, class or role, which the chrome filter looks at) do not count towards the depth.
_SOUP_TAGS = frozenset("p li dt dd td th tr option font b i u".split())


def check_depth(root: Any, limit: int) -> None:
    """Raise if the element tree under ``root`` (a bs4 node) is deeper than ``limit``.

    Iterative, and stops at the first element past the limit, so checking a
    50,000-level page costs no more than walking ``limit`` levels of it.
    """
    from bs4 import Tag

    stack: list[tuple[Any, int]] = [(root, 0)]
    while stack:
        node, depth = stack.pop()
        if depth > limit:
            raise LimitExceeded(f"HTML nested more than {limit} elements deep (limit BRIEFER_MAX_NESTING)")
        for child in node.contents:
            if isinstance(child, Tag):
                bare = child.name in _SOUP_TAGS and not (child.attrs.keys() & {"id", "class", "role"})
                stack.append((child, depth if bare else depth + 1))


def check_tags(raw: bytes, limit: int = 1000) -> None:
    """Raise if a tag holds more than ``limit`` "<" before its ">" (html.parser is quadratic there).

    "<a <a <a ..." (24 KB: 6 s) or "<a b=\"<a b=\"..." never occur in a real page;
    one linear pass over the "<" and ">" bytes finds them before parsing (1,000: prose
    with many unescaped "a<b" stays well below it, and 1,000 cost html.parser 0.1 s).
    """
    inside = 0
    for match in re.finditer(rb"[<>]", raw):
        inside = inside + 1 if match.group(0) == b"<" else 0
        if inside > limit:
            raise LimitExceeded(f"malformed HTML: a tag holds more than {limit} '<' before its '>'")


# A line's leading run of quote and list markers ("> > - 1. "): each one opens a nested block.
_MD_PREFIX = re.compile(r"^(?:[ \t]*(?:>|(?:[-*+]|\d{1,9}[.)])(?=[ \t])))*[ \t]*", re.MULTILINE)
_MD_MARKER = re.compile(r">|[-*+](?=[ \t])|\d{1,9}[.)](?=[ \t])")
_MD_OPENERS = re.compile(r"[\[<(]")


def markdown_complexity(source: str, stop: int) -> int:
    """How hard a Markdown text is to render: its deepest nesting, or its most link/tag openers per paragraph.

    Python-Markdown recurses once per nested list or quote level (a 1,000-level
    list raises RecursionError after seconds and hundreds of MB), and its inline
    patterns rescan the rest of a paragraph from every "[", "<" or "(" that does
    not close (20 KB of "[a](" took 12 s, of "![" 54 s).  Real paragraphs have a
    few links; a line of hundreds is generated or hostile.  Returns as soon as
    ``stop`` is exceeded (the caller only needs to know that).
    """
    deepest = 0
    for match in _MD_PREFIX.finditer(source):
        prefix = match.group(0)
        markers = len(_MD_MARKER.findall(prefix))
        indent = len(_MD_MARKER.sub("", prefix).expandtabs(4)) // 2 if markers else 0
        deepest = max(deepest, markers + indent)
        if deepest > stop:
            return deepest
    for paragraph in re.split(r"\n[ \t]*\n", source):
        openers = len(_MD_OPENERS.findall(paragraph))
        if openers > stop:
            return openers
    return deepest


def check_zip(raw: bytes, limit: int) -> None:
    """Raise if a DOCX (a zip) would unpack to more than ``limit`` bytes: a zip bomb.

    The sizes come from the zip's central directory; python-docx reads each
    part whole, and :mod:`zipfile` never inflates a member past its declared size.
    """
    import io
    import zipfile

    try:
        with zipfile.ZipFile(io.BytesIO(raw)) as archive:
            total = sum(info.file_size for info in archive.infolist())
    except (zipfile.BadZipFile, ValueError, OSError) as exc:
        raise LimitExceeded(f"could not read DOCX: not a zip archive ({exc})") from None
    if total > limit:
        raise LimitExceeded(f"DOCX unpacks to {total / MB:.0f} MB (limit {limit / MB:.0f} MB, BRIEFER_MAX_FILE_MB)")
