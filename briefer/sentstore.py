"""Every sentence of every indexed document, with its embedding.

Evidence is chosen *by meaning* at sentence level ("begin" must match
"start"), so each sentence needs a vector.  Embedding a sentence at query
time would cost every memo several seconds on 2 cores; here the vectors are
computed once, when a document is (re)indexed, and kept beside the index.

Storage is one ``.npz`` file per document *content*: its name hashes the
document's sha256, the embedding model, the splitter's and the extractor's versions, so the store
is incremental for free (an unchanged file is never re-embedded, a changed one
gets a new file), and it needs no schema of its own inside the SQLite index.
Each file is written atomically, so a run killed mid-way keeps every document
it finished.  Files of documents no longer in the corpus are pruned.
"""

from __future__ import annotations

import hashlib
import os
import tempfile
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np

from . import formats
from .textanalysis import SPLIT_VERSION, sentence_spans
from .crashpoint import reached
from .store import DocSentences, model_id

EMBED_BATCH = 64
Progress = Callable[[str, int, int], None]


class SentenceStore:
    """Sentence spans and vectors for the documents of one SQLite ``CorpusIndex``."""

    def __init__(self, index: Any, embedder: Any | None) -> None:
        self.index = index
        self.embedder = embedder
        self.model = model_id(embedder) if embedder is not None else "none"
        self.folder = index.root / "sentences"
        self._cache: dict[str, DocSentences] = {}

    def _file(self, sha: str) -> Path:
        # The extractor's version too: the same file's bytes give other text (and spans) after an
        # extractor change, and vectors of the old sentences at the new text's offsets are wrong.
        key = f"{sha}:{self.model}:{SPLIT_VERSION}:{formats.EXTRACTOR_VERSION}"
        name = hashlib.sha256(key.encode()).hexdigest()[:32]
        return self.folder / f"{name}.npz"

    def refresh(self, progress: Progress | None = None) -> int:
        """Split and embed every document that has no file yet; prune the rest. Returns sentences embedded."""
        self.folder.mkdir(parents=True, exist_ok=True)
        docs = self.index.documents()
        wanted = {self._file(sha).name for sha, _ in docs.values()}
        for stale in self.folder.glob("*.npz"):  # includes .tmp-* files of a killed run (the lock is held)
            if stale.name not in wanted:
                stale.unlink(missing_ok=True)
        todo = [p for p, (sha, _) in sorted(docs.items()) if not self._file(sha).exists()]
        done = 0
        if not todo:
            return 0
        split = {p: self.index.document(p) for p in todo}
        spans = {p: sentence_spans(d.text) for p, d in split.items()}
        total = sum(len(s) for s in spans.values())
        for path, doc in split.items():
            texts = [doc.text[s:e] for s, e in spans[path]]
            vecs = None
            if self.embedder is not None and texts:
                parts = []
                for i in range(0, len(texts), EMBED_BATCH):
                    parts.append(self.embedder.embed(texts[i:i + EMBED_BATCH]))
                    done += len(texts[i:i + EMBED_BATCH])
                    if progress:
                        progress("sentences", done, total)
                vecs = np.concatenate(parts).astype(np.float32)
            self._save(self._file(doc.sha256), np.asarray(spans[path], dtype=np.int64).reshape(-1, 2), vecs)
            reached("sentences")
        return done

    def _save(self, target: Path, spans: np.ndarray, vecs: np.ndarray | None) -> None:
        fd, tmp = tempfile.mkstemp(prefix=".tmp-", suffix=".npz", dir=self.folder)
        try:
            with os.fdopen(fd, "wb") as fh:
                arrays = {"spans": spans} if vecs is None else {"spans": spans, "vecs": vecs}
                np.savez(fh, **arrays)
                fh.flush()
                os.fsync(fh.fileno())
            os.replace(tmp, target)
        except BaseException:
            Path(tmp).unlink(missing_ok=True)
            raise

    def get(self, path: str, text: str | None = None) -> DocSentences:
        """The sentences of ``path`` (computed on the fly, unembedded, if its file is missing)."""
        if path in self._cache:
            return self._cache[path]
        doc = self.index.document(path)
        target = self._file(doc.sha256)
        spans, vecs = None, None
        if target.exists():
            with np.load(target) as data:
                spans = data["spans"]
                vecs = data["vecs"] if "vecs" in data and self.embedder is not None else None
        if spans is None:
            spans = np.asarray(sentence_spans(doc.text), dtype=np.int64).reshape(-1, 2)
        found = DocSentences(path, doc.text, spans, vecs)
        self._cache[path] = found
        return found
