"""The last step of the mirror: the new schemas take the place of the old ones, inside the mirror's transaction.

Readers of the old mirror hold locks on its schemas; the swap waits for them at most ``lock_timeout`` at a time
(so sessions queued behind it are not blocked longer), a few times with backoff, then fails naming the
session in the way. Only schemas whose comment starts with ``MARK`` are ever replaced.
"""

from __future__ import annotations

import time
from collections.abc import Mapping
from datetime import datetime
from typing import TYPE_CHECKING, Any

import psycopg

from marketsql.core.sqltext import literal, quote_ident

from .connection import PostgresError, Target, first_line
from .plan import ROLES

if TYPE_CHECKING:
    from .mirror import MirrorResult

MARK = "marketsql mirror"  # schema comments start with this: only such schemas are ever replaced


def swap(cur: psycopg.Cursor[Any], result: MirrorResult, building: Mapping[str, str], target: Target) -> None:
    """Replace the old mirror by the new one, waiting at most ``target.lock_timeout`` at a time for sessions
    that read the old one (so readers queued behind the swap wait no longer than that), a few times with
    backoff; then fail naming the sessions in the way. Each try is a savepoint: a failed one undoes itself."""
    meta = quote_ident(building["meta"])
    cur.execute(f"CREATE TABLE {meta}.mirror (mirrored_at timestamptz, source_database text, build_id integer,"
                " objects integer, copied_rows bigint)")
    cur.execute(f"INSERT INTO {meta}.mirror VALUES (now(), %s, %s, %s, %s)",
                [result.database, result.plan.build_id, len(result.items), result.copied_rows])
    for attempt in range(SWAP_TRIES):
        try:
            with cur.connection.transaction():
                cur.execute("SELECT set_config('lock_timeout', %s, true)", [f"{round(target.lock_timeout * 1000)}ms"])
                _rename(cur, result, building, target)
                cur.execute("SELECT set_config('lock_timeout', '0', true)")
            return
        except psycopg.errors.LockNotAvailable:
            if attempt + 1 < SWAP_TRIES:
                time.sleep(SWAP_BACKOFF * 2**attempt)
    raise PostgresError(_in_use(cur, result, target))


SWAP_TRIES = 3
SWAP_BACKOFF = 0.5  # seconds before the second try; doubled each time


def _in_use(cur: psycopg.Cursor[Any], result: MirrorResult, target: Target) -> str:
    """What holds the old mirror: one line naming the sessions, and how to fix it."""
    cur.execute(
        "SELECT a.pid, a.usename, a.application_name, a.state, to_char(a.xact_start, 'YYYY-MM-DD HH24:MI:SS'),"
        " min(n.nspname || '.' || coalesce(c.relname, '')) FROM pg_locks AS l"
        " JOIN pg_stat_activity AS a ON a.pid = l.pid"
        " LEFT JOIN pg_class AS c ON l.locktype = 'relation' AND c.oid = l.relation"
        " JOIN pg_namespace AS n ON n.oid = coalesce(c.relnamespace, CASE WHEN l.locktype = 'object'"
        " AND l.classid = 'pg_namespace'::regclass THEN l.objid END)"
        " WHERE l.granted AND l.pid <> pg_backend_pid() AND n.nspname = ANY(%s)"
        " GROUP BY 1, 2, 3, 4, 5 ORDER BY 5, 1", [list(result.schemas.values())])
    sessions = cur.fetchall()
    waited = f"{SWAP_TRIES} tries of {target.lock_timeout:g} s"
    if not sessions:
        return (f"the mirror's schema {result.schemas['main']} stayed locked by another session ({waited}) — see"
                " pg_stat_activity for who holds it, then run the build again; the previous mirror is untouched")
    pid, user, application, state, since, holds = sessions[0]
    others = f" and {len(sessions) - 1} more session(s)" if len(sessions) > 1 else ""
    return (f"session pid {pid} (user {user}, application {application or '-'!r}, {state}"
            f"{f' in a transaction since {since}' if since else ''}) holds {holds.rstrip('.')}{others}, so the"
            f" new mirror could not replace the old one ({waited}) — have it commit or close, or end it with"
            f" SELECT pg_terminate_backend({pid}), or raise [targets.postgres] lock_timeout; the previous mirror"
            " is untouched")


def _rename(cur: psycopg.Cursor[Any], result: MirrorResult, building: Mapping[str, str], target: Target) -> None:
    for role in ROLES:
        final, new = quote_ident(result.schemas[role]), quote_ident(building[role])
        cur.execute(f"DROP SCHEMA IF EXISTS {final} CASCADE")
        cur.execute(f"ALTER SCHEMA {new} RENAME TO {final}")
        stamp = (f"{MARK}: {_ROLE_TEXT[role]} of {result.database}, {datetime.now():%Y-%m-%d %H:%M}"
                 " — replaced by every `marketsql build --target postgres`")
        cur.execute(f"COMMENT ON SCHEMA {final} IS {literal(stamp)}".encode())
        for reader in target.readers:
            who = quote_ident(reader)
            try:
                with cur.connection.transaction():
                    cur.execute(f"GRANT USAGE ON SCHEMA {final} TO {who}")
                    cur.execute(f"GRANT SELECT ON ALL TABLES IN SCHEMA {final} TO {who}")
                    cur.execute(f"GRANT EXECUTE ON ALL FUNCTIONS IN SCHEMA {final} TO {who}")
            except psycopg.Error as exc:
                raise PostgresError(f"cannot grant read access to {reader!r}: {first_line(exc)} — fix"
                                    " [targets.postgres] readers / --reader; nothing was changed") from None


_ROLE_TEXT = {"main": "views, marts and model functions", "raw": "raw sources", "meta": "build manifest"}
