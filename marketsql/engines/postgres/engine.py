"""PostgreSQL as an :class:`marketsql.engines.base.Engine`: the existing mirror, unchanged, behind the contract.

Schemas ``marketsql``/``_raw``/``_meta``; rows by COPY; SQL functions; a schema rename in one transaction.
"""

from __future__ import annotations

from ..base import ModuleEngine
from . import connection, mirror
from .plan import DIALECT

ENGINE = ModuleEngine("postgres", DIALECT, connection, mirror)
