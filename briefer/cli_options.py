"""The command line's shared options, declared once.

Why a module of its own: an option such as ``--corpus`` or ``--model`` appears on
several commands and must read the same on each (help text, environment variable,
shown default), so it is declared here once as an ``Annotated`` alias, and
:mod:`briefer.cli` keeps only the app and its commands.  The choice types and the
``--format`` parser of ``render`` are option values too, so they live here as well.
"""

from __future__ import annotations

import enum
from pathlib import Path
from typing import Annotated, Any, Optional

import typer

from .catalog import DEFAULT_MODEL


def _opt(*names: str, help: str, env: str | None = None, default: str | bool | None = None, **kw: Any) -> Any:
    """An option whose help shows its environment variable and default."""
    if env:
        kw.update(envvar=env, show_envvar=True)
    if default is not None:
        kw["show_default"] = default
    return typer.Option(*names, help=help, **kw)


CorpusOpt = Annotated[Optional[Path], _opt("--corpus", help="Corpus folder.", env="BRIEFER_CORPUS", default="corpus/", metavar="DIR")]
TemplateOpt = Annotated[Optional[Path], _opt("--template-dir", help="Your templates, searched before the shipped ones.",
                                             env="BRIEFER_TEMPLATE_DIR", default="shipped templates only", metavar="DIR")]
ModelOpt = Annotated[Optional[str], _opt("--model", help="GGUF chat model: a path, or the name of an installed model (see `briefer models`).",
                                         env="BRIEFER_MODEL", default=DEFAULT_MODEL, metavar="NAME|PATH")]
EmbedOpt = Annotated[Optional[Path], _opt("--embed-model", help="GGUF embedding model.", env="BRIEFER_EMBED_MODEL",
                                          default="all-MiniLM-L6-v2, converted on first use", metavar="PATH")]
NoEmbedOpt = Annotated[Optional[bool], _opt("--no-embeddings/--embeddings", help="BM25 only, without the dense embedder.",
                                            env="BRIEFER_NO_EMBEDDINGS", default="--embeddings")]
ThreadsOpt = Annotated[Optional[int], _opt("--threads", help="CPU threads for llama.cpp.", env="BRIEFER_THREADS",
                                           default="the cores free right now, at most the physical cores", min=1, metavar="N")]
GpuOpt = Annotated[Optional[int], _opt("--gpu-layers", help="Layers to offload to the GPU (-1: all).", env="BRIEFER_GPU_LAYERS",
                                       default="all when a GPU build and device are present, else 0", min=-1, metavar="N")]
ProgressOpt = Annotated[Optional[bool], _opt("--progress/--no-progress", help="Show counts and rates of long steps on stderr.",
                                             default="when stderr is a terminal")]
JsonOpt = Annotated[bool, _opt("--json", help="Print JSON instead of text.")]


class SearchMode(str, enum.Enum):
    hybrid = "hybrid"
    bm25 = "bm25"
    dense = "dense"


def _formats(value: str) -> list[str]:
    from .render import FORMATS

    names = [f.strip() for f in value.split(",") if f.strip()]
    bad = [f for f in names if f not in FORMATS]
    if bad or not names:
        raise typer.BadParameter(f"{', '.join(bad) or repr(value)}: choose one or more of {', '.join(FORMATS)}, comma-separated")
    return names


class ReviewFormat(str, enum.Enum):
    text = "text"
    json = "json"
