"""The HTML memo in a real browser: Debian's chromium, headless, driven by Playwright.

What a reader relies on and only a browser can show: citations land on their
source, the quote tooltip appears on hover *and* keyboard focus and is exposed
to screen readers, review labels and counts match the record, nothing leaves
the page (file://, offline), corpus text never runs as script, colours pass
WCAG AA, and the print stylesheet keeps citations and endnotes.

One browser per module (launching costs seconds); one context per test, so
request counters and focus never leak between tests.  A browser that cannot
be launched FAILS the tests: a skipped browser test would hide a broken memo.
"""

from __future__ import annotations

import io
import os
import re
import shutil
from pathlib import Path

import pytest
from fakes import FakeLLM, copy_first_source, paraphrase_first_source

from briefer.pipeline import generate
from briefer.record import validate
from briefer.render import render_files
from briefer.settings import load_settings

pytestmark = pytest.mark.browser

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                 "--disable-background-networking", "--disable-component-update", "--disable-sync"]
SAMPLE_CORPUS = Path(__file__).resolve().parent.parent / "corpus"
VIEWPORT = {"width": 1200, "height": 900}


# ----------------------------------------------------------------- fixtures
@pytest.fixture(scope="module")
def browser():
    try:
        from playwright.sync_api import sync_playwright
    except ImportError as exc:
        pytest.fail(f"playwright is not importable ({exc}); run `pip install -e '.[dev]'`.", pytrace=False)
    if not Path(CHROMIUM).exists():
        pytest.fail(f"{CHROMIUM} not found; install it with `apt-get install -y chromium` (.ci/run does).", pytrace=False)
    pw = sync_playwright().start()
    try:
        chromium = pw.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS, timeout=60_000)
    except Exception as exc:  # noqa: BLE001 - any launch failure must fail loudly, with its cause
        pw.stop()
        pytest.fail(f"Cannot launch {CHROMIUM} headless: {str(exc).splitlines()[0]}", pytrace=False)
    yield chromium
    chromium.close()
    pw.stop()


class Opened:
    """A page opened from file:// in a fresh context, watching every request but its own.

    ``requests``: every request the page attempted (chromium reports even those
    its CSP then refuses); ``csp_blocked``: those the CSP refused before they
    left; ``routed``: those that got past the page to the network layer (the
    route aborts them, so nothing is ever really fetched).
    """

    def __init__(self, browser, path: Path, **context_options) -> None:
        self.url = path.resolve().as_uri()
        self.context = browser.new_context(viewport=VIEWPORT, **context_options)
        self.requests: list[str] = []
        self.csp_blocked: list[str] = []
        self.routed: list[str] = []
        self.context.route("**/*", self._route)
        self.page = self.context.new_page()
        self.page.on("request", lambda r: r.url != self.url and self.requests.append(r.url))
        self.page.on("requestfailed", lambda r: r.failure == "csp" and self.csp_blocked.append(r.url))
        self.page.goto(self.url)

    def _route(self, route) -> None:
        if route.request.url == self.url:
            route.continue_()
        else:
            self.routed.append(route.request.url)
            route.abort()

    def close(self) -> None:
        self.context.close()


@pytest.fixture()
def open_page(browser):
    opened: list[Opened] = []

    def _open(path: Path, **options) -> Opened:
        opened.append(Opened(browser, path, **options))
        return opened[-1]

    yield _open
    for o in opened:
        o.close()


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


EVIL_DOC = (
    "Export controls on AI chips were tightened by the Commerce Department in 2023, when shipments of AI chips "
    "fell by < 5% & prices of \"accelerators\" rose.\n"
    "Export controls on AI chips were tightened by the Commerce Department in 2023 "
    "<script>window.__pwned=1</script> with new licence rules for AI chips.\n"
    "The export controls on AI chips cover the A100 and H100 <img src=x onerror=\"window.__pwned=2\"> accelerators.\n"
    "Exporters of AI chips read the rules at <a href=\"javascript:window.__pwned=3\">the Commerce Department site</a>.\n"
)
HOSTILE_TOPIC = """title = "Chip controls <script>window.__pwned=4</script>"
audience = "analysts"
description = "Read [the rules](javascript:window.__pwned=5) <img src=x onerror=\\"window.__pwned=6\\">."
[[sections]]
title = "Export controls"
question = "What export controls on AI chips did the Commerce Department tighten in 2023?"
[[sections]]
title = "Trade war"
question = "What tariff level did the US–China trade war reach?"
[[sections]]
title = "Chinese response"
question = "Which Chinese companies adopted domestic AI chips such as Huawei's Ascend instead of Nvidia?"
[[sections]]
title = "EU"
question = "What penalties does the EU AI Act set for providers of general-purpose models?"
"""


@pytest.fixture(scope="module")
def hostile_memo(tmp_path_factory) -> tuple[dict, Path, Path]:
    """The real pipeline (FakeLLM, BM25 only) on the sample corpus plus a hostile
    document; the fake model's answers yield all three labels and a refusal."""
    root = tmp_path_factory.mktemp("hostile")
    corpus = root / "corpus"
    corpus.mkdir()
    for f in SAMPLE_CORPUS.glob("*.txt"):
        shutil.copy(f, corpus / f.name)
    (corpus / "evil.txt").write_text(EVIL_DOC, encoding="utf-8")
    (root / "hostile.toml").write_text(HOSTILE_TOPIC, encoding="utf-8")
    answers = [lambda m: paraphrase_first_source(m) + " Tariffs reached 999% in 1850.", ""]  # flagged; extractive fallback
    with pytest.MonkeyPatch.context() as mp:  # a module fixture: conftest's per-test isolation has not run yet
        for key in [k for k in os.environ if k.startswith("BRIEFER_")]:
            mp.delenv(key)
        settings = load_settings(home=root / "home", corpus=corpus, out=root / "plain", no_embeddings=True,
                                 keep_unsupported=True)
        result = generate(settings, str(root / "hostile.toml"), model=FakeLLM(answers, default=copy_first_source),
                          embedder=None, formats=("html",))
    record = result.record
    labels = {label_of(s) for sec in record["sections"] for s in sec["sentences"]}
    assert labels == {"supported", "extracted", "unsupported"}, f"fixture should exercise every label, got {labels}"
    assert any(s["document"] == "evil.txt" for s in record["sources"]), "the hostile document should be quoted"
    (review,) = render_files(record, root / "review", ["html"], review=True)
    return record, root / "plain" / "hostile.html", review


def label_of(sentence: dict) -> str:
    if sentence["status"] == "unsupported":
        return "unsupported"
    return "extracted" if sentence["origin"] == "extracted" else "supported"


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


# ----------------------------------------------------------------- review
def test_review_summary_and_labels_match_the_record(open_page, hostile_memo):
    record, plain, review = hostile_memo
    sentences = [s for sec in record["sections"] for s in sec["sentences"]]
    want = {name: sum(label_of(s) == name for s in sentences) for name in ("supported", "extracted", "unsupported")}
    o = open_page(review)
    p = o.page
    assert p.locator("#summary").is_visible()
    assert int(p.locator("#count-sentences").inner_text()) == len(sentences) == sum(want.values())
    for name, n in want.items():
        assert int(p.locator(f"#count-{name}").inner_text()) == n, name
    refused = sum(sec["status"] == "not_covered" for sec in record["sections"])
    assert refused >= 1 and int(p.locator("#count-refused").inner_text()) == refused
    assert int(p.locator("#count-sources").inner_text()) == len(record["sources"])
    shown = p.locator("main .sent")
    assert shown.count() == len(sentences)
    for i, s in enumerate(sentences):
        label = shown.nth(i).locator(".label")
        assert label.is_visible() and label.inner_text().lower() == label_of(s)
        assert s["text"] in shown.nth(i).inner_text()
        if s["status"] == "unsupported":
            failed = shown.nth(i).locator(".failed").inner_text()
            assert all(n in failed for n in s["checks"]["missing_numbers"]), failed
    assert p.locator(".notcovered .label").count() == refused
    # without --review: no summary, and only unsupported sentences carry a label
    o2 = open_page(plain)
    assert o2.page.locator("#summary").count() == 0
    assert o2.page.locator("main .label").count() == want["unsupported"] > 0


# ------------------------------------------------------- hostile content
PROBE = "typeof window.__pwned === 'undefined' ? null : window.__pwned"


def test_hostile_corpus_stays_inert_and_offline(open_page, hostile_memo, tmp_path):
    record, _, review = hostile_memo
    o = open_page(review)
    p = o.page
    text = p.locator("body").inner_text()
    # the payloads reached the page, as visible text
    assert "<script>window.__pwned=4</script>" in p.locator("h1").inner_text()
    # (corpus payloads appear in the sources' context around a quote: markup-bearing sentences are
    # never evidence themselves, see textclean.evidence_problem)
    assert "<script>window.__pwned=1</script>" in text and 'Read the rules <img src=x onerror="window.__pwned=6">' in text
    assert p.locator("script, img, iframe, object, embed, form").count() == 0
    assert p.evaluate("[...document.querySelectorAll('*')].flatMap(e => [...e.attributes])"
                      ".filter(a => a.name.startsWith('on')).length") == 0
    for cite in p.locator("a.cite").all():
        cite.hover()
    for _ in range(p.locator("a").count()):
        p.keyboard.press("Tab")
    for link in p.locator("a[href^='javascript:']").all():  # the topic's Markdown link: CSP must block it
        link.click()
    assert p.evaluate(PROBE) is None
    assert o.requests == [] and o.routed == [], (o.requests, o.routed)

    # each layer alone holds: escaping without the CSP ...
    html = review.read_text(encoding="utf-8")
    no_csp = tmp_path / "no-csp.html"
    no_csp.write_text(re.sub(r'<meta http-equiv="Content-Security-Policy"[^>]*>', "", html), encoding="utf-8")
    o2 = open_page(no_csp)
    assert o2.page.locator("script, img").count() == 0 and o2.page.evaluate(PROBE) is None
    assert o2.requests == [] and o2.routed == []
    # ... and the CSP without escaping (a template that forgot to escape)
    broken = tmp_path / "unescaped.html"
    broken.write_text(html.replace("</main>", '<script>window.__pwned=7</script><img src="x" onerror="window.__pwned=8">'
                                              '<img src="https://example.invalid/t.png"></main>'), encoding="utf-8")
    o3 = open_page(broken)
    o3.page.wait_for_load_state("load")
    assert o3.page.evaluate(PROBE) is None
    assert len(o3.requests) == 2 and sorted(o3.csp_blocked) == sorted(o3.requests) and o3.routed == [], vars(o3)


# --------------------------------------------------------------- visuals
CONTRAST_JS = """() => {
  const rgba = c => { const p = c.match(/[\\d.]+/g).map(Number); return p.length > 3 ? p : [...p, 1]; };
  const over = (top, under) => [0, 1, 2].map(i => top[i] * top[3] + under[i] * (1 - top[3])).concat([1]);
  const lum = c => { const f = v => (v /= 255) <= 0.03928 ? v / 12.92 : ((v + 0.055) / 1.055) ** 2.4;
                     return 0.2126 * f(c[0]) + 0.7152 * f(c[1]) + 0.0722 * f(c[2]); };
  const ratio = (a, b) => { const [x, y] = [lum(a), lum(b)].sort((m, n) => n - m); return (x + 0.05) / (y + 0.05); };
  const background = el => { const layers = [];
    for (let e = el; e; e = e.parentElement) { const c = rgba(getComputedStyle(e).backgroundColor);
      if (c[3] > 0) { layers.push(c); if (c[3] >= 1) break; } }
    return layers.reverse().reduce((acc, c) => over(c, acc), [255, 255, 255, 1]); };
  const out = [];
  for (const el of document.querySelectorAll('body *')) {
    const own = [...el.childNodes].some(n => n.nodeType === 3 && n.textContent.trim());
    if (!own || !el.checkVisibility({visibilityProperty: true})) continue;
    const bg = background(el), fg = over(rgba(getComputedStyle(el).color), bg);
    out.push({cls: el.className || el.tagName.toLowerCase(), ratio: ratio(fg, bg)});
  }
  const f = document.activeElement;
  const ring = f && f !== document.body ? ratio(rgba(getComputedStyle(f).outlineColor), background(f.parentElement)) : null;
  return {texts: out, ring};
}"""


def test_colours_pass_wcag_aa(open_page, hostile_memo):
    _, _, review = hostile_memo
    o = open_page(review)
    p = o.page
    p.locator("a.cite").last.click()  # a :target endnote is highlighted
    p.keyboard.press("Tab")  # a keyboard focus ring is drawn
    p.locator("main a.cite").first.hover()  # a tooltip is open
    result = p.evaluate(CONTRAST_JS)
    low = [t for t in result["texts"] if t["ratio"] < 4.5]
    assert not low, f"text below 4.5:1: {low}"
    checked = " ".join(t["cls"] for t in result["texts"])
    for cls in ("label-supported", "label-extracted", "label-unsupported", "failed", "tip-quote", "tip-doc",
                "legend", "src-path", "question", "meta", "mark"):
        assert cls in checked, f"{cls} was not measured"
    assert result["ring"] is not None and result["ring"] >= 3.0, result["ring"]  # WCAG 1.4.11 non-text contrast


def _colours(png: bytes) -> tuple[int, float, set]:
    """(distinct colours, share of non-background pixels, colour set) of a screenshot."""
    from PIL import Image

    im = Image.open(io.BytesIO(png)).convert("RGB")
    counts = im.getcolors(maxcolors=im.width * im.height)
    bg_count, _ = max(counts)
    return len(counts), 1 - bg_count / (im.width * im.height), {c for _, c in counts}


def test_screenshot_is_not_blank(open_page, hostile_memo, tmp_path):
    _, _, review = hostile_memo
    blank = tmp_path / "blank.html"
    blank.write_text("<!DOCTYPE html><title>blank</title>")
    n_blank, ink_blank, _ = _colours(open_page(blank).page.screenshot())
    n, ink, colours = _colours(open_page(review).page.screenshot())
    assert n_blank == 1 and ink_blank == 0
    assert n > 100, n  # anti-aliased text in several colours
    assert 0.03 < ink < 0.6, ink  # text and panels, not an empty or solid page
    assert {(0x1D, 0x6B, 0x2F), (0x0B, 0x4F, 0x8A)} <= colours  # the supported/extracted labels are painted


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
