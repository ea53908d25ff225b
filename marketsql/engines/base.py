"""The engine contract: what every target a built project is mirrored onto provides.

An engine is a :class:`Dialect` (how the project's DuckDB view SQL becomes the engine's: sqlglot plus one pure
rewrite per gap, and what no rewrite mends) and an :class:`Engine` (where it goes, how tables are loaded, how
model functions are installed, how the new mirror replaces the old one atomically, and the row-for-row verify).
``ENGINES`` is the explicit table of engines; ``engine(name)`` imports one on demand.
"""

from __future__ import annotations

import importlib
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Protocol

from sqlglot import exp

from marketsql.errors import ConfigError

if TYPE_CHECKING:
    from .plan import MirrorResult

Progress = Callable[[str], None]
Transpile = Callable[[str, Mapping[str, tuple[str, str]], Mapping[str, str]], str]


@dataclass(frozen=True)
class Dialect:
    """How one engine runs the project's view SQL."""

    title: str  # "PostgreSQL", "MySQL": in messages
    transpile: Transpile  # DuckDB SELECT -> the engine's, tables and functions pointed at the mirror
    unsupported: Callable[[exp.Expr], str | None]  # what no rewrite mends, beyond what no engine has
    copy_instead: Callable[[exp.Expr], str | None] = lambda tree: None  # why a view's rows are copied, not its SQL


class Engine(Protocol):
    """One mirror target: ``resolve`` where it goes, ``check`` what cannot run there, ``mirror`` all or nothing."""

    name: str
    dialect: Dialect

    def resolve(self, config_targets: Mapping[str, Any] | None, dsn: str | None = None,
                schema: str | None = None) -> Any: ...

    def check(self, project: Any, target: Any, progress: Progress | None = None,
              files_only: bool = False) -> MirrorResult: ...

    def mirror(self, project: Any, target: Any, progress: Progress | None = None) -> MirrorResult: ...

    def ping(self, target: Any) -> None: ...


ENGINES: dict[str, str] = {  # name: module holding ENGINE
    "postgres": "marketsql.engines.postgres.engine",
    "mysql": "marketsql.engines.mysql.engine",
}


def engine(name: str) -> Engine:
    """The engine called ``name`` (``postgres``, ``mysql``); ConfigError naming the known ones otherwise."""
    if name not in ENGINES:
        raise ConfigError(f"unknown target {name!r} — use duckdb, {', '.join(ENGINES)}")
    found: Engine = importlib.import_module(ENGINES[name]).ENGINE
    return found
