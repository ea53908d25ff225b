"""PostgreSQL as an :class:`marketsql.engines.base.Engine`: the existing mirror, unchanged, behind the contract."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from ..base import Progress
from ..plan import MirrorResult
from . import connection, mirror
from .plan import DIALECT


class PostgresEngine:
    """Schemas ``marketsql``/``_raw``/``_meta``; rows by COPY; SQL functions; a schema rename in one transaction."""

    name = "postgres"
    dialect = DIALECT

    def resolve(self, config_targets: Mapping[str, Any] | None, dsn: str | None = None,
                schema: str | None = None) -> connection.Target:
        """The server and schema (``--dsn``, ``MARKETSQL_PG_DSN``, ``[targets.postgres]``)."""
        return connection.resolve(config_targets, dsn, schema)

    def check(self, project: Any, target: connection.Target | None, progress: Progress | None = None,
              files_only: bool = False) -> MirrorResult:
        """See :func:`marketsql.engines.postgres.mirror.check`."""
        return mirror.check(project, target, progress, files_only)

    def mirror(self, project: Any, target: connection.Target, progress: Progress | None = None) -> MirrorResult:
        """See :func:`marketsql.engines.postgres.mirror.mirror`."""
        return mirror.mirror(project, target, progress)

    def ping(self, target: connection.Target) -> None:
        """Connect once and close: an unreachable server or a wrong password fails here."""
        target.connect().close()


ENGINE = PostgresEngine()
