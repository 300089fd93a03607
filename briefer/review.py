"""Re-check a record against the corpus *as it is now*: `briefer review`.

It needs neither the model nor the index.  Each cited passage is looked up in
the current text of its file:

- **unchanged**: the quote is still at its offsets;
- **moved**: the same text is elsewhere in the file (a line was added above
  it); it is found at its new offsets, reported as moved, and is no failure;
- **changed**: the quote is gone; the passage that now stands in its place is
  found (by the context recorded around the quote, else the most similar
  sentence) and becomes the *current* quote;
- **missing**: the file is gone or unreadable.

Every sentence is then checked with the same deterministic code that ran
during generation (:mod:`briefer.claims`) against the current quotes, so an
edited number in a source (50,000 -> 5,000) fails the sentences that cite it,
and the review shows the old and the new text.  A hand-edited memo sentence is
caught the same way.  ``ok`` means every sentence is supported and no cited
passage changed or disappeared; a moved passage is fine.

The corpus folder is the record's ``corpus.dir`` (absolute in new records), or
``--corpus``; a relative folder from an older record is tried against the
working directory and then next to the record's own folder.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path

from .claims import check_sentence
from .textanalysis import sentence_spans
from .corpus import read_document
from .errors import CorpusError
from .limits import Limits
from .record import source_index
from .render import sentence_label

UNCHANGED, MOVED, CHANGED, MISSING = "unchanged", "moved", "changed", "missing"
_WORD = re.compile(r"\w+")
ANCHOR = 40  # characters of recorded context used to find a changed passage
MIN_SIMILARITY = 0.5  # word Jaccard for "this sentence is the edited quote"


@dataclass
class ReviewedSentence:
    section: str
    text: str
    citations: list[int]
    status: str  # "supported" | "unsupported", against the current quotes
    origin: str
    checks: dict
    recorded_status: str
    quotes: list[str]  # the current text of each cited passage
    label: str = "supported"  # the shared display label: supported / extracted / unsupported
    notes: list[str] = field(default_factory=list)  # e.g. "source [2] changed: was ..., now ..."


@dataclass
class SourceState:
    id: int
    document: str
    state: str  # UNCHANGED / MOVED / CHANGED / MISSING
    quote: str  # current text ("" when missing or not found)
    start: int | None = None
    end: int | None = None
    reason: str = ""


@dataclass
class Review:
    sentences: list[ReviewedSentence] = field(default_factory=list)
    stale_sources: list[dict] = field(default_factory=list)
    moved_sources: list[dict] = field(default_factory=list)
    refused_sections: list[str] = field(default_factory=list)
    sources_used: int = 0
    corpus_dir: str = ""

    @property
    def ok(self) -> bool:
        return not self.stale_sources and all(s.status == "supported" for s in self.sentences)

    def totals(self) -> dict:
        labels = [s.label for s in self.sentences]
        return {
            "sentences": len(self.sentences),
            "supported": labels.count("supported"),
            "extracted": labels.count("extracted"),
            "unsupported": labels.count("unsupported"),
            "refused_sections": len(self.refused_sections),
            "sources_used": self.sources_used,
            "moved_sources": len(self.moved_sources),
            "stale_sources": len(self.stale_sources),
        }

    def as_dict(self) -> dict:
        return {
            "ok": self.ok,
            "corpus_dir": self.corpus_dir,
            "totals": self.totals(),
            "sentences": [s.__dict__ for s in self.sentences],
            "moved_sources": self.moved_sources,
            "stale_sources": self.stale_sources,
            "refused_sections": self.refused_sections,
        }


def _words(text: str) -> set[str]:
    return {w.lower() for w in _WORD.findall(text)}


def _similarity(a: str, b: str) -> float:
    wa, wb = _words(a), _words(b)
    return len(wa & wb) / len(wa | wb) if wa | wb else 0.0


def _nearest(text: str, quote: str, near: int) -> int | None:
    """Offset of the occurrence of ``quote`` in ``text`` closest to ``near``."""
    best = None
    at = text.find(quote)
    while at >= 0 and quote:
        if best is None or abs(at - near) < abs(best - near):
            best = at
        at = text.find(quote, at + 1)
    return best


def _by_context(text: str, source: dict) -> tuple[int, int] | None:
    """The span between the recorded context before and after the quote, if both still stand."""
    before = source.get("context_before", "").lstrip("…")[-ANCHOR:]
    after = source.get("context_after", "").rstrip("…")[:ANCHOR]
    if len(before.strip()) < 8 or len(after.strip()) < 8:
        return None
    b = text.find(before)
    if b < 0:
        return None
    start = b + len(before)
    a = text.find(after, start)
    if a < 0 or a - start > 3 * len(source["quote"]) + 200:
        return None
    while start < a and text[start].isspace():
        start += 1
    end = a
    while end > start and text[end - 1].isspace():
        end -= 1
    return (start, end) if end > start else None


def _by_similarity(text: str, quote: str) -> tuple[int, int] | None:
    best, span = 0.0, None
    for s, e in sentence_spans(text):
        score = _similarity(quote, text[s:e])
        if score > best:
            best, span = score, (s, e)
    return span if best >= MIN_SIMILARITY else None


def locate(source: dict, text: str) -> SourceState:
    """Where the recorded ``source`` quote is in the current ``text`` of its document."""
    sid, doc, quote, start, end = source["id"], source["document"], source["quote"], source["start"], source["end"]
    if text[start:end] == quote:
        return SourceState(sid, doc, UNCHANGED, quote, start, end)
    at = _nearest(text, quote, start)
    if at is not None:
        return SourceState(sid, doc, MOVED, quote, at, at + len(quote),
                           f"moved from characters {start}–{end} to {at}–{at + len(quote)}, text unchanged")
    span = _by_context(text, source) or _by_similarity(text, quote)
    if span is None:
        return SourceState(sid, doc, CHANGED, "", reason="the quoted passage is no longer in the file")
    s, e = span
    return SourceState(sid, doc, CHANGED, text[s:e], s, e,
                       f"the quoted passage changed: was “{' '.join(quote.split())}”, now “{' '.join(text[s:e].split())}”")


def resolve_corpus_dir(record: dict, corpus_dir: Path | None, record_path: Path | None = None) -> Path:
    """``--corpus`` if given, else the record's folder (relative ones: cwd, then beside the record)."""
    if corpus_dir is not None:
        return Path(corpus_dir)
    stored = Path(record.get("corpus", {}).get("dir") or "corpus")
    if stored.is_absolute() or stored.is_dir() or record_path is None:
        return stored
    for base in (Path(record_path).resolve().parent, Path(record_path).resolve().parent.parent):
        if (base / stored).is_dir():
            return base / stored
    return stored


def review_record(record: dict, corpus_dir: Path | None = None, record_path: Path | None = None,
                  limits: Limits | None = None) -> Review:
    corpus = resolve_corpus_dir(record, corpus_dir, record_path)
    sources = source_index(record)
    review = Review(corpus_dir=str(corpus))
    docs: dict[str, object] = {}
    states: dict[int, SourceState] = {}
    used = sorted({c for sec in record["sections"] for s in sec["sentences"] for c in s["citations"] if c in sources})
    for sid in used:
        src = sources[sid]
        path = src["document"]
        if path not in docs:
            try:
                docs[path] = read_document(corpus, path, limits).text
            except CorpusError as exc:
                docs[path] = exc
        text = docs[path]
        if isinstance(text, Exception):
            states[sid] = SourceState(sid, path, MISSING, "", reason=f"file missing or unreadable: {text}")
        else:
            states[sid] = locate(src, text)
        st = states[sid]
        entry = {"id": sid, "document": path, "state": st.state, "reason": st.reason,
                 "old": {"start": src["start"], "end": src["end"], "text": src["quote"]},
                 "new": {"start": st.start, "end": st.end, "text": st.quote} if st.start is not None else None}
        if st.state == MOVED:
            review.moved_sources.append(entry)
        elif st.state in (CHANGED, MISSING):
            review.stale_sources.append(entry)

    for sec in record["sections"]:
        if sec.get("status") == "not_covered":
            review.refused_sections.append(sec["title"])
        for sent in sec["sentences"]:
            cited = [states[c] for c in sent["citations"] if c in states]
            # A missing file cannot be re-read: its recorded quote is all there is.
            quotes = [st.quote if st.state != MISSING else sources[st.id]["quote"] for st in cited]
            result = check_sentence(sent["text"], [q for q in quotes if q])
            notes = [f"source [{st.id}] {st.reason}" for st in cited if st.state in (CHANGED, MISSING)]
            status = result.status
            item = ReviewedSentence(
                section=sec["title"], text=sent["text"], citations=list(sent["citations"]), status=status,
                origin=sent.get("origin", "model"), checks=result.as_dict(),
                recorded_status=sent.get("status", "supported"), quotes=quotes, notes=notes,
            )
            item.label = sentence_label({"status": status, "origin": item.origin})
            review.sentences.append(item)
    review.sources_used = len(used)
    return review
