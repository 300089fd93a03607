"""What the command line writes to the terminal: results, warnings, and errors as one line.

Why a module of its own: the promise of :mod:`briefer.cli` (every error one line,
Ctrl-C exit 130 with a note of what survived, text from files escaped so brackets in
it are never read as Rich markup) is kept here in one place, by the two consoles
every command prints through, so the command functions in ``cli.py`` only parse
options and call the library.
"""

from __future__ import annotations

import json
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from typing import TYPE_CHECKING, Any, NoReturn

import typer
import typer.core
from rich.console import Console
from rich.markup import escape

from . import interrupt
from .errors import BrieferError, explain

if TYPE_CHECKING:
    from .schema import Passage

out = Console()
err = Console(stderr=True)
STATE = {"debug": False}


try:  # typer >= 0.2x runs on its own vendored copy of click
    from typer._click import exceptions as _clickx
except ImportError:  # older typer: click itself
    from click import exceptions as _clickx

_NO_ARGS = getattr(_clickx, "NoArgsIsHelpError", ())  # click >= 8.2
_CONTROL_FLOW = tuple({typer.Exit, typer.Abort, _clickx.ClickException, getattr(_clickx, "Abort", typer.Abort),
                       getattr(_clickx, "Exit", typer.Exit)})  # typer's own, never errors to report


class _OneLineErrors(typer.core.TyperGroup):
    """Usage errors (bad option values, unknown options) as one line and exit code 2,
    instead of a framed help panel; ``--help`` and the commands behave as usual."""

    def main(self, args: Any = None, prog_name: Any = None, complete_var: Any = None,
             standalone_mode: bool = True, **extra: Any) -> Any:
        try:
            code = super().main(args, prog_name, complete_var, standalone_mode=False, **extra)
            code = code if isinstance(code, int) else 0
        except _NO_ARGS as exc:  # bare `briefer`: the help text
            exc.show()
            code = 0
        except _clickx.UsageError as exc:
            where = exc.ctx.command_path if exc.ctx else "briefer"
            err.print(f"Error: {escape(exc.format_message())} (see `{escape(where)} --help`)", highlight=False, soft_wrap=True)
            code = 2
        except _clickx.ClickException as exc:
            err.print(f"Error: {escape(exc.format_message())}", highlight=False, soft_wrap=True)
            code = exc.exit_code
        except (getattr(_clickx, "Abort", typer.Abort), typer.Abort):
            err.print("Interrupted.", highlight=False)
            code = 130
        if standalone_mode:
            sys.exit(code)
        return code


def _fail(exc: BaseException) -> NoReturn:
    """One line on stderr and the error's exit code; the traceback only with --debug."""
    if STATE["debug"]:
        raise exc
    exc = explain(exc)
    if isinstance(exc, BrieferError):
        message = str(exc)
    else:
        message = (f"unexpected {type(exc).__name__}: {exc}. This is a bug in briefer; "
                   "re-run with --debug for the full traceback and report it.")
    err.print(f"[red]Error:[/red] {escape(message)}", highlight=False, soft_wrap=True)
    raise typer.Exit(getattr(exc, "exit_code", 1))


@contextmanager
def _handled(interrupted: str = "nothing was changed.") -> Iterator[None]:
    """Run a command body: errors become one line; Ctrl-C exits 130 and says what survived."""
    try:
        with interrupt.guard():
            yield
    except _CONTROL_FLOW:
        raise  # typer's own control flow (these subclass Exception)
    except KeyboardInterrupt:
        if STATE["debug"]:
            raise
        if STATE.get("process"):  # the `briefer` process itself, not a caller's (tests' CliRunner)
            interrupt.settle()
        err.print(f"Interrupted: {interrupted}", highlight=False)
        raise typer.Exit(130) from None
    except Exception as exc:  # noqa: BLE001 - see _fail
        _fail(exc)


def _warn_gpu(gpu_layers: int | None) -> None:
    from .llm import gpu_layers_warning

    message = gpu_layers_warning(gpu_layers)
    if message:
        err.print(f"[yellow]warning:[/yellow] {escape(message)}", highlight=False, soft_wrap=True)


def _print_models(info: dict[str, Any], as_json: bool) -> None:
    """`briefer models`: one ``key: value`` line each, or the same as JSON."""
    if as_json:
        out.print_json(json.dumps(info))
        return
    for key, value in info.items():
        out.print(f"{key}: {value}", highlight=False, markup=False)


def _print_hits(hits: list[Passage], as_json: bool) -> None:
    """`briefer search`: numbered passages (document, span, score, text), or the same as JSON."""
    rows = [{"document": h.document, "title": h.title, "score": round(h.score, 6), "start": h.start, "end": h.end, "text": h.text} for h in hits]
    if as_json:
        sys.stdout.write(json.dumps(rows, ensure_ascii=False, indent=2) + "\n")
        return
    if not rows:
        err.print("No passages matched.", highlight=False)
    for i, row in enumerate(rows, 1):
        out.print(f"[bold]{i}. {escape(row['document'])}[/bold] ({row['start']}–{row['end']}, score {row['score']:.4f})", highlight=False)
        out.print("   " + " ".join(row["text"].split())[:400], highlight=False, markup=False)


def _print_review(result: Any) -> None:
    colours = {"supported": "green", "extracted": "cyan", "unsupported": "red"}
    section = None
    for s in result.sentences:
        if s.section != section:
            section = s.section
            out.print(f"\n[bold]## {escape(section)}[/bold]", highlight=False)
        label = s.label.upper() if s.label == "unsupported" else s.label
        out.print(f"- [{colours[s.label]}]{label}[/{colours[s.label]}] {escape(s.text)} {s.citations}",
                  highlight=False, soft_wrap=True)
        if s.label == "unsupported":
            out.print(f"    checks: {s.checks}", highlight=False, markup=False)
        for note in s.notes:
            out.print(f"    ! {note}", highlight=False, markup=False, soft_wrap=True)
        for q in s.quotes:
            out.print(f"    > {' '.join(q.split())}", highlight=False, markup=False, soft_wrap=True)
    for title in result.refused_sections:
        out.print(f"\n[bold]## {escape(title)}[/bold]\n- not covered by the corpus", highlight=False)
    for mv in result.moved_sources:
        out.print(f"moved source \\[{mv['id']}] {escape(mv['document'])}: {escape(mv['reason'])}", highlight=False)
    for st in result.stale_sources:
        out.print(f"[red]stale source[/red] \\[{st['id']}] {escape(st['document'])}: {escape(st['reason'])}", highlight=False)
    totals = result.totals()
    out.print("\n" + ", ".join(f"{k.replace('_', ' ')}: {v}" for k, v in totals.items()), highlight=False)
