"""The copy guard (briefer/paraphrase.py): which words it forbids, and when."""

from __future__ import annotations

import numpy as np

from briefer.paraphrase import MAX_RUN, CopyGuard, GuardProcessor, RunTracker, WordForms

PIECES = ["\n", " The", " council", " voted", " today", " after", " hours", " of", " debate", " about",
          " approve", " approved", " approval", "approve", " Approve", " models", " modes", " councils",
          "iliance", " 1820", " Harlow", "新", " a", " backed", " proposal", " fees"]
FORMS = WordForms(PIECES)
ID = {p: i for i, p in enumerate(PIECES)}


def ids(*pieces: str) -> list[int]:
    return [ID[p] for p in pieces]


# A prompt line of more than MAX_RUN tokens: the answer copying it is stopped before " approve".
LINE = ids(" The", " council", " voted", " today", " after", " hours", " of", " debate", " about", " approve",
           " a", " proposal")
PROMPT = LINE + ids("\n")


def test_a_word_is_forbidden_with_its_other_endings_spellings_and_near_misspellings():
    approve = set(FORMS.forms(ID[" approve"]))
    assert approve == set(ids(" approve", " approved", " approval", "approve", " Approve"))
    assert ID[" modes"] in FORMS.forms(ID[" models"])  # one letter apart: "modes" would change the meaning
    assert ID[" councils"] not in FORMS.forms(ID[" models"])


def test_names_numbers_short_words_and_word_pieces_are_never_forbidden():
    for piece in (" Harlow", " The", " 1820", " of", " a", "iliance", "approve", "\n"):
        assert FORMS.forms(ID[piece]) == [], piece


def test_nothing_is_forbidden_until_the_answer_has_copied_max_run_tokens():
    guard = CopyGuard(PROMPT, FORMS)
    assert LINE.index(ID[" approve"]) > MAX_RUN
    for tok in LINE[:MAX_RUN - 1]:
        guard.push(tok)
        assert guard.forbidden() == []
    for tok in LINE[MAX_RUN - 1:LINE.index(ID[" approve"])]:
        guard.push(tok)
    assert set(guard.forbidden()) == set(FORMS.forms(ID[" approve"]))
    scores = guard.apply(np.zeros(len(PIECES), dtype=np.float32))
    assert np.isneginf(scores[ID[" approved"]]) and scores[ID[" backed"]] == 0.0


def test_a_new_word_or_a_newline_starts_the_count_again():
    guard = CopyGuard(PROMPT, FORMS)
    for tok in LINE[:MAX_RUN - 1] + ids(" backed") + LINE[MAX_RUN:LINE.index(ID[" approve"])]:
        guard.push(tok)
    assert guard.forbidden() == []  # the answer reworded: the run before " backed" is gone
    tracker = RunTracker(PROMPT, lambda t: t == ID["\n"])
    for tok in LINE[:5]:
        tracker.push(tok)
    tracker.push(ID["\n"])
    assert tracker.runs == {}


def test_a_script_the_prompt_does_not_use_is_forbidden_throughout():
    english = CopyGuard(PROMPT, FORMS).apply(np.zeros(len(PIECES), dtype=np.float32))
    assert np.isneginf(english[ID["新"]])
    chinese = CopyGuard(PROMPT + ids("新"), FORMS).apply(np.zeros(len(PIECES), dtype=np.float32))
    assert chinese[ID["新"]] == 0.0


def test_the_logits_processor_follows_the_growing_sequence_llama_cpp_python_passes():
    proc = GuardProcessor(FORMS)
    seq = list(PROMPT)
    scores = np.zeros(len(PIECES), dtype=np.float32)
    for tok in LINE[:LINE.index(ID[" approve"])]:
        out = proc(np.array(seq, dtype=np.intc), scores)
        assert not np.isneginf(out[ID[" approve"]])
        seq.append(tok)
    out = proc(np.array(seq, dtype=np.intc), scores)
    assert np.isneginf(out[ID[" approve"]]) and np.isneginf(out[ID[" approval"]])
    assert not np.isneginf(scores).any()  # the caller's array is left alone


def test_inside_quotation_marks_the_answer_may_copy():
    pieces = PIECES + [" “", "”", ' "']
    forms = WordForms(pieces)
    q = {p: i for i, p in enumerate(pieces)}
    line = [q[" The"], q[" “"]] + LINE[1:]
    guard = CopyGuard(line + [q["\n"]], forms)
    for tok in line[:line.index(q[" approve"])]:
        guard.push(tok)
    assert guard.forbidden() == []  # within “…”: the quotation is copied as it is
    guard.push(q["”"])
    guard.push(q[" The"])
    assert not guard.quoting
    plain = CopyGuard(line, forms)
    for tok in [q[' "'], q[" council"], q[' "']]:
        plain.push(tok)
    assert not plain.quoting  # a straight quote closes what it opened
