"""The bench's metric code on a tiny hand-made setup (the bench itself never runs under pytest).

A two-document corpus, a hand-written record and facts whose right answers
are worked out by hand below, so every metric is checked against a value it
could miss.  Also checks that the shipped eval sets are consistent (every
gold fact is actually stated in its document), and that the Markdown report
renders from a results dict.
"""

from __future__ import annotations

import copy
import json
import sys
from pathlib import Path

import pytest

from briefer.textanalysis import split_sentences
from briefer.eval_sets import Fact, find_eval_dirs, load_eval_dir, load_facts
from briefer.evaluate import (
    alce_citations,
    fact_recall,
    number_check,
    numbers_in,
    quote_check,
    refusal_topic_toml,
    refused,
    retrieval_recall,
    verifier_judge,
)
from briefer.topics import parse_topic

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
            "eval-fetched", "eval-fetched2", "eval-fetched3", "eval-fetched4"} <= set(SHIPPED_EVAL_SETS)


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


def test_speed_breakdown_and_targets(monkeypatch):
    monkeypatch.syspath_prepend(str(ROOT / "bench"))
    from run import targets
    from speed import breakdown

    record = {"timings": {"model_load": 0.5, "index": 1.0, "retrieval": 0.5, "llm_prompt": 4.0,
                          "llm_generation": 12.0, "verification": 0.2},  # no "rendering": as written to disk
              "tokens": {"prompt_sent": 1000, "prompt_evaluated": 600, "generated": 240}}
    b = breakdown(record, 20.0)
    assert b["stages_s"]["rendering"] is None
    assert b["other_s"] == pytest.approx(20.0 - 18.2)
    assert b["llm_s"] == pytest.approx(16.0) and b["outside_llm_share"] == pytest.approx(0.2)
    assert b["prompt_evaluated_share"] == pytest.approx(0.6)
    assert b["prompt_tok_per_s"] == pytest.approx(150.0) and b["gen_tok_per_s"] == pytest.approx(20.0)
    rows = {r["goal"]: r for r in targets({"cold_warm_index": b, "warm": b, "render_subprocess": {"median_s": 0.4}})}
    assert rows["end to end ≤ 30 s cold (index already built)"]["met"] is True
    assert rows["time outside the LLM ≤ 10% of total (warm)"]["met"] is False
    assert rows["prompt tokens evaluated ≤ 50% of sent (warm)"]["met"] is False
    assert rows["`briefer render` ≤ 1 s (new process, median)"]["met"] is True
    assert rows["end to end ≤ 30 s cold (fresh home, index built)"]["met"] is None  # not measured


def test_run_proc_measures_the_child_not_the_parent(monkeypatch):
    """Peak RSS is the child's own (a parent-sized figure would make `briefer render` look like 500 MB)."""
    import os

    monkeypatch.syspath_prepend(str(ROOT / "bench"))
    from speed import run_proc

    ballast = bytearray(150 * 1024 * 1024)  # the parent is big ...
    ballast[::4096] = b"\1" * len(ballast[::4096])
    code = "b = bytearray(64 * 1024 * 1024); b[::4096] = b'\\1' * len(b[::4096]); import time; time.sleep(0.2); print('ok')"
    p = run_proc([sys.executable, "-c", code], dict(os.environ), 60)
    assert p.rc == 0 and p.stdout.strip() == "ok"
    assert 64 <= p.max_rss_mb < 140  # ... the child is not
    slow = run_proc([sys.executable, "-c", "import time; time.sleep(30)"], dict(os.environ), 0.3)
    assert slow.timed_out and slow.rc != 0 and slow.wall_s < 10
    del ballast


def test_judge_sheet_pairs_each_cited_sentence_with_its_quotes_and_scores_the_verdicts(monkeypatch):
    """bench/judge.py: the independent judge's sheet and score (no code shared with the verifier)."""
    monkeypatch.syspath_prepend(str(ROOT / "bench"))
    from judge import score, sheet_rows

    record = {"sources": [{"id": 1, "quote": "Tariffs rose to 25% in May.", "document": "a.txt"},
                          {"id": 2, "quote": "Exports fell.", "document": "b.txt"}],
              "sections": [{"title": "S", "sentences": [
                  {"text": "Tariffs reached 25% in May.", "citations": [1], "origin": "model"},
                  {"text": "Exports fell.", "citations": [2], "origin": "extracted"},
                  {"text": "Nothing cited here.", "citations": [], "origin": "model"}]}]}
    rows = sheet_rows(record, "m")
    assert [(r["sentence"], r["quotes"], r["origin"]) for r in rows] == [
        ("Tariffs reached 25% in May.", ["Tariffs rose to 25% in May."], "model"),
        ("Exports fell.", ["Exports fell."], "extracted")]
    assert score(rows)["all"]["judged"] == 0  # nothing judged yet
    rows[0]["verdict"], rows[1]["verdict"] = "unsupported", "supported"
    assert score(rows)["m"] == {"sentences": 2, "judged": 2, "supported": 1, "model_judged": 1, "model_supported": 0}


def test_review_counts_each_category_for_quotes_and_model_sentences(monkeypatch, tmp_path):
    """bench/review.py: an analyst's keep rate from a reviewer's categories; an unknown category is an error."""
    monkeypatch.syspath_prepend(str(ROOT / "bench"))
    from review import load, score, table

    rows = [{"memo": "m", "section": "S", "cite": 1, "quoted": True, "category": "finding"},
            {"memo": "m", "section": "S", "cite": 2, "quoted": True, "category": "vacuous"},
            {"memo": "m", "section": "S", "cite": 3, "quoted": False, "category": "finding"},
            {"memo": "n", "section": "T", "cite": 1, "quoted": False, "category": "repeat"}]
    path = tmp_path / "r.jsonl"
    path.write_text("\n".join(json.dumps(r) for r in rows) + "\n", encoding="utf-8")
    scores = score(load([path]))
    assert scores["m"] == {"sentences": 3, "finding": 2, "vacuous": 1, "quoted": 2, "quoted_findings": 1,
                           "model": 1, "model_findings": 1}
    assert scores["all"]["sentences"] == 4 and scores["all"]["repeat"] == 1 and scores["all"]["model_findings"] == 1
    assert "| n | 1 | 0 | 0 | 0 | 0 | 0 | 0 | 1 | 0/0 | 0/1 |" in table(scores)
    path.write_text(json.dumps({**rows[0], "category": "good"}) + "\n", encoding="utf-8")
    with pytest.raises(SystemExit, match="unknown category 'good'"):
        load([path])


def test_key_points_replay_puts_them_back_chooses_again_and_reads_the_review(monkeypatch, tmp_path, capsys):
    """bench/key_points.py: a record's Key points go back to the sections that cite their evidence,
    are chosen again by briefer's own ``lead_findings``, and get the review's category for that memo."""
    monkeypatch.syspath_prepend(str(ROOT / "bench"))
    import key_points

    def sent(text, key):
        return {"text": text, "citations": [1], "keys": [key], "status": "supported", "origin": "model"}

    figure = "Chip export controls cut Nvidia's China sales by 20% in 2023."
    record = {"title": "Chip export controls", "description": "US chip export controls on China", "topic": "t",
              "sections": [
                  {"kind": "key_points", "title": "Key points", "status": "answered", "evidence": ["KA1", "KB1"],
                   "sentences": [sent("Chip export controls on China were widened by Washington.", "KA1"),
                                 sent("Chip export controls on China hit firms.", "KB1")]},
                  {"title": "A", "status": "answered", "evidence": ["KA1", "KA2"], "sentences": [sent(figure, "KA2")]},
                  {"title": "B", "status": "answered", "evidence": ["KB1", "KB2"], "sentences": [sent("Other.", "KB2")]}]}
    back = key_points.restored(record)
    assert [len(s["sentences"]) for s in back] == [2, 2] and len(record["sections"][1]["sentences"]) == 1
    memo = tmp_path / "eval-x" / "t.json"
    memo.parent.mkdir()
    memo.write_text(json.dumps(record), encoding="utf-8")
    review = tmp_path / "review"
    review.mkdir()
    (review / "eval-x.jsonl").write_text(json.dumps({"memo": "eval-x", "sentence": figure, "category": "finding"})
                                         + "\n", encoding="utf-8")
    monkeypatch.setattr(key_points, "load_embedder", lambda settings: None)  # centrality by shared words
    monkeypatch.setattr(sys, "argv", ["key_points.py", str(review), str(memo)])
    key_points.main()
    out = capsys.readouterr().out
    assert "eval-x: finding, ?" in out and out.strip().endswith("all: finding 1, ? 1")


def test_own_words_sorts_each_answer_sentence_by_what_became_of_it(monkeypatch):
    """bench/own_words.py: the model's answer, parsed as the pipeline parses it, against the sources in its prompt."""
    monkeypatch.syspath_prepend(str(ROOT / "bench"))
    from own_words import classify

    prompt = ("Question: What happened?\n\n"
              "[KAB] According to the council, drivers will pay a daily charge of 9.50 from March 2026.\n"
              "[KCD] The charge covers the whole of the harbour district.\n"
              "[KEF] Traffic in the zone fell by 18 percent during the pilot.")
    answer = ("KAB: Drivers will pay a daily charge.\n"
              "KCD: The charge covers the whole of the harbour district.\n"
              "KEF: During the pilot, traffic in the zone fell by 18 percent.\n"
              "KZZ: Something citing no source.")
    record = {"sections": [{"model_output": answer, "prompt": [{"role": "user", "content": prompt}], "sentences": []},
                           {"model_output": None, "prompt": None, "sentences": []}]}
    counts = classify(record)
    assert counts == {"figures dropped": 1, "copy": 1, "kept": 1, "other": 1}


def test_answer_variants_change_only_the_instruction(monkeypatch):
    """bench/answer_variants.py compares instructions on the same prompts: the system prompt, worked
    example, question and sources must reach the model unchanged, under the pipeline's answer cap."""
    monkeypatch.syspath_prepend(str(ROOT / "bench"))
    from answer_variants import VARIANTS, replay, vary
    from own_words import classify

    from briefer.answer import build_messages, system_prompt
    from briefer.llm import ChatResult
    from briefer.schema import Evidence

    source = "On March 3, the council voted 31 to 12 to approve a congestion charge for the harbour district."
    evidence = [Evidence(key="KQX", document="a.txt", title="A", start=0, end=len(source), text=source),
                Evidence(key="KRW", document="a.txt", title="A", start=200, end=230, text="Shops fear fewer customers.")]
    shipped = build_messages(system_prompt("Memo", "a minister"), "What did the council decide?", evidence)
    short = vary(shipped, "short")
    assert short[:-1] == shipped[:-1] and vary(shipped, "shipped") == shipped
    assert short[-1]["content"].startswith(shipped[-1]["content"].split("For each source")[0])
    assert short[-1]["content"].endswith(VARIANTS["short"]) and "[KQX] " + source in short[-1]["content"]

    class Fake:
        def chat_many(self, chats, *, max_tokens, temperature, seed):
            self.seen = (chats, max_tokens)
            return [ChatResult(text="KQX: The council approved a charge for the harbour district by 31 votes to 12 "
                                    "on March 3.", finish_reason="stop") for _ in chats]

    record = {"settings": {"max_tokens": None},
              "sections": [{"prompt": shipped, "model_output": "KQX: " + source, "sentences": []}]}
    fake = Fake()
    out = replay(fake, record, "short")
    assert fake.seen == ([short], 160)  # compose.answer_cap: 2 sources x 40 tokens, at least 160
    assert record["sections"][0]["model_output"] == "KQX: " + source  # the kept record is not touched
    assert classify(record)["copy"] == 1 and classify(out)["kept"] == 1
