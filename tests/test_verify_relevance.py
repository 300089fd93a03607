"""Whether the evidence answers the question (is_relevant) and means what the sentence says (embedder cosine)."""

from __future__ import annotations

import math
import re

import pytest
from sample_text import CONFERENCE, SHARE, TARIFF, corpus_sentences
from verify_helpers import _ev

from briefer.schema import Evidence
from briefer.relevance import broadly_relevant, is_relevant
from briefer.verify import ORIGIN_EXTRACTED, ORIGIN_MODEL, verify_section


# --------------------------------------------------------------- is_relevant
_STOP = set("a an the of to in on for and or by with what which who how why did does do is are was "
            "were be from at as that this it its their there".split())


def _words(text: str) -> set[str]:
    return {w for w in re.findall(r"[a-z0-9]+", text.lower()) if w not in _STOP}


def _bm25ish_hits(question: str, k: int = 8) -> list[Evidence]:
    """Top-k corpus sentences by idf-weighted word overlap (a stand-in for BM25)."""
    sentences = corpus_sentences()
    bags = [_words(s) for s in sentences]
    df: dict[str, int] = {}
    for bag in bags:
        for w in bag:
            df[w] = df.get(w, 0) + 1
    q = _words(question)
    scored = sorted(((sum(math.log(1 + len(bags) / df[w]) for w in q & bag), i)
                     for i, bag in enumerate(bags)), reverse=True)[:k]
    return [_ev(f"S{i}", sentences[i], score) for score, i in scored]  # like a retriever: always k


@pytest.mark.parametrize("question,expected", [
    ("What penalties does the EU AI Act set for providers of general-purpose models?", False),
    ("Which Chinese companies adopted domestic AI training chips instead of Nvidia?", True),
    ("What tariff level did the trade war reach?", True),
    ("Why did China ban AI executives from traveling to the United States?", True),
    ("What did Xi Jinping say about self-reliance in AI?", True),
    ("Which Nvidia chips are targeted by US export controls?", True),
    ("What happened in 2019?", True),
    # compound question: the first half alone dilutes below the share threshold
    ("How many companies and entities took part in China's AI conference in Shanghai, and what "
     "does it show about China's AI ambitions?", True),
    ("How did the Federal Reserve change interest rates in 2023?", False),
    ("What is a good recipe for sourdough bread?", False),
    ("Who won the 2022 FIFA World Cup?", False),
    ("How does Tesla's battery supply chain depend on lithium?", False),
    ("What did the Dutch government decide about ASML lithography exports?", False),
    ("What are the health effects of vaping among teenagers?", False),
])
def test_is_relevant_against_sample_corpus(question, expected):
    hits = _bm25ish_hits(question)
    assert len(hits) == 8
    assert is_relevant(question, hits) is expected


def test_is_relevant_judges_each_part_of_a_compound_question():
    evidence = [_ev("E1", CONFERENCE),
                _ev("E2", "China has a clear ambition to lead in artificial intelligence by 2030.")]
    question = ("What did the Shanghai conference involve, and what ambition did China show for "
                "2030?")
    assert is_relevant(question, evidence)  # neither half alone dilutes the other
    assert is_relevant(question, evidence[:1])  # the first part alone is answerable
    assert not is_relevant("What did the Paris summit involve, and what ambition did Brazil show "
                           "for 2040?", evidence)


def test_is_relevant_counts_demonyms_as_their_country():
    # "US–China" in the question, "Chinese goods" in the only passage about tariffs
    assert is_relevant("What tariff level did the US–China trade war reach?", [_ev("T", TARIFF),
                                                                           _ev("S", SHARE)])


def test_is_relevant_without_evidence_or_content():
    assert is_relevant("What tariff level did the trade war reach?", []) is False
    assert is_relevant("What is it?", [_ev("K1", TARIFF)]) is False


def test_enumeration_question_is_relevant_item_by_item():
    from briefer.schema import Evidence

    texts = [
        "During the pilot, traffic on the charged streets fell by 18 percent compared with a year earlier.",
        "Average bus journey times through the pilot area improved by 11%.",
        "Nitrogen dioxide levels measured at roadside monitors dropped by 14% over the six months.",
    ]
    evidence = [Evidence(f"K{i}A", "p.txt", "Pilot", 0, len(t), t) for i, t in enumerate(texts)]
    question = "What did the congestion charge pilot show about traffic, bus journey times and nitrogen dioxide levels?"
    assert is_relevant(question, evidence)
    assert not is_relevant("What interest rate did the European Central Bank set at its March meeting?", evidence)
    assert not is_relevant("What penalties does the EU AI Act set for providers of general-purpose models, and when?", evidence)


def test_a_long_name_must_appear_in_a_row_or_as_its_acronym():
    """Half the words of "Congressional Budget Office" are in "Office of Management and Budget": not the same office."""
    omb = _ev("O", "The Office of Management and Budget estimated that agencies spend $6 billion a year on software.")
    question = "What did the Congressional Budget Office estimate it would cost federal agencies to buy software?"
    assert not is_relevant(question, [omb])
    assert not broadly_relevant(question, [omb], 0.0)
    cbo = _ev("C", "The Congressional Budget Office estimated that agencies would spend $6 billion on software.")
    assert is_relevant(question, [cbo])
    acronym = _ev("A", "CBO estimated that it would cost federal agencies $6 billion a year to buy software.")
    assert is_relevant(question, [acronym])
    # two-word names keep the half rule: "Xi Jinping" is "President Xi"
    assert is_relevant("What did Xi Jinping say about basic research?",
                       [_ev("X", "President Xi said basic research needs more vigorous work.")])


def test_a_one_word_part_of_a_question_is_not_judged_alone():
    """"... and what did it recommend?" borrows its subject; any sentence that recommends would pass alone."""
    evidence = [_ev("R", "The program office will recommend that agencies reuse existing authorizations.")]
    assert not is_relevant("What did the Inspector General find in its audit of cloud reuse, and what did it "
                           "recommend?", evidence)


# ------------------------------------------------------- meaning (embedder cosine)
MATCHED = ("Washington’s efforts to prevent China from accessing high-performance chips have been matched by "
           "China’s counter-efforts to build a self-sufficient semiconductor supply chain.")


def test_a_sentence_that_strays_in_meaning_from_its_source_gives_way_to_the_quote():
    """The word checks pass this swap of who matched whom (a judge rejected it): every word is the source's."""
    swapped = "Washington and China have matched their counter-efforts on self-sufficiency."
    ev = [_ev("KMA", MATCHED)]
    question = "How has China responded to the chip controls?"
    far = verify_section([(swapped, ["KMA"])], ev, question, similarity=lambda a, b: 0.54)
    assert [(v.text, v.origin) for v in far] == [(MATCHED, ORIGIN_EXTRACTED)]
    near = verify_section([(swapped, ["KMA"])], ev, question, similarity=lambda a, b: 0.86)
    assert [(v.text, v.origin) for v in near] == [(swapped, ORIGIN_MODEL)]
    # Without an embedder nothing changes.
    assert [v.origin for v in verify_section([(swapped, ["KMA"])], ev, question)] == [ORIGIN_MODEL]


def test_meaning_embeds_each_text_once_and_compares_unit_vectors():
    from briefer.meaning import Meaning

    calls: list[list[str]] = []

    class Embedder:
        def embed(self, texts):
            calls.append(list(texts))
            vecs = {"a": [1.0, 0.0], "b": [0.6, 0.8], "c": [0.0, 1.0]}
            return [__import__("numpy").array(vecs[t]) for t in texts]

    m = Meaning(Embedder())
    m.prepare(["a", "b", "a"])
    assert m("a", "b") == pytest.approx(0.6) and m("b", "c") == pytest.approx(0.8)
    assert calls == [["a", "b"], ["c"]]
