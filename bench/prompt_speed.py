"""How fast raw llama-cpp-python reads a prompt and writes tokens with the default model, and
with the same weights requantized (Q4_0, Q8_0) or flash attention on.

Why: the cold-memo target is bounded by prompt reading (about 3,000 evidence tokens per memo);
this says what the cores allow before any briefer code runs.  The requantized copies are written
to a temporary folder and deleted; requantizing an already quantized model loses a little quality,
so they are measured for speed only.

    python bench/prompt_speed.py [--model NAME_OR_PATH] [--threads 2] [--no-requantize]
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

FTYPES = {"q4_0": 2, "q8_0": 7}  # llama.cpp's LLAMA_FTYPE_MOSTLY_* values


def measure(llama_cpp, path: Path, threads: int, flash: bool) -> dict:
    """Prompt tokens/s over 1,024 tokens, then over 512 more, and tokens/s writing 64 one at a time."""
    llm = llama_cpp.Llama(model_path=str(path), n_ctx=4096, n_threads=threads, n_threads_batch=threads,
                          n_batch=512, n_ubatch=512, flash_attn=flash, verbose=False)
    toks = llm.tokenize(("The council approved the charge after a long debate on its costs. " * 400).encode())[:1600]
    t0 = time.perf_counter()
    llm.eval(toks[:1024])
    t1 = time.perf_counter()
    llm.eval(toks[1024:1536])
    t2 = time.perf_counter()
    for tok in toks[1536:1600]:
        llm.eval([tok])
    t3 = time.perf_counter()
    del llm
    return {"prompt_tok_s": round(1024 / (t1 - t0), 1), "prompt_tok_s_at_1024": round(512 / (t2 - t1), 1),
            "write_tok_s": round(64 / (t3 - t2), 1)}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--model", default=None, help="a model name or GGUF path [default: briefer's default model]")
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--no-requantize", action="store_true")
    args = ap.parse_args()
    import llama_cpp

    from briefer.llm import resolve_model_path

    path = Path(resolve_model_path(args.model))
    rows = [("as shipped", path, False), ("as shipped, flash attention", path, True)]
    with tempfile.TemporaryDirectory() as tmp:
        if not args.no_requantize:
            for name, ftype in FTYPES.items():
                params = llama_cpp.llama_model_quantize_default_params()
                params.ftype, params.allow_requantize, params.nthread = ftype, True, args.threads
                out = Path(tmp) / f"{name}.gguf"
                if llama_cpp.llama_model_quantize(str(path).encode(), str(out).encode(), params) == 0:
                    rows.append((f"requantized to {name.upper()}", out, False))
        print(f"model {path.name}, {args.threads} threads")
        print("| weights | prompt tok/s (1,024) | prompt tok/s (512 more) | write tok/s (one at a time) |")
        print("|---|---|---|---|")
        for label, p, flash in rows:
            m = measure(llama_cpp, p, args.threads, flash)
            print(f"| {label} | {m['prompt_tok_s']} | {m['prompt_tok_s_at_1024']} | {m['write_tok_s']} |", flush=True)


if __name__ == "__main__":
    main()
