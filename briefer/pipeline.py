"""The whole job, in order: corpus → index → retrieval → answer → verify → render.

``generate`` takes its collaborators (chat model, embedder, progress callback)
as arguments so tests can pass a fake model and no embedder, and so the CLI
can show progress without the core knowing about terminals.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from . import __version__
from .answer import make_key, system_prompt
from .compose import SectionWriter, lead_findings
from .boilerplate import allocate_unshared
from .evidence import Gatherer, reading_order
from .queries import evidence_slots, section_queries
from .corpus import check_corpus_dir
from .crashpoint import reached
from .errors import CorpusError, EmbedderUnavailable
from .fsutil import atomic_write_files, check_writable
from .backends import LOCAL, chat_backend, make_chat_model
from .llm import REPEAT_PENALTY, ChatModel
from .modelfile import file_sha256, resolve_model_path
from .prompts import NOT_COVERED_TEXT
from .record import SCHEMA_VERSION, dumps, validate
from .render import compile_template, render_one, template_dirs
from .retrieval import Candidate, Retriever
from .schema import Evidence
from .settings import Settings
from .store import IndexReport, Store, open_store
from .duplicates import find_duplicates
from .topics import Topic, load_topic
from .relevance import BROAD_MIN_COSINE, BROAD_MIN_LEXICAL
from .verify import ORIGIN_EXTRACTED

Progress = Callable[..., None]
CONTEXT_CHARS = 240


def _noop(*_: Any, **__: Any) -> None:
    return None


@dataclass
class Result:
    record: dict
    paths: list[Path]
    seconds: float
    warnings: list[str] = field(default_factory=list)

    @property
    def citations(self) -> int:
        return sum(len(s["citations"]) for sec in self.record["sections"] for s in sec["sentences"])

    def summary(self) -> str:
        n_sent = sum(len(sec["sentences"]) for sec in self.record["sections"])
        return (f"{len(self.record['sections'])} sections, {n_sent} sentences, {self.citations} citations "
                f"to {len(self.record['sources'])} passages in {self.seconds:.1f} s")


def load_embedder(settings: Settings, progress: Progress = _noop) -> Any | None:
    """The dense embedder, or None (BM25 only) with a warning when it cannot be prepared."""
    if settings.no_embeddings:
        return None
    from .backends import make_embedder

    try:
        return make_embedder(settings)
    except EmbedderUnavailable as exc:
        progress("warning", message=f"{exc} Falling back to BM25-only retrieval.")
        return None


def refresh_index(settings: Settings, embedder: Any | None, progress: Progress = _noop,
                  wait: bool = True) -> tuple[Store, IndexReport | None]:
    """Open and refresh the index.  ``wait=False`` (readers: ``search``): if another run is
    updating it, read the last committed version at once instead (the report is None)."""
    check_corpus_dir(Path(settings.corpus))
    index = open_store(settings, embedder, on_wait=lambda message: progress("wait", message=message))
    counts = lambda stage, i, n: progress("index", stage=stage, current=i, total=n)  # noqa: E731
    report = index.refresh(counts, wait=wait)
    if report is None:
        progress("notice", message="another briefer run is updating the index; searching the last complete version "
                                 "(run again afterwards to include its changes)")
        if not index.documents():
            raise CorpusError(f"The index of {settings.corpus} is still being built by another briefer run; "
                              "try again when it has finished.")
        return index, None
    for skipped in report.skipped:
        progress("warning", message=f"skipped {skipped.path}: {skipped.reason}")
    if not index.documents():
        raise CorpusError(f"No readable documents in {settings.corpus}; see the skipped files above. Add .txt, .md, .html, .pdf or .docx files.")
    index.refresh_sentences(counts, wait=wait)  # sentence vectors of new or changed documents, computed once
    return index, report


def _context(text: str, start: int, end: int) -> tuple[str, str]:
    before = text[max(0, start - CONTEXT_CHARS):start]
    after = text[end:end + CONTEXT_CHARS]
    if start > CONTEXT_CHARS and " " in before:
        before = "…" + before[before.index(" ") + 1:]
    if end + CONTEXT_CHARS < len(text) and " " in after:
        after = after[:after.rindex(" ")] + "…"
    return before, after


def _evidence_pool(per_section: list[list[Candidate]]) -> tuple[list[Evidence], list[list[Evidence]]]:
    """Key every distinct evidence sentence once, memo-wide; keep each section's own list."""
    taken: set[str] = set()
    by_span: dict[tuple[str, int], Evidence] = {}
    sections = []
    for cands in per_section:
        mine = []
        for c in cands:
            span = (c.document, c.start)
            if span not in by_span:
                by_span[span] = Evidence(make_key(c.document, c.start, taken), c.document, c.title, c.start, c.end, c.text,
                                         c.score, c.meaning)
            mine.append(dataclasses.replace(by_span[span], score=c.score, meaning=c.meaning))
        sections.append(mine)
    pool = sorted(by_span.values(), key=lambda e: (e.document, e.start))
    return pool, sections


def choose_evidence(settings: Settings, topic: Topic, index: Store, retriever: Retriever, embedder: Any | None,
                    progress: Progress = _noop) -> tuple[list[list[Candidate]], list[list[dict]]]:
    """Each section's evidence sentences (see :mod:`briefer.evidence`) and the passages searched for it."""
    docs = index.documents()
    duplicates = find_duplicates({p: index.document(p).text for p in docs})
    for dup, canonical in sorted(duplicates.items()):
        progress("warning", message=f"{dup} repeats {canonical}; its evidence is cited from {canonical} only")
    gatherer = Gatherer(retriever, index.sentences(), embedder, skip_documents=set(duplicates))
    gathered, retrieved = [], []
    for section in topic.sections:
        cands, hits = gatherer.gather(section_queries(topic.title, section.title, section.questions), settings.top_k)
        gathered.append(cands)
        retrieved.append([{"id": p.id, "document": p.document, "start": p.start, "end": p.end, "score": round(p.score, 6)}
                          for p in hits])
    for c in gatherer.injected.values():
        progress("warning", message=f"left out a sentence of {c.document} (characters {c.start}–{c.end}) that reads as "
                                    f"instructions to an AI model (possible prompt injection): {' '.join(c.text.split())[:100]}")
    chosen = allocate_unshared(gathered, [evidence_slots(settings.evidence_per_section, sec.questions)
                                          for sec in topic.sections], gatherer.copies)
    return [[s.candidate() for s in reading_order(ch)] for ch in chosen], retrieved


def generate(settings: Settings, topic_name: str, *, model: ChatModel | None = None, embedder: Any | None = "auto",
             progress: Progress = _noop, formats: tuple[str, ...] = ("md", "html")) -> Result:
    """Write the memo for a topic: each stage in order.  What can fail fast (topic, output folder,
    corpus, templates, model file) fails before indexing; the outputs are written all or none."""
    t_start = time.perf_counter()
    timings: dict[str, float] = {}
    warnings: list[str] = []
    outer = progress

    def progress(event: str, **info: Any) -> None:  # also keep warnings for the record and the caller
        if event == "warning":
            warnings.append(info["message"])
        outer(event, **info)

    topic = _preflight(settings, topic_name, formats)
    # Load the model first: a broken model file (or an unreachable server) fails before any indexing work.
    t = time.perf_counter()
    if model is None:
        if chat_backend(settings) == LOCAL:
            progress("model", message=f"loading {resolve_model_path(settings.model, settings.model_folder).name}")
        model = make_chat_model(settings)
    timings["model_load"] = time.perf_counter() - t

    t = time.perf_counter()
    if embedder == "auto":
        embedder = load_embedder(settings, progress)
    index, report = refresh_index(settings, embedder, progress)
    retriever = Retriever(index, embedder)
    timings["index"] = time.perf_counter() - t
    progress("indexed", summary=report.summary(), dense=retriever.dense)

    t = time.perf_counter()
    per_section, retrieved = choose_evidence(settings, topic, index, retriever, embedder, progress)
    pool, section_evidence = _evidence_pool(per_section)
    timings["retrieval"] = time.perf_counter() - t
    broad_min = BROAD_MIN_COSINE if retriever.dense else BROAD_MIN_LEXICAL

    system = system_prompt(topic.title, topic.audience)
    run = SectionWriter(settings, model, system, pool, broad_min, embedder if retriever.dense else None)
    sections_out = run.answer_all(topic.sections, section_evidence, progress)
    for entry, hits in zip(sections_out, retrieved):
        entry["retrieved"] = hits
    if settings.reword:
        run.reword(sections_out, topic.title, topic.audience, progress)
    reached("section")
    key_points = lead_findings(sections_out, topic, embedder if retriever.dense else None)
    if key_points is not None:
        sections_out.insert(0, key_points)
    tokens = run.tokens
    timings.update(run.timings)

    t = time.perf_counter()
    record = build_record(settings, topic, index, model, pool, sections_out, tokens, timings, retriever.dense)
    record["warnings"] = warnings
    timings["record"] = time.perf_counter() - t
    record["timings"]["record"] = round(timings["record"], 4)
    paths = _write_outputs(settings, topic, record, formats, progress)
    return Result(record, paths, time.perf_counter() - t_start, warnings)


def _preflight(settings: Settings, topic_name: str, formats: tuple[str, ...]) -> Topic:
    """The topic, and every check that can fail before the model loads or an index folder is created."""
    topic: Topic = load_topic(topic_name, template_dirs(settings.template_dir))
    check_writable(Path(settings.out))
    check_corpus_dir(Path(settings.corpus))
    for fmt in formats:  # template syntax errors surface now, not after the model run
        compile_template(fmt, settings.template_dir)
    return topic


def _write_outputs(settings: Settings, topic: Topic, record: dict, formats: tuple[str, ...],
                   progress: Progress) -> list[Path]:
    """Render every format and write them with the record, all or nothing."""
    t = time.perf_counter()
    rendered = {fmt: render_one(record, fmt, user_dir=settings.template_dir) for fmt in formats}
    record["timings"]["rendering"] = round(time.perf_counter() - t, 4)  # templates never show timings
    out_dir = Path(settings.out)
    files = {out_dir / f"{topic.name}.{fmt}": text for fmt, text in rendered.items()}
    files[out_dir / f"{topic.name}.json"] = dumps(record)
    progress("write", paths=[str(p) for p in files])  # last point where the CLI can stop the run (Ctrl-C)
    atomic_write_files(files)  # all or nothing: a full disk never leaves a new record beside an old memo
    return list(files)


def model_block(settings: Settings, info: dict) -> dict:
    """The record's model block: which backend, which model, where (``endpoint``), which bytes (``sha256``).

    An in-process model is identified by its file's hash; a served one by name and endpoint
    only (``path`` and ``sha256`` null): briefer cannot see the server's weights."""
    rest = {k: v for k, v in info.items() if k not in ("backend", "path", "name", "size", "endpoint", "sha256")}
    if info.get("backend", LOCAL) != LOCAL:
        return {"backend": info["backend"], "name": info["name"], "endpoint": info.get("endpoint"),
                "path": None, "sha256": None, **rest}
    path = Path(info["path"])
    return {"backend": LOCAL, "name": path.name, "endpoint": None, "path": str(path), "size": path.stat().st_size,
            "sha256": file_sha256(path, settings.model_folder), **rest}


def build_record(settings: Settings, topic: Topic, index: Store, model: ChatModel,
                 pool: list[Evidence], sections: list[dict], tokens: dict, timings: dict, dense: bool) -> dict:
    """Number the cited evidence 1..N in order of first citation and assemble the record."""
    by_key = {e.key: e for e in pool}
    ids: dict[str, int] = {}
    for sec in sections:
        for sent in sec["sentences"]:
            for key in sent["citations"]:
                ids.setdefault(key, len(ids) + 1)
            sent["citations"] = [ids[k] for k in sent["citations"]]
            sent["keys"] = [k for k in ids if ids[k] in sent["citations"]]
        sec["not_covered_text"] = NOT_COVERED_TEXT
    texts: dict[str, str] = {}
    sources = []
    for key, sid in ids.items():
        ev = by_key[key]
        text = texts.setdefault(ev.document, index.document(ev.document).text)
        before, after = _context(text, ev.start, ev.end)
        sources.append({"id": sid, "key": key, "document": ev.document, "title": ev.title, "quote": text[ev.start:ev.end],
                        "start": ev.start, "end": ev.end, "context_before": before, "context_after": after})
    docs = index.documents()
    info = dict(getattr(model, "info", {}))
    record = {
        "schema_version": SCHEMA_VERSION,
        "briefer_version": __version__,
        "topic": topic.name,
        "title": topic.title,
        "audience": topic.audience,
        "description": topic.description,
        "generated_at": dt.datetime.now(dt.timezone.utc).replace(microsecond=0).isoformat(),
        "model": model_block(settings, info),
        "settings": {"temperature": settings.temperature, "seed": settings.seed, "max_tokens": settings.max_tokens,
                     "repeat_penalty": REPEAT_PENALTY,
                     "n_ctx": settings.n_ctx, "gpu_layers": info.get("gpu_layers", settings.gpu_layers),
                     "threads": settings.effective_threads, "top_k": settings.top_k,
                     "evidence_per_section": settings.evidence_per_section, "keep_unsupported": settings.keep_unsupported,
                     "entailment": bool(getattr(settings, "entailment", False)),
                     "copy_guard": bool(getattr(settings, "copy_guard", False)),
                     "reword": bool(getattr(settings, "reword", False)),
                     "retrieval": "hybrid" if dense else "bm25"},
        "corpus": {"dir": str(Path(settings.corpus).resolve()), "files": {p: sha for p, (sha, _) in docs.items()}},
        "sections": sections,
        "sources": sources,
        "evidence_pool": [{"key": e.key, "document": e.document, "start": e.start, "end": e.end} for e in pool],
        "tokens": tokens,
        "timings": {k: round(v, 4) for k, v in timings.items()},
        "extracted_sentences": sum(1 for s in sections for x in s["sentences"] if x["origin"] == ORIGIN_EXTRACTED),
    }
    return validate(record)
