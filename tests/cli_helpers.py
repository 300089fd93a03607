"""Shared by the test_cli*.py modules: the CLI run in process, as its exit code and output."""

from __future__ import annotations

from typer.testing import CliRunner

from briefer.cli import app

runner = CliRunner()


def run(*args: str):
    result = runner.invoke(app, list(args))
    return result.exit_code, result.output
