"""Which sentences are evidence: evidence_problem's verdicts by example, dangling_start, connective_prefix_len."""

from __future__ import annotations

import pytest

from briefer.leadins import connective_prefix_len, dangling_start
from briefer.textclean import evidence_problem


# ----------------------------------------------------------------------------- evidence
@pytest.mark.parametrize("sentence, reason", [  # crs examples, as extracted
    ("Download PDF (467KB) | PDF Version History", "markup"),
    ("**Source:** CRS, based on various executive branch documents.", "markup"),
    ("See [Table 2](https://crsreports.congress.gov#_Ref227759814) for treatment.", "markup"),
    ("# Section 232 National Security Tariffs on Copper Imports", "markup"),
    ("Public hearing held; May 24, 2017; No hearing held", "table row"),
    ("Otherd; 708; 652; 692; 654; 675", "table row"),
    ("Electricity 280 208 225 265 235", "table row"),
    ("Presidential Tariff Proclamations", "heading"),
    ("Potential Implications for the U.S. Economy", "heading"),
    ("Section 232 National Security Tariffs on Copper Imports.", "heading"),
    ("By Brian E.", "byline"),
    ("by Kyla H. Kitamura", "byline"),
    ("Source: CRS, based on various executive branch documents published in the Federal Register.",
     "boilerplate"),
    ("Notes: FY2024 total includes actual transactions and balances.", "boilerplate"),
    ("Updated April 23, 2026", "boilerplate"),
    ("Figure 3. Department of Defense (DOD) Research, Development, Test, and Evaluation", "boilerplate"),
    ("See also van Schewick, Internet Architecture and Innovation, p. 85.", "boilerplate"),
    ("FY2026 Appropriations Status ................................................ 11", "table of contents"),
    ("15 Tanenbaum et al., Computer Networks, p. 62.", "citation list"),
    ("73 Chandelis Duster, \u201cNearly 4,000 NASA Employees Opt to Leave,\u201d NPR, July 26, 2025, "
     "https://www.npr.org/2025/07/26/nx-s1-5481304/nasa.", "url"),
    ("Those topics include", "fragment"),
    ("(budget authority, in current dollars)", "fragment"),
    ("the National Science Board (NSB), the account supporting NSF's governing body; and", "fragment"),
    ("119-4) for three accounts: Science, Space Technology, and Construction (by $34.0 million).",
     "fragment"),
    ("The bill was later enacted as P.L.", "fragment"),
    # cisa-bod-19-02 (bench/eval-fetched3), a scanned page's OCR text
    ("Binding Operational Directive 15-0 l : Critical Vulnerabili(v Mitigation Requirement }or Federal "
     "Ci,11'/ian J:).:ecutive Branch Departments and Agencies' Internet-Accessible s:vstems1 established "
     "requirements for federal agencies.", "garbled text"),
    ("These directives do not app(y to statutorily de.fined systems or to l11telligence systems.", "garbled text"),
    # cejst-datasets.md (bench/eval-fetched2): a data catalogue's row with one long cell
    ("Housing; Lack of Green Space; Amount of land, not including crop land, that is covered with artificial "
     "materials like concrete or pavement; Multi-Resolution Land Characteristics Consortium; 2019; National "
     "Land Cover Database (USGS); 48 States + DC; Possibly not bound to geographies because its raster data.",
     "table row"),
    # cisa-bod-20-01-vdp-template (bench/eval-fetched3): a template's placeholder, and a bracketed one
    ("AGENCY NAME is committed to ensuring the security of the American public by protecting their information.",
     "template placeholder"),
    ("[Agency name] will acknowledge receipt of your report within three business days.", "template placeholder"),
    # epa-ej-scorecard-phase-one (bench/eval-fetched2): the letterhead's address inside a sentence
    ("EPA actively seeks to Environmental incorporate environmental justice and external civil rights "
     "Protection Agency at all levels of the agency, as well as through strategic partnerships with other "
     "federal, state, local, and Tribal 1200 Pennsylvania Avenue governments.", "page furniture"),
    # footnotes of cejst-technical-support-document-v2.pdf and R48694.10.pdf once their number is cut
    ("For information on which specific fieldnames to include, please see the public GitHub repository for "
     "this project.", "cross-reference"),
    ("For a summary of the federal science, technology, engineering, and mathematics (STEM) investments "
     "inventory, see Appendix A.", "cross-reference"),
    # omb-draft-vdp-memo-2019 (bench/eval-fetched3): a numbered list run into one paragraph
    ("The scope of systems covered by the policy (and often those that are explicitly not covered), "
     "and the types of testing allowed; and 5.", "fragment"),
    ("Guidance as to when and what a reporter can expect to hear from the organization; 3.", "fragment"),
    ("a.", "fragment"),
])
def test_evidence_problem_rejects(sentence: str, reason: str) -> None:
    assert evidence_problem(sentence) == reason


@pytest.mark.parametrize("sentence", [  # crs sentences that are good evidence
    "In August 2025, President Trump imposed 50% tariffs on certain copper imports under Section 232.",
    "Copper is used in a variety of sectors, including construction, electronics, transportation "
    "equipment, energy infrastructure and technology, and consumer products.",
    "The Office of the CSO and the Space Force Headquarters are located at the Pentagon.",
    "In 2025, the United States imported $16.2 billion worth of copper products included in the "
    "April 2026 proclamation (Figure 1).",
    "STARCOM prepares and trains Guardians at Patrick SFB in Florida.",
    "U.S.-Israeli strikes on Iran also reignited major conflict in Lebanon.",
    "The rule applies to exports from the U.S.",
    "Section 122 authorizes the President to impose temporary import duties or surcharges.",
    # words with marks inside that OCR did not garble
    "Within 60 calendar days, CISA, in consultation with the Department of Justice (DOJ)5 and the "
    "Department of Commerce (Commerce)6, shall publish guidance.",
    "EPA pursued enforcement to reduce/treat/dispose of pollutants at 3,314 sites, e.g., in air/toxics/water.",
    "The Department reported 21 funding announcement(s) in FY2023, and the figures were audited.",
    "Definitions for a bureau code are located in Attachments 3 and 7.",
    # a CRS sentence that lists with semicolons opens with a clause (IF13204)
    "China seeks to further expand offshore in agriculture; AI; digital trade; data centers; mobile payments; "
    "smart cities; health; meteorology; renewables; tourism; and S&T.",
    "The agency name appears in the header; the date, the title, the URL and the contact name follow it.",
    "Privacy Act requests should be mailed to FOI/PA Office, SBA, 409 Third St., SW, Washington DC 20416.",
    "The office moved to 1200 Pennsylvania Avenue in 2019, and its staff grew.",
])
def test_evidence_problem_accepts_prose(sentence: str) -> None:
    assert evidence_problem(sentence) is None


@pytest.mark.parametrize("sentence, dangling, trim", [
    ("However, the Commerce report has not been published to date.", True, len("However, ")),
    ("Similarly, the Intelligence Reform Act required a biometric exit system.", True, len("Similarly, ")),
    ("In addition, USGS added copper to its 2025 critical minerals list.", True, len("In addition, ")),
    ("As a result, the surcharge lasted 127 days until the agreement.", True, len("As a result, ")),
    ("Meanwhile, Congress held dozens of hearings on the dollar.", True, len("Meanwhile, ")),
    ("But the court observed that the statute was narrower than claimed.", True, len("But ")),
    ("Also, the plan received approval from the party's apex institution.", True, len("Also, ")),
    ("However, these chips remain subject to the rule.", True, len("However, ")),
    ("These chips are subject to the October 2023 rule.", True, 0),
    ("This rule took effect on April 6, 2026.", True, 0),
    ("They may also reconsider inclusion decisions.", True, 0),
    ("It operates solely at the behest of Congress.", True, 0),
    ("Such measures were last used in 1971.", True, 0),
    ("The latter was enacted in 1975.", True, 0),
    ("He also suspended the convertibility of U.S. dollars into gold.", True, 0),
    ("She testified before the committee in March.", True, 0),
    ("However, it ended.", True, 0),  # the rest is too short to stand alone
    ("Congress enacted Section 122 in 1975.", False, 0),
    ("Theater missile defense was not funded.", False, 0),  # "The..." is not a reference word
    ("Italy and Japan signed the deal.", False, 0),
])
def test_dangling_start_and_connective_trim(sentence: str, dangling: bool, trim: int) -> None:
    assert dangling_start(sentence) is dangling
    assert connective_prefix_len(sentence) == trim
    if trim:
        rest = sentence[trim:]
        assert rest[:1].isalnum() and len(rest.split()) >= 5


@pytest.mark.parametrize("sentence, problem", [
    # Who wrote it, wherever the line starts: "105.; This section was written by Laurie Harris, ..." (a CRS
    # footnote) was quoted in an untuned memo's "What is changing"; the byline rule looked at a line's start.
    ("105.; This section was written by Laurie Harris, Analyst in Science and Technology Policy.", "byline"),
    ("25 This section was written by Kavya Sekar, Specialist in Health Policy, with support from Joe Angert, "
     "Research Assistant.", "byline"),
    ("This report was prepared by the Office of Management and Budget for the Congress.", "byline"),
    ("The section was rewritten by the committee in 2024 to cover cloud services.", None),
    # The document's plan: "The report also discusses legislative options Congress may consider ..." led a model
    # sentence, "The report discusses legislative options Congress may consider.", under "Questions for Congress".
    ("The report also discusses legislative options Congress may consider and potential impacts of these options.",
     "about the document"),
    ("The report discusses selected cloud-related issues mapped to the multilayered internet architecture model.",
     "about the document"),
    # "The remainder of the report analyzes FY2026 R&D funding across the following five agencies ..." was
    # evidence for "Federal research and programs" in an untuned memo (bench/eval-crs-tech)
    ("The remainder of the report analyzes FY2026 R&D funding across the following five agencies and departments.",
     "about the document"),
    ("The rest of this section describes the budget request for NASA.", "about the document"),
    ("The remainder of the funds were transferred to the Department of Energy in 2025.", None),
    # Another body's report and what it found are findings.
    ("The report found that 40% of agencies had not published a disclosure policy.", None),
    ("The report describes how agencies missed the deadline for removing old servers.", None),
])
def test_bylines_and_the_documents_plan_wherever_they_start(sentence: str, problem: str | None) -> None:
    assert evidence_problem(sentence) == problem


def test_ordinal_and_summing_up_openers_are_trimmed_like_other_connectives():
    text = "Fourth, Congress may continue oversight of federal agencies that support R&D."
    cut = connective_prefix_len(text)
    assert text[cut:].startswith("Congress may") and not dangling_start(text[cut:])
