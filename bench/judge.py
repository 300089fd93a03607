"""An independent judge's sheet: every cited memo sentence beside its quotes, and the score.

    python bench/judge.py sheet RECORD.json [RECORD.json ...] --out bench/judge/sheet.jsonl
    python bench/judge.py score bench/judge/sheet.jsonl

``sheet`` writes one row per memo sentence that cites something: the memo, section, the
sentence, whether the model wrote it or it is an extracted quote, and the quoted passages it
cites, with ``verdict`` and ``reason`` empty.  A judge who is not briefer's verifier (a person,
or a separate model run that sees only the sheet) fills ``verdict`` with "supported" or
"unsupported" by the rule in bench/judge/README.md.  ``score`` counts the verdicts, overall and
for the model's own sentences, per memo; it shares no code with briefer's checks.
"""

from __future__ import annotations

import argparse
import json
import sys
from collections import Counter
from pathlib import Path


def sheet_rows(record: dict, memo: str) -> list[dict]:
    """The record's cited sentences, each with the exact quotes it cites."""
    quotes = {s["id"]: s for s in record.get("sources", [])}
    rows = []
    for sec in record.get("sections", []):
        for n, sent in enumerate(sec.get("sentences", [])):
            cited = [quotes[c] for c in sent.get("citations", []) if c in quotes]
            if not cited:
                continue
            rows.append({"memo": memo, "section": sec.get("title", ""), "n": n, "origin": sent.get("origin"),
                         "sentence": sent["text"], "quotes": [c["quote"] for c in cited],
                         "documents": [c["document"] for c in cited], "verdict": None, "reason": None})
    return rows


def score(rows: list[dict]) -> dict:
    """Supported share, overall and for model-written sentences, per memo and in all."""
    out: dict = {}
    for key in sorted({r["memo"] for r in rows}) + ["all"]:
        mine = [r for r in rows if key in ("all", r["memo"])]
        judged = [r for r in mine if r.get("verdict") in ("supported", "unsupported")]
        model = [r for r in judged if r["origin"] == "model"]
        c, m = Counter(r["verdict"] for r in judged), Counter(r["verdict"] for r in model)
        out[key] = {"sentences": len(mine), "judged": len(judged), "supported": c["supported"],
                    "model_judged": len(model), "model_supported": m["supported"]}
    return out


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    sub = ap.add_subparsers(dest="cmd", required=True)
    sh = sub.add_parser("sheet")
    sh.add_argument("records", nargs="+", type=Path)
    sh.add_argument("--out", type=Path, required=True)
    sc = sub.add_parser("score")
    sc.add_argument("sheet", type=Path)
    args = ap.parse_args(argv)
    if args.cmd == "sheet":
        rows = [row for p in args.records for row in sheet_rows(json.loads(p.read_text()), p.stem)]
        args.out.parent.mkdir(parents=True, exist_ok=True)
        args.out.write_text("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in rows))
        print(f"{len(rows)} cited sentences from {len(args.records)} memos -> {args.out}")
        return 0
    rows = [json.loads(line) for line in args.sheet.read_text().splitlines() if line.strip()]
    print("| memo | cited sentences | judged | supported | model's own: judged | supported |")
    print("|---|---|---|---|---|---|")
    for memo, s in score(rows).items():
        pct = f" ({s['supported'] / s['judged']:.1%})" if s["judged"] else ""
        mpct = f" ({s['model_supported'] / s['model_judged']:.1%})" if s["model_judged"] else ""
        print(f"| {memo} | {s['sentences']} | {s['judged']} | {s['supported']}{pct} | {s['model_judged']} | "
              f"{s['model_supported']}{mpct} |")
    return 0


if __name__ == "__main__":
    sys.exit(main())
