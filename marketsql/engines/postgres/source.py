"""Reading a source table or query from PostgreSQL: one snapshot, streamed through ``COPY … TO STDOUT``.

The describe, the copy and the new watermark are read in one REPEATABLE READ, READ ONLY transaction,
so the rows, their checksum and the watermark belong to the same snapshot. ``COPY (SELECT …) TO
STDOUT (FORMAT csv)`` is PostgreSQL's own bulk path (the server renders every value as text); the
bytes go to a temporary CSV file that DuckDB's parallel reader takes as text columns and casts to the
types the server reported (``duckdb_type``) — measured faster than streaming them through pyarrow's
single-threaded CSV reader (``bench/sources.py``). Rows come ordered by the source's key (or by every column), so
``_source_row`` is the same in every build of the same data.
"""

from __future__ import annotations

import hashlib
import logging
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import psycopg
from psycopg import sql

from .connection import PostgresError, first_line, mask, scrub

# psycopg logs a warning when a COPY is cancelled after an error on our side; without a handler Python would
# print it to stderr beside our one-line error
logging.getLogger("psycopg").addHandler(logging.NullHandler())

_TYPES = {
    "int2": "SMALLINT", "int4": "INTEGER", "int8": "BIGINT", "oid": "BIGINT", "float4": "FLOAT",
    "float8": "DOUBLE", "bool": "BOOLEAN", "date": "DATE", "timestamp": "TIMESTAMP", "timestamptz": "TIMESTAMPTZ",
    "time": "TIME", "uuid": "UUID", "json": "JSON", "jsonb": "JSON", "text": "VARCHAR", "varchar": "VARCHAR",
    "bpchar": "VARCHAR", "name": "VARCHAR", "interval": "INTERVAL",
}


@dataclass(frozen=True)
class Column:
    """A column of the source as the server describes it."""

    name: str
    pg_type: str  # the server's type name (numeric, timestamptz, …)
    duckdb_type: str  # what DuckDB casts the server's text to


def duckdb_type(type_name: str, precision: int | None = None, scale: int | None = None) -> str:
    """The DuckDB type for a PostgreSQL type (VARCHAR for what has no exact match: arrays, money, …).

    >>> duckdb_type("numeric", 12, 2), duckdb_type("numeric"), duckdb_type("timestamptz"), duckdb_type("_int4")
    ('DECIMAL(12,2)', 'DOUBLE', 'TIMESTAMPTZ', 'VARCHAR')
    """
    if type_name == "numeric":
        return f"DECIMAL({precision},{scale or 0})" if precision and precision <= 38 else "DOUBLE"
    return _TYPES.get(type_name, "VARCHAR")


@dataclass
class Snapshot:
    """An open read of one source: its columns, and the rows to stream (once)."""

    columns: list[Column]
    cursor: psycopg.Cursor[Any]
    inner: sql.Composable
    key: Sequence[str]
    watermark_column: str | None
    after: str | None  # read only the rows past this watermark (None: every row)

    @property
    def select(self) -> sql.Composable:
        """The ordered SELECT whose rows are copied."""
        return _select(self.inner, self.columns, self.key, self.watermark_column, self.after)

    def copy_to(self, path: Path) -> tuple[int, str]:
        """Write the rows to ``path`` as CSV (NULL as an empty field, '' as ``""``); their bytes and sha256."""
        with open(path, "wb") as handle, self.cursor.copy(
                sql.SQL("COPY ({}) TO STDOUT (FORMAT csv)").format(self.select)) as copy:
            for chunk in copy:  # one message per row: writing is the least per-row work
                handle.write(chunk)
        digest, size = hashlib.sha256(), 0
        with open(path, "rb") as handle:
            while block := handle.read(1 << 20):
                digest.update(block)
                size += len(block)
        return size, digest.hexdigest()

    def watermark(self, after: str | None) -> str | None:
        """The largest value of the incremental column in this snapshot, as the server writes it (or ``after``)."""
        if self.watermark_column is None:
            return None
        column = sql.Identifier(self.watermark_column)
        found = self.cursor.execute(sql.SQL("SELECT max({})::text FROM ({}) AS src").format(column, self.select))
        row = found.fetchone()
        return str(row[0]) if row and row[0] is not None else after


@contextmanager
def snapshot(dsn: str, label: str, relation: str | None, query: str | None, key: Sequence[str],
             incremental: str | None, after: str | None) -> Iterator[Snapshot]:
    """Open one consistent read of ``relation`` (``schema.table``) or ``query``; with ``incremental``, only the rows
    whose column is past ``after``. PostgresError (masked DSN, the server's message) when the server says no."""
    try:
        connection = psycopg.connect(dsn, connect_timeout=10, application_name="marketsql-source")
    except psycopg.Error as exc:
        raise PostgresError(f"{label}: cannot connect to PostgreSQL at {mask(dsn)}: {scrub(dsn, first_line(exc))}"
                            " — check host, port, database, user and password in the source's DSN") from None
    what = f"table {relation}" if relation else "query"
    try:  # nothing to commit: the connection is closed (not rolled back) at the end, also after an error
        connection.execute("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ, READ ONLY")
        connection.execute("SET TIME ZONE 'UTC'; SET DateStyle = 'ISO, YMD'; SET IntervalStyle = 'iso_8601'")
        cursor = connection.cursor()
        inner = _relation(relation) if relation else sql.SQL(query or "")
        columns = _describe(cursor, inner)
        yield Snapshot(columns, cursor, inner, key, incremental, after)
    except psycopg.Error as exc:
        raise PostgresError(f"{label}: PostgreSQL refused to read the {what}: {scrub(dsn, first_line(exc))}"
                            f" — check {'table' if relation else 'query'} = … in the project config") from None
    finally:
        connection.close()


def _relation(name: str) -> sql.Composable:
    """``schema.table`` (or ``table``) as quoted identifiers; each part may itself be quoted with "…"."""
    parts = [p.strip().strip('"') for p in name.split(".")]
    return sql.SQL("SELECT * FROM {}").format(sql.Identifier(*parts))


def _describe(cursor: psycopg.Cursor[Any], inner: sql.Composable) -> list[Column]:
    cursor.execute(sql.SQL("SELECT * FROM ({}) AS src LIMIT 0").format(inner))
    columns = []
    for column in cursor.description or []:
        info = psycopg.postgres.types.get(column.type_code)
        name = info.name if info is not None else "unknown"
        columns.append(Column(column.name, name, duckdb_type(name, column.precision, column.scale)))
    return columns


def _select(inner: sql.Composable, columns: list[Column], key: Sequence[str], incremental: str | None,
            after: str | None) -> sql.Composable:
    """The ordered SELECT whose rows are copied: by the key, else by every column (so identical rows are the only
    ties, and their order does not matter)."""
    order = sql.SQL(", ").join(sql.Identifier(k) for k in key) if key else sql.SQL(", ").join(
        sql.SQL(str(i)) for i in range(1, len(columns) + 1))
    where: sql.Composable = sql.SQL("")
    if incremental and after is not None:
        kind = next(c.pg_type for c in columns if c.name == incremental)
        where = sql.SQL(" WHERE {} > CAST({} AS {})").format(sql.Identifier(incremental), sql.Literal(after),
                                                            sql.Identifier(kind))
    return sql.SQL("SELECT * FROM ({}) AS src{} ORDER BY {}").format(inner, where, order)
