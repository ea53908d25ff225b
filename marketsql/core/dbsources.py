"""Sources read from an operational database instead of a file.

``[sources.orders]`` with ``postgres = "$SHOP_DSN"`` (or ``mysql = …``) and ``table = "shop.orders"``
(or ``query = "SELECT …"``) reads the rows with the server's own bulk path into ``raw.orders``, ordered
by ``key`` (or by every column) so that ``_source_row`` is stable from build to build. The DSN comes
from the environment (``$VAR`` or ``${VAR}`` inside it) and is never printed unmasked.
``incremental = "updated_at"``: a later build copies the previous build's raw rows and reads only the
rows whose column is past the last watermark (a changed row arrives again as a new row; a deleted one
stays). The build stays atomic: all of it lands in the new file.

This module is what the config says (read by ``core.config``); the reading is ``marketsql.engines.sources``.
What each build read is in ``meta.source_state`` (spec digest, watermark, rows, sha256 chained over the
reads) beside ``meta.build_sources``.
"""

from __future__ import annotations

import hashlib
import json
import os
import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from marketsql.errors import ConfigError, SourceError

ENGINES = ("postgres", "mysql")
DATABASE_KEYS = {*ENGINES, "table", "query", "key", "incremental"}
STATE_DDL = ("CREATE TABLE IF NOT EXISTS meta.source_state (build_id INTEGER, source VARCHAR, spec VARCHAR,"
             " watermark VARCHAR, rows BIGINT, sha256 VARCHAR)")
_VAR_RE = re.compile(r"\$\{([A-Za-z_][A-Za-z0-9_]*)\}|\$([A-Za-z_][A-Za-z0-9_]*)")


@dataclass(frozen=True)
class DatabaseSource:
    """Where a database source's rows come from, as the project config says it."""

    engine: str  # "postgres"
    dsn: str  # as written: "$SHOP_DSN", "postgresql://app:${PGPASS}@db/shop", or a literal DSN
    table: str | None
    query: str | None
    key: tuple[str, ...] = ()
    incremental: str | None = None

    @property
    def spec(self) -> str:
        """A digest of everything that decides which rows are read (a change means a full read)."""
        text = json.dumps([self.engine, self.dsn, self.table, self.query, self.key, self.incremental])
        return hashlib.sha256(text.encode()).hexdigest()[:16]


def parse(name: str, spec: Mapping[str, Any], where: str) -> DatabaseSource:
    """The database source of ``[sources.<name>]``; ConfigError naming what to change."""
    engines = [e for e in ENGINES if e in spec]
    label = f"{where}: [sources.{name}]"
    if len(engines) != 1:
        raise ConfigError(f"{label} names {' and '.join(engines)} — keep one database per source")
    if "path" in spec:
        raise ConfigError(f"{label} has both path and {engines[0]} — keep one: a file or a database")
    others = sorted(set(spec) - DATABASE_KEYS - {"columns", "grain"})
    if others:
        raise ConfigError(f"{label}: {others[0]} applies to files only, and this source reads {engines[0]}"
                          " — remove it")
    if ("table" in spec) == ("query" in spec):
        raise ConfigError(f'{label} needs table = "schema.table" or query = "SELECT …" (one of them)')
    key = spec.get("key", ())
    key = (key,) if isinstance(key, str) else tuple(key)
    for column in (*key, spec.get("incremental") or "x"):
        if not column.strip():
            raise ConfigError(f"{label}: an empty column name in key/incremental — name the column")
    table = spec.get("table")
    if table is not None and not all(part.strip().strip('"') for part in str(table).split(".")):
        raise ConfigError(f"{label}: table = {table!r} — write it as schema.table or table")
    query = spec.get("query")
    query = str(query).strip().rstrip(";").rstrip() if query is not None else None  # it is read as a subquery
    return DatabaseSource(engines[0], str(spec[engines[0]]), table, query, key, spec.get("incremental"))


def expand(dsn: str, label: str) -> str:
    """``dsn`` with ``$VAR`` / ``${VAR}`` replaced from the environment; SourceError naming a variable not set.

    >>> os.environ["MSQL_DOCTEST_PW"] = "pw"; expand("postgresql://a:${MSQL_DOCTEST_PW}@h/db", "source x")
    'postgresql://a:pw@h/db'
    """
    missing = [a or b for a, b in _VAR_RE.findall(dsn) if (a or b) not in os.environ]
    if missing:
        raise SourceError(f"{label}: environment variable {missing[0]} is not set — export {missing[0]}=… (the DSN"
                          " or its password stays out of the project config)")
    return _VAR_RE.sub(lambda m: os.environ[m.group(1) or m.group(2)], dsn)
