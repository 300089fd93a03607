"""Command line: parse options, call the library, print results.

Kept thin on purpose.  Every ``BrieferError`` becomes one line on stderr and
exit code 1; a full traceback only with ``--debug``.  Any other exception is
a bug, but the analyst still gets one line (and the hint to re-run with
``--debug``), not a screen of frames.  Ctrl-C in ``generate``/``index`` exits
130 with a note that nothing was changed (writes are atomic).  Rich progress
lives here and reaches the core as a callback; text that comes from files
(paths, titles, corpus sentences) is escaped so brackets in it are never read
as Rich markup.
"""

from __future__ import annotations

import json
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Annotated, NoReturn, Optional

import click
import typer
from rich.console import Console
from rich.markup import escape

from . import __version__
from .errors import BrieferError
from .settings import Settings, load_settings

app = typer.Typer(add_completion=False, no_args_is_help=True, help="Cited briefing memos from a folder of documents.")
out = Console()
err = Console(stderr=True)
STATE = {"debug": False}

CorpusOpt = Annotated[Optional[Path], typer.Option("--corpus", help="Corpus folder [env: BRIEFER_CORPUS; default: corpus/]")]
TemplateOpt = Annotated[Optional[Path], typer.Option("--template-dir", help="Your templates, searched before the shipped ones [env: BRIEFER_TEMPLATE_DIR]")]
ModelOpt = Annotated[Optional[Path], typer.Option("--model", help="GGUF chat model [env: BRIEFER_MODEL; default: SmolLM2-135M-Instruct]")]
EmbedOpt = Annotated[Optional[Path], typer.Option("--embed-model", help="GGUF embedding model [env: BRIEFER_EMBED_MODEL]")]
NoEmbedOpt = Annotated[Optional[bool], typer.Option("--no-embeddings/--embeddings", help="BM25 only (no dense embedder)")]
ThreadsOpt = Annotated[Optional[int], typer.Option("--threads", help="CPU threads [default: physical cores]")]
GpuOpt = Annotated[Optional[int], typer.Option("--gpu-layers", help="Layers to offload to the GPU [default: all when a GPU is usable]")]


def _settings(**overrides) -> Settings:
    return load_settings(**overrides)


def _fail(exc: BaseException) -> NoReturn:
    """One line on stderr and the error's exit code; the traceback only with --debug."""
    if STATE["debug"]:
        raise exc
    if isinstance(exc, BrieferError):
        message = str(exc)
    else:
        message = (f"unexpected {type(exc).__name__}: {exc}. This is a bug in briefer; "
                   "re-run with --debug for the full traceback and report it.")
    err.print(f"[red]Error:[/red] {escape(message)}", highlight=False, soft_wrap=True)
    raise typer.Exit(getattr(exc, "exit_code", 1))


@contextmanager
def _handled(interrupted: str | None = None) -> Iterator[None]:
    """Run a command body: errors become one line; Ctrl-C exits 130 if ``interrupted`` says what survived."""
    try:
        yield
    except (click.exceptions.Exit, click.Abort, click.ClickException):
        raise  # typer's own control flow (these subclass Exception)
    except KeyboardInterrupt:
        if STATE["debug"] or interrupted is None:
            raise  # click prints "Aborted!" and exits 1
        err.print(f"Interrupted: {interrupted}", highlight=False)
        raise typer.Exit(130) from None
    except Exception as exc:  # noqa: BLE001 - see _fail
        _fail(exc)


def _progress(console: Console):
    """A callback that prints one line per stage and section (Rich markup)."""

    def progress(event: str, **info) -> None:
        if event == "warning":
            console.print(f"[yellow]warning:[/yellow] {escape(info['message'])}", highlight=False, soft_wrap=True)
        elif event == "indexed":
            mode = "hybrid BM25 + embeddings" if info.get("dense") else "BM25"
            console.print(f"index: {info['summary']} ({mode})", highlight=False, markup=False)
        elif event == "model":
            console.print(f"model: {info['message']}", highlight=False, markup=False)
        elif event == "section":
            console.print(f"[{info['current']}/{info['total']}] {info['title']}", highlight=False, markup=False)
        elif event == "index" and info.get("stage") == "embed" and info["current"] == info["total"]:
            console.print(f"embedded {info['total']} chunks", highlight=False)

    return progress


@app.callback()
def _root(debug: Annotated[bool, typer.Option("--debug", help="Show full tracebacks")] = False,
          version: Annotated[bool, typer.Option("--version", help="Print the version")] = False) -> None:
    STATE["debug"] = debug
    if version:
        out.print(f"briefer {__version__}")
        raise typer.Exit()


@app.command()
def generate(
    topic: Annotated[str, typer.Option("--topic", "-t", help="Topic name (see `briefer topics`) or path to a .toml")],
    corpus: CorpusOpt = None,
    out_dir: Annotated[Optional[Path], typer.Option("--out", help="Output folder [default: briefs/]")] = None,
    model: ModelOpt = None,
    embed_model: EmbedOpt = None,
    no_embeddings: NoEmbedOpt = None,
    template_dir: TemplateOpt = None,
    threads: ThreadsOpt = None,
    gpu_layers: GpuOpt = None,
    n_ctx: Annotated[Optional[int], typer.Option("--n-ctx", help="Model context size")] = None,
    keep_unsupported: Annotated[Optional[bool], typer.Option("--keep-unsupported", help="Keep unsupported sentences, flagged")] = None,
) -> None:
    """Write <topic>.md, <topic>.html and <topic>.json for a topic."""
    from .pipeline import generate as run

    with _handled("previous memo and index are unchanged."):
        settings = _settings(corpus=corpus, out=out_dir, model=model, embed_model=embed_model, no_embeddings=no_embeddings,
                             template_dir=template_dir, threads=threads, gpu_layers=gpu_layers, n_ctx=n_ctx,
                             keep_unsupported=keep_unsupported)
        result = run(settings, topic, progress=_progress(err))
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
def models(model: ModelOpt = None, threads: ThreadsOpt = None, gpu_layers: GpuOpt = None,
           as_json: Annotated[bool, typer.Option("--json")] = False) -> None:
    """Show the chat model: path, size, sha256, llama-cpp-python version, threads, GPU offload."""
    from .llm import describe_model

    with _handled():
        settings = _settings(model=model, threads=threads, gpu_layers=gpu_layers)
        info = describe_model(settings.model, threads=settings.effective_threads, gpu_layers=settings.gpu_layers)
    if as_json:
        out.print_json(json.dumps(info))
        return
    for key, value in info.items():
        out.print(f"{key}: {value}", highlight=False, markup=False)


app.command("doctor", help="Alias of `models`.")(models)


@app.command()
def index(corpus: CorpusOpt = None, embed_model: EmbedOpt = None, no_embeddings: NoEmbedOpt = None) -> None:
    """Build or refresh the index (only changed files are re-read)."""
    from .corpus import check_corpus_dir
    from .pipeline import load_embedder, refresh_index

    with _handled("the previous index is unchanged."):
        settings = _settings(corpus=corpus, embed_model=embed_model, no_embeddings=no_embeddings)
        progress = _progress(err)
        check_corpus_dir(settings.corpus)  # before preparing the embedder
        _, report = refresh_index(settings, load_embedder(settings, progress), progress)
    out.print(f"{report.summary()} in {report.seconds:.2f} s", highlight=False)


@app.command()
def search(query: str, k: Annotated[int, typer.Option("--k")] = 5, corpus: CorpusOpt = None,
           as_json: Annotated[bool, typer.Option("--json")] = False, embed_model: EmbedOpt = None,
           no_embeddings: NoEmbedOpt = None,
           mode: Annotated[str, typer.Option("--mode", help="hybrid, bm25 or dense")] = "hybrid") -> None:
    """Show the passages the model would see for QUERY."""
    from .corpus import check_corpus_dir
    from .pipeline import load_embedder, refresh_index
    from .retrieval import Retriever

    with _handled():
        settings = _settings(corpus=corpus, embed_model=embed_model, no_embeddings=no_embeddings)
        progress = _progress(err)
        check_corpus_dir(settings.corpus)
        embedder = load_embedder(settings, progress)
        idx, _ = refresh_index(settings, embedder, lambda *a, **kw: progress(*a, **kw) if a[0] == "warning" else None)
        hits = Retriever(idx, embedder).search(query, k, mode=mode)
    rows = [{"document": h.document, "title": h.title, "score": round(h.score, 6), "start": h.start, "end": h.end, "text": h.text} for h in hits]
    if as_json:
        sys.stdout.write(json.dumps(rows, ensure_ascii=False, indent=2) + "\n")
        return
    for i, row in enumerate(rows, 1):
        out.print(f"[bold]{i}. {escape(row['document'])}[/bold] ({row['start']}–{row['end']}, score {row['score']:.4f})", highlight=False)
        out.print("   " + " ".join(row["text"].split())[:400], highlight=False, markup=False)


@app.command()
def render(record_path: Annotated[Path, typer.Argument(help="A <topic>.json record")],
           out_dir: Annotated[Optional[Path], typer.Option("--out")] = None,
           formats: Annotated[str, typer.Option("--format", help="Comma-separated: md,html")] = "md,html",
           template_dir: TemplateOpt = None,
           review: Annotated[bool, typer.Option("--review", help="Show each sentence's verification status")] = False) -> None:
    """Re-render a memo from its record, without the model or the index."""
    from .record import load_record
    from .render import render_files

    with _handled():
        settings = _settings(template_dir=template_dir, out=out_dir)
        record = load_record(record_path)
        target = out_dir or record_path.parent
        paths = render_files(record, target, [f.strip() for f in formats.split(",") if f.strip()],
                             user_dir=settings.template_dir, review=review)
    for path in paths:
        out.print(str(path), highlight=False)


@app.command("review")
def review_cmd(record_path: Annotated[Path, typer.Argument(help="A <topic>.json record")], corpus: CorpusOpt = None,
               fmt: Annotated[str, typer.Option("--format", help="text or json")] = "text") -> None:
    """Re-check every sentence and quote; exit 1 if any is unsupported or stale."""
    from .record import load_record
    from .review import review_record

    with _handled():
        record = load_record(record_path)
        result = review_record(record, corpus)
    if fmt == "json":
        sys.stdout.write(json.dumps(result.as_dict(), ensure_ascii=False, indent=2) + "\n")
    else:
        section = None
        for s in result.sentences:
            if s.section != section:
                section = s.section
                out.print(f"\n[bold]## {escape(section)}[/bold]", highlight=False)
            mark = "[green]supported[/green]" if s.status == "supported" else "[red]UNSUPPORTED[/red]"
            out.print(f"- {mark} ({escape(s.origin)}) {escape(s.text)} {s.citations}", highlight=False, soft_wrap=True)
            if s.status != "supported":
                out.print(f"    checks: {s.checks}", highlight=False, markup=False)
            for q in s.quotes:
                out.print(f"    > {' '.join(q.split())}", highlight=False, markup=False, soft_wrap=True)
        for title in result.refused_sections:
            out.print(f"\n[bold]## {escape(title)}[/bold]\n- not covered by the corpus", highlight=False)
        for st in result.stale_sources:
            out.print(f"[red]stale source[/red] \\[{st['id']}] {escape(st['document'])}: {escape(st['reason'])}", highlight=False)
        totals = result.totals()
        out.print("\n" + ", ".join(f"{k.replace('_', ' ')}: {v}" for k, v in totals.items()), highlight=False)
    raise typer.Exit(0 if result.ok else 1)


def main() -> None:
    app()


if __name__ == "__main__":  # `python -m briefer.cli`, used by the tests' subprocess runs
    main()
