"""Quotable spans: a sentence with the antecedent it leans on, whole quotations, connectives trimmed, informative only."""

from __future__ import annotations

import pytest
from evidence_helpers import _spans

from briefer.evidence_spans import quotable, quotable_span


def _quote(text: str, i: int) -> str:
    """What sentence ``i`` of ``text`` is quoted as (its quotable span)."""
    s, e = quotable_span(text, _spans(text), i)
    return text[s:e]


def test_a_sentence_opening_with_a_reference_gets_its_antecedent():
    text = "Nvidia designed the H20 chips for the Chinese market in 2024. These chips were later banned by Washington."
    spans = _spans(text)
    s, e = quotable_span(text, spans, 1)
    assert text[s:e] == text  # both sentences: "These chips" needs the first


@pytest.mark.parametrize("text, paired", [
    # "that rule" inside the sentence names the rule of the sentence before (a judge rejected it alone)
    ("In 2024, the FTC adopted a final rule expanding the HSR form. A federal district court vacated that rule "
     "in February 2026.", True),
    ("The copper tariffs were the first action under Section 232. President Trump modified these copper tariffs "
     "in April 2026.", True),
    ("Agencies must publish a disclosure policy. As part of that process, agencies must name a contact.", False),
    # "similar" to what the sentence before said (the model wrote "The Senate version of H.R. 2683 contains
    # similar provisions." from the lone quote)
    ("The Remote Access Security Act would extend export controls to cloud access. The version introduced in "
     "the Senate contains similar provisions.", True),
    ("Agencies must report flaws to the Vulnerabilities Equities Process. Agencies may instead use any similar "
     "process.", False),
    ("The 2024 plan cut emissions by a third. The 2026 plan is similar to the 2024 plan in scope.", False),
    # the sentence introduces its own noun, or "that" is no determiner, or the noun is a date
    ("The FTC adopted a rule in 2024. A court vacated a rule like this rule in 2026.", False),
    ("Mergers must be reported to the FTC. The act covers mergers that exceed certain thresholds.", False),
    ("The office requires information on costs. The policy requires that information be inventoried.", False),
    ("The plan was adopted in the fiscal year 2024. Spending will rise this year by 5%.", False),
])
def test_a_demonstrative_inside_a_sentence_gets_the_antecedent_it_names(text: str, paired: bool):
    spans = _spans(text)
    s, e = quotable_span(text, spans, 1)
    assert (text[s:e] == text) is paired


@pytest.mark.parametrize("text, alone", [
    # "This directive" in a directive is the document itself: quoted alone, the citation names it
    ("BINDING OPERATIONAL DIRECTIVE 22-01\n\nReducing the Significant Risk of Known Exploited Vulnerabilities\n\n"
     "Agencies face persistent attacks on their networks.\n\nThis directive establishes a CISA-managed catalog "
     "of known exploited vulnerabilities.", True),
    ("Standard Operating Procedure 90 81\n\nOpen Data Program\n\nData is a federal asset.\n\n"
     "This SOP applies to all Agency offices that create, receive, and maintain data.", True),
    # the kind is not the document's (the report never calls itself a directive), or names its plan
    ("Trade Policy Overview\n\nIn 2025 the President issued a trade order on copper imports.\n\n"
     "This directive raised tariffs on copper to 50 percent.", False),
    ("Federal R&D Funding, FY2026\n\nCongress funds R&D in twelve bills.\n\n"
     "This report begins with a discussion of the overall funding level.", False),
])
def test_a_sentence_naming_its_own_document_stands_alone(text: str, alone: bool):
    """"This directive establishes a CISA-managed catalog ..." was never evidence: "This" read as a
    reference to a sentence before it, and the sentence before it was in another paragraph."""
    last = len(_spans(text)) - 1
    span = quotable_span(text, _spans(text), last)
    if alone:
        assert span is not None and text[span[0]:span[1]] == text[_spans(text)[last][0]:]
    else:
        assert span is None


def test_a_quotation_cut_by_the_splitter_is_rejoined_or_left_out():
    """A judge rejected 'against the U.S.' and 'may "substantially .' as cut-off quotes."""
    quote = _quote('According to the 2026 strategy, Russia "possesses capabilities that it could employ against '
                   'the U.S. Homeland." The treaty expired in February 2026.', 0)
    assert quote.endswith('U.S. Homeland."') and quote.startswith("According")
    assert _quote('Section 7 of the Clayton Act prohibits mergers that may "substantially . . . lessen competition, '
                  'or . . . tend to create a monopoly." The agencies share jurisdiction.', 0).endswith('monopoly."')
    text = 'The minister said "we will act. And we will act soon. Very soon. Now. Today. Tomorrow.'
    assert quotable_span(text, _spans(text), 0) is None  # never closed: no evidence


def test_the_last_sentence_of_a_quotation_is_quoted_from_its_opening_mark_or_not_at_all():
    """A judge rejected "Each agency shall increase facility energy efficiency ...…”" quoted alone: a
    statute's words read as the guide's own."""
    quote = _quote("The Energy Act of 2020 states: \u201cEach agency shall report its energy use. Each agency shall "
                   "increase facility energy efficiency by 2030.\u201d The guide then lists practices.", 1)
    assert quote.startswith("The Energy Act of 2020 states") and quote.endswith("2030.\u201d")
    text = ("The Energy Act of 2020 sets targets.\n\u201cEach agency shall report its energy use.\n"
            "Each agency shall increase facility energy efficiency by 2030.\u201d")
    assert quotable_span(text, _spans(text), 2) is None  # its opening mark is in another paragraph


def test_a_bare_connective_is_trimmed_and_the_quote_stays_a_slice():
    text = "Prices rose sharply in the first quarter of the year. However, China expects demand to recover by June."
    assert _quote(text, 1) == "China expects demand to recover by June."


def test_a_connective_whose_rest_opens_in_lower_case_is_quoted_with_the_sentence_before():
    """Trimmed, "the ministry expects ..." reads as a fragment and was never evidence: 436 of the 561
    connective-opened sentences of the bench corpora were lost so, "For example, researchers have
    repeatedly found that AI-trained facial recognition programs fail disproportionately ..." among them."""
    text = "Prices rose sharply in the first quarter of the year. However, the ministry expects demand to recover by June."
    assert _quote(text, 1) == text and quotable(text)
    text = ("Biometric technologies have a number of vulnerabilities. For example, researchers have repeatedly found "
            "that facial recognition programs fail more often for women.")
    assert _quote(text, 1) == text
    # No sentence to lean on (a paragraph's first): no evidence, as before.
    text = "Prices rose sharply in the first quarter.\nHowever, the ministry expects demand to recover by June."
    assert quotable_span(text, _spans(text), 1) is None


def test_a_sentence_that_only_counts_is_quoted_whole_when_its_rest_opens_in_lower_case():
    """"Second, for FY2026, Congress funded all five agencies ... at higher levels than requested by the
    President." (a CRS report's key finding) leans on no sentence: an ordinal only counts."""
    text = ("The report finds four trends in the FY2026 funding. Second, for FY2026, Congress funded all five agencies "
            "at higher levels than requested by the President.")
    assert _quote(text, 1) == text[text.index("Second"):]
    text = "Prices rose sharply in the first quarter.\nFinally, numerous data centers will stay open for legal reasons."
    assert _quote(text, 1) == "Finally, numerous data centers will stay open for legal reasons."
    # "Second, these funds ..." still leans on what came before.
    text = "Agencies received new funds in 2025. Second, these funds were spent on research in the same year."
    assert _quote(text, 1) == text


def test_only_whole_informative_sentences_are_quotable():
    assert quotable("The Commerce Department tightened export controls on AI chips in October 2023.")
    assert not quotable("§1862) authorizes the President to act if imports threaten national security.")
    assert not quotable('14347 dated September 5, 2025) has used biometric technologies "to identify" enemies.')
    assert quotable("The Space Force (established in 2019) requested $26.1 billion for FY2026.")
    assert not quotable("What limits, if any, should be placed on biometric data collection by agencies?")
    assert not quotable("**Key takeaways** from the [report](https://example.com) on chip export rules.")


def test_both_x_and_y_stands_alone_but_both_companies_refers_back():
    from briefer.leadins import dangling_start

    assert not dangling_start("Both Trump's and Biden's administrations have blacklisted over 80 entities.")
    assert dangling_start("Both companies lost sales in China.")


@pytest.mark.parametrize("text, quotable_alone", [
    # "these challenges" were named paragraphs back: quoted alone it names nothing (a judge rejected it)
    ("Agencies buy much of their software. This policy seeks to address these challenges by making new custom "
     "code available for reuse.", False),
    ("Agencies face challenges in sharing code. This policy seeks to address these challenges by making new "
     "custom code available for reuse.", True),  # the sentence before names them: quoted with it
    ("The policy names three challenges and seeks to address these challenges through reuse.", True),
    ("Agencies buy software. The Department reported these figures to OMB in 2024.", False),
    # "that these ...": the "that" is no determiner, and must not hide the "these" after it
    ("Agencies buy software. The Director should ensure that these assessments can be conducted.", False),
    # ... but a long sentence names its own referent in other words, and "those ... that" points forward
    ("Agencies buy software. As indicated previously, enterprise-focused oversight metrics are not generally "
     "appropriate or useful for non-tiered server closets, and improving efficiencies in these areas can cost "
     "many times more than any savings gained.", True),
    ("Agencies buy software. Reviewers should read those reports that have the greatest impact first.", True),
    ("Agencies buy software. Congress funded the agencies above those requested by the President.", True),
    ("Agencies buy software. Reviewers should read those reports first.", False),
    # the sentence before names them, but only as a reference itself: both lean further back
    ("Agencies rarely share code. These challenges may result in duplicative acquisitions. The policy seeks to "
     "address these challenges by making new custom code available for reuse.", False),
])
def test_these_things_named_further_back_are_no_evidence(text, quotable_alone):
    spans = _spans(text)
    span = quotable_span(text, spans, len(spans) - 1)
    if quotable_alone:
        assert span is not None
    else:
        assert span is None


def test_a_demonstrative_after_that_still_finds_its_antecedent():
    text = ("The program should assess cloud providers' architectures. The Director should draw on experts to "
            "ensure that these assessments can be conducted.")
    assert _quote(text, 1) == text
