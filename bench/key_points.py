"""Key points chosen again from kept memos, scored by an analyst's review of the same memos.

    python bench/key_points.py bench/review/<commit> RECORD.json ...

Why: the Key points are the part of a memo a boss reads first, and they are chosen after the
model has written (``compose.lead_findings`` moves up one sentence from each of up to four
sections).  So the choice can be replayed without the model: each record's Key points are put
back into the sections whose evidence they cite, ``lead_findings`` (as the checkout has it)
chooses again, and each chosen sentence gets the category the review gave it in that memo
(``bench/review/README.md``; ``?`` for a sentence the review never saw).  Run it at two commits
to compare two ways of choosing.  The records are a bench run's kept memos (``bench/run.py
--keep-work``: ``<work>/memos/<eval set>/<topic>.json``) or the shipped topic's record; the
review's ``memo`` field names the eval set, or the topic for the shipped memo.  The embedder is
loaded as ``briefer generate`` loads it, since centrality is MiniLM's cosine.
"""

from __future__ import annotations

import argparse
import copy
import json
import sys
from collections import Counter
from pathlib import Path
from types import SimpleNamespace

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from briefer.compose import lead_findings  # noqa: E402
from briefer.pipeline import load_embedder  # noqa: E402
from briefer.settings import load_settings  # noqa: E402


def _norm(text: str) -> str:
    return " ".join(text.split())


def labels(review: Path) -> dict[tuple[str, str], str]:
    """(memo, sentence) -> the reviewer's category."""
    out = {}
    for path in sorted(review.glob("*.jsonl")):
        for line in path.read_text(encoding="utf-8").splitlines():
            if line.strip():
                row = json.loads(line)
                out[(row["memo"], _norm(row["sentence"]))] = row["category"]
    return out


def restored(record: dict) -> list[dict]:
    """The record's sections with its Key points put back where their citations' evidence is."""
    sections = copy.deepcopy([s for s in record["sections"] if s.get("kind") != "key_points"])
    key = next((s for s in record["sections"] if s.get("kind") == "key_points"), None)
    for sentence in key["sentences"] if key else []:
        home = next((s for s in sections if set(sentence.get("keys") or []) & set(s.get("evidence", []))), None)
        if home is not None:
            home["sentences"].append(sentence)
    return sections


def memo_name(path: Path, record: dict) -> str:
    return path.parent.name if path.parent.name.startswith("eval") else str(record.get("topic"))


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("review", type=Path, help="a folder of review files (bench/review/<commit>)")
    ap.add_argument("records", nargs="+", type=Path)
    ap.add_argument("--home", type=Path, default=None, help="briefer home with the embedder (default: the usual)")
    ap.add_argument("-v", "--verbose", action="store_true", help="print each chosen sentence")
    args = ap.parse_args()
    lab = labels(args.review)
    embedder = load_embedder(load_settings(**({"home": args.home} if args.home else {})))
    total: Counter = Counter()
    for path in args.records:
        record = json.loads(path.read_text(encoding="utf-8"))
        memo = memo_name(path, record)
        topic = SimpleNamespace(title=record["title"], description=record.get("description") or "")
        key = lead_findings(restored(record), topic, embedder)
        chosen = [s["text"] for s in key["sentences"]] if key else []
        cats = [lab.get((memo, _norm(t)), "?") for t in chosen]
        total.update(cats)
        print(f"{memo}: {', '.join(cats) or '(no Key points)'}")
        for cat, text in zip(cats, chosen) if args.verbose else ():
            print(f"    {cat}: {text[:140]}")
    print("all: " + ", ".join(f"{c} {n}" for c, n in total.most_common()))


if __name__ == "__main__":
    main()
