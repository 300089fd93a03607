"""Rendering from a record: determinism, escaping, template errors with file and line, no model needed."""

from __future__ import annotations

import json
import sys

import pytest

from briefer.errors import RecordError, TemplateError
from briefer.record import load_record, validate
from briefer.render import render_files, render_one


def make_record() -> dict:
    return validate({
        "topic": "demo", "title": "Demo <memo>", "audience": "analysts", "description": "About *chips*.",
        "generated_at": "2026-01-01T00:00:00+00:00",
        "model": {"path": "/m.gguf", "name": "m.gguf", "sha256": "0" * 64},
        "corpus": {"dir": "corpus", "files": {"a.txt": "1" * 64}},
        "settings": {"keep_unsupported": False},
        "sections": [
            {"title": "One", "question": "Q?", "status": "answered", "not_covered_text": "Not covered.",
             "sentences": [{"text": "Chips <b>were</b> banned in 2023.", "citations": [1], "status": "supported",
                            "origin": "model", "checks": {"missing_numbers": [], "missing_entities": [], "overlap": 1.0}}]},
            {"title": "Two", "question": "Q2?", "status": "not_covered", "not_covered_text": "Not covered.", "sentences": []},
        ],
        "sources": [{"id": 1, "document": "a.txt", "title": "A <title>", "quote": "Chips <b>were</b> banned in 2023.",
                     "start": 0, "end": 33, "context_before": "", "context_after": " More."}],
    })


def test_render_is_deterministic_and_escapes(tmp_path):
    record = make_record()
    first = render_files(record, tmp_path, ["md", "html"])
    bytes1 = [p.read_bytes() for p in first]
    render_files(record, tmp_path, ["md", "html"])
    assert [p.read_bytes() for p in first] == bytes1
    html = (tmp_path / "demo.html").read_text()
    assert "Chips &lt;b&gt;were&lt;/b&gt; banned" in html and "<b>were</b>" not in html
    assert 'href="#src-1"' in html and 'id="src-1"' in html
    assert "Content-Security-Policy" in html and "<em>chips</em>" in html
    md = (tmp_path / "demo.md").read_text()
    assert "Chips <b>were</b> banned in 2023. [1]" in md and "Not covered." in md


def test_user_template_dir_wins_and_errors_name_file_and_line(tmp_path):
    (tmp_path / "memo.md.j2").write_text("# {{ record.title }}\n\n{{ record.nope }}\n")
    with pytest.raises(TemplateError, match=r"memo\.md\.j2:3.*nope"):
        render_one(make_record(), "md", user_dir=tmp_path)
    (tmp_path / "memo.md.j2").write_text("# {{ record.title }}\n{% for x in %}\n")
    with pytest.raises(TemplateError, match=r"memo\.md\.j2:2"):
        render_one(make_record(), "md", user_dir=tmp_path)
    (tmp_path / "memo.md.j2").write_text("custom {{ record.title }}\n")
    assert render_one(make_record(), "md", user_dir=tmp_path) == "custom Demo <memo>\n"


def test_failed_render_leaves_previous_files_intact(tmp_path):
    out = tmp_path / "out"
    render_files(make_record(), out, ["md", "html"])
    before = (out / "demo.md").read_bytes()
    tpl = tmp_path / "tpl"
    tpl.mkdir()
    (tpl / "memo.html.j2").write_text("{{ broken.thing }}")
    with pytest.raises(TemplateError):
        render_files(make_record(), out, ["md", "html"], user_dir=tpl)
    assert (out / "demo.md").read_bytes() == before


def test_render_needs_no_model_or_index(tmp_path, monkeypatch):
    monkeypatch.setitem(sys.modules, "llama_cpp", None)  # importing it would now fail
    monkeypatch.setitem(sys.modules, "briefer.index", None)
    path = tmp_path / "demo.json"
    path.write_text(json.dumps(make_record()))
    assert "Demo" in render_one(load_record(path), "md")


@pytest.mark.parametrize(
    "mutate, field",
    [
        (lambda r: r.pop("sources"), "sources"),
        (lambda r: r["sections"][0]["sentences"][0].update(citations=["1"]), "sections[0].sentences[0].citations"),
        (lambda r: r["sections"][0]["sentences"][0].update(citations=[7]), "sections[0].sentences[0].citations"),
        (lambda r: r["sources"][0].update(start=-1), "sources[0].start"),
        (lambda r: r["model"].pop("sha256"), "model.sha256"),
    ],
)
def test_invalid_record_names_the_field(tmp_path, mutate, field):
    record = make_record()
    mutate(record)
    path = tmp_path / "r.json"
    path.write_text(json.dumps(record))
    with pytest.raises(RecordError) as info:
        load_record(path)
    assert f"'{field}'" in str(info.value)


def test_invalid_json_names_line(tmp_path):
    path = tmp_path / "r.json"
    path.write_text('{"topic": "x",\n "title": }')
    with pytest.raises(RecordError, match="line 2"):
        load_record(path)


@pytest.mark.parametrize("title, shown", [
    ("Binding Operational Directive <22-01>", False),  # not a nameable title: markup-like debris
    ("Binding Operational Directive 22-01", True),
    ("C.') benecurit, and lnfrastructur<' Srcurit, Agenc)", False),  # a scanned letterhead
    ("In recent years, the United States government has ramped up its export controls…", False),  # a cut first line
])
def test_a_quote_that_says_this_directive_is_preceded_by_its_documents_name(tmp_path, title, shown):
    """The quote stays exact; the document's name comes before it, outside the quotation marks, only
    for a quote that speaks of "this directive" and only when the title can name it."""
    record = make_record()
    quote = "Agencies remain responsible for engaging their service providers to ensure compliance with this Directive."
    record["sources"].append({"id": 2, "document": "bod.md", "title": title, "quote": quote, "start": 0,
                              "end": len(quote), "context_before": "", "context_after": ""})
    record["sections"][0]["sentences"] += [
        {"text": quote, "citations": [2], "status": "supported", "origin": "extracted"},
        {"text": "Agencies must engage their providers under this Directive.", "citations": [2],
         "status": "supported", "origin": "model"}]  # the model's own words are never prefixed
    render_files(validate(record), tmp_path, ["md", "html"])
    md, html = (tmp_path / "demo.md").read_text(), (tmp_path / "demo.html").read_text()
    assert (f"{title}: “{quote}” [2]" in md) is shown
    assert ('<span class="by">Binding Operational Directive 22-01:</span> <q class="quoted">' in html) is shown
    assert " Agencies must engage their providers under this Directive. [2]" in md
    assert "<22-01>" not in html  # escaped wherever the title appears


@pytest.mark.parametrize("quote, title, shown", [
    ("The plan raises, but does not propose solutions to address, issues such as provincial trade barriers.",
     "China's 15th Five-Year Plan", True),
    ("The Department remediates any deficiencies in accordance with agency policy.",
     "Department of Veterans Affairs Data Center Optimization Strategy", True),
    ("The proposed rule would create good-paying jobs.", "Pipeline Safety: Proposed Rules and Their Status", True),
    # the title does not say which plan: no name, as before
    ("The plan raises, but does not propose solutions to address, issues such as provincial trade barriers.",
     "China's Economic Outlook", False),
    ("The United States imposed new tariffs in April.", "Trade Act of 1974: Section 122", False),  # not a kind
])
def test_a_quote_opening_on_its_documents_kind_is_preceded_by_its_name(tmp_path, quote, title, shown):
    """An analyst could not tell which plan "The plan raises ..." was; the title that names a plan can."""
    record = make_record()
    record["sources"].append({"id": 2, "document": "doc.md", "title": title, "quote": quote, "start": 0,
                              "end": len(quote), "context_before": "", "context_after": ""})
    record["sections"][0]["sentences"].append({"text": quote, "citations": [2], "status": "supported",
                                               "origin": "extracted"})
    render_files(validate(record), tmp_path, ["md"])
    md = (tmp_path / "demo.md").read_text()
    assert (f"{title}: “{quote}” [2]" in md) is shown
    assert f"“{quote}” [2]" in md
