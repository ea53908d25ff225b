"""Printing the library's results: builds, mirrors, checks, trainings and query results."""

from __future__ import annotations

import sys
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

from .app import err, out

if TYPE_CHECKING:
    from marketsql.build import BuildResult
    from marketsql.engines.plan import MirrorResult
    from marketsql.models.registry import ModelRecord
    from marketsql.project import Trained


def print_models(records: Sequence[ModelRecord], verbose: bool = False) -> None:
    """One line per model version that fits 80 columns (headline metric and any note that a baseline beats
    it); ``verbose`` adds every scalar metric, one per line."""
    from textwrap import fill

    from .tables import cell, text_table

    rows = [(r.name, f"v{r.version}", r.status, f"{r.created_at:%Y-%m-%d}", r.headline()) for r in records]
    for line in text_table(["model", "ver", "status", "created", "headline"], rows):
        out.print(line, markup=False)
    for record in records:
        note = record.baseline_note() if record.status == "active" else None
        if note:
            out.print(fill(f"Note: {record.name} v{record.version}: {note}", 80, subsequent_indent="  "), markup=False)
        if verbose:
            out.print(f"{record.name} v{record.version} ({record.kind}, created {record.created_at:%Y-%m-%d %H:%M}):",
                      markup=False)
            sample = _sample(record)
            if sample:
                out.print(f"  trained on {sample[0]}, read from {sample[1]} ({sample[2]})", markup=False)
            for key, value in _scalars(record.metrics):
                out.print(f"  {key} = {cell(value)}", markup=False)


def _scalars(metrics: Any, prefix: str = "") -> list[tuple[str, Any]]:
    """Every number or short text in nested metrics, as (dotted.key, value); lists of records are skipped."""
    found: list[tuple[str, Any]] = []
    for key, value in metrics.items():
        if isinstance(value, dict):
            found += _scalars(value, f"{prefix}{key}.")
        elif not isinstance(value, list) or all(isinstance(v, str | int | float) for v in value):
            found.append((f"{prefix}{key}", ", ".join(map(str, value)) if isinstance(value, list) else value))
    return found


def run_sql(con: Any, query: str, fmt: str, max_rows: int) -> None:
    """Run ``query`` on ``con`` (closed afterwards) and print its rows as a table (at most ``max_rows``), CSV,
    JSON or Markdown (every row)."""
    from .tables import csv_text, json_text, markdown_table

    try:
        cursor = con.execute(query)
        if cursor.description is None:
            return
        header = [d[0] for d in cursor.description]
        if fmt == "table":
            print_table(header, cursor.fetchmany(max_rows + 1), max_rows)
        elif fmt == "markdown":
            for line in markdown_table(header, cursor.fetchall()):
                out.print(line, markup=False)
        else:
            sys.stdout.write(csv_text(header, cursor.fetchall()) if fmt == "csv"
                             else json_text(header, cursor.fetchall()) + "\n")
    finally:
        con.close()


def print_table(header: list[str], rows: list[tuple[object, ...]], max_rows: int) -> None:
    """Rows as aligned text, at most ``max_rows`` of them: whole columns (a wide table wraps in the terminal,
    never loses a column), thousands separators, no exponents."""
    from .tables import text_table

    for line in text_table(header, rows[:max_rows]):
        out.print(line, markup=False, crop=False, overflow="ignore")
    if len(rows) > max_rows:
        out.print(f"(first {max_rows} rows shown; use --max-rows N or --format csv|json|markdown for all)")


def print_build(result: BuildResult) -> None:
    """What a build loaded, how it accounted for every raw row, and what it skipped."""
    tables = sum(o.kind == "table" for o in result.objects)
    out.print(f"Built {result.database} in {result.seconds:.1f} s (build {result.build_id})")
    for load in result.sources:
        out.print(f"  source {load.name}: {load.rows:,} rows from {load.shown}")
    for source, line in result.accounting().items():
        out.print(f"  {source}: {line}")
    out.print(f"  {len(result.objects) - tables} views, {tables} tables")
    for name, why in result.skipped:
        out.print(f"  skipped {name}: {why}")


def fail_on_problems(problems: Sequence[Any], title: str = "PostgreSQL") -> None:
    """List the views that cannot be mirrored on stderr, then raise the engine's error if there are any."""
    from marketsql.engines.postgres.connection import PostgresError
    from marketsql.errors import MarketsqlError

    for problem in problems:
        err.print(f"  cannot mirror {problem}", markup=False, soft_wrap=True)
    if problems:
        kind = PostgresError if title == "PostgreSQL" else MarketsqlError
        raise kind(f"{len(problems)} view(s) cannot be mirrored onto {title} (listed above); first: {problems[0]}")


def print_postgres_check(result: MirrorResult, title: str = "PostgreSQL") -> None:
    """How each object would be mirrored, and against what it was checked."""
    env = {"PostgreSQL": "MARKETSQL_PG_DSN", "Spark": "MARKETSQL_SPARK_MASTER"}.get(title, "MARKETSQL_MYSQL_DSN")
    undone = "rolled back" if title == "PostgreSQL" else "in a scratch database, dropped"
    for item in result.items:
        how = item.why if item.kind == "table" else f"transpiled to a {title} view"
        name = f"{result.schemas[item.role]}.{item.name}"
        out.print(f"  {item.kind:<5}  {name:<44} {item.label}: {how}", markup=False)
    where = {"files": "the SQL files only (build the project to check the database, give --dsn to check on a server)",
             "database": f"the built database (give --dsn or {env} to dry-run it on a server)",
             "server": f"{title} at {result.target} (dry run, {undone})"}[result.checked]
    out.print(f"Checked against {where.replace('give --dsn', 'give --master') if title == 'Spark' else where}",
              markup=False)
    fail_on_problems(result.problems, title)
    out.print(f"All {len(result.items) or 'the'} objects can be mirrored", markup=False)


def print_mirror(result: MirrorResult, title: str = "PostgreSQL") -> None:
    """Where the mirror went, what it copied and created, and how long it took."""
    views = sum(i.kind == "view" for i in result.items)
    seconds = result.seconds
    where = "schema" if title == "PostgreSQL" else "database"
    out.print(f"Mirrored onto {title} at {result.target}, {where} {result.schemas['main']}"
              f" (raw sources in {result.schemas['raw']}, manifest in {result.schemas['meta']})"
              f" in {seconds.get('total', 0):.1f} s", markup=False)
    functions = ", ".join(f"{name}(...)" for name in result.function_names)
    out.print(f"  {len(result.items) - views - len(result.scored)} tables copied ({result.copied_rows:,} rows,"
              f" {seconds.get('copy', 0):.1f} s), {views} views created and run"
              f" ({seconds.get('views', 0) + seconds.get('verify', 0):.1f} s), functions {functions}", markup=False)
    if result.scored:
        out.print(f"  {len(result.scored)} model marts scored on {title} from their features"
                  f" ({', '.join(f'{name} {rows:,} rows' for name, rows in result.scored.items())};"
                  f" {seconds.get('score', 0):.1f} s)", markup=False)


def print_trained(trained: Trained) -> None:
    """What a training did: the build notes, then the kind's own lines (candidates beside the baseline)."""
    from marketsql import models

    for note in trained.build.notes if trained.build else ():
        out.print(f"Note: {note}", markup=False)
    sample = _sample(trained.record)
    if sample:
        out.print(f"Trained on {sample[0]} (each with its whole history), read from {sample[1]}", markup=False)
    for line in models.kind(trained.record.name).training_lines(trained.result, trained.record):
        out.print(line, markup=False)


def _sample(record: ModelRecord) -> tuple[str, str, str] | None:
    """("a sample of N of M customers", source, rule) when the version was trained on a sample, else None."""
    sample = record.params.get("sample")
    if not isinstance(sample, dict):
        return None
    return (f"a sample of {sample.get('customers', 0):,} of {sample.get('of', 0):,} customers",
            str(sample.get("source")), str(sample.get("rule")))
