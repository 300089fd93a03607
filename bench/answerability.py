"""Can the chat model tell a section's evidence that answers its question from evidence that does not?

    python bench/answerability.py [--home DIR] [--sources K] [--prompt specific|other-thing] [--out FILE] [EVAL_DIR ...]

Why: four of the eval sets' near-topic off-corpus questions are answered, not refused.  Their
evidence shares the question's words but not its object: Section 232 tariffs on copper for a
question about lumber, the congestion charge for one about electric-vehicle charging points.
briefer refuses by names and numbers (``relevance.py``); the model, asked to write, restates its
sources instead of answering NOT COVERED.  This measures a narrower ask: for every eval set's
section questions (which should be answered) and off-corpus questions (which should be refused),
the section's evidence is chosen as the pipeline chooses it (no model), its ``K`` best sentences
are put to the model with the question, and the logit margin of "YES" over "NO" as the first
answer token is printed.  A gate would need a threshold that refuses the off-corpus questions
and no section question.  ``--home`` reuses built indexes.
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from briefer.eval_sets import find_eval_dirs  # noqa: E402
from briefer.evaluate import load_eval_dir, refusal_topic_toml  # noqa: E402
from briefer.pipeline import choose_evidence, load_embedder, refresh_index  # noqa: E402
from briefer.render import template_dirs  # noqa: E402
from briefer.retrieval import Retriever  # noqa: E402
from briefer.settings import load_settings  # noqa: E402
from briefer.topics import load_topic  # noqa: E402

SYSTEM = "You decide whether sources answer a question. Answer with one word: YES or NO."
ASKS = {
    "specific": "Do the sources give the specific information the question asks for? Answer YES or NO.",
    "other-thing": ("Do the sources answer the question? Answer NO if they are about something other than what "
                    "the question asks about (another product, place, program, law or date). Answer YES or NO."),
}


def sections(home: Path, tmp: Path, dirs: list[Path]) -> list[dict]:
    """Every eval set's section and off-corpus questions, with their evidence, best first."""
    embedder = load_embedder(load_settings(home=home))
    rows: list[dict] = []
    for path in dirs or find_eval_dirs(ROOT / "bench"):
        ev = load_eval_dir(path, ROOT / "corpus")
        for fs in ev.fact_sets:
            s = load_settings(home=home, corpus=ev.corpus.resolve(),
                              template_dir=ev.template_dir.resolve() if ev.template_dir else None)
            index, _ = refresh_index(s, embedder)
            topics = [("section", load_topic(fs.topic, template_dirs(s.template_dir)))]
            for i, q in enumerate(fs.off_corpus_questions):
                f = tmp / f"{path.name}-{i}.toml"
                f.write_text(refusal_topic_toml(q), encoding="utf-8")
                topics.append(("off-corpus", load_topic(str(f), template_dirs(s.template_dir))))
            for kind, topic in topics:
                chosen, _ = choose_evidence(s, topic, index, Retriever(index, embedder), embedder)
                for sec, cands in zip(topic.sections, chosen):
                    best = sorted(cands, key=lambda c: -c.score)
                    rows.append({"set": path.name, "kind": kind, "question": sec.question,
                                 "evidence": [c.text for c in best]})
    return rows


def margins(rows: list[dict], k: int, ask: str) -> None:
    """Add each row's YES-minus-NO logit margin (the model's first answer token)."""
    import numpy as np
    from llama_cpp import Llama

    from briefer.modelfile import resolve_model_path

    llm = Llama(str(resolve_model_path(None)), n_ctx=2048, n_threads=2, verbose=False, logits_all=True)
    yes, no = (llm.tokenize(w, add_bos=False)[0] for w in (b"YES", b"NO"))
    for r in rows:
        sources = "\n".join(f"{i + 1}. {' '.join(e.split())}" for i, e in enumerate(r["evidence"][:k]))
        user = f"Question: {r['question']}\n\nSources:\n{sources}\n\n{ASKS[ask]}"
        prompt = (f"<|im_start|>system\n{SYSTEM}<|im_end|>\n<|im_start|>user\n{user}<|im_end|>\n"
                  "<|im_start|>assistant\n")  # Qwen2.5's chat format
        llm.reset()
        llm.eval(llm.tokenize(prompt.encode(), add_bos=False, special=True))
        logits = np.asarray(llm.scores[llm.n_tokens - 1])
        r["margin"] = float(logits[yes] - logits[no])
        print(f"{r['kind']:10} {r['margin']:+.2f} {r['set']} | {r['question'][:90]}", flush=True)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("eval_dirs", nargs="*", type=Path)
    ap.add_argument("--home", type=Path, default=None)
    ap.add_argument("--sources", type=int, default=4, help="evidence sentences shown with the question")
    ap.add_argument("--prompt", choices=sorted(ASKS), default="specific")
    ap.add_argument("--out", type=Path, default=None, help="write the rows, with margins, as JSON")
    args = ap.parse_args()
    tmp = Path(tempfile.mkdtemp(prefix="briefer-answerability-"))
    rows = sections(args.home or tmp / "home", tmp, args.eval_dirs)
    margins(rows, args.sources, args.prompt)
    on = [r["margin"] for r in rows if r["kind"] == "section"]
    off = [r["margin"] for r in rows if r["kind"] == "off-corpus"]
    print(f"section questions: {len(on)}, lowest margin {min(on):+.2f}; "
          f"off-corpus questions below it: {sum(m < min(on) for m in off)} of {len(off)}")
    if args.out:
        args.out.write_text(json.dumps(rows, indent=1), encoding="utf-8")


if __name__ == "__main__":
    main()
