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
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import resource
import shutil
import subprocess
import sys
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
RESULTS = ROOT / "bench" / "results"
WORDS_PER_CHUNK = 136  # CHUNK_WORDS minus the overlap: the splitter's stride
FILES = 1000
DIM = 384


class RandomEmbedder:
    """Unit vectors seeded by the text: real sizes, no compute worth measuring."""

    model_id = "bench-random-384"

    def embed(self, texts: list[str]) -> np.ndarray:
        out = np.empty((len(texts), DIM), dtype=np.float32)
        for i, text in enumerate(texts):
            seed = int.from_bytes(hashlib.blake2b(text.encode(), digest_size=8).digest(), "little")
            out[i] = np.random.default_rng(seed).standard_normal(DIM)
        return out / np.linalg.norm(out, axis=1, keepdims=True)


def pseudo_vocab(rng: np.random.Generator, size: int = 40_000) -> list[str]:
    """Letters-only words of 2-4 consonant-vowel syllables (never a stopword, never stemmed)."""
    syll = [c + v for c in "bcdfghjklmnprtvwz" for v in "aeiou"]
    words: set[str] = set()
    while len(words) < size:
        n = int(rng.integers(2, 5))
        words.add("".join(syll[i] for i in rng.integers(0, len(syll), n)))
    return sorted(words)


def make_corpus(folder: Path, chunks_per_file: int, seed: int = 7) -> Path:
    """1,000 files of Zipf-distributed pseudo-text; reused when already there."""
    done = folder / ".complete"
    if done.exists():
        return folder
    shutil.rmtree(folder, ignore_errors=True)
    folder.mkdir(parents=True)
    rng = np.random.default_rng(seed)
    vocab = np.array(pseudo_vocab(rng))
    p = 1.0 / np.arange(1, len(vocab) + 1) ** 1.07
    p /= p.sum()
    for f in range(FILES):
        words = vocab[rng.choice(len(vocab), size=chunks_per_file * WORDS_PER_CHUNK, p=p)]
        sentences, pos = [], 0
        while pos < len(words):
            n = int(rng.integers(8, 25))
            sent = words[pos:pos + n]
            sentences.append(sent[0].capitalize() + " " + " ".join(sent[1:]) + ".")
            pos += n
        paragraphs = [" ".join(sentences[i:i + 5]) for i in range(0, len(sentences), 5)]
        (folder / f"doc{f:04d}.txt").write_text("\n\n".join(paragraphs) + "\n", encoding="utf-8")
    done.write_text("ok")
    return folder


def percentiles(xs: list[float]) -> dict:
    arr = np.array(xs) * 1000
    return {"p50_ms": round(float(np.percentile(arr, 50)), 2), "p95_ms": round(float(np.percentile(arr, 95)), 2),
            "max_ms": round(float(arr.max()), 2), "queries": len(xs)}


def peak_rss_mb() -> float:
    """This process's peak RSS.  VmHWM, not ru_maxrss: Linux carries ru_maxrss over
    fork and exec, so a child started by a big parent would report the parent's peak."""
    try:
        for line in Path("/proc/self/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                return round(int(line.split()[1]) / 1024, 1)
    except OSError:
        pass
    return round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1)


def dir_mb(path: Path) -> float:
    return round(sum(f.stat().st_size for f in path.rglob("*") if f.is_file()) / 1e6, 1)


def rounded(d: dict) -> dict:
    return {k: round(v, 3) for k, v in d.items()}


# ----------------------------------------------------------------------------- scale
def one_scale(chunks: int, work: Path, baseline: bool) -> dict:
    """All scale figures for one size (run in a fresh process)."""
    from briefer.textanalysis import terms
    from briefer.index import CorpusIndex
    from briefer.retrieval import Retriever

    corpus = make_corpus(work / f"corpus-{chunks}", max(1, chunks // FILES))
    home = work / f"home-{chunks}"
    shutil.rmtree(home, ignore_errors=True)
    emb = RandomEmbedder()
    t = time.perf_counter()
    report = CorpusIndex(home, corpus, emb).refresh()
    build = time.perf_counter() - t
    n = report.chunks
    out: dict = {"chunks": n, "files": len(report.added)}
    no_embed = build - report.timings["embed"]
    out["build"] = {"seconds": round(build, 2), "timings": rounded(report.timings),
                    "chunks_per_s_excluding_embedding": round(n / no_embed, 1),
                    "note": "fake embedder; 'embed' = its calls + committing 384-d vectors to SQLite"}
    idx = CorpusIndex(home, corpus, emb)
    out["index_mb"] = {"sqlite": round(sum(f.stat().st_size for f in idx.root.glob("index.sqlite*")) / 1e6, 1),
                       "snapshot": round(sum(dir_mb(p) for p in idx.root.glob("*-*") if p.is_dir()), 1)}
    t = time.perf_counter()
    noop = idx.refresh()
    out["refresh_nothing_changed_s"] = round(time.perf_counter() - t, 3)
    out["refresh_nothing_changed_timings"] = rounded(noop.timings)

    # One changed file, two ways: a sentence appended (only its last chunk is new) and
    # every sentence reworded (all its chunks are new: the worst case for one file).
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

    t = time.perf_counter()
    r = Retriever(CorpusIndex(home, corpus, emb), emb)
    out["retriever_load_s"] = round(time.perf_counter() - t, 4)
    rng = np.random.default_rng(3)
    vocab = pseudo_vocab(np.random.default_rng(7))
    p = 1.0 / np.arange(1, len(vocab) + 1) ** 1.07
    queries = [" ".join(vocab[i] for i in rng.choice(len(vocab), size=int(rng.integers(3, 9)), p=p / p.sum()))
               for _ in range(200)]
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
    out["peak_rss_mb"] = peak_rss_mb()  # before the baseline below, which holds every chunk's tokens
    if baseline:
        texts: list[str] = []
        db = r.index.db
        doc_text = {p: t for p, t in db.execute("SELECT path, text FROM documents")}
        texts = [doc_text[p][s:e] for p, s, e in db.execute("SELECT path, start, end FROM chunks")]
        import bm25s

        t = time.perf_counter()
        tokens = [terms(x) for x in texts]
        tok = time.perf_counter() - t
        t = time.perf_counter()
        bm25s.BM25().index(tokens, show_progress=False)
        out["old_full_bm25s_rebuild"] = {"tokenize_s": round(tok, 2), "bm25s_index_s": round(time.perf_counter() - t, 2),
                                         "note": "what every change cost before: re-tokenise all chunks + bm25s.index"}
    return out


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


# ----------------------------------------------------------------------------- stores
def compare_stores(work: Path, chunks: int = 10_000) -> dict:
    """LlamaIndex SimpleDocumentStore + SimpleVectorStore (JSON) vs our SQLite store, after a 1-file change."""
    from llama_index.core import StorageContext
    from llama_index.core.schema import NodeRelationship, RelatedNodeInfo, TextNode
    from llama_index.core.storage.docstore import SimpleDocumentStore
    from llama_index.core.vector_stores import SimpleVectorStore

    from briefer.index import CorpusIndex
    from briefer.retrieval import Retriever

    corpus = make_corpus(work / f"corpus-{chunks}", max(1, chunks // FILES))
    emb = RandomEmbedder()
    home = work / "stores-home"
    shutil.rmtree(home, ignore_errors=True)
    idx = CorpusIndex(home, corpus, emb)
    idx.refresh()
    rows = idx.db.execute("SELECT c.id, c.path, c.start, c.end, d.text FROM chunks c JOIN documents d ON d.path = c.path").fetchall()
    vec_of = dict(zip((r[0] for r in rows), emb.embed([t[s:e] for _, _, s, e, t in rows])))

    def node(cid: str, path: str, text: str) -> TextNode:
        return TextNode(id_=cid, text=text, embedding=vec_of[cid].tolist(),
                        relationships={NodeRelationship.SOURCE: RelatedNodeInfo(node_id=path)})

    nodes = [node(cid, p, t[s:e]) for cid, p, s, e, t in rows]
    docstore, vstore = SimpleDocumentStore(), SimpleVectorStore()
    docstore.add_documents(nodes)
    vstore.add(nodes)
    li_dir = work / "llamaindex-store"
    shutil.rmtree(li_dir, ignore_errors=True)
    ctx = StorageContext.from_defaults(docstore=docstore, vector_store=vstore)
    t = time.perf_counter()
    ctx.persist(str(li_dir))
    li_first = time.perf_counter() - t
    # the 1-file change: drop one file's nodes, add its new version, persist
    changed = "doc0500.txt"
    old = [n for n in nodes if n.ref_doc_id == changed]
    t = time.perf_counter()
    for n in old:
        docstore.delete_document(n.node_id)
    vstore.delete(changed)
    new = [node(n.node_id, changed, n.text + " edited") for n in old]
    docstore.add_documents(new)
    vstore.add(new)
    ctx.persist(str(li_dir))
    li_change = time.perf_counter() - t
    t = time.perf_counter()
    StorageContext.from_defaults(persist_dir=str(li_dir))
    li_load = time.perf_counter() - t

    target = corpus / changed
    original = target.read_text(encoding="utf-8")
    try:
        target.write_text(original + "\nAn edited closing sentence.\n", encoding="utf-8")
        rep = CorpusIndex(home, corpus, emb).refresh()
    finally:
        target.write_text(original, encoding="utf-8")
    t = time.perf_counter()
    Retriever(CorpusIndex(home, corpus, emb), emb)
    ours_load = time.perf_counter() - t
    return {
        "chunks": len(nodes),
        "llamaindex_json": {"persist_first_s": round(li_first, 2), "persist_after_1_file_change_s": round(li_change, 2),
                            "load_s": round(li_load, 2), "size_mb": dir_mb(li_dir),
                            "note": "StorageContext(SimpleDocumentStore, SimpleVectorStore).persist / from_defaults(persist_dir)"},
        "briefer_sqlite": {"persist_after_1_file_change_s": round(rep.timings["commit"] + rep.timings["snapshot"], 3),
                           "refresh_after_1_file_change_s": round(rep.seconds, 3), "load_s": round(ours_load, 3),
                           "size_mb": round(dir_mb(idx.root), 1),
                           "note": "persist = SQLite transaction + deriving the new snapshot; load = open + Retriever (mmap)"},
    }


# ----------------------------------------------------------------------------- recall
def recall(work: Path) -> dict:
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


# ----------------------------------------------------------------------------- output
def to_markdown(res: dict) -> str:
    lines = ["# Index and retrieval bench", "", f"Machine: {res.get('machine', {})}", ""]
    if "compare_stores" in res:
        c = res["compare_stores"]
        li, ours = c["llamaindex_json"], c["briefer_sqlite"]
        lines += [f"## Stores at {c['chunks']} chunks (`{c.get('command', '')}`)", "",
                  "| store | persist after a 1-file change | load | size |", "|---|---|---|---|",
                  f"| LlamaIndex SimpleDocumentStore + SimpleVectorStore (JSON) | {li['persist_after_1_file_change_s']} s | {li['load_s']} s | {li['size_mb']} MB |",
                  f"| briefer SQLite + snapshot | {ours['persist_after_1_file_change_s']} s | {ours['load_s']} s | {ours['size_mb']} MB |", ""]
    for size, s in sorted(res.get("scale", {}).items(), key=lambda kv: int(kv[0])):
        lines += [f"## Scale: {s['chunks']} chunks (`{s.get('command', '')}`, load before: {s.get('load_before', '')})", "",
                  f"- full build: {s['build']['seconds']} s, {s['build']['chunks_per_s_excluding_embedding']} chunks/s excluding embedding; phases {s['build']['timings']}",
                  f"- with the real embedder (extrapolated): {s.get('build_with_real_embedder', 'n/a')}",
                  *[f"- re-index one changed file ({name.replace('_', ' ')}): {c['seconds']} s with the fake embedder, "
                    f"{c['embedded']} chunks embedded; phases {c['timings']}"
                    for name, c in ((k[len('reindex_one_changed_file_'):], v) for k, v in s.items()
                                    if k.startswith("reindex_one_changed_file_"))],
                  f"- refresh with nothing changed: {s['refresh_nothing_changed_s']} s",
                  f"- Retriever load: {s['retriever_load_s']} s",
                  f"- query BM25: p50 {s['query_bm25']['p50_ms']} ms, p95 {s['query_bm25']['p95_ms']} ms; "
                  f"hybrid: p50 {s['query_hybrid']['p50_ms']} ms, p95 {s['query_hybrid']['p95_ms']} ms ({s['query_note']})",
                  f"- peak RSS: {s['peak_rss_mb']} MB; index on disk: {s['index_mb']}"]
        if "old_full_bm25s_rebuild" in s:
            o = s["old_full_bm25s_rebuild"]
            lines.append(f"- before this change, every index change re-tokenised and re-indexed all chunks with bm25s: "
                         f"{o['tokenize_s']} s + {o['bm25s_index_s']} s")
        lines.append("")
    if "embed_rate" in res:
        lines += [f"## Real embedder rate: {res['embed_rate']}", ""]
    if "recall" in res:
        lines += [f"## Recall (`{res['recall'].get('command', '')}`)", "", "| probes | mode | recall@1 | recall@3 |", "|---|---|---|---|"]
        for name, modes in res["recall"].items():
            if isinstance(modes, dict):
                for mode, v in modes.items():
                    if isinstance(v, dict):
                        lines.append(f"| {name} | {mode} | {v['recall@1']:.2f} | {v['recall@3']:.2f} |")
        lines.append("")
    return "\n".join(lines)


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
