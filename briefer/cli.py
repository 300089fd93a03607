"""Command line: parse options, call the library, print results.

Kept thin on purpose.  Every ``BrieferError`` becomes one line on stderr and
exit code 1; a full traceback only with ``--debug``.  Any other exception is
a bug, but the analyst still gets one line (and the hint to re-run with
``--debug``), not a screen of frames.  A bad option value is one line and exit
code 2.  Ctrl-C at any moment exits 130 with a note that nothing was changed
(writes are atomic, and :mod:`briefer.interrupt` makes sure a Ctrl-C that
lands inside llama.cpp is not lost).  Progress is shown by
:class:`briefer.progress.Reporter` and reaches the core as a callback; text that comes from files (paths, titles, corpus sentences) is
escaped so brackets in it are never read as Rich markup.  The shared options are
declared in :mod:`briefer.cli_options`; the consoles, the one-line errors and the
printing of results are in :mod:`briefer.cli_output`.
"""

from __future__ import annotations

import json
import os
import sys
from pathlib import Path
from typing import Annotated, Any, Optional

import typer
from rich.console import Console

from . import __version__, interrupt
from .cli_options import (CorpusOpt, EmbedOpt, GpuOpt, JsonOpt, ModelOpt, NoEmbedOpt, ProgressOpt, ReviewFormat, SearchMode,
                          TemplateOpt, ThreadsOpt, _formats, _opt)
from .cli_output import STATE, _handled, _OneLineErrors, _print_hits, _print_models, _print_review, _warn_gpu, err, out
from .progress import Reporter
from .settings import Settings, load_settings


app = typer.Typer(cls=_OneLineErrors, add_completion=False, no_args_is_help=True, rich_markup_mode=None,
                  context_settings={"help_option_names": ["-h", "--help"]},
                  help="Cited briefing memos from a folder of documents.")


def _settings(**overrides) -> Settings:
    return load_settings(**overrides)


def _progress(console: Console, live: bool | None = None, *, announce: bool = False) -> Reporter:
    return Reporter(console, live, announce=announce)


def _version(value: bool) -> None:
    if value:
        out.print(f"briefer {__version__}", highlight=False)
        raise typer.Exit()


@app.callback()
def _root(debug: Annotated[bool, typer.Option("--debug", help="Show full tracebacks.")] = False,
          version: Annotated[bool, typer.Option("--version", help="Print the version and exit.", callback=_version,
                                                is_eager=True)] = False) -> None:
    STATE["debug"] = debug


@app.command()
def generate(
    topic: Annotated[str, typer.Option("--topic", "-t", help="Topic name (see `briefer topics`) or path to a .toml.")],
    corpus: CorpusOpt = None,
    out_dir: Annotated[Optional[Path], _opt("--out", help="Output folder.", env="BRIEFER_OUT", default="briefs/", metavar="DIR")] = None,
    model: ModelOpt = None,
    embed_model: EmbedOpt = None,
    no_embeddings: NoEmbedOpt = None,
    template_dir: TemplateOpt = None,
    threads: ThreadsOpt = None,
    gpu_layers: GpuOpt = None,
    n_ctx: Annotated[Optional[int], _opt("--n-ctx", help="Model context size in tokens (0: the model's training context).",
                                         env="BRIEFER_N_CTX", default="4096", min=0, metavar="TOKENS")] = None,
    keep_unsupported: Annotated[bool, _opt("--keep-unsupported", help="Keep unsupported sentences, visibly flagged, instead of dropping them.",
                                           env="BRIEFER_KEEP_UNSUPPORTED")] = False,
    entailment: Annotated[Optional[bool], _opt("--entailment/--no-entailment",
                                               help="Also check each sentence with an entailment model.",
                                               env="BRIEFER_ENTAILMENT", default="--no-entailment")] = None,
    progress: ProgressOpt = None,
) -> None:
    """Write <topic>.md, <topic>.html and <topic>.json for a topic."""
    from .pipeline import generate as run

    with _handled("previous memo and index are unchanged."):
        settings = _settings(corpus=corpus, out=out_dir, model=model, embed_model=embed_model, no_embeddings=no_embeddings,
                             template_dir=template_dir, threads=threads, gpu_layers=gpu_layers, n_ctx=n_ctx,
                             keep_unsupported=keep_unsupported or None, entailment=entailment)
        _warn_gpu(settings.gpu_layers)
        result = run(settings, topic, progress=_progress(err, progress))
    for path in result.paths:
        out.print(str(path), highlight=False)
    out.print(result.summary(), highlight=False)


@app.command()
def topics(template_dir: TemplateOpt = None) -> None:
    """List the topics and their titles."""
    from .render import template_dirs
    from .topics import list_topics, parse_topic

    with _handled():
        settings = _settings(template_dir=template_dir)
        found = list_topics(template_dirs(settings.template_dir))
        for name, path in sorted(found.items()):
            out.print(f"{name}\t{parse_topic(path).title}\t{path}", highlight=False, markup=False)


@app.command()
def models(model: ModelOpt = None, threads: ThreadsOpt = None, gpu_layers: GpuOpt = None, as_json: JsonOpt = False) -> None:
    """Show the chat model (path, size, sha256), the models installed by name, threads and GPU offload."""
    from .llm import describe_model

    with _handled():
        settings = _settings(model=model, threads=threads, gpu_layers=gpu_layers)
        _warn_gpu(settings.gpu_layers)
        if settings.llm_url:  # a server: ask it, rather than describe a local file that is not used
            from .backends import make_chat_model

            served = make_chat_model(settings)
            info = {"backend": served.info["backend"], "endpoint": served.info["endpoint"], "name": served.info["name"],
                    "embeddings": settings.embed_url or "in-process"}
        else:
            info = describe_model(settings.model, threads=settings.effective_threads, gpu_layers=settings.gpu_layers,
                                  models_dir=settings.model_folder)
    _print_models(info, as_json)


app.command("doctor", help="Alias of `models`.")(models)


@app.command()
def index(corpus: CorpusOpt = None, embed_model: EmbedOpt = None, no_embeddings: NoEmbedOpt = None,
          threads: ThreadsOpt = None, progress: ProgressOpt = None) -> None:
    """Build or refresh the index (only changed files are re-read)."""
    from .corpus import check_corpus_dir
    from .pipeline import load_embedder, refresh_index

    with _handled("the previous index is unchanged."):
        settings = _settings(corpus=corpus, embed_model=embed_model, no_embeddings=no_embeddings, threads=threads)
        reporter = _progress(err, progress)
        check_corpus_dir(settings.corpus)  # before preparing the embedder
        _, report = refresh_index(settings, load_embedder(settings, reporter), reporter)
    out.print(f"{report.summary()} in {report.seconds:.2f} s", highlight=False)


@app.command()
def search(query: Annotated[str, typer.Argument(help="What to look for.")],
           k: Annotated[int, _opt("--k", "-k", help="Number of passages to show.", default=True, min=1, max=1000, metavar="N")] = 5,
           corpus: CorpusOpt = None,
           as_json: JsonOpt = False,
           embed_model: EmbedOpt = None,
           no_embeddings: NoEmbedOpt = None,
           mode: Annotated[SearchMode, _opt("--mode", help="Ranking: BM25 + embeddings fused, BM25 only, or embeddings only.",
                                            default=True)] = SearchMode.hybrid,
           threads: ThreadsOpt = None,
           progress: ProgressOpt = None) -> None:
    """Show the passages the model would see for QUERY (indexes new or changed files first)."""
    from .corpus import check_corpus_dir
    from .pipeline import load_embedder, refresh_index
    from .retrieval import Retriever

    with _handled("the previous index is unchanged."):
        settings = _settings(corpus=corpus, embed_model=embed_model, no_embeddings=no_embeddings, threads=threads)
        reporter = _progress(err, progress, announce=True)
        check_corpus_dir(settings.corpus)
        embedder = load_embedder(settings, reporter)
        idx, _ = refresh_index(settings, embedder, reporter, wait=False)  # a reader never waits for a writer
        hits = Retriever(idx, embedder).search(query, k, mode=mode.value)
    _print_hits(hits, as_json)


@app.command()
def render(record_path: Annotated[Path, typer.Argument(help="A <topic>.json record.")],
           out_dir: Annotated[Optional[Path], _opt("--out", help="Folder to write into.", default="the record's folder", metavar="DIR")] = None,
           formats: Annotated[str, _opt("--format", help="Comma-separated formats: md, html.", default=True, metavar="md,html")] = "md,html",
           template_dir: TemplateOpt = None,
           review: Annotated[bool, _opt("--review", help="Show each sentence's verification status; writes "
                                        "<topic>.review.md/.html, never the clean memo's files.")] = False) -> None:
    """Re-render a memo from its record, without the model or the index."""
    from .record import load_record
    from .render import render_files

    names = _formats(formats)
    with _handled():
        settings = _settings(template_dir=template_dir)
        record = load_record(record_path)
        target = out_dir or record_path.parent
        paths = render_files(record, target, names, user_dir=settings.template_dir, review=review)
    for path in paths:
        out.print(str(path), highlight=False)


@app.command()
def schema() -> None:
    """Print the JSON schema of the record (<topic>.json): the published contract, docs/record.schema.json."""
    from .record import schema_json

    sys.stdout.write(schema_json())


@app.command("review")
def review_cmd(record_path: Annotated[Path, typer.Argument(help="A <topic>.json record.")],
               corpus: Annotated[Optional[Path], _opt("--corpus", help="Corpus folder the record's sources come from.",
                                                      default="the folder stored in the record", metavar="DIR")] = None,
               fmt: Annotated[ReviewFormat, _opt("--format", help="Output format.", default=True)] = ReviewFormat.text) -> None:
    """Re-check every sentence against the current text of its sources; exit 1 if any fails or a source is gone."""
    from .record import load_record
    from .review import review_record

    from .limits import Limits

    with _handled():
        record = load_record(record_path)
        result = review_record(record, corpus, record_path, Limits.from_settings(_settings()))  # as `index` read them
    if fmt is ReviewFormat.json:
        sys.stdout.write(json.dumps(result.as_dict(), ensure_ascii=False, indent=2) + "\n")
    else:
        _print_review(result)
    raise typer.Exit(0 if result.ok else 1)


def main() -> None:
    """The `briefer` process: once it has chosen exit 130, a Ctrl-C still pending cannot turn
    that into a death by SIGINT (exit -2), see :func:`briefer.interrupt.settle`."""
    STATE["process"] = True
    try:
        app()
        code: Any = 0
    except SystemExit as exc:
        code = exc.code
    except KeyboardInterrupt:
        code = 130
    if code == 130:
        interrupt.settle()
        # Why os._exit: under `python -m briefer.cli`, CPython 3.11 ends the process by SIGINT
        # (exit -2) when a KeyboardInterrupt was ever raised inside a string exec/eval (dataclass
        # and namedtuple creation, lazy imports), even though it was caught: the flag
        # _Py_UnhandledKeyboardInterrupt that run_eval_code_obj sets is never cleared.  Every
        # cleanup has run by now (locks released, temp files gone), so skipping finalisation
        # loses nothing.
        sys.stdout.flush()
        sys.stderr.flush()
        os._exit(130)
    sys.exit(code)


if __name__ == "__main__":  # `python -m briefer.cli`, used by the tests' subprocess runs
    main()
