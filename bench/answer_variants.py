"""Would another answer instruction give more of the model's own words?  Replays kept memos' prompts.

    python bench/answer_variants.py --variant short RECORD.json [RECORD.json ...]

Each record (``bench/run.py --keep-work`` leaves them under ``<work>/memos/*/*.json``) holds
every section's exact prompt.  This decodes those prompts again with the default model, batched
as the pipeline decodes a memo (``chat_many``), after replacing the tail of the shipped
``QUESTION_PROMPT`` (from "For each source ...") with one of :data:`VARIANTS`, and classifies
every answer line as ``bench/own_words.py`` does: a copy, a line a quoting rule sends to its
quote, one the checks reject, or one that could stand as the memo's own sentence.  Same
evidence, same keys, only the instruction differs, so the counts compare instructions, not
retrieval.  ``--variant shipped`` decodes the prompts unchanged (the baseline).

The variants are experiments, not prompts the pipeline uses (``briefer/prompts.py`` holds those).
Session 19 ran all three on the nine memos of 39e457f: ``bench/HISTORY.md``, "Own words".
"""

from __future__ import annotations

import argparse
import json
import sys
from collections import Counter
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

from briefer.compose import answer_cap  # noqa: E402
from briefer.prompts import QUESTION_PROMPT  # noqa: E402
from own_words import SOURCE_LINE_RE  # noqa: E402

# Where the shipped QUESTION_PROMPT's instruction begins (tests/test_bench_own_words.py builds a real prompt
# and replaces it, so a reworded prompt fails there).
TAIL = "For each source that helps answer the question, write one line:"
# The shipped instruction's last two sentences (what to leave out, how to refuse), kept as they are.
_ENDING = QUESTION_PROMPT[QUESTION_PROMPT.index(" Leave out sources"):]
VARIANTS = {
    "shipped": None,
    "short": TAIL + " the source key, a colon, then the fact it gives in your own words, much shorter than the source "
                    "(at most 18 words), keeping its names, numbers and dates and who says it. Do not copy the "
                    "source's sentence." + _ENDING,
    "brief": TAIL + " the source key, a colon, then its main point for a busy reader, in one plain sentence of at most "
                    "18 words that keeps its names, numbers, dates and who says it." + _ENDING,
}


def vary(messages: list[dict], variant: str) -> list[dict]:
    """The section's chat with its last turn's instruction replaced by ``variant``'s (a copy)."""
    out = [dict(m) for m in messages]
    text = VARIANTS[variant]
    if text is not None:
        content = out[-1]["content"]
        out[-1]["content"] = content[:content.index(TAIL)] + text
    return out


def replay(model, record: dict, variant: str) -> dict:
    """A copy of ``record`` whose sections' prompts and model outputs are the variant's."""
    record = json.loads(json.dumps(record))
    sections = [s for s in record["sections"] if s.get("prompt") and s.get("model_output") is not None]
    chats = [vary(s["prompt"], variant) for s in sections]
    # The pipeline's cap for one batch of sections (``compose.answer_cap``), read back from the prompts.
    sources = [len(SOURCE_LINE_RE.findall(chat[-1]["content"])) for chat in chats]
    cap = answer_cap(record.get("settings", {}).get("max_tokens"), sources)
    outputs = model.chat_many(chats, max_tokens=cap, temperature=0.0, seed=0) if chats else []
    for section, chat, out in zip(sections, chats, outputs):
        section["prompt"], section["model_output"] = chat, out.text
    return record


def main(argv: list[str] | None = None) -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--variant", choices=sorted(VARIANTS), required=True)
    ap.add_argument("records", nargs="+", type=Path)
    args = ap.parse_args(argv)
    from briefer.backends import make_chat_model
    from briefer.meaning import Meaning
    from briefer.pipeline import load_embedder
    from briefer.settings import load_settings
    from own_words import classify

    settings = load_settings()
    model, embedder = make_chat_model(settings), load_embedder(settings)
    similarity = Meaning(embedder) if embedder is not None else None
    total: Counter = Counter()
    for path in args.records:
        counts = classify(replay(model, json.loads(path.read_text(encoding="utf-8")), args.variant), similarity)
        total += counts
        print(f"{path.parent.name}/{path.name}: {dict(counts.most_common())}", flush=True)
    lines = sum(total.values())
    print(f"\n{args.variant}: {lines} answer lines")
    for reason, n in total.most_common():
        print(f"  {reason:22} {n:4}  ({n / max(1, lines):.0%})")


if __name__ == "__main__":
    main()
