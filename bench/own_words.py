"""Why the memo is mostly quotes: what became of each line the model wrote.

    python bench/own_words.py RECORD.json [RECORD.json ...]

For every section of each record (``bench/run.py --keep-work`` leaves them under
``<work>/memos/*/*.json``), the model's raw answer is parsed as the pipeline parses it
(``answer.parse_answer``), and each sentence that cites one source is put in one class:

* a reason from ``quoting.quote_reason`` ("copy", "figures dropped", "attribution
  dropped", ...): the memo shows the source as a quote instead;
* "unsupported": the word checks (``claims.check_sentence``) reject it against its source;
* "strays in meaning": it passes them, but the embedder places it far from its source
  (``briefer.meaning``): the memo shows the quote (skipped when no embedder can be loaded);
* "kept": it may stand as the memo's own sentence (verification may still drop it as a
  repeat, or a neighbour's quote may state it first).

Sentences citing no valid key, or several, are "other".  The sources are read from the
record's own prompt (``[KEY] text`` lines), so the record alone is enough.  Also printed: the
memo sentences whose origin is "model", the figure the README reports as own words.
"""

from __future__ import annotations

import json
import re
import sys
from collections import Counter
from collections.abc import Iterator
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from briefer.answer import parse_answer  # noqa: E402
from briefer.claims import check_sentence  # noqa: E402
from briefer.llm import ChatResult  # noqa: E402
from briefer.meaning import Meaning, strays  # noqa: E402
from briefer.pipeline import load_embedder  # noqa: E402
from briefer.settings import load_settings  # noqa: E402
from briefer.quoting import is_copy, quote_reason  # noqa: E402

SOURCE_LINE_RE = re.compile(r"^\[(K[A-Z0-9]{1,6})\] (.+)$", re.MULTILINE)


def answers(record: dict) -> Iterator[tuple[list[tuple[str, list[str]]], dict[str, str]]]:
    """Each answered section's sentences with their keys, parsed as the pipeline parses them, and its sources."""
    for section in record["sections"]:
        if not section.get("model_output") or not section.get("prompt"):
            continue
        sources = dict(SOURCE_LINE_RE.findall(section["prompt"][-1]["content"]))
        parsed = parse_answer(ChatResult(text=section["model_output"], finish_reason="stop"), set(sources))
        yield parsed.sentences, sources


def classify(record: dict, similarity=None) -> Counter:
    """Counts of what became of the model's answer sentences in one record."""
    counts: Counter = Counter()
    for sentences, sources in answers(record):
        for text, keys in sentences:
            if len(keys) != 1:
                counts["other"] += 1
                continue
            source = sources[keys[0]]
            reason = quote_reason(text, source)
            if reason is None and not check_sentence(text, [source]).supported:
                reason = "unsupported"
            elif reason is None and similarity is not None and strays(text, source, similarity):
                reason = "strays in meaning"
            counts[reason or "kept"] += 1
    return counts


def copy_onset(record: dict) -> Counter:
    """Copies among answer lines written before the answer's first copy, and among those after it.

    Why: Qwen's copying feeds on itself.  At 8d728f6, 20% of the lines written before a section's
    first copy were copies, and 88% of those after it (bench/HISTORY.md, session 25): once its own
    answer holds a source line word for word, the model goes on pasting.  A prompt or decoding
    change aimed at own words should move the first figure, or delay the first copy.
    """
    counts: Counter = Counter()
    for sentences, sources in answers(record):
        after = False
        for text, keys in sentences:
            if len(keys) != 1:
                continue
            copied = is_copy(text, sources[keys[0]])
            side = "after" if after else "before"
            counts[side] += 1
            counts[f"{side} copies"] += copied
            after = after or copied
    return counts


def main(paths: list[str]) -> None:
    if not paths:
        sys.exit(__doc__)
    total: Counter = Counter()
    onset: Counter = Counter()
    own = sentences = 0
    embedder = load_embedder(load_settings())
    similarity = Meaning(embedder) if embedder is not None else None
    for path in paths:
        record = json.loads(Path(path).read_text(encoding="utf-8"))
        counts = classify(record, similarity)
        total += counts
        onset += copy_onset(record)
        memo = [s for sec in record["sections"] for s in sec["sentences"]]
        mine = sum(s["origin"] == "model" for s in memo)
        own, sentences = own + mine, sentences + len(memo)
        print(f"{Path(path).name}: own words {mine}/{len(memo)}; answer sentences {dict(counts.most_common())}")
    lines = sum(total.values())
    print(f"\nall: own words {own}/{sentences}; {lines} answer sentences:")
    for reason, n in total.most_common():
        print(f"  {reason:22} {n:4}  ({n / max(1, lines):.0%})")
    print(f"copies among the lines before an answer's first copy: {onset['before copies']}/{onset['before']}; "
          f"after it: {onset['after copies']}/{onset['after']}")


if __name__ == "__main__":
    main(sys.argv[1:])
