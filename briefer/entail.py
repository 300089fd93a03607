"""Optional entailment check: a local instruct model answers YES or NO per sentence.

The lexical checks in ``claims.py`` see numbers, names and shared words; they
cannot see who did what to whom ("China restricted exports to the US"), or
that "considered" became "imposed".  With ``--entailment`` every model
sentence that passed them is put to the chat model as a yes/no question
against the passages it cites, and a NO removes it (or flags it, with
``--keep-unsupported``).  Extracted quotes are their own evidence and are not
asked about.

The answer is constrained to the two words when the backend supports it
(``ChatModel.choose``); otherwise the first word of a short reply is read,
and anything but YES counts as NO: an unclear answer must not let a claim
through.  Accuracy on a labelled set is measured by ``bench/entailment.py``.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from .prompts import ENTAILMENT_PROMPT, ENTAILMENT_PROMPT_VARS, ENTAILMENT_SYSTEM, fill

YES, NO = "YES", "NO"


def entailment_messages(evidence: Sequence[str], claim: str) -> list[dict]:
    text = " ".join(" ".join(e.split()) for e in evidence)
    user = fill(ENTAILMENT_PROMPT, ENTAILMENT_PROMPT_VARS, evidence=text, claim=" ".join(claim.split()))
    return [{"role": "system", "content": ENTAILMENT_SYSTEM}, {"role": "user", "content": user}]


def entails(model: Any, evidence: Sequence[str], claim: str, *, seed: int = 42) -> bool:
    """True only when the model answers YES: the evidence states the claim."""
    messages = entailment_messages(evidence, claim)
    choose = getattr(model, "choose", None)
    if callable(choose):
        return choose(messages, (YES, NO)) == YES
    result = model.chat(messages, max_tokens=3, temperature=0.0, seed=seed)
    words = result.text.strip().strip(".!\"'*").split()
    return bool(words) and words[0].strip(".,!:").upper() == YES
