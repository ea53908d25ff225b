"""How a new MySQL mirror replaces the old one at once: pointer views renamed in one statement.

MySQL cannot roll back DDL, rename a database, or move a view to another database, so the mirror is built into a
fresh *generation* of databases (``marketsql__g<id>``, ``marketsql_raw__g<id>``, ``marketsql_meta__g<id>``) that
nobody reads yet. The databases readers use (``marketsql``, ``marketsql_raw``, ``marketsql_meta``) hold one pointer
view per object (``SELECT * FROM marketsql__g<id>.x``, mergeable, so no cost per query). The switch creates every
new pointer as ``x__next`` and then runs ONE ``RENAME TABLE x TO x__prev, x__next TO x, …`` over all three
databases: MariaDB renames them all or none, so a reader sees the old mirror or the new one, never a mix. Only
then are the ``__prev`` pointers and the old generation dropped. A mirror killed at any point before that statement
leaves the old pointers and generation untouched; its half-built generation is dropped by the next run.
Stored functions cannot be renamed: the readers' copies are replaced by ``CREATE OR REPLACE FUNCTION`` right after
the rename (each one atomic).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from marketsql.core.sqltext import literal

from ..plan import ROLES, MirrorResult
from .functions import Function
from .load import _q

MARK = "marketsql mirror"  # database comments start with this: only such databases are ever replaced or dropped
GENERATION = "__g"


def owned(cur: Any, schema: str) -> dict[str, str]:
    """Every database of this mirror (public ones and generations) with its comment."""
    cur.execute("SELECT SCHEMA_NAME, SCHEMA_COMMENT FROM information_schema.SCHEMATA WHERE SCHEMA_NAME IN (%s, %s, %s)"
                " OR SCHEMA_NAME LIKE %s OR SCHEMA_NAME LIKE %s OR SCHEMA_NAME LIKE %s",
                [schema, f"{schema}_raw", f"{schema}_meta", *(f"{n}\\_\\_g%" for n in
                                                               (schema, f"{schema}_raw", f"{schema}_meta"))])
    return {str(name): str(comment or "") for name, comment in cur.fetchall()}


def current_generation(cur: Any, meta: str) -> str | None:
    """The generation the public pointers read (from the ``mirror`` row), or None before the first mirror."""
    try:
        cur.execute(f"SELECT generation FROM {_q(meta)}.`mirror`")
    except Exception:  # no mirror yet (or an old one without the row): nothing to keep
        return None
    row = cur.fetchone()
    return str(row[0]) if row else None


def drop_generation(cur: Any, names: Mapping[str, str]) -> None:
    """Drop the databases of one generation (best effort: what does not exist is skipped)."""
    for name in names.values():
        cur.execute(f"DROP DATABASE IF EXISTS {_q(name)}")


def swap(cur: Any, result: MirrorResult, building: Mapping[str, str], generation: str,
         public_functions: list[Function]) -> None:
    """Point the public databases at ``building`` in one RENAME TABLE, then drop the old pointers and generation."""
    final = result.schemas
    old = current_generation(cur, final["meta"])
    cur.execute(f"CREATE TABLE {_q(building['meta'])}.`mirror` (mirrored_at DATETIME, source_database LONGTEXT,"
                " build_id INT, objects INT, copied_rows BIGINT, generation VARCHAR(64))")
    cur.execute(f"INSERT INTO {_q(building['meta'])}.`mirror` VALUES (NOW(), %s, %s, %s, %s, %s)",
                [result.database, result.plan.build_id, len(result.items), result.copied_rows, generation])
    for role in ROLES:
        cur.execute(f"CREATE DATABASE IF NOT EXISTS {_q(final[role])} CHARACTER SET utf8mb4 COLLATE utf8mb4_nopad_bin"
                    f" COMMENT {literal(f'{MARK}: {_ROLE_TEXT[role]}, replaced by every mirror')}")
    objects = {role: [i.name for i in result.items if i.role == role] for role in ROLES}
    objects["meta"].append("mirror")
    existing = _objects(cur, final)
    renames: list[str] = []
    for role in ROLES:
        db, source = _q(final[role]), _q(building[role])
        for name in objects[role]:
            cur.execute(f"DROP VIEW IF EXISTS {db}.{_q(name + '__next')}")
            cur.execute(f"CREATE VIEW {db}.{_q(name + '__next')} AS SELECT * FROM {source}.{_q(name)}")
        for name in existing[role]:
            cur.execute(f"DROP VIEW IF EXISTS {db}.{_q(name + '__prev')}")
            renames.append(f"{db}.{_q(name)} TO {db}.{_q(name + '__prev')}")
        renames += [f"{db}.{_q(name + '__next')} TO {db}.{_q(name)}" for name in objects[role]]
    cur.execute("RENAME TABLE " + ", ".join(renames))  # the switch: all or nothing
    for role in ROLES:
        for name in existing[role]:
            cur.execute(f"DROP VIEW IF EXISTS {_q(final[role])}.{_q(name + '__prev')}")
    _replace_functions(cur, final["main"], public_functions)
    if old and old != generation:
        drop_generation(cur, {role: final[role] + GENERATION + old for role in ROLES})


def _objects(cur: Any, final: Mapping[str, str]) -> dict[str, list[str]]:
    """The pointer views each public database holds now (the old mirror), leftovers of a killed swap excepted."""
    found: dict[str, list[str]] = {role: [] for role in ROLES}
    for role in ROLES:
        cur.execute("SELECT TABLE_NAME FROM information_schema.TABLES WHERE TABLE_SCHEMA = %s", [final[role]])
        names = [str(r[0]) for r in cur.fetchall()]
        for name in names:
            if name.endswith(("__next", "__prev")):
                cur.execute(f"DROP VIEW IF EXISTS {_q(final[role])}.{_q(name)}")
            else:
                found[role].append(name)
    return found


def _replace_functions(cur: Any, database: str, functions: list[Function]) -> None:
    cur.execute("SELECT ROUTINE_NAME FROM information_schema.ROUTINES WHERE ROUTINE_SCHEMA = %s"
                " AND ROUTINE_TYPE = 'FUNCTION'", [database])
    stale = {str(r[0]) for r in cur.fetchall()} - {f.name for f in functions}
    for function in functions:
        cur.execute(function.statement.replace("CREATE FUNCTION", "CREATE OR REPLACE FUNCTION", 1))
    for name in sorted(stale):
        cur.execute(f"DROP FUNCTION IF EXISTS {_q(database)}.{_q(name)}")


_ROLE_TEXT = {"main": "views, marts and model functions", "raw": "raw sources", "meta": "build manifest"}
