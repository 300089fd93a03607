"""Replay a memo's prompts straight through llama-cpp-python: the baseline briefer is compared with.

Imports nothing from briefer on purpose (run as its own process by bench/run.py),
so the figures are what llama.cpp alone costs for the same prompts, in the same
order (so KV-cache prefix reuse happens exactly as in briefer), with the same
model, context size, threads, GPU layers, sampling settings and seed.  A memo made
with ``BRIEFER_COPY_GUARD`` is replayed with the guard (``briefer/paraphrase.py``,
numpy only, loaded by its path) as llama-cpp-python's ``logits_processor``, so
both sides generate the same answers.

Usage: python bench/raw_replay.py RECORD.json --repeat-penalty 1.15 > out.json
"""

from __future__ import annotations

import argparse
import importlib.util
import json
import sys
import time
from pathlib import Path


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("record")
    ap.add_argument("--repeat-penalty", type=float, required=True)
    args = ap.parse_args()
    with open(args.record, encoding="utf-8") as fh:
        record = json.load(fh)
    s = record["settings"]
    prompts = [(sec["title"], sec["prompt"], sec.get("model_output")) for sec in record["sections"] if sec.get("prompt")]

    t0 = time.perf_counter()
    import llama_cpp

    # The module alone, by its path: importing the package would run briefer's OpenMP settings.
    spec = importlib.util.spec_from_file_location("paraphrase", Path(__file__).resolve().parent.parent / "briefer" / "paraphrase.py")
    paraphrase = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(paraphrase)

    llm = llama_cpp.Llama(model_path=record["model"]["path"], n_ctx=s["n_ctx"], n_threads=s["threads"],
                          n_threads_batch=s["threads"], n_gpu_layers=s["gpu_layers"], seed=s["seed"], verbose=False)
    guard = s.get("copy_guard", False)
    forms = guard and paraphrase.WordForms.of_model(llm)
    load_s = time.perf_counter() - t0
    calls = []
    for title, messages, recorded in prompts:
        llama_cpp.llama_perf_context_reset(llm.ctx)  # counters are cumulative otherwise
        t = time.perf_counter()
        out = llm.create_chat_completion(messages=messages, max_tokens=s["max_tokens"], temperature=s["temperature"],
                                         seed=s["seed"], repeat_penalty=args.repeat_penalty,
                                         logits_processor=llama_cpp.LogitsProcessorList([paraphrase.GuardProcessor(forms)])
                                         if guard else None)
        wall = time.perf_counter() - t
        perf = llama_cpp.llama_perf_context(llm.ctx)
        text = out["choices"][0]["message"].get("content") or ""
        calls.append({"section": title, "wall_s": wall, "prompt_s": perf.t_p_eval_ms / 1000.0,
                      "generation_s": max(0.0, wall - perf.t_p_eval_ms / 1000.0),
                      "prompt_tokens": out["usage"]["prompt_tokens"], "prompt_evaluated": int(perf.n_p_eval),
                      "generated": out["usage"]["completion_tokens"], "matches_record": text == recorded})
    total = time.perf_counter() - t0
    json.dump({"model_load_s": load_s, "total_s": total, "calls": calls,
               "llama_cpp_python": llama_cpp.__version__}, sys.stdout)


if __name__ == "__main__":
    main()
