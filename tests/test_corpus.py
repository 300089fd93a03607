"""Tests for briefer.corpus / briefer.formats.  Every fixture is built in tmp_path."""

from __future__ import annotations

import hashlib
import os
import random
import shutil
import time
from datetime import datetime
from pathlib import Path

import pytest

from briefer import corpus, formats_pdf
from briefer.corpus import (
    FileEntry,
    extract,
    load_corpus,
    read_document,
    scan_corpus,
)
from briefer.errors import CorpusError
from briefer.schema import Document, Skipped

SAMPLE_CORPUS = Path(__file__).resolve().parent.parent / "corpus"
MULTILINGUAL = (
    "中文段落：人工智能的发展。\n"
    "العربية: الذكاء الاصطناعي يتطور بسرعة.\n"
    "Emoji 🚀🔥👩‍💻 and combining e\u0301 vs é.\n"
)


# ----------------------------------------------------------------------------- helpers
def write(path: Path, data: bytes | str) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(data.encode("utf-8") if isinstance(data, str) else data)
    return path


def entry_for(path: Path, root: Path | None = None) -> FileEntry:
    root = root or path.parent
    raw = path.read_bytes()
    return FileEntry(path.relative_to(root).as_posix(), path, len(raw),
                     hashlib.sha256(raw).hexdigest())


def extract_file(path: Path) -> Document | Skipped:
    return extract(entry_for(path))


def extract_doc(path: Path) -> Document:
    result = extract_file(path)
    assert isinstance(result, Document), result
    return result


def make_pdf(pages: list[str], info: dict[str, str] | None = None) -> bytes:
    """A minimal but valid PDF: Helvetica text drawn with Tj, one content stream a page."""
    n = len(pages)
    page_ids = [4 + 2 * i for i in range(n)]
    objects = [
        b"<< /Type /Catalog /Pages 2 0 R >>",
        f"<< /Type /Pages /Kids [{' '.join(f'{i} 0 R' for i in page_ids)}] /Count {n} >>".encode(),
        b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica /Encoding /WinAnsiEncoding >>",
    ]
    for page_id, text in zip(page_ids, pages):
        ops = ["BT", "/F1 12 Tf", "16 TL", "72 720 Td"]
        for line in text.split("\n"):
            escaped = line.replace("\\", "\\\\").replace("(", "\\(").replace(")", "\\)")
            ops.append(f"({escaped}) Tj T*")
        ops.append("ET")
        stream = "\n".join(ops).encode("latin-1")
        objects.append(
            f"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] /Resources "
            f"<< /Font << /F1 3 0 R >> >> /Contents {page_id + 1} 0 R >>".encode()
        )
        objects.append(b"<< /Length %d >>\nstream\n" % len(stream) + stream + b"\nendstream")
    info_id = None
    if info:
        objects.append(("<< " + " ".join(f"/{k} ({v})" for k, v in info.items()) + " >>").encode())
        info_id = len(objects)
    out = bytearray(b"%PDF-1.4\n%\xe2\xe3\xcf\xd3\n")
    offsets = []
    for number, body in enumerate(objects, 1):
        offsets.append(len(out))
        out += b"%d 0 obj\n" % number + body + b"\nendobj\n"
    xref = len(out)
    out += b"xref\n0 %d\n0000000000 65535 f \n" % (len(objects) + 1)
    out += b"".join(b"%010d 00000 n \n" % offset for offset in offsets)
    trailer = f"<< /Size {len(objects) + 1} /Root 1 0 R"
    trailer += f" /Info {info_id} 0 R >>" if info_id else " >>"
    out += b"trailer\n" + trailer.encode() + b"\nstartxref\n%d\n%%%%EOF\n" % xref
    return bytes(out)


def make_docx(path: Path, title: str | None, paragraphs: list[str],
              table: list[list[str]] | None = None, created: datetime | None = None) -> Path:
    docx = pytest.importorskip("docx")
    document = docx.Document()
    document.core_properties.title = title or ""
    if created is not None:
        document.core_properties.created = created
    for text in paragraphs:
        document.add_paragraph(text)
    if table:
        grid = document.add_table(rows=len(table), cols=len(table[0]))
        for r, row in enumerate(table):
            for c, value in enumerate(row):
                grid.cell(r, c).text = value
    path.parent.mkdir(parents=True, exist_ok=True)
    document.save(str(path))
    return path


# ----------------------------------------------------------------------------- scanning
def test_scan_missing_dir_raises(tmp_path: Path) -> None:
    with pytest.raises(CorpusError, match="Corpus folder not found: .*--corpus DIR.*BRIEFER_CORPUS"):
        scan_corpus(tmp_path / "nope")


def test_scan_file_instead_of_dir_raises(tmp_path: Path) -> None:
    file = write(tmp_path / "a.txt", "hello")
    with pytest.raises(CorpusError, match="not found"):
        scan_corpus(file)
    with pytest.raises(CorpusError, match="not found"):
        load_corpus(file)


def test_scan_empty_dir_raises(tmp_path: Path) -> None:
    with pytest.raises(CorpusError, match=r"is empty\. Add .*\.txt"):
        scan_corpus(tmp_path)
    write(tmp_path / ".DS_Store", b"\x00\x01")  # hidden files do not count
    write(tmp_path / ".git" / "config", "x")
    with pytest.raises(CorpusError, match="is empty"):
        scan_corpus(tmp_path)


def test_scan_lists_sorted_skips_hidden_readme_and_unknown(tmp_path: Path) -> None:
    write(tmp_path / "b.txt", "bee")
    write(tmp_path / "a.md", "# A")
    write(tmp_path / "sub" / "c.html", "<p>c</p>")
    write(tmp_path / "sub" / "README.md", "a README inside a subfolder is a source")
    write(tmp_path / "README.md", "describes the corpus")
    write(tmp_path / "data.xyz", "???")
    write(tmp_path / "noext", "???")
    write(tmp_path / "UPPER.TXT", "upper-case suffix")
    write(tmp_path / ".hidden.txt", "secret")
    write(tmp_path / ".cache" / "d.txt", "hidden folder")

    entries, skipped = scan_corpus(tmp_path)

    assert [e.path for e in entries] == ["UPPER.TXT", "a.md", "b.txt", "sub/README.md", "sub/c.html"]
    b = next(e for e in entries if e.path == "b.txt")
    assert b.size == 3
    assert b.sha256 == hashlib.sha256(b"bee").hexdigest()
    assert b.abspath == tmp_path / "b.txt"
    reasons = {s.path: s.reason for s in skipped}
    assert reasons["data.xyz"] == "unsupported format .xyz"
    assert reasons["noext"].startswith("unsupported format")
    assert "README" in reasons["README.md"] or "corpus" in reasons["README.md"]
    assert not any(".hidden" in p or ".cache" in p for p in reasons)
    # Deterministic: a second scan gives the very same result.
    assert scan_corpus(tmp_path) == (entries, skipped)


def test_relative_corpus_dir_gives_absolute_paths(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    write(tmp_path / "docs" / "x.txt", "x")
    monkeypatch.chdir(tmp_path)
    entries, _ = scan_corpus(Path("docs"))
    assert entries[0].path == "x.txt"
    assert entries[0].abspath.is_absolute() and entries[0].abspath == tmp_path / "docs" / "x.txt"


def test_too_large_file_is_skipped(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    write(tmp_path / "big.txt", "x" * 5000)
    write(tmp_path / "small.txt", "ok")
    monkeypatch.setattr(corpus, "MAX_FILE_BYTES", 1000)
    entries, skipped = scan_corpus(tmp_path)
    assert [e.path for e in entries] == ["small.txt"]
    assert skipped[0].path == "big.txt" and "too large" in skipped[0].reason


@pytest.mark.skipif(not hasattr(os, "mkfifo"), reason="needs mkfifo")
def test_fifo_is_skipped_not_read(tmp_path: Path) -> None:
    os.mkfifo(tmp_path / "pipe.txt")
    write(tmp_path / "ok.txt", "fine")
    entries, skipped = scan_corpus(tmp_path)  # would hang if the FIFO were opened
    assert [e.path for e in entries] == ["ok.txt"]
    assert skipped == [Skipped("pipe.txt", "not a regular file")]


# ----------------------------------------------------------------------------- text decoding
RUSSIAN = "Привет! Это тестовый документ о развитии искусственного интеллекта в России.\n"
POLISH = "Zażółć gęślą jaźń. Płynęła łódź po jeziorze, a ludzie śpiewali głośno.\n"
LATIN = "Le café était très bon, à côté de l'église. Résumé: naïve façade, garçon, déjà vu.\n" * 3


@pytest.mark.parametrize(
    "raw, expected",
    [
        ("Plain UTF-8 — “quotes” ✓\n".encode(), "Plain UTF-8 — “quotes” ✓\n"),
        (b"\xef\xbb\xbf" + "BOM UTF-8 café\n".encode(), "BOM UTF-8 café\n"),
        ("UTF-16 with BOM café 中文\n".encode("utf-16"), "UTF-16 with BOM café 中文\n"),
        (b"\xff\xfe" + "UTF-16 LE BOM é\n".encode("utf-16-le"), "UTF-16 LE BOM é\n"),
        ("UTF-16 LE without any BOM, mostly ASCII é\n".encode("utf-16-le"),
         "UTF-16 LE without any BOM, mostly ASCII é\n"),
        ("UTF-16 BE without BOM, also ASCII-ish\n".encode("utf-16-be"),
         "UTF-16 BE without BOM, also ASCII-ish\n"),
        (LATIN.encode("latin-1"), LATIN),
        ("Café\n".encode("latin-1"), "Café\n"),
        ("Smart “quotes” — 10 € café\n".encode("cp1252"), "Smart “quotes” — 10 € café\n"),
        (RUSSIAN.encode("cp1251"), RUSSIAN),
        (MULTILINGUAL.encode("utf-16-le"), MULTILINGUAL),
        (POLISH.encode("cp1250"), POLISH),
        (MULTILINGUAL.encode("utf-8"), MULTILINGUAL),
    ],
    ids=["utf8", "utf8-bom", "utf16-bom", "utf16le-bom", "utf16le-nobom", "utf16be-nobom",
         "latin1", "latin1-short", "cp1252", "cp1251", "multilingual-utf16le-nobom", "cp1250", "multilingual"],
)
def test_txt_encodings_decode_exactly(tmp_path: Path, raw: bytes, expected: str) -> None:
    path = write(tmp_path / "doc.txt", raw)
    doc = extract_doc(path)
    assert doc.text == expected
    assert "\ufeff" not in doc.text
    assert doc.format == "txt"
    assert doc.sha256 == hashlib.sha256(raw).hexdigest()


def test_multilingual_text_preserved_exactly_in_every_text_format(tmp_path: Path) -> None:
    md = extract_doc(write(tmp_path / "m.md", MULTILINGUAL))
    assert md.text == " ".join(MULTILINGUAL.split())  # one Markdown paragraph: one line
    html = extract_doc(write(tmp_path / "m.html", f"<p>{MULTILINGUAL.strip()}</p>"))
    assert html.text == " ".join(MULTILINGUAL.split())  # HTML collapses whitespace
    assert "🚀🔥👩‍💻" in html.text and "e\u0301" in html.text


def test_newlines_normalised(tmp_path: Path) -> None:
    doc = extract_doc(write(tmp_path / "crlf.txt", b"one\r\ntwo\rthree\n"))
    assert doc.text == "one\ntwo\nthree\n"


@pytest.mark.parametrize("raw", [b"", b"   \n\t\r\n  ", "\n \u3000\n".encode("utf-8"),
                                 "  \n".encode("utf-16")], ids=["zero", "ws", "unicode-ws", "utf16-ws"])
def test_empty_files_skipped(tmp_path: Path, raw: bytes) -> None:
    result = extract_file(write(tmp_path / "empty.txt", raw))
    assert result == Skipped("empty.txt", "empty file")


def test_binary_content_skipped(tmp_path: Path) -> None:
    rng = random.Random(1234)
    noise = bytes(rng.randrange(256) for _ in range(4096))
    result = extract_file(write(tmp_path / "blob.txt", b"\x00\x01\x02" + noise))
    assert result == Skipped("blob.txt", "binary content")
    controls = bytes(rng.randrange(1, 9) for _ in range(2048))  # valid UTF-8, but not text
    result = extract_file(write(tmp_path / "ctl.md", controls))
    assert result == Skipped("ctl.md", "binary content")


def test_undecodable_text_skipped(tmp_path: Path) -> None:
    rng = random.Random(99)
    noise = bytes(rng.randrange(128, 256) for _ in range(3000))  # no NULs, not UTF-8
    result = extract_file(write(tmp_path / "noise.txt", noise))
    assert result == Skipped("noise.txt", "undecodable text")


def test_reason_never_crashes_for_unreadable_file(tmp_path: Path) -> None:
    path = write(tmp_path / "gone.txt", "text")
    entry = entry_for(path)
    path.unlink()
    result = extract(entry)
    assert isinstance(result, Skipped) and result.reason.startswith("could not read file")


# ----------------------------------------------------------------------------- titles, dates
def test_markdown_front_matter_title_and_date(tmp_path: Path) -> None:
    source = ('---\ntitle: "Chip Export Rules"\ndate: 2024-02-29\ntags: [ai]\n---\n'
              "# Heading not used\n\nBody text.\n")
    doc = extract_doc(write(tmp_path / "fm.md", source))
    assert doc.title == "Chip Export Rules"
    assert doc.date == "2024-02-29"
    assert doc.format == "md"
    assert doc.text == "Heading not used\nBody text."  # rendered: no front matter, no "#"


def test_markdown_front_matter_without_title_uses_body_heading(tmp_path: Path) -> None:
    source = "---\n# a YAML comment, not a heading\ndate: '2020-01-02'\n---\nIntro\n# Body Heading\n"
    doc = extract_doc(write(tmp_path / "fm2.md", source))
    assert doc.title == "Body Heading"
    assert doc.date == "2020-01-02"


def test_markdown_heading_then_first_line_titles(tmp_path: Path) -> None:
    doc = extract_doc(write(tmp_path / "h.markdown", "intro line\n\n## The Real Heading ##\ntext"))
    assert doc.title == "The Real Heading"
    assert doc.format == "md"
    doc = extract_doc(write(tmp_path / "plain.md", "\n\n   First words here.  \nmore"))
    assert doc.title == "First words here."
    assert doc.date is None


def test_txt_title_truncated_and_iso_date(tmp_path: Path) -> None:
    long_line = "word " * 60
    doc = extract_doc(write(tmp_path / "t.txt", f"\n{long_line}\nPublished 2023-11-07 by X\n"))
    assert doc.title.startswith("word word")
    assert len(doc.title) <= 121 and doc.title.endswith("…")
    assert doc.date == "2023-11-07"
    bad = extract_doc(write(tmp_path / "bad.txt", "Ref 2023-13-45 not a date\n"))
    assert bad.date is None


# ----------------------------------------------------------------------------- HTML
HTML = """<!DOCTYPE html>
<html><head><meta charset="utf-8">
<title>Quarterly   Update</title>
<meta property="article:published_time" content="2024-03-05T10:00:00Z">
<style>body { color: red; } .secret { display: none }</style>
<script>alert(1)</script>
</head>
<body onload="alert(4)">
<!-- a comment nobody sees -->
<h1>Main heading</h1>
<p>First paragraph with <b>bold</b>
   text &amp; an entity.</p>
<p>Second <a href="javascript:alert(2)">click here</a> paragraph.</p>
<img src="x.png" onerror="alert(3)" alt="pic">
<noscript>Enable JavaScript please</noscript>
<div hidden>invisible div</div><span style="display:none">invisible span</span>
<ul><li>Item one</li><li>BREAK</li></ul>
<table><tr><td>Cell A</td><td>Cell B</td></tr></table>
<script type="text/javascript">document.write("evil")</script>
</body></html>
"""


def test_html_visible_text_only(tmp_path: Path) -> None:
    doc = extract_doc(write(tmp_path / "page.html", HTML))
    assert doc.text == ("Main heading\nFirst paragraph with bold text & an entity.\n"
                        "Second click here paragraph.\nItem one\nBREAK\nCell A; Cell B")
    for leaked in ("alert", "javascript", "onerror", "onload", "document.write", "color: red",
                   "comment", "Enable JavaScript", "invisible", "<", ">", "pic", "Quarterly"):
        assert leaked not in doc.text, leaked
    assert doc.title == "Quarterly Update"
    assert doc.date == "2024-03-05"
    assert doc.format == "html"


def test_html_title_falls_back_to_h1_and_meta_name_date(tmp_path: Path) -> None:
    page = ('<html><head><meta name="date" content="2022-01-31"></head>'
            "<body><p>Lead</p><h1>The H1</h1><pre>  code\n    indented</pre></body></html>")
    doc = extract_doc(write(tmp_path / "p.htm", page))
    assert doc.title == "The H1"
    assert doc.date == "2022-01-31"
    assert doc.text == "Lead\nThe H1\n  code\n    indented"


def test_html_declared_legacy_charset(tmp_path: Path) -> None:
    page = '<html><head><meta charset="windows-1252"></head><body><p>café “ok”</p></body></html>'
    doc = extract_doc(write(tmp_path / "w.html", page.encode("cp1252")))
    assert doc.text == "café “ok”"


def test_html_without_visible_text_skipped(tmp_path: Path) -> None:
    result = extract_file(write(tmp_path / "s.html", "<script>alert(1)</script><style>p{}</style>"))
    assert isinstance(result, Skipped) and "no visible text" in result.reason


# ----------------------------------------------------------------------------- PDF
def test_pdf_text_title_date(tmp_path: Path) -> None:
    pypdf = pytest.importorskip("pypdf")
    raw = make_pdf(["Page one says hello.\nSecond line on page one.", "Page two text."],
                   {"Title": "Annual Report", "CreationDate": "D:20230412093000+00'00'"})
    path = write(tmp_path / "report.pdf", raw)
    doc = extract_doc(path)
    # Short lines ending a sentence stay lines; pages join without running furniture.
    assert doc.text == "Page one says hello.\nSecond line on page one.\nPage two text."
    pages = [p.extract_text() for p in pypdf.PdfReader(str(path)).pages]
    assert doc.text == formats_pdf.clean_pages(pages)
    assert doc.title == "Annual Report"
    assert doc.date == "2023-04-12"
    assert doc.format == "pdf"
    assert doc.sha256 == hashlib.sha256(raw).hexdigest()


def test_pdf_without_metadata_uses_first_line(tmp_path: Path) -> None:
    pytest.importorskip("pypdf")
    doc = extract_doc(write(tmp_path / "n.pdf", make_pdf(["Untitled memo heading\nBody text."])))
    assert doc.title == "Untitled memo heading"
    assert doc.date is None


def test_corrupt_pdf_and_docx_are_skipped(tmp_path: Path) -> None:
    pytest.importorskip("pypdf")
    pytest.importorskip("docx")
    result = extract_file(write(tmp_path / "bad.pdf", b"%PDF-1.4\nthis is not really a pdf"))
    assert isinstance(result, Skipped) and result.reason.startswith("could not read PDF:")
    result = extract_file(write(tmp_path / "bad.docx", b"PK\x03\x04 not a zip"))
    assert isinstance(result, Skipped) and result.reason.startswith("could not read DOCX:")


# ----------------------------------------------------------------------------- DOCX
def test_docx_paragraphs_table_and_title(tmp_path: Path) -> None:
    path = make_docx(tmp_path / "memo.docx", "Docx Title",
                     ["First paragraph.", "", "Third: 中文 العربية 🚀"], [["A", "B"], ["C", "D"]],
                     created=datetime(2021, 5, 6, 8, 0))
    doc = extract_doc(path)
    assert doc.date == "2021-05-06"
    assert doc.text == "First paragraph.\n\nThird: 中文 العربية 🚀\nA\tB\nC\tD"
    assert doc.title == "Docx Title"
    assert doc.format == "docx"


def test_docx_title_falls_back_to_first_paragraph(tmp_path: Path) -> None:
    path = make_docx(tmp_path / "untitled.docx", None, ["", "Opening paragraph text.", "More."])
    doc = extract_doc(path)
    assert doc.title == "Opening paragraph text."
    assert doc.date is None  # python-docx's template stamp (2013) is not the document's date


# ----------------------------------------------------------------------------- reproducibility
def test_extract_twice_gives_identical_documents(tmp_path: Path) -> None:
    write(tmp_path / "a.txt", LATIN.encode("latin-1"))
    write(tmp_path / "b.html", HTML)
    write(tmp_path / "c.md", "---\ntitle: T\n---\nbody")
    if _has("pypdf"):
        write(tmp_path / "d.pdf", make_pdf(["pdf text"]))
    if _has("docx"):
        make_docx(tmp_path / "e.docx", "E", ["docx text"])
    entries, _ = scan_corpus(tmp_path)
    first = [extract(e) for e in entries]
    second = [extract(e) for e in entries]
    assert all(isinstance(d, Document) for d in first), first
    assert first == second
    docs, _ = load_corpus(tmp_path)
    assert docs == first


def _has(module: str) -> bool:
    try:
        __import__(module)
    except ImportError:
        return False
    return True


# ----------------------------------------------------------------------------- load / read
def test_huge_text_file_loads_in_linear_time(tmp_path: Path) -> None:
    line = "The quick brown fox 0123456789 jumps over the lazy dog; 2024-01-01.\n"
    repeats = 50_000_000 // len(line)
    with open(tmp_path / "huge.txt", "wb") as handle:
        handle.write(line.encode() * repeats)
    started = time.monotonic()
    docs, skipped = load_corpus(tmp_path)
    elapsed = time.monotonic() - started
    assert skipped == []
    assert len(docs) == 1 and len(docs[0].text) == len(line) * repeats
    assert docs[0].text.endswith(line)
    assert docs[0].title == line.strip()
    assert elapsed < 60, f"50 MB took {elapsed:.1f}s: something is not linear"


def test_load_corpus_reports_skips_and_raises_when_nothing_readable(tmp_path: Path) -> None:
    write(tmp_path / "empty.txt", b"")
    write(tmp_path / "blob.md", b"\x00\x9f\x00\x10\x00\x00\xff" * 50)
    write(tmp_path / "x.xyz", "unsupported")
    seen: list[Skipped] = []
    with pytest.raises(CorpusError, match=r"No readable documents in .*3 files skipped.*empty file"):
        load_corpus(tmp_path, on_skip=seen.append)
    assert sorted(s.path for s in seen) == ["blob.md", "empty.txt", "x.xyz"]

    write(tmp_path / "good.txt", "finally something")
    seen.clear()
    docs, skipped = load_corpus(tmp_path, on_skip=seen.append)
    assert [d.path for d in docs] == ["good.txt"]
    assert [s.path for s in skipped] == ["blob.md", "empty.txt", "x.xyz"]
    assert sorted(seen, key=lambda s: s.path) == skipped


def _sample_files() -> list[Path]:
    return sorted(p for p in SAMPLE_CORPUS.glob("*.txt"))


def test_sample_corpus_loads_five_documents_verbatim(tmp_path: Path) -> None:
    docs, skipped = load_corpus(SAMPLE_CORPUS)
    files = _sample_files()
    assert len(files) == 5
    assert [d.path for d in docs] == [p.name for p in files]
    for doc, path in zip(docs, files):
        expected = path.read_bytes().decode("utf-8-sig").replace("\r\n", "\n")
        assert doc.text == expected
        assert doc.sha256 == hashlib.sha256(path.read_bytes()).hexdigest()
        assert doc.title and len(doc.title) <= 121
    assert all(s.path.lower() != "readme.md" or "README" in s.reason for s in skipped)
    assert not any(d.path.lower() == "readme.md" for d in docs)


def test_sample_corpus_copy_with_root_readme_skips_it(tmp_path: Path) -> None:
    copy = tmp_path / "corpus"
    shutil.copytree(SAMPLE_CORPUS, copy)
    if not (copy / "README.md").exists():
        write(copy / "README.md", "# Sample corpus\nFive news articles used by the tests.\n")
    docs, skipped = load_corpus(copy)
    assert len(docs) == 5
    assert "README.md" in [s.path for s in skipped]


def test_read_document_matches_load_and_sees_changes(tmp_path: Path) -> None:
    write(tmp_path / "sub" / "a.txt", "Original text 中文.")
    docs, _ = load_corpus(tmp_path)
    assert read_document(tmp_path, "sub/a.txt") == docs[0]
    write(tmp_path / "sub" / "a.txt", "Edited text.")
    again = read_document(tmp_path, "sub/a.txt")
    assert again.text == "Edited text."
    assert again.sha256 != docs[0].sha256


def test_read_document_errors(tmp_path: Path) -> None:
    write(tmp_path / "outside.txt", "outside")
    tmp_path = tmp_path / "corpus"
    write(tmp_path / "a.txt", "text")
    write(tmp_path / "empty.txt", "")
    with pytest.raises(CorpusError, match="no longer in the corpus"):
        read_document(tmp_path, "missing.txt")
    with pytest.raises(CorpusError, match="not a file inside the corpus"):
        read_document(tmp_path, "../outside.txt")
    with pytest.raises(CorpusError, match="can no longer be read: empty file"):
        read_document(tmp_path, "empty.txt")
    with pytest.raises(CorpusError, match="Corpus folder not found"):
        read_document(tmp_path / "gone", "a.txt")
