"""The one place where names and values become SQL text.

Every string that reaches SQL — a stored model's feature or segment name, a channel, a product, a
column or a type — goes through one of these: :func:`quote_ident` for identifiers, :func:`literal`
for text, :func:`number` for model arithmetic (non-finite values refused), :func:`value` for a cell
of a table of results, :func:`bare_name` for names that must stay unquoted (macro parameters, called
by name), :func:`type_name` for a type in ``CAST(… AS type)``.

>>> quote_ident('my"col'), literal("it's"), number(0.5), value(None)
('"my""col"', "'it''s'", '0.5', 'NULL')
>>> bare_name("x) AS (SELECT 1); --", "feature name")
Traceback (most recent call last):
...
marketsql.errors.UnsafeSqlError: feature name 'x) AS (SELECT 1); --' is not a plain lower-case name (a-z, 0-9, _)
"""

from __future__ import annotations

import math
import re
from datetime import date, datetime
from typing import Any

from marketsql.errors import UnsafeSqlError

_TYPE_RE = re.compile(r"^[A-Za-z][A-Za-z0-9_ ]*(\(\s*\d+\s*(,\s*\d+\s*)?\))?(\[\])?$")
_NAME_RE = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")
_BARE_RE = re.compile(r"^[a-z_][a-z0-9_]{0,62}$")


def quote_ident(name: str) -> str:
    """Quote an identifier for DuckDB/PostgreSQL: ``my"col`` -> ``"my""col"``."""
    if "\x00" in str(name):
        raise UnsafeSqlError(f"identifier {name!r} contains a NUL character")
    return '"' + str(name).replace('"', '""') + '"'


def literal(text: str) -> str:
    """A SQL string literal: ``it's`` -> ``'it''s'``."""
    if "\x00" in str(text):
        raise UnsafeSqlError(f"text {text!r} contains a NUL character")
    return "'" + str(text).replace("'", "''") + "'"


def number(x: Any) -> str:
    """A finite number as SQL text (``repr`` of the float, exact); UnsafeSqlError for NaN, ±inf or a non-number."""
    if isinstance(x, bool | str) or not hasattr(x, "__float__"):
        raise UnsafeSqlError(f"{x!r} is not a number")
    if isinstance(x, int):
        return str(int(x))
    f = float(x)
    if not math.isfinite(f):
        raise UnsafeSqlError(f"{f!r} is not a finite number")
    return repr(f)


def value(x: Any) -> str:
    """One cell of a table of results as a SQL literal: NULL for None and non-finite floats (missing values)."""
    if x is None or (isinstance(x, float) and not math.isfinite(x)):
        return "NULL"
    if isinstance(x, bool):
        return "true" if x else "false"
    if isinstance(x, int | float):
        return number(x)
    if isinstance(x, datetime):
        return f"TIMESTAMP {literal(x.isoformat(sep=' '))}"
    if isinstance(x, date):
        return f"DATE {literal(x.isoformat())}"
    if hasattr(x, "__float__") and not isinstance(x, str):  # numpy scalars
        return value(float(x))
    return literal(str(x))


def bare_name(name: Any, what: str = "name") -> str:
    """``name`` unchanged if it is safe unquoted (lower-case letters, digits, _; at most 63); else UnsafeSqlError."""
    if not isinstance(name, str) or not _BARE_RE.match(name):
        raise UnsafeSqlError(f"{what} {name!r} is not a plain lower-case name (a-z, 0-9, _)")
    return name


def type_name(text: str) -> str:
    """``text`` if it is a plain SQL type name such as ``DECIMAL(10, 2)``; else UnsafeSqlError."""
    if not isinstance(text, str) or not is_type_name(text):
        raise UnsafeSqlError(f"type {text!r} is not a plain SQL type name")
    return text


def is_simple_name(name: str) -> bool:
    """True for names usable unquoted as a table or function name (letters, digits, _)."""
    return bool(_NAME_RE.match(name))


def is_type_name(type_name: str) -> bool:
    """True for a plausible SQL type name such as ``DECIMAL(10, 2)`` or ``VARCHAR``."""
    return bool(_TYPE_RE.match(type_name.strip()))
