"""The bench's metric code on a tiny hand-made setup (the bench itself never runs under pytest).

A two-document corpus, a hand-written record and facts whose right answers
are worked out by hand below, so every metric is checked against a value it
could miss.  Also checks that the Markdown report renders from a results dict.
"""

from __future__ import annotations

import copy
import json
from pathlib import Path

import pytest

from briefer.eval_sets import Fact, load_eval_dir, load_facts
from briefer.evaluate import (
    alce_citations,
    fact_recall,
    number_check,
    numbers_in,
    quote_check,
    retrieval_recall,
    verifier_judge,
)

ROOT = Path(__file__).resolve().parent.parent

TARIFFS = ("Trade war\nTariffs on Chinese goods rose to 145% in April, the highest level of the trade war.\n"
           "Nvidia and AMD said the export restrictions would cost them billions in lost sales.\n")
ENTITY = ("Entity list\nIn 2019 the Commerce Department placed Huawei on the entity list over security concerns.\n"
          "The rule requires a license for any US firm that sells chips to a listed company.\n")


def _src(sid: int, doc: str, text: str, quote: str) -> dict:
    start = text.index(quote)
    return {"id": sid, "key": f"K{sid}", "document": doc, "title": doc, "quote": quote, "start": start,
            "end": start + len(quote)}


@pytest.fixture()
def setup(tmp_path):
    corpus = tmp_path / "corpus"
    corpus.mkdir()
    (corpus / "tariffs.txt").write_text(TARIFFS, encoding="utf-8")
    (corpus / "entity.txt").write_text(ENTITY, encoding="utf-8")
    q_tariff = "Tariffs on Chinese goods rose to 145% in April, the highest level of the trade war."
    q_amd = "Nvidia and AMD said the export restrictions would cost them billions in lost sales."
    q_huawei = "In 2019 the Commerce Department placed Huawei on the entity list over security concerns."
    q_license = "The rule requires a license for any US firm that sells chips to a listed company."
    record = {
        "topic": "t", "title": "T", "generated_at": "2025-01-01T00:00:00+00:00", "model": {"path": "m", "sha256": "0"},
        "sources": [_src(1, "tariffs.txt", TARIFFS, q_tariff), _src(2, "tariffs.txt", TARIFFS, q_amd),
                    _src(3, "entity.txt", ENTITY, q_huawei), _src(4, "entity.txt", ENTITY, q_license)],
        "sections": [
            {"title": "Trade", "question": "q", "status": "answered", "sentences": [
                # supported, one citation
                {"text": "Tariffs on Chinese goods rose to 145% in April, the highest level of the trade war.",
                 "citations": [1]},
                # supported by [2]; [4] is irrelevant (fails alone, [2] alone still supports)
                {"text": "Nvidia and AMD said the export restrictions would cost them billions in lost sales.",
                 "citations": [2, 4]},
            ]},
            {"title": "Background", "question": "q", "status": "answered", "sentences": [
                # states the entity-list fact but cites the wrong document
                {"text": "In 2019 the Commerce Department placed Huawei on the entity list over security concerns.",
                 "citations": [1]},
                # no citation at all
                {"text": "The rule requires a license for any US firm that sells chips to a listed company.",
                 "citations": []},
            ]},
        ],
    }
    facts = [
        Fact("tariffs-145", "tariffs.txt", (("145 percent",), ("145%",))),
        Fact("nvidia-amd", "tariffs.txt", (("Nvidia", "AMD"),)),
        Fact("entity-2019", "entity.txt", (("2019", "entity list"),)),
        Fact("never-said", "entity.txt", (("Huawei", "Ascend"),)),
    ]
    return corpus, record, facts


def test_fact_recall_and_attribution(setup):
    _, record, facts = setup
    res = fact_recall(record, facts)
    # 4 facts; 3 stated in some sentence; 2 of them with the right document cited.
    assert (res["facts"], res["stated"], res["stated_and_cited"]) == (4, 3, 2)
    assert res["recall"] == pytest.approx(0.5)
    assert res["attribution_accuracy"] == pytest.approx(2 / 3)
    assert res["missed"] == ["entity-2019", "never-said"]
    # Case-insensitive: a lower-cased sentence still states the fact.
    low = copy.deepcopy(record)
    low["sections"][0]["sentences"][1]["text"] = low["sections"][0]["sentences"][1]["text"].lower()
    assert fact_recall(low, facts)["stated_and_cited"] == 2


def test_alce_with_verifier_judge(setup):
    _, record, _ = setup
    res = alce_citations(record)
    # Sentences: supported, supported, supported-by-wrong-doc? (no: [1] is about tariffs), uncited.
    assert res["sentences"] == 4 and res["uncited_sentences"] == 1
    assert res["citation_recall"] == pytest.approx(2 / 4)
    # Citations: [1] ok, [2] ok, [4] irrelevant, [1] on an unsupported sentence -> 2 correct of 4.
    assert res["citations"] == 4
    assert res["citation_precision"] == pytest.approx(2 / 4)
    irrelevant = [f for f in res["failures"] if f["irrelevant_citations"]]
    assert [f["irrelevant_citations"] for f in irrelevant] == [[4]]


def test_alce_needed_citations_are_not_irrelevant(setup):
    """A sentence fusing two sources: each citation fails alone, but neither can be removed."""
    _, record, _ = setup
    calls = []

    def judge(sentence, quotes):  # supported only with both halves
        calls.append(len(quotes))
        return len(quotes) == 2

    one = copy.deepcopy(record)
    one["sections"] = [{"title": "x", "question": "q", "sentences": [{"text": "fused", "citations": [1, 3]}]}]
    res = alce_citations(one, judge)
    assert res["citation_recall"] == 1.0 and res["citation_precision"] == 1.0
    assert calls == [2, 1, 1, 1, 1]  # joint, then for each citation: alone, and the rest without it


def test_verifier_judge_is_the_verifier():
    q = "Tariffs on Chinese goods rose to 145% in April, the highest level of the trade war."
    assert verifier_judge(q, [q])
    assert not verifier_judge(q.replace("145%", "245%"), [q])


def test_number_check_catches_a_changed_number(setup):
    _, record, _ = setup
    assert numbers_in("Tariffs hit 145% on 1,200 goods; the A100 and H20 chips in 2019.") == {"145", "1200", "100", "20", "2019"}
    res = number_check(record)
    # "145%" is in its quote; "2019" is not in the tariffs quote that the entity-list sentence cites.
    assert res["sentences_with_numbers"] == 2 and res["ok"] == 1 and not res["all_ok"]
    assert [f["missing"] for f in res["failures"]] == [["2019"]]
    fixed = copy.deepcopy(record)
    fixed["sections"][1]["sentences"][0]["citations"] = [3]
    assert number_check(fixed)["all_ok"]
    bad = copy.deepcopy(fixed)
    bad["sections"][0]["sentences"][0]["text"] = bad["sections"][0]["sentences"][0]["text"].replace("145%", "154%")
    res = number_check(bad)
    assert not res["all_ok"] and res["ok"] == 1
    assert res["failures"][0]["missing"] == ["154"]
    # The verifier-based ALCE judge agrees the changed sentence is unsupported.
    assert alce_citations(fixed)["citation_recall"] == pytest.approx(3 / 4)
    assert alce_citations(bad)["citation_recall"] == pytest.approx(2 / 4)


def test_quote_check_offsets(setup):
    corpus, record, _ = setup
    res = quote_check(record, corpus)
    assert res == {"sources": 4, "ok": 4, "unchecked": 0, "all_ok": True, "failures": []}
    shifted = copy.deepcopy(record)
    shifted["sources"][2]["start"] += 1
    shifted["sources"][2]["end"] += 1
    res = quote_check(shifted, corpus)
    assert res["ok"] == 3 and [f["id"] for f in res["failures"]] == [3]
    (corpus / "entity.txt").write_text(ENTITY.replace("2019", "2020"), encoding="utf-8")  # file changed
    assert [f["id"] for f in quote_check(record, corpus)["failures"]] == [3]
    (corpus / "tariffs.txt").unlink()  # file gone
    assert {f["id"] for f in quote_check(record, corpus)["failures"]} == {1, 2, 3}


def test_quote_check_leaves_a_hard_wrapped_text_file_unchecked(setup):
    """Its offsets index the re-joined paragraphs (like a PDF's extracted text), not the file's bytes."""
    corpus, record, _ = setup
    wrapped = "".join(f"Line {i} of a policy paragraph that the author wrapped at a fixed\nwidth and " for i in range(8))
    doc = record["sources"][0]["document"]
    (corpus / doc).write_text(wrapped + "it ends here.\n", encoding="utf-8")
    res = quote_check(record, corpus)
    assert res["unchecked"] == sum(s["document"] == doc for s in record["sources"]) > 0
    assert doc not in {f["document"] for f in res["failures"]}


def test_twin_documents_count_for_facts_and_probes(tmp_path, setup):
    """A fact or probe may list twins (the same report as PDF and Markdown): citing or finding any counts."""
    from briefer.errors import ConfigError

    _, record, _ = setup
    f = tmp_path / "t.facts.json"
    f.write_text(json.dumps({"facts": [
        {"id": "plain", "document": "other.pdf", "any_of": [["145%"]]},
        {"id": "twin", "document": "other.pdf", "documents": ["tariffs.txt"], "any_of": [["145%"]]}]}),
        encoding="utf-8")
    facts = load_facts(f).facts
    assert facts[1].all_documents == ("other.pdf", "tariffs.txt") and facts[0].all_documents == ("other.pdf",)
    res = fact_recall(record, facts)
    assert res["missed"] == ["plain"] and res["stated_and_cited"] == 1
    (tmp_path / "retrieval.jsonl").write_text('{"query": "q", "document": "a.pdf", "documents": ["a.md"]}\n'
                                              '{"query": "r", "document": "a.pdf"}\n', encoding="utf-8")
    ev = load_eval_dir(tmp_path, tmp_path)
    assert ev.probes[1] == {"query": "r", "document": "a.pdf"}
    assert retrieval_recall(lambda q, k: ["a.md"][:k], ev.probes)["recall@1"] == pytest.approx(0.5)
    bad = tmp_path / "bad.facts.json"
    bad.write_text(json.dumps({"facts": [{"id": "a", "document": "d", "documents": "d.md", "any_of": [["x"]]}]}),
                   encoding="utf-8")
    with pytest.raises(ConfigError, match="documents"):
        load_facts(bad)


def test_markdown_report_renders(setup, monkeypatch):
    monkeypatch.syspath_prepend(str(ROOT / "bench"))
    from report import to_markdown

    _, record, facts = setup
    stages = dict.fromkeys(("model_load", "index", "retrieval", "llm_prompt", "llm_generation", "verification"), 1.0)
    run = {"wall_s": 10.0, "stages_s": {**stages, "rendering": None}, "other_s": 4.0, "outside_llm_share": 0.8,
           "max_rss_mb": 500.0, "tokens": {"prompt_sent": 100, "prompt_evaluated": 40, "generated": 10},
           "prompt_evaluated_share": 0.4, "prompt_tok_per_s": 40.0, "gen_tok_per_s": 10.0}
    res = {"started": "now", "threads": 2, "model": {"name": "m.gguf", "sha256": "ab" * 32},
           "machine": {"cpu_model": "cpu", "physical_cores": 2, "logical_cpus": 2, "ram_gb": 8, "os": "linux",
                       "python": "3.11", "llama_cpp_python": "0.3", "briefer": "0.1", "git_commit": "abc",
                       "loadavg_start": [1.0, 1.0, 1.0]},
           "speed": {"cold_warm_index": run, "warm": run},
           "targets": [{"goal": "render ≤ 1 s", "measured": "0.5 s", "met": True}],
           "quality": [{"eval_dir": "bench/x", "memos": [{"topic": "t", "sections": 2, "answered_sections": 2,
                                                         "sentences": 4, "extracted_sentences": 0,
                                                         "facts": fact_recall(record, facts),
                                                         "alce": alce_citations(record),
                                                         "numbers": number_check(record),
                                                         "quotes": {"ok": 4, "sources": 4}}],
                        "retrieval": {"dense": {"unavailable": "no embedder"},
                                      "bm25": {"recall@1": 0.5, "recall@3": 1.0, "probes": 2}}}]}
    md = to_markdown(res)
    assert "| t | 2/4 (50%) | 67% | 50% | 50% | 1/2 | 4/4 |" in md
    assert "| dense | unavailable | unavailable |" in md
    assert "| render ≤ 1 s | 0.5 s | ✅ |" in md
