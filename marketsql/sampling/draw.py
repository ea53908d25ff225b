"""The sampled raw tables, written as Parquet, and the scratch project that rebuilds the project's SQL over them.

From DuckDB the sample is cut inside the project database (``COPY (SELECT … WHERE key IN sample) TO … parquet``);
from Spark the pulled Arrow tables are written by DuckDB with each column cast back to the project database's type
of it (so both sources give the same Parquet). Either way every table is written in ``_source_row`` order without
that column: the scratch build numbers the rows again, in the same order, as it numbers any source's.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

import duckdb

from marketsql.core import customer_sample as rule
from marketsql.core import database
from marketsql.core.config import ProjectConfig, SourceConfig
from marketsql.core.sqltext import literal, quote_ident
from marketsql.errors import ConfigError, SourceError

ROW = "_source_row"


@dataclass(frozen=True)
class Drawn:
    """The sample as written: Parquet file and rows per raw table, the population and the keys used."""

    files: Mapping[str, Path]
    rows: Mapping[str, int]
    population: int
    keys: rule.SampleKeys


def raw_columns(con: duckdb.DuckDBPyConnection, tables: Sequence[str]) -> dict[str, list[tuple[str, str]]]:
    """(column, DuckDB type) of each raw table of the project database, in order; SourceError if one is missing."""
    found: dict[str, list[tuple[str, str]]] = {t: [] for t in tables}
    for table, column, kind in con.execute(
            "SELECT table_name, column_name, data_type FROM duckdb_columns() WHERE schema_name = 'raw'"
            " AND database_name = current_database() ORDER BY table_name, column_index").fetchall():
        if table in found:
            found[table].append((column, kind))
    missing = [t for t, columns in found.items() if not columns]
    if missing:
        raise SourceError(f"the project database has no raw table {missing[0]} — run `marketsql build` first")
    return found


def from_duckdb(db: Path, tables: Sequence[str], settings: Mapping[str, str], size: int, folder: Path) -> Drawn:
    """Cut the sample out of the project database's raw tables into ``folder``."""
    con = database.connect(db, read_only=True)
    try:
        columns = raw_columns(con, tables)
        keys = rule.find_keys({t: [c for c, _ in cs] for t, cs in columns.items()}, settings)
        customers = rule.customers_sql(keys, lambda t: f"raw.{quote_ident(t)}", quote_ident, "VARCHAR")
        population = int(con.execute(f"SELECT count(*) FROM ({customers})").fetchall()[0][0])
        rule.check_population(size, population)
        con.execute(f"CREATE TEMP TABLE sampled AS {rule.sample_sql(customers, size)}")
        files, rows = {}, {}
        for table, cols in columns.items():
            key = keys.keys.get(table)
            where = f" WHERE CAST({quote_ident(key)} AS VARCHAR) IN (SELECT c FROM sampled)" if key else ""
            files[table], rows[table] = _write(con, f"raw.{quote_ident(table)}{where}", cols, folder / table)
        return Drawn(files, rows, population, keys)
    finally:
        con.close()


def from_arrow(db: Path, pulled: Mapping[str, Any], population: int, keys: rule.SampleKeys, folder: Path) -> Drawn:
    """Write tables pulled from another engine (Arrow), each column cast to the project database's type of it."""
    con = database.connect(db, read_only=True)
    try:
        columns = raw_columns(con, list(pulled))
        files, rows = {}, {}
        for table, arrow in pulled.items():
            con.register("pulled", arrow)
            try:
                files[table], rows[table] = _write(con, "pulled", columns[table], folder / table)
            finally:
                con.unregister("pulled")
        return Drawn(files, rows, population, keys)
    finally:
        con.close()


def _write(con: duckdb.DuckDBPyConnection, source: str, columns: list[tuple[str, str]], stem: Path) -> tuple[Path, int]:
    """``SELECT <columns but _source_row> FROM source ORDER BY _source_row`` as one Parquet file; (file, rows)."""
    path = stem.with_suffix(".parquet")
    select = ", ".join(f"CAST({quote_ident(c)} AS {kind}) AS {quote_ident(c)}" for c, kind in columns if c != ROW)
    con.execute(f"COPY (SELECT {select} FROM {source} ORDER BY {ROW}) TO {literal(str(path))} (FORMAT parquet)")
    rows = int(con.execute(f"SELECT count(*) FROM read_parquet({literal(str(path))})").fetchall()[0][0])
    if rows == 0:
        raise ConfigError(f"the sample has no rows of {stem.name} — take a larger sample (--sample)")
    return path, rows


def scratch_config(config: ProjectConfig, drawn: Drawn, folder: Path, analysis_date: str | None) -> ProjectConfig:
    """The project's config with every source read from its sampled Parquet file and the database in ``folder``;
    ``analysis_date`` pinned to the whole data's (a sample's last order may fall earlier)."""
    sources = {name: SourceConfig(name, (str(drawn.files[name]),), "parquet", dict(source.columns), {}, source.grain)
               for name, source in config.sources.items()}
    settings = dict(config.settings)
    if analysis_date and "analysis_date" not in settings:
        settings["analysis_date"] = analysis_date
    return replace(config, database=folder / "sample.duckdb", sources=sources, settings=settings)


def seed_registry(db: Path, scratch: Path) -> None:
    """Start the scratch database with the project's ``meta`` schema (the model registry above all), which the
    scratch build carries over, so the models other views need are active there too."""
    con = duckdb.connect(str(scratch))
    try:
        con.execute(f"ATTACH {literal(str(db))} AS project (READ_ONLY)")
        con.execute("CREATE SCHEMA meta")
        for (table,) in con.execute("SELECT table_name FROM duckdb_tables() WHERE database_name = 'project'"
                                    " AND schema_name = 'meta'").fetchall():
            con.execute(f"CREATE TABLE meta.{quote_ident(table)} AS SELECT * FROM project.meta.{quote_ident(table)}")
        con.execute("DETACH project")
    finally:
        con.close()


def analysis_date(db: Path) -> str | None:
    """The whole data's analysis date (the ``analysis_date`` view of the project database), or None."""
    con = database.connect(db, read_only=True)
    try:
        found = con.execute("SELECT count(*) FROM duckdb_views() WHERE view_name = 'analysis_date'"
                            " AND schema_name = 'main' AND database_name = current_database()").fetchall()[0][0]
        if not found:
            return None
        day = con.execute("SELECT CAST(analysis_date AS VARCHAR) FROM analysis_date").fetchall()
        return str(day[0][0]) if day and day[0][0] is not None else None
    finally:
        con.close()
