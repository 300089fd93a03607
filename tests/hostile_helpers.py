"""Shared by the test_hostile*.py modules: the CLI in process, the one-line error check, topic files, snapshots."""

from __future__ import annotations

import json
from pathlib import Path

from typer.testing import CliRunner

from briefer.cli import app
from briefer.settings import load_settings

runner = CliRunner()
ROOT = Path(__file__).resolve().parent.parent
TOPIC = "export-controls"


def cli(*args: object, env: dict | None = None):
    return runner.invoke(app, [str(a) for a in args], env=env)


def one_line_error(result, *needles: str) -> str:
    """The run failed with exactly one ``Error:`` line containing every needle, and no traceback."""
    assert result.exit_code not in (0, None), result.output
    assert result.exception is None or isinstance(result.exception, SystemExit), repr(result.exception)
    assert "Traceback" not in result.output
    lines = [line for line in result.output.splitlines() if line.startswith("Error:")]
    assert len(lines) == 1, result.output
    for needle in needles:
        assert needle in lines[0], f"{needle!r} not in {lines[0]!r}"
    return lines[0]


def settings_for(corpus: Path, tmp_path: Path, **kw):
    return load_settings(corpus=corpus, out=tmp_path / "briefs", no_embeddings=True, **kw)


def topic_file(path: Path, title: str, sections: list[tuple[str, str]]) -> Path:
    body = f"title = {json.dumps(title, ensure_ascii=False)}\n"
    for s_title, question in sections:
        body += f"\n[[sections]]\ntitle = {json.dumps(s_title, ensure_ascii=False)}\nquestion = {json.dumps(question, ensure_ascii=False)}\n"
    path.write_text(body, encoding="utf-8")
    return path


def snapshot(folder: Path) -> dict[str, bytes]:
    return {p.name: p.read_bytes() for p in sorted(folder.iterdir())}
