"""CLI runs with the pipeline stubbed: settings that reach it, context errors, Ctrl-C during model loading, progress."""

from __future__ import annotations

import pytest
from cli_helpers import run


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
