"""The Markdown page of bench/index_bench.py (``index-bench.md``).

Kept apart from the measuring code: it renders the merged ``index-bench.json``,
whose parts may come from different runs, so every part is optional here.
"""

from __future__ import annotations


def to_markdown(res: dict) -> str:
    """One section per part present: stores, each scale, the real embedder's rate, recall.
    Each section names the command that produced it, since parts are run separately."""
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
