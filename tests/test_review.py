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


HAND_TEXT = ("Export controls: an overview.\n"
             "In 2023 the United States restricted exports of 50,000 advanced chips to China. "
             "Officials said further rules would follow.\n"
             "Nvidia designed a new chip for the Chinese market.\n")


@pytest.fixture()
def hand_record(tmp_path):
    """A record written by hand over a one-file corpus: independent of retrieval and topics."""
    corpus = tmp_path / "hand-corpus"
    corpus.mkdir()
    (corpus / "a.txt").write_text(HAND_TEXT, encoding="utf-8")
    quotes = ["In 2023 the United States restricted exports of 50,000 advanced chips to China.",
              "Nvidia designed a new chip for the Chinese market."]
    sources = []
    for i, quote in enumerate(quotes, 1):
        start = HAND_TEXT.index(quote)
        sources.append({"id": i, "document": "a.txt", "title": "A", "quote": quote, "start": start,
                        "end": start + len(quote), "context_before": HAND_TEXT[max(0, start - 240):start],
                        "context_after": HAND_TEXT[start + len(quote):start + len(quote) + 240]})
    record = {
        "topic": "hand", "title": "Hand", "generated_at": "2026-01-01T00:00:00+00:00",
        "model": {"path": "/m.gguf", "sha256": "0" * 64},
        "corpus": {"dir": str(corpus.resolve()), "files": {}},
        "sections": [{"title": "Summary", "question": "What happened?", "sentences": [
            {"text": "The United States restricted exports of 50,000 advanced chips to China in 2023.", "citations": [1],
             "status": "supported", "origin": "model"},
            {"text": quotes[1], "citations": [2], "status": "supported", "origin": "extracted"},
        ]}],
        "sources": sources,
    }
    path = tmp_path / "briefs" / "hand.json"
    path.parent.mkdir()
    path.write_text(json.dumps(record))
    return path, corpus


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
    assert totals["sentences"] == totals["supported"] + totals["extracted"] > 0
    assert set(totals) >= {"sentences", "supported", "unsupported", "extracted", "refused_sections", "sources_used"}


def _sentences_with_numbers(record):
    for i, sec in enumerate(record["sections"]):
        for j, sent in enumerate(sec["sentences"]):
            if re.search(r"\d", sent["text"]):
                yield i, j, sent


def test_changing_a_number_in_any_sentence_is_flagged(hand_record):
    record_path, sample_corpus = hand_record
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
    cited = record["sources"][0]
    path = sample_corpus / cited["document"]
    text = path.read_text(encoding="utf-8")
    path.write_text(text.replace(cited["quote"], "Completely different text about gardening."), encoding="utf-8")
    code, output = _review(record_path, sample_corpus, "--format", "json")
    data = json.loads(output)
    assert code == 1 and any(s["document"] == cited["document"] for s in data["stale_sources"])
    path.unlink()
    code, output = _review(record_path, sample_corpus, "--format", "json")
    assert code == 1 and "missing" in json.dumps(json.loads(output)["stale_sources"])


def test_changed_number_in_source_fails_sentence_with_old_and_new(hand_record):
    record_path, corpus = hand_record
    path = corpus / "a.txt"
    path.write_text(HAND_TEXT.replace("50,000", "5,000"), encoding="utf-8")
    old_quote = "In 2023 the United States restricted exports of 50,000 advanced chips to China."
    new_quote = old_quote.replace("50,000", "5,000")

    code, output = _review(record_path, corpus, "--format", "json")
    data = json.loads(output)
    assert code == 1
    failed = [s for s in data["sentences"] if s["status"] == "unsupported"]
    assert [s["text"] for s in failed] == ["The United States restricted exports of 50,000 advanced chips to China in 2023."]
    assert failed[0]["checks"]["missing_numbers"] and failed[0]["quotes"] == [new_quote]
    note = " ".join(failed[0]["notes"])
    assert f"was “{old_quote}”" in note and f"now “{new_quote}”" in note
    assert [s["state"] for s in data["stale_sources"]] == ["changed"]
    assert data["stale_sources"][0]["new"]["text"] == new_quote
    assert [s["label"] for s in data["sentences"]] == ["unsupported", "extracted"]  # the other sentence still passes

    code, text = _review(record_path, corpus)
    flat = " ".join(text.split())
    assert code == 1 and "UNSUPPORTED The United States restricted exports of 50,000" in flat
    assert f"was “{old_quote}”, now “{new_quote}”" in flat


def test_prepended_line_is_moved_not_stale_hand(hand_record):
    record_path, corpus = hand_record
    (corpus / "a.txt").write_text("Editor's note: updated.\n" + HAND_TEXT, encoding="utf-8")
    code, output = _review(record_path, corpus, "--format", "json")
    data = json.loads(output)
    assert code == 0, output
    assert data["stale_sources"] == [] and [m["state"] for m in data["moved_sources"]] == ["moved", "moved"]
    assert data["moved_sources"][0]["new"]["start"] == data["moved_sources"][0]["old"]["start"] + 24


def test_edit_elsewhere_in_the_file_is_no_failure(hand_record):
    record_path, corpus = hand_record
    (corpus / "a.txt").write_text(HAND_TEXT.replace("further rules", "more rules"), encoding="utf-8")
    code, output = _review(record_path, corpus, "--format", "json")
    data = json.loads(output)
    assert code == 0 and data["stale_sources"] == []
    assert [m["id"] for m in data["moved_sources"]] == [2]  # the sentence after the edit shifted by 3 characters


def test_prepended_line_is_moved_not_stale(record_path, sample_corpus):
    record = json.loads(record_path.read_text())
    for doc in {s["document"] for s in record["sources"]}:
        path = sample_corpus / doc
        path.write_text("Editor's note: updated.\n" + path.read_text(encoding="utf-8"), encoding="utf-8")
    code, output = _review(record_path, sample_corpus, "--format", "json")
    data = json.loads(output)
    assert code == 0, output
    assert data["stale_sources"] == [] and len(data["moved_sources"]) == len(record["sources"])
    moved = data["moved_sources"][0]
    assert moved["state"] == "moved" and moved["new"]["start"] > moved["old"]["start"]
    assert moved["new"]["text"] == moved["old"]["text"]
    code, text = _review(record_path, sample_corpus)
    assert code == 0 and "moved source [" in text and "stale source [" not in text


def test_record_stores_absolute_corpus_and_review_works_elsewhere(record_path, sample_corpus, tmp_path, monkeypatch):
    record = json.loads(record_path.read_text())
    assert record["corpus"]["dir"] == str(sample_corpus.resolve())
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    monkeypatch.chdir(elsewhere)
    result = runner.invoke(app, ["review", str(record_path)])
    assert result.exit_code == 0, result.output
    assert "stale sources: 0" in result.output


def test_old_relative_record_resolves_beside_the_record(record_path, sample_corpus, tmp_path, monkeypatch):
    record = json.loads(record_path.read_text())
    record["corpus"]["dir"] = "corpus"  # as records before issue 10 stored it
    record_path.write_text(json.dumps(record))
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    monkeypatch.chdir(elsewhere)
    result = runner.invoke(app, ["review", str(record_path)])  # briefs/../corpus
    assert result.exit_code == 0, result.output
    result = runner.invoke(app, ["review", str(record_path), "--corpus", str(elsewhere)])
    assert result.exit_code == 1  # --corpus wins, and the sources are not there


def test_totals_use_the_shared_labels(record_path, sample_corpus):
    code, output = _review(record_path, sample_corpus, "--format", "json")
    data = json.loads(output)
    totals = data["totals"]
    assert totals["supported"] + totals["extracted"] + totals["unsupported"] == totals["sentences"]
    from briefer.render import sentence_label

    for s in data["sentences"]:
        assert s["label"] == sentence_label(s)
