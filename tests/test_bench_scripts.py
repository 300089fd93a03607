"""The bench scripts' own code: speed breakdown and targets, child processes measured, judge sheet, review, Key points."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent


def test_speed_breakdown_and_targets(monkeypatch):
    monkeypatch.syspath_prepend(str(ROOT / "bench"))
    from run import targets
    from speed import breakdown

    record = {"timings": {"model_load": 0.5, "index": 1.0, "retrieval": 0.5, "llm_prompt": 4.0,
                          "llm_generation": 12.0, "verification": 0.2},  # no "rendering": as written to disk
              "tokens": {"prompt_sent": 1000, "prompt_evaluated": 600, "generated": 240}}
    b = breakdown(record, 20.0)
    assert b["stages_s"]["rendering"] is None
    assert b["other_s"] == pytest.approx(20.0 - 18.2)
    assert b["llm_s"] == pytest.approx(16.0) and b["outside_llm_share"] == pytest.approx(0.2)
    assert b["prompt_evaluated_share"] == pytest.approx(0.6)
    assert b["prompt_tok_per_s"] == pytest.approx(150.0) and b["gen_tok_per_s"] == pytest.approx(20.0)
    rows = {r["goal"]: r for r in targets({"cold_warm_index": b, "warm": b, "render_subprocess": {"median_s": 0.4}})}
    assert rows["end to end ≤ 30 s cold (index already built)"]["met"] is True
    assert rows["time outside the LLM ≤ 10% of total (warm)"]["met"] is False
    assert rows["prompt tokens evaluated ≤ 50% of sent (warm)"]["met"] is False
    assert rows["`briefer render` ≤ 1 s (new process, median)"]["met"] is True
    assert rows["end to end ≤ 30 s cold (fresh home, index built)"]["met"] is None  # not measured


def test_run_proc_measures_the_child_not_the_parent(monkeypatch):
    """Peak RSS is the child's own (a parent-sized figure would make `briefer render` look like 500 MB)."""
    import os

    monkeypatch.syspath_prepend(str(ROOT / "bench"))
    from speed import run_proc

    ballast = bytearray(150 * 1024 * 1024)  # the parent is big ...
    ballast[::4096] = b"\1" * len(ballast[::4096])
    code = "b = bytearray(64 * 1024 * 1024); b[::4096] = b'\\1' * len(b[::4096]); import time; time.sleep(0.2); print('ok')"
    p = run_proc([sys.executable, "-c", code], dict(os.environ), 60)
    assert p.rc == 0 and p.stdout.strip() == "ok"
    assert 64 <= p.max_rss_mb < 140  # ... the child is not
    slow = run_proc([sys.executable, "-c", "import time; time.sleep(30)"], dict(os.environ), 0.3)
    assert slow.timed_out and slow.rc != 0 and slow.wall_s < 10
    del ballast


def test_judge_sheet_pairs_each_cited_sentence_with_its_quotes_and_scores_the_verdicts(monkeypatch):
    """bench/judge.py: the independent judge's sheet and score (no code shared with the verifier)."""
    monkeypatch.syspath_prepend(str(ROOT / "bench"))
    from judge import score, sheet_rows

    record = {"sources": [{"id": 1, "quote": "Tariffs rose to 25% in May.", "document": "a.txt"},
                          {"id": 2, "quote": "Exports fell.", "document": "b.txt"}],
              "sections": [{"title": "S", "sentences": [
                  {"text": "Tariffs reached 25% in May.", "citations": [1], "origin": "model"},
                  {"text": "Exports fell.", "citations": [2], "origin": "extracted"},
                  {"text": "Nothing cited here.", "citations": [], "origin": "model"}]}]}
    rows = sheet_rows(record, "m")
    assert [(r["sentence"], r["quotes"], r["origin"]) for r in rows] == [
        ("Tariffs reached 25% in May.", ["Tariffs rose to 25% in May."], "model"),
        ("Exports fell.", ["Exports fell."], "extracted")]
    assert score(rows)["all"]["judged"] == 0  # nothing judged yet
    rows[0]["verdict"], rows[1]["verdict"] = "unsupported", "supported"
    assert score(rows)["m"] == {"sentences": 2, "judged": 2, "supported": 1, "model_judged": 1, "model_supported": 0}


def test_review_counts_each_category_for_quotes_and_model_sentences(monkeypatch, tmp_path):
    """bench/review.py: an analyst's keep rate from a reviewer's categories; an unknown category is an error."""
    monkeypatch.syspath_prepend(str(ROOT / "bench"))
    from review import load, score, table

    rows = [{"memo": "m", "section": "S", "cite": 1, "quoted": True, "category": "finding"},
            {"memo": "m", "section": "S", "cite": 2, "quoted": True, "category": "vacuous"},
            {"memo": "m", "section": "S", "cite": 3, "quoted": False, "category": "finding"},
            {"memo": "n", "section": "T", "cite": 1, "quoted": False, "category": "repeat"}]
    path = tmp_path / "r.jsonl"
    path.write_text("\n".join(json.dumps(r) for r in rows) + "\n", encoding="utf-8")
    scores = score(load([path]))
    assert scores["m"] == {"sentences": 3, "finding": 2, "vacuous": 1, "quoted": 2, "quoted_findings": 1,
                           "model": 1, "model_findings": 1}
    assert scores["all"]["sentences"] == 4 and scores["all"]["repeat"] == 1 and scores["all"]["model_findings"] == 1
    assert "| n | 1 | 0 | 0 | 0 | 0 | 0 | 0 | 1 | 0/0 | 0/1 |" in table(scores)
    path.write_text(json.dumps({**rows[0], "category": "good"}) + "\n", encoding="utf-8")
    with pytest.raises(SystemExit, match="unknown category 'good'"):
        load([path])


def test_key_points_replay_puts_them_back_chooses_again_and_reads_the_review(monkeypatch, tmp_path, capsys):
    """bench/key_points.py: a record's Key points go back to the sections that cite their evidence,
    are chosen again by briefer's own ``lead_findings``, and get the review's category for that memo."""
    monkeypatch.syspath_prepend(str(ROOT / "bench"))
    import key_points

    def sent(text, key):
        return {"text": text, "citations": [1], "keys": [key], "status": "supported", "origin": "model"}

    figure = "Chip export controls cut Nvidia's China sales by 20% in 2023."
    record = {"title": "Chip export controls", "description": "US chip export controls on China", "topic": "t",
              "sections": [
                  {"kind": "key_points", "title": "Key points", "status": "answered", "evidence": ["KA1", "KB1"],
                   "sentences": [sent("Chip export controls on China were widened by Washington.", "KA1"),
                                 sent("Chip export controls on China hit firms.", "KB1")]},
                  {"title": "A", "status": "answered", "evidence": ["KA1", "KA2"], "sentences": [sent(figure, "KA2")]},
                  {"title": "B", "status": "answered", "evidence": ["KB1", "KB2"], "sentences": [sent("Other.", "KB2")]}]}
    back = key_points.restored(record)
    assert [len(s["sentences"]) for s in back] == [2, 2] and len(record["sections"][1]["sentences"]) == 1
    memo = tmp_path / "eval-x" / "t.json"
    memo.parent.mkdir()
    memo.write_text(json.dumps(record), encoding="utf-8")
    review = tmp_path / "review"
    review.mkdir()
    (review / "eval-x.jsonl").write_text(json.dumps({"memo": "eval-x", "sentence": figure, "category": "finding"})
                                         + "\n", encoding="utf-8")
    monkeypatch.setattr(key_points, "load_embedder", lambda settings: None)  # centrality by shared words
    monkeypatch.setattr(sys, "argv", ["key_points.py", str(review), str(memo)])
    key_points.main()
    out = capsys.readouterr().out
    assert "eval-x: finding, ?" in out and out.strip().endswith("all: finding 1, ? 1")


def test_bench_reword_flag_reaches_both_kinds_of_run(monkeypatch, tmp_path):
    """`bench/run.py --reword` drops the caller's BRIEFER_* like any run, then turns the stage on for the
    in-process quality memos and the speed runs' child processes alike (a plain BRIEFER_REWORD=true
    would be dropped: the figures are for the defaults)."""
    monkeypatch.syspath_prepend(str(ROOT / "bench"))
    from quality import settings_for
    from run import parse_args
    from speed import clean_env

    from briefer.evaluate import load_eval_dir

    ev = load_eval_dir(ROOT / "bench" / "eval-extra", ROOT / "corpus")
    monkeypatch.delenv("BRIEFER_BENCH_REWORD", raising=False)
    assert parse_args(["--reword"]).reword and not parse_args([]).reword
    assert settings_for(ev, tmp_path, tmp_path / "out", None).reword is False
    assert "BRIEFER_REWORD" not in clean_env(tmp_path, None)
    monkeypatch.setenv("BRIEFER_BENCH_REWORD", "true")
    assert settings_for(ev, tmp_path, tmp_path / "out", None).reword is True
    assert clean_env(tmp_path, None)["BRIEFER_REWORD"] == "true"
