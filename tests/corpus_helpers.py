"""Shared by the test_corpus*.py modules: files written into tmp_path, extracted, and minimal PDF and DOCX built."""

from __future__ import annotations

import hashlib
from datetime import datetime
from pathlib import Path

import pytest

from briefer.corpus import FileEntry, extract
from briefer.schema import Document, Skipped
from fuzzcases import pdf_bytes


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
    return pdf_bytes(objects, b"%PDF-1.4\n%\xe2\xe3\xcf\xd3\n", f" /Info {info_id} 0 R" if info_id else "")


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
