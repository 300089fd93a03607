"""Turn the bench's results dict into the Markdown summary (bench/results/latest.md)."""

from __future__ import annotations

from typing import Any


def _f(x: Any, fmt: str = ".1f", unit: str = "") -> str:
    if x is None:
        return "–"
    if isinstance(x, bool):
        return "yes" if x else "no"
    if isinstance(x, (int, float)):
        return f"{x:{fmt}}{unit}"
    return str(x)


def _pct(x: Any) -> str:
    return "–" if x is None else f"{100 * x:.0f}%"


def _table(head: list[str], rows: list[list[str]]) -> list[str]:
    out = ["| " + " | ".join(head) + " |", "|" + "|".join("---" for _ in head) + "|"]
    out += ["| " + " | ".join(r) + " |" for r in rows]
    return out + [""]


def _speed_rows(speed: dict) -> list[list[str]]:
    rows = []
    labels = [("cold_fresh_home", "cold: new process, fresh BRIEFER_HOME (index built)"),
              ("cold_warm_index", "cold: new process, index already built"),
              ("warm", "warm: 2nd memo in one process, model loaded")]
    for key, label in labels:
        r = speed.get(key)
        if not r:
            continue
        if "error" in r:
            rows.append([label, f"failed: {r['error']}"] + [""] * 10)
            continue
        st = r["stages_s"]
        rows.append([label, _f(r["wall_s"])] + [_f(st[k], ".2f") for k in
                    ("model_load", "index", "retrieval", "llm_prompt", "llm_generation", "verification", "rendering")]
                    + [_f(r["other_s"], ".2f"), _pct(r["outside_llm_share"]), _f(r.get("max_rss_mb"), ".0f")])
    raw = speed.get("raw")
    if raw and "error" not in raw:
        rows.append(["raw llama-cpp-python replay (same prompts)", _f(raw["total_s"]), _f(raw["model_load_s"], ".2f"),
                     "", "", _f(raw["prompt_s"], ".2f"), _f(raw["generation_s"], ".2f"), "", "", "", "",
                     _f(raw.get("max_rss_mb"), ".0f")])
    return rows


def _header(res: dict) -> list[str]:
    m, model = res["machine"], res.get("model", {})
    return [f"# briefer bench — {res['started']}", "",
             f"Machine: {m['cpu_model']}, {m['physical_cores']} physical cores / {m['logical_cpus']} logical, "
             f"{m['ram_gb']} GB RAM, {m['os']}, Python {m['python']}, llama-cpp-python {m['llama_cpp_python']}, "
             f"briefer {m['briefer']} ({m['git_commit']}). Load average at start {m['loadavg_start'][0]:.2f}, "
             f"at end {_f(res.get('loadavg_end', [None])[0], '.2f')} (the machine is shared; timings are noisy).",
             f"Model: `{model.get('name')}` sha256 `{str(model.get('sha256'))[:16]}…`, threads {res.get('threads')}, "
             f"bench wall time {_f(res.get('bench_seconds'), '.0f')} s"
             + (f", OpenMP env {m['omp_env']}" if m.get("omp_env") else "") + ".", ""]


def _speed_section(speed: dict) -> list[str]:
    """The timing table, the token table, the ratio to the raw replay and the render figures."""
    lines: list[str] = []
    if any(k in speed for k in ("cold_fresh_home", "cold_warm_index", "warm")):
        lines += ["## Speed: `briefer generate --topic export-controls` (seconds)", ""]
        lines += _table(["run", "wall", "model load", "index", "retrieval", "LLM prompt", "LLM gen", "verify",
                         "render", "other", "outside LLM", "peak RSS MB"], _speed_rows(speed))
        tok_rows = []
        for key in ("cold_warm_index", "warm"):
            r = speed.get(key)
            if r and "tokens" in r:
                t = r["tokens"]
                tok_rows.append([key, str(t["prompt_sent"]), str(t["prompt_evaluated"]), _pct(r["prompt_evaluated_share"]),
                                 str(t["generated"]), str(t.get("copied", "")), _f(r["prompt_tok_per_s"]),
                                 _f(r["gen_tok_per_s"])])
        raw = speed.get("raw")
        if raw and "error" not in raw:
            tok_rows.append(["raw replay", str(raw["prompt_tokens"]), str(raw["prompt_evaluated"]),
                             _pct(raw["prompt_evaluated"] / raw["prompt_tokens"] if raw["prompt_tokens"] else None),
                             str(raw["generated"]), "0", _f(raw["prompt_tok_per_s"]), _f(raw["gen_tok_per_s"])])
        lines += ["Tokens (*of generated, fed from the prompt* counts a copied line's tail, fast-forwarded by "
                  "`briefer/batchgen.py`):", ""]
        lines += _table(["run", "prompt sent", "prompt evaluated", "evaluated share", "generated",
                         "of generated, fed from the prompt", "prompt tok/s", "gen tok/s"], tok_rows)
        ratio = speed.get("ratio_briefer_over_raw")
        if ratio:
            lines += [f"briefer / raw: LLM calls {_f(ratio['llm_calls'], '.2f')}×, warm memo wall vs raw calls "
                      f"{_f(ratio['memo_wall_vs_raw_calls'], '.2f')}×; raw outputs identical to the record's: "
                      f"{raw['calls_matching']}/{len(raw['calls'])}.", ""]
        if "embedder_conversion_s" in speed:
            lines += [f"One-time MiniLM → GGUF conversion (part of the fresh-home index time): "
                      f"{_f(speed['embedder_conversion_s'], '.1f')} s.", ""]
        rs, ri = speed.get("render_subprocess", {}), speed.get("render_in_process", {})
        lines += [f"`briefer render` from a record: new process median {_f(rs.get('median_s'), '.2f')} s "
                  f"(peak RSS {_f(rs.get('max_rss_mb'), '.0f')} MB); in-process median {_f(ri.get('median_s'), '.3f')} s "
                  f"(first call {_f(ri.get('first_s'), '.3f')} s).", "",
                  f"Cold and warm memos identical (text and citations): {_f(speed.get('cold_equals_warm'))}.", ""]
    return lines


def _quality_section(q: dict) -> list[str]:
    """One eval set: its memos' scores, its refusals and its retrieval probes."""
    lines = [f"## Quality: `{q['eval_dir']}`", ""]
    rows, notes = [], []
    for memo in q.get("memos", []):
        if "error" in memo:
            rows.append([memo["topic"], f"failed: {memo['error']}"] + [""] * 7)
            continue
        f, a, n, qu = memo["facts"], memo["alce"], memo["numbers"], memo["quotes"]
        rows.append([memo["topic"], f"{f['stated_and_cited']}/{f['facts']} ({_pct(f['recall'])})",
                     _pct(f["attribution_accuracy"]), _pct(a["citation_recall"]), _pct(a["citation_precision"]),
                     f"{n['ok']}/{n['sentences_with_numbers']}", f"{qu['ok']}/{qu['sources']}",
                     f"{memo['answered_sections']}/{memo['sections']} ({memo['sentences']} sent., "
                     f"{memo['extracted_sentences']} extracted)",
                     ", ".join(f["missed"]) or "none"])
        if memo.get("not_covered_sections"):
            notes.append(f"{memo['topic']}: sections answered \"not covered\": {', '.join(memo['not_covered_sections'])}.")
    if rows:
        lines += _table(["topic", "fact recall", "attribution acc.", "citation recall (ALCE)",
                         "citation precision (ALCE)", "numbers in quotes", "quotes at offsets",
                         "answered sections", "missed facts"], rows) + notes + ([""] if notes else [])
    ref = q.get("refusals")
    if ref and ref.get("questions"):
        lines += [f"Refusals: {ref['refused']}/{ref['questions']} off-corpus questions answered \"not covered\"."]
        lines += [f"- {'✅' if r['refused'] else '❌'} {r['question']}" for r in ref["per_question"]] + [""]
    ret = q.get("retrieval")
    if ret:
        rr = [[mode, "unavailable", "unavailable"] if "unavailable" in r else [mode, _pct(r["recall@1"]), _pct(r["recall@3"])]
              for mode, r in ret.items()]
        lines += [f"Retrieval ({next(iter(ret.values())).get('probes', '?')} probes):", ""]
        lines += _table(["mode", "recall@1", "recall@3"], rr)
    return lines


def to_markdown(res: dict) -> str:
    lines = _header(res) + _speed_section(res.get("speed", {}))
    if res.get("targets"):
        lines += ["## Targets", ""]
        lines += _table(["goal", "measured", "met"],
                        [[t["goal"], t["measured"], "✅" if t["met"] else ("❌" if t["met"] is False else "–")]
                         for t in res["targets"]])
    if res.get("quality"):
        lines += ["Quality judges: fact recall is a string rule on gold facts; the ALCE citation figures use "
                  "`briefer.claims.check_sentence`, **the same code as the pipeline's verifier** (so they are near "
                  "100% by construction); *numbers in quotes* and *quotes at offsets* share no code with the "
                  "verifier.", ""]
    for q in res.get("quality", []):
        lines += _quality_section(q)
    if res.get("notes"):
        lines += ["## Notes", ""] + [f"- {n}" for n in res["notes"]] + [""]
    return "\n".join(lines)
