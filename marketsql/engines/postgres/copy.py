"""Copying a DuckDB table into PostgreSQL: column types, then rows streamed through ``COPY``.

DuckDB writes the rows as CSV (its own multi-threaded writer, doubles in shortest round-trip
form, NULL as an empty field and '' as ``""``), and psycopg streams the file to ``COPY … FROM
STDIN`` in 1 MB chunks. Nested values (lists, structs, maps) travel as JSON into ``jsonb``.
"""

from __future__ import annotations

import re
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import duckdb
import psycopg

from marketsql.core.sqltext import literal, quote_ident

CHUNK = 1 << 20
_SIMPLE = {
    "VARCHAR": "text", "BIGINT": "bigint", "INTEGER": "integer", "SMALLINT": "smallint", "TINYINT": "smallint",
    "UTINYINT": "smallint", "USMALLINT": "integer", "UINTEGER": "bigint", "UBIGINT": "numeric(20)",
    "HUGEINT": "numeric(39)", "UHUGEINT": "numeric(39)", "DOUBLE": "double precision", "FLOAT": "real",
    "BOOLEAN": "boolean", "DATE": "date", "TIME": "time", "TIMESTAMP": "timestamp", "TIMESTAMP_S": "timestamp",
    "TIMESTAMP_MS": "timestamp", "TIMESTAMP_NS": "timestamp", "TIMESTAMP WITH TIME ZONE": "timestamptz",
    "INTERVAL": "interval", "UUID": "uuid", "JSON": "jsonb", "BLOB": "bytea", "BIT": "text",
}
_DECIMAL_RE = re.compile(r"^DECIMAL\((\d+),\s*(\d+)\)$")


@dataclass(frozen=True)
class Column:
    """A column of a DuckDB table and how it is written to PostgreSQL."""

    name: str
    duckdb_type: str

    @property
    def pg_type(self) -> str:
        """The PostgreSQL type holding this column's values."""
        return pg_type(self.duckdb_type)

    @property
    def select(self) -> str:
        """The DuckDB expression whose text PostgreSQL reads back as ``pg_type``."""
        name = quote_ident(self.name)
        if self.pg_type == "jsonb" and self.duckdb_type != "JSON":
            return f"CAST(to_json({name}) AS VARCHAR)"
        if self.pg_type == "bytea":
            return f"'\\x' || hex({name})"
        return name


def pg_type(duckdb_type: str) -> str:
    """The PostgreSQL type for a DuckDB type name.

    >>> pg_type("DECIMAL(18,3)"), pg_type("VARCHAR[]"), pg_type("TIMESTAMP")
    ('numeric(18,3)', 'jsonb', 'timestamp')
    """
    upper = duckdb_type.upper().strip()
    if upper in _SIMPLE:
        return _SIMPLE[upper]
    match = _DECIMAL_RE.match(upper)
    if match:
        return f"numeric({match.group(1)},{match.group(2)})"
    if upper.startswith("ENUM") or re.match(r"^VARCHAR\(\d+\)$", upper):
        return "text"
    return "jsonb"  # LIST, ARRAY, STRUCT, MAP, UNION


def columns(con: duckdb.DuckDBPyConnection, schema: str, table: str) -> list[Column]:
    """The columns of ``schema.table`` in the DuckDB database, in order."""
    rows = con.execute(
        "SELECT column_name, data_type FROM information_schema.columns"
        " WHERE table_schema = ? AND table_name = ? ORDER BY ordinal_position",
        [schema, table],
    ).fetchall()
    return [Column(str(name), str(kind)) for name, kind in rows]


def create_table_sql(schema: str, table: str, cols: list[Column]) -> str:
    """``CREATE TABLE`` for the PostgreSQL copy."""
    body = ", ".join(f"{quote_ident(c.name)} {c.pg_type}" for c in cols)
    return f"CREATE TABLE {quote_ident(schema)}.{quote_ident(table)} ({body})"


@dataclass(frozen=True)
class Copied:
    """Rows moved by one COPY, and how long it took."""

    rows: int
    bytes: int
    seconds: float


def copy_rows(duck: duckdb.DuckDBPyConnection, source: str, cur: psycopg.Cursor[Any], schema: str, table: str,
              cols: list[Column]) -> Copied:
    """Stream every row of DuckDB ``source`` (``raw."x"``) into the PostgreSQL table."""
    started = time.perf_counter()
    select = ", ".join(c.select for c in cols)
    target = f"{quote_ident(schema)}.{quote_ident(table)} ({', '.join(quote_ident(c.name) for c in cols)})"
    with tempfile.TemporaryDirectory(prefix="marketsql-copy-") as folder:
        path = Path(folder) / "rows.csv"
        duck.execute(f"COPY (SELECT {select} FROM {source}) TO {literal(str(path))} (FORMAT csv, HEADER false)")
        size = path.stat().st_size
        with open(path, "rb") as handle, cur.copy(f"COPY {target} FROM STDIN (FORMAT csv)") as copy:
            while chunk := handle.read(CHUNK):
                copy.write(chunk)
    return Copied(max(cur.rowcount, 0), size, time.perf_counter() - started)
