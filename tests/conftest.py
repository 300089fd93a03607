from __future__ import annotations

import os
import shutil
import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).parent))

ROOT = Path(__file__).resolve().parent.parent
SAMPLE_CORPUS = ROOT / "corpus"


@pytest.fixture(scope="session", autouse=True)
def models_dir(tmp_path_factory) -> Path:
    """One BRIEFER_MODELS_DIR for the session: the 1.1 GB default model is assembled, and MiniLM
    converted, once rather than in every test's home (CI ran out of disk with a copy per home).
    Tests of assembly and conversion pass folders of their own. ``.ci/run`` names the folder it
    shares with the servers it starts in BRIEFER_TEST_MODELS_DIR."""
    given = os.environ.get("BRIEFER_TEST_MODELS_DIR")
    path = Path(given) if given else tmp_path_factory.mktemp("models")
    os.environ["BRIEFER_MODELS_DIR"] = str(path)  # module-scoped fixtures run before isolated_home
    return path


@pytest.fixture(autouse=True)
def isolated_home(tmp_path_factory, monkeypatch, models_dir):
    """Every test gets its own BRIEFER_HOME and no BRIEFER_* leaking from the user's shell
    (except the session's shared models folder)."""
    for key in list(os.environ):
        if key.startswith("BRIEFER_"):
            monkeypatch.delenv(key)
    home = tmp_path_factory.mktemp("home")
    monkeypatch.setenv("BRIEFER_HOME", str(home))
    monkeypatch.setenv("BRIEFER_MODELS_DIR", str(models_dir))
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
def default_model_path(models_dir) -> Path:
    from briefer.modelfile import resolve_model_path

    return resolve_model_path(None, models_dir)


@pytest.fixture(scope="session")
def fast_model_path(models_dir) -> Path:
    """SmolLM2-135M (98 MB): for tests that need *a* real GGUF, not the default model's quality."""
    from briefer.modelfile import resolve_model_path

    return resolve_model_path("smollm2-135m", models_dir)
