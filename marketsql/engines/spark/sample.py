"""A customer sample read from the Spark mirror's raw tables and pulled to the driver as Arrow.

The rule is :mod:`marketsql.core.customer_sample`'s, run by Spark over ``<schema>_raw`` (the raw tables as the
build read them): the population and the N sampled keys are computed in Spark, each keyed table is cut to them
there (a semi-join), and only the sampled rows travel to the driver (``DataFrame.toArrow``), ordered by
``_source_row`` as DuckDB's are. The tables without the key come whole.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from marketsql.core import customer_sample as rule
from marketsql.errors import ConfigError

from ..plan import schema_names
from .load import q
from .session import SparkError, Target, first_line, preflight, resolve, session


@dataclass(frozen=True)
class SparkSample:
    """The sampled rows of each raw table (Arrow), the customer population and the keys used."""

    tables: Mapping[str, Any]  # table -> pyarrow.Table, ordered by _source_row
    population: int
    keys: rule.SampleKeys


def target(config_targets: Mapping[str, Any], root: Path, master: str | None, warehouse: str | None,
           schema: str | None) -> Target:
    """The mirror to sample (as ``build --target spark`` resolves it); ConfigError, before any JVM starts, when the
    warehouse holds no mirror at all."""
    chosen = resolve(config_targets, master, schema, warehouse).with_default_warehouse(root)
    preflight(chosen)
    if not (Path(chosen.warehouse) / "metastore_db").is_dir():
        raise ConfigError(f"--sample-from spark: no Spark mirror in the warehouse {chosen.warehouse} — mirror the"
                          f" project first (marketsql build --target spark --warehouse {chosen.warehouse}) or give"
                          " its warehouse with --warehouse")
    return chosen


def draw(chosen: Target, tables: Sequence[str], settings: Mapping[str, str], size: int) -> SparkSample:
    """The sample of ``size`` customers from the mirror's raw ``tables``; ConfigError if the mirror lacks them."""
    spark = session(chosen)
    raw = schema_names(chosen.schema)["raw"]
    try:
        present = {row.tableName for row in spark.sql(f"SHOW TABLES IN {q(raw)}").collect()}
    except Exception as exc:  # no such database: the warehouse holds other mirrors, not this one
        raise ConfigError(f"--sample-from spark: no mirror {chosen.schema!r} in the warehouse {chosen.warehouse}"
                          f" ({first_line(exc)}) — mirror the project first (marketsql build --target spark"
                          f" --schema {chosen.schema}) or give its --schema") from None
    missing = [t for t in tables if t.lower() not in present]
    if missing:
        raise ConfigError(f"--sample-from spark: the mirror {chosen.schema!r} has no raw table {missing[0]} — mirror"
                          " the project again (marketsql build --target spark)")
    try:
        columns = {t: spark.table(f"{q(raw)}.{q(t)}").columns for t in tables}
        keys = rule.find_keys(columns, settings)
        customers = rule.customers_sql(keys, lambda t: f"{q(raw)}.{q(t)}", q, "STRING")
        population = int(spark.sql(f"SELECT count(*) AS n FROM ({customers}) AS p").collect()[0][0])
        rule.check_population(size, population)
        spark.sql(f"CACHE TABLE marketsql_sampled_customers AS {rule.sample_sql(customers, size)}")
        pulled = {}
        for table in tables:
            key = keys.keys.get(table)
            where = (f" WHERE CAST({q(key)} AS STRING) IN (SELECT c FROM marketsql_sampled_customers)"
                     if key else "")
            pulled[table] = spark.sql(f"SELECT * FROM {q(raw)}.{q(table)}{where} ORDER BY _source_row").toArrow()
    except (ConfigError, SparkError):
        raise
    except Exception as exc:  # pyspark's and py4j's errors: one line of Spark's message
        raise SparkError(f"sampling from Spark on {chosen.master}: {first_line(exc)} — nothing was trained") from None
    finally:
        spark.sql("UNCACHE TABLE IF EXISTS marketsql_sampled_customers")
        spark.catalog.dropTempView("marketsql_sampled_customers")
    return SparkSample(pulled, population, keys)

