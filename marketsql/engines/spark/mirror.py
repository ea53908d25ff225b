"""Mirroring a built project onto Apache Spark, all or nothing.

The mirror is built into a fresh generation of databases (see :mod:`.swap`): raw, meta and materialised tables
written as Parquet by DuckDB and registered as Spark tables (:mod:`.load`) — the raw tables are the sources as the
build read them, so Spark computes every view from exactly DuckDB's input; the Python-model marts
``customer_propensity`` and ``customer_recommendations`` are scored by Spark itself from the mirrored features in
Arrow batches (:mod:`.marts`), other Python-UDF marts copied as rows — model functions as Spark SQL functions,
every other view transpiled; then each object is run (every column computed) and its rows counted against
DuckDB's; then the pointer views switch. Any failure before the switch drops the new generation and leaves the old
mirror as it was.

``check`` creates the same objects over empty tables in a scratch generation, which it drops again, so it lists every
view Spark rejects (named, with Spark's message) without touching the mirror readers use.
"""

from __future__ import annotations

import re
import time
from collections.abc import Iterator, Mapping
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager, suppress
from dataclasses import replace
from typing import Any

import duckdb

from marketsql import models
from marketsql.core import database
from marketsql.errors import MarketsqlError

from ..base import Dialect, Progress
from ..plan import (
    Item,
    MirrorResult,
    Problem,
    files_verdict,
    line_of,
    make_plan,
    rejected_message,
    schema_names,
    static_problems,
)
from . import functions as fn
from . import marts, transpile
from .load import q, register, table_folder, write_parquet
from .session import DEFAULT_SCHEMA, SparkError, Target, first_line, preflight, session
from .swap import GENERATION, MARK, create_generation, databases, drop_generation, swap

DIALECT = Dialect("Spark", transpile.to_spark, transpile.unsupported)
VERIFY_JOBS = 3
_NAMED_RE = re.compile(r"`(\w+)`(?!\.)")


class MirrorRejected(SparkError):
    """Views that cannot be mirrored, found before anything readers see was written."""

    def __init__(self, problems: list[Problem]) -> None:
        super().__init__(rejected_message(problems, "Spark"))
        self.problems = problems


def check(project: Any, target: Target | None, progress: Progress | None = None,
          files_only: bool = False) -> MirrorResult:
    """List every view that cannot be mirrored onto Spark; with a target, dry-run it there (empty tables, dropped)."""
    schema = target.schema if target else DEFAULT_SCHEMA
    static = static_problems(project.views, project.order, set(project.udfs), DIALECT)
    verdict = files_verdict(project, target.shown if target else "", schema, static, files_only)
    if verdict is not None:
        return verdict
    generation = _new_generation()
    result = _prepare(project, schema, generation)
    if target is None or result.problems:
        return result
    target = target.with_default_warehouse(project.root)
    result.target, result.checked = target.shown, "server"
    building = schema_names(schema, GENERATION + generation)
    duck = database.connect(project.database, read_only=True)
    try:
        with _spark_errors(target):
            spark = session(target)
            try:
                _apply(spark, duck, result, building, target.warehouse, progress or (lambda m: None), rows=False)
            finally:
                drop_generation(spark, building, target.warehouse)
    finally:
        duck.close()
    return result


def mirror(project: Any, target: Target, progress: Progress | None = None) -> MirrorResult:
    """Mirror the built database of ``project`` onto Spark atomically; SparkError if anything fails (every view
    Spark rejects listed in MirrorRejected)."""
    say = progress or (lambda message: None)
    started = time.perf_counter()
    target = target.with_default_warehouse(project.root)
    preflight(target)
    static = static_problems(project.views, project.order, set(project.udfs), DIALECT)
    if static:
        raise MirrorRejected(static)
    generation = _new_generation()
    result = _prepare(project, target.schema, generation)
    result.target = target.shown
    if result.problems:
        raise MirrorRejected(result.problems)
    building = schema_names(target.schema, GENERATION + generation)
    duck = database.connect(project.database, read_only=True)
    try:
        with _spark_errors(target):
            say(f"starting Spark ({target.master})")
            began = time.perf_counter()
            spark = session(target)
            result.seconds["session"] = time.perf_counter() - began
            _guard(spark, target.schema)
            try:
                _apply(spark, duck, result, building, target.warehouse, say, rows=True)
                if result.problems:
                    raise MirrorRejected(result.problems)
                _verify(spark, duck, result, building, say)
                say("switching the pointer views to the new mirror")
                began = time.perf_counter()
                public = fn.translate(models.postgres_functions(duck, target.schema)
                                      + models.postgres_after_tables(duck, target.schema), target.schema)
                swap(spark, result, building, generation, public, target.warehouse)
                result.seconds["swap"] = time.perf_counter() - began
            except BaseException:
                with suppress(Exception):  # else the next mirror drops it
                    drop_generation(spark, building, target.warehouse)
                raise
    finally:
        duck.close()
    result.seconds["total"] = time.perf_counter() - started
    return result


def _new_generation() -> str:
    return format(time.time_ns() // 1_000_000, "x")


def _guard(spark: Any, schema: str) -> None:
    """Refuse public databases marketsql did not create."""
    for name, comment in sorted(databases(spark, schema).items()):
        if not comment.startswith(MARK):
            raise SparkError(f"database {name} exists and was not created by marketsql — choose another database"
                             " (--schema, [targets.spark] schema) or drop it yourself; nothing was changed")


@contextmanager
def _spark_errors(target: Target) -> Iterator[None]:
    """Every Spark (JVM) error leaving the mirror as one SparkError line."""
    try:
        yield
    except MarketsqlError:
        raise
    except duckdb.Error as exc:
        raise SparkError(f"reading the built database: {first_line(exc)} — nothing was changed") from None
    except Exception as exc:  # pyspark's and py4j's errors: one line of Spark's message
        raise SparkError(f"Spark on {target.master}: {first_line(exc)} — nothing was changed") from None


def _prepare(project: Any, schema: str, generation: str) -> MirrorResult:
    building = schema_names(schema, GENERATION + generation)
    duck = database.connect(project.database, read_only=True)
    try:
        functions = models.postgres_functions(duck, building["main"])
        lookups = models.postgres_after_tables(duck, building["main"])
        names = {f.name: building["main"] for f in fn.translate(functions, building["main"])}
        python = set(project.udfs) | {u.name.lower() for u in models.model_udfs(duck)}
        started = time.perf_counter()
        plan = make_plan(duck, project.views, building, names, python, DIALECT)
        seconds = {"transpile": time.perf_counter() - started}
        for position, item in enumerate(plan.items):  # say which model marts Spark scores, which it copies
            scoring = marts.scoring(duck, item, arrays=False)
            if scoring is not None:
                plan.items[position] = replace(item, why=scoring.why)
    finally:
        duck.close()
    return MirrorResult("", str(project.database), schema_names(schema), plan, functions, list(plan.problems),
                        seconds, lookups=lookups)


def _apply(spark: Any, duck: duckdb.DuckDBPyConnection, result: MirrorResult, building: Mapping[str, str],
           warehouse: str, say: Progress, rows: bool) -> None:
    """Create the generation: databases, model functions, tables (empty unless ``rows``), views, lookups."""
    create_generation(spark, building, warehouse)
    started = time.perf_counter()
    for function in fn.translate(result.functions, building["main"]):
        spark.sql(function.statement)
    rejected: dict[str, str] = {}
    copy_seconds = view_seconds = score_seconds = 0.0
    for position, item in enumerate(result.items, 1):
        schema = building[item.role]
        began = time.perf_counter()
        scoring = marts.scoring(duck, item) if rows else None
        if scoring is not None and scoring.stored is not None:
            say(f"scoring {item.name} in Spark ({position}/{len(result.items)})")
            _score(spark, scoring, item, schema, warehouse, result)
            result.seconds[f"score {item.name}"] = time.perf_counter() - began
            score_seconds += time.perf_counter() - began
            continue
        if item.kind == "table":
            say(f"loading {item.role}.{item.name} ({position}/{len(result.items)})")
            result.copied_rows += _load(spark, duck, item, schema, warehouse, rows)
            copy_seconds += time.perf_counter() - began
            continue
        say(f"creating view {item.name} ({position}/{len(result.items)})")
        problem = _create_view(spark, item, schema, rejected)
        view_seconds += time.perf_counter() - began
        if problem is not None:
            result.problems.append(problem)
            rejected[item.name] = problem.reason
    began = time.perf_counter()
    for function in fn.translate(result.lookups, building["main"]):
        spark.sql(function.statement)
    result.seconds.update(copy=copy_seconds, views=view_seconds, score=score_seconds, functions=time.perf_counter()
                          - began + (began - started - copy_seconds - view_seconds - score_seconds))


def _load(spark: Any, duck: duckdb.DuckDBPyConnection, item: Item, schema: str, warehouse: str, rows: bool) -> int:
    folder = table_folder(warehouse, schema, item.name)
    source = item.duckdb_name if rows else f"(SELECT * FROM {item.duckdb_name} LIMIT 0)"
    try:
        written = write_parquet(duck, source, list(item.columns), folder)
    except duckdb.Error as exc:
        raise SparkError(f"{item.label}: writing {item.role}.{item.name} as Parquet failed: {first_line(exc)};"
                         " nothing was changed") from None
    try:
        register(spark, schema, item.name, folder)
    except Exception as exc:
        raise SparkError(f"{item.label}: Spark cannot read the rows of {item.role}.{item.name}: {first_line(exc)};"
                         " nothing was changed") from None
    return written


def _score(spark: Any, scoring: marts.Scoring, item: Item, schema: str, warehouse: str,
           result: MirrorResult) -> None:
    """Score a model mart in Spark; SparkError unless it has DuckDB's rows and columns."""
    try:
        written = marts.score(spark, scoring, item, schema, warehouse)
    except MarketsqlError:
        raise
    except Exception as exc:
        raise SparkError(f"{item.label}: scoring {item.name} in Spark failed: {first_line(exc)}; nothing was"
                         " changed") from None
    if written != item.rows:
        raise SparkError(f"{item.label}: {item.name} scored in Spark has {written:,} rows but {item.rows:,} in"
                         " DuckDB; nothing was changed")
    result.scored[item.name] = written


def _create_view(spark: Any, item: Item, schema: str, rejected: Mapping[str, str]) -> Problem | None:
    """Create one view; its problem if Spark rejects it (with Spark's message)."""
    assert item.view is not None
    for dependency in sorted(item.view.dependencies):
        if dependency in rejected:
            return Problem(item.name, item.view.where(line_of(item.view, dependency)),
                           f"reads {dependency}, which Spark rejects")
    try:
        spark.sql(f"CREATE VIEW {q(schema)}.{q(item.name)} AS {item.sql}")
    except Exception as exc:  # Spark's analysis error: the view is named with Spark's message
        message = first_line(exc)
        named = _NAMED_RE.search(message)  # `suffix`, `spark_catalog`.`db`.`t`.`col`: the file's line naming it
        line = line_of(item.view, named.group(1)) if named else None
        return Problem(item.name, item.view.where(line), f"Spark rejects the view: {message}")
    return None


def _verify(spark: Any, duck: duckdb.DuckDBPyConnection, result: MirrorResult, building: Mapping[str, str],
            say: Progress) -> None:
    """Every view must have as many rows on Spark as in DuckDB, every column computed (a view failing on some
    row, e.g. through raise_error, fails here rather than in a reader's query). Spark runs VERIFY_JOBS of these
    queries at once (most of each is the driver planning a deep view, so two cores overlap them)."""
    started = time.perf_counter()
    views = [i for i in result.items if i.kind == "view"]  # tables: DuckDB counted the Parquet it wrote

    def count(item: Item) -> int | str:
        try:
            row = spark.sql(f"SELECT count(*), count(to_json(struct(*))) FROM"
                            f" {q(building[item.role])}.{q(item.name)}").collect()[0]
            return int(row[0])
        except Exception as exc:
            return first_line(exc)

    with ThreadPoolExecutor(VERIFY_JOBS) as pool:
        counted = dict(zip((i.name for i in views), pool.map(count, views)))
    for item in views:
        say(f"checking rows of {item.name}")
        mine = counted[item.name]
        if isinstance(mine, str):
            raise SparkError(f"{item.label}: Spark fails running view {item.name}: {mine}; nothing was changed")
        theirs = int(duck.execute(f"SELECT count(*) FROM {item.duckdb_name}").fetchall()[0][0])
        if mine != theirs:
            raise SparkError(f"{item.label}: {item.name} has {mine:,} rows on Spark but {theirs:,} in DuckDB — the"
                             " view means something else there; mark it `-- marketsql: materialized` to copy its"
                             " rows; nothing was changed")
    result.seconds["verify"] = time.perf_counter() - started
