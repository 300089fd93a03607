"""The storage seam: what the pipeline needs from an index, whichever database holds it.

A *store* keeps one corpus folder's documents (the extracted text citation
offsets index into), their chunks with BM25 term counts and embeddings, and
every document's sentences with their vectors.  Two implementations:

- :class:`briefer.index.CorpusIndex` -- SQLite file + memory-mapped search
  snapshot + per-document sentence files (the default; no server);
- :class:`briefer.store_pg.PgStore` -- PostgreSQL with pgvector
  (``BRIEFER_STORE_URL=postgresql://...``), for an index shared by a team.

Chunking, term analysis and sentence splitting stay in :mod:`briefer.chunking`
and :mod:`briefer.claims`, so both stores cut a document identically and a
citation's offsets do not depend on the store.  Retrieval
(:mod:`briefer.retrieval`) talks to a store only through :class:`Store` and
the :class:`Searcher` view it hands out.

Adding a store is one module with a ``open_*(settings, embedder)`` factory
plus one line in ``_STORES``.
"""

from __future__ import annotations

import hashlib
import importlib
from collections.abc import Callable
from contextlib import AbstractContextManager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Protocol

import numpy as np

from .errors import ConfigError
from .schema import Document, Skipped

Progress = Callable[[str, int, int], None]
RRF_K = 60  # reciprocal rank fusion constant, both stores
K1, B = 1.5, 0.75  # BM25 (bm25s's defaults), both stores

# URL scheme -> "module:factory"; the factory takes (settings, embedder) and returns a Store.
_STORES = {
    "sqlite": "briefer.index:open_sqlite",
    "postgresql": "briefer.store_pg:open_pg",
}
_ALIASES = {"postgres": "postgresql"}
_EXTRAS = {"postgresql": "postgres"}  # the pyproject extra that installs a store's drivers


def text_hash(text: str) -> str:
    """Embedding cache key: the same text embeds to the same vector, wherever it sits."""
    return hashlib.sha1(text.encode("utf-8", "surrogatepass")).hexdigest()[:20]


def corpus_key(corpus_dir: Path) -> str:
    """Which corpus an index belongs to: its folder's resolved path, hashed."""
    return hashlib.sha1(str(corpus_dir.resolve()).encode()).hexdigest()[:16]


def model_id(embedder: Any | None) -> str:
    """The name vectors are stored under: vectors of two models never mix."""
    if embedder is None:
        return ""
    return str(getattr(embedder, "model_id", "") or type(embedder).__name__)


@dataclass
class IndexReport:
    added: list[str] = field(default_factory=list)
    changed: list[str] = field(default_factory=list)
    removed: list[str] = field(default_factory=list)
    unchanged: list[str] = field(default_factory=list)
    skipped: list[Skipped] = field(default_factory=list)
    chunks: int = 0
    embedded: int = 0
    seconds: float = 0.0
    timings: dict[str, float] = field(default_factory=dict)  # scan, read, embed, commit, snapshot

    def unreadable(self, skipped: Skipped, was_indexed: bool) -> None:
        """A new or changed file that cannot be read now: listed as skipped; an older version goes."""
        self.skipped.append(skipped)
        for lst in (self.added, self.changed):
            if skipped.path in lst:
                lst.remove(skipped.path)
        if was_indexed:
            self.removed.append(skipped.path)

    def summary(self) -> str:
        text = (f"{len(self.added)} added, {len(self.changed)} changed, {len(self.removed)} removed, "
                f"{len(self.unchanged)} unchanged, {len(self.skipped)} skipped; {self.chunks} chunks")
        return text + (f" ({self.embedded} embedded)" if self.embedded else "")


def plan_refresh(corpus_dir: Path, known: dict[str, str], limits: Any = None) -> tuple[IndexReport, list]:
    """Compare the folder with the manifest (path -> sha256): the report so far and the files to read.
    ``limits`` (:class:`briefer.limits.Limits`) bounds what is read; a file over one is skipped."""
    from .corpus import scan_corpus

    report = IndexReport()
    entries, skipped = scan_corpus(corpus_dir, limits)
    report.skipped.extend(skipped)
    todo = []
    for entry in entries:
        bucket = report.unchanged if known.get(entry.path) == entry.sha256 else (
            report.changed if entry.path in known else report.added)
        bucket.append(entry.path)
        if bucket is not report.unchanged:
            todo.append(entry)
    present = {e.path for e in entries}
    report.removed = sorted(p for p in known if p not in present)
    return report, todo


@dataclass(frozen=True)
class Hit:
    """A ranked chunk: where it sits and which version of its document it came from."""

    id: str
    document: str
    title: str
    sha256: str
    start: int
    end: int
    score: float


@dataclass
class DocSentences:
    """The sentences of one document: ``text[spans[i, 0]:spans[i, 1]]``, and their unit vectors."""

    path: str
    text: str
    spans: np.ndarray  # (n, 2) int64 character offsets
    vecs: np.ndarray | None  # (n, dim) float32, rows unit-length; None without an embedder

    def overlapping(self, start: int, end: int) -> np.ndarray:
        """Indices of the sentences that overlap characters ``[start, end)``."""
        if not len(self.spans):
            return np.empty(0, dtype=np.int64)
        return np.nonzero((self.spans[:, 0] < end) & (self.spans[:, 1] > start))[0]


class Searcher(Protocol):
    """One consistent read view of a store, made once per run and used for every query."""

    size: int  # live chunks
    vectors: str  # model id of the chunk vectors when *every* chunk has one, else ""

    def rank(self, query: str | None, query_vector: np.ndarray | None, n: int) -> list[Hit]:
        """Up to ``n`` chunks for BM25 of ``query`` and/or cosine with ``query_vector``.

        With both, the two top-``n`` lists are fused by reciprocal rank fusion
        (score = sum of 1 / (RRF_K + rank)); with one, its own scores.  Best first,
        ties by (document, start), so every store orders the same hits the same way."""
        ...


class SentenceSource(Protocol):
    def get(self, path: str) -> DocSentences: ...


class Store(Protocol):
    """The index of one corpus folder."""

    corpus_dir: Path
    embedder: Any | None

    def documents(self) -> dict[str, tuple[str, str]]:
        """The manifest: path -> (sha256 of the file, title)."""
        ...

    def document(self, path: str) -> Document: ...

    def refresh(self, progress: Progress | None = None, wait: bool = True) -> IndexReport | None:
        """Re-read the files whose hash changed and apply them atomically (a crash keeps the old version)."""
        ...

    def refresh_sentences(self, progress: Progress | None = None, wait: bool = True) -> int:
        """Split (and embed) the sentences of new or changed documents; returns sentences embedded."""
        ...

    def sentences(self) -> SentenceSource: ...

    def searcher(self, embedder: Any | None) -> Searcher: ...

    def locked(self) -> AbstractContextManager[None]:
        """Exclusive right to update this corpus's index (waits, then fails with a one-line error)."""
        ...

    def close(self) -> None: ...


def store_kind(url: str | None) -> str:
    """The store a ``BRIEFER_STORE_URL`` selects ("sqlite" when unset)."""
    if not url:
        return "sqlite"
    scheme = url.split(":", 1)[0].split("+", 1)[0].lower()
    scheme = _ALIASES.get(scheme, scheme)
    if scheme not in _STORES:
        raise ConfigError(f"BRIEFER_STORE_URL {url.split(':', 1)[0]}:… is not a known store; "
                          f"use {' or '.join(s + '://…' for s in _STORES)}, or unset it for the SQLite index.")
    return scheme


def open_store(settings: Any, embedder: Any | None = None, on_wait: Any = None) -> Store:
    """The store ``settings.store_url`` selects, for ``settings.corpus`` (imported lazily:
    the SQLite path never imports a database driver)."""
    kind = store_kind(getattr(settings, "store_url", None))
    module, name = _STORES[kind].split(":")
    try:
        factory = getattr(importlib.import_module(module), name)
    except ImportError as exc:
        package = (exc.name or "?").split(".")[0]
        raise ConfigError(f"The {kind} store needs the Python package {package!r}, which is not installed; "
                          f'install briefer with its "{_EXTRAS.get(kind, kind)}" extra, or unset BRIEFER_STORE_URL.'
                          ) from None
    return factory(settings, embedder, on_wait=on_wait)


def fuse(rankings: list[list[tuple[Any, float]]]) -> dict[Any, float]:
    """Reciprocal rank fusion of best-first rankings; a single ranking keeps its scores."""
    if len(rankings) == 1:
        return dict(rankings[0])
    scores: dict[Any, float] = {}
    for ranking in rankings:
        for rank, (key, _) in enumerate(ranking):
            scores[key] = scores.get(key, 0.0) + 1.0 / (RRF_K + rank + 1)
    return scores
