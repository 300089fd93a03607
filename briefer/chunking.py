"""Turn document text into index units: chunks and the terms inside them.

Chunking uses LlamaIndex's ``SentenceSplitter`` (sentence-aware, with
character offsets) with a whitespace tokenizer: its default is tiktoken, whose
first use downloads an encoding file (no network at run time), and chunk size
in words is what the prompts and the benchmarks reason about anyway.

``terms`` is the one analysis shared by BM25 (indexing and querying) and by
evidence scoring in :mod:`briefer.retrieval`, so a query word and an indexed
word always meet in the same form.

What this module produces is stored by :mod:`briefer.index` (chunk spans, chunk
ids, per-chunk term counts), so it is versioned: see ``ANALYSIS_VERSION``.
"""

from __future__ import annotations

import functools
import hashlib
import re
from typing import Any

from .schema import Document

CHUNK_WORDS = 160
CHUNK_OVERLAP = 24
WINDOW_CHARS = 200_000  # split huge documents before the splitter sees them
# Part of the index's SCHEMA_VERSION (briefer.index), so an index built with other
# chunks or terms is rebuilt from the corpus on open instead of mixing old and new.
# A chunk-size change bumps it by itself; a change to chunk_spans(), chunk_id(),
# terms(), stem() or STOPWORDS must bump it by hand (append or bump a suffix, e.g. "/t2"), and so
# must one to claims.sentence_spans, whose sentences the index stores ("/s2": "e.g." and "i.e."
# no longer end a sentence).
ANALYSIS_VERSION = f"{CHUNK_WORDS}/{CHUNK_OVERLAP}/s2"

# ----------------------------------------------------------------------------- analysis
_WORD = re.compile(r"[\w%$.-]+", re.UNICODE)
STOPWORDS = frozenset(
    "a an and are as at be been but by can could did do does for from had has have how in into is it its of on or "
    "our should so such than that the their them then there these they this those to was we were what when where "
    "which while who whom why will with would about after also any between both each more most other over same some "
    "under up very you your".split()
)
_NORMALISED: dict[str, str] = {}  # raw lower-case word -> index term ("" for stopwords)


def stem(word: str) -> str:
    """A deliberately light suffix stripper, shared by BM25 and evidence scoring.

    (PyStemmer would be better; it is a compiled extra dependency for a small
    gain on short policy texts, so we keep this until measurements say otherwise.)
    """
    for suffix in ("ingly", "ings", "ing", "edly", "ied", "ies", "ed", "es", "s"):
        if word.endswith(suffix) and len(word) - len(suffix) >= 3:
            word = word[: -len(suffix)]
            break
    # A final silent "e" goes too, so "vote"/"voted" and "charge"/"charged" meet.
    return word[:-1] if word.endswith("e") and len(word) > 4 else word


def _normalise(raw: str) -> str:
    word = raw.strip(".-")
    return stem(word) if word and word not in STOPWORDS else ""


def terms(text: str) -> list[str]:
    """Index terms of ``text``: lower-cased words, stopwords dropped, lightly stemmed.

    Memoised per distinct word: tokenising 100k chunks is mostly dictionary hits."""
    if len(_NORMALISED) > 2_000_000:
        _NORMALISED.clear()
    out = []
    for raw in _WORD.findall(text.lower()):
        term = _NORMALISED.get(raw)
        if term is None:
            term = _NORMALISED[raw] = _normalise(raw)
        if term:
            out.append(term)
    return out


# ----------------------------------------------------------------------------- chunking
@functools.lru_cache(maxsize=1)
def _splitter() -> Any:
    from llama_index.core.node_parser import SentenceSplitter  # slow import: only when chunking

    return SentenceSplitter(chunk_size=CHUNK_WORDS, chunk_overlap=CHUNK_OVERLAP, tokenizer=str.split)


def chunk_spans(text: str) -> list[tuple[int, int]]:
    """Sentence-aware chunk boundaries as character spans into ``text``.

    ``split_text`` gives the same chunks as ``get_nodes_from_documents`` without
    building nodes (a quarter of the time); each chunk is located in the text
    from the previous chunk's start, as LlamaIndex itself does."""
    spans: list[tuple[int, int]] = []
    pos = 0
    while pos < len(text):
        end = min(len(text), pos + WINDOW_CHARS)
        if end < len(text):
            cut = text.rfind("\n", pos, end)
            end = cut + 1 if cut > pos else end
        window = text[pos:end]
        search_from = 0
        for content in _splitter().split_text(window):
            start = window.find(content, search_from)
            if start < 0 or not content.strip():
                continue
            search_from = start + 1
            spans.append((pos + start, pos + start + len(content)))
        pos = end
    return spans


def chunk_id(doc: Document, start: int, end: int) -> str:
    """Stable id of a chunk: the same span of the same file version gets the same id."""
    return hashlib.sha1(f"{doc.path}\0{doc.sha256}\0{start}\0{end}".encode()).hexdigest()[:16]
