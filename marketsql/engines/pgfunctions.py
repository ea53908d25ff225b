"""What the engines that re-render the PostgreSQL mirror's function statements (MySQL, Spark) share: the
``CREATE FUNCTION`` pattern, the parameter splitter, the function record and the error.

Each kind states its functions once, as PostgreSQL statements (``ModelKind.postgres``); ``mysql/functions.py`` and
``spark/functions.py`` turn them into their engine's functions with these pieces and their own types and bodies.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

CREATE_RE = re.compile(r'^CREATE FUNCTION "(?P<schema>[^"]+)"\.(?P<name>\w+)\((?P<params>.*?)\)'
                       r' RETURNS (?P<returns>[\w ]+?(?:\[\])?) (?P<rest>LANGUAGE .*)$', re.S)


class UntranslatableFunction(ValueError):
    """A PostgreSQL function statement an engine does not know how to render."""


@dataclass(frozen=True)
class Function:
    """One function to create on the target engine: its name and the statement creating it."""

    name: str
    statement: str


def split_params(params: str) -> list[str]:
    """Parameters split on top-level commas (a DEFAULT may hold a parenthesis).

    >>> split_params('x double precision DEFAULT greatest(1, 2), y text')
    ['x double precision DEFAULT greatest(1, 2)', ' y text']
    """
    parts, depth, current = [], 0, ""
    for char in params:
        depth += (char == "(") - (char == ")")
        if char == "," and depth == 0:
            parts.append(current)
            current = ""
        else:
            current += char
    return [*parts, current]
