"""PDF pages cleaned (furniture, ligatures, cut lines), and near-duplicate documents found."""

from __future__ import annotations

import random
import time

from clean_evidence_helpers import CRS, needs_crs

from briefer import formats
from briefer.formats_pdf import clean_pages
from briefer.ligatures import repair_ligatures
from briefer.duplicates import find_duplicates


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
