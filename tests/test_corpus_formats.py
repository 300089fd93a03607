"""Tests for briefer.formats through corpus.extract: text decoding, titles and dates, HTML, PDF and DOCX."""

from __future__ import annotations

import hashlib
import random
from datetime import datetime
from pathlib import Path

import pytest
from corpus_helpers import entry_for, extract_doc, extract_file, make_docx, make_pdf, write

from briefer import formats_pdf
from briefer.corpus import extract, load_corpus, scan_corpus
from briefer.schema import Document, Skipped
from briefer.textanalysis import sentence_spans


MULTILINGUAL = (
    "中文段落：人工智能的发展。\n"
    "العربية: الذكاء الاصطناعي يتطور بسرعة.\n"
    "Emoji 🚀🔥👩‍💻 and combining e\u0301 vs é.\n"
)


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



WRAPPED = """POLICY ON SOFTWARE

        a) Code developed by employees of the Bureau, or by contractors writing
           software on behalf of the Bureau, is by default a public domain work.
           Employees may not re-license it without approval of the Chief
           Information Officer.
                 i. Publicly available source code enables broad peer review that
                    ensures security. Specifically, this process encourages the
                    identification of defects that might otherwise go unrecognized.
                ii. The ability to modify software lets the Bureau respond more rapidly
                    to changing missions, and keeps it in step with well-run firms.

        b) Exceptions are rare.
"""


def test_hard_wrapped_txt_is_rejoined_into_paragraphs(tmp_path: Path) -> None:
    """A file wrapped at a fixed width gives whole sentences, not one fragment per line."""
    doc = extract_doc(write(tmp_path / "policy.txt", WRAPPED))
    assert doc.text.split("\n") == [
        "POLICY ON SOFTWARE",
        "a) Code developed by employees of the Bureau, or by contractors writing software on behalf of the "
        "Bureau, is by default a public domain work. Employees may not re-license it without approval of the "
        "Chief Information Officer.",
        "i. Publicly available source code enables broad peer review that ensures security. Specifically, this "
        "process encourages the identification of defects that might otherwise go unrecognized.",
        "ii. The ability to modify software lets the Bureau respond more rapidly to changing missions, and keeps "
        "it in step with well-run firms.",
        "b) Exceptions are rare.",
        "",
    ]
    assert doc.title == "POLICY ON SOFTWARE"
    sentences = [doc.text[s:e] for s, e in sentence_spans(doc.text)]
    assert "Employees may not re-license it without approval of the Chief Information Officer." in sentences


def test_txt_with_one_paragraph_per_line_stays_verbatim(tmp_path: Path) -> None:
    """Offsets into an ordinary text file are offsets into the file: only a wrapped file is re-joined."""
    text = "Title line\n\n" + "".join(f"Sentence number {i} is a complete line of prose, ending here.\n"
                                        for i in range(8)) + "A short heading\nAnother line that ends without stop\n"
    assert extract_doc(write(tmp_path / "plain.txt", text)).text == text


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
