"""kill -9 at every stage of `briefer index` and `briefer generate` (issue 12): nothing lost, nothing redone.

One chain of real CLI processes on one ``BRIEFER_HOME``, each killed with
SIGKILL at a named point (:mod:`briefer.crashpoint`) a little further on than
the last, then a run that completes; its index, search results and memo must
equal those of one fresh, never-killed run.  Between kills the store is
inspected directly: what was committed is there, what was not is absent, and
the next run does only the work that is still missing (its own progress
counts say how much it embedded).  A chain, not one fresh start per point, so
the whole test costs about two real runs plus process starts (~2-3 minutes on
two busy cores; the fast model with one short section).
"""

from __future__ import annotations

import json
import os
import re
import shutil
import signal
import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest

from briefer.embed import prepare_default_embedder
from briefer.index import index_dir_for

ROOT = Path(__file__).resolve().parent.parent
EXTRA = ROOT / "bench" / "eval-crs-trade" / "corpus" / "LSB11418-hart-scott-rodino-merger-review.txt"
QUERIES = ["export controls on AI chips", "tariff level of the trade war", "merger review waiting period"]
TOPIC = """title = "US–China chip controls"
audience = "policy analysts"
[[sections]]
title = "Summary"
question = "What export controls has the United States imposed on AI chips sold to China?"
"""


@pytest.fixture(scope="module")
def world(tmp_path_factory, fast_model_path, models_dir):
    """A corpus of 6 files (~50 chunks: two embedding batches), the topic, and the converted embedder."""
    base = tmp_path_factory.mktemp("crash")
    corpus = base / "corpus"
    corpus.mkdir()
    for f in sorted((ROOT / "corpus").glob("*.txt")) + [EXTRA]:
        shutil.copy(f, corpus / f.name)
    (base / "topic.toml").write_text(TOPIC, encoding="utf-8")
    embedder = prepare_default_embedder(models_dir)
    env = {k: v for k, v in os.environ.items() if not k.startswith("BRIEFER_")}
    env.update({"BRIEFER_EMBED_MODEL": str(embedder), "BRIEFER_MODEL": str(fast_model_path), "BRIEFER_THREADS": "1",
                "BRIEFER_MAX_TOKENS": "32", "BRIEFER_EVIDENCE_PER_SECTION": "3", "BRIEFER_CORPUS": str(corpus)})
    return base, corpus, env


def briefer(world, home: Path, *args: str, crash: str | None = None) -> subprocess.CompletedProcess:
    base, _, env = world
    env = {**env, "BRIEFER_HOME": str(home), **({"BRIEFER_CRASH_AT": crash} if crash else {})}
    if args[0] == "generate":
        args = (*args, "--topic", str(base / "topic.toml"), "--out", str(home / "briefs"))
    proc = subprocess.run([sys.executable, "-m", "briefer.cli", *args], env=env, capture_output=True, text=True, timeout=300)
    if crash:
        assert proc.returncode == -signal.SIGKILL, f"not killed at {crash}: {proc.returncode}\n{proc.stderr}"
    else:
        assert proc.returncode == 0, proc.stdout + proc.stderr
    assert "Traceback" not in proc.stderr, proc.stderr
    return proc


def store(world, home: Path) -> Path:
    return index_dir_for(home / "indexes", world[1])


def rows(world, home: Path, sql: str) -> list:
    with sqlite3.connect(store(world, home) / "index.sqlite") as db:
        return db.execute(sql).fetchall()


def chunks_embedded(stderr: str) -> int | None:
    """How many chunk texts the run set out to embed ("embedded 19/19 chunks"), None if none."""
    found = re.findall(r"embedded \d+/(\d+) chunks", stderr)
    return int(found[-1]) if found else None


def sentences_embedded(stderr: str) -> int | None:
    found = re.findall(r"embedded \d+/(\d+) sentences", stderr)
    return int(found[-1]) if found else None


def outcome(world, home: Path) -> dict:
    """Everything a run leaves that must not depend on how it got there."""
    folder = store(world, home)
    memo = json.loads((home / "briefs" / "topic.json").read_text(encoding="utf-8"))
    stamp = memo.pop("generated_at")
    memo.pop("timings")
    texts = {p.name: p.read_text(encoding="utf-8").replace(stamp, "T") for p in (home / "briefs").iterdir()
             if p.suffix != ".json"}  # the record is compared above, without its timings
    searches = [json.loads(briefer(world, home, "search", q, "--json", "--k", "5").stdout) for q in QUERIES]
    return {
        "documents": rows(world, home, "SELECT path, sha256, title, text FROM documents ORDER BY path"),
        "chunks": rows(world, home, "SELECT id, path, start, end, hash, tids, tfs FROM chunks ORDER BY id"),
        "embeddings": rows(world, home, "SELECT hash, model, vec FROM embeddings ORDER BY hash"),
        "sentence_files": sorted(p.name for p in (folder / "sentences").iterdir()),
        "snapshots": sorted(p.name for p in folder.iterdir() if p.is_dir() and p.name != "sentences"),
        "searches": searches, "memo": memo, "files": texts,
    }


def test_killed_runs_resume_to_exactly_what_a_fresh_run_gives(world, tmp_path):
    fresh, home = tmp_path / "fresh", tmp_path / "killed"
    first = briefer(world, fresh, "generate", "--progress")
    total_chunks, total_sentences = chunks_embedded(first.stderr), sentences_embedded(first.stderr)
    assert total_chunks > 32, "the corpus must need two embedding batches"
    expected = outcome(world, fresh)

    # 1. index, killed after reading 3 of 6 files: nothing is committed, nothing half-written.
    briefer(world, home, "index", crash="read:3")
    assert rows(world, home, "SELECT COUNT(*) FROM documents") == [(0,)]
    # 2. generate, killed after its first batch of chunk vectors was committed: the batch stays.
    briefer(world, home, "generate", "--progress", crash="embed:1")
    assert rows(world, home, "SELECT COUNT(*) FROM embeddings") == [(32,)]
    assert rows(world, home, "SELECT COUNT(*) FROM documents") == [(0,)]
    # 3. index, killed inside the index transaction: it embedded only the rest, and rolled back.
    run = briefer(world, home, "index", "--progress", crash="commit")
    assert chunks_embedded(run.stderr) == total_chunks - 32, run.stderr
    assert rows(world, home, "SELECT COUNT(*) FROM embeddings") == [(total_chunks,)]
    assert rows(world, home, "SELECT COUNT(*) FROM documents") == [(0,)]
    # 4. index, killed while writing the search arrays: nothing left to embed; still no version.
    run = briefer(world, home, "index", "--progress", crash="snapshot")
    assert chunks_embedded(run.stderr) is None, run.stderr
    assert rows(world, home, "SELECT COUNT(*) FROM documents") == [(0,)]
    # 5. index, killed after two documents' sentence vectors: the index version is committed.
    run = briefer(world, home, "index", "--progress", crash="sentences:2")
    assert "6 added" not in run.stdout  # killed before its summary
    assert rows(world, home, "SELECT COUNT(*) FROM documents") == [(6,)]
    saved = len(list((store(world, home) / "sentences").glob("[!.]*.npz")))
    assert saved == 2
    # 6. generate, killed after its section was answered: files unchanged, sentences of 4 documents only.
    run = briefer(world, home, "generate", "--progress", crash="section")
    assert "0 added, 0 changed, 0 removed, 6 unchanged" in run.stderr, run.stderr
    assert chunks_embedded(run.stderr) is None
    assert 0 < sentences_embedded(run.stderr) < total_sentences
    assert not (home / "briefs").exists() or not list((home / "briefs").glob("topic.*"))
    # 7. generate, killed between renaming its first output file and the others.
    briefer(world, home, "generate", crash="write")
    assert len(list((home / "briefs").glob("topic.*"))) == 1
    # 8. the run that completes: no embedding at all, and exactly the fresh run's results.
    run = briefer(world, home, "generate", "--progress")
    assert chunks_embedded(run.stderr) is None and sentences_embedded(run.stderr) is None, run.stderr
    got = outcome(world, home)
    assert sorted(p.name for p in (home / "briefs").iterdir()) == ["topic.html", "topic.json", "topic.md"]  # no temp files
    for key in expected:
        assert got[key] == expected[key], f"{key} differs from a fresh run's"
