"""evidence_problem's rules, each from a quote a memo or a judge showed to be no evidence."""

from __future__ import annotations

from briefer.textclean import evidence_problem


def test_sentences_about_the_document_and_odd_footnotes_are_not_evidence():
    assert evidence_problem("Specifically, Table 2-2 compiles budgetary data reported by agencies to OMB "
                            "regarding federal investments.") == "about the document"
    assert evidence_problem("This report discusses the funding levels for five federal agencies in FY2026.") \
        == "about the document"
    assert evidence_problem('7.; See, for example, OMB, "Research and Development," in Analytical Perspectives, '
                            "https://www.govinfo.gov/app/collection/budget, for FY2017 through FY2025.") == "citation list"
    assert evidence_problem("The Open Data Working Group (ODWG) at SBA created this SOP that defines a process to "
                            "implement Executive Order 13642.") == "about the document"  # who made it: a byline
    assert evidence_problem("The agency created this program in 2019 to fund rural broadband projects.") is None
    assert evidence_problem("The table shows that funding rose by 12% in FY2026 compared with FY2025.") is None
    assert evidence_problem("7. The committee approved the bill in 2024 after a long debate over its costs.") is None


def test_a_list_item_whose_only_verb_is_in_parentheses_is_not_evidence():
    assert evidence_problem("Global Change Research Program ($25.2 million requested, down $746.7 million, -97%).") \
        == "fragment"
    assert evidence_problem("The program (created in 2020) received $25.2 million in FY2026.") is None


def test_pointers_to_other_reading_are_not_evidence():
    """An independent judge rejected "See Table 2 for ..." quoted in a memo: it states nothing."""
    for pointer in ("See Table 2 for treatment of selected products under Section 232 copper tariffs.",
                    "For more information on export controls on AI chips, see CRS In Focus IF12497, "
                    "Semiconductors and Artificial Intelligence.",
                    "(Additional CRS products that reference AI are not included but may be found on crs.gov.)"):
        assert evidence_problem(pointer) == "cross-reference", pointer
    assert evidence_problem("Seeing the tariffs rise, importers stockpiled copper in early 2025.") is None
    assert evidence_problem("The report is available to members, who saw tariffs rise by 50% in 2025.") is None


def test_a_labelled_list_row_is_not_evidence_even_with_a_full_stop():
    assert evidence_problem("Artificial Intelligence (AI): Robotics; intelligent vehicles; drones; machinery; "
                            "and brain computer interfaces.") == "table row"
    assert evidence_problem("Officials said the rule covers three areas: advanced chips, the tools that make them, "
                            "and model weights.") is None


def test_a_labelled_list_of_long_items_without_a_verb_is_not_evidence():
    """China's 15th FYP table row (CRS IF13204), quoted at 8346abe and judged no statement."""
    row = ("R&D: Basic research, reform of S&T system/national labs; foreign S&T ties; attract foreign experts/R&D; "
           "incentivize foreign universities to create institutions in China; lead major global S&T projects; and "
           "establish global S&T bodies in China.")
    assert evidence_problem(row) == "table row"
    # The same shape with its verbs is a statement, left to the other rules.
    assert evidence_problem("Results: exports of chips fell by 20 percent in 2024; imports of tools rose sharply; "
                            "and the agency expanded its list of restricted firms.") is None


def test_a_word_left_before_a_comma_by_a_lost_link_is_garbled():
    """The Justice40 scorecard printed to PDF from the web drops a link's text (judged at 8346abe)."""
    assert evidence_problem("Each program that is part of the Justice40 Initiative delivers benefits in at least "
                            "one of , and many programs are delivering benefits across categories.") == "garbled text"
    assert evidence_problem("Each program delivers benefits in at least one of eight categories, and many programs "
                            "are delivering benefits across several of them.") is None


def test_the_documents_plan_and_leftover_emphasis_are_not_evidence():
    """Both were quoted in a memo over crs-sample: a plan of the report briefs on nothing, and
    "writ large_." shows the Markdown's stray emphasis marks to the reader."""
    assert evidence_problem("The following analysis of the President's FY2026 request examines proposed "
                            "federal-government-wide R&D investments.") == "about the document"
    assert evidence_problem("Subsequent sections of this report examine proposed federal R&D investments at the "
                            "agency level.") == "about the document"
    assert evidence_problem("The following information highlights work the Environmental Protection Agency (EPA) "
                            "has done from January 2021 to September 2022.") == "about the document"
    assert evidence_problem("It compares R&D funding across agencies, noting potential shifts in the "
                            "Administration's R&D priorities writ large_.") == "markup"
    assert evidence_problem("_Subsequent sections of this report examine R&D at the agency level.") == "markup"
    for prose in ("The following year, Congress appropriated $26.1 billion for the Space Force.",
                  "The variable max_tokens sets how many tokens the model may write in one answer."):
        assert evidence_problem(prose) is None, prose


def test_prompts_examples_glued_captions_and_table_cells_are_not_evidence():
    """Each was quoted in the open-data memo at f7c3199 and rejected by the judge
    (bench/judge/sheet-f7c3199.jsonl); the prose beside them must stay evidence."""
    rejects = {
        "Describe how the agency will ensure that all data assets have been identified and accounted for in the "
        "Inventory, no later than November 30, 2014.": "instruction",
        "Imagine a bustling open-source port, with Chinese labs collaborating and racing to improve AI models.":
            "instruction",
        "Please do not hesitate to contact Mr. Joe Salvatore if your staff has questions or concerns.": "instruction",
        "Example 1: Data asset that can only be made available to select researchers under certain conditions.":
            "instruction",
        "Managed Post-Release: A point of contact must be designated to respond to complaints about these open data "
        "requirements Source: OMB Memorandum 13-13, Open Data Policy, March 9, 2013.": "boilerplate",
        "Office of Congressional and Legislative Affairs (009) Office of Congressional and Legislative Affairs 029-089 "
        "For the purposes of assisting Administrations with Open Data efforts, questions are outlined.": "table row",
        "For FY13 OMB PortfolioStat guidance, see OMB Memorandum M-13-09, Fiscal Year 2013 PortfolioStat Guidance "
        "(Mar. 27, 2013).": "cross-reference",
        "Office of Management and Budget, Federal Enterprise Architecture Reference Models for the agencies, "
        "available at https://www.whitehouse.gov/omb/e-gov/fea.":
            "cross-reference",
        "The White House, *National Strategy for Information Sharing and Safeguarding *(December 2011) was issued.":
            "markup",
    }
    for sentence, reason in rejects.items():
        assert evidence_problem(sentence) == reason, sentence
    for prose in (
        "Submit cleared data assets to organizational lead for review by the Open Data Integrated Project Team (IPT).",
        "State officials said the tariffs would raise prices for consumers in 2026.",
        "Select committees have held hearings on the tariffs since 2025.",
        "Considering the costs, the council delayed the charge until 2027.",
        "The United States and China agreed in May, and the United States and China then met again in June.",
        'Sections 123 and 124 would have altered funds within the "Research, Development, Test and Evaluation, Air '
        'Force" account and moved amounts into the "Research, Development, Test and Evaluation, Air Force" account.',
        "The price is 5 * 3 dollars per unit under the scheme agreed in 2025.",
    ):
        assert evidence_problem(prose) is None, prose


def test_a_scorecards_figure_tiles_are_not_evidence():
    """The DOT Justice40 scorecard's infographic tiles, run together by the PDF's text layer, were
    quoted and rejected by the judge (bench/judge/sheet-1044379.jsonl); one "(s)" in prose stays."""
    tiles = ("The Department of Transportation has: 21 funding announcement(s) covered under the Justice40 "
             "Initiative Over $43 billion available through Justice40 covered program(s) funding announcements")
    assert evidence_problem(tiles) == "table row"
    assert evidence_problem("Each agency must name the office(s) responsible for its open data inventory.") is None
    # One tile's label with its count filled in, opening the text or after a colon (session 16's judge sheets).
    for tile in ("40 funding announcement(s) covered under the Justice40 Initiative $14 billion in funding made "
                 "available from Justice40 covered programs Prioritized financing projects.",
                 "The Department of Transportation has: 40 Justice40 covered program(s), the overall benefits of "
                 "certain federal investments flow to disadvantaged communities."):
        assert evidence_problem(tile) == "table row", tile
