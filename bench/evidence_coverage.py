"""How many gold facts reach the evidence at all (no model): the ceiling of a memo's fact recall.

    python bench/evidence_coverage.py [--home DIR] [--evidence-per-section N] [EVAL_DIR ...]

For each eval set's topic, runs briefer's evidence selection (``pipeline.choose_evidence``:
retrieval, sentence scoring by meaning, once-per-memo assignment, MMR) and counts the facts
that one chosen evidence sentence states, from the right document.  A fact missing here cannot
be in the memo whatever the model writes; a fact present here but missing from the memo was
dropped by the model or the checks.  ``--home`` reuses built indexes (default: a new one).
"""

from __future__ import annotations

import argparse
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from briefer.eval_sets import find_eval_dirs  # noqa: E402
from briefer.evaluate import load_eval_dir, states  # noqa: E402
from briefer.pipeline import choose_evidence, load_embedder, refresh_index  # noqa: E402
from briefer.render import template_dirs  # noqa: E402
from briefer.retrieval import Retriever  # noqa: E402
from briefer.settings import load_settings  # noqa: E402
from briefer.topics import load_topic  # noqa: E402


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("eval_dirs", nargs="*", type=Path)
    ap.add_argument("--home", type=Path, default=None)
    ap.add_argument("--evidence-per-section", type=int, default=None)
    args = ap.parse_args()
    home = args.home or Path(tempfile.mkdtemp(prefix="briefer-evcov-"))
    extra = {"evidence_per_section": args.evidence_per_section} if args.evidence_per_section else {}
    embedder = load_embedder(load_settings(home=home))
    total = [0, 0]
    print("| eval set | facts in the evidence | evidence sentences | missed |")
    print("|---|---|---|---|")
    for path in args.eval_dirs or find_eval_dirs(ROOT / "bench"):
        ev = load_eval_dir(path, ROOT / "corpus")
        for fs in ev.fact_sets:
            s = load_settings(home=home, corpus=ev.corpus.resolve(),
                              template_dir=ev.template_dir.resolve() if ev.template_dir else None, **extra)
            index, _ = refresh_index(s, embedder)
            topic = load_topic(fs.topic, template_dirs(s.template_dir))
            per_section, _ = choose_evidence(s, topic, index, Retriever(index, embedder), embedder)
            chosen = [c for sec in per_section for c in sec]
            hit = [f.id for f in fs.facts
                   if any(c.document in f.all_documents and any(states(c.text, g) for g in f.any_of) for c in chosen)]
            total[0] += len(hit)
            total[1] += len(fs.facts)
            missed = ", ".join(f.id for f in fs.facts if f.id not in hit)
            print(f"| {path.name} | {len(hit)}/{len(fs.facts)} | {len(chosen)} | {missed} |")
    print(f"| all | {total[0]}/{total[1]} | | |")


if __name__ == "__main__":
    main()
