"""The per-step rules of batched decoding that need no model: which token comes next, and when an answer ends.

Why apart from :mod:`briefer.batchgen`: these are the rules
``create_chat_completion`` applies one chat at a time (llama.cpp's repeat
penalty, the chat format's stop strings) plus the loop check, written over
plain arrays and strings, so they are read and unit-tested without llama.cpp;
:mod:`briefer.batchgen` applies them to every sequence of a batch.
"""

from __future__ import annotations

import numpy as np

LAST_N = 64  # llama-cpp-python's default last_n_tokens_size, the window of the repeat penalty


def penalise(logits: np.ndarray, history: list[int], penalty: float) -> np.ndarray:
    """llama.cpp's repeat penalty over ``history``: the same rule as its penalties sampler."""
    if penalty == 1.0 or not history:
        return logits
    ids = np.unique(np.asarray(history[-LAST_N:], dtype=np.int64))
    vals = logits[ids]
    logits = logits.copy()
    logits[ids] = np.where(vals > 0, vals / penalty, vals * penalty)
    return logits


def repeated_line(text: str) -> int:
    """Where a looping answer starts writing a line it already wrote, or -1.

    Qwen sometimes cycles through two source lines until the token cap ("KY6: Drivers will
    pay ... KZM: Fines ... KY6: Drivers will pay ..."); the parser dropped the repeats, but
    decoding them took the section's whole answer budget.  Checked when a line ends.
    """
    if not text.endswith("\n"):
        return -1
    lines = text[:-1].split("\n")
    last = lines[-1].strip()
    if last and any(line.strip() == last for line in lines[:-1]):
        return len(text) - len(lines[-1]) - 1
    return -1


def first_stop(text: str, stops: list[str]) -> int:
    """Index where the earliest stop string starts in ``text``, or -1."""
    found = [i for i in (text.find(s) for s in stops if s) if i >= 0]
    return min(found) if found else -1
