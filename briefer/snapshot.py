"""The search arrays of one index version, kept so that a change costs what it changed.

Private to the SQLite store: only :mod:`briefer.index` builds snapshots and
only :mod:`briefer.snapshot_search` reads them (this module imports neither).
The SQLite store (:mod:`briefer.index`) is the source of truth; a *snapshot*
is what search reads: per chunk *slot* its id, document, offsets and length,
plus BM25 postings (term -> slots with term counts, CSC layout) and the
embedding matrix.  Everything is ``.npy`` and memory-mapped, so opening a
100k-chunk index reads no chunk text and takes milliseconds.  This module
writes, finds and prunes those folders; opening one and scoring over it is
:mod:`briefer.snapshot_arrays`.

Why segments: rebuilding the postings and copying the 150 MB embedding matrix
after every edit cost seconds at 100k chunks.  So a snapshot has a *main*
segment (``main-<n>/``, immutable, shared by later versions) and a small
*delta* segment with the chunks added since; removed or changed documents only
mark their slots dead.  A refresh writes the per-slot arrays and the delta
(work proportional to the change); when the delta exceeds a tenth of the
slots or a quarter of them are dead, the next version is compacted into a new
main segment.  BM25 weights are computed at query time from term counts and
the live slots' statistics -- exactly bm25s's "lucene" variant (idf =
ln(1 + (N - df + 0.5)/(df + 0.5)), k1 = 1.5, b = 0.75), which
``tests/test_retrieval.py`` checks against ``bm25s.BM25.index`` -- so no
stored weight goes stale when N, df or the mean length change.

Every folder is written under a temporary name and renamed, so a reader never
sees half a snapshot; the caller holds the index lock while building.
"""

from __future__ import annotations

import json
import os
import shutil
import sqlite3
from contextlib import AbstractContextManager
from pathlib import Path
from typing import Any, Protocol

import numpy as np

from .crashpoint import reached
from .errors import IndexError_
from .snapshot_arrays import _SLOT_ARRAYS, Segment, Snapshot
from .store import B, K1


class CorpusIndex(Protocol):
    """What a snapshot needs of the SQLite store (structural, so the two modules don't import each other)."""

    root: Path
    embedder: Any | None

    @property
    def version(self) -> int: ...

    @property
    def db(self) -> sqlite3.Connection: ...

    def meta(self, key: str, default: str = "") -> str: ...

    def locked(self) -> AbstractContextManager[None]: ...

SNAP_PREFIX, MAIN_PREFIX = "snap-v", "main-"
DELTA_MAX_SHARE, DELTA_MIN_SLOTS, DEAD_MAX_SHARE = 0.10, 2000, 0.25
_SELECT = ("SELECT c.id, c.path, c.start, c.end, c.n_terms, c.tids, c.tfs, e.vec FROM chunks c "
           "LEFT JOIN embeddings e ON e.hash = c.hash AND e.model = ?")


# ----------------------------------------------------------------------------- building
def snapshot_path(index: CorpusIndex) -> Path:
    return index.root / f"{SNAP_PREFIX}{index.version}"


def try_load(path: Path) -> Snapshot | None:
    try:
        return Snapshot(path)
    except (OSError, ValueError, KeyError, EOFError, TypeError):
        return None


def load_snapshot(index: CorpusIndex) -> Snapshot:
    """The current version's snapshot; built (under the index lock) if missing or damaged.

    A writer publishes a version's arrays before it commits the version, so the
    committed version's arrays exist; the retries cover a reader that read the
    version number just before a newer commit pruned that version's arrays.
    Only an index whose arrays were lost (an older briefer, a deleted folder)
    takes the lock to rebuild them.
    """
    for _ in range(5):
        snap = try_load(snapshot_path(index))
        if snap is not None:
            return snap
    with index.locked():
        return ensure_snapshot(index)


def ensure_snapshot(index: CorpusIndex, rebuild: bool = False, prune: bool = True) -> Snapshot:
    """The current version's snapshot, derived from the newest older one when possible (lock held).

    ``rebuild``: never reuse a folder already named for this version (a run killed
    after publishing it but before its COMMIT left arrays for other rows).
    ``prune``: delete the other versions' folders (not before COMMIT: readers use them).
    """
    target = snapshot_path(index)
    snap = None if rebuild else try_load(target)
    if snap is not None:
        return snap
    older = sorted((p for p in index.root.glob(f"{SNAP_PREFIX}*") if p.name[len(SNAP_PREFIX):].isdigit()),
                   key=lambda p: -int(p.name[len(SNAP_PREFIX):]))
    base = next((s for s in map(try_load, older) if s is not None and s.path != target), None)
    docs = index.db.execute("SELECT path, sha256, title FROM documents ORDER BY path").fetchall()
    model = index.meta("embed_model")
    if base is not None and model and index.embedder is not None and not (base.dense and base.manifest["embed_model"] == model):
        base = None  # vectors of a new model, or newly complete: rebuild (rare; follows an embedding pass)
    try:
        if base is None or not _incremental(index, base, docs, model, target):
            _full(index, docs, model, target)
    except OSError as exc:
        raise IndexError_(f"Cannot write the search snapshot in {index.root}: {exc.strerror or exc}. "
                          "Free some disk space or set BRIEFER_HOME to a writable folder.") from None
    snap = Snapshot(target)
    if prune:
        prune_snapshots(index, snap)
    return snap


def prune_snapshots(index: CorpusIndex, keep: Snapshot) -> None:
    """Remove every snapshot and segment folder but ``keep``'s (and leftovers of killed runs).

    A reader that opened an older version keeps its memory-mapped arrays (the
    files stay readable until unmapped); a reader that is just opening one
    finds it gone and retries with the new version (:func:`load_snapshot`).
    """
    for path in index.root.iterdir():
        if path.name.startswith((SNAP_PREFIX, MAIN_PREFIX)) and path not in (keep.path, keep.main.path):
            shutil.rmtree(path, ignore_errors=True)


def _publish(tmp: Path, target: Path) -> None:
    shutil.rmtree(target, ignore_errors=True)
    os.rename(tmp, target)


def _fresh_dir(path: Path) -> Path:
    tmp = path.with_name(path.name + ".tmp")
    shutil.rmtree(tmp, ignore_errors=True)
    tmp.mkdir()
    return tmp


def _manifest(index: CorpusIndex, docs: list, model: str, main: str, main_slots: int, slots: int, dense: bool) -> dict:
    return {"format": 2, "version": index.version, "main": main, "main_slots": main_slots, "slots": slots,
            "docs": [p for p, _, _ in docs], "titles": [t for _, _, t in docs], "shas": [s for _, s, _ in docs],
            "embed_model": model, "dense": dense, "k1": K1, "b": B}


def _write_snapshot(target: Path, slots: dict, delta: tuple, delta_vecs: np.ndarray | None, manifest: dict) -> None:
    tmp = _fresh_dir(target)
    for name, arr in slots.items():
        np.save(tmp / f"{name}.npy", arr)
    Segment.write(tmp, "d_", delta, delta_vecs)
    (tmp / "manifest.json").write_text(json.dumps(manifest), encoding="utf-8")
    reached("snapshot")
    _publish(tmp, target)


def _full(index: CorpusIndex, docs: list, model: str, target: Path) -> None:
    """Everything into a new main segment (first build, compaction, or a new embedding model)."""
    rows = index.db.execute(_SELECT + " ORDER BY c.path, c.start", (model,)).fetchall()
    doc_no = {p: i for i, (p, _, _) in enumerate(docs)}
    vecs = _stack([r[7] for r in rows], None) if model else None
    main_dir = index.root / f"{MAIN_PREFIX}{index.version}"
    tmp = _fresh_dir(main_dir)
    Segment.write(tmp, "", _postings(None, rows, 0), vecs)
    _publish(tmp, main_dir)
    slots = _slot_arrays(rows, doc_no)
    empty = (np.zeros(1, np.int64), np.zeros(0, np.int32), np.zeros(0, np.uint16))
    dense = vecs is not None
    delta_vecs = np.zeros((0, vecs.shape[1]), np.float32) if dense else None
    _write_snapshot(target, slots, empty, delta_vecs, _manifest(index, docs, model, main_dir.name, len(rows), len(rows), dense))


def _incremental(index: CorpusIndex, base: Snapshot, docs: list, model: str, target: Path) -> bool:
    """Base slots with gone documents marked dead, plus a delta with the new chunks; False if it is time to compact."""
    current = {p: sha for p, sha, _ in docs}
    doc_no = {p: i for i, (p, _, _) in enumerate(docs)}
    same = np.array([current.get(p) == s for p, s in zip(base.docs, base.manifest["shas"])] + [False], dtype=bool)
    remap = np.array([doc_no[p] if ok else -1 for p, ok in zip(base.docs, same)] + [-1], dtype=np.int32)
    kept = {p for p, ok in zip(base.docs, same) if ok}
    new_paths = [p for p, _, _ in docs if p not in kept]
    rows = []
    for i in range(0, len(new_paths), 900):
        part = new_paths[i:i + 900]
        rows += index.db.execute(_SELECT + f" WHERE c.path IN ({','.join('?' * len(part))}) ORDER BY c.path, c.start",
                                 [model, *part]).fetchall()
    old_slots = base.manifest["slots"]
    slots = old_slots + len(rows)
    old_doc = np.asarray(base.slots["doc"])
    doc = np.concatenate([remap[old_doc], np.array([doc_no[r[1]] for r in rows], dtype=np.int32)])
    live = int((doc >= 0).sum())
    delta_slots = slots - base.manifest["main_slots"]
    if delta_slots > max(DELTA_MIN_SLOTS, DELTA_MAX_SHARE * slots) or slots - live > DEAD_MAX_SHARE * slots:
        return False
    new = _slot_arrays(rows, doc_no)
    arrays = {name: np.concatenate([np.asarray(base.slots[name]), new[name]]) for name in _SLOT_ARRAYS}
    arrays["doc"] = doc
    d = base.delta
    delta = _postings((np.asarray(d.indptr), np.asarray(d.rows), np.asarray(d.tf)), rows, old_slots)
    dense = base.dense and base.manifest["embed_model"] == model
    delta_vecs = _stack([r[7] for r in rows], np.asarray(d.vecs)) if dense else None
    manifest = _manifest(index, docs, model, base.main.path.name, base.manifest["main_slots"], slots, delta_vecs is not None)
    _write_snapshot(target, arrays, delta, delta_vecs, manifest)
    return True


def _slot_arrays(rows: list, doc_no: dict[str, int]) -> dict[str, np.ndarray]:
    return {"ids": np.array([r[0] for r in rows], dtype="S16"), "doc": np.array([doc_no[r[1]] for r in rows], dtype=np.int32),
            "start": np.array([r[2] for r in rows], dtype=np.int64), "end": np.array([r[3] for r in rows], dtype=np.int64),
            "dl": np.array([r[4] for r in rows], dtype=np.int32)}


def _stack(blobs: list, old: np.ndarray | None) -> np.ndarray | None:
    """Old vectors plus the new blobs, or None if any chunk has no vector (or a different width)."""
    if any(b is None for b in blobs):
        return None
    new = np.frombuffer(b"".join(blobs), dtype=np.float32)
    if old is None:
        return new.reshape(len(blobs), -1) if blobs else None
    if new.size != len(blobs) * old.shape[1]:
        return None
    return np.concatenate([old, new.reshape(len(blobs), old.shape[1])])


def _postings(old: tuple[np.ndarray, ...] | None, rows: list, first_slot: int) -> tuple[np.ndarray, ...]:
    """CSC postings of ``old`` merged with the new chunks' (slots from ``first_slot``), grouped by term.

    The old postings are moved, not re-sorted (old slots come first in each
    term), so a delta update costs its own size plus one pass over the delta."""
    indptr_a, rows_a, tf_a = old if old is not None else (np.zeros(1, np.int64), np.zeros(0, np.int32), np.zeros(0, np.uint16))
    counts_a = np.diff(indptr_a)
    cols_n = np.frombuffer(b"".join(r[5] for r in rows), dtype="<u4").astype(np.int32)
    tf_n = np.frombuffer(b"".join(r[6] for r in rows), dtype="<u2")
    lens = np.array([len(r[5]) // 4 for r in rows], dtype=np.int64)
    rows_n = first_slot + np.repeat(np.arange(len(rows), dtype=np.int32), lens)
    order = np.argsort(cols_n, kind="stable")
    cols_n, rows_n, tf_n = cols_n[order], rows_n[order], tf_n[order]
    width = max(len(counts_a), int(cols_n.max()) + 1 if len(cols_n) else 0)
    counts_a = np.pad(counts_a, (0, width - len(counts_a)))
    counts_n = np.bincount(cols_n, minlength=width)
    indptr = np.zeros(width + 1, dtype=np.int64)
    np.cumsum(counts_a + counts_n, out=indptr[1:])
    start_a = np.cumsum(counts_a) - counts_a
    start_n = np.cumsum(counts_n) - counts_n
    pos_a = np.arange(len(rows_a)) + np.repeat(indptr[:-1] - start_a, counts_a)
    pos_n = np.arange(len(rows_n)) + np.repeat(indptr[:-1] + counts_a - start_n, counts_n)
    out_rows = np.empty(indptr[-1], dtype=np.int32)
    out_tf = np.empty(indptr[-1], dtype=np.uint16)
    out_rows[pos_a], out_tf[pos_a] = rows_a, tf_a
    out_rows[pos_n], out_tf[pos_n] = rows_n, tf_n
    return indptr, out_rows, out_tf
