"""Accuracy of the optional entailment check (``--entailment``) on a labelled set of pairs.

    python bench/entailment.py [--models qwen2.5-coder-1.5b smollm2-135m] [--threads N] [--pairs FILE]

Each pair of ``bench/entailment/pairs.jsonl`` is an evidence sentence, a claim and
whether the evidence supports it; corrupted claims carry a ``kind`` (swapped
roles, changed number or actor, "considered" turned into "imposed", ...).
For every model the script prints accuracy, how many supported paraphrases
it keeps and how many corrupted claims it catches, per kind, plus the seconds
per check, and writes ``bench/results/entailment.json``.  The lexical checks
(``claims.check_sentence``, what every memo sentence gets anyway) are scored on
the same pairs for comparison, and so is the check by meaning (``briefer.meaning``: the
embedder's cosine between the claim and the evidence, whole or any sentence of it, at least
``MEANING_MIN_COSINE``), which every memo gets when an embedder is loaded.

With ``--judged`` the pairs are instead the model's own memo sentences that the independent
judge ruled on (``bench/judge/sheet-*.jsonl``, each distinct sentence-and-quotes pair once, with
the majority verdict; ties left out): what the check would do to real output, not to corruptions
written for it.  Supported rows count as "paraphrase", rejected ones as "judged unsupported".
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from collections import defaultdict
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from briefer.claims import check_sentence  # noqa: E402
from briefer.entail import entails  # noqa: E402
from briefer.llm import load_chat_model  # noqa: E402
from briefer.meaning import MEANING_MIN_COSINE, Meaning, strays  # noqa: E402
from briefer.pipeline import load_embedder  # noqa: E402
from briefer.settings import load_settings  # noqa: E402
from briefer.modelfile import resolve_model_path  # noqa: E402


def score(pairs: list[dict], judge) -> dict:
    """Accuracy overall and per kind for ``judge(evidence, claim) -> bool``."""
    per_kind: dict[str, list[int]] = defaultdict(lambda: [0, 0])
    t = time.perf_counter()
    for p in pairs:
        ok = judge(p["evidence"], p["claim"]) == p["label"]
        per_kind[p["kind"]][0] += ok
        per_kind[p["kind"]][1] += 1
    secs = time.perf_counter() - t
    right = sum(v[0] for v in per_kind.values())
    good = [p for p in pairs if p["label"]]
    return {"accuracy": right / len(pairs), "right": right, "pairs": len(pairs),
            "paraphrases_kept": per_kind["paraphrase"][0], "paraphrases": len(good),
            "corruptions_caught": right - per_kind["paraphrase"][0], "corruptions": len(pairs) - len(good),
            "per_kind": {k: f"{v[0]}/{v[1]}" for k, v in sorted(per_kind.items())},
            "seconds_per_pair": secs / len(pairs)}


def judged_pairs(sheets: list[Path]) -> list[dict]:
    """The judged model sentences of ``sheets`` as labelled pairs (see the module doc)."""
    votes: dict[tuple[str, tuple[str, ...]], list[bool]] = defaultdict(list)
    for sheet in sheets:
        for line in sheet.read_text(encoding="utf-8").splitlines():
            row = json.loads(line)
            if row.get("origin") == "model" and row.get("verdict"):
                votes[(row["sentence"], tuple(row["quotes"]))].append(row["verdict"] == "supported")
    pairs = []
    for (sentence, quotes), v in sorted(votes.items()):
        if 2 * sum(v) != len(v):
            label = 2 * sum(v) > len(v)
            pairs.append({"evidence": " ".join(quotes), "claim": sentence, "label": label,
                          "kind": "paraphrase" if label else "judged unsupported"})
    return pairs


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--models", nargs="*", default=["qwen2.5-coder-1.5b", "smollm2-135m"])
    ap.add_argument("--pairs", type=Path, default=ROOT / "bench" / "entailment" / "pairs.jsonl")
    ap.add_argument("--judged", action="store_true", help="pairs from the judge's sheets instead (module doc)")
    ap.add_argument("--threads", type=int, default=None)
    ap.add_argument("--out", type=Path, default=None)
    args = ap.parse_args()
    if args.judged:
        pairs = judged_pairs(sorted((ROOT / "bench" / "judge").glob("sheet-*.jsonl")))
    else:
        pairs = [json.loads(line) for line in args.pairs.read_text(encoding="utf-8").splitlines() if line.strip()]
    out = args.out or ROOT / "bench" / "results" / ("entailment-judged.json" if args.judged else "entailment.json")
    results = {"lexical checks only": score(pairs, lambda ev, claim: check_sentence(claim, [ev]).supported)}
    embedder = load_embedder(load_settings())
    if embedder is not None:
        meaning = Meaning(embedder)
        results[f"meaning (cosine >= {MEANING_MIN_COSINE})"] = score(pairs, lambda ev, claim: not strays(claim, ev, meaning))
        results["lexical + meaning (what every memo gets)"] = score(
            pairs, lambda ev, claim: check_sentence(claim, [ev]).supported and not strays(claim, ev, meaning))
    for name in args.models:
        import os

        model = load_chat_model(resolve_model_path(name), n_ctx=2048, n_threads=args.threads or min(2, os.cpu_count() or 1),
                                gpu_layers=0, seed=42)
        results[name] = score(pairs, lambda ev, claim, m=model: entails(m, [ev], claim))
        # What --entailment adds: the model's NO on top of the lexical checks.
        results[f"{name} + lexical"] = score(
            pairs, lambda ev, claim, m=model: check_sentence(claim, [ev]).supported and entails(m, [ev], claim))
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(results, indent=1), encoding="utf-8")
    print("| judge | accuracy | paraphrases kept | corruptions caught | s/pair | per kind |")
    print("|---|---|---|---|---|---|")
    for name, r in results.items():
        kinds = ", ".join(f"{k} {v}" for k, v in r["per_kind"].items())
        print(f"| {name} | {r['accuracy']:.0%} ({r['right']}/{r['pairs']}) | {r['paraphrases_kept']}/{r['paraphrases']} | "
              f"{r['corruptions_caught']}/{r['corruptions']} | {r['seconds_per_pair']:.2f} | {kinds} |")


if __name__ == "__main__":
    main()
