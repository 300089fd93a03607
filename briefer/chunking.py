"""Turn document text into index units: chunks and the terms inside them.

Chunking uses LlamaIndex's ``SentenceSplitter`` (sentence-aware, with
character offsets) with a whitespace tokenizer: its default is tiktoken, whose
first use downloads an encoding file (no network at run time), and chunk size
in words is what the prompts and the benchmarks reason about anyway.

The terms inside them are :func:`briefer.textanalysis.terms`, one analysis shared
by BM25 (indexing and querying) and by evidence scoring, so a query word and an
indexed word always meet in the same form.

What this module produces is stored by :mod:`briefer.index` (chunk spans, chunk
ids, per-chunk term counts), so it is versioned: see ``ANALYSIS_VERSION``.
"""

from __future__ import annotations

import functools
import hashlib
from typing import Any

from .schema import Document

CHUNK_WORDS = 160
CHUNK_OVERLAP = 24
WINDOW_CHARS = 200_000  # split huge documents before the splitter sees them
# Part of the index's SCHEMA_VERSION (briefer.index_schema), so an index built with other
# chunks or terms is rebuilt from the corpus on open instead of mixing old and new.
# A chunk-size change bumps it by itself; a change to chunk_spans(), chunk_id(),
# textanalysis.terms(), index_stem() or INDEX_STOPWORDS must bump it by hand (append or bump a
# suffix, e.g. "/t2").  Sentence spans have their own textanalysis.SPLIT_VERSION ("/s2" here is
# history: "e.g." and "i.e." no longer end a sentence).
ANALYSIS_VERSION = f"{CHUNK_WORDS}/{CHUNK_OVERLAP}/s2"

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
