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
                schema: str | None = None, **options: Any) -> Any: ...

    def check(self, project: Any, target: Any, progress: Progress | None = None,
              files_only: bool = False) -> MirrorResult: ...

    def mirror(self, project: Any, target: Any, progress: Progress | None = None) -> MirrorResult: ...

    def ping(self, target: Any) -> None: ...


@dataclass(frozen=True)
class ModuleEngine:
    """An engine whose work lives in two of its modules: ``connection.resolve`` (a target with ``connect()``) and
    ``mirror.check`` / ``mirror.mirror`` — the shape of the PostgreSQL and MySQL engines."""

    name: str
    dialect: Dialect
    connection: Any  # the engine's connection module
    mirrors: Any  # the engine's mirror module

    def resolve(self, config_targets: Mapping[str, Any] | None, dsn: str | None = None,
                schema: str | None = None, **options: Any) -> Any:
        """The server and schema/database (``--dsn``, the engine's environment variable, ``[targets.<name>]``)."""
        if any(v is not None for v in options.values()):
            raise ConfigError(f"{', '.join(options)} is not an option of the {self.name} target")
        return self.connection.resolve(config_targets, dsn, schema)

    def check(self, project: Any, target: Any, progress: Progress | None = None,
              files_only: bool = False) -> MirrorResult:
        """What cannot be mirrored, before anything is written (the engine's ``mirror.check``)."""
        return self.mirrors.check(project, target, progress, files_only)  # type: ignore[no-any-return]

    def mirror(self, project: Any, target: Any, progress: Progress | None = None) -> MirrorResult:
        """Mirror the built database, all or nothing (the engine's ``mirror.mirror``)."""
        return self.mirrors.mirror(project, target, progress)  # type: ignore[no-any-return]

    def ping(self, target: Any) -> None:
        """Connect once and close: an unreachable server or a wrong password fails here."""
        target.connect().close()


ENGINES: dict[str, str] = {  # name: module holding ENGINE
    "postgres": "marketsql.engines.postgres.engine",
    "mysql": "marketsql.engines.mysql.engine",
    "spark": "marketsql.engines.spark.engine",
}


def engine(name: str) -> Engine:
    """The engine called ``name`` (``postgres``, ``mysql``, ``spark``); ConfigError naming the known ones otherwise."""
    if name not in ENGINES:
        raise ConfigError(f"unknown target {name!r} — use duckdb, {', '.join(ENGINES)}")
    found: Engine = importlib.import_module(ENGINES[name]).ENGINE
    return found
