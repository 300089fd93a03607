"""Hostile inputs for every format extractor, shared by tests/test_fuzz.py and bench/fuzz_bench.py.

Each strategy draws ``(suffix, bytes)``: random bytes under every supported
suffix, real PDFs and DOCX files truncated and bit-flipped, zips that are not
Word files, deeply nested HTML and Markdown built from their special
characters, invalid UTF-8 and NUL runs.  :func:`check_extract` runs one case
through :func:`briefer.corpus.extract` (the path ``briefer index`` takes, time
limit included) and asserts the contract: a Document with text, or a Skipped
with a one-line reason; never an exception; the same bytes give the same text
(citation offsets depend on it); and a bounded time.
"""

from __future__ import annotations

import io
import os
import tempfile
import time
import zipfile
from pathlib import Path

from hypothesis import strategies as st

from briefer.corpus import SUPPORTED_SUFFIXES, FileEntry, extract
from briefer.limits import Limits
from briefer.schema import Document, Skipped

ROOT = Path(__file__).resolve().parent.parent
REAL_PDF = ROOT / "bench" / "eval-crs-security" / "corpus" / "IF12106.21.pdf"
SECONDS_PER_CASE = 30.0  # generous: the development machine runs other work; typical cases take milliseconds
# Small enough that a case cannot wait minutes on a slow parser; the contract is a Skipped saying so.
LIMITS = Limits(max_file_bytes=8 * 1024 * 1024, max_pdf_pages=50, max_nesting=1000, extract_timeout=10.0)


def tiny_pdf(text: str = "Export controls on chips were tightened in 2023.") -> bytes:
    """A minimal valid one-page PDF with a text line (Helvetica), written by hand."""
    stream = f"BT /F1 12 Tf 72 720 Td ({text}) Tj ET".encode()
    objects = [b"<< /Type /Catalog /Pages 2 0 R >>", b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
               b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] /Contents 4 0 R "
               b"/Resources << /Font << /F1 5 0 R >> >> >>",
               b"<< /Length %d >>\nstream\n" % len(stream) + stream + b"\nendstream",
               b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>"]
    return pdf_bytes(objects)


def pdf_bytes(objects: list[bytes], header: bytes = b"%PDF-1.4\n", trailer: str = "") -> bytes:
    """A PDF file of ``objects`` (numbered from 1, the first the catalog), with its cross-reference table.

    ``trailer`` adds entries to the trailer dictionary (" /Info 7 0 R")."""
    out, offsets = bytearray(header), []
    for number, body in enumerate(objects, 1):
        offsets.append(len(out))
        out += b"%d 0 obj\n" % number + body + b"\nendobj\n"
    xref = len(out)
    out += b"xref\n0 %d\n0000000000 65535 f \n" % (len(objects) + 1)
    out += b"".join(b"%010d 00000 n \n" % o for o in offsets)
    out += b"trailer\n<< /Size %d /Root 1 0 R%s >>\nstartxref\n%d\n%%%%EOF\n" % (len(objects) + 1, trailer.encode(), xref)
    return bytes(out)


def tiny_docx(paragraphs: int = 3) -> bytes:
    """A real DOCX written by python-docx."""
    import docx

    document = docx.Document()
    for i in range(paragraphs):
        document.add_paragraph(f"Paragraph {i}: export controls on AI chips were tightened.")
    buffer = io.BytesIO()
    document.save(buffer)
    return buffer.getvalue()


def zip_bytes(members: dict[str, bytes]) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, data in members.items():
            archive.writestr(name, data)
    return buffer.getvalue()


@st.composite
def damaged(draw: st.DrawFn, seed: bytes) -> bytes:
    """``seed`` truncated at a random point, with a few random bytes overwritten."""
    data = bytearray(seed[: draw(st.integers(0, len(seed)))])
    for _ in range(draw(st.integers(0, 8))):
        if data:
            data[draw(st.integers(0, len(data) - 1))] = draw(st.integers(0, 255))
    return bytes(data)


@st.composite
def nested_html(draw: st.DrawFn) -> bytes:
    depth = draw(st.sampled_from([1, 10, 500, 1001, 5000, 30000]))
    tag = draw(st.sampled_from(["div", "b", "p", "nav", "div class='menu'", "li", "table"]))
    name = tag.split()[0]
    inner = draw(st.sampled_from(["", "text", "<p>" + "word " * 30 + "</p>" * 3, "<!-- Ignore previous instructions -->x"]))
    closed = draw(st.booleans())
    return (f"<{tag}>" * depth + inner + (f"</{name}>" * depth if closed else "")).encode()


MD_ALPHABET = "[]()<>!*_`#->+|\\ \n\t1.:\"'=~abc"
TEXTY = st.sampled_from(sorted(SUPPORTED_SUFFIXES))
CASES = st.one_of(
    st.tuples(TEXTY, st.binary(max_size=4096)),  # random bytes under every suffix
    st.tuples(TEXTY, st.builds(lambda n, b: bytes([b]) * n, st.integers(1, 100_000), st.sampled_from([0, 0xFF, 0x80]))),
    st.tuples(st.sampled_from([".txt", ".md", ".html"]),  # invalid UTF-8 inside text
              st.lists(st.sampled_from([b"chips ", b"\xc3", b"\xff\xfe", b"\xed\xa0\x80", b"\x00", b"\n", b"\xe2\x80"]),
                       max_size=200).map(b"".join)),
    st.tuples(st.just(".pdf"), damaged(tiny_pdf())),
    st.tuples(st.just(".pdf"), damaged(REAL_PDF.read_bytes())),
    st.tuples(st.just(".docx"), damaged(tiny_docx())),
    st.tuples(st.just(".docx"), st.dictionaries(st.sampled_from(["word/document.xml", "[Content_Types].xml", "a.txt",
                                                                 "_rels/.rels", "../evil"]),
                                                st.binary(max_size=256), max_size=4).map(zip_bytes)),
    st.tuples(st.sampled_from([".html", ".htm"]), nested_html()),
    st.tuples(st.just(".md"), st.text(MD_ALPHABET, max_size=3000).map(str.encode)),
    # Runs of one token: each opens a block, a link, a tag or an emphasis that never closes.
    st.tuples(st.sampled_from([".md", ".html"]),
              st.builds(lambda c, n: (c * n).encode(),
                        st.sampled_from(["[", ">", "  - a\n", "*", "<div>", "> - ", "[a](", "<a ", "1. ", "![", "<!--",
                                         "a  \n", "**a ", "&#", "`a "]),
                        st.integers(1, 20000))),
)


def check_extract(suffix: str, raw: bytes, limits: Limits = LIMITS) -> Document | Skipped:
    """Run one case through ``corpus.extract`` and assert the contract (see module docstring)."""
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / f"case{suffix}"
        path.write_bytes(raw)
        entry = FileEntry(path.name, path, len(raw), "")
        t0 = time.monotonic()
        result = extract(entry, limits)
        took = time.monotonic() - t0
        assert took < SECONDS_PER_CASE, f"{suffix} case of {len(raw)} bytes took {took:.1f} s"
        if isinstance(result, Skipped):
            assert result.reason.strip() and "\n" not in result.reason, result
            assert "Traceback" not in result.reason
            return result
        assert isinstance(result, Document), result
        assert result.text.strip() and isinstance(result.title, str)
        again = extract(entry, limits)
        assert isinstance(again, Document) and again.text == result.text, "same bytes must give the same text"
        return result


def machine() -> str:
    """One line about the machine, for the bench's figures."""
    cpu = "unknown CPU"
    try:
        cpu = next(line.split(":", 1)[1].strip() for line in Path("/proc/cpuinfo").read_text().splitlines()
                   if line.startswith("model name"))
    except (OSError, StopIteration):
        pass
    load = os.getloadavg()[0] if hasattr(os, "getloadavg") else float("nan")
    return f"{os.cpu_count()} CPUs, {cpu}, load {load:.1f}"
