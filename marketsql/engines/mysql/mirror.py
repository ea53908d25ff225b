"""Mirroring a built project onto MySQL (MariaDB), all or nothing.

The mirror is built into a fresh generation of databases (see :mod:`.swap`): raw, meta and materialised tables
loaded in bulk, model functions as stored functions, every other view transpiled; then each object is run and its
rows counted against DuckDB's; then one ``RENAME TABLE`` of the pointer views swaps it in. Any failure before the
swap drops the new generation and leaves the old mirror exactly as it was.

``check`` creates the same objects without rows in a scratch generation, which it drops again, so it lists every
view the server rejects (named, with the server's message) without touching the mirror readers use.
"""

from __future__ import annotations

import contextlib
import re
import time
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import replace
from typing import Any

import duckdb
import pymysql

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
from . import transpile
from .connection import DEFAULT_SCHEMA, MysqlError, Target, first_line
from .load import _q, create_table_sql, load_rows, text_widths
from .swap import GENERATION, MARK, current_generation, drop_generation, owned, swap

DIALECT = Dialect("MySQL", transpile.to_mysql, transpile.unsupported, transpile.copy_instead)
LOCK_SECONDS = 30
_MISSING_FUNCTION_RE = re.compile(r"FUNCTION ([\w.`]+) does not exist")


class MirrorRejected(MysqlError):
    """Views that cannot be mirrored, found before anything was written."""

    def __init__(self, problems: list[Problem]) -> None:
        super().__init__(rejected_message(problems, "MySQL"))
        self.problems = problems


def check(project: Any, target: Target | None, progress: Progress | None = None,
          files_only: bool = False) -> MirrorResult:
    """List every view that cannot be mirrored onto MySQL, before anything readers see is written."""
    schema = target.schema if target else DEFAULT_SCHEMA
    static = static_problems(project.views, project.order, set(project.udfs), DIALECT)
    verdict = files_verdict(project, target.shown if target else "", schema, static, files_only)
    if verdict is not None:
        return verdict
    generation = _new_generation()
    result = _prepare(project, schema, generation)
    result.target = target.shown if target else ""
    if target is None or result.problems:
        return result
    result.checked = "server"
    with _scrubbed(target), _connected(target) as con:
        building = schema_names(schema, GENERATION + generation)
        try:
            _apply(con.cursor(), None, result, building, progress or (lambda m: None))
        finally:
            drop_generation(con.cursor(), building)
    result.problems = [replace(p, reason=target.scrub(p.reason)) for p in result.problems]
    return result


def mirror(project: Any, target: Target, progress: Progress | None = None) -> MirrorResult:
    """Mirror the built database of ``project`` onto ``target`` atomically; MysqlError if anything fails (every view
    the server rejects listed in MirrorRejected)."""
    say = progress or (lambda message: None)
    started = time.perf_counter()
    static = static_problems(project.views, project.order, set(project.udfs), DIALECT)
    if static:
        raise MirrorRejected(static)
    generation = _new_generation()
    began = time.perf_counter()
    result = _prepare(project, target.schema, generation)
    result.seconds["prepare"] = time.perf_counter() - began
    result.target = target.shown
    if result.problems:
        raise MirrorRejected(result.problems)
    building = schema_names(target.schema, GENERATION + generation)
    duck = database.connect(project.database, read_only=True)
    try:
        with _scrubbed(target), _connected(target) as con:
            cur = con.cursor()
            try:
                _apply(cur, duck, result, building, say)
                if result.problems:
                    raise MirrorRejected([replace(p, reason=target.scrub(p.reason)) for p in result.problems])
                _verify(cur, duck, result, building, say)
                say("swapping the new mirror in")
                began = time.perf_counter()
                public = fn.helper_statements(result.schemas["main"])
                public += fn.translate(result.functions + result.lookups, result.schemas["main"])
                swap(cur, result, building, generation, public)
                result.seconds["swap"] = time.perf_counter() - began
            except BaseException:
                _drop_quietly(con, building)
                raise
    finally:
        duck.close()
    result.seconds["total"] = time.perf_counter() - started
    return result


def _new_generation() -> str:
    return format(time.time_ns() // 1_000_000, "x")


@contextmanager
def _connected(target: Target) -> Iterator[Any]:
    """A connection holding the mirror's lock (one mirror of a database at a time), with stale generations gone."""
    con = target.connect()
    try:
        cur = con.cursor()
        cur.execute("SELECT GET_LOCK(%s, %s)", [f"{MARK} {target.schema}", LOCK_SECONDS])
        row = cur.fetchone()
        if not row or row[0] != 1:
            raise MysqlError(f"another marketsql mirror of {target.schema} has been running for over {LOCK_SECONDS} s"
                             " — wait for it to finish, then run the build again; nothing was changed")
        _guard_and_clean(cur, target.schema)
        yield con
    finally:
        con.close()  # releases the lock


def _guard_and_clean(cur: Any, schema: str) -> None:
    """Refuse databases marketsql did not create; drop generations nobody reads (left by a killed mirror)."""
    found = owned(cur, schema)
    for name, comment in sorted(found.items()):
        if not comment.startswith(MARK):
            raise MysqlError(f"database {name} exists and was not created by marketsql — choose another database"
                             " (--schema, [targets.mysql] schema) or drop it yourself; nothing was changed")
    keep = current_generation(cur, f"{schema}_meta") if f"{schema}_meta" in found else None
    for name in sorted(found):
        if GENERATION in name and not name.endswith(GENERATION + str(keep)):
            cur.execute(f"DROP DATABASE IF EXISTS {_q(name)}")


def _drop_quietly(con: Any, building: Mapping[str, str]) -> None:
    with contextlib.suppress(pymysql.Error):  # else the next mirror drops it
        drop_generation(con.cursor(), building)


@contextmanager
def _scrubbed(target: Target) -> Iterator[None]:
    """Every error leaving the mirror without the password: ours scrubbed in place, pymysql's turned into one."""
    try:
        yield
    except MarketsqlError as exc:
        exc.args = tuple(target.scrub(a) if isinstance(a, str) else a for a in exc.args)
        raise
    except pymysql.Error as exc:
        raise MysqlError(f"MySQL at {target.shown}: {target.scrub(first_line(exc))} — nothing was changed") from None
    except duckdb.Error as exc:
        raise MysqlError(f"reading the built database: {first_line(exc)} — nothing was changed") from None


def _prepare(project: Any, schema: str, generation: str) -> MirrorResult:
    building = schema_names(schema, GENERATION + generation)
    duck = database.connect(project.database, read_only=True)
    try:
        functions = models.postgres_functions(duck, building["main"])
        lookups = models.postgres_after_tables(duck, building["main"])
        names = {f.name: building["main"] for f in fn.translate(functions, building["main"])}
        names.update({name: building["main"] for name in transpile.HELPERS})
        python = set(project.udfs) | {u.name.lower() for u in models.model_udfs(duck)}
        started = time.perf_counter()
        plan = make_plan(duck, project.views, building, names, python, DIALECT)
        seconds = {"transpile": time.perf_counter() - started}
    finally:
        duck.close()
    return MirrorResult("", str(project.database), schema_names(schema), plan, functions, list(plan.problems),
                        seconds, lookups=lookups)


def _apply(cur: Any, duck: duckdb.DuckDBPyConnection | None, result: MirrorResult, building: Mapping[str, str],
           say: Progress) -> None:
    """Create the generation: databases, helper and model functions, tables (rows when ``duck``), views, lookups."""
    for role, name in building.items():
        cur.execute(f"CREATE DATABASE {_q(name)} CHARACTER SET utf8mb4 COLLATE utf8mb4_nopad_bin COMMENT"
                    f" '{MARK}: generation being built ({role})'")
    started = time.perf_counter()
    for function in fn.helper_statements(building["main"]) + fn.translate(result.functions, building["main"]):
        cur.execute(function.statement)
    rejected: dict[str, str] = {}
    copy_seconds = view_seconds = 0.0
    for position, item in enumerate(result.items, 1):
        schema = building[item.role]
        began = time.perf_counter()
        if item.kind == "table":
            say(f"loading {item.role}.{item.name} ({position}/{len(result.items)})")
            widths = text_widths(duck, item.duckdb_name, list(item.columns)) if duck is not None else {}
            cur.execute(create_table_sql(schema, item.name, list(item.columns), widths))
            if duck is not None:
                result.copied_rows += _load(cur, duck, item, schema)
            copy_seconds += time.perf_counter() - began
            continue
        say(f"creating view {item.name} ({position}/{len(result.items)})")
        problem = _create_view(cur, item, schema, rejected)
        view_seconds += time.perf_counter() - began
        if problem is not None:
            result.problems.append(problem)
            rejected[item.name] = problem.reason
    began = time.perf_counter()
    for function in fn.translate(result.lookups, building["main"]):
        cur.execute(function.statement)
    result.seconds.update(copy=copy_seconds, views=view_seconds,
                          functions=time.perf_counter() - began + (began - started - copy_seconds - view_seconds))


def _load(cur: Any, duck: duckdb.DuckDBPyConnection, item: Item, schema: str) -> int:
    try:
        return load_rows(duck, item.duckdb_name, cur, schema, item.name, list(item.columns))
    except duckdb.Error as exc:
        raise MysqlError(f"{item.label}: {item.role}.{item.name} holds a value MySQL cannot store"
                         f" ({first_line(exc)}; MySQL has no infinities or NaN) — make the view give NULL there;"
                         " nothing was changed") from None
    except pymysql.Error as exc:
        raise MysqlError(f"{item.label}: MySQL rejects the rows of {item.role}.{item.name}: {first_line(exc)};"
                         " nothing was changed") from None


def _create_view(cur: Any, item: Item, schema: str, rejected: Mapping[str, str]) -> Problem | None:
    """Create one view; its problem if the server rejects it (with the server's message)."""
    assert item.view is not None
    for dependency in sorted(item.view.dependencies):
        if dependency in rejected:
            return Problem(item.name, item.view.where(line_of(item.view, dependency)),
                           f"reads {dependency}, which MySQL rejects")
    try:
        cur.execute(f"CREATE VIEW {_q(schema)}.{_q(item.name)} AS {item.sql}")
    except pymysql.Error as exc:
        message = first_line(exc)
        missing = _MISSING_FUNCTION_RE.search(message)
        line = line_of(item.view, missing.group(1).split(".")[-1]) if missing else None
        return Problem(item.name, item.view.where(line), f"MySQL rejects the view: {message}")
    return None


def _verify(cur: Any, duck: duckdb.DuckDBPyConnection, result: MirrorResult, building: Mapping[str, str],
            say: Progress) -> None:
    """Every object must have as many rows on MySQL as in DuckDB (views run on the server, every column computed:
    a derived table with a LIMIT is materialised, not merged)."""
    started = time.perf_counter()
    for item in result.items:
        say(f"checking rows of {item.name}")
        try:
            cur.execute(f"SELECT count(*) FROM (SELECT * FROM {_q(building[item.role])}.{_q(item.name)}"
                        " LIMIT 18446744073709551615) AS o")
        except pymysql.Error as exc:
            raise MysqlError(f"{item.label}: MySQL rejects view {item.name} when running it: {first_line(exc)};"
                             " nothing was changed") from None
        row = cur.fetchone()
        mine = int(row[0]) if row else -1
        theirs = int(duck.execute(f"SELECT count(*) FROM {item.duckdb_name}").fetchall()[0][0])
        if mine != theirs:
            raise MysqlError(f"{item.label}: {item.name} has {mine:,} rows on MySQL but {theirs:,} in DuckDB — the"
                             " view means something else there; mark it `-- marketsql: materialized` to copy its"
                             " rows; nothing was changed")
    result.seconds["verify"] = time.perf_counter() - started
