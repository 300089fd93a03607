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
4. lines are re-joined into paragraphs (see :func:`_joins`), and a word split
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
from .ligatures import repair_ligatures
from .limits import DEFAULT, LimitExceeded

ZONE = 3  # lines at the top and at the bottom of a page where running lines live
FULL_LINE = 0.75  # a line this share of the page's long-line length was wrapped, not ended
_OPEN_LINE = 0.55  # ... and one this long, without a full stop, was wrapped too
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
