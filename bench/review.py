"""An analyst's review of the memos: how many sentences would be kept, and why the others would not.

    python bench/review.py score bench/review/<commit>/*.jsonl

The judge (``bench/judge.py``) asks whether each sentence is supported by its quotes; this asks
whether an analyst would keep it in the memo at all.  A reviewer who is not briefer (a person, or
a separate agent that sees only the memo's Markdown and the rubric in ``bench/review/README.md``)
gives every cited body sentence one category: ``finding``, ``vacuous``, ``off-section``,
``unclear-reference``, ``garbled``, ``fragment`` or ``repeat``.  ``score`` counts them per memo
and in all, for quotes and for the model's own sentences; the share of findings is the memo's
keep rate.  It shares no code with briefer.
"""

from __future__ import annotations

import argparse
import json
import sys
from collections import Counter
from pathlib import Path

CATEGORIES = ("finding", "vacuous", "off-section", "unclear-reference", "garbled", "fragment", "repeat")


def load(paths: list[Path]) -> list[dict]:
    """Every row of the review files, checked: one known category per row."""
    rows = []
    for path in paths:
        for n, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
            if not line.strip():
                continue
            row = json.loads(line)
            if row.get("category") not in CATEGORIES:
                raise SystemExit(f"{path}:{n}: unknown category {row.get('category')!r}")
            rows.append(row)
    return rows


def score(rows: list[dict]) -> dict:
    """Per memo and in all: sentences, the count of each category, and findings among quotes and model sentences."""
    out: dict = {}
    for key in sorted({r["memo"] for r in rows}) + ["all"]:
        mine = [r for r in rows if key in ("all", r["memo"])]
        quoted = [r for r in mine if r["quoted"]]
        model = [r for r in mine if not r["quoted"]]
        out[key] = {"sentences": len(mine), **Counter(r["category"] for r in mine),
                    "quoted": len(quoted), "quoted_findings": sum(r["category"] == "finding" for r in quoted),
                    "model": len(model), "model_findings": sum(r["category"] == "finding" for r in model)}
    return out


def table(scores: dict) -> str:
    """The scores as a Markdown table, one row per memo."""
    head = ["memo", "sentences", *CATEGORIES, "quotes kept", "model kept"]
    lines = ["| " + " | ".join(head) + " |", "|" + "---|" * len(head)]
    for memo, s in scores.items():
        cells = [memo, str(s["sentences"]), *(str(s.get(c, 0)) for c in CATEGORIES),
                 f"{s['quoted_findings']}/{s['quoted']}", f"{s['model_findings']}/{s['model']}"]
        lines.append("| " + " | ".join(cells) + " |")
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    sub = ap.add_subparsers(dest="cmd", required=True)
    sc = sub.add_parser("score")
    sc.add_argument("files", nargs="+", type=Path)
    args = ap.parse_args(argv)
    print(table(score(load(args.files))))
    return 0


if __name__ == "__main__":
    sys.exit(main())
