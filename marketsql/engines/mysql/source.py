"""Reading a source table or query from MySQL / MariaDB: one consistent snapshot, rows in Arrow batches.

``START TRANSACTION WITH CONSISTENT SNAPSHOT, READ ONLY`` at REPEATABLE READ holds the describe, the rows and
the new watermark to one snapshot (InnoDB). MySQL has no client-side COPY: the rows stream through an
unbuffered cursor (pymysql ``SSCursor``, no value converters: each value as the text the server sent) in
batches that become Arrow string columns, which DuckDB casts to the types the server reported (binary
columns arrive as BLOB). The checksum is a sha256 over the batches in Arrow IPC form. Timestamps are read in UTC.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

import pymysql
import pymysql.converters
import pymysql.cursors
from pymysql.connections import TEXT_TYPES
from pymysql.constants import FIELD_TYPE

from . import arrowread
from .connection import MysqlError, first_line, mask, parts, scrub

BATCH = arrowread.BATCH
# pymysql's encoders (for the watermark literal) without its decoders: values come back as the server's text
_ENCODERS_ONLY = {k: v for k, v in pymysql.converters.conversions.items() if not isinstance(k, int)}
_TYPES = {
    FIELD_TYPE.TINY: "SMALLINT", FIELD_TYPE.SHORT: "INTEGER", FIELD_TYPE.INT24: "INTEGER", FIELD_TYPE.LONG: "BIGINT",
    FIELD_TYPE.LONGLONG: "HUGEINT", FIELD_TYPE.YEAR: "INTEGER", FIELD_TYPE.FLOAT: "FLOAT",
    FIELD_TYPE.DOUBLE: "DOUBLE", FIELD_TYPE.DATE: "DATE", FIELD_TYPE.DATETIME: "TIMESTAMP",
    FIELD_TYPE.TIMESTAMP: "TIMESTAMP", FIELD_TYPE.JSON: "JSON",
}


@dataclass(frozen=True)
class Column:
    """A column of the source as the server describes it."""

    name: str
    mysql_type: int  # pymysql's FIELD_TYPE code
    duckdb_type: str


def duckdb_type(type_code: int, scale: int | None = None) -> str:
    """The DuckDB type for a MySQL field type (integers one size up: MySQL's may be unsigned; text otherwise).

    >>> duckdb_type(FIELD_TYPE.NEWDECIMAL, 2), duckdb_type(FIELD_TYPE.LONG), duckdb_type(FIELD_TYPE.VAR_STRING)
    ('DECIMAL(38,2)', 'BIGINT', 'VARCHAR')
    """
    if type_code in (FIELD_TYPE.NEWDECIMAL, FIELD_TYPE.DECIMAL):
        return f"DECIMAL(38,{min(scale or 0, 38)})"
    return _TYPES.get(type_code, "VARCHAR")


@dataclass
class Snapshot:
    """An open read of one source: its columns, and the rows to stream (once)."""

    columns: list[Column]
    connection: pymysql.connections.Connection
    inner: str
    key: Sequence[str]
    watermark_column: str | None
    after: str | None
    read_parts: dict[str, str] = field(default_factory=dict, repr=False)  # the DSN's parts, for connectorx
    reader: str = "pymysql"  # which client read the rows: "connectorx" when its fast path ran

    @property
    def select(self) -> str:
        """The ordered SELECT whose rows are read."""
        order = ", ".join(_ident(k) for k in self.key) or ", ".join(str(i + 1) for i in range(len(self.columns)))
        where = ""
        if self.watermark_column and self.after is not None:
            where = f" WHERE {_ident(self.watermark_column)} > {self.connection.escape(self.after)}"
        return f"SELECT * FROM ({self.inner}) AS src{where} ORDER BY {order}"

    def batches(self) -> Iterator[Any]:
        """Arrow tables of at most BATCH rows, in order, each value the server's text (connectorx when installed
        and the source allows it, see :mod:`.arrowread`; else pymysql)."""
        import pyarrow as pa

        if self.read_parts and arrowread.available() and arrowread.eligible(self.columns, self.watermark_column):
            fast = arrowread.read(self.read_parts, [c.name for c in self.columns], self.select)
            if fast is not None:
                self.reader = "connectorx"
                yield from fast
                return

        names = [c.name for c in self.columns]
        with self.connection.cursor(pymysql.cursors.SSCursor) as cursor:
            cursor.execute(self.select)
            while rows := cursor.fetchmany(BATCH):
                arrays = [pa.array(column, pa.binary() if c.duckdb_type == "BLOB" else pa.string())
                          for c, column in zip(self.columns, zip(*rows, strict=True), strict=True)]
                yield pa.Table.from_arrays(arrays, names=names)

    def watermark(self, after: str | None) -> str | None:
        """The largest value of the incremental column in this snapshot, as the server writes it (or ``after``)."""
        if self.watermark_column is None:
            return None
        with self.connection.cursor() as cursor:
            cursor.execute(f"SELECT CAST(max({_ident(self.watermark_column)}) AS CHAR) FROM ({self.select}) AS w")
            row = cursor.fetchone()
        return str(row[0]) if row and row[0] is not None else after


def _ident(name: str) -> str:
    return "`" + name.replace("`", "``") + "`"


def _relation(name: str) -> str:
    return "SELECT * FROM " + ".".join(_ident(p.strip().strip("`")) for p in name.split("."))


@contextmanager
def snapshot(dsn: str, label: str, relation: str | None, query: str | None, key: Sequence[str],
             incremental: str | None, after: str | None) -> Iterator[Snapshot]:
    """Open one consistent read of ``relation`` (``db.table``) or ``query``; MysqlError (masked DSN, the server's
    message) when the server says no."""
    read = parts(dsn)
    try:
        connection = pymysql.connect(host=read.get("host", "127.0.0.1"), port=int(read.get("port", 3306)),
                                     user=read.get("user"), password=read.get("password", ""),
                                     database=read.get("dbname") or None, connect_timeout=10, charset="utf8mb4",
                                     conv=_ENCODERS_ONLY)
    except pymysql.Error as exc:
        raise MysqlError(f"{label}: cannot connect to MySQL at {mask(dsn)}: {scrub(dsn, first_line(exc))}"
                         " — check host, port, database, user and password in the source's DSN") from None
    what = f"table {relation}" if relation else "query"
    try:
        with connection.cursor() as cursor:
            cursor.execute("SET SESSION time_zone = '+00:00'")
            cursor.execute("SET SESSION TRANSACTION ISOLATION LEVEL REPEATABLE READ")
            cursor.execute("START TRANSACTION WITH CONSISTENT SNAPSHOT, READ ONLY")
            inner = _relation(relation) if relation else str(query)
            cursor.execute(f"SELECT * FROM ({inner}) AS src LIMIT 0")
            fields = getattr(getattr(cursor, "_result", None), "fields", None) or []
            binary = [f.charsetnr == 63 and f.type_code in TEXT_TYPES for f in fields] or [False] * len(
                cursor.description or ())
            columns = [Column(d[0], d[1], "BLOB" if raw else duckdb_type(d[1], d[5]))
                       for d, raw in zip(cursor.description or (), binary, strict=True)]
        yield Snapshot(columns, connection, inner, key, incremental, after, read)
    except pymysql.Error as exc:
        raise MysqlError(f"{label}: MySQL refused to read the {what}: {scrub(dsn, first_line(exc))}"
                         f" — check {'table' if relation else 'query'} = … in the project config") from None
    finally:
        connection.close()

