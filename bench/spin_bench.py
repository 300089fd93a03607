"""llama.cpp's OpenMP spin, bounded or not, on an idle and on a busy machine.

    python bench/spin_bench.py [--reps 3] [--hogs 2] [--json]

Each run is a fresh process that loads the default chat model, evaluates a
500-token prompt (a sample article) and generates 48 tokens greedily, at every
physical core.  It runs once with libgomp's default spin (GOMP_SPINCOUNT unset,
300,000 rounds) and once with the bound ``import briefer`` sets
(``briefer.settings.SPIN_BOUND``), alternating, ``--reps`` times, first idle
and then with ``--hogs`` CPU-bound processes running.  Prints the median
seconds of each.  The question it answers: does bounding the spin cost
anything on an idle machine, and what does it save on a busy one?
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

PROBE = """
import json, sys, time
import llama_cpp
path, text, threads = sys.argv[1], open(sys.argv[2], encoding="utf-8").read(), int(sys.argv[3])
llm = llama_cpp.Llama(model_path=path, n_ctx=2048, n_threads=threads, n_threads_batch=threads, verbose=False)
tokens = llm.tokenize(text.encode("utf-8"))[:500]
t0 = time.perf_counter(); llm.eval(tokens); t1 = time.perf_counter()
for _ in range(48):
    llm.eval([llm.sample(temp=0.0)])
print(json.dumps({"prompt_s": t1 - t0, "generation_s": time.perf_counter() - t1}))
"""


def probe(model: Path, text: Path, threads: int, spin: str | None) -> dict:
    # Without importing briefer in the child: the point is to choose the spin ourselves.
    env = {k: v for k, v in os.environ.items() if k not in ("GOMP_SPINCOUNT", "OMP_WAIT_POLICY")}
    if spin:
        env["GOMP_SPINCOUNT"] = spin
    out = subprocess.run([sys.executable, "-c", PROBE, str(model), str(text), str(threads)], env=env,
                         capture_output=True, text=True, check=True)
    return json.loads(out.stdout.strip().splitlines()[-1])


def main() -> None:
    from briefer.modelfile import resolve_model_path  # noqa: PLC0415
    from briefer.settings import SPIN_BOUND, physical_cores  # noqa: PLC0415

    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--reps", type=int, default=3)
    ap.add_argument("--hogs", type=int, default=2)
    ap.add_argument("--json", action="store_true")
    args = ap.parse_args()
    model = resolve_model_path(None)  # the default model, its sha256 checked
    text = sorted((ROOT / "corpus").glob("*.txt"))[0]
    threads = physical_cores()
    probe(model, text, threads, None)  # page cache
    rows: dict[str, dict[str, list[float]]] = {}
    for load in ("idle", "busy"):
        hogs = [subprocess.Popen([sys.executable, "-c", "while True: pass"]) for _ in range(args.hogs if load == "busy" else 0)]
        try:
            for _ in range(args.reps):
                for label, spin in (("default spin", None), (f"GOMP_SPINCOUNT={SPIN_BOUND}", SPIN_BOUND)):
                    r = probe(model, text, threads, spin)
                    cell = rows.setdefault(f"{load}, {label}", {"prompt_s": [], "generation_s": []})
                    cell["prompt_s"].append(r["prompt_s"])
                    cell["generation_s"].append(r["generation_s"])
        finally:
            for h in hogs:
                h.kill()
                h.wait()
    print(f"| {threads} threads, median of {args.reps} | 500-token prompt | 48 tokens generated |")
    print("|---|---|---|")
    for label, cell in rows.items():
        print(f"| {label} | {statistics.median(cell['prompt_s']):.2f} s | {statistics.median(cell['generation_s']):.2f} s |")
    if args.json:
        print(json.dumps({"threads": threads, "hogs": args.hogs, "reps": args.reps, "runs": rows}, indent=2))


if __name__ == "__main__":
    main()
