"""`briefer review`: re-checks sentences against quotes and quotes against the corpus."""

from __future__ import annotations

import json
import re

import pytest
from fakes import FakeLLM, copy_first_source
from typer.testing import CliRunner

from briefer.cli import app
from briefer.pipeline import generate
from briefer.settings import load_settings

runner = CliRunner()


@pytest.fixture()
def record_path(sample_corpus, tmp_path):
    settings = load_settings(corpus=sample_corpus, out=tmp_path / "briefs", no_embeddings=True)
    generate(settings, "export-controls", model=FakeLLM(default=copy_first_source), embedder=None)
    return tmp_path / "briefs" / "export-controls.json"


def _review(path, corpus, *extra):
    result = runner.invoke(app, ["review", str(path), "--corpus", str(corpus), *extra])
    return result.exit_code, result.output


def test_clean_record_reviews_clean(record_path, sample_corpus):
    code, output = _review(record_path, sample_corpus)
    assert code == 0, output
    assert "unsupported: 0" in output and "stale sources: 0" in output


def test_json_format_has_totals(record_path, sample_corpus):
    code, output = _review(record_path, sample_corpus, "--format", "json")
    data = json.loads(output)
    assert code == 0 and data["ok"] is True
    totals = data["totals"]
    assert totals["sentences"] == totals["supported"] > 0
    assert set(totals) >= {"sentences", "supported", "unsupported", "extracted", "refused_sections", "sources_used"}


def _sentences_with_numbers(record):
    for i, sec in enumerate(record["sections"]):
        for j, sent in enumerate(sec["sentences"]):
            if re.search(r"\d", sent["text"]):
                yield i, j, sent


def test_changing_a_number_in_any_sentence_is_flagged(record_path, sample_corpus):
    record = json.loads(record_path.read_text())
    targets = list(_sentences_with_numbers(record))
    assert targets, "the sample memo should state some numbers"
    for i, j, sent in targets:
        mutated = json.loads(record_path.read_text())
        changed = re.sub(r"\d", lambda m: str((int(m.group()) + 3) % 10), sent["text"], count=1)
        mutated["sections"][i]["sentences"][j]["text"] = changed
        path = record_path.with_name("mutated.json")
        path.write_text(json.dumps(mutated))
        code, output = _review(path, sample_corpus)
        assert code == 1, changed
        assert "UNSUPPORTED" in output and changed[:40] in " ".join(output.split())


@pytest.mark.parametrize(
    "mutate",
    [
        lambda text: text.replace("Nvidia", "Intel") if "Nvidia" in text else "Intel " + text,
        lambda text: "The European Union fined Alibaba for breaking the rules.",
    ],
)
def test_changed_name_or_invented_sentence_is_flagged(record_path, sample_corpus, mutate):
    record = json.loads(record_path.read_text())
    sent = record["sections"][0]["sentences"][0]
    sent["text"] = mutate(sent["text"])
    record_path.write_text(json.dumps(record))
    code, output = _review(record_path, sample_corpus, "--format", "json")
    data = json.loads(output)
    assert code == 1 and data["totals"]["unsupported"] == 1
    bad = [s for s in data["sentences"] if s["status"] != "supported"]
    assert bad[0]["text"] == sent["text"]


def test_changed_or_missing_source_file_is_stale(record_path, sample_corpus):
    record = json.loads(record_path.read_text())
    cited_doc = record["sources"][0]["document"]
    path = sample_corpus / cited_doc
    path.write_text("Completely different text.\n" + path.read_text(encoding="utf-8"), encoding="utf-8")
    code, output = _review(record_path, sample_corpus, "--format", "json")
    data = json.loads(output)
    assert code == 1 and any(s["document"] == cited_doc for s in data["stale_sources"])
    path.unlink()
    code, output = _review(record_path, sample_corpus, "--format", "json")
    assert code == 1 and "missing" in json.dumps(json.loads(output)["stale_sources"])
