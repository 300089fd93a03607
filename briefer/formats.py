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
turns into a per-file "could not read ..." skip instead of a crash.
"""

from __future__ import annotations

import codecs
import io
import re
from datetime import date as _date
from datetime import datetime
from typing import Any

from .limits import DEFAULT, Limits, check_zip

TITLE_MAX = 120
# Part of the index's SCHEMA_VERSION (briefer.index_schema): bump it whenever any extractor's
# output changes (text, title or date), so indexes built from the old text are rebuilt.
# x10: a stamp at a PDF page's top inside a sentence the page before left open is dropped
# (briefer.formats_pdf); x9: a NUL from a lost "ff" at a word's end is "ff", any other NUL dropped (briefer.ligatures);
# x8: a PDF line with a clause's comma is no heading; x7: kramdown attribute lists removed from
# Markdown; x6: a PDF line ending in "and", "of", a comma ... goes on in the next (briefer.formats_pdf);
# x5: PDF ligatures spelled out and lost ones restored (briefer.ligatures); x4: PDF Symbol-font and
# "o" bullets, Markdown footnotes; x3: deeply nested Markdown is not rendered
EXTRACTOR_VERSION = "x11"
_HEAD = 65536  # metadata (front matter, headings, dates) is looked for near the top only

ExtractResult = tuple[str, str | None, str | None]  # text, title (None = derive), date


class SkipFile(Exception):
    """Raised by an extractor for an expected, user-facing skip reason."""


# --------------------------------------------------------------------- text decoding
_BOMS = (  # UTF-32 before UTF-16: the UTF-32-LE BOM starts with the UTF-16-LE one
    (codecs.BOM_UTF8, "utf-8"),
    (codecs.BOM_UTF32_LE, "utf-32-le"),
    (codecs.BOM_UTF32_BE, "utf-32-be"),
    (codecs.BOM_UTF16_LE, "utf-16-le"),
    (codecs.BOM_UTF16_BE, "utf-16-be"),
)
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0e-\x1f\x7f]")


def _utf16_without_bom(raw: bytes) -> str | None:
    """Guess BOM-less UTF-16 from where the NUL bytes sit.

    In UTF-16 every ASCII character (spaces, digits, punctuation even in
    Arabic or Cyrillic text) puts a NUL on the same side of its byte pair;
    random binary scatters NULs on both sides.  Binary that happens to fit is
    caught afterwards by the control-character check or a decode error.
    """
    sample = raw[: _HEAD - _HEAD % 2]
    half = max(len(sample) // 2, 1)
    even, odd = sample[0::2].count(0), sample[1::2].count(0)
    if odd >= 0.05 * half and even <= 0.05 * odd:
        return "utf-16-le"
    if even >= 0.05 * half and odd <= 0.05 * even:
        return "utf-16-be"
    return None


def decode_text(raw: bytes) -> str:
    """Decode a plain-text file deterministically and normalise newlines to ``\\n``.

    Order: BOM, UTF-16 NUL pattern, strict UTF-8, then charset-normalizer's
    best guess (it returns nothing when no candidate is coherent enough, which
    is our "not confident" signal).  Raises :class:`SkipFile` with
    "empty file", "binary content" or "undecodable text".
    """
    if not raw or raw.isspace():  # isspace: no copy of a possibly huge buffer
        raise SkipFile("empty file")
    text: str | None = None
    for bom, encoding in _BOMS:
        if raw.startswith(bom):
            try:
                text = str(memoryview(raw)[len(bom):], encoding)  # no 50 MB slice copy
            except UnicodeDecodeError:
                raise SkipFile("undecodable text") from None
            break
    if text is None and b"\x00" in raw:
        encoding16 = _utf16_without_bom(raw)
        if encoding16 is None:
            raise SkipFile("binary content")
        try:
            text = raw.decode(encoding16)
        except UnicodeDecodeError:
            raise SkipFile("binary content") from None
    if text is None:
        try:
            text = raw.decode("utf-8")
        except UnicodeDecodeError:
            text = _guess_decode(raw)
    sample = text[:_HEAD]
    if "\x00" in sample or len(_CONTROL.findall(sample)) > 0.1 * len(sample):
        raise SkipFile("binary content")
    if "\r" in text:  # two linear passes; skipped entirely for LF-only files
        text = text.replace("\r\n", "\n").replace("\r", "\n")
    if not text or text.isspace():
        raise SkipFile("empty file")
    return text


# Non-ASCII characters that Western (cp1252/Latin-1) prose plausibly contains.
_WESTERN_PUNCT = set("“”‘’‚„–—…•€™°«»§©®±·¿¡£×\xa0")


def _as_western(raw: bytes) -> str | None:
    """cp1252 (a superset of Latin-1's printable range) if the bytes look like Western prose.

    charset-normalizer ranks short Western text badly (3.5: French Latin-1
    prose -> cp1257, "Café" -> cp1006), yet cp1252 is by far the most common
    legacy encoding.  Accept it only when every non-ASCII character decodes to
    a letter or common punctuation and non-ASCII letters are a minority of
    letters: Cyrillic/Greek/... 8-bit text is mostly non-ASCII letters, so it
    fails the test and goes to charset-normalizer, which handles it well.
    """
    try:
        text = raw.decode("cp1252")
    except UnicodeDecodeError:
        return None
    sample = text[:_HEAD]
    high = [c for c in sample if c > "\x7f"]
    letters = sum(c.isalpha() for c in sample)
    high_letters = sum(c.isalpha() for c in high)
    if all(c.isalpha() or c in _WESTERN_PUNCT for c in high) and high_letters <= 0.3 * letters:
        return text
    return None


def _guess_decode(raw: bytes) -> str:
    """Legacy 8-bit text: cp1252 when it fits (see above), else charset-normalizer."""
    western = _as_western(raw)
    if western is not None:
        return western
    try:
        from charset_normalizer import from_bytes
    except ImportError:  # degrade to "can't tell" rather than guessing blindly
        raise SkipFile("undecodable text (charset-normalizer is not installed)") from None
    best = from_bytes(raw).best()
    if best is None:
        raise SkipFile("undecodable text")
    try:
        return raw.decode(best.encoding)
    except (UnicodeDecodeError, LookupError):
        raise SkipFile("undecodable text") from None


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
    """Plain text: the decoded file verbatim; title = first non-blank line."""
    text = decode_text(raw)
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
