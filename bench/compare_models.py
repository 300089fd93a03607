"""Compare chat models by name on our eval sets: facts, model-written sentences, time, memory.

    python bench/compare_models.py [--models qwen2.5-coder-1.5b smollm2-135m] [--eval-dir DIR ...] [--threads N]

Each model runs in its own process (so its peak RSS is its own), with one
loaded model and embedder, and writes one memo per fact set of every eval
dir; the indexes are built first, outside the timing, in a shared home.  It
prints one Markdown row per model and writes bench/results/models.json:

* facts stated and cited, summed over the eval sets (``briefer.evaluate.fact_recall``);
* written: memo sentences in the model's own words (origin "model") / all memo sentences;
* verified: model sentences kept / model sentences proposed (parsed from its output);
* seconds per memo (mean of the in-process memos: the index is built, the model loaded);
* peak RSS of the process.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))


def one_model(name: str, eval_dirs: list[Path], home: Path, threads: int | None) -> dict:
    """Every memo of every eval dir with model ``name``, in this process."""
    from briefer.answer import parse_answer
    from briefer.evaluate import fact_recall, load_eval_dir
    from briefer.llm import ChatResult, load_chat_model
    from briefer.modelfile import resolve_model_path
    from briefer.pipeline import generate, load_embedder
    from briefer.settings import load_settings

    base = load_settings(home=home, threads=threads)
    t = time.perf_counter()
    model = load_chat_model(resolve_model_path(name, base.model_folder), n_ctx=base.n_ctx, n_threads=base.effective_threads,
                            gpu_layers=base.gpu_layers, seed=base.seed)
    load_s = time.perf_counter() - t
    embedder = load_embedder(base)
    rows, secs = [], []
    for path in eval_dirs:
        ev = load_eval_dir(path, ROOT / "corpus")
        for fs in ev.fact_sets:
            out = home / "memos" / name / path.name  # kept, to be read as an analyst would
            s = load_settings(home=home, threads=threads, corpus=ev.corpus.resolve(), out=out,
                              template_dir=ev.template_dir.resolve() if ev.template_dir else None)
            t = time.perf_counter()
            record = generate(s, fs.topic, model=model, embedder=embedder).record
            secs.append(time.perf_counter() - t)
            sents = [x for sec in record["sections"] for x in sec["sentences"]]
            valid = set(k for sec in record["sections"] for k in sec.get("evidence", []))
            proposed = sum(len(parse_answer(ChatResult(sec["model_output"], finish_reason="stop"), valid).sentences)
                           for sec in record["sections"] if sec.get("model_output"))
            fr = fact_recall(record, fs.facts)
            rows.append({"eval": path.name, "topic": fs.topic, "facts": fr["facts"], "stated": fr["stated_and_cited"],
                         "sentences": len(sents), "model_sentences": sum(x["origin"] == "model" for x in sents),
                         "proposed": proposed, "seconds": secs[-1]})
    return {"model": name, "load_s": load_s, "memos": rows, "mean_memo_s": sum(secs) / len(secs),
            "peak_rss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024}


def build_indexes(eval_dirs: list[Path], home: Path, threads: int | None) -> None:
    """Index (and embed) every eval corpus once, so the memos' times are the memos'."""
    from briefer.evaluate import load_eval_dir
    from briefer.pipeline import load_embedder, refresh_index
    from briefer.settings import load_settings

    embedder = load_embedder(load_settings(home=home, threads=threads))
    for path in eval_dirs:
        ev = load_eval_dir(path, ROOT / "corpus")
        refresh_index(load_settings(home=home, threads=threads, corpus=ev.corpus.resolve()), embedder)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--models", nargs="*", default=["qwen2.5-coder-1.5b", "smollm2-135m"])
    ap.add_argument("--eval-dir", action="append", type=Path)
    ap.add_argument("--threads", type=int, default=None)
    ap.add_argument("--one", help=argparse.SUPPRESS)
    ap.add_argument("--home", type=Path, help=argparse.SUPPRESS)
    args = ap.parse_args()
    from briefer.eval_sets import find_eval_dirs

    evals = args.eval_dir or find_eval_dirs(ROOT / "bench")
    if args.one:
        print(json.dumps(one_model(args.one, evals, args.home, args.threads)))
        return
    home = Path(tempfile.mkdtemp(prefix="briefer-models-"))
    build_indexes(evals, home, args.threads)
    results = []
    for name in args.models:
        cmd = [sys.executable, __file__, "--one", name, "--home", str(home)] + [f"--eval-dir={e}" for e in evals]
        if args.threads:
            cmd += ["--threads", str(args.threads)]
        done = subprocess.run(cmd, cwd=ROOT, check=True, capture_output=True, text=True, env={**os.environ})
        results.append(json.loads(done.stdout.strip().splitlines()[-1]))
    out = ROOT / "bench" / "results" / "models.json"
    out.write_text(json.dumps(results, indent=1), encoding="utf-8")
    print(f"memos: {home / 'memos'}")
    print("| model | facts stated + cited | written by the model | model sentences verified | s per memo | load s | peak RSS MB |")
    print("|---|---|---|---|---|---|---|")
    for r in results:
        m = r["memos"]
        facts, stated = sum(x["facts"] for x in m), sum(x["stated"] for x in m)
        sents, own, prop = sum(x["sentences"] for x in m), sum(x["model_sentences"] for x in m), sum(x["proposed"] for x in m)
        print(f"| {r['model']} | {stated}/{facts} | {own}/{sents} ({own / max(sents, 1):.0%}) | {own}/{prop} "
              f"| {r['mean_memo_s']:.1f} | {r['load_s']:.1f} | {r['peak_rss_mb']:.0f} |")
    for r in results:
        print(f"\n{r['model']}: " + "; ".join(f"{x['eval']} {x['stated']}/{x['facts']}" for x in r["memos"]))


if __name__ == "__main__":
    main()
