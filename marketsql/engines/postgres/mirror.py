"""Mirroring a built project onto PostgreSQL, all or nothing.

Everything happens in one transaction: the mirror is built into fresh schemas
(``marketsql__new``, ``marketsql_raw__new``, ``marketsql_meta__new``), checked row for row
against DuckDB's counts, then swapped in place of the previous mirror and committed. Readers see
the old mirror until the commit and the new one after it, never a half-built one; any failure
rolls back and leaves the old mirror exactly as it was.

``check`` runs the same steps without rows and rolls back, so it lists every view the server
rejects without writing anything.
"""

from __future__ import annotations

import re
import time
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import replace
from typing import TYPE_CHECKING, Any, Protocol

import duckdb
import psycopg

from marketsql import models
from marketsql.core import database
from marketsql.core.sqltext import literal, quote_ident
from marketsql.errors import MarketsqlError

from ..plan import Item, MirrorResult, Problem, files_verdict, line_of, rejected_message, schema_names
from .connection import DEFAULT_SCHEMA, PostgresError, Target, first_line
from .copy import copy_rows, create_table_sql
from .plan import make_plan, static_problems
from .swap import MARK, swap

if TYPE_CHECKING:
    from pathlib import Path

    from marketsql.core.udfs import Udf
    from marketsql.core.views import ViewFile

Progress = Callable[[str], None]
__all__ = ["MirrorRejected", "MirrorResult", "check", "mirror"]


class BuiltProject(Protocol):
    """What the mirror reads of a project (``marketsql.Project`` is one): its SQL views and their build order,
    its Python UDFs (which PostgreSQL cannot run) and the built DuckDB file."""

    @property
    def views(self) -> Mapping[str, ViewFile]: ...
    @property
    def order(self) -> list[str]: ...
    @property
    def udfs(self) -> Mapping[str, Udf]: ...
    @property
    def database(self) -> Path: ...


BUILDING = "__new"
_FUNCTION_RE = re.compile(r"CREATE FUNCTION \"[^\"]+\"\.(\w+)\(")
_MISSING_FUNCTION_RE = re.compile(r"function ([\w.\"]+)\(")


def helper_statements(schema: str) -> list[str]:
    """DuckDB functions the rewrites rely on: ``try_cast(value, NULL::type)`` and ``error(message)``."""
    s = quote_ident(schema)
    body = "$body$ BEGIN $0 := value; RETURN $0; EXCEPTION WHEN others THEN RETURN NULL; END $body$"
    return [
        f"CREATE FUNCTION {s}.try_cast(value anyelement, target anycompatible) RETURNS anycompatible"
        f" LANGUAGE plpgsql IMMUTABLE PARALLEL SAFE AS {body}",
        f"CREATE FUNCTION {s}.try_cast(value text, target anycompatible) RETURNS anycompatible"
        f" LANGUAGE plpgsql IMMUTABLE PARALLEL SAFE AS {body}",
        f"CREATE FUNCTION {s}.error(message text) RETURNS text LANGUAGE plpgsql AS"
        " $body$ BEGIN RAISE EXCEPTION '%', message; END $body$",
    ]


class MirrorRejected(PostgresError):
    """Views that cannot be mirrored, found before anything was written."""

    def __init__(self, problems: list[Problem]) -> None:
        super().__init__(rejected_message(problems, "PostgreSQL"))
        self.problems = problems


def check(project: BuiltProject, target: Target | None, progress: Progress | None = None,
          files_only: bool = False) -> MirrorResult:
    """List every view that cannot be mirrored, before anything is written.

    First from the SQL files alone; then, once the project is built, from the built database; with
    a target, also by creating everything (without rows) on the server in a transaction that is
    rolled back. ``result.checked`` says how far it got (``files_only`` stops after the files).
    """
    schema = target.schema if target else DEFAULT_SCHEMA
    static = static_problems(project.views, project.order, set(project.udfs))
    verdict = files_verdict(project, target.shown if target else "", schema, static, files_only)
    if verdict is not None:
        return verdict
    result = _prepare(project, schema, target)
    if target is None or result.problems:
        return result
    result.checked = "server"
    duck = database.connect(project.database, read_only=True)
    try:
        with _scrubbed(target), target.connect() as pg:
            _apply(pg, duck, result, target, data=False, say=progress or (lambda m: None))
    finally:
        duck.close()
    # the server's own words: keep the password out of them too
    result.problems = [replace(p, reason=target.scrub(p.reason)) for p in result.problems]
    return result


def mirror(project: BuiltProject, target: Target, progress: Progress | None = None) -> MirrorResult:
    """Mirror the built database of ``project`` onto ``target``, atomically; PostgresError if anything fails."""
    say = progress or (lambda message: None)
    started = time.perf_counter()
    result = check(project, target, say)
    if result.problems:
        raise MirrorRejected(result.problems)
    duck = database.connect(project.database, read_only=True)
    try:
        with _scrubbed(target), target.connect() as pg:
            _apply(pg, duck, result, target, data=True, say=say)
    finally:
        duck.close()
    result.seconds["total"] = time.perf_counter() - started
    return result


@contextmanager
def _scrubbed(target: Target) -> Iterator[None]:
    """Every error leaving the mirror without the password: ours scrubbed in place, psycopg's turned into one."""
    try:
        yield
    except MarketsqlError as exc:
        exc.args = tuple(target.scrub(a) if isinstance(a, str) else a for a in exc.args)
        raise
    except psycopg.Error as exc:
        raise PostgresError(f"PostgreSQL at {target.shown}: {target.scrub(first_line(exc))} — nothing was"
                            " changed") from None


def _prepare(project: BuiltProject, schema: str, target: Target | None) -> MirrorResult:
    building = schema_names(schema, BUILDING)
    duck = database.connect(project.database, read_only=True)
    try:
        functions = models.postgres_functions(duck, building["main"])
        lookups = models.postgres_after_tables(duck, building["main"])
        names = {name: building["main"] for name in _FUNCTION_RE.findall(" ".join(functions + helper_statements(
            building["main"])))}
        python = set(project.udfs) | {u.name.lower() for u in models.model_udfs(duck)}
        started = time.perf_counter()
        plan = make_plan(duck, project.views, building, names, python)
        seconds = {"transpile": time.perf_counter() - started}
    finally:
        duck.close()
    return MirrorResult(target.shown if target else "", str(project.database), schema_names(schema), plan,
                        functions, list(plan.problems), seconds, lookups=lookups)


def _apply(pg: psycopg.Connection[Any], duck: duckdb.DuckDBPyConnection, result: MirrorResult, target: Target,
           data: bool, say: Progress) -> None:
    building = schema_names(target.schema, BUILDING)
    try:
        with pg.transaction() as tx:
            cur = pg.cursor()
            cur.execute("SELECT pg_advisory_xact_lock(hashtext(%s))", [f"{MARK} {target.schema}"])
            _guard(cur, result.schemas)
            for schema in building.values():
                cur.execute(f"DROP SCHEMA IF EXISTS {quote_ident(schema)} CASCADE")
                _run(cur, f"CREATE SCHEMA {quote_ident(schema)}", target, "creating the mirror's schemas")
            for statement in helper_statements(building["main"]) + result.functions:
                _run(cur, statement, target, "creating functions")
            _create_objects(pg, cur, duck, result, building, target, data, say)
            for statement in result.lookups:  # functions that read the mirrored tables (bound to them)
                _run(cur, statement, target, "creating functions")
            if not data:
                raise psycopg.Rollback(tx)
            _verify(cur, duck, result, building, target, say)
            say("swapping the new mirror in")
            swap(cur, result, building, target)
    except psycopg.Error as exc:
        raise PostgresError(f"PostgreSQL at {target.shown}: {target.scrub(first_line(exc))} — nothing was"
                            " changed") from None


def _run(cur: psycopg.Cursor[Any], statement: str, target: Target, doing: str) -> None:
    try:
        cur.execute(statement.encode())
    except psycopg.errors.InsufficientPrivilege as exc:
        user = cur.connection.info.user
        raise PostgresError(
            f"PostgreSQL at {target.shown}: role {user!r} may not do this ({doing}): {first_line(exc)}"
            f" — GRANT CREATE ON DATABASE {cur.connection.info.dbname} TO {user}, or use a role that can;"
            " nothing was changed") from None


def _guard(cur: psycopg.Cursor[Any], final: Mapping[str, str]) -> None:
    """Refuse to replace a schema marketsql did not create, or one that other schemas' views read."""
    names = list(final.values())
    cur.execute("SELECT nspname, coalesce(obj_description(oid, 'pg_namespace'), '') FROM pg_namespace"
                " WHERE nspname = ANY(%s)", [names])
    for name, comment in cur.fetchall():
        if not str(comment).startswith(MARK):
            raise PostgresError(f"schema {name} exists and was not created by marketsql — choose another schema"
                                " (--schema, [targets.postgres] schema) or drop it yourself; nothing was changed")
    cur.execute(
        "SELECT DISTINCT dn.nspname || '.' || dc.relname, sn.nspname || '.' || sc.relname"
        " FROM pg_depend d JOIN pg_rewrite r ON r.oid = d.objid JOIN pg_class dc ON dc.oid = r.ev_class"
        " JOIN pg_namespace dn ON dn.oid = dc.relnamespace JOIN pg_class sc ON sc.oid = d.refobjid"
        " JOIN pg_namespace sn ON sn.oid = sc.relnamespace"
        " WHERE d.classid = 'pg_rewrite'::regclass AND d.refclassid = 'pg_class'::regclass"
        " AND sn.nspname = ANY(%s) AND NOT dn.nspname = ANY(%s) ORDER BY 1", [names, names])
    outside = cur.fetchall()
    if outside:
        reader, read = outside[0]
        raise PostgresError(f"view {reader} reads {read}; replacing the mirror would drop it — drop {reader}"
                            " first and recreate it after the mirror; nothing was changed")


def _create_objects(pg: psycopg.Connection[Any], cur: psycopg.Cursor[Any], duck: duckdb.DuckDBPyConnection,
                    result: MirrorResult, building: Mapping[str, str], target: Target, data: bool,
                    say: Progress) -> None:
    rejected: dict[str, str] = {}
    copy_seconds = view_seconds = 0.0
    for position, item in enumerate(result.items, 1):
        schema = building[item.role]
        started = time.perf_counter()
        if item.kind == "table":
            say(f"copying {item.role}.{item.name} ({position}/{len(result.items)})")
            _run(cur, create_table_sql(schema, item.name, list(item.columns)), target, f"creating {item.name}")
            if data:
                try:
                    copied = copy_rows(duck, item.duckdb_name, cur, schema, item.name, list(item.columns))
                except psycopg.Error as exc:
                    raise PostgresError(f"{item.label}: PostgreSQL rejects the rows of {item.role}.{item.name}:"
                                        f" {first_line(exc)}; the mirror was rolled back, nothing was changed"
                                        ) from None
                result.copied_rows += copied.rows
                result.copied_bytes += copied.bytes
                if item.rows >= 1000:
                    cur.execute(f"ANALYZE {quote_ident(schema)}.{quote_ident(item.name)}")
            copy_seconds += time.perf_counter() - started
        else:
            say(f"creating view {item.name} ({position}/{len(result.items)})")
            problem = _create_view(pg, cur, item, schema, rejected, collect=not data)
            view_seconds += time.perf_counter() - started
            if problem is not None:
                result.problems.append(problem)
                rejected[item.name] = problem.reason
                continue
        _comment(cur, item, schema)
    result.seconds.update(copy=copy_seconds, views=view_seconds)


def _create_view(pg: psycopg.Connection[Any], cur: psycopg.Cursor[Any], item: Item, schema: str,
                 rejected: Mapping[str, str], collect: bool) -> Problem | None:
    """Create one view; its problem if the server rejects it (collected in a check, raised in a build)."""
    assert item.view is not None
    for dependency in sorted(item.view.dependencies):
        if dependency in rejected:
            return Problem(item.name, item.view.where(line_of(item.view, dependency)),
                           f"reads {dependency}, which PostgreSQL rejects")
    statement = f"CREATE VIEW {quote_ident(schema)}.{quote_ident(item.name)} AS {item.sql}"
    try:
        with pg.transaction():
            cur.execute(statement.encode())
    except psycopg.errors.InsufficientPrivilege:
        raise
    except psycopg.Error as exc:
        problem = _rejected(item, exc)
        if collect:
            return problem
        raise PostgresError(f"{problem}; the mirror was rolled back, nothing was changed") from None
    return None


def _rejected(item: Item, exc: psycopg.Error) -> Problem:
    assert item.view is not None
    message = first_line(exc)
    missing = _MISSING_FUNCTION_RE.search(message) if "does not exist" in message else None
    token = missing.group(1).split(".")[-1].strip('"') if missing else None
    line = line_of(item.view, token) if token else None
    return Problem(item.name, item.view.where(line), f"PostgreSQL rejects the view: {message}")


def _comment(cur: psycopg.Cursor[Any], item: Item, schema: str) -> None:
    kind = "VIEW" if item.kind == "view" else "TABLE"
    text = f"{item.label}" + (f" — {item.why}" if item.why else " — view transpiled from DuckDB SQL")
    cur.execute(f"COMMENT ON {kind} {quote_ident(schema)}.{quote_ident(item.name)} IS {literal(text)}".encode())


def _verify(cur: psycopg.Cursor[Any], duck: duckdb.DuckDBPyConnection, result: MirrorResult,
            building: Mapping[str, str], target: Target, say: Progress) -> None:
    """Every object must have as many rows on PostgreSQL as in DuckDB (views are run here, on the server)."""
    started = time.perf_counter()
    for item in result.items:
        say(f"checking rows of {item.name}")
        try:
            # count(whole row), not count(*): PostgreSQL would skip computing columns nobody reads
            cur.execute(f"SELECT count(o) FROM {quote_ident(building[item.role])}.{quote_ident(item.name)} AS o"
                        .encode())
        except psycopg.Error as exc:
            raise PostgresError(f"{item.label}: PostgreSQL rejects view {item.name} when running it:"
                                f" {target.scrub(first_line(exc))}; the mirror was rolled back, nothing was changed"
                                ) from None
        row = cur.fetchone()
        pg_rows = int(row[0]) if row else -1
        duck_rows = int(duck.execute(f"SELECT count(*) FROM {item.duckdb_name}").fetchall()[0][0])
        if pg_rows != duck_rows:
            raise PostgresError(f"{item.label}: {item.name} has {pg_rows:,} rows on PostgreSQL but {duck_rows:,} in"
                                " DuckDB — the view means something else there; mark it `-- marketsql: materialized`"
                                " to copy its rows; the mirror was rolled back, nothing was changed")
    result.seconds["verify"] = time.perf_counter() - started
