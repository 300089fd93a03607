"""The shipped eval sets and what the bench reads from them: refusal questions, probes, gold facts, entailment pairs."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from briefer.textanalysis import split_sentences
from briefer.eval_sets import find_eval_dirs, load_eval_dir, load_facts
from briefer.evaluate import refusal_topic_toml, refused, retrieval_recall
from briefer.topics import parse_topic

ROOT = Path(__file__).resolve().parent.parent


def test_refusal_helpers(tmp_path):
    path = tmp_path / "q.toml"
    question = 'What did the "EU AI Act" set — fines?'
    path.write_text(refusal_topic_toml(question), encoding="utf-8")
    topic = parse_topic(path)
    assert [s.question for s in topic.sections] == [question]
    assert refused({"sections": [{"status": "not_covered", "sentences": []}]})
    assert not refused({"sections": [{"status": "answered", "sentences": [{"text": "x"}]}]})


def test_retrieval_recall():
    ranking = {"a": ["d1.txt", "d2.txt", "d3.txt"], "b": ["d2.txt", "d2.txt", "d1.txt"], "c": ["d3.txt"] * 3}
    probes = [{"query": "a", "document": "d1.txt"}, {"query": "b", "document": "d1.txt"},
              {"query": "c", "document": "d1.txt"}]
    res = retrieval_recall(lambda q, k: ranking[q][:k], probes)
    assert res["recall@1"] == pytest.approx(1 / 3) and res["recall@3"] == pytest.approx(2 / 3)


SHIPPED_EVAL_SETS = [p.name for p in find_eval_dirs(ROOT / "bench")]


def test_every_shipped_eval_set_is_found():
    """The benches take :func:`find_eval_dirs`' list; a set it misses is never measured."""
    assert {"eval", "eval-extra", "eval-sample-analyst", "eval-crs-trade", "eval-crs-security", "eval-crs-tech",
            "eval-fetched", "eval-fetched2", "eval-fetched3", "eval-fetched4", "eval-fetched5", "eval-fetched6"} <= set(SHIPPED_EVAL_SETS)


def _flat(text: str) -> str:
    return " ".join(text.split()).lower()


@pytest.mark.parametrize("name", SHIPPED_EVAL_SETS)
def test_shipped_eval_sets_are_consistent(name):
    """Every gold fact is stated in one sentence of its document *and of each twin*, as briefer
    extracts them (PDF, HTML, ...; whitespace runs folded, since PDF lines break mid-sentence),
    and every probe names real files."""
    from briefer.corpus import load_corpus

    ev = load_eval_dir(ROOT / "bench" / name, ROOT / "corpus")
    assert ev.fact_sets and ev.probes
    texts = {d.path: d.text for d in load_corpus(ev.corpus)[0]}
    for fs in ev.fact_sets:
        assert fs.off_corpus_questions
        for fact in fs.facts:
            for doc in fact.all_documents:
                assert doc in texts, (fact.id, doc)
                sentences = [_flat(s) for s in split_sentences(texts[doc])]
                assert any(all(_flat(s) in sent for s in g) for sent in sentences for g in fact.any_of), (fact, doc)
    for p in ev.probes:
        for doc in (p["document"], *p.get("documents", ())):
            assert doc in texts, doc
    if ev.template_dir:
        for fs in ev.fact_sets:
            assert parse_topic(ev.template_dir / "topics" / f"{fs.topic}.toml").sections


def test_entailment_pairs_are_well_formed():
    """bench/entailment/pairs.jsonl: labelled (evidence, claim) pairs, both labels, every corruption kind."""
    kinds = {"paraphrase", "swapped_roles", "changed_number", "changed_actor", "modality", "negation",
             "unsupported_addition"}
    path = ROOT / "bench" / "entailment" / "pairs.jsonl"
    rows = [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]
    assert len(rows) >= 60
    for r in rows:
        assert r["evidence"].strip() and r["claim"].strip() and r["claim"] != r["evidence"]
        assert isinstance(r["label"], bool) and r["kind"] in kinds
        assert r["label"] == (r["kind"] == "paraphrase")
    assert {r["kind"] for r in rows} == kinds
    sample = {p.name: p.read_text(encoding="utf-8") for p in (ROOT / "corpus").glob("*.txt")}
    for r in rows:  # evidence from the sample articles is verbatim
        if r["source"].startswith("corpus/"):
            assert r["evidence"] in sample[r["source"].removeprefix("corpus/")]


def test_bad_facts_file_is_one_clear_error(tmp_path):
    from briefer.errors import ConfigError

    bad = tmp_path / "x.facts.json"
    bad.write_text(json.dumps({"facts": [{"id": "a", "document": "d"}]}), encoding="utf-8")
    with pytest.raises(ConfigError, match="any_of"):
        load_facts(bad)
    with pytest.raises(ConfigError, match="not found"):
        load_eval_dir(tmp_path / "missing", tmp_path)
