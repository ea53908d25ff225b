"""What a project's config may hold: every key, the type of its value, an example — and the check.

One table (SCHEMA) describes ``marketsql.toml`` / ``[tool.marketsql]``; ``validate`` walks a parsed config
against it and raises ConfigError naming the first unknown key (with the closest known one) or wrong value.
"""

from __future__ import annotations

import difflib
import json
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import date, datetime, time
from typing import Any

from marketsql.errors import ConfigError

CSV_OPTIONS = {"delim", "header", "quote", "escape", "encoding", "dateformat", "timestampformat", "skip",
               "max_line_size", "null_padding"}
_MEMORY_RE = re.compile(r"^\s*(\d+(?:\.\d+)?)\s*(?:[KMGT]i?B|%)\s*$", re.IGNORECASE)


@dataclass(frozen=True)
class Rule:
    """What one config value must be: a test, how to say it, and an example line."""

    test: Callable[[Any], bool]
    expected: str
    example: str


@dataclass(frozen=True)
class Each:
    """A table whose keys are free (source names, settings, columns); each value follows ``item``."""

    item: Rule | Mapping[str, Any] | Each
    example: str
    shorthand: Rule | None = None  # allowed instead of an item's table, e.g. a source given as its path


def _text(value: Any) -> bool:
    return isinstance(value, str)


def _texts(value: Any) -> bool:
    return _text(value) or (isinstance(value, list) and bool(value) and all(_text(v) for v in value))


def _name(value: Any) -> bool:
    return _text(value) and bool(value.strip())


def _memory(value: Any) -> bool:
    match = _MEMORY_RE.match(value) if _text(value) else None
    return match is not None and float(match.group(1)) > 0


def _scalar(value: Any) -> bool:
    return isinstance(value, str | int | float | date | datetime | time)  # bool is an int


SOURCE = {
    "path": Rule(_texts, "a string or a list of strings", 'path = "data/orders/*.csv.gz"'),
    "format": Rule(lambda v: v in ("csv", "parquet"), "'csv' or 'parquet'", 'format = "csv"'),
    "columns": Each(Rule(_text, "a SQL type name as a string", 'columns = { order_id = "VARCHAR" }'),
                    'columns = { order_id = "VARCHAR", quantity = "INTEGER" }'),
    # how finely rows are dated: a monthly series dated on the 1st is never a partial last month
    "grain": Rule(lambda v: v in ("day", "month"), "'day' or 'month'", 'grain = "month"'),
    "header": Rule(lambda v: isinstance(v, bool), "true or false", "header = true"),
    "skip": Rule(lambda v: isinstance(v, int) and not isinstance(v, bool) and v >= 0,
                 "a whole number ≥ 0", "skip = 1"),
    # longest line in bytes (DuckDB's default: 2 MB)
    "max_line_size": Rule(lambda v: isinstance(v, int) and not isinstance(v, bool) and v > 0,
                          "a whole number of bytes > 0", "max_line_size = 10000000"),
    # missing trailing fields read as NULL
    "null_padding": Rule(lambda v: isinstance(v, bool), "true or false", "null_padding = true"),
    # an operational database instead of files: the DSN (or "$VAR" naming it), then a table or a query
    "postgres": Rule(_name, "a DSN, or $VARIABLE naming one", 'postgres = "$SHOP_DSN"'),
    "mysql": Rule(_name, "a DSN, or $VARIABLE naming one", 'mysql = "$SHOP_DSN"'),
    "table": Rule(_name, "a table name", 'table = "shop.orders"'),
    "query": Rule(_name, "a SELECT statement", 'query = "SELECT * FROM shop.orders WHERE NOT test"'),
    # the columns that order the rows (stable _source_row); default: every column
    "key": Rule(_texts, "a column name or a list of them", 'key = "order_id"'),
    # later builds read only the rows past the largest value of this column, and append them
    "incremental": Rule(_name, "a column name", 'incremental = "updated_at"'),
    **{option: Rule(_text, "a string", f'{option} = "…"')
       for option in sorted(CSV_OPTIONS - {"header", "skip", "max_line_size", "null_padding"})},
}
SCHEMA: dict[str, Any] = {
    "database": Rule(_name, "a file name", 'database = "marketsql.duckdb"'),
    "extends": Rule(_name, "a folder name", 'extends = "../base"'),
    "memory_limit": Rule(_memory, "a size with its unit (KB, MB, GB, TB, KiB … or %)", 'memory_limit = "4GB"'),
    "settings": Each(Rule(_scalar, "a string, number, boolean or date", 'analysis_date = "2011-12-01"'),
                     '[settings] then lines such as analysis_date = "2011-12-01"'),
    "sources": Each(SOURCE, '[sources.orders] then path = "data/orders.csv"',
                    shorthand=Rule(_text, "a string", 'orders = "data/orders.csv"')),
    "targets": {"postgres": {"dsn": Rule(_text, "a string", 'dsn = "postgresql://user@host:5432/db"'),
                             "schema": Rule(_text, "a string", 'schema = "marketsql"'),
                             "readers": Rule(_texts, "a string or a list of strings", 'readers = ["bi_reader"]'),
                             # its range (0.01-3600 s) is checked by the mirror, which says what it is for
                             "lock_timeout": Rule(_scalar, "a number of seconds", "lock_timeout = 5")}},
}


def validate(table: Any, where: str) -> None:
    """Check every key and value of a project's config table against SCHEMA; ConfigError on the first problem.

    >>> validate({"databse": "x.duckdb"}, "marketsql.toml")  # doctest: +ELLIPSIS
    Traceback (most recent call last):
    marketsql.errors.ConfigError: unknown key 'databse' in marketsql.toml (did you mean 'database'?) — ...
    """
    _check(table, SCHEMA, "", where)


def _check(value: Any, schema: Rule | Mapping[str, Any] | Each, key: str, where: str) -> None:
    if isinstance(schema, Rule):
        if not schema.test(value):
            raise ConfigError(f"{where}: {key} must be {schema.expected}, not {_shown(value)} — e.g. {schema.example}")
        return
    if not isinstance(value, dict):
        example = schema.example if isinstance(schema, Each) else f"[{key or 'tool.marketsql'}]"
        raise ConfigError(f"{where}: {key or 'the configuration'} must be a table, not {_shown(value)}"
                          f" — e.g. {example}")
    for name, item in value.items():
        path = f"{key}.{name}" if key else name
        if isinstance(schema, Each) and schema.shorthand is not None and not isinstance(item, dict):
            if not schema.shorthand.test(item):
                raise ConfigError(f"{where}: {path} must be {schema.shorthand.expected} or a table, not"
                                  f" {_shown(item)} — e.g. {schema.example.replace('orders', name)}")
        elif isinstance(schema, Each):
            _check(item, schema.item, path, where)
        elif name in schema:
            _check(item, schema[name], path, where)
        else:
            raise ConfigError(_unknown(path, name, sorted(schema), key, where))


def _unknown(path: str, name: str, allowed: list[str], parent: str, where: str) -> str:
    close = difflib.get_close_matches(name, allowed, n=1)
    guess = f" (did you mean {(f'{parent}.' if parent else '') + close[0]!r}?)" if close else ""
    return f"unknown key {path!r} in {where}{guess} — allowed: {', '.join(allowed)}"


def _shown(value: Any) -> str:
    if isinstance(value, dict):
        return "a table"
    text = json.dumps(value, default=str, ensure_ascii=False)
    return text if len(text) <= 40 else text[:37] + "…"
