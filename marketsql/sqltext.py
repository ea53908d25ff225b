"""Small helpers to put names and values into SQL text safely."""

from __future__ import annotations

import re

_TYPE_RE = re.compile(r"^[A-Za-z][A-Za-z0-9_ ]*(\(\s*\d+\s*(,\s*\d+\s*)?\))?(\[\])?$")
_NAME_RE = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")


def quote_ident(name: str) -> str:
    """Quote an identifier for DuckDB/PostgreSQL: ``my"col`` -> ``"my""col"``."""
    return '"' + name.replace('"', '""') + '"'


def literal(value: str) -> str:
    """A SQL string literal: ``it's`` -> ``'it''s'``."""
    return "'" + value.replace("'", "''") + "'"


def is_simple_name(name: str) -> bool:
    """True for names usable unquoted as a table or function name (letters, digits, _)."""
    return bool(_NAME_RE.match(name))


def is_type_name(type_name: str) -> bool:
    """True for a plausible SQL type name such as ``DECIMAL(10, 2)`` or ``VARCHAR``."""
    return bool(_TYPE_RE.match(type_name.strip()))
