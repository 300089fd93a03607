"""Bytes of a plain-text file (.txt, .md) to one ``str``: BOM, UTF-16, UTF-8, else a legacy 8-bit guess.

Apart from :mod:`briefer.formats` because telling an encoding (or binary
content) from the bytes is a problem of its own, with its own failure modes,
and has nothing to do with titles, dates or any one format.  It is the lowest
layer of extraction, so :class:`SkipFile`, which every extractor raises, lives
here too; :mod:`briefer.formats` re-exports it.
"""

from __future__ import annotations

import codecs
import re

# Metadata (front matter, headings, dates) is looked for near the top only (briefer.formats),
# and an encoding is told from that much of a file.
_HEAD = 65536


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
