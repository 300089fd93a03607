"""The reword stage (briefer/reword.py): a quote gives way to the model's rewording only if it passes."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from fakes import FakeLLM, copy_first_source

from briefer.llm import ChatResult
from briefer.pipeline import generate
from briefer.prompts import CANNOT_ANSWER, REWORD_EXAMPLES
from briefer.reword import Checks, quotes, reword_messages, reword_quotes, rewording, splits_off_certainty
from briefer.schema import Evidence
from briefer.settings import load_settings

PASSAGE = ("According to the council, drivers entering the harbour zone will pay a daily charge of 9.50 "
           "starting in March 2026.")
GOOD = "Starting in March 2026, drivers will pay 9.50 a day to enter the harbour zone, according to the council."


def _evidence(text: str = PASSAGE, key: str = "KQX") -> Evidence:
    return Evidence(key, "a.md", "A", 0, len(text), text, 1.0, 1.0)


def _sections(*sentences: dict) -> list[dict]:
    return [{"title": "Charges", "question": "What will drivers pay?", "sentences": list(sentences)}]


def _quote(key: str = "KQX", text: str = PASSAGE) -> dict:
    return {"text": text, "citations": [key], "status": "supported", "origin": "extracted", "checks": {}}


def _run(answer: str, sections: list[dict] | None = None, checks: Checks | None = None) -> tuple[list[dict], FakeLLM]:
    sections = sections or _sections(_quote())
    llm = FakeLLM(reword=lambda passage: answer)
    reword_quotes(llm, sections, {"KQX": _evidence()}, title="Harbour charge", audience="the mayor",
                  checks=checks or Checks(), temperature=0.0, seed=1)
    return sections, llm


def test_a_faithful_rewording_replaces_the_quote_and_keeps_its_citation():
    sections, llm = _run(GOOD)
    sentence = sections[0]["sentences"][0]
    assert llm.reworded == [PASSAGE]
    assert sentence["text"] == GOOD and sentence["origin"] == "model" and sentence["citations"] == ["KQX"]
    assert sentence["checks"]["reworded"] is True and sentence["checks"]["overlap"] > 0.5


@pytest.mark.parametrize("answer", [
    PASSAGE,  # a copy
    "Starting in March 2026, drivers will pay 19.50 a day to enter the harbour zone, according to the council.",  # a figure changed
    "Drivers will pay a daily charge to enter the harbour zone, according to the council.",  # the figures dropped
    "Starting in March 2026, drivers will pay 9.50 a day to enter the harbour zone.",  # who says so dropped
    "From March 2026, drivers will pay 9.50 a day to enter the harbour zone, according to the council.",  # date moved
    CANNOT_ANSWER,
    "",
    "Lorem ipsum dolor sit amet consectetur adipiscing elit.",
    "Drivers pay 9.50. Drivers pay 9.50. Drivers pay 9.50. Drivers pay 9.50.",  # a loop: sentences beyond the passage's
    "Drivers will pay what they pay.",  # says nothing its passage says
    "Starting in March 2026, drivers will pay 9.50, the council says.",  # sheds half its passage (the zone, daily)
])
def test_a_rewording_that_fails_a_check_leaves_the_quote(answer):
    sections, _ = _run(answer)
    assert sections[0]["sentences"][0] == _quote()


def test_the_worked_examples_pass_the_checks_a_rewording_must_pass():
    """An example the checks would turn back into its quote would teach the model to fail them."""
    for source, example in REWORD_EXAMPLES:
        assert Checks().accept(example, source, "") is not None, example


def test_a_rewording_cut_off_or_stopped_as_a_copy_is_no_rewording():
    assert rewording(ChatResult(text=GOOD, finish_reason="length"), PASSAGE) is None
    assert rewording(ChatResult(text=PASSAGE[:60], finish_reason="copy"), PASSAGE) is None
    assert rewording(ChatResult(text=f"Rewritten passage: {GOOD}\n\nPassage: more", finish_reason="stop"),
                     PASSAGE) == GOOD
    assert rewording(ChatResult(text="U. S. drivers will pay 9.50.", finish_reason="stop"), PASSAGE) == \
        "U.S. drivers will pay 9.50."


def test_a_rewording_that_restates_the_question_leaves_the_quote():
    sections = [{"title": "What drivers will pay", "question": "What daily charge will drivers pay in the harbour zone?",
                 "sentences": [_quote()]}]
    _run("Drivers will pay a daily charge in the harbour zone.", sections)
    assert sections[0]["sentences"][0]["origin"] == "extracted"


def test_the_meaning_check_and_the_entailment_check_have_the_last_word():
    stray = Checks(similarity=lambda a, b: 0.1)
    assert _run(GOOD, checks=stray)[0][0]["sentences"][0]["origin"] == "extracted"
    asked = []
    no = Checks(entail=lambda claim, texts: asked.append((claim, texts)) or False)
    assert _run(GOOD, checks=no)[0][0]["sentences"][0]["origin"] == "extracted"
    assert asked == [(GOOD, [PASSAGE])]
    yes = Checks(entail=lambda claim, texts: True)
    assert _run(GOOD, checks=yes)[0][0]["sentences"][0]["checks"]["entailment"] is True


def test_only_quotes_citing_one_source_are_offered():
    own = {"text": GOOD, "citations": ["KQX"], "status": "supported", "origin": "model", "checks": {}}
    two = {**_quote(), "citations": ["KQX", "KQY"]}
    sections = _sections(own, two, _quote())
    assert quotes(sections) == [(0, 2, "KQX")]
    _, llm = _run(GOOD, sections)
    assert llm.reworded == [PASSAGE]


def test_every_chat_shares_its_prefix_and_shows_one_passage_and_no_question():
    a, b = reword_messages("T", "the mayor", "One passage."), reword_messages("T", "the mayor", "Another\n passage.")
    assert a[:-1] == b[:-1] and len(a) == 2 + 2 * len(REWORD_EXAMPLES)
    assert a[-1] == {"role": "user", "content": "Passage: One passage."}
    assert b[-1]["content"] == "Passage: Another passage."
    assert "question" not in json.dumps(a).lower()


def _settings(corpus: Path, tmp_path: Path, **kw):
    return load_settings(corpus=corpus, out=tmp_path / "briefs", no_embeddings=True, **kw)


def _shorter(passage: str) -> str:
    """A rewording that drops every fourth word that is not a figure or a name: the model's own words."""
    words = " ".join(passage.split()).rstrip(".").split()
    return " ".join(w for i, w in enumerate(words) if i % 4 != 3 or w[0].isupper() or any(c.isdigit() for c in w)) + "."


def test_the_pipeline_rewords_the_quotes_and_says_so_in_the_record(sample_corpus, tmp_path):
    llm = FakeLLM(default=copy_first_source, reword=_shorter)
    record = generate(_settings(sample_corpus, tmp_path, reword=True), "export-controls", model=llm,
                      embedder=None).record
    sentences = [s for sec in record["sections"] for s in sec["sentences"]]
    reworded = [s for s in sentences if s["checks"].get("reworded")]
    assert llm.reworded and reworded and all(s["origin"] == "model" for s in reworded)
    assert record["tokens"]["reworded"] == len(reworded) and record["tokens"]["reword_sent"] > 0
    assert record["settings"]["reword"] is True and "llm_reword" in record["timings"]
    quoted = {s["quote"] for s in record["sources"]}
    assert not any(s["text"] in quoted for s in reworded)


def test_reword_is_off_by_default_and_then_no_passage_is_offered(sample_corpus, tmp_path):
    llm = FakeLLM(default=copy_first_source, reword=_shorter)
    record = generate(_settings(sample_corpus, tmp_path), "export-controls", model=llm, embedder=None).record
    assert llm.reworded == [] and record["settings"]["reword"] is False
    assert all(s["origin"] == "extracted" for sec in record["sections"] for s in sec["sentences"])


def test_a_rewording_that_splits_off_part_of_a_duty_leaves_the_quote():
    """The held-out memo of session 28: the second sentence states as done what the source mandates."""
    source = ("In 2016, the U.S. government, through OMB, released the Federal Source Code Policy, mandating executive "
              "agencies to create their own source code policy, update acquisition language to capture new custom "
              "code, and create an inventory of new custom code to post online.")
    split = ("In 2016, the U.S. government released the Federal Source Code Policy, mandating executive agencies to "
             "create their own source code policy and update acquisition language to capture new custom code. "
             "The agencies also created an inventory of new custom code and posted it online.")
    whole = ("In 2016, the U.S. government released the Federal Source Code Policy, mandating executive agencies to "
             "create their own source code policy and update acquisition language to capture new custom code. "
             "It also mandated agencies to create an inventory of new custom code to post online.")
    assert splits_off_certainty(split, source)
    assert not splits_off_certainty(whole, source)
    assert not splits_off_certainty(split.split(". ")[0] + ".", source)  # one sentence: quote_reason's to judge
