"""Tests for briefer.corpus: scanning a folder, loading and re-reading it.  Every fixture is built in tmp_path."""

from __future__ import annotations

import hashlib
import os
import shutil
import time
from pathlib import Path

import pytest
from corpus_helpers import write

from briefer import corpus
from briefer.corpus import load_corpus, read_document, scan_corpus
from briefer.errors import CorpusError
from briefer.schema import Skipped

SAMPLE_CORPUS = Path(__file__).resolve().parent.parent / "corpus"


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
