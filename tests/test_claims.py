"""Tests for briefer.claims: checking one sentence against the text it cites."""

from __future__ import annotations

import pytest
from sample_text import (
    A100,
    AMD,
    ASCEND,
    BAIDU,
    CORPUS,
    ENTITY_LIST,
    FRAMING,
    INVEST,
    POWER,
    SHARE,
    TARIFF,
    corpus_sentences,
)

from briefer import claims, textanalysis
from briefer.claims import SUPPORTED, UNSUPPORTED, check_sentence
from briefer.textanalysis import sentence_spans, split_sentences


# ------------------------------------------------------------ check_sentence
SECTION_122 = ("The Trump Administration has indicated that it plans to use the 150 days provided by Section 122 to "
               "conduct the investigations necessary to impose tariffs using other authorities, particularly "
               "Section 232 of the Trade Expansion Act of 1962 and Section 301 of the Trade Act of 1974.")

CHECK_CASES = [
    # (id, sentence, cited, expected status, expected missing numbers, expected missing entities)
    ("paraphrase-percent-words", "Tariffs on Chinese goods rose to more than 145 percent, expanding "
     "Trump's trade war.", [TARIFF], SUPPORTED, [], []),
    ("changed-number", "Tariffs on Chinese goods rose to more than 125 percent, expanding Trump's "
     "trade war.", [TARIFF], UNSUPPORTED, ["125 percent"], []),
    ("changed-percentage", "U.S.-dominated AI still holds about 90% of the world's market share.",
     [SHARE], UNSUPPORTED, ["90%"], []),
    ("same-percentage", "U.S.-dominated AI still holds about 70 per cent of the world's market share.",
     [SHARE], SUPPORTED, [], []),
    ("year-kept", "In 2019 the Trump administration placed several Chinese AI companies on an "
     "entity list.", [ENTITY_LIST], SUPPORTED, [], []),
    ("changed-year", "In 2018 the Trump administration placed several Chinese AI companies on an "
     "entity list.", [ENTITY_LIST], UNSUPPORTED, ["2018"], []),
    ("changed-name", "Similarly, Alibaba has opted for Huawei's chips, a significant departure from "
     "reliance on American firms like Nvidia.", [BAIDU], UNSUPPORTED, [], ["Alibaba"]),
    ("paraphrase-names-possessive", "Baidu has opted for Huawei's chips, departing from reliance on "
     "American semiconductor firms like Nvidia.", [BAIDU], SUPPORTED, [], []),
    ("changed-product", "Washington has imposed export controls targeting Chinese access to Nvidia's "
     "A800 and H100 chips.", [A100], UNSUPPORTED, [], ["Nvidia A800"]),
    ("alias-us-united-states", "The United States holds about 70% of the world's AI market share.",
     [SHARE], SUPPORTED, [], []),
    ("money-normalised", "The government invested $1.5 billion in domestic chip players.",
     ["The government invested 1.5 billion dollars in domestic chip players."], SUPPORTED, [], []),
    ("money-changed", "The government invested $2.5 billion in domestic chip players.",
     ["The government invested 1.5 billion dollars in domestic chip players."], UNSUPPORTED,
     ["$2.5 billion"], []),
    ("thousands-separator", "The conference showed 3000 high-tech products and 40 large language "
     "models.", ["Charts laid out over 3,000 high-tech products, 40 large language models at the "
                 "conference."], SUPPORTED, [], []),
    ("unrelated", "The European Union fined Apple 13 billion euros over Irish taxes.", [A100],
     UNSUPPORTED, ["13 billion euros"], ["European Union", "Apple", "Irish"]),
    ("invented-object", "The Chinese government has invested tens of billions of dollars in solar "
     "energy and electric vehicles.", [INVEST], UNSUPPORTED, [], []),
    ("empty-cited", "Tariffs on Chinese goods rose to more than 145 percent.", [], UNSUPPORTED,
     ["145 percent"], ["Chinese"]),
    ("blank-cited", "Tariffs on Chinese goods rose to more than 145 percent.", ["  ", ""],
     UNSUPPORTED, ["145 percent"], ["Chinese"]),
    ("citation-markers-ignored", "Tariffs on Chinese goods rose to more than 145% [K3F], expanding "
     "Trump's trade war [K3F, A9Z].", [TARIFF], SUPPORTED, [], []),
    ("negation-added", "Washington did not impose export controls on Nvidia's A100 and H100 chips.",
     [A100], UNSUPPORTED, [], ["(negation)"]),
    ("negation-dropped", "These chips are as powerful as Nvidia's A100 or H100 models and essential "
     "for AI research.", [POWER], UNSUPPORTED, [], ["(negation)"]),
    ("negation-kept", "These chips are not as powerful as Nvidia's A100 or H100 models.", [POWER],
     SUPPORTED, [], []),
    ("sentence-initial-name", "Alibaba has opted for Huawei's chips, a significant departure from "
     "reliance on American firms like Nvidia.", [BAIDU], UNSUPPORTED, [], ["Alibaba"]),
    ("sentence-initial-common-word", "Restrictions target Chinese access to high-performance AI "
     "chips such as Nvidia's A100.", [A100], SUPPORTED, [], []),
    ("fragment", "China.", [A100], UNSUPPORTED, [], []),
    ("not-only-is-no-negation", "This framing conflates national security concerns with personal "
     "gain and resistance to AI regulation.", [FRAMING], SUPPORTED, [], []),
    # A real small-model output: the actor swapped from the US to the Chinese government while
    # keeping every other word.  Demonyms are not aliases of country names for this reason.
    ("actor-swap-demonym", "The Chinese government has imposed export bans and restrictions on "
     "China's access to advanced AI technology, affecting American tech companies like Nvidia.",
     [AMD], UNSUPPORTED, [], ["Chinese"]),
    ("alias-artificial-intelligence", "The US has imposed export bans on China's access to "
     "advanced artificial intelligence technology.", [AMD], SUPPORTED, [], []),
    ("discourse-words-ignored", "However, the US has also imposed export bans.", [AMD], SUPPORTED,
     [], []),
    ("pronoun-us-is-not-the-US", "The US raised tariffs on Chinese goods to 145%.",
     ["Tariffs on Chinese goods, as many of us know, rose to 145%."], UNSUPPORTED, [], ["US"]),
    ("word-number", "Charts showed three thousand high-tech products.",
     ["Charts laid out with over 3,000 high-tech products were shown."], SUPPORTED, [], []),
    # A real Qwen2.5-Coder-1.5B sentence at 4547fdb (CRS trade), rejected by a judge: the name and the
    # number are both in the source, the reference "Section 150" is not.
    ("reference-made-up", "The Trump Administration plans to use Section 150 days for investigations.",
     [SECTION_122], UNSUPPORTED, [], ["section 150"]),
    ("reference-kept", "The Trump Administration plans to use the 150 days under Section 122 for investigations.",
     [SECTION_122], SUPPORTED, [], []),
    ("reference-in-a-list", "The Administration may impose tariffs under Section 301 after the 150 days of Section 122.",
     [SECTION_122.replace("Section 232 of the Trade Expansion Act of 1962 and Section 301",
                          "Sections 232 and 301")], SUPPORTED, [], []),
]


@pytest.mark.parametrize("sentence,cited,status,numbers,entities",
                         [c[1:] for c in CHECK_CASES], ids=[c[0] for c in CHECK_CASES])
def test_check_sentence(sentence, cited, status, numbers, entities):
    result = check_sentence(sentence, cited)
    assert result.status == status, result.as_dict()
    assert result.missing_numbers == numbers
    assert result.missing_entities == entities
    assert result.supported == (status == SUPPORTED)
    assert 0.0 <= result.overlap <= 1.0


def test_overlap_threshold_is_the_boundary():
    cited = ["alpha bravo charlie delta echo foxtrot golf hotel india juliet"]
    words = "alpha bravo charlie delta echo foxtrot golf hotel india juliet".split()
    invented = "kilo lima mike november oscar papa quebec romeo sierra tango".split()
    for k in range(0, 11):
        sentence = " ".join(words[:k] + invented[: 10 - k]) + "."
        result = check_sentence(sentence, cited)
        assert result.overlap == pytest.approx(k / 10)
        assert result.supported == (k / 10 >= claims.OVERLAP_THRESHOLD)


def test_threshold_calibration_on_sample_corpus():
    """OVERLAP_THRESHOLD must sit above what unrelated corpus sentences reach."""
    sentences = [s for s in dict.fromkeys(corpus_sentences()) if len(s.split()) >= 6]
    best_other = sorted(max(check_sentence(s, [o]).overlap for o in sentences if o != s)
                        for s in sentences)
    p95 = best_other[int(0.95 * (len(best_other) - 1))]
    assert p95 < claims.OVERLAP_THRESHOLD
    paraphrases = [  # faithful rewordings of corpus sentences, scored against their source
        ("Tariffs on Chinese goods rose to more than 145 percent, expanding Trump's trade war.",
         TARIFF),
        ("Baidu has opted for Huawei's chips, a significant departure from reliance on American "
         "firms like Nvidia.", BAIDU),
        ("Huawei countered the restrictions by advancing its own research, culminating in the "
         "release of its Ascend AI training chips.", ASCEND),
        ("U.S.-dominated AI still holds about 70% of the world's market share.", SHARE),
    ]
    assert all(check_sentence(p, [src]).supported for p, src in paraphrases)


def test_irrelevant_extra_citation_does_not_break_support():
    result = check_sentence("Tariffs on Chinese goods rose to more than 145 percent, expanding "
                            "Trump's trade war.", [A100, TARIFF])
    assert result.supported


# ------------------------------------------------------------ sentence spans
def test_sentence_spans_offsets_abbreviations_and_newlines():
    text = ("  Dr. Smith met U.S. officials in Washington. The U.S. Commerce Department "
            "declined to comment.\nThe Global Divide: AI and Semiconductor Nationalism\n\n"
            "Nvidia sells the H20 in China! Is that legal?  \n")
    spans = sentence_spans(text)
    got = [text[s:e] for s, e in spans]
    assert got == [
        "Dr. Smith met U.S. officials in Washington.",
        "The U.S. Commerce Department declined to comment.",
        "The Global Divide: AI and Semiconductor Nationalism",
        "Nvidia sells the H20 in China!",
        "Is that legal?",
    ]
    assert got == split_sentences(text)
    assert all(text[s:e] == text[s:e].strip() and "\n" not in text[s:e] for s, e in spans)
    assert spans == sorted(spans)


def test_sentence_spans_keep_abbreviated_months_inside_a_sentence():
    """A CRS timeline row, "Jul. 8, 1974; U.S. Customs Court held ...", split after "Jul."."""
    for month in ("Jan", "Feb", "Mar", "Apr", "Jun", "Jul", "Aug", "Sep", "Sept", "Oct", "Nov", "Dec"):
        text = f"On {month}. 8, 1974, the U.S. Customs Court held that the surcharge was unlawful. Congress acted later."
        assert split_sentences(text) == [f"On {month}. 8, 1974, the U.S. Customs Court held that the surcharge was "
                                         "unlawful.", "Congress acted later."], month


def test_sentence_spans_empty_whitespace_and_crlf():
    assert sentence_spans("") == []
    assert sentence_spans(" \n\n \t\n") == []
    text = "First line here.\r\nSecond line, same file.\r\n"
    assert [text[s:e] for s, e in sentence_spans(text)] == ["First line here.",
                                                            "Second line, same file."]


def test_sentence_spans_on_corpus_keep_us_sentences_whole():
    text = (CORPUS / "000_c87a0dec3c1a38a8.txt").read_text(encoding="utf-8")
    sentences = split_sentences(text)
    assert ("In an escalation of tensions between the U.S. and China, the Chinese government has "
            "prohibited its leading AI executives from traveling to the United States, citing "
            "mounting national security concerns.") in sentences
    assert "The U.S.-China Tech Rivalry: Export Controls and Sanctions Intensify" in sentences
    assert not any(s.endswith("U.S.") for s in sentences)
    assert len(sentences) >= text.count("\n") + 1


def test_no_download_at_run_time(monkeypatch):
    import nltk

    def forbidden(*args, **kwargs):
        raise AssertionError("nltk.download must never be called")

    monkeypatch.setattr(nltk, "download", forbidden)
    textanalysis._nltk.cache_clear()
    assert split_sentences("The U.S. acted. China replied.") == ["The U.S. acted.", "China replied."]
