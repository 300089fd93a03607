"""LlamaIndex's JSON stores vs briefer's SQLite store, on the same chunks and vectors.

The ``--compare-stores`` part of bench/index_bench.py: the figures behind
keeping the index in SQLite instead of LlamaIndex's SimpleDocumentStore +
SimpleVectorStore, which rewrite every file on each persist and parse
everything on load (README, "Store").  The only part of the bench that imports
llama_index, so the other parts run without it.
"""

from __future__ import annotations

import shutil
import time
from pathlib import Path

from index_synthetic import FILES, RandomEmbedder, dir_mb, make_corpus


def compare_stores(work: Path, chunks: int = 10_000) -> dict:
    """LlamaIndex SimpleDocumentStore + SimpleVectorStore (JSON) vs our SQLite store, after a 1-file change."""
    from briefer.index import CorpusIndex

    corpus = make_corpus(work / f"corpus-{chunks}", max(1, chunks // FILES))
    emb = RandomEmbedder()
    home = work / "stores-home"
    shutil.rmtree(home, ignore_errors=True)
    idx = CorpusIndex(home, corpus, emb)
    idx.refresh()
    rows = idx.db.execute("SELECT c.id, c.path, c.start, c.end, d.text FROM chunks c JOIN documents d ON d.path = c.path").fetchall()
    changed = "doc0500.txt"
    return {
        "chunks": len(rows),
        "llamaindex_json": _llamaindex_json(rows, emb, work / "llamaindex-store", changed),
        "briefer_sqlite": _briefer_sqlite(idx, home, corpus, emb, changed),
    }


def _llamaindex_json(rows: list, emb: RandomEmbedder, li_dir: Path, changed: str) -> dict:
    """The same chunks and vectors in LlamaIndex's JSON stores: first persist, persist after
    replacing one file's nodes (the stores rewrite whole JSON files), and load."""
    from llama_index.core import StorageContext
    from llama_index.core.schema import NodeRelationship, RelatedNodeInfo, TextNode
    from llama_index.core.storage.docstore import SimpleDocumentStore
    from llama_index.core.vector_stores import SimpleVectorStore

    vec_of = dict(zip((r[0] for r in rows), emb.embed([t[s:e] for _, _, s, e, t in rows])))

    def node(cid: str, path: str, text: str) -> TextNode:
        return TextNode(id_=cid, text=text, embedding=vec_of[cid].tolist(),
                        relationships={NodeRelationship.SOURCE: RelatedNodeInfo(node_id=path)})

    nodes = [node(cid, p, t[s:e]) for cid, p, s, e, t in rows]
    docstore, vstore = SimpleDocumentStore(), SimpleVectorStore()
    docstore.add_documents(nodes)
    vstore.add(nodes)
    shutil.rmtree(li_dir, ignore_errors=True)
    ctx = StorageContext.from_defaults(docstore=docstore, vector_store=vstore)
    t = time.perf_counter()
    ctx.persist(str(li_dir))
    li_first = time.perf_counter() - t
    # the 1-file change: drop one file's nodes, add its new version, persist
    old = [n for n in nodes if n.ref_doc_id == changed]
    t = time.perf_counter()
    for n in old:
        docstore.delete_document(n.node_id)
    vstore.delete(changed)
    new = [node(n.node_id, changed, n.text + " edited") for n in old]
    docstore.add_documents(new)
    vstore.add(new)
    ctx.persist(str(li_dir))
    li_change = time.perf_counter() - t
    t = time.perf_counter()
    StorageContext.from_defaults(persist_dir=str(li_dir))
    li_load = time.perf_counter() - t
    return {"persist_first_s": round(li_first, 2), "persist_after_1_file_change_s": round(li_change, 2),
            "load_s": round(li_load, 2), "size_mb": dir_mb(li_dir),
            "note": "StorageContext(SimpleDocumentStore, SimpleVectorStore).persist / from_defaults(persist_dir)"}


def _briefer_sqlite(idx: object, home: Path, corpus: Path, emb: RandomEmbedder, changed: str) -> dict:
    """Our store after the same 1-file change (the file is restored afterwards); persist is
    the SQLite transaction plus deriving the new snapshot."""
    from briefer.index import CorpusIndex
    from briefer.retrieval import Retriever

    target = corpus / changed
    original = target.read_text(encoding="utf-8")
    try:
        target.write_text(original + "\nAn edited closing sentence.\n", encoding="utf-8")
        rep = CorpusIndex(home, corpus, emb).refresh()
    finally:
        target.write_text(original, encoding="utf-8")
    t = time.perf_counter()
    Retriever(CorpusIndex(home, corpus, emb), emb)
    ours_load = time.perf_counter() - t
    return {"persist_after_1_file_change_s": round(rep.timings["commit"] + rep.timings["snapshot"], 3),
            "refresh_after_1_file_change_s": round(rep.seconds, 3), "load_s": round(ours_load, 3),
            "size_mb": round(dir_mb(idx.root), 1),
            "note": "persist = SQLite transaction + deriving the new snapshot; load = open + Retriever (mmap)"}
