"""briefer at LlamaIndex's seams: its index as a LlamaIndex retriever, its format readers as a LlamaIndex reader."""

from __future__ import annotations

import shutil
from pathlib import Path

from llama_index.core import SimpleDirectoryReader
from llama_index.core.ingestion import IngestionPipeline
from llama_index.core.llms.mock import MockLLM
from llama_index.core.node_parser import SentenceSplitter
from llama_index.core.query_engine import RetrieverQueryEngine
from llama_index.core.schema import NodeWithScore, TextNode

from briefer.corpus import load_corpus
from briefer.li_seams import BrieferReader, BrieferRetriever
from briefer.retrieval import Retriever
from briefer.settings import load_settings

ROOT = Path(__file__).resolve().parent.parent


def test_llamaindex_query_over_a_briefer_index(sample_corpus, tmp_path):
    settings = load_settings(corpus=sample_corpus, home=tmp_path / "home", no_embeddings=True)
    retriever = BrieferRetriever.from_settings(settings, k=4)
    question = "Which chips did the United States restrict from export to China?"
    hits = retriever.retrieve(question)
    assert len(hits) == 4 and all(isinstance(h, NodeWithScore) and isinstance(h.node, TextNode) for h in hits)
    texts = {d.path: d.text for d in load_corpus(sample_corpus)[0]}
    for hit in hits:  # exact offsets into the document text briefer cites
        node = hit.node
        assert texts[node.metadata["document"]][node.start_char_idx:node.end_char_idx] == node.get_content()
        assert node.source_node.node_id == node.metadata["document"]
    assert [h.score for h in hits] == sorted((h.score for h in hits), reverse=True)
    wrapped: Retriever = retriever.briefer_retriever  # the same results as briefer's own search
    assert [(h.node.node_id, h.score) for h in hits] == [(p.id, p.score) for p in wrapped.search(question, k=4)]
    # A LlamaIndex query engine uses it as any retriever (MockLLM: no model, no OpenAI default resolved).
    engine = RetrieverQueryEngine.from_args(retriever, llm=MockLLM(), response_mode="compact")
    response = engine.query(question)
    assert [n.node.node_id for n in response.source_nodes] == [h.node.node_id for h in hits]


def test_llamaindex_pipeline_reads_with_briefer_readers(tmp_path):
    folder = tmp_path / "docs"
    folder.mkdir()
    for f in sorted((ROOT / "corpus").glob("*.txt"))[:2]:
        shutil.copy(f, folder / f.name)
    (folder / "page.html").write_text("<html><head><title>Chip rules</title></head><body><nav>Home | About</nav>"
                                      "<main><p>The rule took effect in October 2022.</p></main></body></html>")
    (folder / "notes.md").write_text("---\ntitle: Notes\n---\n# Heading\n\nExports of **advanced** chips fell.\n")
    reader = BrieferReader()
    docs = SimpleDirectoryReader(str(folder), file_extractor={s: reader for s in (".txt", ".md", ".html")}).load_data()
    ours = {d.path: d for d in load_corpus(folder)[0]}
    assert sorted(d.metadata["document"] for d in docs) == sorted(ours)
    for d in docs:  # the text LlamaIndex gets is the text briefer indexes and cites
        assert d.text == ours[d.metadata["document"]].text and "file_path" in d.metadata
    page = next(d for d in docs if d.metadata["document"] == "page.html")
    assert page.metadata["title"] == "Chip rules" and "Home | About" not in page.text
    assert "**" not in next(d for d in docs if d.metadata["document"] == "notes.md").text
    nodes = IngestionPipeline(transformations=[SentenceSplitter(chunk_size=256, chunk_overlap=0)]).run(documents=docs)
    by_id = {d.id_: d.text for d in docs}
    assert nodes and all(by_id[n.ref_doc_id][n.start_char_idx:n.end_char_idx] == n.text for n in nodes)
    assert len(BrieferReader().load_data(folder)) == len(docs)
