"""Segmentation in the database: train and register, load the active model, serve it as a UDF."""

from __future__ import annotations

import hashlib
import inspect
from typing import Any

import duckdb
import numpy as np
import pyarrow as pa

from marketsql.core.sqltext import literal
from marketsql.core.udfs import Udf
from marketsql.errors import ModelError
from marketsql.models.registry import ModelRecord, Registry, json_safe

from .model import FEATURES, MIN_CUSTOMERS, SegmentationModel
from .sql import macro_statements, parameter

NAME = "segmentation"
SOURCE_VIEW = "customer_features"


def train(con: duckdb.DuckDBPyConnection, k_min: int = 3, k_max: int = 8, seed: int = 0,
          registry: Registry | None = None) -> tuple[Any, ModelRecord]:
    """Fit the candidates on ``customer_features``, select one, register it (into ``registry``, default: ``con``'s)
    as the active version."""
    if k_min < 2 or k_max < k_min:
        raise ModelError(f"--k-min {k_min} --k-max {k_max}: need 2 <= k-min <= k-max")
    try:
        frame = con.execute(f"SELECT * FROM {SOURCE_VIEW}").df()
    except duckdb.CatalogException as exc:
        raise ModelError(f"no {SOURCE_VIEW} view in this database — run `marketsql build` first") from exc
    _check_data(frame)
    from .train import train_segmentation  # scikit-learn is imported only here, once the data can be segmented

    result = train_segmentation(frame, k_range=range(k_min, k_max + 1), seed=seed)
    arrays, meta = result.model.to_arrays()
    params = {"model": meta, "k_range": [k_min, k_max], "seed": seed, "selection": result.selection,
              "feature_report": result.feature_report, "dropped_rows": int(result.dropped_rows),
              # per segment, the features that most set it apart (from the training profiles)
              "distinguishing": [str(d) for d in result.profiles.sort_values("segment")["distinguishing"]]}
    metrics = {**result.metrics(), "candidates": result.candidates.to_dict(orient="records")}
    record = (registry or Registry(con)).register(
        NAME, result.model.kind, params, list(FEATURES), json_safe(metrics), arrays, _fingerprint(frame)
    )
    return result, record


def _check_data(frame: Any) -> None:
    """Too few customers or a feature NULL for everyone: one ModelError saying what to change."""
    if len(frame) < MIN_CUSTOMERS:
        raise ModelError(
            f"segmentation needs at least {MIN_CUSTOMERS} customers with purchases before analysis_date;"
            f" {SOURCE_VIEW} has {len(frame)} — load more order lines (more customers or a longer period) and build"
        )
    for name in FEATURES:
        if name in frame.columns and frame[name].isna().all():
            raise ModelError(
                f"{SOURCE_VIEW}.{name} is NULL for all {len(frame)} customers — fix the view that computes it"
            )


def load(con: duckdb.DuckDBPyConnection, record: ModelRecord | None = None) -> SegmentationModel:
    """The active (or the given) version, verified against its checksum."""
    registry = Registry(con)
    record = record or registry.active(NAME)
    return SegmentationModel.from_arrays(registry.arrays(record), record.params["model"])


def compile_sql(con: duckdb.DuckDBPyConnection, record: ModelRecord) -> None:
    """Create the ``segment``/``segment_name`` macros of ``record`` in the database."""
    model = load(con, record)
    for statement in macro_statements(model, record.params["distinguishing"]):
        con.execute(statement)


def compile_untrained(con: duckdb.DuckDBPyConnection) -> None:
    """Stand-in ``segment``/``segment_name`` macros that fail with what to run."""
    message = "no trained segmentation model in this database — run `marketsql train segmentation`"
    params = ", ".join(f"{name} := NULL" for name in FEATURES)
    con.execute(f"CREATE OR REPLACE MACRO segment({params}) AS error({literal(message)})")
    con.execute(f"CREATE OR REPLACE MACRO segment_name(segment_id) AS error({literal(message)})")


def compile_postgres(con: duckdb.DuckDBPyConnection, record: ModelRecord | None, schema: str) -> list[str]:
    """PostgreSQL statements creating ``segment``/``segment_name`` of ``record`` (stand-ins if None) in ``schema``."""
    from .postgres import function_statements, untrained_statements

    if record is None:
        return untrained_statements(schema, list(FEATURES))
    return function_statements(load(con, record), schema)


def udfs(con: duckdb.DuckDBPyConnection, record: ModelRecord) -> list[Udf]:
    """``segment_py(...)``: the same scoring as the ``segment`` macro, in numpy."""
    model = load(con, record)

    def segment_py(*columns: pa.Array) -> pa.Array:
        matrix = np.column_stack([np.asarray(column.to_numpy(zero_copy_only=False), dtype=np.float64)
                                  for column in columns])
        labels = model.predict(matrix)
        return pa.array(labels.astype(np.int32), mask=labels < 0, type=pa.int32())

    # one named parameter per feature: DuckDB checks the Python signature against the SQL one
    segment_py.__signature__ = inspect.Signature(  # type: ignore[attr-defined]
        [inspect.Parameter(parameter(name), inspect.Parameter.POSITIONAL_ONLY) for name in model.features]
    )
    return [Udf("segment_py", segment_py, ("DOUBLE",) * len(model.features), "INTEGER", "segmentation model")]


def _fingerprint(frame: Any) -> str:
    import pandas as pd

    columns = ["customer_id", *[c for c in FEATURES if c in frame.columns]]
    hashed = pd.util.hash_pandas_object(frame[columns], index=False).to_numpy()
    return hashlib.sha256(hashed.tobytes()).hexdigest()

