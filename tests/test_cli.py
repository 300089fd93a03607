"""CLI behaviour: one-line errors with exit code 1 and no traceback; listing commands."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from test_render import make_record
from typer.testing import CliRunner

from briefer.cli import app

runner = CliRunner()


def run(*args: str):
    result = runner.invoke(app, list(args))
    return result.exit_code, result.output


def test_topics_lists_shipped_topic():
    code, output = run("topics")
    assert code == 0 and "export-controls" in output and "export controls" in output.lower()


@pytest.mark.parametrize(
    "setup, args, message",
    [
        (None, ["--topic", "no-such-topic"], "Unknown topic 'no-such-topic'. Known topics: export-controls"),
        (None, ["--topic", "export-controls", "--model", "{tmp}/missing.gguf"], "Model file not found at"),
        ("dir", ["--topic", "export-controls", "--model", "{tmp}/adir"], "is a directory"),
        ("text", ["--topic", "export-controls", "--model", "{tmp}/notes.gguf"], "is not a GGUF model file"),
        ("truncated", ["--topic", "export-controls", "--model", "{tmp}/cut.gguf"], "truncated"),
        (None, ["--topic", "export-controls", "--corpus", "{tmp}/nope"], "Corpus folder not found"),
        ("empty", ["--topic", "export-controls", "--corpus", "{tmp}/empty"], "is empty"),
        ("badtopic", ["--topic", "{tmp}/bad.toml"], "bad.toml"),
        ("outfile", ["--topic", "export-controls", "--out", "{tmp}/afile/sub"], "not writable"),
        ("badtpl", ["--topic", "export-controls", "--template-dir", "{tmp}/tpl"], "memo.md.j2:2"),
    ],
)
def test_generate_bad_input_one_line_error(tmp_path: Path, setup, args, message, default_model_path):
    if setup == "dir":
        (tmp_path / "adir").mkdir()
    elif setup == "text":
        (tmp_path / "notes.gguf").write_text("just some notes, not a model\n" * 10)
    elif setup == "truncated":
        (tmp_path / "cut.gguf").write_bytes(default_model_path.read_bytes()[: 300_000])
    elif setup == "empty":
        (tmp_path / "empty").mkdir()
    elif setup == "badtopic":
        (tmp_path / "bad.toml").write_text('title = "T"\n[[sections]\n')
    elif setup == "outfile":
        (tmp_path / "afile").write_text("x")
    elif setup == "badtpl":
        (tmp_path / "tpl").mkdir()
        (tmp_path / "tpl" / "memo.md.j2").write_text("# {{ record.title }}\n{% for %}\n")
    args = [a.replace("{tmp}", str(tmp_path)) for a in args]
    code, output = run("generate", *args, "--no-embeddings")
    assert code == 1, output
    assert message in " ".join(output.split()), output
    assert "Traceback" not in output


def test_render_and_review_bad_records(tmp_path):
    bad = tmp_path / "bad.json"
    bad.write_text("{not json")
    code, output = run("render", str(bad))
    assert code == 1 and "not valid JSON" in output and "Traceback" not in output
    record = make_record()
    record["sources"][0].pop("quote")
    bad.write_text(json.dumps(record))
    code, output = run("review", str(bad))
    assert code == 1 and "sources[0].quote" in output


def test_render_command_reproduces_files(tmp_path):
    path = tmp_path / "demo.json"
    path.write_text(json.dumps(make_record()))
    code, output = run("render", str(path), "--out", str(tmp_path / "o"), "--format", "md")
    assert code == 0, output
    assert (tmp_path / "o" / "demo.md").read_text().startswith("# Demo <memo>")
    assert not (tmp_path / "o" / "demo.html").exists()


def test_models_reports_default_model(default_model_path):
    code, output = run("models", "--json")
    assert code == 0, output
    info = json.loads(output)
    assert info["path"] == str(default_model_path)
    assert info["size"] == default_model_path.stat().st_size and len(info["sha256"]) == 64
    assert info["threads"] >= 1 and info["gpu_layers"] in (0, -1) and info["llama_cpp_python"]
