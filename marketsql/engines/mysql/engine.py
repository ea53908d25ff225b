"""MySQL (MariaDB) as an :class:`marketsql.engines.base.Engine`.

Databases ``marketsql``/``_raw``/``_meta`` of pointer views; rows by LOAD DATA; stored functions; one RENAME TABLE
of the pointers to a new generation.
"""

from __future__ import annotations

from ..base import ModuleEngine
from . import connection, mirror

ENGINE = ModuleEngine("mysql", mirror.DIALECT, connection, mirror)
