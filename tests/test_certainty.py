"""How sure a source is, verb by verb: the judge's rejections of session 26's rewordings, each quoted
instead, and a fair summary of the same source kept as the model's own."""

from __future__ import annotations

import pytest

from briefer import certainty
from briefer.quoting import quote_reason

# (source, the rejected summary, why it is quoted instead, a summary that stays the model's own)
BOUNDED = {
    "figure-bound": ("Per one April 7 media report, the Administration is reportedly preparing to request from "
                     "Congress as much as $100 billion in additional funding related to the conflict with Iran.",
                     "The Administration is reportedly preparing to request $100 billion in additional funding "
                     "from Congress, according to one April 7 media report.",
                     "figure's bound dropped",
                     "The Administration is reportedly preparing to request up to $100 billion in additional "
                     "funding from Congress, according to one April 7 media report."),
    "modal-per-verb": ("The Artificial Intelligence Oversight of Verified Exports and Restrictions on Weaponizable "
                       "Advanced Technology to Covered High-Risk Actors Act (AI OVERWATCH Act; H.R. 6875) would "
                       "direct the Secretary of Commerce to submit a strategy that would detail the national "
                       "security implications of remote access to U.S. chips.",
                       "The AI OVERWATCH Act directs the Secretary of Commerce to submit a strategy that would "
                       "detail the national security implications of remote access to U.S. chips.",
                       "attribution dropped",
                       "The AI OVERWATCH Act would direct Commerce's Secretary to submit a strategy that would "
                       "detail the national security implications of remote access to U.S. chips."),
    "may-have": ("Agencies may choose to take advantage of entities in the Executive Branch that may have "
                 "relevant expertise, including the staff of Data.gov.",
                 "Agencies may choose to use Executive Branch entities that have relevant expertise, such as "
                 "the staff of Data.gov.",
                 "attribution dropped",
                 "Agencies may choose to use Executive Branch entities that may have relevant expertise, such as "
                 "the staff of Data.gov."),
    "aim": ("China seeks to further expand offshore in agriculture, AI, digital trade, data centers and "
            "mobile payments.",
            "China is expanding its offshore operations in agriculture, AI, digital trade, data centers and "
            "mobile payments.",
            "aim stated as done",
            "China wants to expand further offshore in agriculture, AI, digital trade, data centers and "
            "mobile payments."),
    "passive-without-agent": ("As Treasury develops and implements its shared services strategy, FDCEA "
                              "requirements for ensuring compliance with ISC requirements will be evaluated.",
                              "Treasury will evaluate FDCEA requirements for ensuring compliance with ISC "
                              "requirements as it develops and implements its shared services strategy.",
                              "actor added",
                              "FDCEA requirements for complying with ISC requirements will be evaluated as "
                              "Treasury develops and implements its shared services strategy."),
}


@pytest.mark.parametrize("case", BOUNDED)
def test_a_summary_that_drops_how_sure_its_source_is_is_quoted_instead(case):
    source, rejected, reason, kept = BOUNDED[case]
    assert quote_reason(rejected, source) == reason
    assert quote_reason(kept, source) is None


def test_a_modal_changed_on_the_same_verb_is_a_hedge_dropped():
    """"could prohibit" is a possibility, "can prohibit" an ability: not the same certainty."""
    source = "The rule could prohibit exports of advanced chips to China."
    assert certainty.drops_hedge("The rule can prohibit exports of advanced chips to China.", source)
    assert not certainty.drops_hedge("The rule might prohibit exports of advanced chips to China.", source)


def test_an_adjective_after_be_is_the_hedged_word():
    """"would be likely to fuel" hedges "likely", not the "to" after it."""
    source = "Data should be open when it would be likely to fuel entrepreneurship and innovation."
    assert certainty.drops_hedge("Data must be open when likely to fuel entrepreneurship.", source)
    assert not certainty.drops_hedge("Agencies are expected to open data when it would benefit "
                                     "entrepreneurship.", source)


def test_a_noun_from_a_passive_verb_adds_no_actor():
    """"formats that can be shared" → "formats for sharing", "the release of": nouns, nobody made to act.

    A simple past ("EPA released Phase Two") reads like the participle ("Phase Two, released on ...")
    and is not caught: a known limit, left to the judge's figures."""
    assert not certainty.passive_given_actor(
        "Grant agreements must collect data in formats for sharing.",
        "Grant agreements must structure deliverables to collect data in formats that can be appropriately shared.")
    assert not certainty.passive_given_actor("The release of Phase Two came on July 24, 2024.",
                                             "Phase Two of the Scorecard was released on July 24, 2024.")
    for active in ("EPA has released Phase Two of the Scorecard.", "EPA releases Phase Two of the Scorecard."):
        assert certainty.passive_given_actor(active, "Phase Two of the Scorecard was released on July 24, 2024.")


def test_a_passive_with_its_agent_is_left_to_the_actor_rule():
    """"assessed by DHS": the source names who acts, so saying it is no addition."""
    assert not certainty.passive_given_actor("DHS assesses the Common Controls every 3 years.",
                                             "The Common Controls are assessed by DHS every 3 years.")


def test_an_aim_kept_as_an_infinitive_or_a_future_is_not_stated_as_done():
    source = "The plan seeks to develop global infrastructure, technical standards and rules."
    assert certainty.aim_stated_as_done("The plan is developing global infrastructure and standards.", source)
    assert not certainty.aim_stated_as_done("The plan aims to develop global infrastructure and standards.", source)
    assert not certainty.aim_stated_as_done("The plan would develop global infrastructure and standards.", source)


def test_a_bound_on_another_figure_does_not_count():
    """Each bounded figure needs its own bound: "about 40" does not cover "more than 3,000"."""
    source = "About 40 agencies run more than 3,000 data centers."
    assert certainty.drops_bound("About 40 agencies run 3,000 data centers.", source)
    assert not certainty.drops_bound("Some 40 agencies run over 3,000 data centers.", source)
    assert not certainty.drops_bound("Agencies run many data centers.", source)
