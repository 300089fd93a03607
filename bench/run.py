"""briefer's bench: speed and quality figures that anyone can rerun with one command.

    python bench/run.py [--eval-dir bench/eval --eval-dir bench/eval-extra] [--out bench/results] [--threads N]

Writes ``<out>/latest.json`` (every figure, plus the machine and model) and
``<out>/latest.md`` (the tables, also printed).  See bench/README.md for what
each figure means.  Order of work, and why:

1. two cold runs of the CLI in new processes (fresh BRIEFER_HOME, then the
   same home with the index built) and `briefer render` in new processes;
2. one in-process session with the model and embedder loaded once: the
   memos of the other eval sets first, then the export-controls memo (the
   *warm* figure: a second memo in a process whose model is loaded), the
   off-corpus refusals and the retrieval probes;
3. the warm memo's prompts replayed by bench/raw_replay.py (llama-cpp-python
   only) in a new process, for the briefer / raw ratio.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import shutil
import signal
import sys
import tempfile
import time
from pathlib import Path

from quality import memo_key, refusals, retrieval, run_memo, score_memo, settings_for
from report import to_markdown
from speed import (ROOT, breakdown, cli_generate, machine_info, render_in_process, render_subprocess, run_proc,
                   self_peak_rss_mb, source_fingerprint)

# The sampling penalty briefer/llm.py passes to create_chat_completion (not in the record's settings);
# the replay reports whether its outputs equal the record's, which catches a drift here.
REPEAT_PENALTY = 1.15
SPEED_TOPIC = "export-controls"
T0 = time.perf_counter()


def log(msg: str) -> None:
    print(f"[bench {time.perf_counter() - T0:5.0f} s] {msg}", file=sys.stderr, flush=True)


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    ap = argparse.ArgumentParser(description="Speed and quality figures for briefer (see bench/README.md).")
    ap.add_argument("--eval-dir", action="append", type=Path,
                    help="eval folder (repeatable); default: every eval set in bench/")
    ap.add_argument("--model", default=None, help="a model name or GGUF path [default: briefer's default model]")
    ap.add_argument("--out", type=Path, default=ROOT / "bench" / "results", help="where latest.json/latest.md go")
    ap.add_argument("--threads", type=int, default=None, help="CPU threads for every run [default: briefer's default]")
    ap.add_argument("--skip-speed", action="store_true", help="quality only (no cold runs, replay or render timing)")
    ap.add_argument("--timeout", type=float, default=540.0, help="seconds allowed per child process")
    ap.add_argument("--keep-work", action="store_true", help="keep the temporary BRIEFER_HOME and outputs")
    ap.add_argument("--reword", action="store_true",
                    help="measure with the reword stage on (BRIEFER_REWORD=true; a BRIEFER_* of the caller is ignored)")
    args = ap.parse_args(argv)
    from briefer.eval_sets import find_eval_dirs

    args.eval_dir = args.eval_dir or find_eval_dirs(ROOT / "bench")
    return args


def shown(path: Path) -> str:
    """Repo-relative when inside the repo, else absolute."""
    path = Path(path).resolve()
    return path.relative_to(ROOT).as_posix() if path.is_relative_to(ROOT) else str(path)


def memo_text(record: dict) -> list:
    return [[(s["text"], s["citations"]) for s in sec["sentences"]] for sec in record["sections"]]


def raw_replay(record_path: Path, timeout_s: float) -> dict:
    p = run_proc([sys.executable, str(ROOT / "bench" / "raw_replay.py"), str(record_path),
                  "--repeat-penalty", str(REPEAT_PENALTY)], dict(os.environ), timeout_s)
    if p.rc != 0:
        return {"error": (p.stderr.strip().splitlines() or ["(no output)"])[-1]}
    raw = json.loads(p.stdout)
    calls = raw["calls"]
    sums = {k: sum(c[k] for c in calls) for k in ("wall_s", "prompt_s", "generation_s", "prompt_tokens",
                                                  "prompt_evaluated", "generated")}
    return {**raw, "calls_s": sums.pop("wall_s"), **sums, "wall_s": p.wall_s, "max_rss_mb": p.max_rss_mb,
            "calls_matching": sum(c["matches_record"] for c in calls),
            "prompt_tok_per_s": sums["prompt_evaluated"] / sums["prompt_s"] if sums["prompt_s"] else None,
            "gen_tok_per_s": sums["generated"] / sums["generation_s"] if sums["generation_s"] else None}


def targets(speed: dict) -> list[dict]:
    rows = []

    def add(goal: str, value: float | None, limit: float, fmt: str) -> None:
        rows.append({"goal": goal, "value": value, "limit": limit,
                     "measured": "–" if value is None else fmt.format(value),
                     "met": None if value is None else value <= limit})

    for key, what in (("cold_fresh_home", "fresh home, index built"), ("cold_warm_index", "index already built")):
        add(f"end to end ≤ 30 s cold ({what})", speed.get(key, {}).get("wall_s"), 30.0, "{:.1f} s")
    for key in ("cold_warm_index", "warm"):
        add(f"time outside the LLM ≤ 10% of total ({key})", speed.get(key, {}).get("outside_llm_share"), 0.10,
            "{:.0%}")
    add("prompt tokens evaluated ≤ 50% of sent (warm)", speed.get("warm", {}).get("prompt_evaluated_share"), 0.50,
        "{:.0%}")
    add("`briefer render` ≤ 1 s (new process, median)", speed.get("render_subprocess", {}).get("median_s"), 1.0,
        "{:.2f} s")
    add("render ≤ 1 s (in-process, median)", speed.get("render_in_process", {}).get("median_s"), 1.0, "{:.3f} s")
    return rows


def _load_models(base, speed: dict, notes: list) -> tuple:
    """The chat model and the embedder, loaded once for every in-process memo (their load times go in ``speed``)."""
    from briefer.llm import load_chat_model
    from briefer.pipeline import load_embedder

    log("in-process session: loading the chat model and the embedder")
    t = time.perf_counter()
    model = load_chat_model(base.model, n_ctx=base.n_ctx, n_threads=base.effective_threads,
                            gpu_layers=base.gpu_layers, seed=base.seed, models_dir=base.model_folder)
    speed["in_process_model_load_s"] = time.perf_counter() - t
    warnings: list[str] = []
    t = time.perf_counter()
    embedder = load_embedder(base, lambda ev, **kw: warnings.append(kw.get("message", "")) if ev == "warning" else None)
    speed["in_process_embedder_load_s"] = time.perf_counter() - t
    notes += [f"embedder: {w}" for w in warnings]
    return model, embedder, warnings


def _quality_memos(wanted: list, speed_key: str, model, embedder) -> tuple[dict, list[str]]:
    """Each eval set's memo but the speed topic's (written last, as the *warm* memo); an error is kept as the record."""
    from briefer.errors import BrieferError

    records: dict = {}
    before = []
    for ev, fs, s in wanted:
        key = memo_key(s, fs.topic)
        if key == speed_key or key in records:
            continue
        log(f"memo {fs.topic} ({ev.path.name})")
        try:
            records[key] = run_memo(s, fs.topic, model, embedder)[0]
            before.append(fs.topic)
        except BrieferError as exc:
            records[key] = exc
    return records, before


def _after_warm(args, base, work: Path, home: Path, speed: dict, notes: list, record: dict, wall: float) -> None:
    """What the warm memo is compared with: the cold run's memo, the raw replay of its prompts, render timings."""
    from briefer.errors import EmbedderUnavailable

    cold = speed["cold_warm_index"]
    if "record_path" in cold:
        speed["cold_equals_warm"] = memo_text(json.loads(Path(cold["record_path"]).read_text())) == memo_text(record)
    log("raw llama-cpp-python replay of the warm memo's prompts")
    rec_path = base.out / f"{SPEED_TOPIC}.json"
    raw = speed["raw"] = raw_replay(rec_path, args.timeout)
    if "error" not in raw:
        speed["ratio_briefer_over_raw"] = {"llm_calls": speed["warm"]["llm_s"] / raw["calls_s"],
                                           "memo_wall_vs_raw_calls": wall / raw["calls_s"]}
    log("render timings")
    speed["render_subprocess"] = render_subprocess(home, rec_path, work / "render", 3, args.timeout)
    speed["render_in_process"] = render_in_process(rec_path, work / "render-inproc", 5)
    if base.embed_model is None and not base.no_embeddings:
        from briefer.embed import prepare_default_embedder

        t = time.perf_counter()
        try:
            prepare_default_embedder(work / "conversion")
            speed["embedder_conversion_s"] = time.perf_counter() - t
        except EmbedderUnavailable as exc:
            notes.append(f"embedder conversion unavailable: {exc}")
    if "rendering" not in json.loads(rec_path.read_text()).get("timings", {}):
        notes.append("The record written to disk has no timings.rendering (pipeline.generate adds it to the "
                     "in-memory record after writing the file), so cold runs count rendering under 'other'.")


def _scores(evals: list, records: dict, home: Path, work: Path, threads, model, embedder, warnings: list) -> list:
    """Each eval set's memo scored against its facts, its off-corpus questions asked, its retrieval probes run."""
    quality = []
    for ev in evals:
        s = settings_for(ev, home, work / "memos" / ev.path.name, threads)
        q: dict = {"eval_dir": shown(ev.path), "corpus": shown(ev.corpus), "memos": []}
        for fs in ev.fact_sets:
            rec = records.get(memo_key(s, fs.topic))
            if isinstance(rec, Exception) or rec is None:
                q["memos"].append({"topic": fs.topic, "error": str(rec)})
            else:
                q["memos"].append({"topic": fs.topic, **score_memo(rec, ev, fs.facts)})
        questions = [x for fs in ev.fact_sets for x in fs.off_corpus_questions]
        log(f"refusals ({len(questions)}) and retrieval probes ({len(ev.probes)}) for {ev.path.name}")
        q["refusals"] = refusals(ev, s, model, embedder, questions)
        q["retrieval"] = retrieval(ev, s, embedder)
        if embedder is None:
            q["embedder_error"] = "; ".join(warnings) or "embeddings disabled"
        quality.append(q)
    return quality


def _measure(args, evals: list, work: Path, res: dict) -> None:
    """The runs, in the order the module doc gives; fills ``res["speed"]`` and ``res["quality"]``."""
    from briefer.settings import load_settings

    home, corpus, speed, notes = work / "home", ROOT / "corpus", {}, res["notes"]
    res["speed"] = speed
    if not args.skip_speed:
        log("cold run 1/2: new process, fresh BRIEFER_HOME")
        speed["cold_fresh_home"] = cli_generate(home, work / "cold1", corpus, args.threads, args.timeout)
        log(f"  {speed['cold_fresh_home']['wall_s']:.1f} s; cold run 2/2: new process, index built")
        speed["cold_warm_index"] = cli_generate(home, work / "cold2", corpus, args.threads, args.timeout)
        log(f"  {speed['cold_warm_index']['wall_s']:.1f} s")
    base = load_settings(home=home, corpus=corpus, out=work / "warm", threads=args.threads, model=args.model)
    model, embedder, warnings = _load_models(base, speed, notes)
    speed_key = memo_key(base, SPEED_TOPIC)
    wanted = [(ev, fs, settings_for(ev, home, work / "memos" / ev.path.name, args.threads))
              for ev in evals for fs in ev.fact_sets]
    records, before = _quality_memos(wanted, speed_key, model, embedder)
    if not args.skip_speed or any(memo_key(s, fs.topic) == speed_key for _, fs, s in wanted):
        log(f"memo {SPEED_TOPIC} in-process (warm)")
        record, wall = run_memo(base, SPEED_TOPIC, model, embedder)
        records[speed_key] = record
        if not args.skip_speed:
            speed["warm"] = {**breakdown(record, wall), "preceded_by": before, "max_rss_mb": self_peak_rss_mb()}
            _after_warm(args, base, work, home, speed, notes, record, wall)
    res["quality"] = _scores(evals, records, home, work, args.threads, model, embedder, warnings)
    speed["in_process_peak_rss_mb"] = self_peak_rss_mb()


def _write(args, res: dict, speed: dict, fingerprint: str) -> None:
    res["source_fingerprint"] = fingerprint
    if source_fingerprint() != fingerprint:
        res["source_changed_during_run"] = True
        res["notes"].append("briefer/ or templates/ changed while the bench ran (someone edited the tree): runs "
                            "before and after the edit measured different code; rerun on a quiet tree for "
                            "comparable figures.")
    res["targets"] = [] if args.skip_speed else targets(speed)
    res["loadavg_end"] = list(os.getloadavg())
    res["bench_seconds"] = time.perf_counter() - T0
    args.out.mkdir(parents=True, exist_ok=True)
    (args.out / "latest.json").write_text(json.dumps(res, indent=2, ensure_ascii=False, default=str) + "\n",
                                          encoding="utf-8")
    md = to_markdown(res)
    (args.out / "latest.md").write_text(md, encoding="utf-8")
    print(md)


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))  # so `finally` cleans up the temp home
    for key in [k for k in os.environ if k.startswith("BRIEFER_")]:
        os.environ.pop(key)  # the figures are for the defaults, not a stray BRIEFER_* of the caller
    if args.model:
        os.environ["BRIEFER_BENCH_MODEL"] = args.model  # read by speed.clean_env and quality.settings_for
    if args.reword:
        os.environ["BRIEFER_BENCH_REWORD"] = "true"  # likewise

    from briefer.evaluate import load_eval_dir
    from briefer.modelfile import file_sha256, resolve_model_path
    from briefer.settings import load_settings

    work = Path(tempfile.mkdtemp(prefix="briefer-bench-"))
    model_path = resolve_model_path(args.model)
    res: dict = {"started": dt.datetime.now().astimezone().replace(microsecond=0).isoformat(),
                 "command": " ".join([Path(sys.argv[0]).name] + (argv if argv is not None else sys.argv[1:])),
                 "machine": machine_info(), "threads": args.threads or load_settings().effective_threads,
                 "model": {"path": str(model_path), "name": model_path.name, "size": model_path.stat().st_size,
                           "sha256": file_sha256(model_path)}, "notes": [], "speed": {}}
    fingerprint = source_fingerprint()
    evals = [load_eval_dir(p, ROOT / "corpus") for p in args.eval_dir]
    load, cores = os.getloadavg()[0], res["machine"]["physical_cores"]
    if load > cores:
        log(f"warning: load average {load:.1f} on {cores} cores: timings will be slow and noisy"
            + ("" if args.threads == 1 else "; --threads 1 avoids the worst of it (see bench/README.md)"))
    try:
        _measure(args, evals, work, res)
    finally:
        if not args.keep_work:
            shutil.rmtree(work, ignore_errors=True)
        else:
            res["notes"].append(f"work folder kept: {work}")
    _write(args, res, res["speed"], fingerprint)
    return 0


if __name__ == "__main__":
    sys.exit(main())
