"""Markdown and HTML rendered to plain text, and junk document titles replaced by a heading."""

from __future__ import annotations

import pytest
from clean_evidence_helpers import CRS, needs_crs

from briefer import formats
from briefer.corpus import document_title


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
