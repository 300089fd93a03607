"""What a summary makes its subject: the judge's rejections of session 27's rewordings, each quoted
instead, and a fair summary of the same source kept as the model's own."""

from __future__ import annotations

import pytest

from briefer import certainty, roles
from briefer.quoting import quote_reason

# (source, the rejected summary, why it is quoted instead, a summary that stays the model's own)
MOVED = {
    "relative-clause": ("If data cannot be released, Senior leadership must ensure a complete analysis of issues that "
                        "could preclude public disclosure of information collected or created.",
                        "If data cannot be released, Senior leadership must ensure that a complete analysis of "
                        "issues could preclude public disclosure.",
                        "subject changed",
                        "When data cannot be released, senior leaders must ensure a full analysis of any issues that "
                        "could block public disclosure of the information."),
    "place": ("The version of H.R. 2683 introduced in the Senate (S. 3519) contains similar provisions.",
              "The Senate introduced a version of H.R. 2683 (S. 3519) that contains similar provisions.",
              "place made actor",
              "S. 3519, the Senate's version of H.R. 2683, contains similar provisions."),
    "part": ("Phase Two of the Environmental Justice Scorecard was released on July 24, 2024.",
             "On July 24, 2024, the Environmental Justice Scorecard was released.",
             "whole for its part",
             "On July 24, 2024, the second phase of the Environmental Justice Scorecard was released."),
    "noun-hedge": ("AI technologies are demonstrating potential benefits across the economy. At the same time, the "
                   "rapid proliferation of AI tools has generated concern over their potential disruptive effects, "
                   "such as the dissemination of misinformation.",
                   "AI tools are showing potential benefits across the economy, but their rapid spread has raised "
                   "concern over their disruptive effects, such as the spread of misinformation.",
                   "hedge on a noun dropped",
                   "AI tools are showing potential benefits across the economy, but their rapid spread has raised "
                   "concern over their possible disruptive effects, such as the spread of misinformation."),
}


@pytest.mark.parametrize("case", MOVED)
def test_a_summary_that_moves_its_subject_is_quoted_instead(case):
    source, rejected, reason, kept = MOVED[case]
    assert quote_reason(rejected, source) == reason
    assert quote_reason(kept, source) is None


def test_a_noun_phrase_made_a_sentence_is_a_subject_changed():
    source = ("Responses to requests for dataset publication that are received by the Agency Office, either "
              "forwarded by the OCIO Technical Team or generated internally within the Agency Office.")
    assert roles.relative_made_main("Responses to requests for dataset publication are handled by the Agency "
                                    "Office.", source)


def test_a_relative_clause_the_source_also_states_as_a_main_clause_may_be_summarised():
    # The source says both "agencies that must report" and "agencies must report": the pair is its own.
    source = "Agencies that must report do so each quarter, and agencies must report by the 15th."
    assert not roles.relative_made_main("Agencies must report by the 15th.", source)


def test_a_noun_the_source_also_names_unhedged_may_be_named_unhedged():
    source = "The rule brings potential benefits to exporters; the benefits are largest for small firms."
    assert not certainty.drops_noun_hedge("The benefits of the rule are largest for small firms.", source)
    assert certainty.drops_noun_hedge("The rule brings benefits that may reach exporters.",
                                      "The rule brings potential benefits to exporters.")


def test_a_place_kept_as_a_place_is_no_actor():
    source = "The bill was introduced in the Senate on March 3."
    assert not roles.place_made_actor("The bill was introduced in the Senate on March 3, 2026.", source)
    assert roles.place_made_actor("The Senate introduced the bill on March 3.", source)


def test_a_part_named_with_its_whole_is_kept():
    source = "Title II of the Act will take effect in 2027."
    assert not roles.whole_for_part("Title II of the Act takes effect in 2027.", source)
    assert roles.whole_for_part("The Act will take effect in 2027.", source)


@pytest.mark.parametrize("source, summary, reason", [
    # a hedge on the whole claim ("Presumably"), dropped (the held-out memo of session 28)
    ("Presumably, units in all CFO Act agencies adhere to the same software development practices as prescribed "
     "by OMB.", "Units in all CFO Act agencies adhere to the same software development practices OMB prescribes.",
     "attribution dropped"),
    # the author's own voice, made the memo's
    ("I worked in the USCIO unit in OMB to develop supplemental guidance to the Open Data Policy.",
     "I worked in OMB's USCIO unit on supplemental guidance to the Open Data Policy.", "source's voice"),
])
def test_the_sources_hedge_and_voice_stay_its_own(source, summary, reason):
    assert quote_reason(summary, source) == reason


def test_a_mandate_with_its_object_is_a_duty():
    source = "The policy mandates agencies to publish an inventory of their custom code."
    assert quote_reason("Agencies publish an inventory of their custom code under the policy.", source) == \
        "obligation changed"
    assert quote_reason("Under the policy, agencies must publish an inventory of their custom code.", source) is None
