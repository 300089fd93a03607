"""Embedding throughput: chunk-sized (~130 words) and sentence-sized (~20 words) texts.

    python bench/embed_bench.py                       # default embedder and settings
    python bench/embed_bench.py --threads 1           # fixed thread count
    python bench/embed_bench.py --sweep               # also: one text per decode, and other pack budgets
    python bench/embed_bench.py --before              # also: the previous embedder (f16, one text per decode)
    python bench/embed_bench.py --embed-model PATH    # another GGUF embedding model

Texts are real English: the sample corpus's sentences, reshuffled (seeded) into
distinct ~130-word chunks, and its 12-30-word sentences.  Each configuration
embeds every text once after a short warm-up; the output is texts per second
and, for the non-default configurations, the lowest cosine between their
vectors and the default's (so a faster setting that changes results shows it).
CPU milliseconds per text (process CPU time / texts) are printed too: with
``--threads 1`` they do not depend on what else the machine runs (one thread
never spins), so ``1000 / cpu_ms x cores`` bounds what an idle machine can do.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import re
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))


def corpus_sentences() -> list[str]:
    text = " ".join(p.read_text(encoding="utf-8") for p in sorted((ROOT / "corpus").glob("*.txt")))
    text = " ".join(text.split())
    return [s for s in re.split(r"(?<=[.!?])\s+(?=[A-Z\"“])", text) if len(s.split()) >= 4]


def make_texts(n_chunks: int, n_sentences: int, seed: int = 7) -> tuple[list[str], list[str]]:
    sentences = corpus_sentences()
    rng = random.Random(seed)
    chunks = []
    while len(chunks) < n_chunks:
        rng.shuffle(sentences)
        words: list[str] = []
        for s in sentences:
            words += s.split()
            if len(words) >= 130:
                chunks.append(" ".join(words[:140]))
                words = []
                if len(chunks) == n_chunks:
                    break
    short = [s for s in sentences if 12 <= len(s.split()) <= 30]
    rng.shuffle(short)
    # Past the corpus's own sentences, repeats get a number so every text is distinct.
    picked = [s if i < len(short) else f"{s} ({i})" for i, s in ((i, short[i % len(short)]) for i in range(n_sentences))]
    return chunks, picked


def rate(embedder, texts: list[str]) -> tuple[float, float, object]:
    """(texts per wall second, CPU milliseconds per text, vectors)."""
    embedder.embed(texts[:4])  # warm-up: first decode allocates buffers
    c, t = sum(os.times()[:2]), time.perf_counter()
    vecs = embedder.embed(texts)
    wall, cpu = time.perf_counter() - t, sum(os.times()[:2]) - c
    return len(texts) / wall, 1000 * cpu / len(texts), vecs


def parse_args() -> argparse.Namespace:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--threads", type=int, default=None, help="llama.cpp threads (default: as briefer chooses)")
    ap.add_argument("--chunks", type=int, default=128, help="chunk-sized texts (default 128)")
    ap.add_argument("--sentences", type=int, default=512, help="sentence-sized texts (default 512)")
    ap.add_argument("--embed-model", type=Path, default=None, help="GGUF embedding model (default: converted MiniLM)")
    ap.add_argument("--sweep", action="store_true", help="also measure one text per decode and other pack budgets")
    ap.add_argument("--pack", type=int, nargs="*", default=[64, 128, 512], help="pack budgets for --sweep")
    ap.add_argument("--before", action="store_true",
                    help="also measure the previous embedder: f16 weights, no flash attention, one text per decode")
    ap.add_argument("--json", action="store_true", help="print the figures as JSON")
    return ap.parse_args()


def configs(args: argparse.Namespace, settings: object) -> list[tuple[str, object]]:
    """(label, pack) for each configuration, the default first: the others' vectors are
    compared with its.  ``pack`` is None for the default, a token budget (1: one text per
    decode), or ("before", path) for the previous embedder, whose f16 model is converted
    once and kept beside the default model."""
    from briefer.embed import Embedder

    out: list[tuple[str, object]] = [("default (pack %d tokens)" % Embedder.PACK_TOKENS, None)]
    if args.sweep:
        out += [("one text per decode", 1)] + [(f"pack {p} tokens", p) for p in args.pack if p != Embedder.PACK_TOKENS]
    if args.before:
        from briefer.embed_convert import _convert_bert, _package_model_dir

        f16 = Path(settings.model_folder) / "all-MiniLM-L6-v2.f16.bench.gguf"
        if not f16.exists():
            f16.parent.mkdir(parents=True, exist_ok=True)
            _convert_bert(_package_model_dir(), f16, weights="f16")
        out.append(("before: f16, 1 text/decode", ("before", f16)))
    return out


def measure(label: str, pack: object, path: Path, threads: int, texts: dict[str, list[str]], base: dict) -> dict:
    """One configuration's row, printed as it comes.  The default's vectors are stored in
    ``base``; every other configuration reports its lowest cosine against them."""
    import numpy as np

    from briefer.embed import Embedder

    if isinstance(pack, tuple):
        emb = Embedder(pack[1], n_threads=threads, pack_tokens=1, flash_attn=False)
    else:
        emb = Embedder(Path(path), n_threads=threads, pack_tokens=pack)
    row = {"config": label, "threads": threads}
    for kind, xs in texts.items():
        per_s, cpu_ms, vecs = rate(emb, xs)
        row[f"{kind}_per_s"] = round(per_s, 1)
        row[f"{kind}_cpu_ms"] = round(cpu_ms, 1)
        if pack is None:
            base[kind] = vecs
        else:
            row[f"{kind}_min_cosine"] = round(float(np.min(np.sum(vecs * base[kind], axis=1))), 6)
    extra = ""
    if "chunks_min_cosine" in row:  # a packed variant, compared with the default's vectors
        extra = f", min cosine vs default {min(row['chunks_min_cosine'], row['sentences_min_cosine'])}"
    print(f"{label:28s} chunks/s {row['chunks_per_s']:7.1f} ({row['chunks_cpu_ms']:.0f} CPU ms each)   "
          f"sentences/s {row['sentences_per_s']:7.1f} ({row['sentences_cpu_ms']:.1f} CPU ms each){extra}", flush=True)
    return row


def main() -> None:
    args = parse_args()

    from briefer.embed import prepare_default_embedder
    from briefer.settings import load_settings

    settings = load_settings(threads=args.threads)
    threads = settings.effective_threads
    path = args.embed_model or prepare_default_embedder(settings.model_folder)
    chunks, sentences = make_texts(args.chunks, args.sentences)
    words = lambda xs: sum(len(x.split()) for x in xs) / len(xs)  # noqa: E731
    load = os.getloadavg()[0]
    print(f"model {Path(path).name}, {threads} threads, load {load:.2f}; "
          f"{len(chunks)} chunks of {words(chunks):.0f} words, {len(sentences)} sentences of {words(sentences):.0f} words")
    texts = {"chunks": chunks, "sentences": sentences}
    base: dict[str, object] = {}
    # Each Embedder is freed when measure returns, before the next one is loaded.
    results = [measure(label, pack, path, threads, texts, base) for label, pack in configs(args, settings)]
    if args.json:
        print(json.dumps({"load": load, "model": str(path), "results": results}, indent=2))


if __name__ == "__main__":
    main()
