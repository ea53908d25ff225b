"""Copying a DuckDB table into MySQL: column types, then rows in bulk.

``load_rows`` has DuckDB write the rows as CSV (every value quoted, NULL as the bare word ``NULL``, booleans as
0/1, nested values as JSON, blobs as hex) and the server read it with ``LOAD DATA LOCAL INFILE``. ``insert_rows``
sends multi-row ``INSERT`` batches instead; bench/engines.py measures both (LOAD DATA is the faster, so the
mirror uses it). Infinities and NaN, which MySQL cannot store, fail with the table and column named.
"""

from __future__ import annotations

import re
import tempfile
from pathlib import Path
from typing import Any

import duckdb

from marketsql.core.sqltext import literal, quote_ident

from ..postgres.copy import Column

_SIMPLE = {
    "VARCHAR": "LONGTEXT", "BIGINT": "BIGINT", "INTEGER": "INT", "SMALLINT": "SMALLINT", "TINYINT": "TINYINT",
    "UTINYINT": "SMALLINT", "USMALLINT": "INT", "UINTEGER": "BIGINT", "UBIGINT": "DECIMAL(20)",
    "HUGEINT": "DECIMAL(39)", "UHUGEINT": "DECIMAL(39)", "DOUBLE": "DOUBLE", "FLOAT": "FLOAT",
    "BOOLEAN": "BOOLEAN", "DATE": "DATE", "TIME": "TIME(6)", "TIMESTAMP": "DATETIME(6)", "TIMESTAMP_S": "DATETIME",
    "TIMESTAMP_MS": "DATETIME(3)", "TIMESTAMP_NS": "DATETIME(6)", "TIMESTAMP WITH TIME ZONE": "DATETIME(6)",
    "INTERVAL": "LONGTEXT", "UUID": "CHAR(36)", "JSON": "JSON", "BLOB": "LONGBLOB", "BIT": "LONGTEXT",
}
_DECIMAL_RE = re.compile(r"^DECIMAL\((\d+),\s*(\d+)\)$")
BATCH = 2_000  # rows per INSERT


def mysql_type(duckdb_type: str) -> str:
    """The MySQL type for a DuckDB type name.

    >>> mysql_type("DECIMAL(18,3)"), mysql_type("VARCHAR[]"), mysql_type("TIMESTAMP"), mysql_type("VARCHAR")
    ('DECIMAL(18,3)', 'JSON', 'DATETIME(6)', 'LONGTEXT')
    """
    upper = duckdb_type.upper().strip()
    if upper in _SIMPLE:
        return _SIMPLE[upper]
    match = _DECIMAL_RE.match(upper)
    if match:
        return f"DECIMAL({match.group(1)},{match.group(2)})"
    if upper.startswith("ENUM") or re.match(r"^VARCHAR\(\d+\)$", upper):
        return "LONGTEXT"
    return "JSON"  # LIST, ARRAY, STRUCT, MAP, UNION


def text_widths(duck: duckdb.DuckDBPyConnection, source: str, cols: list[Column]) -> dict[str, int]:
    """The longest value of each text column of DuckDB ``source``, in characters."""
    texts = [c for c in cols if mysql_type(c.duckdb_type) == "LONGTEXT"]
    if not texts:
        return {}
    longest = ", ".join(f"coalesce(max(length(CAST({quote_ident(c.name)} AS VARCHAR))), 0)" for c in texts)
    row = duck.execute(f"SELECT {longest} FROM {source}").fetchall()[0]
    return {c.name: int(width) for c, width in zip(texts, row)}


def column_type(col: Column, widths: dict[str, int]) -> str:
    """The column's MySQL type: text as VARCHAR sized to its longest value when short (MySQL can key, hash and
    join VARCHAR in temporary tables, not LONGTEXT), else LONGTEXT.

    >>> column_type(Column("id", "VARCHAR"), {"id": 9}), column_type(Column("note", "VARCHAR"), {"note": 5000})
    ('VARCHAR(64)', 'LONGTEXT')
    """
    kind = mysql_type(col.duckdb_type)
    width = widths.get(col.name)
    if kind == "LONGTEXT" and width is not None and width <= MAX_VARCHAR:
        return f"VARCHAR({max(64, 1 << (width - 1).bit_length())})"
    return kind


MAX_VARCHAR = 512
MAX_KEYS = 4  # id columns keyed per table: MySQL joins views without hash joins, by index lookups


def create_table_sql(database: str, table: str, cols: list[Column], widths: dict[str, int] | None = None) -> str:
    """``CREATE TABLE`` for the MySQL copy (InnoDB, binary no-pad collation like DuckDB's comparisons), with an
    index on ``_source_row`` and each ``*_id`` column (the joins the project's views make)."""
    types = {c.name: column_type(c, widths or {}) for c in cols}
    body = ", ".join(f"{_q(name)} {kind}" for name, kind in types.items())
    keys = [name for name, kind in types.items() if (name in ("id", "_source_row") or name.endswith("_id"))
            and kind not in ("LONGTEXT", "JSON", "LONGBLOB")][:MAX_KEYS]
    body += "".join(f", KEY ({_q(name)})" for name in keys)
    return f"CREATE TABLE {_q(database)}.{_q(table)} ({body}) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4" \
           " COLLATE=utf8mb4_nopad_bin"


def _q(name: str) -> str:
    """A MySQL identifier in backticks."""
    return "`" + name.replace("`", "``") + "`"


def _select(col: Column) -> str:
    """The DuckDB expression whose CSV text MySQL reads back as the column's type."""
    name, kind = quote_ident(col.name), mysql_type(col.duckdb_type)
    if kind == "JSON" and col.duckdb_type.upper() != "JSON":
        return f"CAST(to_json({name}) AS VARCHAR)"
    if kind == "LONGBLOB":
        return f"hex({name})"
    if kind == "BOOLEAN":
        return f"CAST({name} AS INTEGER)"
    if kind in ("DOUBLE", "FLOAT"):
        return f"CASE WHEN isfinite({name}) OR {name} IS NULL THEN {name} ELSE error('not finite') END"
    return name


def load_rows(duck: duckdb.DuckDBPyConnection, source: str, cur: Any, database: str, table: str,
              cols: list[Column]) -> int:
    """Every row of DuckDB ``source`` (``raw."x"``) into the MySQL table through LOAD DATA LOCAL INFILE."""
    with tempfile.TemporaryDirectory(prefix="marketsql-mysql-") as folder:
        path = Path(folder) / "rows.csv"
        duck.execute(f"COPY (SELECT {', '.join(_select(c) for c in cols)} FROM {source}) TO {literal(str(path))}"
                     " (FORMAT csv, HEADER false, NULLSTR 'NULL', FORCE_QUOTE *)")
        names = [f"@v{i}" if mysql_type(c.duckdb_type) == "LONGBLOB" else _q(c.name) for i, c in enumerate(cols)]
        blobs = [f"{_q(c.name)} = UNHEX(@v{i})" for i, c in enumerate(cols) if mysql_type(c.duckdb_type) == "LONGBLOB"]
        cur.execute(f"LOAD DATA LOCAL INFILE {literal(str(path))} INTO TABLE {_q(database)}.{_q(table)}"
                    " CHARACTER SET utf8mb4 FIELDS TERMINATED BY ',' OPTIONALLY ENCLOSED BY '\"' ESCAPED BY ''"
                    f" LINES TERMINATED BY '\\n' ({', '.join(names)})" + (f" SET {', '.join(blobs)}" if blobs else ""))
        return int(cur.rowcount)


def insert_rows(duck: duckdb.DuckDBPyConnection, source: str, cur: Any, database: str, table: str,
                cols: list[Column]) -> int:
    """The same rows through multi-row INSERT batches of ``BATCH`` (the slower path, kept for the bench)."""
    result = duck.execute(f"SELECT {', '.join(_select(c) for c in cols)} FROM {source}")
    marks = "(" + ", ".join("%s" for _ in cols) + ")"
    target = f"INSERT INTO {_q(database)}.{_q(table)} ({', '.join(_q(c.name) for c in cols)}) VALUES "
    done = 0
    while rows := result.fetchmany(BATCH):
        cur.execute(target + ", ".join([marks] * len(rows)), [v for row in rows for v in row])
        done += len(rows)
    return done
