"""Index and retrieval bench: store comparison, scale, recall.

    python bench/index_bench.py --compare-stores          # LlamaIndex JSON stores vs our SQLite store, 10k chunks
    python bench/index_bench.py --scale 10000 100000      # build, re-index, load, query latency, memory
    python bench/index_bench.py --recall                  # recall@1/@3 for bm25, dense, hybrid (real embedder)

Results are merged into ``bench/results/index-bench.json`` (one key per part,
so the parts can be run separately) and rendered to ``index-bench.md``.

Synthetic corpora: 1,000 text files of pseudo-words drawn from a Zipf
distribution over a 40k-word vocabulary, sized so the splitter yields about
10 or 100 chunks per file.  Vectors come from a fake 384-d embedder (random
unit vectors seeded by the text) so the store and the matrix have their real
size while the figures exclude embedding compute; the real embedder's rate is
measured on a sample and the full cost extrapolated from it (said so in the
output).  Each scale runs in its own process, so its peak RSS is its own.

The corpus, fake embedders and queries are in ``index_synthetic.py`` (shared
with ``scale_bench.py``, so their figures are for the same data), the store
comparison in ``index_stores.py`` and the Markdown page in ``index_report.py``.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))
from index_report import to_markdown  # noqa: E402
from index_stores import compare_stores  # noqa: E402
from index_synthetic import FILES, RandomEmbedder, dir_mb, make_corpus, peak_rss_mb, percentiles, zipf_queries  # noqa: E402

RESULTS = ROOT / "bench" / "results"


def rounded(d: dict) -> dict:
    return {k: round(v, 3) for k, v in d.items()}


# ----------------------------------------------------------------------------- scale
def one_scale(chunks: int, work: Path, baseline: bool) -> dict:
    """All scale figures for one size (run in a fresh process, so its peak RSS is its own)."""
    from briefer.index import CorpusIndex

    corpus = make_corpus(work / f"corpus-{chunks}", max(1, chunks // FILES))
    home = work / f"home-{chunks}"
    shutil.rmtree(home, ignore_errors=True)
    emb = RandomEmbedder()
    out = _build_figures(home, corpus, emb)
    idx = CorpusIndex(home, corpus, emb)
    out["index_mb"] = {"sqlite": round(sum(f.stat().st_size for f in idx.root.glob("index.sqlite*")) / 1e6, 1),
                       "snapshot": round(sum(dir_mb(p) for p in idx.root.glob("*-*") if p.is_dir()), 1)}
    t = time.perf_counter()
    noop = idx.refresh()
    out["refresh_nothing_changed_s"] = round(time.perf_counter() - t, 3)
    out["refresh_nothing_changed_timings"] = rounded(noop.timings)
    out.update(_reindex_one_file(home, corpus, emb))
    r = _query_latency(home, corpus, emb, out)
    out["peak_rss_mb"] = peak_rss_mb()  # before the baseline below, which holds every chunk's tokens
    if baseline:
        out["old_full_bm25s_rebuild"] = _old_bm25s_rebuild(r.index.db)
    return out


def _build_figures(home: Path, corpus: Path, emb: RandomEmbedder) -> dict:
    """The full build from an empty home, and its rate without the (fake) embedding."""
    from briefer.index import CorpusIndex

    t = time.perf_counter()
    report = CorpusIndex(home, corpus, emb).refresh()
    build = time.perf_counter() - t
    n = report.chunks
    out: dict = {"chunks": n, "files": len(report.added)}
    no_embed = build - report.timings["embed"]
    out["build"] = {"seconds": round(build, 2), "timings": rounded(report.timings),
                    "chunks_per_s_excluding_embedding": round(n / no_embed, 1),
                    "note": "fake embedder; 'embed' = its calls + committing 384-d vectors to SQLite"}
    return out


def _reindex_one_file(home: Path, corpus: Path, emb: RandomEmbedder) -> dict:
    """One changed file, two ways: a sentence appended (only its last chunk is new) and
    every sentence reworded (all its chunks are new: the worst case for one file).
    The file is put back and re-indexed afterwards, so a rerun finds the generated corpus."""
    from briefer.index import CorpusIndex

    out: dict = {}
    target = corpus / "doc0500.txt"
    original = target.read_text(encoding="utf-8")
    edits = {"appended_sentence": original + "\nA freshly added closing sentence about bench quotas.\n",
             "rewritten": original.replace(".", " revised.")}
    try:
        for name, text in edits.items():
            target.write_text(text, encoding="utf-8")
            t = time.perf_counter()
            inc = CorpusIndex(home, corpus, emb).refresh()
            out[f"reindex_one_changed_file_{name}"] = {
                "seconds": round(time.perf_counter() - t, 3), "embedded": inc.embedded,
                "seconds_excluding_fake_embedding": round(time.perf_counter() - t - inc.timings["embed"], 3),
                "timings": rounded(inc.timings), "summary": inc.summary()}
    finally:
        target.write_text(original, encoding="utf-8")
        CorpusIndex(home, corpus, emb).refresh()  # back to the generated corpus for a rerun
    return out


def _query_latency(home: Path, corpus: Path, emb: RandomEmbedder, out: dict) -> object:
    """Retriever load time and BM25 / hybrid query latency, added to ``out``; returns the
    Retriever (the baseline reads the chunks from its index)."""
    from briefer.index import CorpusIndex
    from briefer.retrieval import Retriever

    t = time.perf_counter()
    r = Retriever(CorpusIndex(home, corpus, emb), emb)
    out["retriever_load_s"] = round(time.perf_counter() - t, 4)
    queries = zipf_queries(200)
    qvecs = emb.embed(queries)
    for q, v in zip(queries[:5], qvecs[:5]):  # warm up (page in the memory-mapped arrays)
        r.search(q, 6, mode="hybrid", query_vector=v)
    for mode in ("bm25", "hybrid"):
        times = []
        for q, v in zip(queries, qvecs):
            t = time.perf_counter()
            hits = r.search(q, 6, mode=mode, query_vector=v if mode == "hybrid" else None)
            times.append(time.perf_counter() - t)
            assert hits, q
        out[f"query_{mode}"] = percentiles(times)
    out["query_note"] = "k=6 as in generate; excludes embedding the query (hybrid gets a precomputed vector); includes reading hit texts"
    return r


def _old_bm25s_rebuild(db: object) -> dict:
    """What every index change cost before the incremental postings: re-tokenise every
    chunk and rebuild bm25s's index from scratch."""
    import bm25s

    from briefer.textanalysis import terms

    doc_text = {p: t for p, t in db.execute("SELECT path, text FROM documents")}
    texts = [doc_text[p][s:e] for p, s, e in db.execute("SELECT path, start, end FROM chunks")]
    t = time.perf_counter()
    tokens = [terms(x) for x in texts]
    tok = time.perf_counter() - t
    t = time.perf_counter()
    bm25s.BM25().index(tokens, show_progress=False)
    return {"tokenize_s": round(tok, 2), "bm25s_index_s": round(time.perf_counter() - t, 2),
            "note": "what every change cost before: re-tokenise all chunks + bm25s.index"}


def embed_rate(sample: int, work: Path) -> dict:
    """The real embedder's chunks/s, measured on real English chunks (the sample
    corpus and bench/eval-extra, cycled up to ``sample``): pseudo-words split into
    many more word pieces and would understate the rate."""
    from briefer.chunking import chunk_spans
    from briefer.pipeline import load_embedder
    from briefer.settings import load_settings

    settings = load_settings(home=work / "embed-home")
    emb = load_embedder(settings)
    if emb is None:
        return {"unavailable": "default embedder could not be prepared"}
    texts: list[str] = []
    for f in sorted((ROOT / "corpus").glob("0*.txt")) + sorted((ROOT / "bench/eval-extra/corpus").glob("*.txt")):
        text = f.read_text(encoding="utf-8")
        texts += [text[s:e] for s, e in chunk_spans(text)]
    texts = (texts * (sample // len(texts) + 1))[:sample]
    emb.embed(texts[:2])
    t = time.perf_counter()
    emb.embed(texts)
    secs = time.perf_counter() - t
    return {"sample_chunks": len(texts), "seconds": round(secs, 2), "chunks_per_s": round(len(texts) / secs, 2),
            "threads": settings.effective_threads, "text": "real English chunks (sample corpus + eval-extra), cycled"}


# ----------------------------------------------------------------------------- recall
def recall(work: Path) -> dict:
    """Recall@1/@3 per retrieval mode on the labelled probes with the real embedder: the
    synthetic corpus has no right answers, so recall is measured on the real sample corpora."""
    from briefer.evaluate import load_probes, retrieval_recall
    from briefer.index import CorpusIndex
    from briefer.pipeline import load_embedder
    from briefer.retrieval import Retriever
    from briefer.settings import load_settings

    emb = load_embedder(load_settings(home=work / "embed-home"))
    sets = {"public (bench/eval, sample corpus)": (ROOT / "bench/eval/retrieval.jsonl", ROOT / "corpus"),
            "own (tests/fixtures/sample-probes.jsonl, sample corpus)": (ROOT / "tests/fixtures/sample-probes.jsonl", ROOT / "corpus"),
            "eval-extra (its own corpus)": (ROOT / "bench/eval-extra/retrieval.jsonl", ROOT / "bench/eval-extra/corpus")}
    out: dict = {"embedder": getattr(emb, "model_id", None)}
    for name, (probes_path, corpus) in sets.items():
        if not probes_path.is_file():
            continue
        idx = CorpusIndex(work / "recall-home", corpus, emb)
        idx.refresh()
        r = Retriever(idx, emb)
        probes = load_probes(probes_path)
        out[name] = {}
        for mode in ("bm25", "dense", "hybrid"):
            if mode != "bm25" and not r.dense:
                out[name][mode] = "no embedder"
                continue
            res = retrieval_recall(lambda q, k, m=mode: [p.document for p in r.search(q, k, mode=m)], probes)
            out[name][mode] = {"recall@1": res["recall@1"], "recall@3": res["recall@3"], "probes": res["probes"],
                               "misses@1": [p["query"] for p in res["per_probe"] if p["top"][:1] != [p["gold"]]]}
    return out


def main(argv: list[str] | None = None) -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--compare-stores", action="store_true")
    ap.add_argument("--scale", type=int, nargs="*", help="chunk counts, e.g. 10000 100000")
    ap.add_argument("--recall", action="store_true")
    ap.add_argument("--embed-sample", type=int, default=256, help="chunks embedded to measure the real embedder's rate")
    ap.add_argument("--no-baseline", action="store_true", help="skip timing the old full bm25s rebuild")
    ap.add_argument("--work", type=Path, default=Path("/tmp/briefer-index-bench"))
    ap.add_argument("--results", type=Path, default=RESULTS, help="folder for index-bench.json/.md")
    ap.add_argument("--one-scale", type=int, help=argparse.SUPPRESS)
    args = ap.parse_args(argv)
    args.work.mkdir(parents=True, exist_ok=True)
    if args.one_scale:
        print(json.dumps(one_scale(args.one_scale, args.work, not args.no_baseline)))
        return
    path = args.results / "index-bench.json"
    res = json.loads(path.read_text()) if path.is_file() else {}
    command = "python bench/index_bench.py " + " ".join(sys.argv[1:] if argv is None else argv)
    res["machine"] = {"cpus": os.cpu_count(), "load_avg_at_start": [round(x, 2) for x in os.getloadavg()]}
    if args.compare_stores:
        res["compare_stores"] = {**compare_stores(args.work), "command": command}
    if args.scale:
        rate = res["embed_rate"] = embed_rate(args.embed_sample, args.work)
        for size in args.scale:
            load = [round(x, 2) for x in os.getloadavg()]
            cmd = [sys.executable, __file__, "--one-scale", str(size), "--work", str(args.work)] + (["--no-baseline"] if args.no_baseline else [])
            s = json.loads(subprocess.run(cmd, check=True, capture_output=True, text=True).stdout)
            s.update(command=command, load_before=load)
            if "chunks_per_s" in rate:
                t_emb = s["chunks"] / rate["chunks_per_s"]
                s["build_with_real_embedder"] = (f"{s['build']['seconds'] - s['build']['timings']['embed'] + t_emb:.0f} s "
                                                 f"(extrapolated from {rate['sample_chunks']} chunks at {rate['chunks_per_s']} chunks/s)")
            res.setdefault("scale", {})[str(size)] = s
    if args.recall:
        res["recall"] = {**recall(args.work), "command": command}
    args.results.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(res, indent=2) + "\n")
    md = to_markdown(res)
    (args.results / "index-bench.md").write_text(md + "\n")
    print(md)


if __name__ == "__main__":
    main()
