"""Does llama.cpp's prompt-lookup decoding speed up a memo? Replays a record's prompts both ways.

    python bench/prompt_lookup.py RECORD.json [--sections 3] [--threads 2]

A memo's answers restate their sources, which is what prompt-lookup decoding
(``llama_cpp.llama_speculative.LlamaPromptLookupDecoding``) exploits: draft
tokens are copied from the prompt and verified in one batch.  The script
replays the first ``--sections`` prompts of the record through the record's
model without a draft model, then with drafts of 10 and 4 tokens, and prints
the seconds and whether the outputs equal the plain run's.  llama-cpp-python
0.3.36 needs ``logits_all=True`` for drafting (without it, generation fails
with a numpy broadcast error), so the drafted runs pay for every prompt
token's logits too.
"""

from __future__ import annotations

import argparse
import json
import time

from llama_cpp import Llama
from llama_cpp.llama_speculative import LlamaPromptLookupDecoding

REPEAT_PENALTY = 1.15  # as in briefer/llm.py


def replay(record: dict, prompts: list, threads: int, draft: int | None) -> tuple[float, list[str]]:
    settings = record["settings"]
    llm = Llama(model_path=record["model"]["path"], n_ctx=settings["n_ctx"], n_threads=threads, n_threads_batch=threads,
                verbose=False, logits_all=draft is not None,
                draft_model=LlamaPromptLookupDecoding(num_pred_tokens=draft) if draft else None)
    t = time.perf_counter()
    outs = [llm.create_chat_completion(p, max_tokens=settings["max_tokens"], temperature=0.0, seed=settings["seed"],
                                       repeat_penalty=REPEAT_PENALTY)["choices"][0]["message"]["content"] for p in prompts]
    return time.perf_counter() - t, outs


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("record")
    ap.add_argument("--sections", type=int, default=3)
    ap.add_argument("--threads", type=int, default=2)
    args = ap.parse_args()
    record = json.loads(open(args.record, encoding="utf-8").read())
    prompts = [s["prompt"] for s in record["sections"] if s.get("prompt")][: args.sections]
    base_s, base = replay(record, prompts, args.threads, None)
    print(f"| draft tokens | seconds for {len(prompts)} sections | same output as without |")
    print("|---|---|---|")
    print(f"| none | {base_s:.1f} | – |")
    for n in (10, 4):
        secs, outs = replay(record, prompts, args.threads, n)
        print(f"| {n} | {secs:.1f} | {'yes' if outs == base else 'no'} |")


if __name__ == "__main__":
    main()
