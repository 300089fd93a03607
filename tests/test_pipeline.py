"""End-to-end pipeline with the fake model: record contract, bad model output, refusals."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from fakes import FakeLLM, copy_first_source, source_keys

from briefer.pipeline import generate
from briefer.prompts import CANNOT_ANSWER, NOT_COVERED_TEXT
from briefer.settings import load_settings


def _settings(corpus: Path, tmp_path: Path, **kw):
    return load_settings(corpus=corpus, out=tmp_path / "briefs", no_embeddings=True, **kw)


def _check_contract(record: dict, corpus: Path) -> None:
    ids = {s["id"] for s in record["sources"]}
    for key in ("topic", "title", "generated_at"):
        assert isinstance(record[key], str)
    assert set(record["model"]) >= {"path", "sha256"}
    for src in record["sources"]:
        text = (corpus / src["document"]).read_text(encoding="utf-8")
        assert text[src["start"]:src["end"]] == src["quote"], src
    for sec in record["sections"]:
        for sent in sec["sentences"]:
            assert sent["citations"], sent  # every memo sentence cites something
            assert set(sent["citations"]) <= ids
            assert sent["status"] == "supported"


def test_generate_with_faithful_model_writes_three_files(sample_corpus, tmp_path):
    llm = FakeLLM(default=copy_first_source)
    result = generate(_settings(sample_corpus, tmp_path), "export-controls", model=llm, embedder=None)
    names = sorted(p.name for p in result.paths)
    assert names == ["export-controls.html", "export-controls.json", "export-controls.md"]
    record = json.loads((tmp_path / "briefs" / "export-controls.json").read_text())
    assert len(record["sections"]) >= 5
    answered = [s for s in record["sections"] if s["status"] == "answered" and s.get("kind") != "key_points"]
    assert len(answered) >= 5 and all(s["sentences"] for s in answered)
    # The model copies its sources: every sentence is shown as the quote it is, none as prose.
    assert all(s["origin"] == "extracted" for sec in answered for s in sec["sentences"])
    _check_contract(record, sample_corpus)
    # provenance
    assert record["corpus"]["files"] and all(len(v) == 64 for v in record["corpus"]["files"].values())
    assert answered[0]["prompt"][0]["role"] == "system" and answered[0]["retrieved"]
    # every section's prompt starts with the same system message (KV cache reuse)
    assert len({json.dumps(p[0]) for p in llm.prompts}) == 1
    assert record["tokens"]["prompt_evaluated"] < record["tokens"]["prompt_sent"]


@pytest.mark.parametrize(
    "bad_answer",
    [
        "",  # empty
        "The EU fined Nvidia $9 billion in 1987 [K9ZZ].",  # invented fact, invented key
        "Tariffs reached 999% [1]. " * 6,  # loop of an invented number
        "Lorem ipsum dolor sit amet consectetur adipiscing elit.",  # garbage, no citation
        CANNOT_ANSWER,  # refuses although the corpus covers it
    ],
)
def test_bad_model_output_never_reaches_the_memo(sample_corpus, tmp_path, bad_answer):
    llm = FakeLLM(default=bad_answer)
    result = generate(_settings(sample_corpus, tmp_path), "export-controls", model=llm, embedder=None)
    record = result.record
    _check_contract(record, sample_corpus)
    texts = [s["text"] for sec in record["sections"] for s in sec["sentences"]]
    assert texts, "extractive fallback should still produce a memo"
    for bad in ("EU fined", "999%", "Lorem ipsum", "K9ZZ", CANNOT_ANSWER):
        assert not any(bad in t for t in texts)
    assert all(s["origin"] == "extracted" for sec in record["sections"] for s in sec["sentences"])
    md = (tmp_path / "briefs" / "export-controls.md").read_text()
    assert "999%" not in md and "Lorem" not in md


def test_invented_key_is_stripped_but_true_sentence_kept(sample_corpus, tmp_path):
    def answer(messages):
        key, text = next(iter(source_keys(messages).items()))
        said.append(text)
        return f"{text} [K9ZZ]"  # true sentence, wrong key: citation must be re-attached

    said: list[str] = []
    result = generate(_settings(sample_corpus, tmp_path), "export-controls", model=FakeLLM(default=answer), embedder=None)
    first = next(s for s in result.record["sections"] if s.get("kind") != "key_points")
    assert "K9ZZ" in first["invalid_keys"]
    # the copy is kept, cited by the source it copies (and shown as that quote)
    assert any(s["text"] in said and s["citations"] for s in first["sentences"])
    _check_contract(result.record, sample_corpus)


def test_off_corpus_question_is_refused_without_asking_the_model(sample_corpus, tmp_path):
    topic = tmp_path / "eu.toml"
    topic.write_text('title = "EU AI Act"\n[[sections]]\ntitle = "Penalties"\n'
                     'question = "What penalties does the EU AI Act set for providers of general-purpose models?"\n')
    llm = FakeLLM(default="The EU AI Act sets fines of 3% of turnover [K7QA].")
    result = generate(_settings(sample_corpus, tmp_path), str(topic), model=llm, embedder=None)
    section = result.record["sections"][0]
    assert section["status"] == "not_covered" and section["sentences"] == []
    assert result.record["sources"] == []
    assert NOT_COVERED_TEXT in (tmp_path / "briefs" / "eu.md").read_text()


def test_keep_unsupported_flags_instead_of_dropping(sample_corpus, tmp_path):
    llm = FakeLLM(default=lambda m: copy_first_source(m) + " Tariffs reached 999% in 1850.")
    settings = _settings(sample_corpus, tmp_path, keep_unsupported=True)
    result = generate(settings, "export-controls", model=llm, embedder=None)
    flagged = [s for sec in result.record["sections"] for s in sec["sentences"] if s["status"] == "unsupported"]
    assert flagged and all("999%" in s["text"] or "1850" in s["text"] for s in flagged)
    assert "999" in " ".join(flagged[0]["checks"]["missing_numbers"])
    html = (tmp_path / "briefs" / "export-controls.html").read_text()
    assert "label-unsupported" in html


def test_corpus_text_is_escaped_in_html(tmp_path):
    corpus = tmp_path / "c"
    corpus.mkdir()
    # The first line is the title; the second quotes as evidence (markup-bearing sentences are never
    # evidence: see textclean.evidence_problem), and its "<" and "&" must stay text.
    (corpus / "evil.txt").write_text(
        "Chip rules <script>window.pwned=1</script> <img src=x onerror=alert(1)>\n"
        "Export controls on AI chips were tightened by the Commerce Department in 2023, when shipments fell by < 5% & "
        "prices of the A100 and H100 rose.\n"
    )
    topic = tmp_path / "t.toml"
    topic.write_text('title = "T"\n[[sections]]\ntitle = "S"\nquestion = "What export controls on AI chips were tightened?"\n')
    result = generate(_settings(corpus, tmp_path), str(topic), model=FakeLLM(default=""), embedder=None)
    html = (tmp_path / "briefs" / "t.html").read_text()
    assert result.record["sources"], "the evil document should still be quoted"
    assert "<script>window" not in html and "<img src=x" not in html
    assert "&lt;script&gt;" in html and "fell by &lt; 5% &amp; prices" in html


def test_warnings_reach_the_caller_and_the_record(sample_corpus, tmp_path):
    (sample_corpus / "blob.bin").write_bytes(b"\x00\x01\x02" * 100)
    seen = []
    result = generate(_settings(sample_corpus, tmp_path), "export-controls", model=FakeLLM(default=""), embedder=None,
                      progress=lambda event, **info: seen.append((event, info)))
    assert any("blob.bin" in w for w in result.warnings)
    assert result.record["warnings"] == result.warnings
    assert ("warning", {"message": result.warnings[0]}) in seen
    assert [e for e, _ in seen].count("section") == len(result.record["sections"])
