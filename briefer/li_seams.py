"""briefer's index and readers as LlamaIndex components, so either side can use the other.

* :class:`BrieferRetriever` is a LlamaIndex ``BaseRetriever`` over a briefer
  index: it wraps :class:`briefer.retrieval.Retriever` unchanged (hybrid BM25 +
  dense, per-document diversity) and returns ``NodeWithScore`` whose
  ``TextNode`` carries exact ``start_char_idx``/``end_char_idx`` into the
  document's extracted text, so a LlamaIndex query engine, postprocessor or
  agent can cite what briefer cites.
* :class:`BrieferReader` is a LlamaIndex ``BaseReader`` over briefer's format
  extraction (txt, md, html, pdf, docx: cleaned text, titles, dates), usable
  alone or as ``SimpleDirectoryReader(file_extractor=...)``.  Its ``Document``
  text is exactly the text briefer indexes and cites, so offsets agree.

Nothing here resolves LlamaIndex's global LLM or embedding model (which would
default to OpenAI): the retriever embeds queries with briefer's own embedder.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from llama_index.core.base.base_retriever import BaseRetriever
from llama_index.core.readers.base import BaseReader
from llama_index.core.schema import Document as LIDocument
from llama_index.core.schema import NodeRelationship, NodeWithScore, QueryBundle, RelatedNodeInfo, TextNode

from .corpus import load_corpus, read_document
from .retrieval import MODES, Retriever
from .schema import Document, Passage


def passage_node(passage: Passage) -> NodeWithScore:
    """One briefer passage as a scored TextNode; ``document text[start_char_idx:end_char_idx] == node.text``."""
    node = TextNode(id_=passage.id, text=passage.text, start_char_idx=passage.start, end_char_idx=passage.end,
                    metadata={"document": passage.document, "title": passage.title},
                    relationships={NodeRelationship.SOURCE: RelatedNodeInfo(node_id=passage.document)})
    return NodeWithScore(node=node, score=passage.score)


class BrieferRetriever(BaseRetriever):
    """A LlamaIndex retriever that searches a briefer index (``k`` passages, ``mode`` hybrid/bm25/dense)."""

    def __init__(self, retriever: Retriever, *, k: int = 5, mode: str = "hybrid", **kwargs: Any) -> None:
        if mode not in MODES:
            raise ValueError(f"mode must be one of {MODES}")
        self.briefer_retriever = retriever
        self.k = k
        self.mode = mode
        super().__init__(**kwargs)

    @classmethod
    def from_settings(cls, settings: Any, **kwargs: Any) -> BrieferRetriever:
        """Index (incrementally) the settings' corpus with their embedder, then wrap its Retriever."""
        from .pipeline import load_embedder, refresh_index

        embedder = load_embedder(settings)
        index, _ = refresh_index(settings, embedder)
        return cls(Retriever(index, embedder), **kwargs)

    def _retrieve(self, query_bundle: QueryBundle) -> list[NodeWithScore]:
        passages = self.briefer_retriever.search(query_bundle.query_str, k=self.k, mode=self.mode)
        return [passage_node(p) for p in passages]


def as_llama_document(doc: Document, extra_info: dict | None = None) -> LIDocument:
    """A briefer Document as a LlamaIndex Document (same text, so the same offsets)."""
    metadata = {**(extra_info or {}), "document": doc.path, "title": doc.title, "format": doc.format,
                "sha256": doc.sha256}
    if doc.date:
        metadata["date"] = doc.date
    return LIDocument(id_=doc.path, text=doc.text, metadata=metadata,
                      excluded_embed_metadata_keys=["sha256"], excluded_llm_metadata_keys=["sha256"])


class BrieferReader(BaseReader):
    """Reads a file, or every supported file under a folder, with briefer's extractors.

    ``load_data(path)`` on a folder skips unreadable files (briefer's reasons are
    in ``self.skipped``); on one file it raises :class:`briefer.errors.CorpusError`
    with the reason, as ``briefer review`` does.
    """

    def __init__(self) -> None:
        super().__init__()
        self.skipped: list[tuple[str, str]] = []

    def load_data(self, file: str | Path, extra_info: dict | None = None, **_: Any) -> list[LIDocument]:
        path = Path(file)
        if path.is_dir():
            docs, skipped = load_corpus(path)
            self.skipped = [(s.path, s.reason) for s in skipped]
            return [as_llama_document(d, extra_info) for d in docs]
        return [as_llama_document(read_document(path.parent, path.name), extra_info)]
