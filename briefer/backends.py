"""Where the chat model and the embedder come from: the one place that reads the backend settings.

Two backends today: ``llama-cpp`` (in-process GGUF, :mod:`briefer.llm` and
:mod:`briefer.embed`) and ``openai-compatible`` (a server, :mod:`briefer.remote`).
A backend is a module with ``chat_from_settings(settings)`` and
``embedder_from_settings(settings)``; adding one is that module plus one line in
``BACKENDS`` (and a rule in :func:`chat_backend` / :func:`embed_backend` saying
when it is chosen).  The pipeline and the CLI only call :func:`make_chat_model`
and :func:`make_embedder`.
"""

from __future__ import annotations

import importlib
from pathlib import Path
from typing import Any

from .settings import Settings

LOCAL, REMOTE = "llama-cpp", "openai-compatible"
#: backend name -> (chat factory, embedder factory), each "module:function(settings)"
BACKENDS = {
    LOCAL: ("briefer.backends:local_chat", "briefer.backends:local_embedder"),
    REMOTE: ("briefer.remote:chat_from_settings", "briefer.remote:embedder_from_settings"),
}


def chat_backend(settings: Settings) -> str:
    return REMOTE if settings.llm_url else LOCAL


def embed_backend(settings: Settings) -> str:
    return REMOTE if settings.embed_url else LOCAL


def _factory(spec: str) -> Any:
    module, _, func = spec.partition(":")
    return getattr(importlib.import_module(module), func)


def make_chat_model(settings: Settings) -> Any:
    """The chat model the settings ask for (see :class:`briefer.llm.ChatModel`)."""
    return _factory(BACKENDS[chat_backend(settings)][0])(settings)


def make_embedder(settings: Settings) -> Any:
    """The embedder the settings ask for; the local one raises EmbedderUnavailable when it cannot be prepared."""
    return _factory(BACKENDS[embed_backend(settings)][1])(settings)


# ----------------------------------------------------------------------------- llama-cpp (in process)
def local_chat(settings: Settings) -> Any:
    from .llm import load_chat_model

    return load_chat_model(settings.model, n_ctx=settings.n_ctx, n_threads=settings.effective_threads,
                           gpu_layers=settings.gpu_layers, seed=settings.seed, adapt_threads=settings.threads is None,
                           models_dir=settings.model_folder, copy_guard=settings.copy_guard)


def local_embedder(settings: Settings) -> Any:
    from .embed import Embedder, prepare_default_embedder

    path = Path(settings.embed_model or prepare_default_embedder(settings.model_folder))
    embedder = Embedder(path, n_threads=settings.effective_threads)
    embedder.adapt_threads = settings.threads is None  # follow the machine's load (settings.auto_threads)
    embedder.model_id = f"{path.name}:{path.stat().st_size}"
    return embedder
