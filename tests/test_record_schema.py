"""The typed record: the published JSON schema is the model's, schema-1 records are upgraded on load,
and a record from an OpenAI-compatible server (no file, no hash) is valid and renders."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from briefer.cli import app
from briefer.errors import RecordError
from briefer.record import SCHEMA_VERSION, Record, load_record, schema_json, validate
from briefer.render import render_one

SCHEMA_FILE = Path(__file__).resolve().parent.parent / "docs" / "record.schema.json"


def schema_1_record() -> dict:
    """The shape briefer wrote before schema 2: ``record_version: 1``, a model block with a file only."""
    return {"record_version": 1, "topic": "t", "title": "T", "generated_at": "2026-01-01T00:00:00+00:00",
            "model": {"path": "/models/m.gguf", "name": "m.gguf", "size": 5, "sha256": "0" * 64, "threads": 2},
            "sections": [{"title": "A", "question": "Q?", "sentences": [{"text": "Chips were banned.", "citations": [1],
                                                                         "keys": ["KQ7"]}]}],
            "sources": [{"id": 1, "key": "KQ7", "document": "a.txt", "title": "A", "quote": "Chips were banned.",
                         "start": 0, "end": 18}],
            "timings": {"total": 1.5}}


def test_published_schema_file_matches_the_model():
    assert json.loads(SCHEMA_FILE.read_text(encoding="utf-8")) == Record.model_json_schema(), \
        "docs/record.schema.json is stale: run `briefer schema > docs/record.schema.json`"
    result = CliRunner().invoke(app, ["schema"])
    assert result.exit_code == 0 and result.output == schema_json()


def test_schema_1_record_is_upgraded_on_load(tmp_path):
    path = tmp_path / "old.json"
    path.write_text(json.dumps(schema_1_record()))
    record = load_record(path)
    assert record["schema_version"] == SCHEMA_VERSION and "record_version" not in record
    assert record["model"]["backend"] == "llama-cpp" and record["model"]["endpoint"] is None
    assert record["model"]["threads"] == 2 and record["timings"] == {"total": 1.5}  # unknown fields kept
    assert record["sections"][0]["sentences"][0]["keys"] == ["KQ7"] and record["sources"][0]["key"] == "KQ7"
    assert record["sections"][0]["status"] == "answered" and record["sources"][0]["context_before"] == ""
    assert validate(record) == record  # upgrading is idempotent


def test_served_model_record_has_no_file_and_renders():
    record = schema_1_record()
    record.pop("record_version")
    record["model"] = {"backend": "openai-compatible", "name": "qwen", "endpoint": "http://127.0.0.1:8000/v1",
                       "path": None, "sha256": None}
    done = validate(record)
    assert "model `qwen`" in render_one(done, "md")
    with pytest.raises(RecordError, match="'model.path' must be a string"):  # a local model needs its file and hash
        validate({**record, "model": {**record["model"], "backend": "llama-cpp"}})
    with pytest.raises(RecordError, match="'model.backend' must be one of"):
        validate({**record, "model": {**record["model"], "backend": "openai"}})


def test_newer_schema_is_refused_in_one_line():
    with pytest.raises(RecordError, match="'schema_version' is 99, newer than this briefer reads"):
        validate({**schema_1_record(), "schema_version": 99})
