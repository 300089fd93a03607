"""The JSON record: everything that went into a memo, and the contract that
`render` and `review` (and reviewers' own tools) rely on.

Contract (fields may be added, never removed)::

    {"topic", "title", "generated_at", "model": {"path", "sha256", ...},
     "sections": [{"title", "question", "sentences": [{"text", "citations": [int], ...}]}],
     "sources": [{"id", "document", "title", "quote", "start", "end", ...}]}

where each citation is a source ``id`` and ``document text[start:end] == quote``.

Everything else the templates show (audience, section status, sentence
status and checks, quote context...) is optional: :func:`load_record` fills
defaults, so a record trimmed or written by hand still renders, and a field
that is present with the wrong type is named in the error instead of
surfacing as a template error or a traceback.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from .errors import RecordError

RECORD_VERSION = 1
SECTION_STATUSES = frozenset({"answered", "not_covered"})
SENTENCE_STATUSES = frozenset({"supported", "unsupported"})


def _expect(cond: bool, field: str, what: str) -> None:
    if not cond:
        raise RecordError(f"Invalid record: field '{field}' {what}.")


def _optional(obj: dict, key: str, kind: type | tuple[type, ...], where: str, what: str) -> None:
    if key in obj:
        _expect(isinstance(obj[key], kind) and not isinstance(obj[key], bool), f"{where}{key}", what)


def _validate_optional(record: dict) -> None:
    """Types of the optional fields, when present (render and review read them)."""
    for key in ("audience", "description"):
        _optional(record, key, str, "", "must be a string")
    _optional(record["model"], "name", str, "model.", "must be a string")
    _optional(record, "settings", dict, "", "must be an object")
    _optional(record, "corpus", dict, "", "must be an object with 'dir' and 'files'")
    corpus = record.get("corpus", {})
    _optional(corpus, "dir", str, "corpus.", "must be a string (the corpus folder)")
    _optional(corpus, "files", dict, "corpus.", "must be an object mapping document paths to sha256")
    for path, sha in corpus.get("files", {}).items():
        _expect(isinstance(sha, str), f"corpus.files[{path!r}]", "must be a sha256 string")
    for i, src in enumerate(record["sources"]):
        for key in ("context_before", "context_after"):
            _optional(src, key, str, f"sources[{i}].", "must be a string")
    for i, sec in enumerate(record["sections"]):
        where = f"sections[{i}]."
        _optional(sec, "not_covered_text", str, where, "must be a string")
        _expect(sec.get("status", "answered") in SECTION_STATUSES, f"{where}status", f"must be one of {sorted(SECTION_STATUSES)}")
        for j, sent in enumerate(sec["sentences"]):
            sw = f"{where}sentences[{j}]."
            _expect(sent.get("status", "supported") in SENTENCE_STATUSES, f"{sw}status",
                    f"must be one of {sorted(SENTENCE_STATUSES)}")
            _optional(sent, "origin", str, sw, "must be a string")
            _optional(sent, "checks", dict, sw, "must be an object")
            for key in ("missing_numbers", "missing_entities"):
                _optional(sent.get("checks", {}), key, list, f"{sw}checks.", "must be a list")
            _optional(sent.get("checks", {}), "overlap", (int, float), f"{sw}checks.", "must be a number")


def with_defaults(record: dict) -> dict:
    """Fill the optional fields the templates read, so a minimal valid record renders."""
    from .prompts import NOT_COVERED_TEXT

    record.setdefault("audience", "")
    record.setdefault("description", "")
    record["model"].setdefault("name", Path(record["model"]["path"]).name)
    record.setdefault("settings", {}).setdefault("keep_unsupported", False)
    record.setdefault("corpus", {}).setdefault("dir", "corpus")
    record["corpus"].setdefault("files", {})
    for src in record["sources"]:
        src.setdefault("context_before", "")
        src.setdefault("context_after", "")
    for sec in record["sections"]:
        sec.setdefault("status", "answered" if sec["sentences"] else "not_covered")
        sec.setdefault("not_covered_text", NOT_COVERED_TEXT)
        for sent in sec["sentences"]:
            sent.setdefault("status", "supported")
            sent.setdefault("origin", "model")
            checks = sent.setdefault("checks", {})
            checks.setdefault("missing_numbers", [])
            checks.setdefault("missing_entities", [])
    return record


def validate(record: Any) -> dict:
    """Check the contract; the error names the first offending field."""
    _expect(isinstance(record, dict), "(top level)", "must be a JSON object")
    for key in ("topic", "title", "generated_at"):
        _expect(isinstance(record.get(key), str), key, "must be a string")
    _expect(isinstance(record.get("model"), dict), "model", "must be an object with 'path' and 'sha256'")
    for key in ("path", "sha256"):
        _expect(isinstance(record["model"].get(key), str), f"model.{key}", "must be a string")
    sources = record.get("sources")
    _expect(isinstance(sources, list), "sources", "must be a list")
    ids = set()
    for i, src in enumerate(sources):
        where = f"sources[{i}]"
        _expect(isinstance(src, dict), where, "must be an object")
        _expect(isinstance(src.get("id"), int) and not isinstance(src.get("id"), bool), f"{where}.id", "must be an integer")
        for key in ("document", "title", "quote"):
            _expect(isinstance(src.get(key), str), f"{where}.{key}", "must be a string")
        for key in ("start", "end"):
            _expect(isinstance(src.get(key), int) and src[key] >= 0, f"{where}.{key}", "must be a non-negative integer")
        _expect(src["end"] >= src["start"], f"{where}.end", "must not be before start")
        _expect(src["id"] not in ids, f"{where}.id", f"duplicates id {src['id']}")
        ids.add(src["id"])
    sections = record.get("sections")
    _expect(isinstance(sections, list), "sections", "must be a list")
    for i, sec in enumerate(sections):
        where = f"sections[{i}]"
        _expect(isinstance(sec, dict), where, "must be an object")
        for key in ("title", "question"):
            _expect(isinstance(sec.get(key), str), f"{where}.{key}", "must be a string")
        _expect(isinstance(sec.get("sentences"), list), f"{where}.sentences", "must be a list")
        for j, sent in enumerate(sec["sentences"]):
            sw = f"{where}.sentences[{j}]"
            _expect(isinstance(sent, dict), sw, "must be an object")
            _expect(isinstance(sent.get("text"), str), f"{sw}.text", "must be a string")
            cites = sent.get("citations")
            _expect(isinstance(cites, list) and all(isinstance(c, int) and not isinstance(c, bool) for c in cites),
                    f"{sw}.citations", "must be a list of source ids (integers)")
            for c in cites:
                _expect(c in ids, f"{sw}.citations", f"cites source {c}, which is not in 'sources'")
    _validate_optional(record)
    return record


def load_record(path: Path) -> dict:
    path = Path(path)
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise RecordError(f"Record not found: {path}. Run `briefer generate` first, or pass the path of a <topic>.json record.") from None
    except (OSError, UnicodeDecodeError) as exc:
        raise RecordError(f"Cannot read record {path}: {exc}") from None
    try:
        data = json.loads(text)
    except json.JSONDecodeError as exc:
        raise RecordError(f"Record {path} is not valid JSON (line {exc.lineno}, column {exc.colno}): {exc.msg}.") from None
    except RecursionError:
        raise RecordError(f"Record {path} is nested too deeply to be a briefer record.") from None
    try:
        return with_defaults(validate(data))
    except RecordError as exc:
        raise RecordError(f"{path}: {exc}") from None


def dumps(record: dict) -> str:
    return json.dumps(record, ensure_ascii=False, indent=2) + "\n"


def source_index(record: dict) -> dict[int, dict]:
    return {s["id"]: s for s in record["sources"]}
