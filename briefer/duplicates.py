"""Which documents of a corpus are the same report twice (PDF and Markdown of one CRS product).

Retrieval must not spend two evidence slots on one source, and a memo must cite one
copy of it: :func:`find_duplicates` maps each copy to its canonical document.  MinHash
of word shingles, so a thousand documents take seconds and no model is needed.
"""

from __future__ import annotations

import hashlib
import re
import zlib

import numpy as np

SHINGLE_WORDS = 5
NUM_HASHES = 128
# Estimated Jaccard similarity of 5-word shingles at or above which two documents are one.
# Measured on crs-sample (after extraction): the PDF and the Markdown of one CRS report
# score 0.83-0.96 (the Markdown carries web-page chrome, the PDF footnotes); two different
# reports score at most 0.06, though every one ends with the same disclaimer paragraph.
DUPLICATE_JACCARD = 0.5
FORMAT_RANK = {"md": 0, "markdown": 0, "html": 1, "htm": 1, "docx": 2, "txt": 3, "pdf": 4}
_MASK = np.uint64(0xFFFFFFFFFFFFFFFF)
# Hash-function parameters from blake2b of fixed labels: the same sketches in every run and
# numpy version (a seeded numpy generator does not promise a stable stream).
_PARAMS = [int.from_bytes(hashlib.blake2b(f"minhash-{i}".encode(), digest_size=16).digest(), "big")
           for i in range(NUM_HASHES)]
_MULT = np.array([(p >> 64) | 1 for p in _PARAMS], dtype=np.uint64)  # odd multipliers
_XOR = np.array([p & 0xFFFFFFFFFFFFFFFF for p in _PARAMS], dtype=np.uint64)


def _shingle_hashes(text: str) -> np.ndarray:
    """64-bit hashes of the document's overlapping 5-word shingles (normalised words)."""
    words = re.findall(r"[a-z0-9]+", text.lower())
    if not words:
        return np.zeros(0, dtype=np.uint64)
    token = np.array([zlib.crc32(w.encode()) for w in words], dtype=np.uint64)
    k = min(SHINGLE_WORDS, len(words))
    hashes = np.zeros(len(words) - k + 1, dtype=np.uint64)
    with np.errstate(over="ignore"):
        for offset in range(k):  # polynomial combination of the k word hashes
            hashes = hashes * np.uint64(1000003) + token[offset:len(words) - k + 1 + offset]
    return np.unique(hashes)


def minhash(text: str) -> np.ndarray:
    """The MinHash sketch of *text*: NUM_HASHES minima of independent-looking hash functions."""
    hashes = _shingle_hashes(text)
    if hashes.size == 0:
        return np.full(NUM_HASHES, _MASK, dtype=np.uint64)
    with np.errstate(over="ignore"):
        mixed = (hashes[None, :] ^ _XOR[:, None]) * _MULT[:, None]
        mixed ^= mixed >> np.uint64(29)
    return mixed.min(axis=1)


def _rank(path: str) -> tuple[int, str]:
    """Canonical order: the cleaner format first (md > html > docx > txt > pdf), then path."""
    suffix = path.rsplit(".", 1)[-1].lower() if "." in path else ""
    return FORMAT_RANK.get(suffix, 5), path


def find_duplicates(texts: dict[str, str], threshold: float = DUPLICATE_JACCARD) -> dict[str, str]:
    """Map each near-duplicate document's path to the canonical path it duplicates.

    Near-duplicate = estimated Jaccard similarity of word 5-shingles >= *threshold*
    (MinHash, one sketch per document, so 1000 documents take seconds).  Groups
    are transitive; the canonical member is the one in the cleanest format, then
    the first path.  Documents with no words are never duplicates.  Pure function.
    """
    paths = sorted(p for p, t in texts.items() if re.search(r"[A-Za-z0-9]", t))
    if len(paths) < 2:
        return {}
    sketches = np.stack([minhash(texts[p]) for p in paths])
    parent = list(range(len(paths)))

    def root(i: int) -> int:
        while parent[i] != i:
            parent[i] = parent[parent[i]]
            i = parent[i]
        return i

    for i in range(len(paths) - 1):
        similar = (sketches[i + 1:] == sketches[i]).mean(axis=1) >= threshold
        for j in np.nonzero(similar)[0]:
            a, b = root(i), root(i + 1 + int(j))
            if a != b:
                parent[max(a, b)] = min(a, b)
    groups: dict[int, list[str]] = {}
    for index, path in enumerate(paths):
        groups.setdefault(root(index), []).append(path)
    result: dict[str, str] = {}
    for members in groups.values():
        canonical = min(members, key=_rank)
        result.update({m: canonical for m in members if m != canonical})
    return result
