"""The Python-model marts Spark scores itself, from the feature tables and views already in the generation.

``customer_propensity`` and ``customer_recommendations`` are materialised by DuckDB through Arrow UDFs (numpy
scorers). On Spark they are not copied as rows: the feature rows are read from the mirrored tables/views, sent
through the same numpy scorers in Arrow batches (``mapInArrow``, :mod:`.batches`), and what the mart's SQL adds
around the UDF calls (the decile, the reasons split, the targets; the ranks, the product names) is done by Spark.
The model is read from the registry on the driver as stored (record + raw arrays) and checked against its checksum
on every Python worker before it scores; the result is written as Parquet and registered like a copied table.

Spark scores a mart only when its SQL file is marketsql's own (the scoring re-implements that SQL) and its model
can be scored in numpy; otherwise the mart's rows are copied, and ``check`` says why. Executors need marketsql,
numpy and pyarrow installed (the same version as the driver); locally Spark's workers run this Python.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

import duckdb

from marketsql.models.registry import Registry

from ..plan import Item
from . import batches
from .load import q, register, table_folder

SCORED = {"customer_propensity": "propensity", "customer_recommendations": "recommendation"}
K = 10  # sql/marts/customer_recommendations.sql: recommend(customer_id, 10)


@dataclass(frozen=True)
class Scoring:
    """How Spark scores one mart: the stored model version, or why it copies the mart's rows instead."""

    mart: str
    stored: batches.Stored | None
    why: str


def scoring(duck: duckdb.DuckDBPyConnection, item: Item, arrays: bool = True) -> Scoring | None:
    """How the mart ``item`` reaches Spark if it is one Spark can score; None for every other object. ``arrays``
    False: the model's arrays are not read (enough to say how, as the plan does)."""
    kind = SCORED.get(item.name)
    if kind is None or item.role != "main" or item.kind != "table" or item.view is None:
        return None
    from marketsql.core.locations import standard_pipeline

    own = standard_pipeline() / "sql" / "marts" / f"{item.name}.sql"
    if Path(item.view.path).read_text(encoding="utf-8") != own.read_text(encoding="utf-8"):
        return Scoring(item.name, None, f"rows copied ({item.view.label} is not marketsql's own, which Spark scores)")
    registry = Registry(duck)
    if not any(r.status == "active" for r in registry.list(kind)):
        return Scoring(item.name, None, f"rows copied (no active {kind} model to score with)")
    record = registry.active(kind)  # ModelError if the stored version fails its checksum
    if any(t.get("shape") == "sequence" for t in record.params.get("targets", [])):
        return Scoring(item.name, None, "rows copied (a target is served by the Keras sequence network, which reads"
                                        " purchase lists: scored by DuckDB)")
    return Scoring(item.name, batches.Stored(record, registry.stored_arrays(record) if arrays else []),
                   f"scored in Spark from its features ({kind} v{record.version}, Arrow batches)")


def score(spark: Any, plan: Scoring, item: Item, database: str, warehouse: str, source: str | None = None) -> int:
    """Score the mart into ``database`` (Parquet, registered as a table) from the features in ``source`` (default
    ``database``); the number of rows written."""
    assert plan.stored is not None
    handle = spark.sparkContext.broadcast(plan.stored)
    frame = _propensity(spark, handle, source or database) if item.name == "customer_propensity" else \
        _recommendations(spark, handle, source or database)
    names = [c.name for c in item.columns]
    folder = table_folder(warehouse, database, item.name)
    frame.select(*names).write.parquet(str(folder))
    register(spark, database, item.name, folder)
    return int(spark.sql(f"SELECT count(*) FROM {q(database)}.{q(item.name)}").collect()[0][0])


def _spread(spark: Any, frame: Any) -> Any:
    """``frame`` over at least as many partitions as Spark has cores: a mart's features are often one Parquet file
    (one partition), which would score on one core."""
    cores = int(spark.sparkContext.defaultParallelism)
    return frame.repartition(cores) if frame.rdd.getNumPartitions() < cores else frame


def _propensity(spark: Any, handle: Any, database: str) -> Any:
    from pyspark.sql import Window
    from pyspark.sql import functions as F

    from marketsql.models.propensity.targets import FEATURES

    features = spark.sql(f"SELECT customer_id, target, CAST(target_index AS INT) AS target_index,"
                         f" {', '.join(f'CAST({q(f)} AS DOUBLE) AS {q(f)}' for f in FEATURES)}"
                         f" FROM {q(database)}.`propensity_features`")
    id_type = features.schema["customer_id"].dataType.simpleString()

    def run(chunks: Any) -> Any:
        return batches.propensity(handle.value, FEATURES)(chunks)

    scored = _spread(spark, features).mapInArrow(run, f"customer_id {id_type}, target string, probability double,"
                                      " reasons array<string>")
    record = handle.value.record
    targets = spark.createDataFrame(
        [(t["name"], t["algorithm"], int(record.params["horizon_days"]), int(record.version))
         for t in record.params["targets"]], "target string, algorithm string, horizon_days int, model_version int")
    order = Window.partitionBy("target").orderBy(F.col("probability").desc_nulls_last(),
                                                 F.col("customer_id").asc_nulls_last())
    return scored.join(targets, "target").select(
        "customer_id", "target", "probability", F.ntile(10).over(order).cast("bigint").alias("decile"),
        *(F.col("reasons").getItem(i).alias(f"reason_{i + 1}") for i in range(3)),
        "algorithm", "horizon_days", "model_version")


def _recommendations(spark: Any, handle: Any, database: str) -> Any:
    """Segments of customers the model does not know come from ``customer_segments`` when the generation already
    holds it (DuckDB's build, in the same order, reads the one its database held when it reached this mart)."""
    segments = spark.catalog.tableExists(f"{database}.customer_segments")
    customers = spark.sql(
        f"SELECT c.customer_id, {'s.segment_id' if segments else 'CAST(NULL AS INT)'} AS segment_id"
        f" FROM {q(database)}.`stg_customers` AS c" + (
            f" LEFT JOIN (SELECT CAST(customer_id AS STRING) AS id, CAST(max(segment_id) AS INT) AS segment_id"
            f" FROM {q(database)}.`customer_segments` WHERE segment_id IS NOT NULL GROUP BY 1) AS s"
            " ON s.id = CAST(c.customer_id AS STRING)" if segments else ""))
    id_type = customers.schema["customer_id"].dataType.simpleString()
    from marketsql.models.recommendation.serve import SOURCES

    source = SOURCES[handle.value.record.params["chosen"]]

    def run(chunks: Any) -> Any:
        return batches.recommendations(handle.value, K, source)(chunks)

    ranked = _spread(spark, customers).mapInArrow(
        run, f"customer_id {id_type}, rank int, product_id string, score double, source string")
    products = spark.sql(f"SELECT CAST(product_id AS STRING) AS product_id, product_name"
                         f" FROM {q(database)}.`stg_products`")
    return ranked.join(products, "product_id", "left").select("customer_id", "rank", "product_id", "product_name",
                                                              "score", "source")
