"""Segmentation in the database: train and register, load the active model, serve it as a UDF."""

from __future__ import annotations

import inspect
from typing import Any

import duckdb
import numpy as np
import pyarrow as pa

from marketsql.core.sqltext import literal, quote_ident
from marketsql.core.udfs import Udf
from marketsql.errors import ModelError
from marketsql.models.kind import ModelKind, TrainContext, fingerprint
from marketsql.models.registry import ModelRecord, Registry

from .model import FEATURES, MIN_CUSTOMERS, SegmentationModel
from .sql import macro_statements, parameter

NAME = "segmentation"
SOURCE_VIEW = "customer_features"


class Segmentation(ModelKind):
    """Customer segments: k-means / GMM candidates on ``customer_features`` against RFM and random baselines."""

    name = NAME
    reads = (SOURCE_VIEW,)
    options = ("k_min", "k_max", "seed")

    def train(self, context: TrainContext, k_min: int = 3, k_max: int = 8, seed: int = 0) -> tuple[Any, ModelRecord]:
        """Fit the candidates on ``customer_features``, select one, register it as the active version."""
        if k_min < 2 or k_max < k_min:
            raise ModelError(f"--k-min {k_min} --k-max {k_max}: need 2 <= k-min <= k-max")
        frame = context.read(SOURCE_VIEW)
        _check_data(frame)
        from .train import train_segmentation  # scikit-learn is imported only here, once the data can be segmented

        result = train_segmentation(frame, k_range=range(k_min, k_max + 1), seed=seed)
        arrays, meta = result.model.to_arrays()
        params = {"model": meta, "k_range": [k_min, k_max], "seed": seed, "selection": result.selection,
                  "feature_report": result.feature_report, "dropped_rows": int(result.dropped_rows),
                  # per segment, the features that most set it apart (from the training profiles)
                  "distinguishing": [str(d) for d in result.profiles.sort_values("segment")["distinguishing"]],
                  # per segment, the same profile in plain words ("buys 2.6× as often as average, …")
                  "descriptions": [str(d) for d in result.profiles.sort_values("segment")["description"]]}
        metrics = {**result.metrics(), "candidates": result.candidates.to_dict(orient="records")}
        columns = ["customer_id", *[c for c in FEATURES if c in frame.columns]]
        record = context.register(self, result.model.kind, params, FEATURES, metrics, arrays,
                                  fingerprint(frame[columns]))
        return result, record

    def compile(self, con: duckdb.DuckDBPyConnection, record: ModelRecord) -> None:
        """Create the ``segment``/``segment_name`` macros of ``record`` in the database."""
        model = load(con, record)
        for statement in macro_statements(model, record.params["distinguishing"], record.params.get("descriptions")):
            con.execute(statement)

    def compile_untrained(self, con: duckdb.DuckDBPyConnection) -> None:
        """Stand-in ``segment``/``segment_name`` macros that fail with what to run."""
        params = ", ".join(f"{name} := NULL" for name in FEATURES)
        con.execute(f"CREATE OR REPLACE MACRO segment({params}) AS error({literal(self.untrained)})")
        con.execute(f"CREATE OR REPLACE MACRO segment_name(segment_id) AS error({literal(self.untrained)})")
        con.execute(f"CREATE OR REPLACE MACRO segment_description(segment_id) AS error({literal(self.untrained)})")

    def postgres(self, con: duckdb.DuckDBPyConnection, record: ModelRecord | None, schema: str) -> list[str]:
        """PostgreSQL statements creating ``segment``/``segment_name`` of ``record`` (stand-ins if None)."""
        from .postgres import function_statements, untrained_statements

        if record is None:
            return untrained_statements(schema, list(FEATURES))
        return function_statements(load(con, record), schema, record.params.get("descriptions"))

    def udfs(self, con: duckdb.DuckDBPyConnection, record: ModelRecord) -> list[Udf]:
        """``segment_py(...)``: the same scoring as the ``segment`` macro, in numpy."""
        return [segment_py_udf(load(con, record))]

    def sql_and_python(self, con: duckdb.DuckDBPyConnection, record: ModelRecord) -> tuple[np.ndarray, np.ndarray]:
        """``segment(...)`` on every customer of customer_features, and the numpy model on the same rows."""
        model = load(con, record)
        columns = ", ".join(quote_ident(name) for name in FEATURES)
        frame = con.execute(f"SELECT segment({columns}) AS sql_segment, {columns} FROM {SOURCE_VIEW}"
                            " ORDER BY customer_id").df()
        python = model.predict(frame[list(model.features)].to_numpy(np.float64)).astype(np.float64)
        return frame["sql_segment"].to_numpy(np.float64, na_value=-1.0), python

    def training_lines(self, result: Any, record: ModelRecord) -> list[str]:
        """The best candidates, the selection, the features, the baselines and the profiles."""
        from .report import training_lines

        return training_lines(result, record)


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


def segment_py_udf(model: SegmentationModel) -> Udf:
    """``segment_py(...)``: the same scoring as the ``segment`` macro, in numpy."""

    def segment_py(*columns: pa.Array) -> pa.Array:
        matrix = np.column_stack([np.asarray(column.to_numpy(zero_copy_only=False), dtype=np.float64)
                                  for column in columns])
        labels = model.predict(matrix)
        return pa.array(labels.astype(np.int32), mask=labels < 0, type=pa.int32())

    # one named parameter per feature: DuckDB checks the Python signature against the SQL one
    segment_py.__signature__ = inspect.Signature(  # type: ignore[attr-defined]
        [inspect.Parameter(parameter(name), inspect.Parameter.POSITIONAL_ONLY) for name in model.features]
    )
    return Udf("segment_py", segment_py, ("DOUBLE",) * len(model.features), "INTEGER", "segmentation model")
