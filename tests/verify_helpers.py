"""Shared by the test_verify*.py modules: an Evidence passage made of one sentence."""

from __future__ import annotations

from briefer.schema import Evidence


def _ev(key: str, text: str, score: float = 0.0) -> Evidence:
    return Evidence(key=key, document="doc.txt", title="Doc", start=0, end=len(text), text=text,
                    score=score)
