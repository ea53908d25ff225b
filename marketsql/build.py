"""Building a project: load sources, create every view in dependency order, all or nothing.

The build writes a new database file next to the old one and renames it into place only when
everything succeeded, so a failed or killed build leaves the previous database exactly as it was.
"""

from __future__ import annotations

import re
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

import duckdb

from marketsql import models
from marketsql.core import database, locations, manifest, quality, seal
from marketsql.core.config import ProjectConfig
from marketsql.core.manifest import ObjectBuilt, QualityRow
from marketsql.core.resources import resource_error
from marketsql.core.sources import SourceLoad, load_source
from marketsql.core.sqltext import literal, quote_ident
from marketsql.core.udfs import Udf, register
from marketsql.core.views import ViewFile
from marketsql.engines.sources import load_database_source
from marketsql.errors import MarketsqlError, SqlError
from marketsql.models.registry import Change, ModelRecord, Registry
from marketsql.trends import base, drivers

Progress = Callable[[str], None]
DISPOSITIONS = quality.DISPOSITIONS
_LINE_RE = re.compile(r"LINE (\d+):")
_UDF_FAILED = "Python exception occurred while executing the UDF:"


@dataclass(frozen=True)
class BuildResult:
    """What a build produced."""

    database: Path
    build_id: int
    seconds: float
    sources: Sequence[SourceLoad]
    objects: Sequence[ObjectBuilt]
    quality: Sequence[QualityRow]
    skipped: Sequence[tuple[str, str]] = ()  # (view, why) for views waiting for a model
    models: Sequence[ModelRecord] = ()  # model versions registered or activated by this build (train, activate)
    notes: Sequence[str] = ()  # e.g. which earlier build's sources and settings a rebuild reused
    recreated: Sequence[str] | None = None  # a refresh (marketsql/refresh.py): the objects it made again; None: a build

    def accounting(self) -> dict[str, str]:
        """One line per cleaned source: raw rows → where each of them went."""
        lines = {}
        for source in sorted({q.source for q in self.quality}):
            rows = [q for q in self.quality if q.source == source]
            raw = next(s.rows for s in self.sources if s.name == source)
            totals = {d: sum(q.rows for q in rows if q.disposition == d) for d in DISPOSITIONS}
            reasons = sorted((q for q in rows if q.disposition == "quarantine"), key=lambda q: -q.rows)
            detail = ", ".join(f"{q.reason or '(no reason)'} {q.rows:,}" for q in reasons)
            lines[source] = (
                f"{raw:,} raw → {totals['purchase']:,} purchases, {totals['return']:,} returns, "
                f"{totals['quarantine']:,} quarantined" + (f" ({detail})" if detail else "")
            )
        return lines


def build(
    config: ProjectConfig,
    views: Mapping[str, ViewFile],
    order: Sequence[str],
    udfs: Mapping[str, Udf],
    progress: Progress | None = None,
    changes: Sequence[Change] = (),
    memory_limit: str | None = None,
) -> BuildResult:
    """Build the project database from scratch into a new file and swap it in atomically.

    ``changes`` (model versions to register or activate) are written into the new file's registry
    before the models are compiled, so they land together with the marts that use them, or not at all.
    ``memory_limit``: DuckDB's when the project sets none (the rebuild after a training, see ModelKind).
    """
    say = progress or (lambda message: None)
    target = config.database
    locations.prepare_database_folder(target)  # a folder in the way or a read-only place: say so before any work
    with database.writer_lock(target, "build"):
        return replace_database(config, views, udfs, database.create,
                                lambda con: _build_into(con, config, views, order, udfs, say, changes, memory_limit))


def replace_database(config: ProjectConfig, views: Mapping[str, ViewFile], udfs: Mapping[str, Udf],
                     open_new: Callable[[Path], duckdb.DuckDBPyConnection],
                     fill: Callable[[duckdb.DuckDBPyConnection], BuildResult]) -> BuildResult:
    """Write the project database anew — at the build's temporary path, opened by ``open_new`` and filled by
    ``fill`` — then seal it (CHECKPOINT) and swap it in atomically. The caller holds the writer lock. From the
    temporary file's creation on, an interrupt anywhere (Ctrl-C, SIGTERM) removes it again."""
    target = config.database
    database.ensure_unlocked(target)
    database.remove_stale_temps(target)
    temp = database.temp_path(target)
    database.discard(temp)
    con = None
    try:
        con = open_new(temp)
        result = fill(con)
        seal.finish(con, temp, result.build_id, seal.fingerprint(config, views, udfs))
        con.close()
        database.replace(temp, target)
        return result
    except BaseException:
        if con is not None:
            con.close()
        database.discard(temp)
        raise


def _build_into(
    con: duckdb.DuckDBPyConnection,
    config: ProjectConfig,
    views: Mapping[str, ViewFile],
    order: Sequence[str],
    udfs: Mapping[str, Udf],
    say: Progress,
    changes: Sequence[Change] = (),
    memory_limit: str | None = None,
) -> BuildResult:
    started_at, started = datetime.now(), time.perf_counter()
    limit = config.memory_limit or memory_limit
    if limit:
        con.execute(f"SET memory_limit = {literal(limit)}")
    register(con, udfs.values())
    manifest.carry_over(con, config.database)
    applied = [change.apply(Registry(con)) for change in changes]
    model_udfs = models.model_udfs(con)  # before the macros: a model's macro may call its UDFs
    register(con, model_udfs)
    trained = models.compile_active(con)  # macros of the active models, before any view uses them
    python_functions = set(udfs) | {u.name.lower() for u in model_udfs}
    build_id = manifest.next_build_id(con)
    con.execute("CREATE SCHEMA raw")
    loads = []
    for name, source in config.sources.items():
        say(f"loading source {name}" + (f" from {source.database.engine}" if source.database else ""))
        loads.append(load_source(con, source) if source.database is None
                     else load_database_source(con, source, config.database, build_id))
    _stand_in(con, views, config.sources)
    grains = {f"grain.{s.name}": s.grain for s in config.sources.values() if s.grain}
    _write_settings(con, {**grains, **config.settings})
    objects: list[ObjectBuilt] = []
    skipped: dict[str, str] = {}
    for position, name in enumerate(order, 1):
        view = views[name]
        waiting = waiting_for(view, trained, skipped)
        if waiting:
            skipped[name] = waiting
            continue
        materialized = view.materialized or bool(view.functions & python_functions)
        say(f"building {'table' if materialized else 'view'} {name} ({position}/{len(order)})")
        objects.append(create_object(con, view, materialized))
    models.compile_after_views(con)  # model SQL that reads built tables
    if any(o.name == "driver_lines" for o in objects):
        drivers.create_macro(con)  # revenue_drivers(period_a, period_b), a table macro over driver_lines
    manifest.create_user_views(con, views)  # e.g. target_lists, over meta tables every build carries over
    skipped = explain_skips(con, skipped)
    notes = [load.note for load in loads if load.note] + period_notes(con, {o.name for o in objects})
    quality = account_rows(con, views, {s.name: s.rows for s in loads})
    seconds = time.perf_counter() - started
    paths = {name: source.paths for name, source in config.sources.items()}
    manifest.record(con, build_id, started_at, seconds, config.root, dict(config.settings), loads, paths, objects,
                    quality)
    return BuildResult(config.database, build_id, seconds, loads, objects, quality, list(skipped.items()), applied,
                       notes)


# what each model kind is trained on: a contract view and what the data lacks when that view is empty
TRAINED_ON = {"budget": ("stg_marketing_spend", "spend"),
              "positioning": ("stg_product_attributes", "product attributes"),
              **{kind: ("stg_order_lines", "sales") for kind in ("segmentation", "clv", "recommendation", "forecast")}}


def _stand_in(con: duckdb.DuckDBPyConnection, views: Mapping[str, ViewFile], declared: Mapping[str, object]) -> None:
    """An empty ``raw.<source>`` for each optional source (``-- marketsql: optional``) the project does not declare."""
    made: set[str] = set()
    for view in views.values():
        for source, columns in view.optional:
            if source in declared or source in made:
                continue
            typed = ", ".join(f"{quote_ident(c)} {t}" for c, t in columns)
            try:
                con.execute(f"CREATE TABLE raw.{quote_ident(source)} (_source_row BIGINT, {typed})")
            except duckdb.Error as exc:
                raise SqlError(f"{view.label}: `-- marketsql: optional raw.{source}(…)`: {str(exc).splitlines()[0]}"
                               " — fix the column types in the comment") from exc
            made.add(source)


def waiting_for(view: ViewFile, trained: set[str], skipped: Mapping[str, str]) -> str | None:
    """Why the view cannot be built yet (a model is not trained, or it reads a skipped view), or None."""
    missing = sorted(view.requires - trained)
    if missing:
        return _NEEDS.format(kind=missing[0])
    for dependency in sorted(view.dependencies):
        if dependency in skipped:
            return f"reads {dependency}, which was skipped: {skipped[dependency]}"
    return None


def period_notes(con: duckdb.DuckDBPyConnection, built: set[str]) -> list[str]:
    """A line saying which partial last month the monthly views leave out of forecasts and charts (daily data only),
    and one when the customer base is a closed cohort or shrinking (:mod:`marketsql.trends.base`)."""
    if "sales_by_month" not in built or "order_grain" not in built:
        return []
    rows = con.execute("SELECT strftime(s.month, '%Y-%m'), strftime(CAST(e.last_ts AS DATE), '%Y-%m-%d'), g.grain"
                       " FROM sales_by_month AS s CROSS JOIN order_grain AS g"
                       " CROSS JOIN (SELECT max(order_ts) AS last_ts FROM stg_order_lines) AS e"
                       " WHERE s.dimension = 'total' AND s.partial_month").fetchall()
    notes = [f"sales_by_month: the last month, {month}, is partial (daily data ending {last}):"
             " forecasts and charts leave it out" for month, last, _ in rows]
    return notes + (base.customer_base_notes(con) if "customers_by_month" in built else [])


_NEEDS = "needs a trained {kind} model — run `marketsql train {kind}`"


def explain_skips(con: duckdb.DuckDBPyConnection, skipped: Mapping[str, str]) -> dict[str, str]:
    """Say "this data has no spend" rather than "train budget" where the model's training data is empty."""
    lacking = {kind: why for kind in TRAINED_ON if (why := _no_data_for(con, kind))}
    explained = {}
    for name, why in skipped.items():
        for kind, instead in lacking.items():
            why = why.replace(_NEEDS.format(kind=kind), instead)
        explained[name] = why
    return explained


def _no_data_for(con: duckdb.DuckDBPyConnection, kind: str) -> str | None:
    """"this data has no spend (…)" when the view the model trains on was built empty, else None."""
    view, what = TRAINED_ON.get(kind, ("", ""))
    exists = con.execute("SELECT count(*) FROM duckdb_tables() WHERE schema_name = 'main' AND table_name = ?"
                         " UNION ALL SELECT count(*) FROM duckdb_views() WHERE schema_name = 'main' AND view_name = ?",
                         [view, view]).fetchall()
    if not view or not any(row[0] for row in exists):
        return None
    if con.execute(f"SELECT count(*) FROM (SELECT 1 FROM {quote_ident(view)} LIMIT 1)").fetchall()[0][0]:
        return None
    return f"this data has no {what} ({view} is empty), so there is no {kind} model to train"


def _write_settings(con: duckdb.DuckDBPyConnection, settings: Mapping[str, str]) -> None:
    con.execute("CREATE TABLE raw.settings (key VARCHAR PRIMARY KEY, value VARCHAR)")
    if settings:
        con.executemany("INSERT INTO raw.settings VALUES (?, ?)", [[k, v] for k, v in settings.items()])


def create_object(con: duckdb.DuckDBPyConnection, view: ViewFile, materialized: bool) -> ObjectBuilt:
    started = time.perf_counter()
    kind = "table" if materialized else "view"
    name = quote_ident(view.name)
    try:
        con.execute(f"CREATE {kind.upper()} {name} AS {view.sql}\n")
        rows = _count(con, view, materialized)
    except duckdb.Error as exc:
        raise _sql_error(view, exc) from exc
    return ObjectBuilt(view.name, kind, view.label, rows, time.perf_counter() - started)


def _count(con: duckdb.DuckDBPyConnection, view: ViewFile, materialized: bool) -> int:
    """Rows of the new object. A view is read in full once: ``count(*)`` alone evaluates no column, so a
    view whose columns fail (``error()``, a failing cast) would pass; hashing every column of every row
    makes each one run, and the aggregate keeps DuckDB from pruning them. The view's SQL is inlined so
    that the line DuckDB reports is the file's. A table's columns were evaluated by CREATE TABLE AS."""
    if materialized:
        return int(con.execute(f"SELECT count(*) FROM {quote_ident(view.name)}").fetchall()[0][0])
    query = f"SELECT count(*), max(hash(*COLUMNS(*))) FROM ({view.sql}\n) AS _marketsql_row"
    return int(con.execute(query).fetchall()[0][0])


def _sql_error(view: ViewFile, exc: duckdb.Error) -> MarketsqlError:
    """One line for a failed view: out of memory / disk, a failing Python UDF, or the SQL itself."""
    resource = resource_error(exc, f"building {view.name} from {view.label}")
    if resource is not None:
        return resource
    text = str(exc)
    match = _LINE_RE.search(text)
    where = view.where(int(match.group(1)) if match else None)
    if _UDF_FAILED in text:  # raised inside a Python function: the guard in udfs.py named it and its file
        raised = text.split(_UDF_FAILED, 1)[1].strip().splitlines()[0]
        if raised.startswith("UdfError: "):
            return SqlError(f"{where}: {raised.removeprefix('UdfError: ')}")
        return SqlError(f"{where}: a Python UDF raised {raised} — fix the UDF")
    lines = [line.strip() for line in text.strip().splitlines() if line.strip()]
    first = lines[0] if lines else type(exc).__name__
    if first.endswith(":") and len(lines) > 1:  # "Invalid Input Error:" with the reason on the next line
        first = f"{first} {lines[1]}"
    if isinstance(exc, duckdb.InvalidInputException) and first.startswith("Invalid Input Error: settings."):
        return SqlError(f"{where}: {first}")  # raised by the SQL's own error(): it already says what to fix
    return SqlError(f"{where}: {first} — fix the SQL")


def account_rows(
    con: duckdb.DuckDBPyConnection, views: Mapping[str, ViewFile], raw_rows: Mapping[str, int]
) -> list[QualityRow]:
    """Account for every raw row of each source that has a ``dq_<source>`` view, and check the staging
    contract (see marketsql/core/quality.py): a row lost, counted twice or invented fails the build."""
    rows: list[QualityRow] = []
    for source in raw_rows:
        view = views.get(f"dq_{source}")
        if view is not None:
            rows.extend(quality.account(con, view, source))
    built = [r[0] for r in con.execute(
        "SELECT table_name FROM duckdb_tables() WHERE schema_name = 'main'"
        " UNION ALL SELECT view_name FROM duckdb_views() WHERE schema_name = 'main' AND NOT internal"
    ).fetchall()]
    quality.check_contracts(con, views, built)
    return rows
