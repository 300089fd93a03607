"""The JSON record: everything that went into a memo, and the contract that
`render` and `review` (and reviewers' own tools) rely on.

The contract is the pydantic model :class:`Record` below; its JSON schema is
published as ``docs/record.schema.json`` (``briefer schema`` prints it, and a
test checks the file matches the model).  Fields may be added, never removed::

    {"schema_version": 2, "topic", "title", "generated_at",
     "model": {"backend", "name", "endpoint", "path", "sha256", ...},
     "sections": [{"title", "question", "sentences": [{"text", "citations": [int], ...}]}],
     "sources": [{"id", "document", "title", "quote", "start", "end", ...}]}

where each citation is a source ``id`` and ``document text[start:end] == quote``.

Everything else the templates show (audience, section status, sentence
status and checks, quote context...) has a default, so a record trimmed or
written by hand still renders; a field present with the wrong type is named in
a one-line error instead of surfacing as a template error or a traceback.
Validation is strict ("12" is not an integer) and unknown fields are kept, so
a record round-trips.  Records of schema 1 (``record_version: 1``, no model
backend) are upgraded on load.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

from .errors import RecordError
from .prompts import NOT_COVERED_TEXT

SCHEMA_VERSION = 2
RECORD_VERSION = SCHEMA_VERSION  # the name schema 1 used
SECTION_STATUSES = frozenset({"answered", "not_covered"})
SENTENCE_STATUSES = frozenset({"supported", "unsupported"})
BACKENDS = ("llama-cpp", "openai-compatible")


def _expect(cond: bool, field: str, what: str) -> None:
    if not cond:
        raise RecordError(f"Invalid record: field '{field}' {what}.")


class _Part(BaseModel):
    # strict: a record edited by hand with "12" for 12 is an error, not silently coerced; extra: kept.
    model_config = ConfigDict(strict=True, extra="allow")


class Checks(_Part):
    missing_numbers: list[str] = Field(default_factory=list, description="numbers of the sentence not in its quotes")
    missing_entities: list[str] = Field(default_factory=list, description="names of the sentence not in its quotes")
    overlap: float = Field(0.0, description="share of the sentence's content words found in its quotes")
    reworded: bool = Field(False, description="the model's rewording of a quote, kept in the quote's place "
                                              "(it passed every check a model sentence passes)")


class Sentence(_Part):
    text: str
    citations: list[int] = Field(description="ids of the sources this sentence rests on")
    status: Literal["supported", "unsupported"] = "supported"
    origin: str = Field("model", description='"model" (the model\'s words) or "extracted" (a verbatim quote)')
    checks: Checks = Field(default_factory=Checks)


class Section(_Part):
    title: str
    question: str
    sentences: list[Sentence]
    status: Literal["answered", "not_covered"] = "answered"
    not_covered_text: str = NOT_COVERED_TEXT

    @model_validator(mode="before")
    @classmethod
    def _status_default(cls, data: Any) -> Any:
        if isinstance(data, dict) and "status" not in data and isinstance(data.get("sentences"), list):
            data = {**data, "status": "answered" if data["sentences"] else "not_covered"}
        return data


class Source(_Part):
    id: int
    document: str = Field(description="path of the cited file, relative to the corpus folder")
    title: str
    quote: str = Field(description="exactly the document's extracted text[start:end]")
    start: int = Field(ge=0)
    end: int = Field(ge=0)
    context_before: str = ""
    context_after: str = ""


class ModelInfo(_Part):
    backend: Literal["llama-cpp", "openai-compatible"] = Field(
        "llama-cpp", description="in-process llama.cpp, or an OpenAI-compatible server")
    name: str | None = Field(None, description="file name (llama-cpp) or the server's model name")
    endpoint: str | None = Field(None, description="the server's base URL; null for an in-process model")
    path: str | None = Field(None, description="the GGUF file; null for a served model")
    sha256: str | None = Field(description="sha256 of the GGUF; null for a served model (its weights are not visible)")


class Corpus(_Part):
    dir: str = Field("corpus", description="the corpus folder (absolute in new records)")
    files: dict[str, str] = Field(default_factory=dict, description="document path -> sha256 of its bytes")


class Record(_Part):
    """One memo's record (schema version 2)."""

    schema_version: int = SCHEMA_VERSION
    topic: str
    title: str
    generated_at: str
    audience: str = ""
    description: str = ""
    model: ModelInfo
    settings: dict[str, Any] = Field(default_factory=dict, description="the settings the memo was made with")
    corpus: Corpus = Field(default_factory=Corpus)
    sections: list[Section]
    sources: list[Source]

    @model_validator(mode="after")
    def _references(self) -> Record:
        """Cross-field rules a type cannot say; raised as RecordError so the field is named."""
        if self.model.backend == "llama-cpp":
            for key in ("path", "sha256"):
                _expect(isinstance(getattr(self.model, key), str), f"model.{key}", "must be a string")
            if self.model.name is None:
                self.model.name = Path(self.model.path or "").name
        ids: set[int] = set()
        for i, src in enumerate(self.sources):
            _expect(src.end >= src.start, f"sources[{i}].end", "must not be before start")
            _expect(src.id not in ids, f"sources[{i}].id", f"duplicates id {src.id}")
            ids.add(src.id)
        for i, sec in enumerate(self.sections):
            for j, sent in enumerate(sec.sentences):
                for c in sent.citations:
                    _expect(c in ids, f"sections[{i}].sentences[{j}].citations", f"cites source {c}, which is not in 'sources'")
        self.settings.setdefault("keep_unsupported", False)
        return self


def upgrade(data: Any) -> Any:
    """Schema 1 -> 2: ``record_version`` becomes ``schema_version``; the model block gains
    ``backend`` ("llama-cpp": schema 1 had no other) and ``endpoint`` (null)."""
    if not isinstance(data, dict):
        return data
    version = data.get("schema_version", data.get("record_version", 1))
    _expect(isinstance(version, int) and not isinstance(version, bool), "schema_version", "must be an integer")
    _expect(version <= SCHEMA_VERSION, "schema_version",
            f"is {version}, newer than this briefer reads ({SCHEMA_VERSION}); upgrade briefer")
    if version < 2:
        data = {k: v for k, v in data.items() if k != "record_version"}
        data["schema_version"] = SCHEMA_VERSION
        if isinstance(data.get("model"), dict):
            data["model"] = {"backend": "llama-cpp", "endpoint": None, **data["model"]}
    return data


_PHRASES = {"string_type": "must be a string", "int_type": "must be an integer", "float_type": "must be a number",
            "list_type": "must be a list", "dict_type": "must be an object", "model_type": "must be an object",
            "missing": "is required", "greater_than_equal": "must be a non-negative integer"}
_LEAF_LISTS = {"citations", "missing_numbers", "missing_entities"}


def _field(loc: tuple) -> str:
    """('sections', 0, 'sentences', 1, 'citations', 0) -> "sections[0].sentences[1].citations"."""
    parts: list[str] = []
    for i, part in enumerate(loc):
        if isinstance(part, int):
            if i and loc[i - 1] in _LEAF_LISTS:
                break  # a bad item of a list of scalars: name the list
            parts[-1] += f"[{part}]"
        elif i and loc[i - 1] == "files":
            parts[-1] += f"[{part!r}]"
        else:
            parts.append(str(part))
    return ".".join(parts) or "(top level)"


def _as_record_error(exc: ValidationError) -> RecordError:
    err = exc.errors()[0]
    if not err["loc"] and err["type"] == "model_type":
        return RecordError("Invalid record: field '(top level)' must be a JSON object.")
    what = _PHRASES.get(err["type"]) or err["msg"][0].lower() + err["msg"][1:]
    if err["type"] == "literal_error":
        what = f"must be one of {err.get('ctx', {}).get('expected', '')}"
    return RecordError(f"Invalid record: field '{_field(tuple(err['loc']))}' {what}.")


def parse(data: Any) -> Record:
    """The typed record, upgraded from an older schema; RecordError names the first bad field."""
    try:
        return Record.model_validate(upgrade(data))
    except ValidationError as exc:
        raise _as_record_error(exc) from None


def validate(record: Any) -> dict:
    """Check the contract and fill defaults; returns the record as a plain dict (what templates read)."""
    return parse(record).model_dump(mode="json")


def with_defaults(record: dict) -> dict:
    """Kept for callers of schema 1's API: defaults are now filled by :func:`validate`."""
    return validate(record)


def schema_json() -> str:
    """The published JSON schema of the record (``docs/record.schema.json``, ``briefer schema``)."""
    return json.dumps(Record.model_json_schema(), ensure_ascii=False, indent=2) + "\n"


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
        return validate(data)
    except RecordError as exc:
        raise RecordError(f"{path}: {exc}") from None


def dumps(record: dict) -> str:
    return json.dumps(record, ensure_ascii=False, indent=2) + "\n"


def source_index(record: dict) -> dict[int, dict]:
    return {s["id"]: s for s in record["sources"]}
