"""Shared by the test_evidence*.py modules: a text's sentence spans as the store keeps them, an (n, 2) array."""

from __future__ import annotations

import numpy as np


def _spans(text: str) -> np.ndarray:
    from briefer.textanalysis import sentence_spans

    return np.asarray(sentence_spans(text), dtype=np.int64)
