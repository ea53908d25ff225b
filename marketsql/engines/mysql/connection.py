"""Where the MySQL mirror goes: the DSN and database from the command line, the environment or the project
config, and a connection whose errors never show the password.

Precedence: ``--dsn`` / ``--schema``, then ``MARKETSQL_MYSQL_DSN`` / ``MARKETSQL_MYSQL_SCHEMA``, then
``[targets.mysql] dsn = … / schema = …``; the database defaults to the DSN's path, else ``marketsql``. A DSN is
``mysql://user:password@host:3306/db`` (or ``mariadb://``) or the key=value form ``host=… user=… password=…``;
both are read, masked and scrubbed by the PostgreSQL mirror's DSN code, so the rules are the same.
"""

from __future__ import annotations

import os
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

import pymysql

from marketsql.errors import ConfigError, MarketsqlError

from ..postgres import connection as pg

ENV_DSN = "MARKETSQL_MYSQL_DSN"
ENV_SCHEMA = "MARKETSQL_MYSQL_SCHEMA"
DEFAULT_SCHEMA = "marketsql"
_SCHEMA_RE = re.compile(r"^[a-z_][a-z0-9_]{0,40}$")
_SCHEME_RE = re.compile(r"^(mysql|mariadb)://")


class MysqlError(MarketsqlError):
    """The MySQL server is unreachable, refuses us, or rejects what we send."""


def _as_pg(dsn: str) -> str:
    """The DSN in the form libpq's parser reads (the URI scheme swapped), so the PostgreSQL masking applies."""
    return _SCHEME_RE.sub("postgresql://", dsn)


def mask(dsn: str) -> str:
    """The DSN with its password replaced by ``***``.

    >>> mask("mysql://ann:s3cret@db:3306/shop")
    'mysql://ann:***@db:3306/shop'
    >>> mask("host=db user=ann password=s3cret")
    'user=ann password=*** host=db'
    >>> mask("mysql://ann:p@ss@db/shop")
    'mysql://… (not shown: it cannot be parsed unambiguously)'
    """
    scheme = _SCHEME_RE.match(dsn)
    shown = pg.mask(_as_pg(dsn))
    return shown.replace("postgresql://", scheme.group(0), 1) if scheme else shown


def scrub(dsn: str, text: str) -> str:
    """``text`` with every form of the DSN's password replaced by ``***``."""
    return pg.scrub(_as_pg(dsn), text)


def parts(dsn: str) -> dict[str, str]:
    """host, port, user, password, dbname of the DSN (as libpq reads them); ConfigError if it cannot be read."""
    try:
        read = {k: str(v) for k, v in pg.conninfo_to_dict(_as_pg(dsn)).items() if v is not None}
    except pg.psycopg.ProgrammingError as exc:
        raise ConfigError(f"invalid MySQL DSN {mask(dsn)}: {scrub(dsn, pg.first_line(exc))} — use"
                          " mysql://user:password@host:3306/database or 'host=… user=… password=…'") from None
    if pg._parse(_as_pg(dsn)) is None:
        raise ConfigError(f"invalid MySQL DSN {mask(dsn)}: an @ follows the host — percent-encode the password"
                          " (@ → %40, / → %2F, % → %25) or use the key=value form")
    return read


@dataclass(frozen=True)
class Target:
    """A MySQL server and the database the mirror lives in."""

    dsn: str = field(repr=False)
    schema: str = DEFAULT_SCHEMA

    @property
    def shown(self) -> str:
        """The DSN with its password masked, for messages."""
        return mask(self.dsn)

    def scrub(self, text: str) -> str:
        """``text`` without the password."""
        return scrub(self.dsn, text)

    def connect(self) -> pymysql.connections.Connection:
        """An autocommit connection (binary, no-pad collation, like DuckDB's comparisons); MysqlError if that fails."""
        read = parts(self.dsn)
        try:
            con = pymysql.connect(
                host=read.get("host", "127.0.0.1"), port=int(read.get("port", 3306)), user=read.get("user"),
                password=read.get("password", ""), connect_timeout=10, autocommit=True, local_infile=True,
                charset="utf8mb4", collation="utf8mb4_nopad_bin")
        except pymysql.Error as exc:
            raise MysqlError(f"cannot connect to MySQL at {self.shown}: {self.scrub(first_line(exc))} — check host,"
                             " port, user and password (--dsn, MARKETSQL_MYSQL_DSN or [targets.mysql] dsn)") from None
        with con.cursor() as cur:
            cur.execute("SET SESSION sql_mode = 'STRICT_ALL_TABLES,NO_ENGINE_SUBSTITUTION'")
            cur.execute("SET SESSION div_precision_increment = 30")
        return con


def first_line(exc: BaseException) -> str:
    """The server's message: pymysql errors carry (code, message)."""
    if isinstance(exc, pymysql.Error) and len(exc.args) == 2:
        return f"({exc.args[0]}) {str(exc.args[1]).strip().splitlines()[0] if str(exc.args[1]).strip() else ''}"
    return pg.first_line(exc)


def resolve(config_targets: Mapping[str, Any] | None, dsn: str | None = None, schema: str | None = None) -> Target:
    """The target from the arguments, the environment and ``[targets.mysql]``, in that order."""
    table = dict((config_targets or {}).get("mysql") or {})
    chosen = dsn or os.environ.get(ENV_DSN) or table.get("dsn")
    if not chosen:
        raise ConfigError(f"no MySQL server given — pass --dsn mysql://user@host:3306/db, set {ENV_DSN}, or add"
                          " [targets.mysql] dsn = \"…\" to marketsql.toml")
    chosen = str(chosen)
    read = parts(chosen)
    name = schema or os.environ.get(ENV_SCHEMA) or str(table.get("schema") or read.get("dbname") or DEFAULT_SCHEMA)
    if not _SCHEMA_RE.match(name):
        raise ConfigError(f"database {name!r} is not allowed for the mirror — use lower-case letters, digits and _")
    return Target(chosen, name)
