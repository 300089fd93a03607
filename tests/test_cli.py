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


class _Captured(Exception):
    pass


@pytest.fixture()
def captured_settings(monkeypatch):
    """Replace the pipeline with a stub that records the settings it was given."""
    from briefer import pipeline

    seen = {}

    def fake_generate(settings, topic, **kw):
        seen["settings"], seen["topic"] = settings, topic
        raise _Captured

    monkeypatch.setattr(pipeline, "generate", fake_generate)
    return seen


def test_entailment_and_model_name_reach_settings(captured_settings):
    code, output = run("--debug", "generate", "--topic", "t", "--entailment", "--model", "smollm2", "--threads", "1")
    settings = captured_settings["settings"]
    assert settings.entailment is True and settings.model == "smollm2" and settings.threads == 1
    run("--debug", "generate", "--topic", "t")
    assert captured_settings["settings"].entailment is False and captured_settings["settings"].model is None


def test_context_too_small_is_one_line_with_size_needed(monkeypatch):
    from briefer import pipeline
    from briefer.llm import context_error

    def fake_generate(settings, topic, **kw):
        raise context_error(ValueError("Requested tokens (1500) exceed context window of 1024"),
                            n_ctx=1024, max_tokens=120, n_ctx_train=8192)

    monkeypatch.setattr(pipeline, "generate", fake_generate)
    code, output = run("generate", "--topic", "t", "--n-ctx", "1024")
    text = " ".join(output.split())
    assert code == 1, output
    assert "needs 1500 tokens" in text and "--n-ctx 2048" in text and "This is a bug" not in text
    assert len([line for line in output.splitlines() if line.strip()]) == 1
    other = ValueError("something else")
    assert context_error(other, n_ctx=1, max_tokens=1) is other


def _swallowed_sigint() -> None:
    """Deliver SIGINT while Python runs inside a ctypes callback, as during llama.cpp model
    loading (its log callback): the KeyboardInterrupt raised there is swallowed by ctypes."""
    import ctypes
    import os
    import signal
    import time

    def inside() -> None:
        os.kill(os.getpid(), signal.SIGINT)
        for _ in range(100):
            time.sleep(0.001)

    ctypes.CFUNCTYPE(None)(inside)()


@pytest.mark.filterwarnings("ignore::pytest.PytestUnraisableExceptionWarning")
def test_ctrl_c_during_model_loading_exits_130_and_keeps_memo(monkeypatch, sample_corpus, tmp_path):
    from fakes import FakeLLM

    from briefer import pipeline

    out = tmp_path / "briefs"
    out.mkdir()
    old = {out / f"export-controls.{ext}": f"previous {ext}\n" for ext in ("md", "html", "json")}
    for path, text in old.items():
        path.write_text(text)

    def loading(*args, **kwargs):
        _swallowed_sigint()  # lost by ctypes, as in llama.cpp's log callback
        return FakeLLM(default="Nothing.")

    monkeypatch.setattr(pipeline, "make_chat_model", loading)
    code, output = run("generate", "--topic", "export-controls", "--corpus", str(sample_corpus), "--out", str(out),
                       "--no-embeddings")
    assert code == 130, output
    assert output.strip().splitlines()[-1] == "Interrupted: previous memo and index are unchanged."
    assert {p: p.read_text() for p in old} == old


def test_model_loader_raises_swallowed_ctrl_c(monkeypatch, default_model_path):
    from briefer import interrupt
    from briefer.llm import LlamaChatModel

    real = LlamaChatModel._load

    def load(*args):
        _swallowed_sigint()
        return real(*args)

    monkeypatch.setattr(LlamaChatModel, "_load", staticmethod(load))
    try:
        with pytest.raises(KeyboardInterrupt):
            LlamaChatModel(default_model_path, n_ctx=512, n_threads=1, n_gpu_layers=0)
    finally:
        interrupt.clear()


def test_progress_reporter_counts_and_rates():
    import io

    from rich.console import Console

    from briefer.progress import Reporter

    import time

    buf = io.StringIO()
    live = Reporter(Console(file=buf, width=200), live=True)
    for i in (32, 64, 96):
        live("index", stage="embed", current=i, total=96)
        time.sleep(0.01)
    text = buf.getvalue()
    assert "embedded 32/96 chunks\n" in text  # no rate yet: nothing measured before the first step
    rate = float(text.split("embedded 96/96 chunks, ")[1].split("/s")[0])
    assert 0 < rate < 64 / 0.01  # 64 chunks in at least 10 ms
    quiet_buf = io.StringIO()
    quiet = Reporter(Console(file=quiet_buf, width=200), live=False)
    quiet("index", stage="read", current=1, total=5)
    quiet("index", stage="embed", current=10, total=20)
    assert quiet_buf.getvalue() == ""
    announce_buf = io.StringIO()
    announcing = Reporter(Console(file=announce_buf, width=200), live=False, announce=True)
    announcing("index", stage="embed", current=32, total=500)
    assert "embedding 500 chunks first" in announce_buf.getvalue()


def test_search_never_embeds_silently(monkeypatch, sample_corpus):
    from briefer import pipeline

    class Slow:
        model_id = "fake"

        def embed(self, texts, progress=None):
            import numpy as np

            vecs = np.random.default_rng(0).normal(size=(len(texts), 8)).astype("float32")
            return vecs / np.linalg.norm(vecs, axis=1, keepdims=True)

    monkeypatch.setattr(pipeline, "load_embedder", lambda settings, progress=None: Slow())
    code, output = run("search", "export controls", "--corpus", str(sample_corpus), "--mode", "bm25")
    assert code == 0, output
    assert "embedding" in output and "chunks first" in output
    code, output = run("search", "export controls", "--corpus", str(sample_corpus), "--mode", "bm25", "--progress")
    assert code == 0 and "chunks first" not in output  # nothing left to embed on the second run
