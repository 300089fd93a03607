"""Sections decoded side by side (briefer/batchgen.py): the sampling rules, and a real model run."""

from __future__ import annotations

import numpy as np
import pytest

from briefer import batchgen
from briefer.batchgen import COPY_RUN, CopyTracker, _common_prefix
from briefer.decode_rules import first_stop, penalise, repeated_line
from briefer.llm import ChatResult, chat_all


def test_repeat_penalty_divides_positive_and_multiplies_negative_logits_of_seen_tokens():
    logits = np.array([2.0, -1.0, 3.0, 0.5], dtype=np.float32)
    out = penalise(logits, [0, 1, 1], 2.0)
    assert out.tolist() == [1.0, -2.0, 3.0, 0.5]  # a token seen twice is penalised once, as in llama.cpp
    assert logits.tolist() == [2.0, -1.0, 3.0, 0.5]  # the caller's array is left alone


def test_repeat_penalty_looks_back_64_tokens_only():
    logits = np.ones(100, dtype=np.float32)
    out = penalise(logits, [7] + list(range(10, 74)), 2.0)
    assert out[7] == 1.0 and out[10] == 0.5 and out[73] == 0.5


def test_the_earliest_stop_string_ends_the_text():
    assert first_stop("KA7: fact<|im_end|>more</s>", ["</s>", "<|im_end|>"]) == 9
    assert first_stop("no stop here", ["<|im_end|>", ""]) == -1


def test_an_answer_that_writes_a_line_again_is_cut_before_the_repeat():
    """Qwen cycled "KY6: ... KZM: ... KY6: ..." to the token cap; the first repeat ends the answer."""
    text = "KY6: Drivers pay 9.50.\nKZM: Fines are 80.\nKY6: Drivers pay 9.50.\n"
    assert text[:repeated_line(text)] == "KY6: Drivers pay 9.50.\nKZM: Fines are 80.\n"
    assert repeated_line("KY6: Drivers pay 9.50.\nKZM: Fines are 80.\n") == -1
    assert repeated_line("KY6: Drivers pay 9.50.\nKY6: Drivers pay") == -1  # checked when the line ends
    assert repeated_line("KA: One.\n\nKB: Two.\n\n") == -1  # blank lines are no repeat


def test_common_prefix_leaves_every_prompt_a_token_of_its_own():
    assert _common_prefix([[1, 2, 3, 4], [1, 2, 3, 5]]) == [1, 2, 3]
    assert _common_prefix([[1, 2, 3], [1, 2, 3, 4]]) == [1, 2]  # the first prompt still decodes its last token
    assert _common_prefix([[1, 2, 3]]) == [1, 2]
    assert _common_prefix([[9, 2], [1, 2]]) == []


NL = 0  # the newline token in the tracker tests


def _tracker(prompt: list[int], start: int = 0) -> CopyTracker:
    return CopyTracker(prompt, start, lambda t: t == NL)


def test_a_long_verbatim_run_fast_forwards_the_rest_of_the_copied_line():
    line = list(range(100, 100 + COPY_RUN + 5))
    prompt = [1, 2] + line + [NL] + [50, 51, NL]
    tr = _tracker(prompt)
    for t in line[:COPY_RUN - 1]:
        tr.push(t)
        assert tr.rest_of_line() == []  # a shorter shared run is a summary's, not a copy
    tr.push(line[COPY_RUN - 1])
    assert tr.rest_of_line() == line[COPY_RUN:] + [NL]  # the line's tail through its newline, then a fresh start
    assert tr.rest_of_line() == []


def test_a_copied_line_ending_in_a_blank_line_ends_in_one_newline():
    """The source list's last line ends in a blank line; fed that, the model went on with the prompt."""
    line = list(range(100, 100 + COPY_RUN + 2))
    tr = CopyTracker(line + [7, 60, 61], 0, lambda t: t in (NL, 7), lambda t: [NL] if t == 7 else [t])
    for t in line[:COPY_RUN]:
        tr.push(t)
    assert tr.rest_of_line() == line[COPY_RUN:] + [NL]


def test_a_run_broken_by_a_new_word_or_a_newline_starts_over():
    line = list(range(100, 100 + 2 * COPY_RUN))
    prompt = line + [NL]
    tr = _tracker(prompt)
    for t in line[:COPY_RUN - 2]:
        tr.push(t)
    tr.push(999)  # the model rewords: the run is gone
    for t in line[COPY_RUN - 1:2 * COPY_RUN - 3]:
        tr.push(t)
    assert tr.rest_of_line() == []  # COPY_RUN - 2 tokens since the break
    tr.push(NL)
    assert tr.runs == {}


def test_only_the_sections_own_prompt_is_followed_and_its_last_line_is_never_forced():
    shared = list(range(200, 200 + COPY_RUN + 3)) + [NL]
    own = list(range(300, 300 + COPY_RUN + 3))  # the prompt's last line: the chat template's, no newline after
    tr = _tracker(shared + own, start=len(shared))
    for t in shared[:COPY_RUN + 1]:
        tr.push(t)
    assert tr.rest_of_line() == []  # the worked example in the shared prefix is not a source
    for t in own[:COPY_RUN + 1]:
        tr.push(t)
    assert tr.rest_of_line() == []


class _OneByOne:
    info: dict = {}

    def __init__(self) -> None:
        self.calls = []

    def chat(self, messages, *, max_tokens, temperature, seed):
        self.calls.append(messages[-1]["content"])
        return ChatResult(text=f"answer to {messages[-1]['content']}")


def test_a_backend_without_chat_many_is_asked_one_chat_after_another():
    model = _OneByOne()
    out = chat_all(model, [[{"role": "user", "content": "a"}], [{"role": "user", "content": "b"}]],
                   max_tokens=10, temperature=0.0, seed=1)
    assert [r.text for r in out] == ["answer to a", "answer to b"] and model.calls == ["a", "b"]


@pytest.fixture(scope="module")
def fast_model(fast_model_path):
    from briefer.llm import LlamaChatModel

    return LlamaChatModel(fast_model_path, n_ctx=2048, n_threads=1, n_gpu_layers=0)


def _conv(question: str) -> list[dict]:
    return [{"role": "system", "content": "You answer in one short sentence about the harbour town of Harlow Bay."},
            {"role": "user", "content": question}]


def test_chat_many_answers_every_conversation_sharing_the_prefix(fast_model):
    convs = [_conv("What is Harlow Bay known for?"), _conv("Who runs the council?"), _conv("What is the weather like?")]
    out = fast_model.chat_many(convs, max_tokens=24, temperature=0.0, seed=1)
    assert len(out) == 3
    for r in out:
        assert r.text.strip() and "<|im_end|>" not in r.text
        assert 0 < r.completion_tokens <= 24 and r.finish_reason in {"stop", "length"}
    sent = sum(r.prompt_tokens for r in out)
    assert sum(r.prompt_evaluated for r in out) < sent  # the system prompt was evaluated once, not three times
    again = fast_model.chat_many(convs, max_tokens=24, temperature=0.0, seed=1)
    assert [r.text for r in again] == [r.text for r in out]  # greedy and the prefix reused: the same answers
    assert sum(r.prompt_evaluated for r in again) < sum(r.prompt_evaluated for r in out)


def test_chat_many_stops_at_max_tokens(fast_model):
    out = fast_model.chat_many([_conv("Describe Harlow Bay at length."), _conv("List ten facts about it.")],
                               max_tokens=5, temperature=0.0, seed=1)
    assert all(r.completion_tokens <= 5 for r in out)
    assert any(r.finish_reason == "length" for r in out)


def test_chat_many_with_a_temperature_falls_back_to_one_by_one(fast_model):
    out = fast_model.chat_many([_conv("Who runs the council?"), _conv("Name a street.")], max_tokens=8,
                               temperature=0.7, seed=3)
    assert len(out) == 2 and all(r.completion_tokens <= 8 for r in out)


def test_together_false_asks_one_chat_after_another_even_when_the_backend_can_batch():
    model = _OneByOne()
    model.chat_many = lambda *a, **k: pytest.fail("chat_many used")  # type: ignore[attr-defined]
    out = chat_all(model, [[{"role": "user", "content": "a"}]], max_tokens=5, temperature=0.0, seed=1, together=False)
    assert [r.text for r in out] == ["answer to a"]


REPEAT_ME = ("The harbour district of Harlow Bay holds the oldest fish market of the region, founded in 1820 "
             "by a guild of fishermen and rebuilt twice after storms in 1901 and 1953.")
REPEAT_CHAT = [{"role": "system", "content": "You repeat the user's text exactly, then stop."},
               {"role": "user", "content": f"{REPEAT_ME}\nRepeat the line above exactly."}]


def test_a_copied_line_is_fast_forwarded_and_reads_as_the_copy(fast_model, monkeypatch):
    """The model asked to repeat a sentence starts copying it; with the fast-forward the rest of
    the line is fed from the prompt, so the line is the source exactly (decoded token by token,
    SmolLM2 drops the last words), and the chat decoded alongside is unchanged."""
    sentence, conv = REPEAT_ME, REPEAT_CHAT
    other = _conv("Who runs the council?")
    fast = fast_model.chat_many([conv, other], max_tokens=80, temperature=0.0, seed=1)
    monkeypatch.setattr(batchgen, "COPY_RUN", 0)
    slow = fast_model.chat_many([conv, other], max_tokens=80, temperature=0.0, seed=1)
    assert slow[0].copied == 0 and fast[0].copied > 10
    assert slow[0].text.strip()[:80] == sentence[:80]  # the model does copy it
    assert fast[0].text.strip().startswith(sentence)
    assert fast[1].text == slow[1].text  # the other chat, decoded alongside, is unchanged


def test_with_stop_copies_a_copying_answer_ends_where_the_copy_is_seen(fast_model):
    """The reword stage has no use for a copy: the answer ends once COPY_RUN tokens repeat the prompt,
    with finish reason "copy", and the chat decoded alongside is unchanged."""
    other = _conv("Who runs the council?")
    stopped = fast_model.chat_many([REPEAT_CHAT, other], max_tokens=80, temperature=0.0, seed=1, stop_copies=True)
    fed = fast_model.chat_many([REPEAT_CHAT, other], max_tokens=80, temperature=0.0, seed=1)
    assert stopped[0].finish_reason == "copy" and stopped[0].copied == 0
    assert stopped[0].completion_tokens == COPY_RUN < fed[0].completion_tokens
    assert REPEAT_ME.startswith(stopped[0].text.strip()[:40])
    assert stopped[1].text == fed[1].text and stopped[1].finish_reason != "copy"


def test_fed_tokens_do_not_count_against_the_answer_cap(fast_model, monkeypatch):
    """A cap of 30 tokens cuts the 40-token copy when every token is decoded; fed, the line is whole,
    and the answer's whole text stays within FED_ALLOWANCE times the cap."""
    sentence, conv = REPEAT_ME, REPEAT_CHAT
    fast = fast_model.chat_many([conv, _conv("Who runs the council?")], max_tokens=30, temperature=0.0, seed=1)
    assert fast[0].text.strip().startswith(sentence)
    assert fast[0].completion_tokens - fast[0].copied <= 30 < fast[0].completion_tokens
    assert fast[0].completion_tokens <= batchgen.FED_ALLOWANCE * 30
    monkeypatch.setattr(batchgen, "COPY_RUN", 0)
    slow = fast_model.chat_many([conv, _conv("Who runs the council?")], max_tokens=30, temperature=0.0, seed=1)
    assert slow[0].finish_reason == "length" and not slow[0].text.strip().startswith(sentence)


@pytest.fixture(scope="module")
def guarded_model(fast_model_path):
    from briefer.llm import LlamaChatModel

    model = LlamaChatModel(fast_model_path, n_ctx=2048, n_threads=1, n_gpu_layers=0)
    model.copy_guard = True
    return model


def test_the_copy_guard_keeps_a_batched_answer_from_repeating_its_source(guarded_model, fast_model):
    """Asked to repeat a sentence, the model is stopped after a few words of it and must go on in
    other words; the chat decoded alongside, which copies nothing, is decoded as without the guard."""
    sentence, conv = REPEAT_ME, REPEAT_CHAT
    other = _conv("Who runs the council?")
    guarded = guarded_model.chat_many([conv, other], max_tokens=60, temperature=0.0, seed=1)
    free = fast_model.chat_many([conv, other], max_tokens=60, temperature=0.0, seed=1)
    assert free[0].text.strip().startswith(sentence)  # left alone, the model copies it (fast-forwarded)
    assert guarded[0].copied == 0  # nothing is fast-forwarded under the guard
    assert sentence[:80] not in guarded[0].text and guarded[0].text.strip()
    assert longest_shared_words(guarded[0].text, sentence) < longest_shared_words(free[0].text, sentence)
    assert guarded[1].text == free[1].text


def test_the_copy_guard_applies_to_one_chat_at_a_time_too(guarded_model, fast_model):
    sentence, conv = REPEAT_ME, REPEAT_CHAT
    out = guarded_model.chat(conv, max_tokens=60, temperature=0.0, seed=1)
    assert out.text.strip() and sentence[:80] not in out.text
    free = fast_model.chat(conv, max_tokens=60, temperature=0.0, seed=1)
    assert longest_shared_words(out.text, sentence) < longest_shared_words(free.text, sentence)


def longest_shared_words(text: str, source: str) -> int:
    """The longest run of lower-case words the text repeats from the source."""
    a, b = text.lower().split(), source.lower().split()
    best = 0
    for i in range(len(a)):
        for j in range(len(b)):
            k = 0
            while i + k < len(a) and j + k < len(b) and a[i + k] == b[j + k]:
                k += 1
            best = max(best, k)
    return best
