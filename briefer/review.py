"""Re-check a record: every sentence against its quotes, every quote against the current corpus.

Used by `briefer review`.  It needs neither the model nor the index: the
checker is the same deterministic code that ran during generation, applied to
the record as it is now (so a hand-edited sentence is caught), and each
quote is compared with the file it came from (so a changed or deleted source
is reported as stale).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from .claims import check_sentence
from .corpus import read_document
from .errors import CorpusError
from .record import source_index
from .verify import ORIGIN_EXTRACTED


@dataclass
class ReviewedSentence:
    section: str
    text: str
    citations: list[int]
    status: str
    origin: str
    checks: dict
    recorded_status: str
    quotes: list[str]


@dataclass
class Review:
    sentences: list[ReviewedSentence] = field(default_factory=list)
    stale_sources: list[dict] = field(default_factory=list)
    refused_sections: list[str] = field(default_factory=list)
    sources_used: int = 0

    @property
    def ok(self) -> bool:
        return not self.stale_sources and all(s.status == "supported" for s in self.sentences)

    def totals(self) -> dict:
        return {
            "sentences": len(self.sentences),
            "supported": sum(s.status == "supported" for s in self.sentences),
            "unsupported": sum(s.status != "supported" for s in self.sentences),
            "extracted": sum(s.origin == ORIGIN_EXTRACTED for s in self.sentences),
            "refused_sections": len(self.refused_sections),
            "sources_used": self.sources_used,
            "stale_sources": len(self.stale_sources),
        }

    def as_dict(self) -> dict:
        return {
            "ok": self.ok,
            "totals": self.totals(),
            "sentences": [s.__dict__ for s in self.sentences],
            "stale_sources": self.stale_sources,
            "refused_sections": self.refused_sections,
        }


def _stale(source: dict, corpus_dir: Path, recorded_sha: str | None, cache: dict) -> str | None:
    path = source["document"]
    if path not in cache:
        try:
            cache[path] = read_document(corpus_dir, path)
        except CorpusError as exc:
            cache[path] = exc
    doc = cache[path]
    if isinstance(doc, Exception):
        return f"file missing or unreadable: {doc}"
    if doc.text[source["start"]:source["end"]] != source["quote"]:
        return "quoted passage no longer at its offsets (file changed)"
    if recorded_sha and doc.sha256 != recorded_sha:
        return "file changed since generation (quote still present)"
    return None


def review_record(record: dict, corpus_dir: Path | None = None) -> Review:
    corpus_dir = Path(corpus_dir or record.get("corpus", {}).get("dir", "corpus"))
    files = record.get("corpus", {}).get("files", {})
    sources = source_index(record)
    review = Review()
    cache: dict = {}
    used: set[int] = set()
    for sec in record["sections"]:
        if sec.get("status") == "not_covered":
            review.refused_sections.append(sec["title"])
        for sent in sec["sentences"]:
            quotes = [sources[c]["quote"] for c in sent["citations"] if c in sources]
            used.update(sent["citations"])
            result = check_sentence(sent["text"], quotes)
            review.sentences.append(ReviewedSentence(
                section=sec["title"], text=sent["text"], citations=list(sent["citations"]), status=result.status,
                origin=sent.get("origin", "model"), checks=result.as_dict(),
                recorded_status=sent.get("status", "supported"), quotes=quotes,
            ))
    for sid in sorted(used):
        src = sources[sid]
        reason = _stale(src, corpus_dir, files.get(src["document"]), cache)
        if reason:
            review.stale_sources.append({"id": sid, "document": src["document"], "reason": reason})
    review.sources_used = len(used)
    return review
