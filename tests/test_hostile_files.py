"""A corpus of corrupt and hostile files (issue 12): `briefer index` exits 0 and lists every skip.

One real ``briefer index`` process over every kind of bad file at once, with its
wall time and peak memory bounded; then the cases that need the process itself
patched (a file that cannot be opened, a parser that runs too long), in process.
The per-extractor fuzzing is in ``tests/test_fuzz.py``.
"""

from __future__ import annotations

import io
import os
import re
import subprocess
import sys
import time
import zipfile
from pathlib import Path

from fuzzcases import REAL_PDF, tiny_docx, tiny_pdf, zip_bytes
from typer.testing import CliRunner

from briefer import formats_md, fsutil
from briefer.cli import app

MB = 1024 * 1024
PEAK_RSS_LIMIT_MB = 1000
# Runs the CLI and reports its own peak RSS: VmHWM, which starts afresh at exec (ru_maxrss does not:
# it kept the 2 GB of the forking pytest process, and RUSAGE_CHILDREN includes earlier tests' model runs).
RUN_MEASURED = ("import re, sys\nfrom briefer.cli import app\nsys.argv = ['briefer', *sys.argv[1:]]\n"
                "try:\n    app()\nfinally:\n"
                "    hwm = re.search(r'VmHWM:\\s+(\\d+)', open('/proc/self/status').read()).group(1)\n"
                "    sys.stderr.write(f'PEAK_RSS_KB={hwm}\\n')\n")


def sparse(path: Path, size: int) -> None:
    """A file of ``size`` bytes that takes no disk space (and no time to write)."""
    with open(path, "wb") as handle:
        handle.truncate(size)


def zip_bomb(unpacked_mb: int) -> bytes:
    """A zip whose word/document.xml inflates to ``unpacked_mb`` MB of zeros (written in 1 MB steps)."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive, archive.open("word/document.xml", "w") as part:
        block = b"\0" * MB
        for _ in range(unpacked_mb):
            part.write(block)
    return buffer.getvalue()


def three_page_pdf() -> bytes:
    from pypdf import PdfReader, PdfWriter

    writer = PdfWriter()
    for _ in range(3):
        writer.add_page(PdfReader(io.BytesIO(tiny_pdf())).pages[0])
    buffer = io.BytesIO()
    writer.write(buffer)
    return buffer.getvalue()


def hostile_corpus(corpus: Path) -> dict[str, str | None]:
    """Write the corpus; return file -> expected skip reason (None: indexed; "either": may go both ways)."""
    corpus.mkdir()
    (corpus / "good.txt").write_text("Export controls on AI chips were tightened in October 2023.\n")
    (corpus / "good.docx").write_bytes(tiny_docx())
    (corpus / "good.pdf").write_bytes(tiny_pdf())
    (corpus / "random.pdf").write_bytes(os.urandom(4096))
    (corpus / "truncated.pdf").write_bytes(REAL_PDF.read_bytes()[: REAL_PDF.stat().st_size // 2])
    (corpus / "truncated.docx").write_bytes(tiny_docx()[:1500])
    (corpus / "notword.docx").write_bytes(zip_bytes({"readme.txt": b"not a Word file"}))
    (corpus / "bomb.docx").write_bytes(zip_bomb(300))  # 300 KB on disk
    (corpus / "deep.html").write_bytes(b"<div>" * 50_000 + b"Export controls." + b"</div>" * 50_000)
    (corpus / "tags.html").write_bytes(b"<a " * 30_000)  # html.parser is quadratic on this
    (corpus / "soup.html").write_bytes(b"<html><body>" + b"<p>Export controls were tightened again." * 2000)  # unclosed <p>
    (corpus / "deep.md").write_bytes(b"".join(b"  " * i + b"- item\n" for i in range(2000)))
    (corpus / "invalid.txt").write_bytes(b"Chips \xc3\x28 and \xed\xa0\x80 controls \x80\x81\x8d.\n" * 50)
    (corpus / "nul.txt").write_bytes(b"\0" * MB)
    sparse(corpus / "huge.txt", 300 * MB)  # over the 200 MB default: never read
    sparse(corpus / "big.md", 150 * MB)  # under it: read, and found to be binary
    (corpus / "pages.pdf").write_bytes(three_page_pdf())  # limit set to 2 pages below
    os.symlink("loop-b.txt", corpus / "loop-a.txt")
    os.symlink("loop-a.txt", corpus / "loop-b.txt")
    os.symlink(corpus / "missing.txt", corpus / "dangling.md")
    os.symlink(corpus, corpus / "linked")  # a folder loop
    os.mkfifo(corpus / "pipe.txt")
    return {"good.txt": None, "good.docx": None, "good.pdf": None, "deep.md": None, "soup.html": None, "tags.html": "malformed HTML",
            "random.pdf": "could not read PDF", "truncated.pdf": "either", "truncated.docx": "could not read DOCX",
            "notword.docx": "could not read DOCX", "bomb.docx": "DOCX unpacks to 300 MB",
            "deep.html": "HTML nested more than 1000", "invalid.txt": "either", "nul.txt": "binary content",
            "huge.txt": "file too large", "big.md": "binary content", "pages.pdf": "PDF has 3 pages",
            "loop-a.txt": "Too many levels of symbolic links", "loop-b.txt": "Too many levels of symbolic links",
            "dangling.md": "No such file or directory", "linked": "symlinked folder", "pipe.txt": "not a regular file"}


def test_index_lists_every_bad_file_and_exits_0_in_bounded_time_and_memory(tmp_path, isolated_home):
    expected = hostile_corpus(tmp_path / "c")
    env = {**os.environ, "BRIEFER_MAX_FILE_MB": "200", "BRIEFER_MAX_PDF_PAGES": "2"}
    t0 = time.monotonic()
    proc = subprocess.run([sys.executable, "-c", RUN_MEASURED, "index", "--corpus", str(tmp_path / "c"), "--no-embeddings"],
                          env=env, capture_output=True, text=True, timeout=180)
    took = time.monotonic() - t0
    output = proc.stdout + proc.stderr
    assert proc.returncode == 0, output
    assert "Traceback" not in output and "Error" not in output, output
    skipped = dict(re.findall(r"warning: skipped (\S+): (.+)", output))
    for name, reason in expected.items():
        if reason is None:
            assert name not in skipped, (name, skipped[name])
        elif reason != "either":
            assert name in skipped and reason in skipped[name], (name, skipped.get(name), output)
    indexed = [n for n in expected if n not in skipped]
    assert re.search(rf"\b{len(indexed)} added\b", output), (indexed, output)
    peak_mb = int(re.search(r"PEAK_RSS_KB=(\d+)", output).group(1)) // 1024
    assert peak_mb < PEAK_RSS_LIMIT_MB, f"peak RSS {peak_mb} MB"
    assert took < 120, f"took {took:.0f} s"


def test_unreadable_file_is_skipped_with_permission_denied(tmp_path, isolated_home, monkeypatch):
    """chmod 000 stops reads except for root (tests may run as root), so the open itself is refused too."""
    corpus = tmp_path / "c"
    corpus.mkdir()
    (corpus / "good.txt").write_text("Export controls on AI chips were tightened in October 2023.\n")
    locked = corpus / "locked.txt"
    locked.write_text("Secret export figures for 2024.\n")
    locked.chmod(0)
    real_open = open

    def refusing_open(path, *args, **kwargs):
        if Path(path) == locked:
            raise PermissionError(13, "Permission denied", str(path))
        return real_open(path, *args, **kwargs)

    monkeypatch.setattr(fsutil, "open", refusing_open, raising=False)  # the scan's sha256
    result = CliRunner().invoke(app, ["index", "--corpus", str(corpus), "--no-embeddings"])
    assert result.exit_code == 0 and "Traceback" not in result.output, result.output
    assert "warning: skipped locked.txt: could not read file: Permission denied" in result.output
    assert "1 added" in result.output and "1 skipped" in result.output
    monkeypatch.delattr(fsutil, "open")
    result = CliRunner().invoke(app, ["index", "--corpus", str(corpus), "--no-embeddings"])
    assert result.exit_code == 0, result.output
    if os.geteuid() == 0:  # root reads a 000 file: it is simply indexed
        assert "1 added" in result.output and "0 skipped" in result.output
    else:
        assert "warning: skipped locked.txt: could not read file: Permission denied" in result.output


def test_a_parser_that_runs_too_long_is_stopped_and_the_file_skipped(tmp_path, isolated_home, monkeypatch):
    corpus = tmp_path / "c"
    corpus.mkdir()
    (corpus / "good.txt").write_text("Export controls on AI chips were tightened in October 2023.\n")
    (corpus / "slow.md").write_text("# A page that the renderer never finishes\n")

    def spin(*_args, **_kwargs):
        while True:  # pure Python, as the real parsers are
            pass

    monkeypatch.setattr(formats_md, "markdown_to_text", spin)
    monkeypatch.setenv("BRIEFER_EXTRACT_TIMEOUT", "0.5")
    t0 = time.monotonic()
    result = CliRunner().invoke(app, ["index", "--corpus", str(corpus), "--no-embeddings"])
    assert result.exit_code == 0, result.output
    assert "warning: skipped slow.md: took longer than 0.5 s to read (limit BRIEFER_EXTRACT_TIMEOUT)" in result.output
    assert time.monotonic() - t0 < 30
