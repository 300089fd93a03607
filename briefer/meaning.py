"""A verification check by meaning: the embedder's cosine between a model sentence and its one source.

The word checks (``claims.py``) and the quoting rules (``quoting.py``) see words, numbers and
names; a sentence made of its source's words can still say something else: "Washington and
China have matched their counter-efforts" for China's efforts matching Washington's, or say
nothing, "A summary of legislative actions is included."  The MiniLM sentence vectors computed
for retrieval place such sentences far from their source.  A model sentence further than
``MEANING_MIN_COSINE`` from its source (whole, or any one of its sentences) gives way to the
source's quote (``verify.verify_section``), so it costs the memo a sentence in the model's words,
never a fact.  Without an embedder (BM25-only) the check is skipped.

Measured on the 457 model sentences the independent judge ruled on (``python bench/entailment.py
--judged --models``, every sheet of ``bench/judge`` to session 17): below 0.70, 34 of 49 were
rejected; between 0.70 and 0.75, 22 of 38 (58%, the reason the line moved to 0.75 in session 17);
above 0.75, 99 of 370 (27%); quoted, a source is supported nearly always (README, Quality).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

from .textanalysis import split_sentences

MEANING_MIN_COSINE = 0.75


def meaning_parts(source: str) -> list[str]:
    """What a sentence may restate: the source, or one sentence of it (a unit of two sentences, the second
    with its antecedent, is often restated one sentence at a time, and the whole is further in meaning)."""
    parts = split_sentences(source)
    return [source, *parts] if len(parts) > 1 else [source]


def strays(sentence: str, source: str, similarity: Callable[[str, str], float]) -> bool:
    """Is the sentence further in meaning from every part of its source than a restatement is?"""
    return max(similarity(sentence, p) for p in meaning_parts(source)) < MEANING_MIN_COSINE


class Meaning:
    """Cosine of two texts' sentence vectors (the ``similarity`` of ``verify_section``); each text embedded once.

    ``prepare`` embeds a section's sentences and sources in one call: one call per pair would
    cost a llama.cpp decode each."""

    def __init__(self, embedder: Any) -> None:
        self.embedder = embedder
        self.vecs: dict[str, Any] = {}  # text -> its unit-length vector

    def prepare(self, texts: Sequence[str], sources: Sequence[str] = ()) -> None:
        """Embed ``texts``, and every part of ``sources`` that :func:`strays` compares with, in one call."""
        texts = [*texts, *(part for source in sources for part in meaning_parts(source))]
        new = list(dict.fromkeys(t for t in texts if t not in self.vecs))
        if new:
            self.vecs.update(zip(new, self.embedder.embed(new)))

    def __call__(self, a: str, b: str) -> float:
        self.prepare([a, b])
        return float(self.vecs[a] @ self.vecs[b])
