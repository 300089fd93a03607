"""Stage 2: chunk documents and keep them in a durable, incremental index.

Storage is one SQLite file per corpus (stdlib, transactional, no server):
documents (with their extracted text, so citation offsets can be resolved
without re-reading files), chunks with character offsets and, when an embedder
is configured, their embedding as a float32 blob.  A refresh computes
everything first and then writes in a single transaction, so an interrupted
run (Ctrl-C, crash, full disk) leaves the previous index as it was.  A file
lock makes a second concurrent run wait, then fail with a clear message.

Chunking uses LlamaIndex's ``SentenceSplitter`` (sentence-aware, with
character offsets).  We give it a whitespace tokenizer: its default is
tiktoken, whose first use downloads an encoding file.
"""

from __future__ import annotations

import hashlib
import sqlite3
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
from filelock import FileLock, Timeout

from .corpus import extract, scan_corpus
from .errors import IndexError_
from .schema import Document, Skipped

SCHEMA_VERSION = "1"
CHUNK_WORDS = 160
CHUNK_OVERLAP = 24
WINDOW_CHARS = 200_000  # split huge documents before the splitter sees them
LOCK_TIMEOUT_S = 30.0

Progress = Callable[[str, int, int], None]


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

    def summary(self) -> str:
        return (
            f"{len(self.added)} added, {len(self.changed)} changed, {len(self.removed)} removed, "
            f"{len(self.unchanged)} unchanged, {len(self.skipped)} skipped; {self.chunks} chunks"
        )


def _words(text: str) -> list[str]:
    return text.split()


def chunk_spans(text: str) -> list[tuple[int, int]]:
    """Sentence-aware chunk boundaries as character spans into ``text``."""
    from llama_index.core import Document as LIDocument
    from llama_index.core.node_parser import SentenceSplitter

    splitter = SentenceSplitter(chunk_size=CHUNK_WORDS, chunk_overlap=CHUNK_OVERLAP, tokenizer=_words)
    spans: list[tuple[int, int]] = []
    pos = 0
    while pos < len(text):
        end = min(len(text), pos + WINDOW_CHARS)
        if end < len(text):
            cut = text.rfind("\n", pos, end)
            end = cut + 1 if cut > pos else end
        window = text[pos:end]
        search_from = 0
        for node in splitter.get_nodes_from_documents([LIDocument(text=window)]):
            content = node.get_content()
            start = node.start_char_idx
            if start is None or window[start : start + len(content)] != content:
                start = window.find(content, search_from)
            if start < 0 or not content.strip():
                continue
            search_from = start + 1
            spans.append((pos + start, pos + start + len(content)))
        pos = end
    return spans


def chunk_id(doc: Document, start: int, end: int) -> str:
    return hashlib.sha1(f"{doc.path}\0{doc.sha256}\0{start}\0{end}".encode()).hexdigest()[:16]


def index_dir_for(root: Path, corpus_dir: Path) -> Path:
    key = hashlib.sha1(str(corpus_dir.resolve()).encode()).hexdigest()[:16]
    return root / key


class CorpusIndex:
    """The index of one corpus folder, stored under ``root``."""

    def __init__(self, root: Path, corpus_dir: Path, embedder: Any | None = None) -> None:
        self.corpus_dir = corpus_dir
        self.root = index_dir_for(root, corpus_dir)
        self.embedder = embedder
        try:
            self.root.mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            raise IndexError_(f"Cannot create index folder {self.root}: {exc.strerror}. Set BRIEFER_HOME to a writable folder.") from None
        self.db_path = self.root / "index.sqlite"
        self.lock = FileLock(str(self.root / "index.lock"), timeout=LOCK_TIMEOUT_S)
        self._db = sqlite3.connect(self.db_path, isolation_level=None, check_same_thread=False)
        self._db.execute("PRAGMA journal_mode=WAL")
        self._db.executescript(
            """
            CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT);
            CREATE TABLE IF NOT EXISTS documents (path TEXT PRIMARY KEY, sha256 TEXT, title TEXT, date TEXT,
                format TEXT, text TEXT);
            CREATE TABLE IF NOT EXISTS chunks (id TEXT PRIMARY KEY, path TEXT, start INTEGER, end INTEGER, vec BLOB);
            CREATE INDEX IF NOT EXISTS chunks_path ON chunks(path);
            """
        )

    # -- reading -------------------------------------------------------------
    def meta(self, key: str, default: str = "") -> str:
        row = self._db.execute("SELECT value FROM meta WHERE key=?", (key,)).fetchone()
        return row[0] if row else default

    @property
    def version(self) -> int:
        return int(self.meta("version", "0"))

    def document(self, path: str) -> Document:
        row = self._db.execute("SELECT path, sha256, title, date, format, text FROM documents WHERE path=?", (path,)).fetchone()
        if row is None:
            raise KeyError(path)
        return Document(path=row[0], sha256=row[1], title=row[2], date=row[3], format=row[4], text=row[5])

    def documents(self) -> dict[str, tuple[str, str]]:
        """path -> (sha256, title)"""
        return {p: (s, t) for p, s, t in self._db.execute("SELECT path, sha256, title FROM documents ORDER BY path")}

    def chunk_rows(self) -> list[tuple[str, str, int, int]]:
        """(id, path, start, end) of every chunk, in a stable order."""
        return list(self._db.execute("SELECT id, path, start, end FROM chunks ORDER BY path, start"))

    def chunk_texts(self) -> tuple[list[str], list[str]]:
        ids, texts, cache = [], [], {}
        for cid, path, start, end in self.chunk_rows():
            if path not in cache:
                cache = {path: self.document(path).text}
            ids.append(cid)
            texts.append(cache[path][start:end])
        return ids, texts

    def vectors(self) -> tuple[list[str], np.ndarray | None]:
        rows = self._db.execute("SELECT id, vec FROM chunks WHERE vec IS NOT NULL ORDER BY path, start").fetchall()
        if not rows:
            return [], None
        matrix = np.frombuffer(b"".join(r[1] for r in rows), dtype=np.float32).reshape(len(rows), -1)
        return [r[0] for r in rows], matrix

    # -- writing -------------------------------------------------------------
    def refresh(self, progress: Progress | None = None) -> IndexReport:
        """Bring the index in line with the corpus folder, re-reading only changed files."""
        try:
            with self.lock:
                return self._refresh(progress)
        except Timeout:
            raise IndexError_(
                f"Another briefer run is updating the index in {self.root}; wait for it to finish "
                "(or set BRIEFER_HOME to use a separate cache)."
            ) from None

    def _refresh(self, progress: Progress | None) -> IndexReport:
        t0 = time.perf_counter()
        report = IndexReport()
        entries, skipped = scan_corpus(self.corpus_dir)
        report.skipped.extend(skipped)
        known = {p: sha for p, (sha, _) in self.documents().items()}
        embed_id = getattr(self.embedder, "model_id", "") if self.embedder else ""
        reembed = bool(self.embedder) and self.meta("embed_model") != embed_id
        todo = []
        for entry in entries:
            if entry.path not in known:
                report.added.append(entry.path)
                todo.append(entry)
            elif known[entry.path] != entry.sha256:
                report.changed.append(entry.path)
                todo.append(entry)
            else:
                report.unchanged.append(entry.path)
        present = {e.path for e in entries}
        report.removed = sorted(p for p in known if p not in present)

        new_docs: list[Document] = []
        new_chunks: list[tuple[str, str, int, int, bytes | None]] = []
        for i, entry in enumerate(todo, 1):
            if progress:
                progress("read", i, len(todo))
            doc = extract(entry)
            if isinstance(doc, Skipped):
                report.skipped.append(doc)
                if entry.path in known:
                    report.removed.append(entry.path)
                for lst in (report.added, report.changed):
                    if entry.path in lst:
                        lst.remove(entry.path)
                continue
            new_docs.append(doc)
            new_chunks.extend((chunk_id(doc, s, e), doc.path, s, e, None) for s, e in chunk_spans(doc.text))
        pending_vecs = self._embed_new(new_docs, new_chunks, reembed, progress)
        report.embedded = len(pending_vecs[0]) if pending_vecs else 0

        changed = bool(todo or report.removed or reembed)
        if changed:
            db = self._db
            db.execute("BEGIN IMMEDIATE")
            try:
                for path in report.removed + report.changed + [d.path for d in new_docs]:
                    db.execute("DELETE FROM chunks WHERE path=?", (path,))
                    db.execute("DELETE FROM documents WHERE path=?", (path,))
                db.executemany(
                    "INSERT INTO documents VALUES (?,?,?,?,?,?)",
                    [(d.path, d.sha256, d.title, d.date, d.format, d.text) for d in new_docs],
                )
                db.executemany("INSERT OR REPLACE INTO chunks VALUES (?,?,?,?,?)", new_chunks)
                if pending_vecs:
                    db.executemany("UPDATE chunks SET vec=? WHERE id=?", list(zip(pending_vecs[1], pending_vecs[0])))
                if self.embedder:
                    db.execute("INSERT OR REPLACE INTO meta VALUES ('embed_model', ?)", (embed_id,))
                db.execute("INSERT OR REPLACE INTO meta VALUES ('version', ?)", (str(self.version + 1),))
                db.execute("INSERT OR REPLACE INTO meta VALUES ('schema', ?)", (SCHEMA_VERSION,))
                db.execute("COMMIT")
            except BaseException:
                db.execute("ROLLBACK")
                raise
        report.chunks = self._db.execute("SELECT COUNT(*) FROM chunks").fetchone()[0]
        report.seconds = time.perf_counter() - t0
        return report

    def _embed_new(self, new_docs: list[Document], new_chunks: list, reembed: bool,
                   progress: Progress | None) -> tuple[list[str], list[bytes]] | None:
        """Embed the new chunks (and every old one if the embedder changed)."""
        if not self.embedder:
            return None
        texts_by_doc = {d.path: d.text for d in new_docs}
        targets = [(cid, texts_by_doc[p][s:e]) for cid, p, s, e, _ in new_chunks]
        if reembed:
            new_ids = {t[0] for t in targets}
            ids, texts = self.chunk_texts()
            targets += [(i, t) for i, t in zip(ids, texts) if i not in new_ids]
        ids_out: list[str] = []
        blobs: list[bytes] = []
        batch = 32
        for start in range(0, len(targets), batch):
            part = targets[start : start + batch]
            vecs = np.asarray(self.embedder.embed([t for _, t in part]), dtype=np.float32)
            ids_out.extend(i for i, _ in part)
            blobs.extend(v.tobytes() for v in vecs)
            if progress:
                progress("embed", min(start + batch, len(targets)), len(targets))
        return ids_out, blobs

    def close(self) -> None:
        self._db.close()
