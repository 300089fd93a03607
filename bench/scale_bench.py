"""SQLite vs PostgreSQL + pgvector, side by side at scale.

    python bench/scale_bench.py --chunks 100000            # starts its own PostgreSQL on 127.0.0.1
    python bench/scale_bench.py --chunks 10000 --pg-url postgresql://...

For each store, in a process of its own (so peak memory is its own): build
the index of a synthetic corpus (bench/index_bench.py's Zipf pseudo-text,
1,000 files, from bench/index_synthetic.py) with a fake 384-d embedder --
vectors of real size, embedding compute excluded from the figures --
including every sentence's vector, then
a no-op refresh, a one-file re-index, and 100 queries each for BM25 and
hybrid (k = 6 as in `generate`, query embedding excluded).  Then: how many of
the exact dense top-10 (SQLite's brute force) the HNSW index returns -- on the
random vectors (the worst case for a graph index: every point about equally
far from every other) and, in a second database, on bag-of-words vectors with
the structure of real embeddings, at several ef_search -- and retrieval recall
on the labelled probes with the real embedder, per store.

Results: bench/results/scale-bench.json (--reuse keeps a store's figures from
an earlier run of the same size).
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import shutil
import subprocess
import sys
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))
from index_synthetic import FILES, BagEmbedder, RandomEmbedder, make_corpus, peak_rss_mb, percentiles, zipf_queries  # noqa: E402

RESULTS = ROOT / "bench" / "results"
QUERIES = 100
PROBES = 100


class TimedEmbedder(RandomEmbedder):
    """The fake embedder, timing itself so its compute can be taken out of the build time."""

    seconds = 0.0

    def embed(self, texts: list[str]) -> np.ndarray:
        t = time.perf_counter()
        try:
            return super().embed(texts)
        finally:
            TimedEmbedder.seconds += time.perf_counter() - t


def open_one(kind: str, work: Path, corpus: Path, url: str, emb: object) -> object:
    if kind == "sqlite":
        from briefer.index import CorpusIndex

        return CorpusIndex(work / "sqlite-home", corpus, emb)
    from briefer.store_pg import PgStore

    return PgStore(url, corpus, emb)


def timed_refresh(store: object) -> tuple[float, float, object]:
    """(wall seconds, seconds excluding the fake embedder, report) of refresh + sentence vectors."""
    TimedEmbedder.seconds = 0.0
    t = time.perf_counter()
    report = store.refresh()
    store.refresh_sentences()
    wall = time.perf_counter() - t
    return wall, wall - TimedEmbedder.seconds, report


def one_store(kind: str, chunks: int, work: Path, url: str) -> dict:
    """Every figure for one store (run in a fresh process)."""
    from briefer.retrieval import Retriever

    corpus = make_corpus(work / f"corpus-{chunks}", max(1, chunks // FILES))
    shutil.rmtree(work / "sqlite-home", ignore_errors=True)
    if kind == "postgres":
        fresh_database(url)
    emb = TimedEmbedder()
    wall, net, report = timed_refresh(open_one(kind, work, corpus, url, emb))
    out: dict = {"chunks": report.chunks, "build_s": round(wall, 1), "build_excluding_embedding_s": round(net, 1),
                 "build_timings": {k: round(v, 2) for k, v in report.timings.items()}}
    out["noop_refresh_s"] = round(timed_refresh(open_one(kind, work, corpus, url, emb))[0], 3)
    target = corpus / "doc0500.txt"
    original = target.read_text(encoding="utf-8")
    try:
        target.write_text(original + "\nA freshly added closing sentence about bench quotas.\n", encoding="utf-8")
        wall, net, rep = timed_refresh(open_one(kind, work, corpus, url, emb))
        out["reindex_one_file_s"], out["reindex_one_file_excluding_embedding_s"] = round(wall, 3), round(net, 3)
        out["reindex_embedded"] = rep.embedded
    finally:
        target.write_text(original, encoding="utf-8")
        timed_refresh(open_one(kind, work, corpus, url, emb))
    t = time.perf_counter()
    r = Retriever(open_one(kind, work, corpus, url, emb), emb)
    out["retriever_open_s"] = round(time.perf_counter() - t, 4)
    qs = zipf_queries(QUERIES)
    qvecs = emb.embed(qs)
    for q, v in zip(qs[:5], qvecs[:5]):
        r.search(q, 6, query_vector=v)
    for mode in ("bm25", "hybrid"):
        times = []
        for q, v in zip(qs, qvecs):
            t = time.perf_counter()
            assert r.search(q, 6, mode=mode, query_vector=v if mode == "hybrid" else None), q
            times.append(time.perf_counter() - t)
        out[f"query_{mode}"] = percentiles(times)
    out["dense_top10"] = [[h.id for h in r.view.rank(None, v, 10)] for v in qvecs[:PROBES]]
    out["peak_rss_mb"] = peak_rss_mb()
    out.update(_sizes(kind, work, r))
    return out


def fresh_database(url: str) -> None:
    """Start from empty tables (a rerun against the same server must build, not find everything unchanged)."""
    import psycopg

    from briefer.store_pg_schema import TABLES

    with psycopg.connect(url, autocommit=True) as conn:
        for table in TABLES:
            conn.execute(f"DROP TABLE IF EXISTS {table}")


def other_database(url: str, name: str) -> str:
    """A second database on the same server (one embedding model per database)."""
    from urllib.parse import urlsplit

    import psycopg

    with psycopg.connect(url, autocommit=True) as conn:
        if not conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", (name,)).fetchone():
            conn.execute(f"CREATE DATABASE {name}")
    return urlsplit(url)._replace(path=f"/{name}").geturl()


def _sizes(kind: str, work: Path, r: object) -> dict:
    if kind == "sqlite":
        return {"size_mb": round(sum(f.stat().st_size for f in (work / "sqlite-home").rglob("*") if f.is_file()) / 1e6, 1)}
    conn = r.index.conn
    size = conn.execute("SELECT pg_database_size(current_database())").fetchone()[0]
    pids = [row[0] for row in conn.execute("SELECT pid FROM pg_stat_activity WHERE backend_type IS NOT NULL")]
    return {"size_mb": round(size / 1e6, 1), "server_peak_rss_mb_largest_process": max(_hwm(p) for p in pids)}


def _hwm(pid: int) -> float:
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                return round(int(line.split()[1]) / 1024, 1)
    except OSError:
        pass
    return 0.0


def hnsw_recall(chunks: int, work: Path, url: str) -> dict:
    """Recall of the HNSW top-10 and top-50 against an exact scan, at several ef_search values."""
    from briefer.store_pg import PgStore

    url = other_database(url, "briefer_hnsw")
    fresh_database(url)
    emb = BagEmbedder()
    store = PgStore(url, make_corpus(work / f"corpus-{chunks}", max(1, chunks // FILES)), emb)
    t = time.perf_counter()
    store.refresh()
    out: dict = {"vectors": emb.model_id, "build_s": round(time.perf_counter() - t, 1)}
    qvecs = emb.embed(zipf_queries(PROBES))
    sql = ("SELECT id FROM briefer_chunks WHERE corpus = %s AND vec IS NOT NULL "
           "ORDER BY vec <#> %s::vector LIMIT %s")

    def top(v: np.ndarray, k: int, ef: int, exact: bool = False) -> set[str]:
        with store.conn.transaction():
            store.conn.execute(f"SET LOCAL hnsw.ef_search = {ef}")
            store.conn.execute("SET LOCAL hnsw.iterative_scan = relaxed_order")
            if exact:
                store.conn.execute("SET LOCAL enable_indexscan = off")
            return {r[0] for r in store.conn.execute(sql, (store.corpus, v, k))}

    exact = {k: [top(v, k, 40, exact=True) for v in qvecs] for k in (10, 50)}
    for ef in (40, 100, 200):
        for k in (10, 50):
            t = time.perf_counter()
            got = [top(v, k, max(ef, k)) for v in qvecs]
            per_query = (time.perf_counter() - t) / len(qvecs)
            recall = float(np.mean([len(g & e) / k for g, e in zip(got, exact[k])]))
            out[f"ef{ef}_top{k}"] = {"recall": round(recall, 3), "ms_per_query": round(per_query * 1000, 1)}
    return out


def probe_recall(work: Path, url: str) -> dict:
    """Recall@1/@3 on the labelled probes, real embedder, both stores (small real corpora)."""
    from briefer.evaluate import load_probes, retrieval_recall
    from briefer.pipeline import load_embedder
    from briefer.retrieval import Retriever
    from briefer.settings import load_settings

    emb = load_embedder(load_settings(home=work / "embed-home"))
    url = other_database(url, "briefer_recall")
    fresh_database(url)
    shutil.rmtree(work / "recall", ignore_errors=True)
    sets = {"public bench/eval (5)": (ROOT / "bench/eval/retrieval.jsonl", ROOT / "corpus"),
            "own sample probes (10)": (ROOT / "tests/fixtures/sample-probes.jsonl", ROOT / "corpus"),
            "eval-extra (4)": (ROOT / "bench/eval-extra/retrieval.jsonl", ROOT / "bench/eval-extra/corpus")}
    out: dict = {}
    for name, (path, corpus) in sets.items():
        if not path.is_file():
            continue
        for kind in ("sqlite", "postgres"):
            store = open_one(kind, work / "recall", corpus, url, emb)
            store.refresh()
            r = Retriever(store, emb)
            for mode in ("bm25", "dense", "hybrid"):
                res = retrieval_recall(lambda q, k, m=mode: [p.document for p in r.search(q, k, mode=m)], load_probes(path))
                out.setdefault(name, {}).setdefault(kind, {})[mode] = f"{res['recall@1']:.1f} / {res['recall@3']:.1f}"
    return out


def child(args: list[str]) -> dict:
    proc = subprocess.run([sys.executable, __file__, *args], capture_output=True, text=True, env=os.environ)
    if proc.returncode:
        raise SystemExit(f"{' '.join(args)} failed:\n{proc.stderr[-3000:]}")
    return json.loads(proc.stdout.strip().splitlines()[-1])


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--chunks", type=int, default=100_000)
    ap.add_argument("--work", type=Path, default=Path("/tmp/briefer-scale-bench"))
    ap.add_argument("--pg-url", default="")
    ap.add_argument("--one", choices=("sqlite", "postgres", "recall", "hnsw"))
    ap.add_argument("--no-recall", action="store_true")
    ap.add_argument("--reuse", action="store_true", help="keep a store's figures from an earlier run of this size")
    a = ap.parse_args()
    a.work.mkdir(parents=True, exist_ok=True)
    if a.one:
        if a.one in ("recall", "hnsw"):
            res = probe_recall(a.work, a.pg_url) if a.one == "recall" else hnsw_recall(a.chunks, a.work, a.pg_url)
        else:
            res = one_store(a.one, a.chunks, a.work, a.pg_url)
        print(json.dumps(res))
        return
    server = None
    if not a.pg_url:
        from briefer.pgserver import PgServer

        shutil.rmtree(a.work / "pg", ignore_errors=True)
        server = PgServer(a.work / "pg").start()
        a.pg_url = server.url
    try:
        common = ["--chunks", str(a.chunks), "--work", str(a.work), "--pg-url", a.pg_url]
        res = {"machine": f"{platform.processor() or platform.machine()}, {os.cpu_count()} CPUs",
               "load_before": os.getloadavg()[0], "command": " ".join(sys.argv)}
        for kind in ("sqlite", "postgres"):
            saved = a.work / f"result-{kind}-{a.chunks}.json"  # each store's figures survive a later failure
            if not (a.reuse and saved.exists()):
                saved.write_text(json.dumps(child(["--one", kind, *common])), encoding="utf-8")
            res[kind] = json.loads(saved.read_text(encoding="utf-8"))
        exact, approx = res["sqlite"].pop("dense_top10"), res["postgres"].pop("dense_top10")
        res["hnsw_recall_at_10_random_vectors"] = round(float(np.mean([len(set(a_) & set(b)) / 10
                                                                     for a_, b in zip(exact, approx)])), 3)
        res["hnsw_recall_bag_of_words_vectors"] = child(["--one", "hnsw", *common])
        if not a.no_recall:
            res["probe_recall"] = child(["--one", "recall", *common])
    finally:
        if server:
            server.stop()
    RESULTS.mkdir(parents=True, exist_ok=True)
    (RESULTS / "scale-bench.json").write_text(json.dumps(res, indent=2) + "\n", encoding="utf-8")
    print(json.dumps(res, indent=2))


if __name__ == "__main__":
    main()
