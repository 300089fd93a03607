"""Table-driven tests of citation parsing on good and bad model output."""

from __future__ import annotations

import pytest

from briefer.answer import build_messages, make_key, parse_answer, system_prompt
from briefer.llm import ChatResult
from briefer.prompts import CANNOT_ANSWER
from briefer.schema import Evidence

VALID = {"K7QA", "K3FB", "KZZ2"}


@pytest.mark.parametrize(
    "answer, expected",
    [
        ("Chips were banned. [K7QA]", [("Chips were banned.", ["K7QA"])]),
        ("Chips were banned [K7QA].", [("Chips were banned.", ["K7QA"])]),
        ("Chips were banned. [K7QA] Tariffs rose. [K3FB]", [("Chips were banned.", ["K7QA"]), ("Tariffs rose.", ["K3FB"])]),
        ("Chips were banned [K7QA, K3FB].", [("Chips were banned.", ["K7QA", "K3FB"])]),
        ("Chips were banned [k7qa].", [("Chips were banned.", ["K7QA"])]),
        # invented keys are stripped from text and citations
        ("Chips were banned [K9XX].", [("Chips were banned.", [])]),
        ("Chips were banned [1].", [("Chips were banned.", [])]),
        ("Chips were banned (Source 2).", [("Chips were banned.", [])]),
        ("Chips were banned [K7QA][K404].", [("Chips were banned.", ["K7QA"])]),
        # no citations at all
        ("Chips were banned. Tariffs rose.", [("Chips were banned.", []), ("Tariffs rose.", [])]),
        # initials spaced out by the model ("U. S.") are one name again, not a sentence end
        ("K7QA: According to official U. S. assessments, Iran halted its program in 2003.",
         [("According to official U.S. assessments, Iran halted its program in 2003.", ["K7QA"])]),
        # a parenthetical remark is kept
        ("Huawei (a Chinese firm) makes chips [K3FB].", [("Huawei (a Chinese firm) makes chips.", ["K3FB"])]),
        ("", []),
        ("   \n ", []),
    ],
)
def test_parse_answer(answer, expected):
    parsed = parse_answer(ChatResult(text=answer, finish_reason="stop"), VALID)
    assert parsed.sentences == expected


def test_invalid_keys_are_reported():
    parsed = parse_answer(ChatResult(text="A thing happened [K9XX]. Another [K7QA].", finish_reason="stop"), VALID)
    assert parsed.invalid_keys == ["K9XX"]
    assert parsed.sentences[1] == ("Another.", ["K7QA"])


def test_sentence_cut_by_token_limit_is_dropped():
    parsed = parse_answer(ChatResult(text="Chips were banned [K7QA]. Then the US decided to", finish_reason="length"), VALID)
    assert parsed.sentences == [("Chips were banned.", ["K7QA"])]


@pytest.mark.parametrize("answer", [CANNOT_ANSWER, f"{CANNOT_ANSWER}.", f"  {CANNOT_ANSWER.lower()} "])
def test_refusal_sentinel(answer):
    parsed = parse_answer(ChatResult(text=answer, finish_reason="stop"), VALID)
    assert parsed.refused and parsed.sentences == []


def test_keys_are_opaque_unique_and_deterministic():
    taken: set[str] = set()
    keys = [make_key("a.txt", i, taken) for i in range(500)]
    assert len(set(keys)) == 500
    assert all(k.startswith("K") and not k[1:].isdigit() for k in keys)
    assert make_key("a.txt", 0, set()) == keys[0]


def test_the_worked_examples_keys_never_look_like_a_sources_key():
    """With the example keyed KA7/KB3/KD2/KC9, Qwen wrote "KD2:" for a source keyed KDW, and "KB3:" with the
    example's own fact where KBP's line belonged: 48 of 1,202 answer lines over three bench runs."""
    from briefer.prompts import EXAMPLE_ANSWER, EXAMPLE_SOURCES

    taken: set[str] = set()
    keys = {make_key(f"doc{d}.txt", i, taken) for d in range(20) for i in range(200)}
    example = [k for k, _ in EXAMPLE_SOURCES]
    assert not {k[:2] for k in example} & {k[:2] for k in keys}  # not even the first two characters
    parsed = parse_answer(ChatResult(text=EXAMPLE_ANSWER, finish_reason="stop"), set(example))
    assert [keys_ for _, keys_ in parsed.sentences] == [["K7A"], ["K3B"], ["K9C"]]


def test_prompt_shares_prefix_between_sections():
    ev1 = [Evidence("K7QA", "a.txt", "A", 0, 10, "Chips were banned in 2023.")]
    ev2 = [Evidence("K8QB", "a.txt", "A", 20, 40, "Tariffs rose to 145%.")]
    system = system_prompt("T", "analysts")
    assert CANNOT_ANSWER in system and "analysts" in system
    m1, m2 = build_messages(system, "Q1?", ev1), build_messages(system, "Q2?", ev2)
    assert m1[:3] == m2[:3] and m1[0]["role"] == "system" and m1[2]["role"] == "assistant"  # same prefix, example included
    assert "[K7QA] Chips were banned in 2023." in m1[-1]["content"] and "Question: Q1?" in m1[-1]["content"]
    assert "K7QA" not in m2[-1]["content"]


def test_key_lines_become_cited_sentences():
    from briefer.answer import key_lines_to_citations

    text = "K7QA: Chips were banned in 2023\n- [K8QB]: Tariffs rose to 145%.\nNot a key line"
    assert key_lines_to_citations(text) == "Chips were banned in 2023. [K7QA]\nTariffs rose to 145%. [K8QB]\nNot a key line"
    # each sentence of a two-sentence line cites the line's key
    two = "K7QA: Chips were banned in 2023. This ban covers model weights."
    assert key_lines_to_citations(two) == "Chips were banned in 2023. [K7QA] This ban covers model weights. [K7QA]"


def test_a_key_line_cut_off_by_the_token_limit_is_dropped():
    result = ChatResult("K7QA: Chips were banned in 2023.\nK8QB: Tariffs rose to", finish_reason="length")
    parsed = parse_answer(result, {"K7QA", "K8QB"})
    assert parsed.sentences == [("Chips were banned in 2023.", ["K7QA"])]
    alone = parse_answer(ChatResult("K8QB: Tariffs rose to", finish_reason="length"), {"K8QB"})
    assert alone.sentences == []


def test_the_whole_sentences_of_a_cut_off_key_line_are_kept():
    result = ChatResult("K7QA: Chips were banned in 2023.\nK8QB: Huawei launched its Ascend chips in 2024. "
                        "These have found favor among", finish_reason="length")
    parsed = parse_answer(result, {"K7QA", "K8QB"})
    assert parsed.sentences == [("Chips were banned in 2023.", ["K7QA"]),
                                ("Huawei launched its Ascend chips in 2024.", ["K8QB"])]
    dotted = ChatResult("K8QB: The U.S. banned chips. It also", finish_reason="length")
    assert parse_answer(dotted, {"K8QB"}).sentences == [("The U.S. banned chips.", ["K8QB"])]


@pytest.mark.parametrize(
    "answer, expected",
    [
        # list items and headings are not claims
        ("The sources are:\n- Harlow Bay council (K7QA)\n- Tariffs (K3FB)", []),
        ("Key points\nChips were banned [K7QA].", [("Chips were banned.", ["K7QA"])]),
        # the model talking about its task
        ("The source is: [K7QA] The council voted 31 to 12 on Tuesday.", [("The council voted 31 to 12 on Tuesday.", ["K7QA"])]),
        ("Answer: Tariffs rose to 145% [K3FB].", [("Tariffs rose to 145%.", ["K3FB"])]),
        # a long last sentence without a full stop is still a claim
        ("The council voted 31 to 12 on Tuesday [K7QA]", [("The council voted 31 to 12 on Tuesday", ["K7QA"])]),
    ],
)
def test_fragments_and_meta_text(answer, expected):
    assert parse_answer(ChatResult(text=answer, finish_reason="stop"), VALID).sentences == expected
