"""Model outputs as DuckDB table macros: a fixed table of values compiled into SQL.

A model that precomputes its answer (forecast values, response curves, a budget split) stores the
numbers in the registry and, at build, turns them into ``CREATE MACRO name() AS TABLE SELECT …``;
a view then reads ``FROM name()`` and is materialised as a plain table any client can read.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Sequence
from datetime import date
from typing import Any

from .sqltext import literal, quote_ident


def sql_value(value: Any) -> str:
    """One Python value as a SQL literal (NULL for None and non-finite floats)."""
    if value is None or (isinstance(value, float) and not math.isfinite(value)):
        return "NULL"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int | float):
        return repr(float(value)) if isinstance(value, float) else str(value)
    if isinstance(value, date):
        return f"DATE {literal(value.isoformat())}"
    return literal(str(value))


def table_macro(name: str, columns: Sequence[tuple[str, str]], rows: Iterable[Sequence[Any]]) -> str:
    """``CREATE OR REPLACE MACRO name() AS TABLE`` returning ``rows`` with the given column names and types."""
    casts = ", ".join(f"CAST({quote_ident(f'c{i}')} AS {kind}) AS {quote_ident(column)}"
                      for i, (column, kind) in enumerate(columns))
    values = ",\n  ".join("(" + ", ".join(sql_value(v) for v in row) + ")" for row in rows)
    aliases = ", ".join(quote_ident(f"c{i}") for i in range(len(columns)))
    if values:
        body = f"SELECT {casts} FROM (VALUES\n  {values}) AS t({aliases})"
    else:
        nulls = ", ".join(f"CAST(NULL AS {kind}) AS {quote_ident(column)}" for column, kind in columns)
        body = f"SELECT {nulls} WHERE false"
    return f"CREATE OR REPLACE MACRO {name}() AS TABLE {body}"


def failing_table_macro(name: str, message: str) -> str:
    """A stand-in table macro that fails with ``message`` (a model that is not trained yet)."""
    return f"CREATE OR REPLACE MACRO {name}() AS TABLE SELECT error({literal(message)}) AS error"
