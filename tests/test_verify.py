"""Tests for briefer.verify: the section-level gate between a weak model and the memo."""

from __future__ import annotations

import pytest
from sample_text import (
    A100,
    AMD,
    ASCEND,
    BAIDU,
    BYTEDANCE,
    CONFERENCE,
    ENTITY_LIST,
    H20,
    INTERPLAY,
    SHARE,
    TARIFF,
)
from verify_helpers import _ev

from briefer.claims import SUPPORTED, UNSUPPORTED
from briefer.schema import Evidence
from briefer.verify import (
    ORIGIN_EXTRACTED,
    ORIGIN_MODEL,
    best_support,
    verify_section,
)


# -------------------------------------------------------------- best_support
POOL = [_ev("K1", TARIFF), _ev("K2", BAIDU), _ev("K3", ENTITY_LIST), _ev("K4", A100),
        _ev("K5", SHARE), _ev("K6", ASCEND), _ev("K7", BYTEDANCE), _ev("K8", CONFERENCE),
        _ev("K9", H20), _ev("KA", AMD), _ev("KB", INTERPLAY)]


def test_best_support_finds_the_right_passage():
    chosen, result = best_support("Baidu opted for Huawei's chips instead of relying on American "
                                  "semiconductor firms like Nvidia.", POOL)
    assert [e.key for e in chosen] == ["K2"]
    assert result.supported


def test_best_support_combines_two_passages_for_a_fused_sentence():
    chosen, result = best_support("Huawei released its Ascend AI training chips, which ByteDance "
                                  "uses for large-scale AI model training.", POOL)
    assert sorted(e.key for e in chosen) == ["K6", "K7"]
    assert result.supported


@pytest.mark.parametrize("sentence", [
    "Alibaba has opted for Huawei's chips, a significant departure from reliance on American "
    "firms like Nvidia.",  # name stitched in from the conference list
    "The World AI Conference in Beijing drew over 800 companies, including Huawei and Tencent.",
    "Tariffs on Chinese goods rose to 125%, expanding Trump's trade war.",
    "Nvidia CEO Jensen Huang praised Huawei's Ascend chips.",
    # short / single-clause sentences are never stitched from two passages
    "Chinese companies stockpiled AMD chips before the ban.",
    "China is developing its own AI chips to reduce reliance on Nvidia and the US export controls.",
    # clause structure, but the name in the first clause comes from another passage
    "Alibaba has opted for Huawei's chips, which marks a departure from American semiconductor "
    "firms like Nvidia.",
    # every word is in H20 + AMD, but the causal link "because" is in neither
    "China has increasingly relied on stockpiling Nvidia's H20 chips because the US imposed export "
    "bans affecting Nvidia and AMD.",
    "",
])
def test_best_support_refuses_invented_facts(sentence):
    chosen, result = best_support(sentence, POOL)
    assert chosen == []
    assert result.status == UNSUPPORTED


def test_best_support_single_citation_only():
    chosen, result = best_support("Huawei released its Ascend AI training chips, which ByteDance "
                                  "uses for large-scale AI model training.", POOL, max_cites=1)
    assert chosen == [] and not result.supported
    assert best_support("anything", []) [0] == []


# ------------------------------------------------------------ verify_section
EVIDENCE = [
    _ev("A1", TARIFF, 3.0),
    _ev("A2", BAIDU, 5.0),
    _ev("A3", ENTITY_LIST, 4.0),
    _ev("A4", A100, 2.0),
    _ev("A5", BYTEDANCE, 4.5),
    _ev("A6", "Huawei’s Ascend and Domestic AI Chips", 9.0),  # a heading: never extracted
]
QUESTION = "Which Chinese companies adopted domestic AI training chips instead of Nvidia?"


def test_empty_answer_falls_back_to_extracted_evidence():
    out = verify_section([], EVIDENCE, QUESTION)
    assert 2 <= len(out) <= 4
    by_key = {e.key: e for e in EVIDENCE}
    for vs in out:
        assert vs.origin == ORIGIN_EXTRACTED and vs.status == SUPPORTED
        assert len(vs.citations) == 1 and vs.text == by_key[vs.citations[0]].text
    keys = [vs.citations[0] for vs in out]
    assert "A6" not in keys  # headings are not claims
    assert len(set(keys)) == len(keys)


def test_extracted_sentences_are_ranked_by_relevance_to_the_question():
    out = verify_section([], EVIDENCE, "What tariff level did the trade war reach?")
    # The only passage about tariffs and the trade war; passages sharing one word
    # ("level", "trade") are not used as padding.
    assert [vs.citations for vs in out] == [["A1"]]
    out = verify_section([], EVIDENCE, "Which firms use Ascend chips for AI model training?",
                         max_extracted=1)
    assert [vs.citations for vs in out] == [["A5"]]


def test_garbage_and_blank_model_output_is_ignored():
    answer = [("", []), ("   ", ["A1"]), ("[A1] [A2]", ["A1", "A2"]), ("1234 5678 ...", [])]
    out = verify_section(answer, EVIDENCE, QUESTION, keep_unsupported=True)
    assert all(vs.origin == ORIGIN_EXTRACTED for vs in out)
    assert len(out) >= 2


def test_looping_duplicates_are_collapsed():
    loop = "Baidu has opted for Huawei's chips instead of American firms like Nvidia."
    answer = [(loop, ["A2"])] * 5 + [(loop.upper(), ["A2"]), (loop.replace(".", " [A2]."), ["A2"])]
    out = verify_section(answer, EVIDENCE, QUESTION, min_sentences=1)
    assert [(vs.text, vs.citations, vs.origin) for vs in out] == [(loop, ["A2"], ORIGIN_MODEL)]


def test_a_one_sentence_source_is_restated_once():
    """Three rewordings of one CRS sentence each passed the checks; a judge rejected the second."""
    source = _ev("C1", "To support Congress, CRS has assembled a list of policy experts and legal points of contact "
                       "who can assist with issues related to AI.")
    answer = [("CRS has listed policy experts and legal points of contact for Congress.", ["C1"]),
              ("To support Congress, CRS lists experts who can assist with AI issues.", ["C1"])]
    out = verify_section(answer, [source], "What help is available to Congress on AI?", min_sentences=1)
    assert [vs.text for vs in out] == ["CRS has listed policy experts and legal points of contact for Congress."]


def test_a_reference_the_model_wrote_out_is_no_finding():
    """An untuned CRS memo led its Key points with "NSF, FY 2026 Budget Request to Congress, p. MREFC-4.", the
    tail of a footnote the model restated; every word was in the source."""
    source = _ev("N1", "The AIR program is a portfolio of investments in facilities across U.S. Antarctic Program "
                       "stations, according to NSF, FY 2026 Budget Request to Congress, p. MREFC-4.")
    answer = [("NSF, FY 2026 Budget Request to Congress, p. MREFC-4.", ["N1"]),
              ("According to NSF, the AIR program invests in facilities at U.S. Antarctic Program stations in FY 2026.", ["N1"])]
    out = verify_section(answer, [source], "What do the reports say about funding for Antarctic research?",
                         min_sentences=1)
    assert [vs.text for vs in out] == ["According to NSF, the AIR program invests in facilities at U.S. Antarctic "
                                       "Program stations in FY 2026."]


def test_invented_facts_are_dropped_wrong_restatements_give_way_to_their_source_and_good_sentences_kept():
    good = "Tariffs on Chinese goods rose to more than 145 percent, expanding Trump's trade war."
    answer = [
        (good, ["A1"]),
        ("Tariffs on Chinese goods rose to more than 125 percent, expanding Trump's trade war.",
         ["A1"]),
        ("Alibaba has opted for Huawei's chips instead of American firms like Nvidia.", ["A2"]),
        ("The EU AI Act fines providers up to 7 percent of global turnover.", []),
        ("In 2019 the Trump administration placed several Chinese AI companies on an entity list.",
         []),  # uncited but supported: citation attached after generation
    ]
    out = verify_section(answer, EVIDENCE, QUESTION)
    assert [(vs.text, vs.citations, vs.origin) for vs in out] == [
        (good, ["A1"], ORIGIN_MODEL),
        # "Alibaba" for "Baidu": the source it restated wrongly is quoted (the 125 percent is not
        # quoted again: the section already says what A1 says)
        (BAIDU, ["A2"], ORIGIN_EXTRACTED),
        ("In 2019 the Trump administration placed several Chinese AI companies on an entity list.",
         ["A3"], ORIGIN_MODEL),
    ]
    assert all(vs.status == SUPPORTED for vs in out)


def test_keep_unsupported_keeps_them_flagged():
    bad = "Tariffs on Chinese goods rose to more than 125 percent, expanding Trump's trade war."
    out = verify_section([(bad, ["A1"])], EVIDENCE, QUESTION, keep_unsupported=True,
                         min_sentences=0)
    assert len(out) == 1
    assert out[0].status == UNSUPPORTED and out[0].origin == ORIGIN_MODEL
    assert out[0].citations == ["A1"]
    assert out[0].checks["missing_numbers"] == ["125 percent"]
    # not kept: the source it got wrong is quoted instead, with the right figure
    quoted = verify_section([(bad, ["A1"])], EVIDENCE, QUESTION, min_sentences=0)
    assert [(v.text, v.origin, v.status) for v in quoted] == [(TARIFF, ORIGIN_EXTRACTED, SUPPORTED)]


def test_flagged_wrong_sentence_does_not_block_quoting_the_right_one():
    bad = "The tariffs on Chinese goods rose to an excess of 125%, only expanding Trump's trade war."
    out = verify_section([(bad, ["A1"])], EVIDENCE, "What tariff level did the trade war reach?",
                         keep_unsupported=True)
    assert [(vs.status, vs.origin, vs.citations) for vs in out] == [
        (UNSUPPORTED, ORIGIN_MODEL, ["A1"]), (SUPPORTED, ORIGIN_EXTRACTED, ["A1"])]


def test_wrong_and_extra_citations_are_repaired():
    sentence = "Baidu has opted for Huawei's chips instead of American firms like Nvidia."
    out = verify_section([(sentence, ["A1"]), (TARIFF, ["A1", "A4"])], EVIDENCE, QUESTION)
    assert [vs.citations for vs in out] == [["A2"], ["A1"]]


def test_extraction_does_not_repeat_what_is_said():
    said = "Baidu has opted for Huawei's chips instead of American firms like Nvidia."
    out = verify_section([(said, ["A2"])], EVIDENCE, QUESTION)
    assert out[0].text == said and out[0].origin == ORIGIN_MODEL
    extracted = [vs for vs in out if vs.origin == ORIGIN_EXTRACTED]
    assert extracted and all(vs.citations != ["A2"] for vs in extracted)
    assert len(out) <= 4


def test_enough_supported_sentences_means_no_extraction():
    answer = [("Baidu has opted for Huawei's chips instead of American firms like Nvidia.", ["A2"]),
              ("ByteDance is reportedly leveraging Ascend for large-scale AI model training.", ["A5"])]
    out = verify_section(answer, EVIDENCE, QUESTION)
    assert [vs.origin for vs in out] == [ORIGIN_MODEL, ORIGIN_MODEL]
    assert verify_section(answer, [], QUESTION) == []


def test_checks_are_serialisable_dicts():
    out = verify_section([], EVIDENCE, QUESTION)
    assert out and all(set(vs.checks) == {"missing_numbers", "missing_entities", "overlap"}
                       for vs in out)
    assert all(vs.checks["overlap"] == 1.0 for vs in out)


def test_figures_the_model_left_out_are_quoted_but_only_next_to_what_it_verified():
    ev = [Evidence("KA", "d.txt", "D", 0, 60, "Beijing has urged firms to buy domestic accelerators from Huawei instead.", 0.9),
          Evidence("KB", "d.txt", "D", 70, 140, "Chinese firms ordered chips worth $16 billion from Nvidia in early 2025.", 0.8),
          Evidence("KC", "d.txt", "D", 150, 200, "Analysts expect the pressure on foreign suppliers to keep growing.", 0.7)]
    said = [("Beijing wants companies to buy domestic Huawei accelerators.", ["KA"])]
    out = verify_section(said, ev, "How is China responding?", min_sentences=0, quote_figures=2)
    assert [(v.origin, v.citations) for v in out] == [(ORIGIN_MODEL, ["KA"]), (ORIGIN_EXTRACTED, ["KB"])]
    # nothing the model said survived: no quotes are added on its behalf
    assert verify_section([("Tariffs hit 900% in 1850.", ["KA"])], ev, "How is China responding?",
                          min_sentences=0, quote_figures=2) == []
