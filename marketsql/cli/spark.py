"""`build --target spark` and `check --target spark`: the Spark mirror's few CLI lines, apart from the commands."""

from __future__ import annotations

from typing import Any

from marketsql.errors import ConfigError

from .app import status
from .render import fail_on_problems, print_mirror, print_postgres_check


def spark_target(loaded: Any, dsn: str | None, master: str | None, schema: str | None, warehouse: str | None,
                 preflight: bool = False) -> Any:
    """The Spark target of the options (``--dsn`` is refused: Spark takes ``--master``), checked without a JVM;
    with ``preflight`` the SQL files are checked too, before anything is built."""
    from marketsql.engines.base import engine

    if dsn:
        raise ConfigError("--dsn is for a database server — Spark takes --master (local[2], spark://host:7077)")
    spark = engine("spark")
    target = spark.resolve(loaded.config.targets, master, schema, warehouse=warehouse)
    target = target.with_default_warehouse(loaded.root)
    if preflight:
        fail_on_problems(loaded.check_target("spark", server=False).problems, "Spark")
        spark.ping(target)  # a bad warehouse or an unreachable master fails here, before the DuckDB build
    return target


def mirror_spark(loaded: Any, target: Any) -> None:
    """Mirror the built project onto Spark and print what was done."""
    from marketsql.engines.base import engine
    from marketsql.engines.spark.mirror import MirrorRejected

    try:
        with status("mirroring onto Spark") as update:
            mirrored = engine("spark").mirror(loaded, target, update)
    except MirrorRejected as rejected:
        fail_on_problems(rejected.problems, "Spark")
    print_mirror(mirrored, "Spark")


def check_spark(loaded: Any, dsn: str | None, master: str | None, schema: str | None, warehouse: str | None) -> None:
    """How each object would be mirrored onto Spark; with a built database, a dry run there (8-20 s to start)."""
    from marketsql.engines.base import engine

    target = spark_target(loaded, dsn, master, schema, warehouse)
    with status("checking on Spark") as update:
        result = engine("spark").check(loaded, target, update)
    print_postgres_check(result, "Spark")
