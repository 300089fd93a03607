"""A fake chat model for fast unit tests: replays queued answers, records prompts."""

from __future__ import annotations

import re
from collections import deque
from pathlib import Path
from typing import Callable

from briefer.llm import ChatResult


class FakeLLM:
    """Replays queued answers in order; an answer may be a callable(messages) -> str.

    When the queue is empty it answers with ``default`` (a callable or string).
    Every call's messages are kept in ``prompts`` so tests can assert on them.
    """

    def __init__(self, answers: list[str | Callable[[list[dict]], str]] | None = None, *,
                 default: str | Callable[[list[dict]], str] = "", model_path: Path | None = None,
                 reword: Callable[[str], str] | None = None) -> None:
        self.queue = deque(answers or [])
        self.default = default
        # The reword stage's chats (``briefer/reword.py``) are answered by ``reword(passage)``, apart
        # from the queue; by default with the passage again (a copy: every quote stays a quote).
        self.reword = reword or (lambda passage: passage)
        self.reworded: list[str] = []  # the passages the reword stage offered
        self.prompts: list[list[dict]] = []
        self._prefix: list[str] = []
        path = model_path or Path(__file__).parent / "fixtures" / "fake.gguf"
        self.info = {"path": str(path), "name": path.name, "threads": 1, "gpu_layers": 0, "llama_cpp_python": "fake"}

    def chat(self, messages: list[dict], *, max_tokens: int, temperature: float, seed: int) -> ChatResult:
        passage = reword_passage(messages)
        if passage is not None:
            self.reworded.append(passage)
            text = self.reword(passage)
        else:
            self.prompts.append(messages)
            answer = self.queue.popleft() if self.queue else self.default
            text = answer(messages) if callable(answer) else answer
        words = " ".join(m["content"] for m in messages).split()
        shared = 0
        for a, b in zip(self._prefix, words):
            if a != b:
                break
            shared += 1
        self._prefix = words
        return ChatResult(text=text, prompt_tokens=len(words), prompt_evaluated=len(words) - shared,
                          completion_tokens=len(text.split()), finish_reason="stop")


def reword_passage(messages: list[dict]) -> str | None:
    """The passage of a reword-stage chat, None for a section's chat."""
    from briefer.prompts import REWORD_SYSTEM

    first, last = messages[0]["content"], messages[-1]["content"]
    if first.startswith(REWORD_SYSTEM.split("{", 1)[0]) and last.startswith("Passage: "):
        return last.removeprefix("Passage: ")
    return None


def source_keys(messages: list[dict]) -> dict[str, str]:
    """key -> source text, read back from the section's turn the pipeline sent."""
    return dict(re.findall(r"^\[(K[A-Z0-9]+)\] (.+)$", messages[-1]["content"], re.MULTILINE))


def question_of(messages: list[dict]) -> str:
    """The question line of the section's turn."""
    found = re.search(r"^Question: (.+)$", messages[-1]["content"], re.MULTILINE)
    return found.group(1) if found else messages[-1]["content"]


def copy_first_source(messages: list[dict]) -> str:
    """A well-behaved model: restates the first listed source that shares a word with the question, citing it."""
    keys = source_keys(messages)
    question = set(re.findall(r"\w{5,}", question_of(messages).lower()))
    for key, text in keys.items():
        if question & set(re.findall(r"\w{5,}", text.lower())):
            return f"{text} [{key}]"
    key, text = next(iter(keys.items()))
    return f"{text} [{key}]"


def paraphrase_first_source(messages: list[dict]) -> str:
    """A model that writes its own (shorter) sentence: the first relevant source with every
    third word left out (figures kept), citing it.  Unlike a copy, it stays the model's sentence."""
    copied = copy_first_source(messages)
    text, key = copied.rsplit(" [", 1)
    words = text.rstrip(".").split()
    kept = [w for i, w in enumerate(words) if i % 3 != 2 or any(c.isdigit() for c in w)]
    return " ".join(kept) + ". [" + key
