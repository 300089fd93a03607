"""Quality metrics for a memo record: library code, so the bench's numbers are unit-tested.

Everything here reads a JSON record (see ``record.py``) plus plain files; no
model, no index.  The bench (``bench/run.py``) generates the records and feeds
them in.  Metrics:

* **fact recall** (the rule of ``bench/eval/README.md``): a gold fact is stated
  when one memo sentence contains every string of one ``any_of`` group
  (case-insensitive) *and* cites a source from the fact's document (or one of
  its optional twin ``documents``, e.g. the same report as PDF and Markdown).
  *Attribution accuracy* is, among facts stated in some sentence at all, the
  share stated with the right document cited.
* **citation recall / precision** as in ALCE (Gao et al. 2023, "Enabling Large
  Language Models to Generate Text with Citations"), with a pluggable judge.
  The default judge is ``briefer.claims.check_sentence`` -- *the same code as
  the pipeline's verifier*, so on a fresh record these numbers mostly confirm
  that the verifier ran; they catch records edited or produced by other
  settings (``--keep-unsupported``) and sentences citing more than they need.
* **independent checks** that share no code with the verifier: every number in
  a sentence occurs in one of its cited quotes (a plain regex of our own), and
  every quote is at its offsets in its file.
* **refusals** and **retrieval recall@k** helpers.

The eval sets these metrics read (facts, probes) are loaded by ``eval_sets.py``.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Iterator, Sequence
from pathlib import Path

# Importers of briefer.evaluate get the eval-set loaders from here; they live in briefer.eval_sets.
from .eval_sets import EvalDir, Fact, FactSet, load_eval_dir, load_facts, load_probes

__all__ = ["EvalDir", "Fact", "FactSet", "Judge", "alce_citations", "fact_recall", "iter_sentences", "load_eval_dir",
           "load_facts", "load_probes", "number_check", "numbers_in", "quote_check", "refusal_topic_toml", "refused",
           "retrieval_recall", "states", "verifier_judge"]

Judge = Callable[[str, Sequence[str]], bool]


# ------------------------------------------------------------------ records
def iter_sentences(record: dict) -> Iterator[tuple[str, dict]]:
    for sec in record["sections"]:
        for sent in sec["sentences"]:
            yield sec["title"], sent


def _sources(record: dict) -> dict[int, dict]:
    return {s["id"]: s for s in record["sources"]}


def states(text: str, group: Sequence[str]) -> bool:
    low = text.lower()
    return all(s.lower() in low for s in group)


def fact_recall(record: dict, facts: Sequence[Fact]) -> dict:
    """Share of facts stated with the right document cited, and attribution accuracy."""
    sources = _sources(record)
    rows = []
    for fact in facts:
        stated = cited = None
        for _, sent in iter_sentences(record):
            if any(states(sent["text"], g) for g in fact.any_of):
                stated = stated or sent["text"]
                docs = {sources[c]["document"] for c in sent["citations"] if c in sources}
                if not docs.isdisjoint(fact.all_documents):
                    cited = sent["text"]
                    break
        rows.append({"id": fact.id, "document": fact.document, "stated": stated is not None,
                     "cited_right": cited is not None, "sentence": cited or stated})
    n, n_stated, n_right = len(rows), sum(r["stated"] for r in rows), sum(r["cited_right"] for r in rows)
    return {"facts": n, "stated": n_stated, "stated_and_cited": n_right,
            "recall": n_right / n if n else None,
            "attribution_accuracy": n_right / n_stated if n_stated else None,
            "missed": [r["id"] for r in rows if not r["cited_right"]], "per_fact": rows}


# ---------------------------------------------------------------- ALCE
def verifier_judge(sentence: str, quotes: Sequence[str]) -> bool:
    """The default judge: the pipeline's own checker (same code as the verifier)."""
    from .claims import check_sentence

    return check_sentence(sentence, list(quotes)).supported


def alce_citations(record: dict, judge: Judge = verifier_judge) -> dict:
    """ALCE citation recall and precision (per memo: sentence mean and citation share).

    Recall: a sentence counts when the union of its cited quotes supports it
    (no citation: 0).  Precision: a citation counts when its sentence is
    supported and, if the sentence cites several, the citation either supports
    the sentence alone or is needed (removing it breaks support) -- ALCE's
    "irrelevant" citation is one that fails alone *and* is not missed.
    """
    sources = _sources(record)
    n_sent = supported = n_cites = correct = uncited = 0
    failures = []
    for title, sent in iter_sentences(record):
        n_sent += 1
        ids = [c for c in sent["citations"] if c in sources]
        quotes = {c: sources[c]["quote"] for c in ids}
        ok = bool(ids) and judge(sent["text"], list(quotes.values()))
        uncited += not ids
        supported += ok
        n_cites += len(sent["citations"])
        irrelevant = []
        if ok and len(ids) > 1:
            for c in ids:
                alone = judge(sent["text"], [quotes[c]])
                rest = [quotes[o] for o in ids if o != c]
                if not alone and judge(sent["text"], rest):
                    irrelevant.append(c)
            correct += len(ids) - len(irrelevant)
        elif ok:
            correct += len(ids)
        if not ok or irrelevant:
            failures.append({"section": title, "text": sent["text"], "citations": sent["citations"],
                             "supported": ok, "irrelevant_citations": irrelevant})
    return {"judge": getattr(judge, "__name__", str(judge)), "sentences": n_sent, "citations": n_cites,
            "uncited_sentences": uncited,
            "citation_recall": supported / n_sent if n_sent else None,
            "citation_precision": correct / n_cites if n_cites else None, "failures": failures}


# ------------------------------------------------------- independent checks
_NUMBER = re.compile(r"\d+(?:[.,]\d+)*")


def numbers_in(text: str) -> set[str]:
    """Digit runs (with decimal/thousands separators), commas removed: "1,200" -> "1200", "A100" -> "100".

    Deliberately simpler than the verifier's parser (no words, scales or
    currencies): it shares no code with it, so the two cannot fail together.
    """
    return {m.group().replace(",", "") for m in _NUMBER.finditer(text)}


def number_check(record: dict) -> dict:
    """Every number in every sentence must occur in one of its cited quotes."""
    sources = _sources(record)
    with_numbers = 0
    failures = []
    for title, sent in iter_sentences(record):
        nums = numbers_in(sent["text"])
        if not nums:
            continue
        with_numbers += 1
        quoted = set().union(*(numbers_in(sources[c]["quote"]) for c in sent["citations"] if c in sources))
        missing = sorted(nums - quoted)
        if missing:
            failures.append({"section": title, "text": sent["text"], "missing": missing})
    return {"sentences_with_numbers": with_numbers, "ok": with_numbers - len(failures),
            "all_ok": not failures, "failures": failures}


def _read_plain(path: Path) -> str | None:
    """A ``.txt`` file's contents as the index sees it (BOM dropped); None for other formats.

    Only plain text can be checked without briefer's own extractors (Markdown,
    HTML and PDF are reduced to text first): sharing no code with the pipeline
    keeps this an independent check.  Other formats are counted as unchecked, and
    so is a hard-wrapped text file, whose paragraphs the extractor re-joins
    (:mod:`briefer.formats_txt`): the extractor only says *whether* to check.
    """
    if path.suffix.lower() != ".txt":
        return None
    from .formats_txt import unwrap

    text = path.read_text(encoding="utf-8-sig")
    return text if unwrap(text) == text else None


def quote_check(record: dict, corpus_dir: Path) -> dict:
    """Every source quote equals ``file text[start:end]`` (plain-text files; others counted as unchecked)."""
    texts: dict[str, str | None] = {}
    errors: dict[str, str] = {}
    ok = unchecked = 0
    failures = []
    for src in record["sources"]:
        doc = src["document"]
        if doc not in texts and doc not in errors:
            try:
                texts[doc] = _read_plain(Path(corpus_dir) / doc)
            except (OSError, UnicodeDecodeError) as exc:
                errors[doc] = f"unreadable: {exc}"
        if doc in errors:
            failures.append({"id": src["id"], "document": doc, "reason": errors[doc]})
        elif texts[doc] is None:
            unchecked += 1
        elif texts[doc][src["start"]:src["end"]] == src["quote"]:
            ok += 1
        else:
            failures.append({"id": src["id"], "document": doc, "reason": "quote not at its offsets"})
    return {"sources": len(record["sources"]), "ok": ok, "unchecked": unchecked,
            "all_ok": not failures, "failures": failures}


# ------------------------------------------------------------ refusals
def refusal_topic_toml(question: str, title: str = "Off-corpus question") -> str:
    """A one-section topic asking ``question`` (JSON strings are valid TOML basic strings)."""
    return (f"title = {json.dumps(title)}\n\n[[sections]]\ntitle = \"Answer\"\n"
            f"question = {json.dumps(question, ensure_ascii=False)}\n")


def refused(record: dict) -> bool:
    return record["sections"][0].get("status") == "not_covered"


# ------------------------------------------------------------ retrieval
def retrieval_recall(search: Callable[[str, int], list[str]], probes: Sequence[dict],
                     ks: Sequence[int] = (1, 3)) -> dict:
    """Recall@k: share of probes whose gold document (or a twin in the probe's optional
    ``documents``) is among the top-k passages' documents.

    ``search(query, k)`` returns the documents of the top-k passages, best first.
    """
    kmax = max(ks)
    hits = {k: 0 for k in ks}
    rows = []
    for p in probes:
        docs = search(p["query"], kmax)
        gold = {p["document"], *p.get("documents", ())}
        for k in ks:
            hits[k] += not gold.isdisjoint(docs[:k])
        rows.append({"query": p["query"], "gold": p["document"], "top": docs[:kmax]})
    n = len(probes)
    return {**{f"recall@{k}": hits[k] / n if n else None for k in ks}, "probes": n, "per_probe": rows}
