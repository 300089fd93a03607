"""A hostile corpus's memo in chromium: review labels match the record, corpus text stays inert and offline, AA colours."""

from __future__ import annotations

import io
import os
import re
import shutil
from pathlib import Path

import pytest
from browser_helpers import browser, open_page
from fakes import FakeLLM, copy_first_source, paraphrase_first_source

from briefer.pipeline import generate
from briefer.render import render_files
from briefer.settings import load_settings

pytestmark = pytest.mark.browser
__all__ = ["browser", "open_page"]  # browser_helpers' fixtures: pytest finds them here by name

SAMPLE_CORPUS = Path(__file__).resolve().parent.parent / "corpus"

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
