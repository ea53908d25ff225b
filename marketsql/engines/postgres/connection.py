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
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import unquote

import psycopg
from psycopg.conninfo import conninfo_to_dict, make_conninfo

from marketsql.errors import ConfigError, MarketsqlError

ENV_DSN = "MARKETSQL_PG_DSN"
ENV_SCHEMA = "MARKETSQL_PG_SCHEMA"
DEFAULT_SCHEMA = "marketsql"
DEFAULT_LOCK_TIMEOUT = 5.0
_SCHEMA_RE = re.compile(r"^[a-z_][a-z0-9_]{0,40}$")


class PostgresError(MarketsqlError):
    """The PostgreSQL server is unreachable, refuses us, or rejects what we send."""


@dataclass(frozen=True)
class Target:
    """A PostgreSQL server and the schema the mirror lives in."""

    dsn: str = field(repr=False)
    schema: str = DEFAULT_SCHEMA
    readers: tuple[str, ...] = ()  # roles granted read access to the mirror
    lock_timeout: float = DEFAULT_LOCK_TIMEOUT  # seconds the swap waits for a session using the old mirror

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
        """``text`` with the password replaced by ``***`` wherever it appears (see :func:`scrub`)."""
        return scrub(self.dsn, text)


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
    chosen = str(chosen)
    try:
        conninfo_to_dict(chosen)
    except psycopg.ProgrammingError as exc:
        raise ConfigError(f"invalid PostgreSQL DSN {mask(chosen)}: {scrub(chosen, first_line(exc))} — use "
                          "postgresql://user@host:port/database or 'host=… dbname=…'") from None
    if _parse(chosen) is None:
        raise ConfigError(f"invalid PostgreSQL DSN {mask(chosen)}: an @ follows the host, so libpq would read part of"
                          " the password as host or database — percent-encode the password in the URI (@ → %40,"
                          " / → %2F, % → %25), or use the key=value form, PGPASSWORD or ~/.pgpass")
    name = schema or os.environ.get(ENV_SCHEMA) or str(table.get("schema") or DEFAULT_SCHEMA)
    if not _SCHEMA_RE.match(name):
        raise ConfigError(f"schema {name!r} is not allowed for the mirror — use lower-case letters, digits and _")
    configured = table.get("readers") or ()
    if isinstance(configured, str):
        configured = (configured,)
    return Target(chosen, name, tuple(readers) or tuple(str(r) for r in configured), _lock_timeout(table))


def _lock_timeout(table: Mapping[str, Any]) -> float:
    value = table.get("lock_timeout", DEFAULT_LOCK_TIMEOUT)
    if isinstance(value, bool) or not isinstance(value, int | float) or not 0.01 <= value <= 3600:
        raise ConfigError(f"[targets.postgres] lock_timeout = {value!r} — give the seconds the mirror may wait for"
                          " sessions reading the old mirror, a number from 0.01 to 3600"
                          f" (default {DEFAULT_LOCK_TIMEOUT:g})")
    return float(value)


def mask(dsn: str) -> str:
    """The DSN with its password replaced by ``***``, from the parsed DSN (URI or key=value form).

    A DSN libpq cannot parse, or a URI whose password holds an unencoded ``@`` or ``/`` (libpq would
    read part of the password as the host or the database), is not shown at all.

    >>> mask("postgresql://ann:s3cret@db:5432/shop")
    'postgresql://ann:***@db:5432/shop'
    >>> mask("postgresql://ann@db/shop?sslmode=require&password=s3cret")
    'postgresql://ann@db/shop?sslmode=require&password=***'
    >>> mask("host=db user=ann password='s3 cret' dbname=shop")
    'user=ann password=*** dbname=shop host=db'
    >>> mask("postgresql://ann:p@ss@db/shop")
    'postgresql://… (not shown: it cannot be parsed unambiguously)'
    """
    parsed = _parse(dsn)
    if parsed is None:
        scheme = dsn.split("://", 1)[0] + "://… " if "://" in dsn else ""
        return f"{scheme}(not shown: it cannot be parsed unambiguously)"
    if parsed.uri is None:
        return make_conninfo("", **{**parsed.parts, "password": "***"}) if "password" in parsed.parts else dsn
    scheme, userinfo, rest, query = parsed.uri
    shown = f"{scheme}://"
    if userinfo is not None:
        user, colon, _ = userinfo.partition(":")
        shown += user + (":***" if colon else "") + "@"
    shown += rest
    if query is not None:
        fields = [(f"{p.partition('=')[0]}=***" if _is_password(p.partition("=")[0]) else p) for p in query.split("&")]
        shown += "?" + "&".join(fields)
    return shown


def scrub(dsn: str, text: str) -> str:
    """``text`` with every form of the DSN's password (as given, percent-decoded, quoted) replaced by ``***``;
    for a DSN that cannot be parsed, every double-quoted token of ``text`` (psycopg quotes what it rejects)."""
    parsed = _parse(dsn)
    if parsed is None:
        return re.sub(r'"[^"]*"', '"***"', text.replace(dsn, "***"))
    for secret in sorted(parsed.secrets, key=len, reverse=True):
        text = text.replace(secret, "***")
    return text


@dataclass(frozen=True)
class _Parsed:
    parts: dict[str, str]  # libpq's reading of the DSN
    uri: tuple[str, str | None, str, str | None] | None  # scheme, userinfo, host/port/path, query — as written
    secrets: tuple[str, ...]  # the password in every form it may take in a message


def _parse(dsn: str) -> _Parsed | None:
    """libpq's reading of ``dsn`` plus, for a URI, where its password is written; None when libpq cannot parse
    it or a URI is ambiguous (an ``@`` after where libpq ends the user:password part)."""
    try:
        parts = {k: str(v) for k, v in conninfo_to_dict(dsn).items() if v is not None}
    except psycopg.ProgrammingError:
        return None
    secrets = {parts["password"]} if parts.get("password") else set()
    if not re.match(r"^postgres(ql)?://", dsn):
        for quoted in (make_conninfo("", password=secret).partition("=")[2] for secret in list(secrets)):
            secrets.add(quoted)
        return _Parsed(parts, None, tuple(secrets))
    scheme, _, head = dsn.partition("://")
    stop = re.search(r"[@/]", head)  # libpq: the user:password part ends at the first @ before any /
    userinfo, rest = (head[:stop.start()], head[stop.end():]) if stop and stop.group() == "@" else (None, head)
    rest, question, query_text = rest.partition("?")
    if "@" in rest:
        return None
    query = query_text if question else None
    if userinfo is not None and ":" in userinfo:
        raw = userinfo.partition(":")[2]
        secrets |= {raw, unquote(raw)}
    for pair in (query or "").split("&"):
        key, _, raw = pair.partition("=")
        if _is_password(key) and raw:
            secrets |= {raw, unquote(raw)}
    return _Parsed(parts, (scheme, userinfo, rest, query), tuple(s for s in secrets if s))


def _is_password(key: str) -> bool:
    return unquote(key).strip().lower() == "password"


def first_line(exc: BaseException) -> str:
    """The first line of an exception's message."""
    text = str(exc).strip()
    return text.splitlines()[0] if text else type(exc).__name__
