"""The fast path of a MySQL source read: connectorx's Arrow reader (Rust), when it is installed.

pymysql decodes every value in Python (0.03–0.13 M rows/s); connectorx reads the same ordered SELECT into Arrow
columns natively. To keep the source's meaning exactly, every column is cast to text on the server
(``CAST(c AS CHAR)``: the text pymysql receives), read in UTC (``time_zone = '+00:00'`` before the query), and cut
into the same batches of :data:`BATCH` rows, so DuckDB casts the same strings to the server's types and the checksum
(sha256 over the batches' Arrow IPC form) is the one pymysql's path gives: installing connectorx changes no
fingerprint.

It runs on its own connection, outside the snapshot transaction, so it reads only whole (not incremental) sources:
their rows are one statement's consistent read. Binary, FLOAT and BIT columns (whose text a cast would change) and
any connectorx failure fall back to pymysql (``None``). ``MARKETSQL_MYSQL_READER=pymysql`` turns it off.
"""

from __future__ import annotations

import importlib.util
import os
from collections.abc import Sequence
from typing import Any
from urllib.parse import quote

from pymysql.constants import FIELD_TYPE

BATCH = 50_000
_TEXT_CHANGES = {FIELD_TYPE.FLOAT, FIELD_TYPE.BIT, FIELD_TYPE.GEOMETRY}  # a cast to CHAR is not the wire text
ENV = "MARKETSQL_MYSQL_READER"


def available() -> bool:
    """connectorx is installed and not turned off."""
    return os.environ.get(ENV, "").lower() != "pymysql" and importlib.util.find_spec("connectorx") is not None


def eligible(columns: Sequence[Any], incremental: str | None) -> bool:
    """Whether connectorx may read these columns (``Column`` of :mod:`.source`) with pymysql's meaning.

    >>> from types import SimpleNamespace as C
    >>> eligible([C(mysql_type=FIELD_TYPE.LONG, duckdb_type="BIGINT")], None)
    True
    >>> eligible([C(mysql_type=FIELD_TYPE.FLOAT, duckdb_type="FLOAT")], None), eligible([], "updated_at")
    (False, False)
    """
    return incremental is None and bool(columns) and all(
        c.duckdb_type != "BLOB" and c.mysql_type not in _TEXT_CHANGES for c in columns)


def uri(read: dict[str, str]) -> str:
    """connectorx's URI for the DSN's parts (user and password percent-encoded).

    >>> uri({"host": "h", "port": "3307", "user": "u@x", "password": "p/w", "dbname": "d"})
    'mysql://u%40x:p%2Fw@h:3307/d'
    """
    user, password = quote(read.get("user", ""), safe=""), quote(read.get("password", ""), safe="")
    return (f"mysql://{user}:{password}@{read.get('host', '127.0.0.1')}:{read.get('port', '3306')}"
            f"/{quote(read.get('dbname', ''), safe='')}")


def text_select(names: Sequence[str], select: str) -> str:
    """``select`` with every column cast to text, in order.

    >>> text_select(["a", "b`c"], "SELECT * FROM t ORDER BY a")
    'SELECT CAST(`a` AS CHAR) AS `a`, CAST(`b``c` AS CHAR) AS `b``c` FROM (SELECT * FROM t ORDER BY a) AS r'
    """
    quoted = ["`" + n.replace("`", "``") + "`" for n in names]
    return f"SELECT {', '.join(f'CAST({q} AS CHAR) AS {q}' for q in quoted)} FROM ({select}) AS r"


def read(read_parts: dict[str, str], names: Sequence[str], select: str) -> list[Any] | None:
    """The rows of ``select`` as pyarrow tables of :data:`BATCH` string columns (the batches pymysql's path yields),
    or None if connectorx fails (the caller reads with pymysql, which reports any real error)."""
    import connectorx
    import pyarrow as pa

    try:
        table: Any = connectorx.read_sql(uri(read_parts), text_select(names, select), return_type="arrow",
                                    pre_execution_query=["SET SESSION time_zone = '+00:00'"])
    except Exception:  # noqa: BLE001 — connectorx's errors carry the URI: pymysql reads instead, and says what failed
        return None
    if list(table.column_names) != list(names):
        return None
    columns = [table.column(i).cast(pa.string()).combine_chunks() for i in range(table.num_columns)]
    # each batch's columns copied out of the slice: Arrow IPC writes a sliced array with other bytes than the same
    # values built fresh (as pymysql's batches are), and the checksum is over those bytes
    return [pa.Table.from_arrays([pa.concat_arrays([c.slice(start, BATCH)]) for c in columns], names=list(names))
            for start in range(0, table.num_rows, BATCH)]
