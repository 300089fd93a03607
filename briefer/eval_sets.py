"""Eval sets on disk: the gold facts, retrieval probes and corpus of one eval folder.

Why apart from :mod:`briefer.evaluate`: reading and validating the eval files
(with errors that say which file to fix) is a different job from scoring a
memo record against them; the bench loads an eval folder to find its corpus,
topics and facts before any record exists.  The file formats are in
``bench/eval/README.md``.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path

from .errors import ConfigError


@dataclass(frozen=True)
class Fact:
    id: str
    document: str
    any_of: tuple[tuple[str, ...], ...]
    # Other files holding the same text (e.g. a report's PDF and its Markdown twin):
    # citing any of them counts.  Optional ``"documents"`` list in the facts file.
    documents: tuple[str, ...] = ()

    @property
    def all_documents(self) -> tuple[str, ...]:
        return (self.document, *(d for d in self.documents if d != self.document))


@dataclass
class FactSet:
    topic: str
    facts: list[Fact]
    off_corpus_questions: list[str]


@dataclass
class EvalDir:
    """One eval folder: ``*.facts.json``, ``retrieval.jsonl``, optional ``corpus/`` and ``topics/``."""

    path: Path
    corpus: Path  # the folder's own corpus/, else the default corpus
    template_dir: Path | None  # the folder itself when it has topics/ (searched before shipped topics)
    fact_sets: list[FactSet] = field(default_factory=list)
    probes: list[dict] = field(default_factory=list)


def _load_json(path: Path) -> object:
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise ConfigError(f"Cannot read eval file {path}: {exc}. Fix the file or pass another --eval-dir.") from None


def _twins(row: dict) -> list:
    """A fact's or probe's optional ``documents``: a list of file names (a bare string is a mistake)."""
    docs = row.get("documents") or []
    if not isinstance(docs, list):
        raise TypeError("'documents' must be a list of file names")
    return docs


def load_facts(path: Path) -> FactSet:
    data = _load_json(path)
    try:
        facts = [Fact(str(f["id"]), str(f["document"]), tuple(tuple(str(s) for s in g) for g in f["any_of"]),
                      tuple(str(d) for d in _twins(f)))
                 for f in data["facts"]]
        topic = str(data.get("topic") or path.name.removesuffix(".facts.json"))
    except (KeyError, TypeError) as exc:
        raise ConfigError(f"{path}: each fact needs 'id', 'document' and 'any_of' (a list of string lists): {exc}") from None
    if any(not g for f in facts for g in f.any_of) or any(not f.any_of for f in facts):
        raise ConfigError(f"{path}: every fact needs at least one non-empty 'any_of' group.")
    return FactSet(topic, facts, [str(q) for q in data.get("off_corpus_questions", [])])


def load_probes(path: Path) -> list[dict]:
    probes = []
    for n, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
        if not line.strip():
            continue
        try:
            row = json.loads(line)
            probe = {"query": str(row["query"]), "document": str(row["document"])}
            if _twins(row):  # twins of the gold document: finding any of them counts
                probe["documents"] = [str(d) for d in _twins(row)]
            probes.append(probe)
        except (json.JSONDecodeError, KeyError, TypeError) as exc:
            raise ConfigError(f"{path}:{n}: expected {{\"query\": ..., \"document\": ...}} ({exc}).") from None
    return probes


def load_eval_dir(path: Path, default_corpus: Path) -> EvalDir:
    path = Path(path)
    if not path.is_dir():
        raise ConfigError(f"Eval dir {path} not found. Pass a folder with *.facts.json and/or retrieval.jsonl.")
    corpus = path / "corpus" if (path / "corpus").is_dir() else Path(default_corpus)
    ev = EvalDir(path, corpus, path if (path / "topics").is_dir() else None)
    ev.fact_sets = [load_facts(p) for p in sorted(path.glob("*.facts.json"))]
    if (path / "retrieval.jsonl").is_file():
        ev.probes = load_probes(path / "retrieval.jsonl")
    if not ev.fact_sets and not ev.probes:
        raise ConfigError(f"Eval dir {path} has neither *.facts.json nor retrieval.jsonl; see bench/README.md.")
    return ev


def find_eval_dirs(folder: Path) -> list[Path]:
    """Every eval set in ``folder`` (a subfolder named ``eval*`` with facts or probes), by name.

    The benches and the shipped-set test all take this list, so a new set is picked up by
    adding its folder: three hand-kept lists of names had drifted apart before.
    """
    return sorted(p for p in Path(folder).glob("eval*")
                  if p.is_dir() and (any(p.glob("*.facts.json")) or (p / "retrieval.jsonl").is_file()))
