"""The build manifest, kept in the database's ``meta`` schema.

History accumulates: each build copies the previous database's ``meta`` tables (the
manifest and, later, the model registry) before adding its own rows.
"""

from __future__ import annotations

import dataclasses
import json
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

import duckdb

from marketsql.version import __version__

from . import database
from .config import ProjectConfig, _with_path
from .sources import SourceLoad

SCHEMA = "meta"

DDL = [
    f"CREATE SCHEMA IF NOT EXISTS {SCHEMA}",
    f"""CREATE TABLE IF NOT EXISTS {SCHEMA}.builds (
        build_id INTEGER, started_at TIMESTAMP, finished_at TIMESTAMP, seconds DOUBLE,
        project VARCHAR, marketsql_version VARCHAR, duckdb_version VARCHAR, settings JSON)""",
    f"""CREATE TABLE IF NOT EXISTS {SCHEMA}.build_sources (
        build_id INTEGER, source VARCHAR, files VARCHAR[], bytes BIGINT, sha256 VARCHAR,
        rows BIGINT, seconds DOUBLE)""",
    f"""CREATE TABLE IF NOT EXISTS {SCHEMA}.build_objects (
        build_id INTEGER, name VARCHAR, kind VARCHAR, file VARCHAR, rows BIGINT, seconds DOUBLE,
        position INTEGER)""",
    f"""CREATE TABLE IF NOT EXISTS {SCHEMA}.build_quality (
        build_id INTEGER, source VARCHAR, disposition VARCHAR, reason VARCHAR, rows BIGINT)""",
    # the source paths as the build was told them (globs unexpanded, --source overrides included)
    f"CREATE TABLE IF NOT EXISTS {SCHEMA}.build_source_paths (build_id INTEGER, source VARCHAR, paths VARCHAR[])",
    # the seal of each build's file (marketsql/core/seal.py) and what each refresh after a train/activate redid
    f"CREATE TABLE IF NOT EXISTS {SCHEMA}.build_seals (build_id INTEGER, iteration BIGINT, project VARCHAR)",
    f"""CREATE TABLE IF NOT EXISTS {SCHEMA}.build_refreshes (
        build_id INTEGER, after VARCHAR, reused_build INTEGER, recreated VARCHAR)""",
    # contact lists saved by `marketsql target` (marketsql/targeting/store.py): one row per listed customer,
    # kept here so that every build carries them over; the view main.target_lists shows them
    f"""CREATE TABLE IF NOT EXISTS {SCHEMA}.target_lists (
        list_name VARCHAR, created_at TIMESTAMP, model VARCHAR, model_version INTEGER, algorithm VARCHAR,
        target VARCHAR, treatment VARCHAR, budget DOUBLE, cost_per_contact DOUBLE, min_profit DOUBLE,
        value_source VARCHAR, rank INTEGER, customer_id VARCHAR, p DOUBLE, value DOUBLE, expected_profit DOUBLE)""",
]


# views in the main schema over meta tables a user reads (a project view of the same name wins)
USER_VIEWS = {"target_lists": f"SELECT * FROM {SCHEMA}.target_lists"}


def create_user_views(con: duckdb.DuckDBPyConnection, taken: Iterable[str] = ()) -> None:
    """``target_lists`` (the saved contact lists) as a view in the main schema, unless ``taken`` has the name."""
    for name, query in USER_VIEWS.items():
        if name not in set(taken):
            con.execute(f'CREATE VIEW IF NOT EXISTS main."{name}" AS {query}')


@dataclass(frozen=True)
class BuildInputs:
    """The source paths and settings a recorded build used."""

    build_id: int
    paths: dict[str, tuple[str, ...]]  # empty for builds made before paths were recorded
    settings: dict[str, str]

    def applied_to(self, config: ProjectConfig) -> tuple[ProjectConfig, list[str]]:
        """``config`` with these source paths and settings, and a note saying how they differ from it (if so)."""
        sources = dict(config.sources)
        differ = []
        for name, paths in self.paths.items():
            source = sources.get(name)
            if source is not None and source.paths != paths:
                # one path: an override, whose format --source inferred from it; else the configured list
                one = len(paths) == 1
                sources[name] = _with_path(source, paths[0]) if one else dataclasses.replace(source, paths=paths)
                differ.append(f"--source {name}={','.join(paths)}")
        differ += [f"--set {k}={v}" for k, v in self.settings.items() if config.settings.get(k) != v]
        differ += [f"(no {k} setting)" for k in config.settings if k not in self.settings]
        if not differ:
            return config, []
        note = (f"rebuilt with the sources and settings of build {self.build_id}, which differ from"
                f" {config.config_file.name}: {' '.join(differ)} (pass --source/--set to change them)")
        return dataclasses.replace(config, sources=sources, settings=dict(self.settings)), [note]


@dataclass(frozen=True)
class ObjectBuilt:
    """One view or table created by a build."""

    name: str
    kind: str  # "view" or "table"
    file: str
    rows: int
    seconds: float


@dataclass(frozen=True)
class QualityRow:
    """How many raw rows of a source ended in a disposition, for one reason."""

    source: str
    disposition: str  # purchase / return / quarantine …
    reason: str | None
    rows: int


def carry_over(con: duckdb.DuckDBPyConnection, previous: Path) -> None:
    """Copy the ``meta`` schema of the previous database (if any) into the new one."""
    for statement in DDL:
        con.execute(statement)
    if not previous.exists():
        return
    try:
        con.execute(f"ATTACH '{str(previous).replace(chr(39), chr(39) * 2)}' AS previous (READ_ONLY)")
    except duckdb.Error as exc:
        raise database.unreadable(previous, exc) from exc
    try:
        database.check_intact(con, previous, "previous")
        tables = con.execute(
            "SELECT table_name FROM duckdb_tables() WHERE database_name = 'previous' AND schema_name = ?",
            [SCHEMA],
        ).fetchall()
        for (table,) in tables:
            con.execute(f'DROP TABLE IF EXISTS {SCHEMA}."{table}"')
            con.execute(f'CREATE TABLE {SCHEMA}."{table}" AS SELECT * FROM previous.{SCHEMA}."{table}"')
    except duckdb.Error as exc:  # a damaged block in the previous file: say how to get past it
        explained = database.damaged(exc, previous)
        if explained is None:
            raise
        raise explained from exc
    finally:
        con.execute("DETACH previous")


def next_build_id(con: duckdb.DuckDBPyConnection) -> int:
    """One more than the last recorded build."""
    return int(con.execute(f"SELECT coalesce(max(build_id), 0) + 1 FROM {SCHEMA}.builds").fetchall()[0][0])


def record(
    con: duckdb.DuckDBPyConnection,
    build_id: int,
    started: datetime,
    seconds: float,
    project: Path,
    settings: dict[str, str],
    sources: Sequence[SourceLoad],
    paths: Mapping[str, Sequence[str]],
    objects: Sequence[ObjectBuilt],
    quality: Sequence[QualityRow],
) -> None:
    """Write this build's rows into the manifest tables."""

    con.execute(
        f"INSERT INTO {SCHEMA}.builds VALUES (?, ?, now()::TIMESTAMP, ?, ?, ?, ?, ?)",
        [build_id, started, seconds, str(project), __version__, duckdb.__version__, json.dumps(settings)],
    )
    _insert(con, "build_sources", [[build_id, s.name, list(s.files), s.bytes, s.sha256, s.rows, s.seconds]
                                   for s in sources])
    _insert(con, "build_objects", [[build_id, o.name, o.kind, o.file, o.rows, o.seconds, i]
                                   for i, o in enumerate(objects, 1)])
    _insert(con, "build_quality", [[build_id, q.source, q.disposition, q.reason, q.rows] for q in quality])
    _insert(con, "build_source_paths", [[build_id, name, list(p)] for name, p in paths.items()])


def last_inputs(con: duckdb.DuckDBPyConnection) -> BuildInputs | None:
    """The source paths and settings of the last recorded build (None if the database has no manifest)."""
    try:
        found = con.execute(f"SELECT build_id, settings FROM {SCHEMA}.builds ORDER BY build_id DESC LIMIT 1").fetchall()
    except duckdb.CatalogException:
        return None
    if not found:
        return None
    build_id, settings = found[0]
    try:
        rows = con.execute(f"SELECT source, paths FROM {SCHEMA}.build_source_paths WHERE build_id = ?",
                           [build_id]).fetchall()
    except duckdb.CatalogException:
        rows = []
    loaded = json.loads(settings) if settings else {}
    return BuildInputs(int(build_id), {name: tuple(p) for name, p in rows},
                       {str(k): str(v) for k, v in loaded.items()})


def _insert(con: duckdb.DuckDBPyConnection, table: str, rows: list[list[object]]) -> None:
    if rows:
        marks = ", ".join("?" * len(rows[0]))
        con.executemany(f"INSERT INTO {SCHEMA}.{table} VALUES ({marks})", rows)
