"""Per-format text extraction: raw bytes in, ``(text, title, date)`` out.

Every extractor is a pure function of the file's bytes (plus the pinned
library versions), because citation offsets index into the extracted text and
``review`` re-extracts a file later to re-check quotes: same bytes must give
the identical string.

Why not LlamaIndex's file readers (llama-index-readers-file)? They wrap the
same libraries but hide what we need and add weight: ``PDFReader`` returns one
node per page with no /Title or /CreationDate and an unspecified page join,
``DocxReader`` goes through docx2txt (no core properties, its own blank-line
rules), ``HTMLTagReader`` keeps only one tag's text, and the package pulls in
pandas and more for formats we do not read.  So we call pypdf, python-docx and
beautifulsoup4 directly and own the join/normalisation rules.  Those imports
are lazy so that ``import briefer.corpus`` stays cheap and a missing library
turns into a per-file "could not read ..." skip instead of a crash.  How a text
file's bytes become a string is in :mod:`briefer.formats_decode`.
"""

from __future__ import annotations

import io
import re
from datetime import date as _date
from datetime import datetime
from typing import Any

# SkipFile lives with the decoder, the lowest layer; importers get it from here too.
from .formats_decode import _HEAD, SkipFile, decode_text
from .limits import DEFAULT, Limits, check_zip

TITLE_MAX = 120
# Part of the index's SCHEMA_VERSION (briefer.index_schema): bump it whenever any extractor's
# output changes (text, title or date), so indexes built from the old text are rebuilt.
# x13: a hard-wrapped text file is re-joined into paragraphs (briefer.formats_txt);
# x10: a stamp at a PDF page's top inside a sentence the page before left open is dropped
# (briefer.formats_pdf); x9: a NUL from a lost "ff" at a word's end is "ff", any other NUL dropped (briefer.ligatures);
# x8: a PDF line with a clause's comma is no heading; x7: kramdown attribute lists removed from
# Markdown; x6: a PDF line ending in "and", "of", a comma ... goes on in the next (briefer.formats_pdf);
# x5: PDF ligatures spelled out and lost ones restored (briefer.ligatures); x4: PDF Symbol-font and
# "o" bullets, Markdown footnotes; x3: deeply nested Markdown is not rendered
EXTRACTOR_VERSION = "x13"

ExtractResult = tuple[str, str | None, str | None]  # text, title (None = derive), date

# --------------------------------------------------------------------- titles and dates
_ISO_DATE = re.compile(r"(?<!\d)(\d{4})-(\d{2})-(\d{2})(?!\d)")
_FIRST_LINE = re.compile(r"\S[^\n]*")
_FRONT_MATTER = re.compile(r"\A---[ \t]*\n(.*?)\n(?:---|\.\.\.)[ \t]*(?:\n|\Z)", re.DOTALL)
_ATX_HEADING = re.compile(r"^ {0,3}#{1,6}[ \t]+(.+?)(?:[ \t]+#+)?[ \t]*$", re.MULTILINE)


def iso_date(value: str | None) -> str | None:
    """The first valid ``YYYY-MM-DD`` in *value*, or None (dates are stored that way)."""
    for match in _ISO_DATE.finditer(value or ""):
        try:
            return _date(*map(int, match.groups())).isoformat()
        except ValueError:
            continue
    return None


def clean_title(value: str | None) -> str | None:
    """Collapse whitespace and cap at ~120 chars (cut on a word); None if blank."""
    title = " ".join((value or "").split())
    if not title:
        return None
    if len(title) > TITLE_MAX:
        cut = title.rfind(" ", 0, TITLE_MAX)
        title = title[: cut if cut > TITLE_MAX // 2 else TITLE_MAX].rstrip() + "…"
    return title


def first_line(text: str, start: int = 0) -> str | None:
    """First non-blank line at or after *start* (regex search: no split of a huge text)."""
    match = _FIRST_LINE.search(text, start)
    return match.group(0) if match else None


_JUNK_TITLE = re.compile(
    r"""^(?:[a-z][a-z0-9+.-]*://|www\.|file:|[a-z]:[\\/]|\\\\|~?\.{0,2}/)  # URL, drive, UNC, path
    |^microsoft\s+(?:word|powerpoint|excel)\s+-       # "Microsoft Word - x.docx"
    |^(?:untitled|document\s*\d*|slide\s*\d+)$
    |^[^\s/\\]+\.(?:pdf|docx?|txt|md|markdown|html?|rtf|odt|pptx?|xlsx?|tex|indd)$  # file name
    |\\[^\s\\]+\\""",  # a Windows path anywhere
    re.IGNORECASE | re.VERBOSE,
)
_NOT_TITLE_LINE = re.compile(
    r"^(?:updated\s|(?:jan|feb|mar|apr|may|jun|jul|aug|sep|oct|nov|dec)[a-z]*\.?\s+\d{1,2},?\s+\d{4}$"
    r"|\d{4}-\d{2}-\d{2}$|[A-Z]{1,4}\d{3,}\S*$)", re.IGNORECASE)


def junk_title(title: str | None) -> bool:
    """Is a metadata title really a URL, a file path, a file name or a tool's placeholder?

    PDF /Title and DOCX core properties are often whatever the authoring tool
    filled in ("Microsoft Word - memo_v2.docx", "C:\\Users\\...\\x.docx"); such a
    title tells the analyst nothing, so the document's first heading is used.
    """
    value = " ".join((title or "").split())
    return not value or not any(c.isalpha() for c in value) or bool(_JUNK_TITLE.search(value))


def title_from_text(text: str, max_lines: int = 40) -> str | None:
    """The first line near the top that can serve as a title (a heading, not a date or URL)."""
    for number, match in enumerate(_FIRST_LINE.finditer(text)):
        if number >= max_lines:
            break
        line = match.group(0).strip()
        words = [w for w in line.split() if sum(c.isalpha() for c in w) >= 3]
        if words and not junk_title(line) and not _NOT_TITLE_LINE.match(line):
            return line
    return first_line(text)


def _head_date(text: str) -> str | None:
    """An ISO date in the first ten lines: a common "Date: 2024-03-01" header."""
    return iso_date("\n".join(text[:_HEAD].split("\n", 10)[:10]))


def _front_matter(text: str) -> dict[str, str]:
    """Flat ``key: value`` pairs of a YAML front-matter block (no PyYAML needed)."""
    match = _FRONT_MATTER.match(text[:_HEAD])
    fields: dict[str, str] = {}
    for line in (match.group(1).split("\n") if match else []):
        key, sep, value = line.partition(":")
        if sep and key.strip() and not key.startswith((" ", "\t")):
            fields.setdefault(key.strip().lower(), value.strip().strip("'\""))
    return fields


def extract_txt(raw: bytes, limits: Limits = DEFAULT) -> ExtractResult:
    """Plain text: the decoded file, hard-wrapped paragraphs re-joined (:mod:`briefer.formats_txt`);
    title = first non-blank line."""
    from .formats_txt import unwrap

    text = unwrap(decode_text(raw))
    return text, first_line(text), _head_date(text)


def extract_md(raw: bytes, limits: Limits = DEFAULT) -> ExtractResult:
    """Markdown rendered to plain text (see :mod:`briefer.formats_md` for why and how).

    Metadata comes from the source: front matter ``title:``, else the first
    ``#`` heading, else the first line of the text; ``date:``, else an ISO date
    near the top.
    """
    from .formats_md import markdown_to_text

    source = decode_text(raw)
    match = _FRONT_MATTER.match(source[:_HEAD])
    meta = _front_matter(source)
    start = match.end() if match else 0  # searched with pos=, never sliced off a huge text
    text = markdown_to_text(source, start, limits.max_nesting)
    if not text.strip():
        raise SkipFile("empty file")
    heading = _ATX_HEADING.search(source, start, start + _HEAD)
    title = meta.get("title") or (heading.group(1) if heading else None) or first_line(text)
    return text, title, iso_date(meta.get("date")) or _head_date(source[start:start + _HEAD])


def extract_html(raw: bytes, limits: Limits = DEFAULT) -> ExtractResult:
    """HTML: main content as text (lazy import: see :mod:`briefer.formats_html`)."""
    from .formats_html import extract_html as extract

    return extract(raw, limits.max_nesting)


def extract_pdf(raw: bytes, limits: Limits = DEFAULT) -> ExtractResult:
    """PDF: cleaned page text (lazy import: see :mod:`briefer.formats_pdf`)."""
    from .formats_pdf import extract_pdf as extract

    return extract(raw, limits.max_pdf_pages)


# --------------------------------------------------------------------- DOCX
_DOCX_TEMPLATE_CREATED = datetime(2013, 12, 23, 23, 15)


def extract_docx(raw: bytes, limits: Limits = DEFAULT) -> ExtractResult:
    """DOCX via python-docx: body paragraphs (and table rows) in order, joined by ``\\n``.

    Table rows become one line with cells separated by a tab; merged cells,
    which python-docx repeats, are emitted once.  The zip's unpacked size is
    checked first (python-docx reads every part whole: a zip bomb would not fit).
    """
    import docx

    check_zip(raw, limits.max_file_bytes)
    document = docx.Document(io.BytesIO(raw))
    blocks = (document.iter_inner_content() if hasattr(document, "iter_inner_content")
              else document.paragraphs)
    lines: list[str] = []
    for block in blocks:
        if hasattr(block, "rows"):
            for row in block.rows:
                cells: list[Any] = []  # python-docx _Cell
                for cell in row.cells:
                    if not cells or cell._tc is not cells[-1]._tc:
                        cells.append(cell)
                lines.append("\t".join(cell.text for cell in cells))
        else:
            lines.append(block.text)
    text = "\n".join(lines).replace("\r\n", "\n").replace("\r", "\n")
    if not text.strip():
        raise SkipFile("empty file")
    props = document.core_properties
    created = props.created
    # python-docx's blank template carries this creation stamp: it dates the
    # template, not the document, so a memo must not quote it.
    if created is not None and created.replace(tzinfo=None) == _DOCX_TEMPLATE_CREATED:
        created = None
    return text, props.title or None, created.date().isoformat() if created else None
