"""The memo on an idle machine and on a busy one, in one run.

    python bench/busy_bench.py                 # threads as briefer chooses them (the default)
    python bench/busy_bench.py --threads 2     # a fixed thread count, for comparison
    python bench/busy_bench.py --hogs 2        # CPU-bound processes for the busy run (default 2)

Runs ``briefer generate --topic export-controls`` on the sample corpus three
times in a private BRIEFER_HOME: a warm-up (builds the index, converts the
embedder), then idle, then with ``--hogs`` CPU-bound processes (``while True:
pass``) running the whole time.  Prints each wall time, the thread count each
run chose (from its record) and the busy/idle ratio (issue 10's target: <= 2.5).

It occupies every core for a while: do not run it while others measure.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def memo(home: Path, out: Path, threads: int | None, extra: list[str]) -> tuple[float, dict]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("BRIEFER_")}
    env["BRIEFER_HOME"] = str(home)
    cmd = [sys.executable, "-m", "briefer.cli", "generate", "--topic", "export-controls",
           "--corpus", str(ROOT / "corpus"), "--out", str(out), "--no-progress", *extra]
    if threads:
        cmd += ["--threads", str(threads)]
    t = time.perf_counter()
    proc = subprocess.run(cmd, cwd=ROOT, env=env, capture_output=True, text=True)
    wall = time.perf_counter() - t
    if proc.returncode != 0:
        sys.exit(f"briefer generate failed ({proc.returncode}): {proc.stderr.strip()[-500:]}")
    record = json.loads((out / "export-controls.json").read_text(encoding="utf-8"))
    return wall, record


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--threads", type=int, default=None, help="fixed --threads (default: unset, briefer chooses)")
    ap.add_argument("--hogs", type=int, default=2, help="CPU-bound processes during the busy run (default 2)")
    ap.add_argument("--json", action="store_true", help="also print the figures as JSON")
    ap.add_argument("extra", nargs="*", help="extra arguments for briefer generate (after --)")
    args = ap.parse_args()

    with tempfile.TemporaryDirectory(prefix="busy-bench-") as tmp:
        home, out = Path(tmp) / "home", Path(tmp) / "briefs"
        memo(home, out, args.threads, args.extra)  # warm-up: index, embedder conversion, page cache
        rows = {}
        for label in ("idle", "busy"):
            hogs = [subprocess.Popen([sys.executable, "-c", "while True: pass"]) for _ in range(args.hogs if label == "busy" else 0)]
            try:
                time.sleep(0.5 if hogs else 0)  # let the hogs get going before briefer samples the load
                load = os.getloadavg()[0]
                wall, record = memo(home, out, args.threads, args.extra)
            finally:
                for h in hogs:
                    h.kill()
                    h.wait()
            rows[label] = {"wall_s": round(wall, 2), "threads": record["settings"]["threads"],
                           "llm_generation_s": record["timings"].get("llm_generation"),
                           "llm_prompt_s": record["timings"].get("llm_prompt"), "load_at_start": round(load, 2)}
            print(f"{label}: {wall:6.1f} s wall, {rows[label]['threads']} threads "
                  f"(prompt {rows[label]['llm_prompt_s']} s, generation {rows[label]['llm_generation_s']} s)", flush=True)
        ratio = rows["busy"]["wall_s"] / rows["idle"]["wall_s"]
        print(f"busy/idle: {ratio:.2f}x with {args.hogs} CPU-bound processes on {os.cpu_count()} CPUs "
              f"(threads {'fixed at ' + str(args.threads) if args.threads else 'chosen by briefer'}; target <= 2.5)")
        if args.json:
            print(json.dumps({"cpus": os.cpu_count(), "hogs": args.hogs, "threads_option": args.threads,
                              "runs": rows, "ratio": round(ratio, 2)}, indent=2))


if __name__ == "__main__":
    main()
