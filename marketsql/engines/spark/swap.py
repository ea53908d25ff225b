"""How a new Spark mirror replaces the old one: a fresh generation of databases, then one pointer view per object.

The mirror is built into databases nobody reads yet (``marketsql__g<id>``, ``marketsql_raw__g<id>``,
``marketsql_meta__g<id>``). The databases readers use (``marketsql``, ``marketsql_raw``, ``marketsql_meta``) hold
one pointer view per object (``SELECT * FROM marketsql__g<id>.x``; Spark inlines it, so no cost per query) and the
model functions. The switch replaces every pointer (``CREATE OR REPLACE VIEW``, each atomic in the metastore) —
``meta.mirror`` last — then creates or replaces the public functions; only after that are older generations
dropped. Spark's catalog has no multi-object transaction or database rename, so during the switch (a few
metastore writes per object, about a second for the demo) a reader may see some objects new and some old. A build
that fails or is killed before the switch leaves every pointer and the old generation untouched; one killed during
the switch leaves both generations in place, and the next mirror replaces every pointer and then drops them.
"""

from __future__ import annotations

import re
import shutil
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from ..plan import ROLES, MirrorResult
from .functions import Function
from .load import q, text

MARK = "marketsql mirror"  # database comments start with this: only such databases are ever replaced or dropped
GENERATION = "__g"


def databases(spark: Any, schema: str) -> dict[str, str]:
    """Every database of this mirror (public ones and generations) with its comment."""
    found: dict[str, str] = {}
    pattern = re.compile(rf"^{re.escape(schema)}(_raw|_meta)?({GENERATION}[0-9a-f]+)?$")
    for row in spark.sql("SHOW DATABASES").collect():
        name = str(row[0])
        if pattern.match(name):
            described = {str(r[0]): str(r[1]) for r in spark.sql(f"DESCRIBE DATABASE {q(name)}").collect()}
            found[name] = described.get("Comment", "")
    return found


def create_generation(spark: Any, building: Mapping[str, str], warehouse: str) -> None:
    """The generation's databases, each in its own folder of the warehouse."""
    for role, name in building.items():
        spark.sql(f"CREATE DATABASE {q(name)} COMMENT {text(f'{MARK}: generation being built ({role})')}"
                  f" LOCATION {text(str(Path(warehouse) / f'{name}.db'))}")


def drop_generation(spark: Any, names: Mapping[str, str], warehouse: str) -> None:
    """Drop the databases of one generation and their Parquet files (what does not exist is skipped)."""
    for name in names.values():
        spark.sql(f"DROP DATABASE IF EXISTS {q(name)} CASCADE")
        shutil.rmtree(Path(warehouse) / f"{name}.db", ignore_errors=True)


def swap(spark: Any, result: MirrorResult, building: Mapping[str, str], generation: str,
         public_functions: list[Function], warehouse: str) -> None:
    """Point the public databases at ``building`` object by object (``meta.mirror`` last), replace the public
    functions, then drop every older generation."""
    final = result.schemas
    spark.sql(f"CREATE TABLE {q(building['meta'])}.`mirror` USING parquet AS SELECT current_timestamp() AS"
              f" mirrored_at, {text(result.database)} AS source_database, {int(result.plan.build_id)} AS build_id,"
              f" {len(result.items)} AS objects, CAST({int(result.copied_rows)} AS BIGINT) AS copied_rows,"
              f" {text(generation)} AS generation")
    for role in ROLES:
        spark.sql(f"CREATE DATABASE IF NOT EXISTS {q(final[role])} COMMENT"
                  f" {text(f'{MARK}: {_ROLE_TEXT[role]}, replaced by every mirror')}"
                  f" LOCATION {text(str(Path(warehouse) / f'{final[role]}.db'))}")
    objects = [(i.role, i.name) for i in result.items] + [("meta", "mirror")]
    existing = {(role, str(r.tableName)) for role in ROLES
                for r in spark.sql(f"SHOW TABLES IN {q(final[role])}").collect() if not r.isTemporary}
    for role, name in objects:
        spark.sql(f"CREATE OR REPLACE VIEW {q(final[role])}.{q(name)} AS SELECT * FROM"
                  f" {q(building[role])}.{q(name)}")
    for role, name in sorted(existing - set(objects)):
        spark.sql(f"DROP VIEW IF EXISTS {q(final[role])}.{q(name)}")
    _replace_functions(spark, final["main"], public_functions)
    pattern = re.compile(rf"^{re.escape(final['main'])}(_raw|_meta)?{GENERATION}(?P<id>[0-9a-f]+)$")
    for name, comment in databases(spark, final["main"]).items():
        old = pattern.match(name)
        if old and old.group("id") != generation and comment.startswith(MARK):
            drop_generation(spark, {"old": name}, warehouse)


def _replace_functions(spark: Any, database: str, functions: list[Function]) -> None:
    listed = spark.sql(f"SHOW USER FUNCTIONS IN {q(database)}").collect()
    stale = {str(r[0]).rsplit(".", 1)[-1] for r in listed} - {f.name for f in functions}
    for function in functions:
        spark.sql(function.statement.replace("CREATE FUNCTION", "CREATE OR REPLACE FUNCTION", 1))
    for name in sorted(stale):
        spark.sql(f"DROP FUNCTION IF EXISTS {q(database)}.{q(name)}")


_ROLE_TEXT = {"main": "views, marts and model functions", "raw": "raw sources", "meta": "build manifest"}
