"""The synthetic corpus, fake embedders and measuring helpers of the index benches.

bench/index_bench.py and bench/scale_bench.py both import from here so that
their figures are for the same corpus (same seed, same Zipf pseudo-text), the
same queries and the same fake vectors, and so can be read side by side.  Fake
embedders give vectors of real size without embedding compute, so the figures
are the index's own cost.
"""

from __future__ import annotations

import hashlib
import resource
import shutil
from pathlib import Path

import numpy as np

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


class BagEmbedder:
    """Vectors with the structure real embeddings have (texts sharing words are close): the sum
    of a fixed random vector per term.  Random unit vectors are the worst case for a graph index
    (every point is about equally far from every other), so HNSW recall is measured on these."""

    model_id = "bench-bag-of-words-384"

    def __init__(self) -> None:
        self._vecs: dict[str, np.ndarray] = {}

    def _vec(self, term: str) -> np.ndarray:
        if term not in self._vecs:
            seed = int.from_bytes(term.encode()[:8].ljust(8, b"\0"), "little") ^ len(term)
            self._vecs[term] = np.random.default_rng(seed).standard_normal(384).astype(np.float32)
        return self._vecs[term]

    def embed(self, texts: list[str]) -> np.ndarray:
        from briefer.textanalysis import terms

        out = np.zeros((len(texts), 384), dtype=np.float32)
        for i, text in enumerate(texts):
            for term in terms(text):
                out[i] += self._vec(term)
        return out / np.maximum(np.linalg.norm(out, axis=1, keepdims=True), 1e-9)


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


def zipf_queries(n: int) -> list[str]:
    """``n`` queries of 3-8 words drawn from the corpus's vocabulary and Zipf weights (fixed
    seeds), so every run and both benches search with the same queries."""
    rng = np.random.default_rng(3)
    vocab = pseudo_vocab(np.random.default_rng(7))
    p = 1.0 / np.arange(1, len(vocab) + 1) ** 1.07
    return [" ".join(vocab[i] for i in rng.choice(len(vocab), size=int(rng.integers(3, 9)), p=p / p.sum()))
            for _ in range(n)]


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
