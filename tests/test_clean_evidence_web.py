"""Clean evidence from pages built for the web and tables printed to PDF.

Each case comes from a memo over bench/eval-fetched4 (federal data center policy: OMB's M-16-19
pages, a GSA blog post in Markdown, a CIO Council guide and an OMB compliance table as PDF),
written before any of these rules existed and read as an analyst would.
"""

from __future__ import annotations

import numpy as np

from briefer import formats
from briefer.evidence_spans import quotable, quotable_span
from briefer.formats_pdf import clean_pages
from briefer.leadins import answer_label_len, subjectless_item
from briefer.textanalysis import sentence_spans
from briefer.textclean import evidence_problem


def _spans(text: str) -> np.ndarray:
    return np.array(sentence_spans(text), dtype=np.int64)


def _quotes(text: str) -> list[str]:
    spans = _spans(text)
    """What the gatherer could quote: each sentence's span, when it is evidence (``quotable``)."""
    return [text[q[0]:q[1]] for i in range(len(spans))
            if (q := quotable_span(text, spans, i)) and quotable(text[q[0]:q[1]])]


def test_a_list_right_under_its_lead_in_line_is_a_list():
    """Python-Markdown wants a blank line before a list; CommonMark (GitHub, most sites) does not, and
    the blog's items ran into their lead-in: "Results include: * Data Center ...", "... objectives: 1."."""
    text = formats.extract_md(
        "To date, OGP has made great progress. Results include:\n"
        "* Data Center Infrastructure Management (DCIM) Tool Assessment: Identifying tools that agencies can use.\n"
        "* Private sector partnering: Reaching out to industry to identify best practices.\n\n"
        "As managing partner, OGP will focus on three primary objectives:\n"
        "1. **Encouraging the best-equipped federal data centers** to provide services to other agencies.\n"
        "2. **Fostering an internal federal marketplace** for data center services.\n\n"
        "The President signed the act in\n2020. The agency then issued guidance on the act.\n".encode())[0]
    lines = text.split("\n")
    assert "To date, OGP has made great progress. Results include:" in lines
    assert "Data Center Infrastructure Management (DCIM) Tool Assessment: Identifying tools that agencies can use." in lines
    assert "As managing partner, OGP will focus on three primary objectives:" in lines
    assert "Encouraging the best-equipped federal data centers to provide services to other agencies." in lines
    assert "*" not in text and "1." not in text
    # Only a list starting at 1 interrupts a paragraph: a wrapped line opening on a year is prose.
    assert "The President signed the act in 2020. The agency then issued guidance on the act." in lines


def test_a_footnote_mark_set_above_the_line_is_not_text_but_an_exponent_is():
    html = ("<html><body><main><p>Meters shall be installed in all tiered Federal data centers by September 30, "
            "2018.<sup><a href=\"#fn20\">20</a></sup> The E.O. Implementing Instructions also advise that every "
            "data center have a certified practitioner.</p><p>Agencies reported data assets<sup>[3]</sup>, a "
            "capacity of 10<sup>6</sup> records and a 2<sup>nd</sup> review.</p></main></body></html>")
    text = formats.extract_html(html.encode())[0]
    assert "September 30, 2018. The E.O. Implementing" in text
    assert "data assets[3]," in text  # not linked and after a word: kept, as an exponent would be
    assert "10 6 records" not in text and "106 records" in text and "2nd review" in text


def test_a_sentence_broken_over_pdf_lines_by_a_link_goes_on():
    """A CIO Council guide: a link split "... should strongly consider" | "integrating" | "IT sustainability
    experts" | "within their IT teams ...", and the memo quoted a sentence stopping on "integrating"."""
    text = clean_pages([
        "Consult Experts Prior to Making Large-scale IT Decisions\n"
        "Federal IT leaders are proficient at implementing and maintaining IT systems across the Federal\n"
        "Government. While IT professionals often interact with sustainability professionals through\n"
        "discussions on IT efficiency and optimization, the two generally work in distinct silos. IT teams\n"
        "across the Federal Government should strongly consider\n"
        "integrating\n"
        "IT sustainability experts\n"
        "within their IT teams and utilizing consulting services to better align IT decision making with\n"
        "sustainable outcomes.\n"
        "Categories of Burden\n"
        "i. Climate Change\n"
        "The burdens in the climate change category aim to measure expected agriculture value, building\n"
        "value, and population loss due to climate-related natural hazards.\n"
        "20 new or strengthened steering committee(s), plans for all communities. Over 400 trainings\n"
        "council(s) on environmental justice\n"
        "EPA is the Designated Federal Officer for the White House Environmental Justice\n"
        "Advisory Council (WHEJAC)."])
    lines = text.split("\n")
    assert any(line.endswith("should strongly consider integrating IT sustainability experts within their IT "
                             "teams and utilizing consulting services to better align IT decision making with "
                             "sustainable outcomes.") for line in lines)
    # A numbered heading ("i. Climate Change") opens lower-case but is no sentence's middle.
    assert any(line.startswith("The burdens in the climate change category") for line in lines)
    # The next line is a sentence of its own ("EPA is ..."): not joined to a scorecard's tile line.
    assert "EPA is the Designated Federal Officer for the White House Environmental Justice Advisory Council " \
           "(WHEJAC)." in lines


def test_a_tables_answer_cells_are_cut_off_or_the_row_is_no_evidence():
    row = "July 2025 Yes Partially VA does not have one centralized office that manages the 258+ data centers."
    assert row[answer_label_len(row):] == "VA does not have one centralized office that manages the 258+ data centers."
    assert evidence_problem(row) == "table row"
    cells = ("Department of Defense July 2025 Yes Yes Yes, the internal control process under development to "
             "evaluate data centers has been PARTIALLY implemented.")
    assert answer_label_len(cells) == 0  # what is left opens lower-case: no sentence to quote
    assert evidence_problem(cells) == "table row"
    assert evidence_problem("Asked whether the rule applies, the agency said yes. No agency objected.") is None


def test_link_text_and_contact_lines_are_not_evidence():
    for pointer in ["Using the link below, members of the public may download information related to compliance.",
                    "More information on the DCEP Program is available here .",
                    "Energy Star has additional recommendations here .",
                    "Click here for the CISA-managed catalog of known exploited vulnerabilities."]:
        assert evidence_problem(pointer) in ("cross-reference", "boilerplate"), pointer
    assert evidence_problem("If you have any questions, please reach out to dccoi@gsa.gov .") == "boilerplate"
    assert evidence_problem("Agencies must report energy use here and abroad to the Office of Management "
                            "and Budget.") is None


def test_a_condition_list_item_opening_on_has_is_quoted_with_its_lead_in():
    doc = ("CISA will add new vulnerabilities to the catalog when a vulnerability meets the following conditions:\n"
           "Has an assigned Common Vulnerabilities and Exposures (CVE) ID.\n"
           "Has reliable evidence of active exploitation in the wild.")
    assert subjectless_item("Has an assigned Common Vulnerabilities and Exposures (CVE) ID.")
    assert not subjectless_item("Has the agency published its policy?")
    quotes = _quotes(doc)
    assert any(q.startswith("CISA will add") and q.endswith("(CVE) ID.") for q in quotes)
    assert not any(q.startswith("Has reliable") for q in quotes)


def test_a_footnote_number_before_rather_is_cut_off_the_quote():
    """OMB's M-19-19, scanned: "5 Rather than focusing on infrastructure alone, agencies must consider ..."."""
    sentence = "5 Rather than focusing on infrastructure alone, agencies must consider what applications are running."
    assert sentence[answer_label_len(sentence):].startswith("Rather than focusing")
    assert answer_label_len("14 Regular appropriations bills were enacted for FY2026 by the Congress.") == 0


def test_gerund_items_are_quoted_with_their_lead_in_or_not_at_all():
    """The blog's objectives and results ("Encouraging ...", "Moving to the cloud: Investigating ...") say
    nobody does them; a gerund alone may be a subject ("Spending on R&D rose"), so only in a list."""
    doc = ("As managing partner, OGP will focus on three primary objectives:\n"
           "Encouraging the best-equipped federal data centers to provide services to other agencies.\n"
           "Fostering an internal federal marketplace for data center services through which agencies can choose.\n"
           "Results include:\n"
           "Data Center Infrastructure Management (DCIM) Tool Assessment: Identifying and reviewing tools that "
           "agencies can use to monitor data center utilization.\n"
           "Moving to the cloud: Investigating best practices in selecting cloud services to store data online.\n"
           "Spending on research and development rose by 12 percent in fiscal year 2025.\n"
           "Background: Increasing cybersecurity risks are forcing organizations to focus on information security.")
    quotes = _quotes(doc)
    # "three primary objectives:" with two of them is no statement: neither the lead-in with its first
    # item (a judge rejected that) nor the lead-in with both
    assert not any(q.startswith("As managing partner") for q in quotes)
    assert any(q.startswith("Results include:\nData Center") for q in quotes)
    assert not any(q.startswith(("Encouraging", "Fostering", "Data Center", "Moving")) for q in quotes)
    assert any(q.startswith("Spending on research") for q in quotes)
    assert any("Increasing cybersecurity risks are forcing" in q for q in quotes)


def test_a_list_whose_lead_in_counts_its_items_is_quoted_whole_or_not_at_all():
    doc = ("OGP will focus on two objectives:\n"
           "Encouraging the best-equipped federal data centers to provide services to other agencies.\n"
           "Fostering an internal federal marketplace for data center services.\n"
           "The agency set three goals:\n"
           "Closing 500 data centers by 2025 through consolidation and migration of applications to commercial "
           "cloud services offered by approved vendors under the federal risk and authorization program.\n"
           "Saving money on the leases of buildings that house them, which the agency estimates at several hundred "
           "million dollars over the coming decade, together with the energy costs of running them.\n"
           "Improving the security of the systems that remain by moving them to hardened facilities with modern "
           "controls, continuous monitoring and regular inspection by the agency's inspector general.\n")
    quotes = _quotes(doc)
    assert ("OGP will focus on two objectives:\nEncouraging the best-equipped federal data centers to provide services "
            "to other agencies.\nFostering an internal federal marketplace for data center services.") in quotes
    assert not any(q.startswith("The agency set three goals") for q in quotes)  # too long to read as one statement
    assert not any(q.startswith(("Encouraging", "Fostering", "Closing", "Saving", "Improving")) for q in quotes)


def test_what_points_below_and_a_bare_instruction_are_no_evidence():
    """A judge rejected "... a summary of key legislative and executive actions ... is included below." (the
    summary is not there) and "Reduce energy use by making systems as efficient as possible." (nobody does it)."""
    assert evidence_problem("To catalog the current policy efforts for ease of access, a summary of key legislative "
                            "and executive actions which address Federal IT Sustainability is included below.")
    assert evidence_problem("Some of the datasets that were considered are listed below.")
    assert evidence_problem("The datasets listed below were considered for the tool in 2024.") is None
    doc = ("Energy use in federal data centers rose by a third between 2015 and 2020 in most agencies.\n"
           "Reduce energy use by making systems as efficient as possible.\n")
    assert not any(q.startswith("Reduce energy use") for q in _quotes(doc))


def test_a_footnote_citation_without_its_number_is_not_evidence():
    """A CRS report's footnotes are a Markdown table ("| 129. | CRS analysis of ..."); once the row's
    number is cut, a reference with a page or a Congress and session but no verb is still a citation."""
    for ref in ["CRS analysis of NSF's Research Infrastructure Summary table; NSF, FY 2026 Budget Request to "
                "Congress, p. Summary Tables-14.",
                "U.S. Congress, Senate Committee on Appropriations, Departments of Commerce and Justice, Science, and "
                "Related Agencies Appropriations Bill, 2026, report to accompany S. 2354, 119th Cong., 1st sess., "
                "S.Rept. 119-44, July 17, 2025, p. 167, https://www.congress.gov/119/crpt/srpt44/CRPT-119srpt44.pdf."]:
        assert evidence_problem(ref) == "citation list"
    assert evidence_problem("The Senate report (p. 167) directs NSF to maintain funding for the Antarctic program.") is None


def test_a_footnote_number_glued_after_a_full_stop_in_markdown_is_not_text():
    """congress.gov's Markdown: "... reconciliation act (P.L. 119-21).12" | "In addition, ..."."""
    text = formats.extract_md(b"The request includes $37.1 billion from the act (P.L. 119-21).12\n"
                              b"In addition, agencies report R&D differently.46 The DNS maps names.\n\n"
                              b"Section 3.12 Of the budget applies. See p.12 For details.\n")[0]
    assert "(P.L. 119-21). In addition, agencies report R&D differently. The DNS maps names." in text
    assert "Section 3.12 Of" in text and "p.12 For" in text
    assert evidence_problem("In addition to this report, CRS produces reports on each of the appropriations bills. "
                            "These reports can be accessed via the CRS website.") == "cross-reference"
    assert evidence_problem("It discusses how key information can be accessed from the servers without any "
                            "external measurement devices.") is None


def test_a_page_control_printed_into_a_sentence_makes_it_no_evidence():
    """A browser-printed scorecard: its floating "Share your feedback" button covered a word, and the
    text layer kept the button's label in its place; the sentence cannot be mended."""
    damaged = ("In particular, the President's Justice40 Initiative applies to federal investments that address "
               "climate change, clean energy, and the development of critical c Share your feedback water and "
               "wastewater infrastructure.")
    assert evidence_problem(damaged) == "page furniture"
    # prose may say the same words, lower-case as prose says them
    assert evidence_problem("Agencies may share your feedback with OMB after the review is complete.") is None
    assert evidence_problem("Residents can give feedback on the plan at public meetings until March.") is None
