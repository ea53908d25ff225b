"""Run the ``marketsql`` command in-process (typer's CliRunner isolation around ``cli.main``)."""

from __future__ import annotations

import sys
from dataclasses import dataclass

from typer.testing import CliRunner

from marketsql.cli import main


@dataclass(frozen=True)
class Ran:
    """Exit code and captured output of one command."""

    code: int
    stdout: str
    stderr: str


def invoke(*args: str) -> Ran:
    """``marketsql ARGS…`` through the console-script entry point, with its error handling."""
    argv, sys.argv = sys.argv, ["marketsql", *args]  # main() reads sys.argv, as the console script does
    try:
        with CliRunner().isolation() as (out, err, _):
            try:
                main()
                code = 0
            except SystemExit as exc:
                code = exc.code if isinstance(exc.code, int) else 1
            return Ran(code, out.getvalue().decode(), err.getvalue().decode())
    finally:
        sys.argv = argv


def error_line(*args: str) -> str:
    """The one ``Error: …`` line a failing command prints; fails the test if it printed more or exited otherwise."""
    ran = invoke(*args)
    assert ran.code == 1, (ran.code, ran.stdout, ran.stderr)
    assert ran.stderr.endswith("\n") and ran.stderr.count("\n") == 1, ran.stderr
    assert ran.stderr.startswith("Error: "), ran.stderr
    assert ran.stdout == "", ran.stdout  # nothing half-done was reported
    return ran.stderr.rstrip("\n")
