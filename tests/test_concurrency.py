"""Several runs on one store at once (issue 12).

Four real `briefer generate` processes start together on one ``BRIEFER_HOME``
and an index that does not exist yet: one builds it while the others wait for
its lock (saying so), then find nothing left to do; all four succeed, the
index is one consistent version, and the memo files are one whole memo.
Readers (`search`, `review`, `render`) answer at once while a writer holds
the lock, from the last committed version.
"""

from __future__ import annotations

import json
import os
import shutil
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import pytest
from fakes import FakeLLM, copy_first_source
from filelock import FileLock
from typer.testing import CliRunner

from briefer.cli import app
from briefer.embed import prepare_default_embedder
from briefer.index import index_dir_for
from briefer.pipeline import generate
from briefer.settings import load_settings

ROOT = Path(__file__).resolve().parent.parent
TOPIC = """title = "US–China chip controls"
[[sections]]
title = "Summary"
question = "What export controls has the United States imposed on AI chips sold to China?"
"""
RUNS = 4


@pytest.fixture()
def setup(tmp_path, fast_model_path, models_dir):
    corpus = tmp_path / "corpus"
    corpus.mkdir()
    for f in (ROOT / "corpus").glob("*.txt"):
        shutil.copy(f, corpus / f.name)
    (tmp_path / "topic.toml").write_text(TOPIC, encoding="utf-8")
    env = {k: v for k, v in os.environ.items() if not k.startswith("BRIEFER_")}
    env.update({"BRIEFER_HOME": str(tmp_path / "home"), "BRIEFER_CORPUS": str(corpus), "BRIEFER_THREADS": "1",
                "BRIEFER_MODEL": str(fast_model_path), "BRIEFER_MAX_TOKENS": "32", "BRIEFER_EVIDENCE_PER_SECTION": "3",
                "BRIEFER_EMBED_MODEL": str(prepare_default_embedder(models_dir))})
    return tmp_path, corpus, env


def test_four_generates_at_once_all_succeed_and_leave_one_consistent_index(setup):
    base, corpus, env = setup
    out = base / "briefs"
    args = [sys.executable, "-m", "briefer.cli", "generate", "--topic", str(base / "topic.toml"), "--out", str(out)]
    procs = [subprocess.Popen(args, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True) for _ in range(RUNS)]
    results = [(p.wait(timeout=600), *p.communicate()) for p in procs]
    for code, stdout, stderr in results:
        assert code == 0 and "Traceback" not in stderr, stdout + stderr
    waited = [stderr for _, _, stderr in results if "waiting: another briefer run is updating the index" in stderr]
    assert waited, "the runs started together: some must have waited for the first one's lock"
    # Exactly one run indexed the corpus; every other found it done.
    summaries = [line for _, _, stderr in results for line in stderr.splitlines() if line.startswith("index: ")]
    assert sum("5 added" in s for s in summaries) == 1 and sum("5 unchanged" in s for s in summaries) == RUNS - 1, summaries
    folder = index_dir_for(base / "home" / "indexes", corpus)
    with sqlite3.connect(folder / "index.sqlite") as db:
        assert db.execute("PRAGMA integrity_check").fetchone() == ("ok",)
        assert db.execute("SELECT value FROM meta WHERE key='version'").fetchone() == ("1",)
        assert db.execute("SELECT COUNT(*) FROM documents").fetchone() == (5,)
        missing = db.execute("SELECT COUNT(*) FROM chunks c WHERE NOT EXISTS "
                             "(SELECT 1 FROM embeddings e WHERE e.hash = c.hash)").fetchone()
        assert missing == (0,)
    assert sorted(p.name for p in folder.iterdir() if p.is_dir()) == ["main-1", "sentences", "snap-v1"]
    assert sorted(p.name for p in out.iterdir()) == ["topic.html", "topic.json", "topic.md"]  # no temp files left
    record = json.loads((out / "topic.json").read_text(encoding="utf-8"))
    assert record["generated_at"] in (out / "topic.md").read_text(encoding="utf-8")  # md and json from one run


def test_readers_never_wait_for_a_writer(setup, tmp_path):
    base, corpus, env = setup
    runner = CliRunner()
    home_env = {"BRIEFER_HOME": env["BRIEFER_HOME"], "BRIEFER_LOCK_TIMEOUT": "600"}
    settings = load_settings(home=Path(env["BRIEFER_HOME"]), corpus=corpus, out=tmp_path / "memo", no_embeddings=True)
    generate(settings, str(base / "topic.toml"), model=FakeLLM(default=copy_first_source), embedder=None)
    record = tmp_path / "memo" / "topic.json"
    (corpus / "new.txt").write_text("A new note on export controls for AI chips, not indexed yet.\n")
    lock = FileLock(str(index_dir_for(settings.index_root, corpus) / "index.lock"))
    with lock:  # a writer holds the index for as long as it likes
        for command in (["search", "export controls on AI chips", "--corpus", str(corpus), "--no-embeddings", "--json"],
                        ["review", str(record)],
                        ["render", str(record), "--out", str(tmp_path / "rendered")]):
            t0 = time.monotonic()
            result = runner.invoke(app, command, env=home_env)
            took = time.monotonic() - t0
            assert result.exit_code == 0 and "Traceback" not in result.output, result.output
            assert took < 20, f"{command[0]} took {took:.1f} s while a writer held the lock"
            if command[0] == "search":
                assert "note: another briefer run is updating the index" in result.stderr
                hits = json.loads(result.stdout)
                assert hits and "new.txt" not in {h["document"] for h in hits}  # the last committed version
    result = runner.invoke(app, ["search", "export controls on AI chips", "--corpus", str(corpus), "--no-embeddings", "--json"],
                           env=home_env)
    assert result.exit_code == 0 and "note:" not in result.stderr
    assert "new.txt" in {h["document"] for h in json.loads(result.stdout)}  # indexed once the writer is gone
