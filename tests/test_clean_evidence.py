"""Extraction that keeps junk out of evidence: Markdown/PDF/HTML cleaning, titles,
evidence_problem / dangling_start / connective_prefix_len, and near-duplicate documents.

Examples marked "crs" are copied from /work/shared/corpora/crs-sample (Congressional
Research Service reports); tests that read those files skip when the folder is absent.
"""

from __future__ import annotations

import random
import time
from pathlib import Path

import numpy as np
import pytest

from briefer import formats
from briefer.corpus import document_title
from briefer.formats_pdf import clean_pages
from briefer.ligatures import repair_ligatures
from briefer.leadins import answer_label_len, connective_prefix_len, dangling_start, glued_heading_len, subjectless_item
from briefer.textclean import evidence_problem
from briefer.duplicates import find_duplicates
from briefer.evidence_spans import quotable_span

CRS = Path("/work/shared/corpora/crs-sample")
needs_crs = pytest.mark.skipif(not CRS.is_dir(), reason="crs-sample corpus not present")


def md_text(source: str) -> str:
    return formats.extract_md(source.encode())[0]


# ----------------------------------------------------------------------------- Markdown
MARKDOWN = """---
title: Copper tariffs
date: 2026-04-23
---
# Section 232 National Security Tariffs on Copper Imports

Congress has constitutional authority over foreign commerce and tariffs, a power it has
[partially delegated to the President](https://crsreports.congress.gov/crs-product/IF11030).
President Trump **imposed** 50% tariffs on _certain_ copper imports under [Section 232][s232].

![chart](figure1.png)
<!-- an editor's comment -->
<div class="note">Raw <b>HTML</b> text stays as text.</div>

- an immediate 30% tariff on semi-finished copper products;
- a phased universal tariff on refined copper.

> Quoted testimony is kept as text.

---

| Action | Steel (2017-2018) | Copper (2025)
| Public hearing held | May 24, 2017 | No hearing held

| a | b |
|---|---|
| 1 | 2 |

**Source: **CRS, based on the _Federal Register_. Call `__init__` here.

[s232]: https://example.com/s232
"""


def test_markdown_renders_to_plain_text() -> None:
    text, title, date = formats.extract_md(MARKDOWN.encode())
    assert title == "Copper tariffs" and date == "2026-04-23"
    assert text.split("\n") == [
        "Section 232 National Security Tariffs on Copper Imports",
        "Congress has constitutional authority over foreign commerce and tariffs, a power it has "
        "partially delegated to the President. President Trump imposed 50% tariffs on certain "
        "copper imports under Section 232.",
        "Raw HTML text stays as text.",
        "an immediate 30% tariff on semi-finished copper products;",
        "a phased universal tariff on refined copper.",
        "Quoted testimony is kept as text.",
        "Action; Steel (2017-2018); Copper (2025)",
        "Public hearing held; May 24, 2017; No hearing held",
        "a; b",
        "1; 2",
        "Source: CRS, based on the Federal Register. Call __init__ here.",
    ]
    for junk in ("**", "](", "|", "#", "---", "http", "comment", "chart", "title:"):
        assert junk not in text, junk


def test_markdown_footnote_marks_never_reach_the_text() -> None:
    """OMB's M-13-13 (Project Open Data's Markdown) put "[^1]" into the sentences a memo quoted."""
    source = ("The President's Memorandum on *Transparency* [^1] instructed agencies, including OMB Circular "
              "A-130 [^3] and M-06-02. [^4] Agencies must act.\n\n"
              "[^1]: President Barack Obama, Memorandum on Transparency (Jan. 21, 2009).\n")
    text, _, _ = formats.extract_md(source.encode())
    assert text.split("\n") == [
        "The President's Memorandum on Transparency instructed agencies, including OMB Circular A-130 and "
        "M-06-02. Agencies must act.",
        "President Barack Obama, Memorandum on Transparency (Jan. 21, 2009).",
    ]


def test_markdown_without_heading_and_fenced_pipes() -> None:
    source = "Intro paragraph\nwrapped here.\n\n```\n| not | a table |\n```\n"
    assert md_text(source) == "Intro paragraph wrapped here.\n| not | a table |"


def test_spaces_lost_around_links_and_empty_emphasis_are_put_back() -> None:
    """CRS pages converted from the web: "[Four](u)[similar](u)[measures](u)", "a triad of****strategic"
    and "policy](u),Russian" were quoted in a memo as "Foursimilarmeasures", "ofstrategic" and
    "policy,Russian"; "**t****e****xt box**" is one word split by empty emphasis, and stays one."""
    source = ("[Four](https://a/1)[similar](https://a/2)[measures](https://a/3) were rejected. A triad "
              "of****strategic systems stays, under the [declaratory policy](https://b),Russian officials said.\n\n"
              "Strategic forces grew out of the treaty. Pilot programs (**t****e****xt box**) follow.")
    assert md_text(source).split("\n") == [
        "Four similar measures were rejected. A triad of strategic systems stays, under the declaratory policy, "
        "Russian officials said.",
        "Strategic forces grew out of the treaty. Pilot programs (text box) follow.",
    ]


def test_kramdown_attribute_lists_are_not_text() -> None:
    """CISA's directives are Jekyll sources (bench/eval-fetched3): '{:start="3"}' before a numbered list
    glued its first item into a "sentence" opening with a brace, which could not be quoted."""
    source = ('Within 180 calendar days:\n\n{:start="3"}\n3.  Publish a vulnerability disclosure policy at the '
              '"/vulnerability-disclosure-policy" path.\n\nA note.{: .usa-alert}\n')
    assert md_text(source).split("\n") == [
        "Within 180 calendar days:",
        'Publish a vulnerability disclosure policy at the "/vulnerability-disclosure-policy" path.',
        "A note.",
    ]


def test_markdown_is_deterministic_and_huge_files_use_light_path(monkeypatch: pytest.MonkeyPatch) -> None:
    assert md_text(MARKDOWN) == md_text(MARKDOWN)
    from briefer import formats_md

    monkeypatch.setattr(formats_md, "RENDER_LIMIT", 10)
    light = md_text("# Head\n\nSee [the rule](http://x) and **bold** text.\n\n| a | b |\n")
    assert light == "Head\nSee the rule and bold text.\na; b"


@needs_crs
def test_crs_markdown_has_no_markup_left() -> None:  # crs
    raw = (CRS / "IN12614v3-section-232-national-security-tariffs-on-copper-.md").read_bytes()
    text, title, _ = formats.extract_md(raw)
    assert title == "Section 232 National Security Tariffs on Copper Imports"
    assert "Public hearing held; May 24, 2017; No hearing held" in text.split("\n")
    assert "**" not in text and "](" not in text
    assert ("In August 2025, President Trump imposed 50% tariffs on certain copper imports "
            "under Section 232.") in text


# ----------------------------------------------------------------------------- PDF
def test_pdf_pages_cleaned() -> None:
    header = "Copper Tariffs: Background"
    pages = [
        "Copper Tariffs: Background\nIntroduction\nThe United States imposed tariffs on imports of \n"
        "copper in 2025.1 Imports were worth $1.5 billion, and Section 232 of the law was \n"
        "cited for H100 chips and the bal-\nance of trade.\nCongressional Research Service 1",
        f"{header}\nThe tariffs.2 The tariff rate rose to 50% under the balance-of-\n"
        "payments rules of the statute as amended in 1974 and it then went on for a long \n"
        "while.\n1 Proclamation 10962, https://www.federalregister.gov/x.\n"
        "2 See the notice.\nCongressional Research Service 2",
        f"{header}\nIt ended in 2026.\n3",
    ]
    text = clean_pages(pages)
    assert text.split("\n") == [
        "Copper Tariffs: Background",
        "Introduction",
        "The United States imposed tariffs on imports of copper in 2025. Imports were worth $1.5 "
        "billion, and Section 232 of the law was cited for H100 chips and the balance of trade.",
        "The tariffs. The tariff rate rose to 50% under the balance-of-payments rules of the "
        "statute as amended in 1974 and it then went on for a long while.",
        "It ended in 2026.",
        "",
        "1 Proclamation 10962, https://www.federalregister.gov/x.",
        "2 See the notice.",
    ]
    assert clean_pages(pages) == text  # deterministic


def test_pdf_bullets_and_superscripts() -> None:
    text = clean_pages(["Actions include\n• a tariff on copper;\n• a ban on scrap.\nTariffs rose\u00b3 sharply."])
    assert text == "Actions include\na tariff on copper;\na ban on scrap.\nTariffs rose sharply."


def test_pdf_symbol_font_and_second_level_bullets() -> None:
    """An SBA procedure's bullets come out of the PDF as U+F0B7 (the Symbol font's bullet) and
    "o "; before, each item was glued to the line before it, glyph and all."""
    text = clean_pages(["Agency Offices must:\n\uf0b7 Assign a Data Steward to represent the office.\n"
                        "o Agency Offices must get concurrence from OGC.\nThe policy took effect in 2014."])
    assert text == ("Agency Offices must:\nAssign a Data Steward to represent the office.\n"
                    "Agency Offices must get concurrence from OGC.\nThe policy took effect in 2014.")


def test_pdf_ligatures_spelled_out_and_lost_ones_restored() -> None:
    """Two EJ scorecards printed from a browser (bench/eval-fetched2): pypdf gave "ff" as NUL in
    one ("o\\x00icial") and "!" in the other ("Tra!ic", "O!ce"), "ft" as a quote ("a\\"er"), and
    "fi" as U+FB01; none of these words matched a question or a memo sentence."""
    assert repair_ligatures(["Modi\ufb01cation of the \ufb02ow"]) == ["Modification of the flow"]
    assert repair_ligatures(["An o\x00icial website.", "Its e\x00orts to a\x00ect policy."]) == [
        "An official website.", "Its efforts to affect policy."]
    assert repair_ligatures(["Tra!ic o!ices and the O!ce, a\"er a swi\"ly made rule."]) == [
        "Traffic offices and the Office, after a swiftly made rule."]
    one = ['Say "Yahoo!ok" and he said"no" to it.']  # a single "!" between letters is no damage
    assert repair_ligatures(one) == one
    # EPA's scorecard: "staff" at a word's end, where no "ffi" can be; a NUL that is no ligature goes
    assert repair_ligatures(["200 EPA sta\x00 in EPA headquarters.", "Trainings for sta\x00, partners."]) == [
        "200 EPA staff in EPA headquarters.", "Trainings for staff, partners."]
    assert repair_ligatures(["One stray\x00 NUL."]) == ["One stray NUL."]


def test_a_narrow_column_line_ending_in_and_or_a_comma_goes_on() -> None:
    """A browser-printed scorecard (bench/eval-fetched2) sets its stories in a narrow column:
    "... Protecting our" | "Infrastructure of Pipelines and" | "Enhancing Safety (PIPES) Act of
    2020," | "the proposed rule would ..." came out as three paragraphs, and the memo quoted the
    last as a sentence starting mid-title.  A line ending in "and", "of", "our" or a comma cannot
    end a paragraph or a heading; one followed by a sentence opener ("The ...") still may."""
    page = ("Proposed Regulation\nIn August 2023, the agency proposed a rule. As directed by\n"
            "the bipartisan Protecting our\nInfrastructure of Pipelines and\nEnhancing Safety (PIPES) Act of 2020,\n"
            "the proposed rule would create jobs.\nInitiative set the goal that\n40 percent of\n"
            "The Justice40 Initiative allows DOT to identify projects.")
    assert clean_pages([page]).split("\n") == [
        "Proposed Regulation",
        "In August 2023, the agency proposed a rule. As directed by the bipartisan Protecting our "
        "Infrastructure of Pipelines and Enhancing Safety (PIPES) Act of 2020, the proposed rule would "
        "create jobs.",
        "Initiative set the goal that 40 percent of",
        "The Justice40 Initiative allows DOT to identify projects.",
    ]
    # A line with a clause's comma is no heading, though its last words are a capitalised name:
    # "In September 2023, the National Highway" | "Institute, which is funded ..." was quoted from "Institute".
    assert clean_pages(["Courses were held.\nIn September 2023, in North Carolina, the National Highway\n"
                        "Institute, which is funded by the agency, held a pilot course."]).split("\n") == [
        "Courses were held.",
        "In September 2023, in North Carolina, the National Highway Institute, which is funded by the agency, held "
        "a pilot course."]
    # A CRS byline split after "and" is one line again (it was two "paragraphs" before).
    assert clean_pages(["Analyst in Science and\nTechnology Policy"]) == "Analyst in Science and Technology Policy"


@needs_crs
def test_crs_pdf_clean() -> None:  # crs
    text, title, date = formats.extract_pdf((CRS / "IN12614.3.pdf").read_bytes())
    assert title == "Section 232 National Security Tariffs on Copper Imports" and date == "2026-04-23"
    assert "Congressional Research Service 2" not in text
    assert "https://crsreports.congress.gov\n" not in text
    assert ("In August 2025, President Trump imposed 50% tariffs on certain copper imports under "
            "Section 232.") in text
    assert "Other observers caution that U.S. tariffs could increase costs for U.S. businesses" in text


# ----------------------------------------------------------------------------- HTML
PAGE = """<html><head><title>https://example.com/news/42</title></head><body>
<header><a href="/">Home</a> <a href="/about">About</a></header>
<nav class="navbar">Topics Trade Defense</nav>
<div id="cookie-banner">We use cookies to improve your experience.</div>
<ul class="breadcrumb"><li>Home</li><li>Trade</li></ul>
<main>
  <article>
    <header><h1>Copper tariffs rise</h1><p class="byline">By Brian E.</p></header>
    <p>The United States imposed 50% tariffs on copper imports in August 2025.</p>
    <div class="share-buttons">Share on X</div>
    <table><tr><td>Steel</td><td>2018</td><td></td></tr></table>
  </article>
  <aside>Related: other stories</aside>
</main>
<footer class="site-footer">Copyright 2026 Example News</footer>
</body></html>"""


def test_html_main_content_only() -> None:
    text, title, _ = formats.extract_html(PAGE.encode())
    assert text == ("Copper tariffs rise\nBy Brian E.\n"
                    "The United States imposed 50% tariffs on copper imports in August 2025.\nSteel; 2018")
    assert title == "https://example.com/news/42"  # raw; corpus replaces it (see titles below)
    assert document_title(title, text) == "Copper tariffs rise"


def test_html_chrome_wrapping_the_content_is_kept() -> None:
    long = "The agency published a long report on copper supply chains and tariffs. " * 2
    page = (f'<body><form id="aspnetForm"><div class="has-sidebar"><p>{long}</p><p>{long}</p>'
            f"<p>{long}</p></div></form></body>")
    assert formats.extract_html(page.encode())[0].count("The agency published") == 6
    only_nav = "<body><nav>Just a menu</nav></body>"  # filtering would leave nothing
    assert formats.extract_html(only_nav.encode())[0] == "Just a menu"


# ----------------------------------------------------------------------------- titles
@pytest.mark.parametrize("title", [
    "C:\\docs\\x.docx", "/tmp/a.pdf", "https://crsreports.congress.gov", "www.example.com/page",
    "report_final_v2.pdf", "Microsoft Word - IF13199.docx", "Untitled", "Document1", "  ", "12345",
])
def test_junk_titles(title: str) -> None:
    assert formats.junk_title(title)
    assert document_title(title, "Updated April 16, 2026\nBiometric Technologies\nBody.") == "Biometric Technologies"


@pytest.mark.parametrize("title", ["Section 122 of the Trade Act of 1974", "Defense Primer: U.S. Space Force",
                                   "Report v2.0 on chips", "AI/ML policy"])
def test_real_titles_kept(title: str) -> None:
    assert not formats.junk_title(title)


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


# ----------------------------------------------------------------------------- duplicates
def _prose(seed: int, words: int = 400) -> str:
    rng = random.Random(seed)
    vocab = [f"w{i}" for i in range(3000)]
    return " ".join(rng.choice(vocab) for _ in range(words)) + "."


def test_find_duplicates_synthetic() -> None:
    base = _prose(1)
    texts = {
        "b/report.pdf": base.replace(" w1 ", " W1-\n"),  # layout differences
        "a/report.md": "# Title\n" + base,
        "c/report.txt": base + " " + _prose(9, 40),  # a little extra text
        "other.md": _prose(2),
        "empty.txt": "   ",
    }
    assert find_duplicates(texts) == {"b/report.pdf": "a/report.md", "c/report.txt": "a/report.md"}
    assert find_duplicates({"x.pdf": base}) == {}


def test_find_duplicates_fast_on_1000_documents() -> None:
    texts = {f"doc{i:04d}.txt": _prose(i, 300) for i in range(1000)}
    texts["copy.md"] = texts["doc0007.txt"]
    started = time.monotonic()
    result = find_duplicates(texts)
    assert time.monotonic() - started < 20
    assert result == {"doc0007.txt": "copy.md"}


@needs_crs
def test_crs_pdf_and_markdown_of_one_report_are_duplicates() -> None:  # crs
    names = ["IN12614.3.pdf", "IN12614v3-section-232-national-security-tariffs-on-copper-.md",
             "IF13199v1-section-122-of-the-trade-act-of-1974.pdf",
             "IF13199v1-section-122-of-the-trade-act-of-1974.md", "IF12106.21.pdf"]
    texts = {}
    for name in names:
        extract = formats.extract_pdf if name.endswith(".pdf") else formats.extract_md
        texts[name] = extract((CRS / name).read_bytes())[0]
    assert find_duplicates(texts) == {
        "IN12614.3.pdf": "IN12614v3-section-232-national-security-tariffs-on-copper-.md",
        "IF13199v1-section-122-of-the-trade-act-of-1974.pdf":
            "IF13199v1-section-122-of-the-trade-act-of-1974.md",
    }


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


def test_ordinal_and_summing_up_openers_are_trimmed_like_other_connectives():
    text = "Fourth, Congress may continue oversight of federal agencies that support R&D."
    cut = connective_prefix_len(text)
    assert text[cut:].startswith("Congress may") and not dangling_start(text[cut:])


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


def test_a_heading_glued_to_its_sentence_by_pdf_extraction_is_cut_off_the_quote():
    doc = "Pilot programs (text box).\nTrade, Financial, and IP Pilot ProgramsTo counter offshoring trends, " \
          "Hainan will pilot new trade and investment rules in 2026."
    start = doc.index("Trade, Financial")
    spans = np.array([[0, start - 1], [start, len(doc)]])
    s, e = quotable_span(doc, spans, 1)
    assert doc[s:e].startswith("To counter offshoring trends") and e == len(doc)
    assert glued_heading_len("The company DeepSeekThe model was released in January and drew attention.") == 0
    # a run-in heading with its full stop and no space (CRS IF13199, read in an untuned memo)
    run_in = "Amending Section 122.If Congress approves of Section 122 duties, it could amend Section 122."
    assert run_in[glued_heading_len(run_in):].startswith("If Congress approves")
    assert glued_heading_len("The rule took effect in 2025.It was vacated in 2026 by a district court.") == 0


def test_a_parenthesis_cut_by_the_splitter_is_rejoined_and_an_faq_label_cut_off():
    """Both from OMB's open-data FAQ and memo (bench/eval-fetched): quoted as split, "(48 C.F.R."
    ended a memo sentence, and answers were quoted with their "A:" label."""
    doc = ("For civilian agencies, procedures appear within FAR subpart 27.4 (48 C.F.R. 27.400 et. seq.,). "
           "A: The purpose of the Open Data Policy is to make open and machine readable the new default.")
    cut = doc.index("27.400")
    second = doc.index("A: The")
    spans = np.array([[0, cut - 1], [cut, second - 1], [second, len(doc)]])
    s, e = quotable_span(doc, spans, 0)
    assert doc[s:e] == "For civilian agencies, procedures appear within FAR subpart 27.4 (48 C.F.R. 27.400 et. seq.,)."
    s, e = quotable_span(doc, spans, 2)
    assert doc[s:e].startswith("The purpose of the Open Data Policy") and e == len(doc)
    pair = "A: The purpose of the policy is to make open data the default. This includes all federal information."
    this = pair.index("This")
    s, e = quotable_span(pair, np.array([[0, this - 1], [this, len(pair)]]), 1)  # with its antecedent, unlabelled
    assert pair[s:e] == "The purpose of the policy is to make open data the default. This includes all federal information."
    never_closed = "The rule appears in the regulations (48 C.F.R."
    assert quotable_span(never_closed, np.array([[0, len(never_closed)]]), 0) is None


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


def test_a_list_marker_after_a_lead_in_is_cut_off_the_quote():
    """"Specifically: (a) To carry out ..." was quoted with its marker (open-data FAQ, judged at f7c3199)."""
    doc = ("Specifically: (a) To carry out their missions and programs, agencies acquire or obtain access to many "
           "kinds of data produced during the performance of their contracts.")
    s, e = quotable_span(doc, np.array([[0, len(doc)]]), 0)
    assert doc[s:e].startswith("To carry out their missions") and e == len(doc)
    assert answer_label_len("(b) Contractors may have proprietary interests in data produced under contracts.") == 4
    assert answer_label_len("(See Table 2.) The rule applies to every contract signed after 2014.") == 0


def test_catalogue_entries_footnote_numbers_and_list_notes_are_not_quoted():
    """From a memo over two crs-sample reports (a topic written for this check, not an eval set):
    CRS's AI product list quoted as Key points, and footnote rows quoted with their numbers."""
    assert evidence_problem("AI and Patents\u2014products that cover the intersection of AI and patents, including "
                            "patent-eligible subject matter reform.") == "heading"
    assert evidence_problem("The products shown here are grouped by common themes and organized chronologically "
                            "by date of publication.") == "about the document"
    assert evidence_problem("This list is current as of the date of this report.") == "about the document"
    assert evidence_problem("This section was written by Laurie Harris, Analyst in Science and Technology "
                            "Policy.") == "byline"
    for prose in ("Huawei\u2014which Washington sanctioned in 2019\u2014unveiled a new chip in 2025.",
                  "The council\u2014which meets monthly\u2014voted 31 to 12 for the charge."):
        assert evidence_problem(prose) is None, prose
    row = ("5.; Scholars and practitioners have not reached a consensus on the number of layers in the internet "
           "architecture model, varying between three and seven.")
    assert row[answer_label_len(row):].startswith("Scholars and practitioners")
    # a PDF footnote keeps its number (cejst-technical-support-document-v2.pdf, quoted so in a memo)
    note = ("1 In Executive Order 14008 on Tackling the Climate Crisis at Home and Abroad, President Biden directed "
            "the White House Council on Environmental Quality to develop a geospatial mapping tool.")
    assert note[answer_label_len(note):].startswith("In Executive Order 14008")
    byline = "15 This section was written by Marcy E. Gallo, Analyst in Science and Technology Policy."
    assert answer_label_len(byline) == 0  # the rest is no evidence either
    for prose in ("40 percent of the benefits should flow to disadvantaged communities.",
                  "3 The Evolution of Export Controls"):
        assert answer_label_len(prose) == 0, prose


def test_a_list_item_that_states_something_is_evidence_without_a_full_stop():
    """CEJST's release notes (bench/eval-fetched2) are bullets with no full stops; each was a
    "fragment", so the memo could not say what version 2.0 changed.  Cut lines, checklist rows,
    list openers and page controls stay out."""
    item = ("Census tracts that were disadvantaged under version 1.0 continue to be considered as disadvantaged "
            "in version 2.0")
    assert evidence_problem(item) is None
    for junk in ("Possible issues on which Members of Congress could engage include",
                 "This is consistent with the methodology that was used in the",
                 "Has an environmental justice strategic plan that has been updated in the past 5 years",
                 "In general, open data will be consistent with the following principles: 1",
                 "Update the JSON file in the Public Data Listing located at: http://www.sba.gov/data.json",
                 "Justice Policy(show less) Has issued or updated policy related to environmental justice."):
        assert evidence_problem(junk) is not None, junk
    doc = "This is consistent with the methodology used in version\n1.0 of the CEJST.\n" + item
    spans = np.array([[0, doc.index("\n")], [doc.index("1.0"), doc.index("CEJST.") + 6], [doc.index("Census"), len(doc)]])
    assert quotable_span(doc, spans, 0) is None  # the next line goes on: a cut, not a list item
    assert quotable_span(doc, spans, 2) == (int(spans[2, 0]), len(doc))


def test_e_g_and_i_e_do_not_end_a_sentence():
    from briefer.textanalysis import split_sentences

    text = "For tracts with water boundaries, e.g. coastal tracts, the water is excluded. Some data, i.e. census files, came late."
    assert split_sentences(text) == ["For tracts with water boundaries, e.g. coastal tracts, the water is excluded.",
                                     "Some data, i.e. census files, came late."]


def test_u_s_before_a_noun_does_not_end_a_sentence():
    """punkt split "the five U.S." | "Territories among ..." in CEJST's technical support document
    (bench/eval-fetched2): two halves quoted as if each were a sentence."""
    from briefer.textanalysis import split_sentences

    assert split_sentences("It covers the five U.S. Territories. It also covers tribes.") == [
        "It covers the five U.S. Territories.", "It also covers tribes."]
    assert split_sentences("The rule applies to exports from the U.S. The tariffs rose.") == [
        "The rule applies to exports from the U.S.", "The tariffs rose."]


def test_a_dotted_token_inside_brackets_does_not_end_a_sentence():
    """punkt ended sentences at "(e.g., S. 1272/H.R." and "(part III, section 3.a.": the model's
    restatements of both were cut there and the judge rejected the halves as incomplete
    (bench/judge/sheet-1044379.jsonl).  A list's "b." still starts its own item."""
    from briefer.textanalysis import split_sentences

    bills = "Others argue for a stronger role (e.g., S. 1272/H.R. 2665, S. 348). Congress may act."
    assert split_sentences(bills) == ["Others argue for a stronger role (e.g., S. 1272/H.R. 2665, S. 348).",
                                      "Congress may act."]
    parts = "Progress is assessed through the inventory (part III, section 3.a.), and the listing (section 3.b.)."
    assert split_sentences(parts) == [parts]
    items = "a. Amounts include relief funds. b. Amounts exclude transfers."
    assert "Amounts include relief funds." in split_sentences(items)


def test_a_field_label_is_cut_off_a_whole_sentence_and_glossary_entries_are_not_evidence():
    """A judge rejected three quotes from bench/eval-fetched2 and the open-data set: "Demographic
    information: The user interface ... displays ..." (a label glued to a sentence), "Privacy: refers
    to protecting ..." (a glossary entry) and "Clinger-Cohen Act of 1996 – Requires the establishment
    of ..." (a list of authorities: a verb with no subject)."""
    s = "Demographic information: The user interface of version 2.0 displays demographic information."
    assert s[answer_label_len(s):] == "The user interface of version 2.0 displays demographic information."
    for kept in ("Diabetes: Weighted percentage of people ages 18 years and older who report diabetes.",
                 "Officials said: The rule will take effect in March 2026 for all exporters.",
                 "Q8: Some of the data I collect cannot be shared publicly.",
                 "The rule has one aim: The United States wants to slow China's chip industry."):
        assert answer_label_len(kept) == 0, kept  # a definition needs its label; attribution stays
    assert evidence_problem("Privacy: refers to protecting any Agency information that is not releasable.") == "heading"
    assert evidence_problem("Clinger-Cohen Act of 1996 – Requires the establishment of processes for executive "
                            "agencies to track the risks of major investments in IT.") == "heading"
    for prose in ("The council's plan – which passed 31 to 12 – raises the charge to 9.50 a day in 2026.",
                  "Open data: For the purposes of this Memorandum, the term refers to publicly available data."):
        assert evidence_problem(prose) is None, prose


def test_a_label_before_a_sentence_opening_with_an_acronym_is_cut_but_a_source_line_stays_whole():
    """The CEJST technical support document's "Comprehensive and consistently accurate: CEQ sought to
    identify ..." was quoted label and all, and the judge rejected it (bench/judge/sheet-ca64249.jsonl)."""
    s = "Comprehensive and consistently accurate: CEQ sought to identify disadvantaged communities across the states."
    assert s[answer_label_len(s):] == "CEQ sought to identify disadvantaged communities across the states."
    s = "DOE: DOE R&D investments would have decreased by $3.2 billion (-16%) to $16.7 billion."
    assert s[answer_label_len(s):].startswith("DOE R&D investments")
    caption = "Source: CRS calculated R&D funding totals using information provided by the Office of Management and Budget."
    assert answer_label_len(caption) == 0  # a table's source line is no finding, with or without its label


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


def _spans_by_line(doc: str) -> np.ndarray:
    """One sentence per line: enough for these list-shaped documents."""
    out, at = [], 0
    for line in doc.split("\n"):
        out.append([at, at + len(line)])
        at += len(line) + 1
    return np.array(out)


def test_a_list_item_with_no_subject_is_quoted_with_its_lead_in_or_not_at_all():
    """A scorecard's "Launched two new grant programs ..." and a directive's "Annually, ..., provide a
    status report ..." never say who acts; a judge rejected every such quote (bench/judge/)."""
    scorecard = ("EPA's Highlights\n"
                 "Launched two new grant programs established by the Bipartisan Infrastructure Law.\n"
                 "Made program modifications for covered programs such as the Tribal set-aside.\n"
                 "Disclosed vulnerabilities will be evaluated by the agency within ninety days.\n"
                 "Issued in May 2013, the Open Data Policy calls for machine-readable formats.")
    spans = _spans_by_line(scorecard)
    assert quotable_span(scorecard, spans, 1) is None and quotable_span(scorecard, spans, 2) is None
    for i in (3, 4):  # an adjective subject, a participle phrase
        s, e = quotable_span(scorecard, spans, i)
        assert (s, e) == tuple(spans[i])
    directive = ("Within 180 calendar days after the issuance of this directive:\n"
                 "Publish a vulnerability disclosure policy as a public web page on the agency's primary website.\n"
                 "Develop or update vulnerability disclosure handling procedures to support the policy.\n"
                 "Annually, by the end of each fiscal year, provide a status report to the Secretary of Homeland Security.")
    spans = _spans_by_line(directive)
    s, e = quotable_span(directive, spans, 1)  # the first item completes its lead-in: quoted with it
    assert directive[s:e].startswith("Within 180 calendar days") and directive[s:e].endswith("primary website.")
    assert quotable_span(directive, spans, 2) is None and quotable_span(directive, spans, 3) is None
    assert subjectless_item("Address any issues related to publishing data to the SBA Internal Portal and Data.gov.")
    assert subjectless_item("Form an internal committee consisting of representatives from various business lines.")
    assert not subjectless_item("Form 990 filings are public.")
    assert not subjectless_item("Review of the program began in 2020 and ended in 2023.")
    assert not subjectless_item("Licensed taxis and buses with more than nine seats are also exempt from the charge.")


def test_a_spaced_sidebar_label_is_cut_off_and_a_link_that_lost_its_text_is_not_evidence():
    """Both from the Justice40 scorecards printed to PDF from the web (judged at fe2e269)."""
    glued = ("Initiative seven investment categories In the Phase Two Scorecard, the Justice40 Initiative section "
             "contains information about federal investments that Congress has funded.")
    assert glued[glued_heading_len(glued):].startswith("In the Phase Two Scorecard")
    row = "Bureau Code The federal agency bureau code from OMB Circular A-11, Appendix C is required."
    assert glued_heading_len(row) == 0  # a data dictionary's field name: its definition is no sentence either
    assert evidence_problem("The responses to this RFI helped the Department inform equity-related activities "
                            "and metrics prioritized through the (released in February 2024).") == "garbled text"
    assert evidence_problem("The agency announced a (possibly temporary) halt to new permits in 2024.") is None


def test_a_sentence_that_goes_on_with_the_name_a_wrapped_line_stopped_on_is_quoted_whole_or_not_at_all():
    """A scorecard printed to PDF: the splitter starts a sentence at "Improvements", mid-name (judged at bb0770c)."""
    doc = ("Foster Economic Sustainability Throughout Kentucky Project\n"
           "Announced for funding in September 2023 through DOT's Consolidated Rail Infrastructure and Safety\n"
           "Improvements (CRISI) program, this project in Kentucky involves track improvements in a rail yard.\n"
           "Transit Administration 130 awards totaling nearly $1.7 billion from President Biden's Bipartisan\n"
           "Infrastructure Law for transit projects in 46 states and territories.\n"
           "Impact of US Export Control on the Industry\n"
           "The US has imposed export bans and restrictions on China's access to advanced AI technology.")
    spans = _spans_by_line(doc)
    s, e = quotable_span(doc, spans, 2)  # joined with the line that opens its sentence
    assert doc[s:e].startswith("Announced for funding") and doc[s:e].endswith("in a rail yard.")
    assert quotable_span(doc, spans, 4) is None  # its line opens mid-sentence too: no join, and no fragment
    s, e = quotable_span(doc, spans, 6)  # after a heading, a sentence starts
    assert doc[s:e].startswith("The US has imposed")


def test_a_stamp_at_a_pages_top_inside_a_sentence_is_page_furniture():
    """A CRS Insight's last page opens with "IN12614 · VERSION 3 · UPDATED" in the middle of a sentence
    that the page before left open; it was quoted inside the sentence ("alienate IN12614 · VERSION 3 ·
    UPDATED trading partners", an untuned memo at 908df32).  A heading after a finished sentence stays."""
    text = clean_pages([
        "Congressional Research Service 3\nOther observers caution that tariffs could increase costs for U.S. "
        "businesses, alienate",
        "Congressional Research Service 4\nIN12614 \u00b7 VERSION 3 \u00b7 UPDATED\ntrading partners and encourage "
        "copper exporters to seek other markets.",
        "Congressional Research Service 5\nBACKGROUND\nThe program began in 2020 with six pilot projects."])
    assert "alienate trading partners and encourage" in text and "VERSION 3" not in text
    assert "\nBACKGROUND\n" in text
