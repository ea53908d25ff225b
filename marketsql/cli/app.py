"""The typer app, its consoles and the option types and parsers the commands share."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console

app = typer.Typer(
    help="marketsql: marketing analytics inside the database (DuckDB views, models and UDFs).",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
    add_completion=False,
)
out = Console(highlight=False, soft_wrap=True)
err = Console(stderr=True, highlight=False)

ProjectDir = Annotated[Path, typer.Option("--project", "-p", help="Project folder.", show_default=True)]
SourceOpt = Annotated[
    list[str] | None, typer.Option("--source", "-s", help="Override a source path: NAME=PATH (repeatable).")
]
SetOpt = Annotated[
    list[str] | None, typer.Option("--set", help="Override a setting: KEY=VALUE, e.g. analysis_date=2011-12-01.")
]



@app.callback()
def _root(
    debug: Annotated[bool, typer.Option("--debug", help="Show tracebacks instead of one-line errors.")] = False,
    version: Annotated[bool, typer.Option("--version", help="Print the version and exit.",
                                          callback=lambda v: _print_version(v), is_eager=True)] = False,
) -> None:
    """marketsql: marketing analytics inside the database."""


def _print_version(value: bool) -> None:
    if value:
        from importlib.metadata import version

        out.print(f"marketsql {version('marketsql')}")
        raise typer.Exit()



TargetOpt = Annotated[str, typer.Option(
    "--target", "-t", help="duckdb, or postgres / mysql / spark to also mirror onto that engine.")]
MasterOpt = Annotated[str | None, typer.Option(
    "--master", help="Spark master for --target spark (default: $MARKETSQL_SPARK_MASTER, [targets.spark] master,"
    " else local[2]).")]
WarehouseOpt = Annotated[str | None, typer.Option(
    "--warehouse", help="Spark warehouse folder (tables and metastore) for --target spark (default:"
    " $MARKETSQL_SPARK_WAREHOUSE, [targets.spark] warehouse, else spark-warehouse in the project).")]
DsnOpt = Annotated[str | None, typer.Option(
    "--dsn", help="Server connection (default: $MARKETSQL_PG_DSN / $MARKETSQL_MYSQL_DSN, then [targets.<target>]"
    " dsn).")]
SchemaOpt = Annotated[str | None, typer.Option(
    "--schema", help="Schema (MySQL: database) of the mirror (default: [targets.<target>] schema, else marketsql).")]


def pairs(values: list[str] | None, option: str) -> dict[str, str]:
    """``NAME=VALUE`` options as a dict; a usage error for anything else."""
    pairs = {}
    for value in values or []:
        key, sep, rest = value.partition("=")
        if not sep or not key:
            raise typer.BadParameter(f"{value!r} is not NAME=VALUE", param_hint=option)
        pairs[key] = rest
    return pairs



def amounts(values: list[str] | None, option: str) -> dict[str, float]:
    """``NAME=AMOUNT`` options as a dict of numbers; a usage error for anything else."""
    amounts = {}
    for key, text in pairs(values, option).items():
        try:
            amounts[key] = float(text)
        except ValueError:
            raise typer.BadParameter(f"{key}={text!r}: the amount is not a number", param_hint=option) from None
    return amounts


@contextmanager
def status(title: str) -> Iterator[Callable[[str], None]]:
    """A spinner on stderr; the yielded function updates its message (a build's progress)."""
    with err.status(title) as status:
        yield lambda message: status.update(message)
