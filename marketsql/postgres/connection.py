"""Where the PostgreSQL mirror goes: the DSN and schema from the command line, the environment or
the project config, and a connection whose errors never show the password.

Precedence: ``--dsn`` / ``--schema``, then ``MARKETSQL_PG_DSN`` / ``MARKETSQL_PG_SCHEMA``, then
``[targets.postgres] dsn = … / schema = …`` in marketsql.toml. libpq's own variables
(``PGPASSWORD``, ``~/.pgpass``, ``PGHOST`` …) apply as usual, so the password need not be written
anywhere marketsql reads.
"""

from __future__ import annotations

import os
import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import psycopg
from psycopg.conninfo import conninfo_to_dict, make_conninfo

from ..errors import ConfigError, MarketsqlError

ENV_DSN = "MARKETSQL_PG_DSN"
ENV_SCHEMA = "MARKETSQL_PG_SCHEMA"
DEFAULT_SCHEMA = "marketsql"
_SCHEMA_RE = re.compile(r"^[a-z_][a-z0-9_]{0,40}$")


class PostgresError(MarketsqlError):
    """The PostgreSQL server is unreachable, refuses us, or rejects what we send."""


@dataclass(frozen=True)
class Target:
    """A PostgreSQL server and the schema the mirror lives in."""

    dsn: str
    schema: str = DEFAULT_SCHEMA
    readers: tuple[str, ...] = ()  # roles granted read access to the mirror

    @property
    def shown(self) -> str:
        """The DSN with its password masked, for messages."""
        return mask(self.dsn)

    def connect(self) -> psycopg.Connection[Any]:
        """Open a connection (not in autocommit); PostgresError with the masked DSN if that fails."""
        try:
            return psycopg.connect(self.dsn, connect_timeout=10, application_name="marketsql")
        except psycopg.Error as exc:
            raise PostgresError(
                f"cannot connect to PostgreSQL at {self.shown}: {self.scrub(first_line(exc))}"
                " — check host, port, database, user and password (--dsn, MARKETSQL_PG_DSN or"
                " [targets.postgres] dsn)"
            ) from None

    def scrub(self, text: str) -> str:
        """``text`` with the password replaced by ``***`` wherever it appears."""
        password = _password(self.dsn)
        return text.replace(password, "***") if password else text


def resolve(config_targets: Mapping[str, Any] | None, dsn: str | None = None, schema: str | None = None,
            readers: tuple[str, ...] = ()) -> Target:
    """The target from the arguments, the environment and ``[targets.postgres]``, in that order."""
    table = dict((config_targets or {}).get("postgres") or {})
    chosen = dsn or os.environ.get(ENV_DSN) or table.get("dsn")
    if not chosen:
        raise ConfigError(
            "no PostgreSQL server given — pass --dsn postgresql://user@host:5432/db, set "
            f"{ENV_DSN}, or add [targets.postgres] dsn = \"…\" to marketsql.toml"
        )
    try:
        conninfo_to_dict(str(chosen))
    except psycopg.ProgrammingError as exc:
        raise ConfigError(f"invalid PostgreSQL DSN {mask(str(chosen))}: {first_line(exc)} — use "
                          "postgresql://user@host:port/database or 'host=… dbname=…'") from None
    name = schema or os.environ.get(ENV_SCHEMA) or str(table.get("schema") or DEFAULT_SCHEMA)
    if not _SCHEMA_RE.match(name):
        raise ConfigError(f"schema {name!r} is not allowed for the mirror — use lower-case letters, digits and _")
    configured = table.get("readers") or ()
    if isinstance(configured, str):
        configured = (configured,)
    return Target(str(chosen), name, tuple(readers) or tuple(str(r) for r in configured))


def mask(dsn: str) -> str:
    """A DSN with its password replaced by ``***`` (URI or key=value form).

    >>> mask("postgresql://ann:s3cret@db:5432/shop")
    'postgresql://ann:***@db:5432/shop'
    >>> mask("host=db user=ann password=s3cret dbname=shop")
    'user=ann password=*** dbname=shop host=db'
    """
    try:
        parts = conninfo_to_dict(dsn)
    except psycopg.ProgrammingError:
        return re.sub(r"(://[^:/@]*:)[^@]*@", r"\1***@", re.sub(r"(password\s*=\s*)\S+", r"\1***", dsn))
    if "password" not in parts:
        return dsn
    if "://" in dsn:
        return re.sub(r"(://[^:/@]*:)[^@]*@", r"\1***@", dsn)
    return make_conninfo("", **{**parts, "password": "***"})


def _password(dsn: str) -> str | None:
    try:
        value = conninfo_to_dict(dsn).get("password")
    except psycopg.ProgrammingError:
        return None
    return str(value) if value else None


def first_line(exc: BaseException) -> str:
    """The first line of an exception's message."""
    text = str(exc).strip()
    return text.splitlines()[0] if text else type(exc).__name__
