"""CLI behaviour: one-line errors with exit code 1 and no traceback; listing commands."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from cli_helpers import run
from test_render import make_record

from briefer.cli import app


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
def test_generate_bad_input_one_line_error(tmp_path: Path, setup, args, message, fast_model_path):
    if setup == "dir":
        (tmp_path / "adir").mkdir()
    elif setup == "text":
        (tmp_path / "notes.gguf").write_text("just some notes, not a model\n" * 10)
    elif setup == "truncated":
        (tmp_path / "cut.gguf").write_bytes(fast_model_path.read_bytes()[: 300_000])
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
    assert info["size"] == default_model_path.stat().st_size
    assert info["sha256"] == "cc324af070c2ecbfd324a30884d2f951a7ff756aba85cb811a6ec436933bb046"
    assert "qwen2.5-coder-1.5b (default): installed" in info["models"] and "smollm2-135m: installed" in info["models"]
    assert info["threads"] >= 1 and info["gpu_layers"] in (0, -1) and info["llama_cpp_python"]


# --------------------------------------------------------------------------- issue 10: CLI polish
def test_version():
    from briefer import __version__

    code, output = run("--version")
    assert code == 0 and output.strip() == f"briefer {__version__}"


@pytest.mark.parametrize("command, expected", [
    ("generate", ["BRIEFER_CORPUS", "BRIEFER_THREADS", "BRIEFER_MODEL", "BRIEFER_N_CTX", "BRIEFER_ENTAILMENT",
                  "default: (corpus/)", "default: (4096)", "--entailment", "--progress",
                  "default: (qwen2.5-coder-1.5b)"]),  # the catalog's default, not the fast model it once was
    ("search", ["--json", "Print JSON", "--k", "Number of passages", "default: 5", "hybrid"]),
    ("render", ["--out", "Folder to write into", "--review", "review.md"]),
    ("review", ["--format", "text", "json", "--corpus"]),
    ("models", ["--json", "BRIEFER_GPU_LAYERS"]),
])
def test_help_shows_env_vars_defaults_and_every_option(command, expected):
    code, output = run(command, "--help")
    text = " ".join(output.split())
    assert code == 0, output
    for item in expected:
        assert item in text, (item, output)
    assert "<bool>" not in output and "BOOLEAN" not in output


def _options_without_help():
    import typer.main

    group = typer.main.get_command(app)
    for name, cmd in group.commands.items():
        for param in cmd.params:
            if param.param_type_name == "option" and not param.help:
                yield f"{name} {param.opts[0]}"


def test_every_option_has_help():
    assert list(_options_without_help()) == []


@pytest.mark.parametrize("args, message", [
    (["search", "chips", "--k", "0"], "--k"),
    (["search", "chips", "--mode", "fuzzy"], "fuzzy"),
    (["review", "x.json", "--format", "xml"], "xml"),
    (["render", "x.json", "--format", "md,pdf"], "pdf"),
    (["generate", "--topic", "t", "--threads", "0"], "--threads"),
    (["generate", "--topic", "t", "--n-ctx", "-5"], "--n-ctx"),
    (["generate", "--topic", "t", "--bogus"], "--bogus"),
])
def test_bad_values_are_one_line_and_exit_2(args, message):
    code, output = run(*args)
    assert code == 2, output
    lines = [line for line in output.splitlines() if line.strip()]
    assert len(lines) == 1 and lines[0].startswith("Error:") and message in lines[0], output


def test_bad_env_value_exit_2(monkeypatch):
    monkeypatch.setenv("BRIEFER_THREADS", "many")
    code, output = run("models")
    assert code == 2 and "BRIEFER_THREADS" in output


def test_render_review_writes_its_own_files(tmp_path):
    path = tmp_path / "demo.json"
    path.write_text(json.dumps(make_record()))
    code, output = run("render", str(path))
    assert code == 0, output
    clean = {p: (tmp_path / p).read_bytes() for p in ("demo.md", "demo.html")}
    code, output = run("render", str(path), "--review")
    assert code == 0, output
    assert {p: (tmp_path / p).read_bytes() for p in clean} == clean  # the clean memo is untouched
    review_md = (tmp_path / "demo.review.md").read_text()
    assert "**Review:**" in review_md and "**Review:**" not in clean["demo.md"].decode()
    assert 'class="review"' in (tmp_path / "demo.review.html").read_text()
    code, output = run("render", str(path), "--review", "--out", str(tmp_path / "o"), "--format", "html")
    assert code == 0 and (tmp_path / "o" / "demo.review.html").exists() and not (tmp_path / "o" / "demo.html").exists()


def test_markdown_summary_and_html_box_agree():
    import re

    from briefer.render import render_one, summarize

    record = make_record()
    sec = record["sections"][0]
    sec["sentences"] += [
        {"text": "Chips were banned.", "citations": [1], "status": "supported", "origin": "extracted",
         "checks": {"missing_numbers": [], "missing_entities": [], "overlap": 1.0}},
        {"text": "Chips were banned in 2031.", "citations": [1], "status": "unsupported", "origin": "model",
         "checks": {"missing_numbers": ["2031"], "missing_entities": [], "overlap": 1.0}},
    ]
    summary = summarize(record)
    assert (summary["supported"], summary["extracted"], summary["unsupported"]) == (1, 1, 1)
    assert summary["sentences"] == 3
    md = render_one(record, "md", review=True)
    assert "3 sentences: 1 supported, 1 extracted (quoted verbatim from the sources), 1 unsupported" in md
    html = render_one(record, "html", review=True)
    for name in ("supported", "extracted", "unsupported"):
        assert re.search(rf'id="count-{name}">1<', html), name
        assert md.count(f"[{name}]") + md.count("**[UNSUPPORTED]**") >= 1


def test_models_says_whether_build_can_offload(monkeypatch):
    from briefer import gpu, llm

    monkeypatch.setattr(gpu, "gpu_offload_supported", lambda: False)
    monkeypatch.setattr(gpu, "gpu_available", lambda: False)
    code, output = run("models", "--gpu-layers", "20")
    text = " ".join(output.split())
    assert code == 0, output
    assert "--gpu-layers 20 has no effect: this llama-cpp-python build is CPU-only" in text
    assert "gpu: none: this llama-cpp-python build is CPU-only" in text
    assert 'CMAKE_ARGS="-DGGML_CUDA=on"' in text
    assert llm.gpu_layers_warning(0) is None and llm.gpu_layers_warning(None) is None
