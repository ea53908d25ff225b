"""Copying a DuckDB table into the Spark warehouse: DuckDB writes it as Parquet, Spark registers a table over it.

DuckDB's Parquet writer is multi-threaded and keeps lists, structs and maps as Parquet's nested types, which Spark
reads as arrays, structs and maps: nothing travels as text. The few DuckDB types Spark cannot read from Parquet are
cast on the way out (``parquet_select``): unsigned and 128-bit integers to a signed type or DECIMAL wide enough,
nanosecond and second timestamps to microseconds, UUID/INTERVAL/TIME/JSON/BIT to text. The files are written under
the generation's database folder in the warehouse and registered with ``CREATE TABLE … USING parquet LOCATION``.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import duckdb

from marketsql.core.sqltext import literal, quote_ident

from ..postgres.copy import Column

_CASTS = {
    "UTINYINT": "SMALLINT", "USMALLINT": "INTEGER", "UINTEGER": "BIGINT", "UBIGINT": "DECIMAL(20,0)",
    "HUGEINT": "DECIMAL(38,0)", "UHUGEINT": "DECIMAL(38,0)", "TIMESTAMP_NS": "TIMESTAMP", "TIMESTAMP_S": "TIMESTAMP",
    "TIMESTAMP_MS": "TIMESTAMP", "UUID": "VARCHAR", "INTERVAL": "VARCHAR", "TIME": "VARCHAR", "JSON": "VARCHAR",
    "BIT": "VARCHAR", "TIME WITH TIME ZONE": "VARCHAR",
}


def spark_cast(duckdb_type: str) -> str | None:
    """The DuckDB type a column is cast to before Spark reads it from Parquet, or None when Spark reads it as is.

    >>> spark_cast("UBIGINT"), spark_cast("TIMESTAMP_NS"), spark_cast("VARCHAR[]"), spark_cast("DECIMAL(18,3)")
    ('DECIMAL(20,0)', 'TIMESTAMP', None, None)
    """
    kind = duckdb_type.upper()
    if kind.startswith("ENUM("):
        return "VARCHAR"
    return _CASTS.get(kind)


def parquet_select(columns: list[Column], source: str) -> str:
    """The DuckDB SELECT whose Parquet file Spark reads with every column's values.

    >>> parquet_select([Column("id", "UUID"), Column("n", "BIGINT")], "raw.t")
    'SELECT CAST("id" AS VARCHAR) AS "id", "n" FROM raw.t'
    """
    items = []
    for column in columns:
        name = quote_ident(column.name)
        cast = spark_cast(column.duckdb_type)
        items.append(f"CAST({name} AS {cast}) AS {name}" if cast else name)
    return f"SELECT {', '.join(items) or '*'} FROM {source}"


def table_folder(warehouse: str, database: str, name: str) -> Path:
    """Where a table's Parquet files live: ``<warehouse>/<database>.db/<name>`` (Spark's own layout)."""
    return Path(warehouse) / f"{database}.db" / name


def write_parquet(duck: duckdb.DuckDBPyConnection, source: str, columns: list[Column], folder: Path) -> int:
    """Write the rows of DuckDB's ``source`` as ``folder/part-0.parquet``; the number of rows."""
    folder.mkdir(parents=True, exist_ok=True)
    target = folder / "part-0.parquet"
    duck.execute(f"COPY ({parquet_select(columns, source)}) TO {literal(str(target))} (FORMAT parquet,"
                 " COMPRESSION zstd, ROW_GROUP_SIZE 122880)")
    rows = duck.execute(f"SELECT count(*) FROM read_parquet({literal(str(target))})").fetchall()
    return int(rows[0][0])


def register(spark: Any, database: str, name: str, folder: Path) -> None:
    """The Spark table ``database.name`` over the Parquet files in ``folder``."""
    spark.sql(f"CREATE TABLE {q(database)}.{q(name)} USING parquet LOCATION {text(str(folder))}")


def q(name: str) -> str:
    """A Spark identifier, backquoted.

    >>> q("order lines"), q("a`b")
    ('`order lines`', '`a``b`')
    """
    return "`" + name.replace("`", "``") + "`"


def text(value: str) -> str:
    r"""A Spark string literal (Spark reads backslash escapes inside quotes).

    >>> print(text("it's a\\b"))
    'it\'s a\\b'
    """
    return "'" + value.replace("\\", "\\\\").replace("'", "\\'") + "'"
