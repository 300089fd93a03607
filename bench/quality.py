"""Quality part of the bench: memos, refusals and retrieval for each eval dir, scored by briefer.evaluate.

Memos are generated in-process with one loaded chat model and embedder (the
``model=``/``embedder=`` arguments of ``briefer.pipeline.generate``), so an eval
set costs its LLM calls and nothing else.
"""

from __future__ import annotations

import os
import tempfile
import time
from pathlib import Path
from typing import Any

from briefer.errors import BrieferError
from briefer.evaluate import (
    EvalDir,
    alce_citations,
    fact_recall,
    number_check,
    quote_check,
    refusal_topic_toml,
    refused,
    retrieval_recall,
)
from briefer.pipeline import generate, refresh_index
from briefer.retrieval import Retriever
from briefer.settings import Settings, load_settings

MODES = ("bm25", "dense", "hybrid")


def settings_for(ev: EvalDir, home: Path, out: Path, threads: int | None) -> Settings:
    return load_settings(home=home, corpus=ev.corpus.resolve(), out=out, threads=threads,
                         model=os.environ.get("BRIEFER_BENCH_MODEL") or None,
                         reword=True if os.environ.get("BRIEFER_BENCH_REWORD") else None,
                         template_dir=ev.template_dir.resolve() if ev.template_dir else None)


def memo_key(settings: Settings, topic: str) -> tuple:
    return (str(Path(settings.corpus).resolve()), topic, str(settings.template_dir))


def run_memo(settings: Settings, topic: str, model: Any, embedder: Any) -> tuple[dict, float]:
    t = time.perf_counter()
    result = generate(settings, topic, model=model, embedder=embedder)
    return result.record, time.perf_counter() - t


def refusals(ev: EvalDir, settings: Settings, model: Any, embedder: Any, questions: list[str]) -> dict:
    """Ask each off-corpus question as a one-section topic; right answer: status "not_covered"."""
    rows = []
    with tempfile.TemporaryDirectory(prefix="briefer-refusal-") as tmp:
        for i, q in enumerate(questions):
            path = Path(tmp) / f"off-corpus-{i}.toml"
            path.write_text(refusal_topic_toml(q), encoding="utf-8")
            s = settings.model_copy(update={"out": Path(tmp) / "out"})
            try:
                record, secs = run_memo(s, str(path), model, embedder)
            except BrieferError as exc:
                rows.append({"question": q, "refused": False, "error": str(exc)})
                continue
            sec = record["sections"][0]
            rows.append({"question": q, "refused": refused(record), "asked_model": sec.get("prompt") is not None,
                         "status": sec.get("status"), "seconds": secs,
                         "sentences": [x["text"] for x in sec["sentences"]]})
    ok = sum(r["refused"] for r in rows)
    return {"questions": len(rows), "refused": ok, "rate": ok / len(rows) if rows else None, "per_question": rows}


def retrieval(ev: EvalDir, settings: Settings, embedder: Any) -> dict:
    """Recall@1/@3 for BM25, dense and hybrid on the eval dir's probes."""
    if not ev.probes:
        return {}
    index, _ = refresh_index(settings, embedder)
    retriever = Retriever(index, embedder)
    out: dict = {}
    for mode in MODES:
        if mode == "dense" and not retriever.dense:
            out[mode] = {"unavailable": "no embedder (see embedder_error)"}
            continue
        out[mode] = retrieval_recall(lambda q, k, m=mode: [p.document for p in retriever.search(q, k, mode=m)], ev.probes)
    return out


def score_memo(record: dict, ev: EvalDir, facts: list) -> dict:
    """All record-level metrics for one memo."""
    answered = sum(1 for s in record["sections"] if s.get("status") == "answered")
    n_sent = sum(len(s["sentences"]) for s in record["sections"])
    return {
        "sections": len(record["sections"]), "answered_sections": answered, "sentences": n_sent,
        "extracted_sentences": record.get("extracted_sentences"),
        "not_covered_sections": [s["title"] for s in record["sections"] if s.get("status") == "not_covered"],
        "facts": fact_recall(record, facts),
        "alce": alce_citations(record),
        "numbers": number_check(record),
        "quotes": quote_check(record, ev.corpus),
    }
