"""Key points: the most central findings, moved up from the sections, never said twice."""

from __future__ import annotations

from pathlib import Path

from briefer.compose import KEY_POINTS_MAX, KEY_POINTS_TITLE, lead_findings
from briefer.topics import Topic


def _sec(title: str, texts: list[str], origin: str = "model") -> dict:
    return {"title": title, "status": "answered",
            "sentences": [{"text": t, "citations": [f"K{title}{i}"], "status": "supported", "origin": origin}
                          for i, t in enumerate(texts)]}


TOPIC = Topic("t", "Chip export controls", "analysts", (), Path("t.toml"), description="US chip export controls on China")


def test_central_sentences_are_moved_not_copied():
    sections = [_sec("A", ["Export controls on chips to China were tightened in 2023.", "Rain fell in Paris."]),
                _sec("B", ["A bakery opened downtown.", "China answered the chip export controls with subsidies."]),
                _sec("C", ["Only one sentence here about chip export controls."])]
    before = sum(len(s["sentences"]) for s in sections)
    key = lead_findings(sections, TOPIC, embedder=None)
    assert key["title"] == KEY_POINTS_TITLE and key["kind"] == "key_points"
    texts = [s["text"] for s in key["sentences"]]
    assert texts == ["Export controls on chips to China were tightened in 2023.",
                     "China answered the chip export controls with subsidies."]
    assert sum(len(s["sentences"]) for s in sections) + len(texts) == before  # moved, nothing repeated
    assert len(sections[2]["sentences"]) == 1  # a one-sentence section keeps its only sentence


def test_no_key_points_from_fewer_than_two_sections_and_never_more_than_the_cap():
    assert lead_findings([_sec("A", ["x about chips.", "y about chips."])], TOPIC, None) is None
    many = [_sec(str(i), [f"Chip export controls point {i}.", f"Detail {i}."]) for i in range(8)]
    assert len(lead_findings(many, TOPIC, None)["sentences"]) == KEY_POINTS_MAX


def test_the_models_own_words_are_preferred_to_a_quote_of_the_same_weight():
    mixed = _sec("A", ["Chip export controls were tightened.", "Chip export controls were tightened."])
    mixed["sentences"][0]["origin"] = "extracted"
    key = lead_findings([mixed, _sec("B", ["Chip export controls hit firms.", "Other."])], TOPIC, None)
    assert key["sentences"][0]["origin"] == "model"
    assert mixed["sentences"][0]["origin"] == "extracted"  # the quote stayed in its section



def test_the_answer_cap_grows_with_the_sources_unless_the_analyst_set_one():
    """A fixed 160 tokens cut a twelve-source answer after four or five lines."""
    from briefer.compose import LINE_TOKENS, MIN_ANSWER_TOKENS, answer_cap

    assert answer_cap(None, [2, 3]) == MIN_ANSWER_TOKENS
    assert answer_cap(None, [8, 10, 4]) == 10 * LINE_TOKENS
    assert answer_cap(32, [10]) == 32


def test_an_option_or_an_argument_is_not_moved_up_as_a_key_point():
    """Untuned memos led with "Members may consider whether to ..." and "Others argue that Congress should ..."."""
    a = _sec("A", ["Members may consider whether to curb chip export controls.",
                   "Chip export controls on China were tightened in 2023."])
    b = _sec("B", ["Others argue that Congress should set chip export controls.", "Congress could hold hearings."])
    c = _sec("C", ["Chip export controls cut Nvidia's China sales by half.", "A bakery opened."])
    key = lead_findings([a, b, c], TOPIC, None)
    texts = [s["text"] for s in key["sentences"]]
    assert texts == ["Chip export controls on China were tightened in 2023.",
                     "Chip export controls cut Nvidia's China sales by half."]
    assert len(b["sentences"]) == 2  # a section with only options keeps them


def test_the_section_writer_hands_its_embedder_to_the_check_by_meaning():
    """pipeline.generate passes the embedder (when retrieval is dense) to SectionWriter, which embeds
    each section's sentences and sources in one call and quotes a sentence far from its source."""
    import numpy as np

    from briefer.compose import SectionWriter
    from briefer.schema import Evidence
    from briefer.settings import load_settings
    from briefer.topics import Section
    from fakes import FakeLLM

    source = ("Washington’s efforts to prevent China from accessing high-performance chips have been matched by "
              "China’s counter-efforts to build a self-sufficient semiconductor supply chain.")
    swapped = "Washington and China have matched their counter-efforts on self-sufficiency."
    ev = Evidence("KMA", "chips.txt", "Chips", 0, len(source), source, 1.0)

    class Embedder:
        calls: list[list[str]] = []

        def embed(self, texts):
            self.calls.append(list(texts))
            return np.array([[1.0, 0.0] if t == source else [0.5, 0.866] for t in texts])

    question = "How has China answered Washington's efforts on high-performance chips?"
    for embedder, origin in ((Embedder(), "extracted"), (None, "model")):
        writer = SectionWriter(load_settings(), FakeLLM(default=f"KMA: {swapped}"), "system", [ev], 0.0, embedder)
        entry = writer.answer_all([Section("China's answer", (question,))], [[ev]])[0]
        assert [s["origin"] for s in entry["sentences"]] == [origin]
    assert Embedder.calls == [[swapped, source]]  # one call for the section


def test_a_finding_with_figures_and_names_leads_before_a_restatement_of_the_theme():
    """Closeness to the memo's theme alone led with "The federal government supports R&D ..."; a blind
    reader preferred the lists that led with decisions, dates and amounts (7 of 8 memos, session 17)."""
    theme = "Chip export controls on China matter to many firms and markets."  # closer to the topic's words
    finding = "In October 2023 the Commerce Department tightened chip export controls on China."
    a = _sec("A", [theme, finding])
    b = _sec("B", ["Chip export controls on China.", "Other."])
    key = lead_findings([a, b], TOPIC, None)
    assert key["sentences"][0]["text"] == finding
    assert a["sentences"][0]["text"] == theme  # the restatement stayed in its section


def test_a_finding_with_a_figure_leads_before_a_central_one_without():
    """Replayed on reviewed memos, the central sentences without a figure were the Key points an
    analyst called vacuous; "how much" and "when" are what a boss reads the Key points for."""
    names = "Chip export controls on China were widened by Washington, Tokyo and The Hague."
    figure = "Chip export controls cut Nvidia's China sales by 20% in 2023."
    a = _sec("A", [names, figure])
    b = _sec("B", ["Chip export controls on China.", "Other."])
    key = lead_findings([a, b], TOPIC, None)
    assert key["sentences"][0]["text"] == figure
    assert a["sentences"][0]["text"] == names  # the central sentence stayed in its section


def test_a_small_count_is_no_figure_to_lead_with():
    """The Justice40 memo led with "DOT's Justice40 describes DOT's approach ..., including three case
    studies" for its "three", above "sets a goal that 40 percent of overall benefits ... flow to ..."."""
    from briefer.compose import telling_figure

    assert not telling_figure("The scorecard describes the agency's approach, including three case studies.")
    assert not telling_figure("The Administrator conducted 2 Journey to Justice tours.")
    for told in ("The goal is that 40 percent of benefits flow to disadvantaged communities.",
                 "The act provided $14.9 billion for research.", "The council voted 31 to 12.",
                 "In 2019 several companies were placed on the entity list.", "The charge is £9.50 a day.",
                 "Version 2.5 changed the thresholds."):
        assert telling_figure(told), told
    counted = "Chip export controls on China are described, including three case studies."  # closer to the topic
    share = "Chip sales to China fell by 20 percent."
    a = _sec("A", [counted, share])
    b = _sec("B", ["Chip export controls on China.", "Other."])
    key = lead_findings([a, b], TOPIC, None)
    assert key["sentences"][0]["text"] == share


def test_a_sentence_that_names_only_the_topics_subjects_and_no_figure_does_not_lead():
    """Session 22's analyst called the shipped memo's "Until domestic chip production can meet AI needs,
    China remains vulnerable to export controls and sanctions from the U.S." vacuous: no figure, and
    no name that the title and description do not already give."""
    vague = "China remains vulnerable to US chip export controls."  # the closest to the topic's words
    named = "Huawei answered the controls with Ascend chips."
    a = _sec("A", [vague, named])
    b = _sec("B", ["Chip export controls on China.", "Nvidia sells chips to Alibaba, by 20% less."])
    key = lead_findings([a, b], TOPIC, None)
    assert named in [s["text"] for s in key["sentences"]]
    assert vague in [s["text"] for s in a["sentences"]]  # it stays in its section
