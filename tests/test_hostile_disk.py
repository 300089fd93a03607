"""A full disk, an unwritable output folder and a second run on one index: the previous memo and index survive."""

from __future__ import annotations

import errno
import os
import sqlite3
import time
from types import SimpleNamespace

import pytest
from fakes import FakeLLM, copy_first_source
from filelock import FileLock
from hostile_helpers import TOPIC, cli, one_line_error, settings_for, snapshot

from briefer import fsutil
from briefer.errors import IndexError_, OutputError
from briefer.index import index_dir_for
from briefer.pipeline import generate


# ----------------------------------------------------------------------------- output folder and full disk
def full_disk_after(monkeypatch, ok_calls: int) -> None:
    """os.fsync succeeds ``ok_calls`` times, then fails as a full disk does."""
    calls = {"n": 0}
    real = os.fsync

    def fsync(fd):
        calls["n"] += 1
        if calls["n"] > ok_calls:
            raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))
        return real(fd)

    monkeypatch.setattr(fsutil.os, "fsync", fsync)


@pytest.mark.parametrize("ok_calls", [0, 1, 2])
def test_disk_full_during_generate_keeps_the_whole_previous_memo(sample_corpus, tmp_path, monkeypatch, ok_calls):
    settings = settings_for(sample_corpus, tmp_path)
    generate(settings, TOPIC, model=FakeLLM(default=copy_first_source), embedder=None)
    before = snapshot(tmp_path / "briefs")
    full_disk_after(monkeypatch, ok_calls)
    with pytest.raises(OutputError, match="No space left on device"):
        generate(settings, TOPIC, model=FakeLLM(default="Nvidia was fined $9 billion [K9ZZ]."), embedder=None)
    assert snapshot(tmp_path / "briefs") == before  # same three files, same bytes, no temp files


def test_disk_full_while_indexing_is_one_line_not_a_bug(sample_corpus, monkeypatch):
    """SQLite says "database or disk is full"; the analyst must read that, not "a bug in briefer",
    and once space is freed the index is intact and takes the change."""
    from briefer import index_write

    def full(*args, **kwargs):
        raise sqlite3.OperationalError("database or disk is full")

    assert cli("index", "--corpus", sample_corpus, "--no-embeddings").exit_code == 0
    first = sorted(sample_corpus.glob("*.txt"))[0]
    first.write_text(first.read_text(encoding="utf-8") + "\nA new paragraph about chips.\n", encoding="utf-8")
    with monkeypatch.context() as mp:
        mp.setattr(index_write, "extract", full)
        line = one_line_error(cli("index", "--corpus", sample_corpus, "--no-embeddings"), "The disk is full",
                              "database or disk is full", "Free some space", "unchanged")
    assert "bug" not in line
    again = cli("index", "--corpus", sample_corpus, "--no-embeddings")
    assert again.exit_code == 0 and "1 changed" in again.output, again.output


def test_an_index_that_cannot_be_opened_on_a_full_disk_says_so(sample_corpus, monkeypatch):
    """The CI run that ran out of disk read "cannot rollback - no transaction is active" and was told to
    delete its index; a full disk is the cause to name."""
    from briefer import errors
    from briefer import index as index_mod

    def no_rollback(self, busy_timeout):
        raise sqlite3.OperationalError("cannot rollback - no transaction is active")

    monkeypatch.setattr(index_mod.CorpusIndex, "_connect", no_rollback)
    monkeypatch.setattr(errors.shutil, "disk_usage", lambda path: SimpleNamespace(total=1 << 30, used=1 << 30, free=4096))
    line = one_line_error(cli("index", "--corpus", sample_corpus, "--no-embeddings"), "cannot be opened: the disk is full",
                          "Free some space")
    assert "Delete the folder" not in line


def test_disk_full_during_render_is_one_line(sample_corpus, tmp_path, monkeypatch):
    generate(settings_for(sample_corpus, tmp_path), TOPIC, model=FakeLLM(default=copy_first_source), embedder=None)
    before = snapshot(tmp_path / "briefs")
    full_disk_after(monkeypatch, 0)
    one_line_error(cli("render", tmp_path / "briefs" / f"{TOPIC}.json"), "No space left on device", "unchanged")
    assert snapshot(tmp_path / "briefs") == before


def test_unwritable_output_folder_fails_before_the_model_runs(sample_corpus, tmp_path, monkeypatch, isolated_home):
    def refuse(*args, **kwargs):
        raise PermissionError(errno.EACCES, os.strerror(errno.EACCES))

    monkeypatch.setattr(fsutil.tempfile, "mkstemp", refuse)
    llm = FakeLLM(default=copy_first_source)
    with pytest.raises(OutputError, match=r"not writable \(Permission denied\).*--out DIR"):
        generate(settings_for(sample_corpus, tmp_path), TOPIC, model=llm, embedder=None)
    assert llm.prompts == [] and not (isolated_home / "indexes").exists()


def test_written_files_keep_readable_permissions(sample_corpus, tmp_path):
    """Atomic writes go through mkstemp (0600); the memo must still be readable by colleagues."""
    old = os.umask(0o022)
    try:
        generate(settings_for(sample_corpus, tmp_path), TOPIC, model=FakeLLM(default=copy_first_source), embedder=None)
        modes = {p.name: p.stat().st_mode & 0o777 for p in (tmp_path / "briefs").iterdir()}
        assert set(modes.values()) == {0o644}, modes
        os.chmod(tmp_path / "briefs" / f"{TOPIC}.md", 0o640)  # an analyst's own choice survives a rewrite
        generate(settings_for(sample_corpus, tmp_path), TOPIC, model=FakeLLM(default=copy_first_source), embedder=None)
        assert (tmp_path / "briefs" / f"{TOPIC}.md").stat().st_mode & 0o777 == 0o640
    finally:
        os.umask(old)


# ----------------------------------------------------------------------------- two runs on one cache
def test_second_run_waits_then_fails_clearly_without_corrupting_the_index(sample_corpus, tmp_path, isolated_home):
    assert cli("index", "--corpus", sample_corpus, "--no-embeddings").exit_code == 0
    settings = settings_for(sample_corpus, tmp_path)
    db = index_dir_for(settings.index_root, sample_corpus) / "index.sqlite"
    before = sqlite3.connect(db).execute("SELECT path, sha256 FROM documents ORDER BY path").fetchall()
    (sample_corpus / "new.txt").write_text("A new note on export controls for AI chips.\n")
    lock = FileLock(str(db.parent / "index.lock"))
    with lock:
        t0 = time.monotonic()
        result = cli("index", "--corpus", sample_corpus, "--no-embeddings", env={"BRIEFER_LOCK_TIMEOUT": "0.5"})
        waited = time.monotonic() - t0
        one_line_error(result, "Another briefer run", "BRIEFER_HOME")
        assert waited < 10, f"waited {waited:.1f} s although BRIEFER_LOCK_TIMEOUT=0.5"
        with pytest.raises(IndexError_, match="Another briefer run"):
            generate(settings_for(sample_corpus, tmp_path, lock_timeout=0.2), TOPIC, model=FakeLLM(default=copy_first_source), embedder=None)
    assert sqlite3.connect(db).execute("SELECT path, sha256 FROM documents ORDER BY path").fetchall() == before
    result = cli("index", "--corpus", sample_corpus, "--no-embeddings")
    assert result.exit_code == 0 and "1 added" in result.output, result.output
