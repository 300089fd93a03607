"""PDF to plain text: pypdf's page text, cleaned into one line per paragraph.

pypdf returns each page as the lines the layout drew: a hard line break every
~100 characters (mid-sentence), the running header/footer of every page, page
numbers, footnote markers glued to words ("tariffs.12 The") and the footnotes
themselves between two halves of a paragraph.  Quoted as-is, that gives memo
evidence like "Congressional Research Service 2" or half sentences cut at a
page end.  :func:`clean_pages` rebuilds the reading text from the page lines:

1. running lines are dropped: a line near the top or bottom of a page (first or
   last :data:`ZONE` lines) whose digit-normalised form recurs in those zones on
   >= 3 pages or on >= half of the pages (at least 2); bare page numbers and
   bare URLs there too.  The first page's top zone is kept (it holds the title);
2. a footnote block (a line "N text" at the page bottom, N the next footnote
   number, after a marker N appeared in the text) is moved to the end of the
   document, one footnote per line, so the paragraph it interrupted re-joins;
3. footnote markers are removed where unambiguous: digits right after
   punctuation that follows a letter ("tariffs.12", "required.\u201d10",
   "(2025).3"),
   digits after a year or glued to a lower-case word ("FY2026.11", "tariffs12")
   when that footnote exists, and superscript digits; "$1.5 billion", "2025",
   "Section 232", "H100" stay;
4. lines are re-joined into paragraphs (see :mod:`briefer.formats_pdf_lines`), and a word split
   by a hyphen at a line end is re-joined without the hyphen when the whole word
   occurs elsewhere in the document, otherwise the hyphen is kept
   ("balance-of-\\npayments" -> "balance-of-payments").

Everything is a pure function of the page strings, so same bytes, same text.
"""

from __future__ import annotations

import io
import logging
import re

from .formats import ExtractResult, SkipFile, iso_date
from .formats_pdf_lines import _BULLET, _BULLET_GLYPH, _TERMINAL, _WORD, _full_length, _glue, _joins
from .ligatures import repair_ligatures
from .limits import DEFAULT, LimitExceeded

ZONE = 3  # lines at the top and at the bottom of a page where running lines live
_SPACES = re.compile(r"[ \t\xa0]+")
_DIGITS = re.compile(r"\d+")
_EDGE_NUMBER = re.compile(r"^(?:page )?#\s+|\s+#$")  # "Congressional Research Service 2"
_PAGE_NUMBER = re.compile(r"^(?:page\s+)?[-–—]?\s*(?:\d{1,4}|[ivxlc]{1,6})\s*[-–—]?"
                          r"(?:\s*(?:of|/)\s*\d{1,4})?$", re.IGNORECASE)
_BARE_URL = re.compile(r"^(?:https?://|www\.)\S+$", re.IGNORECASE)
_FOOTNOTE = re.compile(r"^(\d{1,3}) (?=\S)")
_MARK_PUNCT = re.compile(r"(?<=[A-Za-z%\)\]])([.,;:!?][\u201d\u2019\"')\]]?)(\d{1,3})(?=\s|$)")
_MARK_QUOTE = re.compile(r"(?<=[.,;:!?])([\u201d\u2019\"')\]])(\d{1,3})(?=\s|$)")
_NUMBERISH = re.compile(r"[\s\d\-/$#§.,]")  # a marker is never glued after these ...
_DECIMAL = re.compile(r"\d[.,]$")  # ... except after "21." when a sentence follows
_SUPERSCRIPT = re.compile(r"(?<=[A-Za-z.,;:!?\)\]\u201d\u2019\"'])[\u00b9\u00b2\u00b3\u2070\u2074-\u2079]+")


def _key(line: str) -> str:
    """A line as compared across pages: case, spacing and digits (page numbers) ignored."""
    return _EDGE_NUMBER.sub("", _DIGITS.sub("#", line.lower()))


def _running_lines(pages: list[list[str]]) -> set[str]:
    """Keys of lines that recur in the top/bottom zones of many pages (headers, footers)."""
    seen: dict[str, set[int]] = {}
    for number, lines in enumerate(pages):
        for line in lines[:ZONE] + lines[-ZONE:]:
            seen.setdefault(_key(line), set()).add(number)
    total = len(pages)
    return {key for key, where in seen.items()
            if len(where) >= 3 or (len(where) >= 2 and 2 * len(where) >= total)}


# A stamp printed once at a page's top ("IN12614 · VERSION 3 · UPDATED" on a CRS Insight's last page):
# no lower-case letter, a few words.  Between two halves of a sentence it can be no heading.
_STAMP = re.compile(r"^[^a-z]*[A-Z][^a-z]*$")
STAMP_MAX_WORDS = 8


def _stamp(line: str, before: str) -> bool:
    """Is ``line``, at a page's top, a stamp inside a sentence that the page before left open?"""
    return (bool(before) and not _TERMINAL.search(before) and bool(_STAMP.match(line))
            and len(line.split()) <= STAMP_MAX_WORDS)


def _strip_running(pages: list[list[str]]) -> list[list[str]]:
    """Drop running headers/footers, page numbers, bare URLs and mid-sentence stamps from each page's zones."""
    running = _running_lines(pages) if len(pages) > 1 else set()
    cleaned: list[list[str]] = []
    for number, lines in enumerate(pages):
        keep = []
        before = cleaned[-1][-1] if cleaned and cleaned[-1] else ""  # the last line the page before kept
        for index, line in enumerate(lines):
            top, bottom = index < ZONE, index >= len(lines) - ZONE
            furniture = _PAGE_NUMBER.match(line) or _BARE_URL.match(line) or (top and _stamp(line, before))
            # The first page's top holds the title, which later pages repeat as their header.
            junk = furniture or (_key(line) in running and (number > 0 or not top))
            if not ((top or bottom) and junk):
                keep.append(line)
        cleaned.append(keep)
    return cleaned


def _glued(line: str, number: int) -> int:
    """Where footnote marker *number* is glued to the text ("Defense15", "21.13 Absent"), or -1.

    Not after a space, digit, "-", "/", "$", "#" or "§" (ranges, amounts, ids),
    nor after "digit." unless a sentence or the line ends there ("$1.15 billion").
    """
    for match in re.finditer(rf"(?<=\S){number}(?=[\s.,;:!?)\]]|$)", line):
        at, end = match.start(), match.end()
        after = line[end:end + 2]
        if not _NUMBERISH.match(line[at - 1]):
            return at
        if _DECIMAL.search(line[:at]) and (not after.strip() or (after[0] == " " and after[1].isupper())):
            return at
    return -1


def _take_markers(line: str, state: dict[str, int], seen: set[int]) -> str:
    """Remove footnote markers from one body line, advancing ``state["mark"]``.

    Digits after punctuation that follows a letter are always markers; any other
    glued number only if it is the next marker expected (footnotes count up).
    """
    def safe(match: re.Match[str]) -> str:
        number = int(match.group(2))
        seen.add(number)
        if state["mark"] <= number <= state["mark"] + 5:
            state["mark"] = number + 1
        return match.group(1)

    line = _MARK_QUOTE.sub(safe, _MARK_PUNCT.sub(safe, line))
    for _ in range(8):
        for number in range(state["mark"], state["mark"] + 3):
            at = _glued(line, number)
            if at >= 0:
                line = line[:at] + line[at + len(str(number)):]
                seen.add(number)
                state["mark"] = number + 1
                break
        else:
            break
    return line


def _footnote_start(lines: list[str], next_note: int, seen: set[int]) -> int:
    """Index of the page's footnote block: the chain "N ...", "N+1 ..." ending at the bottom."""
    start, want = len(lines), None
    for index in range(len(lines) - 1, -1, -1):
        match = _FOOTNOTE.match(lines[index])
        number = int(match.group(1)) if match else -1
        if number < next_note or (number != want if want is not None else number not in seen):
            continue
        start, want = index, number - 1
        if number == next_note:
            break
    if start < len(lines) and int(_FOOTNOTE.match(lines[start]).group(1)) <= next_note + 2:
        return start
    return len(lines)


def _footnote_lines(block: list[str], state: dict[str, int]) -> list[str]:
    """A page's footnote block as one line per footnote (numbers kept: "5 OMB, ...")."""
    notes: list[str] = []
    for line in block:
        match = _FOOTNOTE.match(line)
        if match and state["next"] <= int(match.group(1)) <= state["next"] + 2:
            notes.append(line)
            state["next"] = int(match.group(1)) + 1
        elif notes:
            notes[-1] = _glue(notes[-1], line, set())
        else:
            notes.append(line)
    return notes


def _page_body(lines: list[str], state: dict[str, int], seen: set[int]) -> tuple[list[str], list[str]]:
    """Split a page into body lines (markers removed) and its footnotes."""
    trial = dict(state)
    for line in lines:  # dry run: which markers does this page reference?
        _take_markers(line, trial, seen)
    cut = _footnote_start(lines, state["next"], seen)
    body = [_take_markers(line, state, seen) for line in lines[:cut]]
    return body, _footnote_lines(lines[cut:], state)


def clean_pages(page_texts: list[str]) -> str:
    """Reading text of a PDF from pypdf's page strings (see module docstring)."""
    pages = [[_SPACES.sub(" ", line).strip() for line in text.replace("\r\n", "\n")
              .replace("\r", "\n").split("\n")] for text in page_texts]
    pages = _strip_running([[line for line in lines if line] for lines in pages])
    state, seen = {"next": 1, "mark": 1}, set()
    bodies, notes = [], []
    for lines in pages:
        body, page_notes = _page_body(lines, state, seen)
        bodies.append(body)
        notes.extend(page_notes)
    vocabulary = set(_WORD.findall("\n".join("\n".join(b) for b in bodies).lower()))
    all_lines = [line for lines in bodies for line in lines]
    fallback = _full_length(all_lines, 60)
    paragraphs: list[str] = []
    last, last_full = "", fallback  # the previous line, and the page it is on's full length
    for lines in bodies:
        full = _full_length(lines, fallback)
        for line in lines:
            line = _SUPERSCRIPT.sub("", line)
            item = bool(_BULLET.match(line))
            line = _BULLET_GLYPH.sub("", line)
            if not line:
                continue
            if last and not item and _joins(last, line, last_full, paragraphs[-1]):
                paragraphs[-1] = _glue(paragraphs[-1], line, vocabulary)
            else:
                paragraphs.append(line)
            last, last_full = line, full
    text = "\n".join(p for p in paragraphs if p)
    if notes:
        text += "\n\n" + "\n".join(notes)
    return text


def extract_pdf(raw: bytes, max_pages: int = DEFAULT.max_pdf_pages) -> ExtractResult:
    """PDF via pypdf: :func:`clean_pages` of the pages' ``extract_text()``; /Title, /CreationDate.

    The page count is checked before any text is extracted (``max_pages``,
    BRIEFER_MAX_PDF_PAGES): pages cost seconds each on a hostile file.
    pypdf itself bounds what one stream may inflate to (decompression bombs).
    """
    from pypdf import PdfReader

    # pypdf logs each recovery ("EOF marker not found") to stderr; the skip reason says enough.
    logging.getLogger("pypdf").setLevel(logging.ERROR)
    reader = PdfReader(io.BytesIO(raw))
    if reader.is_encrypted and not reader.decrypt(""):
        raise SkipFile("could not read PDF: encrypted")
    if len(reader.pages) > max_pages:
        raise LimitExceeded(f"PDF has {len(reader.pages)} pages (limit {max_pages}, BRIEFER_MAX_PDF_PAGES)")
    text = clean_pages(repair_ligatures([page.extract_text() or "" for page in reader.pages]))
    if not text.strip():
        raise SkipFile("no extractable text in PDF (scanned image?)")
    try:  # broken metadata must not cost us a readable text
        info = dict(reader.metadata or {})
    except Exception:  # noqa: BLE001
        info = {}
    title = str(info.get("/Title") or "") or None  # None: corpus derives it from the text
    created = re.match(r"(?:D:)?(\d{4})(\d{2})(\d{2})", str(info.get("/CreationDate") or ""))
    date = iso_date("-".join(created.groups())) if created else None
    return text, title, date
