"""Model outputs as DuckDB table macros: a fixed table of values compiled into SQL.

A model that precomputes its answer (forecast values, response curves, a budget split) stores the
numbers in the registry and, at build, turns them into ``CREATE MACRO name() AS TABLE SELECT …``;
a view then reads ``FROM name()`` and is materialised as a plain table any client can read. Every
value goes through :func:`marketsql.core.sqltext.value`, every column name is quoted, the macro name and
the types are checked.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Any

from .sqltext import bare_name, literal, quote_ident, type_name, value


def table_macro(name: str, columns: Sequence[tuple[str, str]], rows: Iterable[Sequence[Any]]) -> str:
    """``CREATE OR REPLACE MACRO name() AS TABLE`` returning ``rows`` with the given column names and types."""
    casts = ", ".join(f"CAST({quote_ident(f'c{i}')} AS {type_name(kind)}) AS {quote_ident(column)}"
                      for i, (column, kind) in enumerate(columns))
    values = ",\n  ".join("(" + ", ".join(value(v) for v in row) + ")" for row in rows)
    aliases = ", ".join(quote_ident(f"c{i}") for i in range(len(columns)))
    if values:
        body = f"SELECT {casts} FROM (VALUES\n  {values}) AS t({aliases})"
    else:
        nulls = ", ".join(f"CAST(NULL AS {type_name(kind)}) AS {quote_ident(column)}" for column, kind in columns)
        body = f"SELECT {nulls} WHERE false"
    return f"CREATE OR REPLACE MACRO {bare_name(name, 'macro name')}() AS TABLE {body}"


def failing_table_macro(name: str, message: str) -> str:
    """A stand-in table macro that fails with ``message`` (a model that is not trained yet)."""
    name = bare_name(name, "macro name")
    return f"CREATE OR REPLACE MACRO {name}() AS TABLE SELECT error({literal(message)}) AS error"
