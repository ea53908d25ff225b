"""Apache Spark as an :class:`marketsql.engines.base.Engine`.

Databases ``marketsql``/``_raw``/``_meta`` of pointer views in a Hive metastore; rows as Parquet written by DuckDB;
Spark SQL functions; pointer views switched to a new generation. ``dsn`` is the master (``local[2]``,
``spark://host:7077``); ``warehouse`` the folder of tables and metastore.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from marketsql.errors import ConfigError

from ..base import Dialect, Progress
from ..plan import MirrorResult
from . import mirror, session


@dataclass(frozen=True)
class SparkEngine:
    """The Spark target: a master and a warehouse instead of a DSN."""

    name: str = "spark"
    dialect: Dialect = mirror.DIALECT

    def resolve(self, config_targets: Mapping[str, Any] | None, dsn: str | None = None,
                schema: str | None = None, warehouse: str | None = None, **options: Any) -> session.Target:
        """The master (``dsn``/``--master``), database and warehouse (arguments, environment, ``[targets.spark]``)."""
        if options:
            raise ConfigError(f"{', '.join(options)} is not an option of the spark target")
        return session.resolve(config_targets, dsn, schema, warehouse)

    def check(self, project: Any, target: Any, progress: Progress | None = None,
              files_only: bool = False) -> MirrorResult:
        """What cannot be mirrored; with a built database, a dry run on Spark (empty tables, dropped)."""
        return mirror.check(project, target, progress, files_only)

    def mirror(self, project: Any, target: Any, progress: Progress | None = None) -> MirrorResult:
        """Mirror the built database onto Spark, all or nothing."""
        return mirror.mirror(project, target, progress)

    def ping(self, target: Any) -> None:
        """The master answers and the warehouse can be written (no JVM started)."""
        session.preflight(target)


ENGINE = SparkEngine()
