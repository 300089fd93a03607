"""The HTML memo in a real browser: Debian's chromium, headless, driven by Playwright.

What a reader relies on and only a browser can show: citations land on their
source, the quote tooltip appears on hover *and* keyboard focus and is exposed
to screen readers, the print stylesheet keeps citations and endnotes, and a
narrow screen needs no sideways scroll.  The review page of a hostile corpus:
test_browser_review.py.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from browser_helpers import browser, open_page

from briefer.record import validate
from briefer.render import render_files

pytestmark = pytest.mark.browser
__all__ = ["browser", "open_page"]  # browser_helpers' fixtures: pytest finds them here by name


def hand_record() -> dict:
    """A small record with the awkward cases: special characters, a source cited
    twice, a citation at the end of a long line, a refusal, an unsupported sentence."""
    long = ("Chip export rules announced by the Commerce Department reach across the whole supply chain, "
            "from lithography tools to finished accelerators and the cloud services that rent them.")
    return validate({
        "topic": "hand", "title": "Hand-built <memo> & review", "audience": "analysts", "description": "About *chips*.",
        "generated_at": "2026-01-01T00:00:00+00:00",
        "model": {"path": "/m.gguf", "name": "m.gguf", "sha256": "0" * 64},
        "corpus": {"dir": "corpus", "files": {"a.txt": "1" * 64, "b.txt": "2" * 64}},
        "settings": {"keep_unsupported": True},
        "sections": [
            {"title": "Rules", "question": "What rules?", "status": "answered", "not_covered_text": "Not covered.",
             "sentences": [
                 {"text": "Chips \"<b>were</b>\" banned in 2023 & 2024.", "citations": [1], "status": "supported",
                  "origin": "model", "checks": {"missing_numbers": [], "missing_entities": [], "overlap": 0.9}},
                 {"text": long, "citations": [2, 1], "status": "supported", "origin": "extracted",
                  "checks": {"missing_numbers": [], "missing_entities": [], "overlap": 1.0}},
             ]},
            {"title": "Refused", "question": "EU?", "status": "not_covered", "not_covered_text": "Not covered by the documents.",
             "sentences": []},
            {"title": "Numbers", "question": "How much?", "status": "answered", "not_covered_text": "Not covered.",
             "sentences": [
                 {"text": "Tariffs reached 999% in 1850.", "citations": [3], "status": "unsupported", "origin": "model",
                  "checks": {"missing_numbers": ["999%", "1850"], "missing_entities": ["Atlantis"], "overlap": 0.2}},
             ]},
        ],
        "sources": [
            {"id": 1, "document": "a.txt", "title": "A <title> & “quotes”", "quote": "Chips <b>were</b> banned in 2023 & 2024.",
             "start": 0, "end": 40, "context_before": "", "context_after": " More text follows."},
            {"id": 2, "document": "dir/b.txt", "title": "Supply chain", "quote": long,
             "start": 10, "end": 10 + len(long), "context_before": "…before. ", "context_after": " After…"},
            {"id": 3, "document": "a.txt", "title": "Tariffs", "quote": "Tariffs on Chinese goods rose to 145%.",
             "start": 41, "end": 79, "context_before": "", "context_after": ""},
        ],
    })


@pytest.fixture(scope="module")
def hand_memo(tmp_path_factory) -> tuple[dict, Path, Path]:
    record = hand_record()
    out = tmp_path_factory.mktemp("hand")
    (plain,) = render_files(record, out / "plain", ["html"])
    (review,) = render_files(record, out / "review", ["html"], review=True)
    return record, plain, review


def squash(text: str) -> str:
    return " ".join(text.split())


# ------------------------------------------------------------ the harness
def test_harness_sees_requests_and_script(open_page, tmp_path):
    """Control: the request counter and the __pwned probe do detect a leaky, scripted page."""
    page = tmp_path / "leaky.html"
    page.write_text('<img src="https://example.invalid/x.png"><link rel="stylesheet" href="local.css">'
                    "<script>window.__pwned = 1</script>")
    o = open_page(page)
    assert o.page.evaluate("window.__pwned") == 1
    for seen in (o.requests, o.routed):
        assert any(u.startswith("https://example.invalid/") for u in seen), seen
        assert any(u.endswith("/local.css") for u in seen), seen


# -------------------------------------------------------------- citations
def test_every_citation_lands_on_its_source(open_page, hand_memo):
    record, plain, _ = hand_memo
    o = open_page(plain)
    cites = o.page.locator("a.cite")
    expected = [c for sec in record["sections"] for s in sec["sentences"] for c in s["citations"]]
    assert cites.count() == len(expected)
    for i, sid in enumerate(expected):
        href = cites.nth(i).get_attribute("href")
        assert href == f"#src-{sid}"
        target = o.page.locator(f"ol.sources > li{href}")
        assert target.count() == 1
        src = next(s for s in record["sources"] if s["id"] == sid)
        assert squash(src["quote"]) in squash(target.inner_text()) and src["document"] in target.inner_text()
    # clicking scrolls the endnote into view and makes it the :target
    last = cites.nth(len(expected) - 1)
    last.click()
    assert o.page.evaluate("location.hash") == last.get_attribute("href")
    li = o.page.locator(f"ol.sources > li{last.get_attribute('href')}")
    assert li.evaluate("el => el.matches(':target')")
    from playwright.sync_api import expect

    expect(li).to_be_in_viewport()
    # and every source links back to a citation that exists
    for link in o.page.locator(".backlinks a").all():
        assert o.page.locator(f"a.cite{link.get_attribute('href')}").count() == 1
    assert o.requests == []


def _tip_matches(o, cite, record) -> None:
    sid = int(cite.get_attribute("href").removeprefix("#src-"))
    src = next(s for s in record["sources"] if s["id"] == sid)
    tip = cite.locator(".tip")
    assert tip.is_visible()
    assert tip.locator(".tip-title").inner_text() == src["title"]
    assert tip.locator(".tip-quote").inner_text() == f"“{squash(src['quote'])}”"
    box, anchor = tip.bounding_box(), cite.bounding_box()
    assert box["width"] > 200 and box["height"] > 30, box
    assert 0 <= box["x"] and box["x"] + box["width"] <= o.page.viewport_size["width"], box
    assert box["y"] >= anchor["y"] + anchor["height"] - 2, (box, anchor)  # opens below the citation


def test_tooltip_on_hover_shows_title_and_quote(open_page, hand_memo):
    record, plain, _ = hand_memo
    o = open_page(plain)
    cites = o.page.locator("a.cite")
    for i in range(cites.count()):
        cite = cites.nth(i)
        assert cite.locator(".tip").is_hidden()
        cite.hover()
        _tip_matches(o, cite, record)
        assert o.page.locator(".tip:visible").count() == 1
    # the tooltip is hoverable: moving the pointer onto it (through the gap) keeps it open
    first = cites.nth(0)
    first.hover()
    box = first.locator(".tip").bounding_box()
    o.page.mouse.move(box["x"] + 40, box["y"] + box["height"] / 2, steps=12)
    assert first.locator(".tip").is_visible()
    o.page.mouse.move(5, 5)
    assert first.locator(".tip").is_hidden()
    # a mouse click does not leave the tooltip stuck open over the text below
    o.page.goto(o.url)
    first.click()
    o.page.mouse.move(5, 5)
    assert o.page.locator(".tip:visible").count() == 0


def test_tooltip_on_keyboard_focus(open_page, hand_memo):
    record, plain, _ = hand_memo
    o = open_page(plain)
    cite_ids = o.page.locator("a.cite").evaluate_all("els => els.map(e => e.id)")
    focused = []
    for _ in cite_ids:  # Tab walks the citations first, in reading order
        o.page.keyboard.press("Tab")
        focused.append(o.page.evaluate("document.activeElement.id"))
        cite = o.page.locator(f"#{focused[-1]}")
        _tip_matches(o, cite, record)
        assert o.page.locator(".tip:visible").count() == 1  # the previous one closed
        outline = cite.evaluate("e => getComputedStyle(e).outlineStyle")
        assert outline != "none"  # a visible focus ring
    assert focused == cite_ids


def test_citation_is_announced_with_title_and_quote(open_page, hand_memo):
    """What chromium exposes to screen readers: name = source number and title, description = the quote."""
    record, plain, _ = hand_memo
    o = open_page(plain)
    cdp = o.context.new_cdp_session(o.page)
    root = cdp.send("DOM.getDocument")["root"]["nodeId"]
    for cite_id in o.page.locator("a.cite").evaluate_all("els => els.map(e => e.id)"):
        node = cdp.send("DOM.querySelector", {"nodeId": root, "selector": f"#{cite_id}"})["nodeId"]
        ax = cdp.send("Accessibility.getPartialAXTree", {"nodeId": node, "fetchRelatives": False})["nodes"][0]
        sid = int(o.page.locator(f"#{cite_id}").get_attribute("href").removeprefix("#src-"))
        src = next(s for s in record["sources"] if s["id"] == sid)
        assert ax["role"]["value"] == "link"
        assert ax["name"]["value"] == f"Source {sid}: {src['title']}"
        assert ax["description"]["value"] == f"“{squash(src['quote'])}”"
        assert ax.get("focusable", True) is not False


# ------------------------------------------------------- print and phones
def test_print_keeps_citations_and_endnotes(open_page, hand_memo):
    record, _, review = hand_memo
    o = open_page(review)
    p = o.page
    p.emulate_media(media="print")
    cite = p.locator("a.cite").first
    p.keyboard.press("Tab")  # keyboard focus and hover would open a tooltip on screen
    cite.hover()
    assert p.evaluate("document.activeElement.id") == cite.get_attribute("id")
    assert cite.is_visible() and cite.inner_text() == "[1]"
    assert p.locator(".tip:visible").count() == 0 and p.locator(".backlinks:visible").count() == 0
    assert p.locator(".sources-section").evaluate("e => getComputedStyle(e).breakBefore") == "page"
    assert p.locator(".label:visible").count() >= 3
    for fmt in ("A4", "Letter"):
        pdf = p.pdf(format=fmt)
        assert pdf.startswith(b"%PDF")
        pages = len(re.findall(rb"/Type\s*/Page\b", pdf))
        assert pages >= 2, (fmt, pages)  # the memo, then the sources as endnotes


def test_narrow_screen_has_no_sideways_scroll(open_page, hand_memo):
    record, _, review = hand_memo
    o = open_page(review)
    p = o.page
    p.set_viewport_size({"width": 360, "height": 740})
    assert p.evaluate("document.documentElement.scrollWidth <= document.documentElement.clientWidth")
    for i in range(p.locator("a.cite").count()):
        cite = p.locator("a.cite").nth(i)
        cite.hover()
        _tip_matches(o, cite, record)
