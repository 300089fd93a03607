from __future__ import annotations

import shutil
import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).parent))

ROOT = Path(__file__).resolve().parent.parent
SAMPLE_CORPUS = ROOT / "corpus"


@pytest.fixture(autouse=True)
def isolated_home(tmp_path_factory, monkeypatch):
    """Every test gets its own BRIEFER_HOME and no BRIEFER_* leaking from the user's shell."""
    import os

    for key in list(os.environ):
        if key.startswith("BRIEFER_"):
            monkeypatch.delenv(key)
    home = tmp_path_factory.mktemp("home")
    monkeypatch.setenv("BRIEFER_HOME", str(home))
    return home


@pytest.fixture()
def sample_corpus(tmp_path) -> Path:
    """A private copy of the five sample articles (tests may edit it)."""
    dest = tmp_path / "corpus"
    dest.mkdir()
    for f in SAMPLE_CORPUS.glob("*.txt"):
        shutil.copy(f, dest / f.name)
    return dest


@pytest.fixture(scope="session")
def model_home(tmp_path_factory) -> Path:
    """One BRIEFER_HOME for the session's assembled default model (1.1 GB, assembled once)."""
    return tmp_path_factory.mktemp("model-home")


@pytest.fixture(scope="session")
def default_model_path(model_home) -> Path:
    from briefer.modelfile import resolve_model_path

    return resolve_model_path(None, model_home)


@pytest.fixture(scope="session")
def fast_model_path(model_home) -> Path:
    """SmolLM2-135M (98 MB): for tests that need *a* real GGUF, not the default model's quality."""
    from briefer.modelfile import resolve_model_path

    return resolve_model_path("smollm2-135m", model_home)
