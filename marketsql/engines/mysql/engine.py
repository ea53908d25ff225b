"""MySQL (MariaDB) as an :class:`marketsql.engines.base.Engine`."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from ..base import Progress
from ..plan import MirrorResult
from . import connection, mirror


class MysqlEngine:
    """Databases ``marketsql``/``_raw``/``_meta`` of pointer views; rows by LOAD DATA; stored functions;
    one RENAME TABLE of the pointers to a new generation."""

    name = "mysql"
    dialect = mirror.DIALECT

    def resolve(self, config_targets: Mapping[str, Any] | None, dsn: str | None = None,
                schema: str | None = None) -> connection.Target:
        """The server and database (``--dsn``, ``MARKETSQL_MYSQL_DSN``, ``[targets.mysql]``)."""
        return connection.resolve(config_targets, dsn, schema)

    def check(self, project: Any, target: connection.Target | None, progress: Progress | None = None,
              files_only: bool = False) -> MirrorResult:
        """See :func:`marketsql.engines.mysql.mirror.check`."""
        return mirror.check(project, target, progress, files_only)

    def mirror(self, project: Any, target: connection.Target, progress: Progress | None = None) -> MirrorResult:
        """See :func:`marketsql.engines.mysql.mirror.mirror`."""
        return mirror.mirror(project, target, progress)

    def ping(self, target: connection.Target) -> None:
        """Connect once and close: an unreachable server or a wrong password fails here."""
        target.connect().close()


ENGINE = MysqlEngine()
