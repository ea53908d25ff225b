"""The rebuild after ``train``/``activate``: recreate only what reads a model, or else build everything.

A full build reads every source again and recreates every view. After a training only the model changed, so the
refresh copies the database file (sealed by its build, see :mod:`marketsql.core.seal`) to the build's temporary
path, applies the registry changes, compiles the models as the build does, and recreates in dependency order only
the objects that read a changed model — views that ``require`` it, call its macros or UDFs, or read the tables it
compiles or any other ``meta`` table — and everything downstream of them (a call to a macro counts as reading the
tables the macro reads). Views skipped before for want of that model are created. Then CHECKPOINT, seal, and the
same atomic replace as a build. Whatever cannot be decided safely falls back to the full build, saying why.
"""

from __future__ import annotations

import dataclasses
import re
import shutil
import time
from collections.abc import Mapping, Sequence
from datetime import datetime
from pathlib import Path

import duckdb
import sqlglot
from sqlglot import exp

from marketsql import models
from marketsql.build import (
    BuildResult,
    Progress,
    account_rows,
    build,
    create_object,
    explain_skips,
    period_notes,
    replace_database,
    waiting_for,
)
from marketsql.core import database, manifest, seal
from marketsql.core.config import ProjectConfig
from marketsql.core.manifest import ObjectBuilt, QualityRow
from marketsql.core.sources import SourceLoad
from marketsql.core.sqltext import literal, quote_ident
from marketsql.core.udfs import Udf, register
from marketsql.core.views import ViewFile
from marketsql.models.registry import Change, ModelRecord, Registry
from marketsql.trends import drivers

_CALL_RE = re.compile(r"\b([A-Za-z_]\w*)\s*\(")
_COMMENT_RE = re.compile(r"--[^\n]*|/\*.*?\*/", re.DOTALL)


class Unsafe(Exception):
    """The refresh cannot tell that its result would be the full build's: build everything instead."""


def rebuild(config: ProjectConfig, views: Mapping[str, ViewFile], order: Sequence[str], udfs: Mapping[str, Udf],
            progress: Progress | None, changes: Sequence[Change], memory_limit: str | None, after: str,
            fresh: bool = False) -> BuildResult:
    """Apply ``changes`` (from ``after``, e.g. "train segmentation") by a refresh, or by the full build when it
    cannot be refreshed or ``fresh`` (sources or settings given explicitly); the notes then say why."""
    target = config.database
    with database.writer_lock(target, "build"):
        why = "sources or settings were given (--source/--set)" if fresh else _refusal(config, views, udfs)
        if why is None:
            try:
                return _refresh(config, views, order, udfs, progress or (lambda message: None), changes,
                                memory_limit, after)
            except Unsafe as exc:
                why = str(exc)
        result = build(config, views, order, udfs, progress, changes, memory_limit)
    return dataclasses.replace(result, notes=[*result.notes, f"rebuilt from the sources, not refreshed: {why}"])


def _refusal(config: ProjectConfig, views: Mapping[str, ViewFile], udfs: Mapping[str, Udf]) -> str | None:
    """Why the database cannot be refreshed (a WAL left, written since its build, the project changed), or None."""
    target = config.database
    if Path(str(target) + ".wal").exists():
        return "a write-ahead log is left next to the database"
    con = database.connect(target, read_only=True)
    try:
        return seal.broken(con, target, seal.fingerprint(config, views, udfs))
    finally:
        con.close()


def _refresh(config: ProjectConfig, views: Mapping[str, ViewFile], order: Sequence[str], udfs: Mapping[str, Udf],
             say: Progress, changes: Sequence[Change], memory_limit: str | None, after: str) -> BuildResult:
    def copy(temp: Path) -> duckdb.DuckDBPyConnection:  # the database itself is only read
        say("copying the database")
        shutil.copyfile(config.database, temp)
        return database.attach(temp)

    return replace_database(config, views, udfs, copy,
                            lambda con: _refresh_into(con, config, views, order, udfs, say, changes, memory_limit,
                                                      after))


def _refresh_into(con: duckdb.DuckDBPyConnection, config: ProjectConfig, views: Mapping[str, ViewFile],
                  order: Sequence[str], udfs: Mapping[str, Udf], say: Progress, changes: Sequence[Change],
                  memory_limit: str | None, after: str) -> BuildResult:
    started_at, started = datetime.now(), time.perf_counter()
    limit = config.memory_limit or memory_limit
    if limit:
        con.execute(f"SET memory_limit = {literal(limit)}")
    register(con, udfs.values())
    last = int(con.execute("SELECT max(build_id) FROM meta.builds").fetchall()[0][0])
    before = {r.name: r for r in Registry(con).list() if r.status == "active"}  # as compiled by build `last`
    say("registering the model version")
    applied = [change.apply(Registry(con)) for change in changes]
    active = models.active_records(con)
    changed = {name for name in models.KINDS if _key(before.get(name)) != _key(active.get(name))}
    udfs_by_kind = {name: models.udfs_of(con, name, record) for name, record in active.items()}
    model_udfs = [u for found in udfs_by_kind.values() for u in found]
    register(con, model_udfs)
    owned = {f"function {u.name.lower()}" for n in changed for u in [
        *udfs_by_kind.get(n, []), *(models.udfs_of(con, n, before[n]) if n in before else [])]}
    say("compiling the models")
    stable = _compile(con, active, changed, owned)
    say("finding what reads the changed models")
    reads = _macro_reads(con)
    built = _built(con, last)
    existing = _existing(con)
    if set(existing) - (set(manifest.USER_VIEWS) - set(built)) != set(built):
        raise Unsafe(f"the database's objects are not those build {last} recorded")
    python_functions = set(udfs) | {u.name.lower() for u in model_udfs}
    objects: list[ObjectBuilt] = []
    skipped: dict[str, str] = {}
    recreated: list[str] = []
    for position, name in enumerate(order, 1):
        view = views[name]
        waiting = waiting_for(view, set(active), skipped)
        if waiting:
            if name in existing:
                raise Unsafe(f"{name} was built, but would now be skipped ({waiting})")
            skipped[name] = waiting
            continue
        if name in built and not _reads_changed(view, changed, owned, stable, recreated, reads):
            objects.append(built[name])
            continue
        if name in existing:
            con.execute(f"DROP {existing[name].upper()} {quote_ident(name)}")
        materialized = view.materialized or bool(view.functions & python_functions)
        say(f"refreshing {'table' if materialized else 'view'} {name} ({position}/{len(order)})")
        objects.append(create_object(con, view, materialized))
        recreated.append(name)
    say("compiling what the models read of the views")
    models.compile_after_views(con)
    if any(o.name == "driver_lines" for o in objects):
        drivers.create_macro(con)
    manifest.create_user_views(con, views)
    skipped = explain_skips(con, skipped)
    loads, quality = _last_loads(con, last)
    if any(name.startswith(("dq_", "stg_")) for name in recreated):
        quality = account_rows(con, views, {s.name: s.rows for s in loads})
    notes = period_notes(con, {o.name for o in objects})
    build_id, seconds = manifest.next_build_id(con), time.perf_counter() - started
    manifest.record(con, build_id, started_at, seconds, config.root, dict(config.settings), loads,
                    {name: source.paths for name, source in config.sources.items()}, objects, quality)
    con.execute("INSERT INTO meta.build_refreshes VALUES (?, ?, ?, ?)", [build_id, after, last, ", ".join(recreated)])
    return BuildResult(config.database, build_id, seconds, loads, objects, quality, list(skipped.items()), applied,
                       notes, tuple(recreated))


def _compile(con: duckdb.DuckDBPyConnection, active: Mapping[str, ModelRecord], changed: set[str],
             owned: set[str]) -> set[str]:
    """Compile every model as the build does; add what the changed ones made to ``owned`` (and the macros no model
    made again, which are dropped: an older version's or a stand-in); return what the others made."""
    stable: set[str] = set()  # made by the models that did not change: the same rows again
    first = _catalog(con)
    for name in models.KINDS:
        was = _catalog(con)
        models.compile_kind(con, name, active.get(name))
        (owned if name in changed else stable).update(k for k, oids in _catalog(con).items() if was.get(k) != oids)
    compiled = _catalog(con)
    for key, oids in first.items():
        if key.startswith("function ") and compiled.get(key) == oids:
            _drop_macro(con, key.removeprefix("function "))
            owned.add(key)
    return stable


def _key(record: ModelRecord | None) -> tuple[int, str] | None:
    return (record.version, record.checksum) if record else None


def _catalog(con: duckdb.DuckDBPyConnection) -> dict[str, frozenset[int]]:
    """Every macro (``function name``) and table (``table schema.name``) of the database, with its object ids:
    CREATE OR REPLACE gives a new id, so comparing two catalogs says what a step made."""
    rows = con.execute(
        "SELECT 'function ' || function_name, function_oid FROM duckdb_functions() WHERE NOT internal"
        " AND database_name = current_database() AND function_type IN ('macro', 'table_macro')"
        " UNION ALL SELECT 'table ' || schema_name || '.' || table_name, table_oid FROM duckdb_tables()"
        " WHERE database_name = current_database()").fetchall()
    found: dict[str, set[int]] = {}
    for key, oid in rows:
        found.setdefault(str(key), set()).add(int(oid))
    return {key: frozenset(oids) for key, oids in found.items()}


def _drop_macro(con: duckdb.DuckDBPyConnection, name: str) -> None:
    table = con.execute("SELECT bool_or(function_type = 'table_macro') FROM duckdb_functions() WHERE NOT internal"
                        " AND database_name = current_database() AND function_name = ?", [name]).fetchall()[0][0]
    con.execute(f"DROP MACRO {'TABLE ' if table else ''}{quote_ident(name)}")


def _macro_reads(con: duckdb.DuckDBPyConnection) -> dict[str, set[str]]:
    """For every macro: the tables (``table schema.name``) and macros (``function name``) its definition reads."""
    reads: dict[str, set[str]] = {}
    for name, kind, definition in con.execute(
            "SELECT function_name, function_type, macro_definition FROM duckdb_functions() WHERE NOT internal"
            " AND database_name = current_database() AND function_type IN ('macro', 'table_macro')").fetchall():
        text = str(definition) if kind == "table_macro" else f"SELECT {definition}"
        try:
            query = sqlglot.parse_one(text, read="duckdb")
        except (sqlglot.errors.ParseError, sqlglot.errors.TokenError, RecursionError) as exc:
            raise Unsafe(f"the definition of macro {name} could not be read ({type(exc).__name__})") from exc
        ctes = {cte.alias_or_name.lower() for cte in query.find_all(exp.CTE)}
        tables = {_table(t.db, t.name) for t in query.find_all(exp.Table)
                  if isinstance(t.this, exp.Identifier) and (t.db or t.name.lower() not in ctes)}
        reads.setdefault(f"function {name}", set()).update(tables, _calls(text))
    return reads


def _table(schema: str, name: str) -> str:
    return f"table {(schema or 'main').lower()}.{name.lower()}"


def _calls(sql: str) -> set[str]:
    """``function name`` for every ``name(`` outside comments (more than sqlglot's function list: it names some
    functions its own way)."""
    return {f"function {match.lower()}" for match in _CALL_RE.findall(_COMMENT_RE.sub(" ", sql))}


def _reads_changed(view: ViewFile, changed: set[str], owned: set[str], stable: set[str], recreated: Sequence[str],
                   reads: Mapping[str, set[str]]) -> bool:
    """Whether ``view`` reads a changed model, a ``meta`` table other than the unchanged models', or an object
    recreated before it — directly or through the macros it calls."""
    if view.requires & changed:
        return True
    todo = {_table(*ref.rpartition(".")[::2]) for ref in view.dependencies}
    todo |= _calls(view.sql) | {f"function {name}" for name in view.functions}
    seen: set[str] = set()
    while todo:
        key = todo.pop()
        seen.add(key)
        todo |= reads.get(key, set()) - seen
    redone = {f"table main.{name}" for name in recreated}
    meta = {key for key in seen if key.startswith("table meta.")} - stable
    return bool(seen & (owned | redone) or meta)


def _built(con: duckdb.DuckDBPyConnection, build_id: int) -> dict[str, ObjectBuilt]:
    rows = con.execute("SELECT name, kind, file, rows, seconds FROM meta.build_objects WHERE build_id = ?"
                       " ORDER BY position", [build_id]).fetchall()
    return {row[0]: ObjectBuilt(*row) for row in rows}


def _existing(con: duckdb.DuckDBPyConnection) -> dict[str, str]:
    """The tables and views of the main schema: name → "table" or "view"."""
    rows = con.execute("SELECT table_name, 'table' FROM duckdb_tables() WHERE schema_name = 'main'"
                       " AND database_name = current_database() UNION ALL SELECT view_name, 'view' FROM duckdb_views()"
                       " WHERE schema_name = 'main' AND database_name = current_database() AND NOT internal").fetchall()
    return {str(name): str(kind) for name, kind in rows}


def _last_loads(con: duckdb.DuckDBPyConnection, build_id: int) -> tuple[list[SourceLoad], list[QualityRow]]:
    """The sources and row accounting the last build recorded: a refresh reads no source (0 s)."""
    loads = [SourceLoad(name, tuple(files), int(size), sha, int(rows), 0.0) for name, files, size, sha, rows in
             con.execute("SELECT source, files, bytes, sha256, rows FROM meta.build_sources WHERE build_id = ?",
                         [build_id]).fetchall()]
    quality = [QualityRow(*row) for row in con.execute(
        "SELECT source, disposition, reason, rows FROM meta.build_quality WHERE build_id = ?", [build_id]).fetchall()]
    return loads, quality
