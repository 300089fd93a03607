"""Longer fuzz run of every format extractor (the CI test runs 150 cases with a fixed seed).

    python bench/fuzz_bench.py [--examples 5000] [--seed 12]

Same strategies and contract as ``tests/test_fuzz.py`` (``tests/fuzzcases.py``),
but a failing case is recorded and the run goes on, so the output says how many
cases were tried and how many failed, with the first failures' descriptions,
the time, the slowest case, peak memory and the machine.  ``--json`` prints the
figures as JSON.  Needs the dev extra (hypothesis).
"""

from __future__ import annotations

import argparse
import json
import resource
import sys
import time
from collections import Counter
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "tests"))

from fuzzcases import CASES, check_extract, machine  # noqa: E402
from hypothesis import HealthCheck, given, seed, settings  # noqa: E402


def run(examples: int, seed_value: int) -> dict:
    """Run ``examples`` cases; every failure is kept (not raised) so the count is complete."""
    tried: Counter[str] = Counter()
    outcomes: Counter[str] = Counter()
    failures: list[str] = []
    slowest = (0.0, "")

    @seed(seed_value)
    @settings(max_examples=examples, deadline=None, database=None,
              suppress_health_check=list(HealthCheck))
    @given(CASES)
    def case(drawn: tuple[str, bytes]) -> None:
        nonlocal slowest
        suffix, raw = drawn
        tried[suffix] += 1
        t0 = time.monotonic()
        try:
            result = check_extract(suffix, raw)
            outcomes["document" if hasattr(result, "text") else "skipped"] += 1
        except BaseException as exc:  # noqa: BLE001 - counted, not raised: the bench reports them all
            failures.append(f"{suffix} ({len(raw)} bytes, starts {raw[:24]!r}): {type(exc).__name__}: {exc}"[:300])
        took = time.monotonic() - t0
        if took > slowest[0]:
            slowest = (took, f"{suffix}, {len(raw)} bytes")

    t0 = time.monotonic()
    case()
    return {"examples_asked": examples, "seed": seed_value, "cases_tried": sum(tried.values()),
            "by_suffix": dict(sorted(tried.items())), "outcomes": dict(outcomes), "failures": len(failures),
            "first_failures": failures[:10], "seconds": round(time.monotonic() - t0, 1),
            "slowest_case_s": round(slowest[0], 2), "slowest_case": slowest[1],
            "peak_rss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss // 1024, "machine": machine()}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--examples", type=int, default=5000)
    parser.add_argument("--seed", type=int, default=12)
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args()
    figures = run(args.examples, args.seed)
    if args.json:
        print(json.dumps(figures, indent=2))
        return
    for key, value in figures.items():
        print(f"{key}: {value}")


if __name__ == "__main__":
    main()
