"""What Spark's Python workers run to score a model mart: functions of Arrow record batches (``mapInArrow``).

The driver reads the active model version from the registry as stored — its record and its arrays as raw bytes with
dtype and shape (:class:`Stored`) — and sends that to the workers (a Spark broadcast). Each worker process checks
the arrays against the record's checksum (:func:`marketsql.models.registry.verified_arrays`, as every DuckDB load
does; nothing is unpickled from the registry) once, then scores batch after batch with the very numpy code of the
DuckDB UDFs: :class:`~marketsql.models.propensity.scoring.Linear`/``Trees`` and ``reasons`` for propensity,
:meth:`~marketsql.models.recommendation.model.RecommendationModel.recommend` for recommendations.

No pyspark here: the functions take and give ``pyarrow.RecordBatch``es, so they are tested without a JVM.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from marketsql.models.registry import ModelRecord, StoredArray, verified_arrays

Batches = Callable[[Iterator[pa.RecordBatch]], Iterator[pa.RecordBatch]]
_loaded: dict[tuple[str, str], Any] = {}  # (checksum, model name) -> scorer: verified once per worker process


@dataclass(frozen=True)
class Stored:
    """A model version as the registry holds it: what a worker needs to verify and load it."""

    record: ModelRecord
    arrays: list[StoredArray]


def _scorer(stored: Stored) -> Any:
    key = (stored.record.checksum, stored.record.name)
    if key not in _loaded:
        arrays = verified_arrays(stored.record, stored.arrays)  # ModelError if the bytes do not match the record
        params = stored.record.params
        if stored.record.name == "propensity":
            from marketsql.models.propensity.scoring import model_of

            _loaded[key] = [model_of(params, arrays, i) for i in range(len(params["targets"]))]
        else:
            from marketsql.models.recommendation.model import RecommendationModel

            _loaded[key] = RecommendationModel.from_arrays(arrays, params["model"])
    return _loaded[key]


def _floats(batch: pa.RecordBatch, names: tuple[str, ...]) -> tuple[np.ndarray, np.ndarray]:
    """The columns ``names`` as a rows × columns float64 matrix, and which rows hold a NULL in any of them."""
    columns = [batch.column(name) for name in names]
    missing = np.zeros(batch.num_rows, dtype=bool)
    for column in columns:
        missing |= np.asarray(column.is_null().to_numpy(zero_copy_only=False), dtype=bool)
    matrix = np.column_stack([np.asarray(pc.fill_null(c.cast(pa.float64()), np.nan).to_numpy(zero_copy_only=False),
                                         dtype=np.float64) for c in columns]) if columns else np.empty((0, 0))
    return matrix, missing


def propensity(stored: Stored, features: tuple[str, ...]) -> Batches:
    """Batches of ``customer_id, target, target_index, *features`` -> ``customer_id, target, probability,
    reasons``: each row scored by its target's model, as ``propensity_score`` and ``propensity_reasons_at`` do in
    DuckDB (a row with a NULL input gets NULLs, as a DuckDB UDF gives)."""
    from marketsql.models.propensity.scoring import reasons

    def run(batches: Iterator[pa.RecordBatch]) -> Iterator[pa.RecordBatch]:
        models = _scorer(stored)
        for batch in batches:
            x, missing = _floats(batch, ("target_index", *features))
            probability = np.full(batch.num_rows, np.nan)
            why: list[list[str] | None] = [None] * batch.num_rows
            index = np.where(missing, -1, np.nan_to_num(x[:, 0], nan=-1)).astype(np.int64)
            index[index >= len(models)] = -1  # a target the model does not have: NULL, as propensity_score's CASE
            for target in np.unique(index[index >= 0]):
                rows = np.flatnonzero(index == target)
                model, values = models[int(target)], x[rows, 1:]
                probability[rows] = model.probability(values)
                for row, text in zip(rows, reasons(model, values, features), strict=True):
                    why[row] = text
            yield pa.RecordBatch.from_arrays(
                [batch.column("customer_id"), batch.column("target"),
                 pa.array(probability, type=pa.float64(), mask=index < 0), pa.array(why, type=pa.list_(pa.string()))],
                names=["customer_id", "target", "probability", "reasons"])

    return run


def recommendations(stored: Stored, k: int, source: str) -> Batches:
    """Batches of ``customer_id, segment_id`` (the customer's segment, NULL if none) -> one row per recommended
    product: ``customer_id, rank, product_id, score, source`` — what ``recommend(customer_id, k)`` and
    ``recommendation_source(customer_id)`` give in DuckDB (bought products excluded; a customer the model does not
    know gets their segment's or the global popularity; a NULL customer nothing). ``source`` names the served
    candidate."""

    def run(batches: Iterator[pa.RecordBatch]) -> Iterator[pa.RecordBatch]:
        model = _scorer(stored)
        for batch in batches:
            ids = batch.column("customer_id")
            present = np.flatnonzero(~np.asarray(ids.is_null().to_numpy(zero_copy_only=False), dtype=bool))
            ids = ids.take(pa.array(present, type=pa.int64()))
            keys = pc.cast(ids, pa.string()).to_numpy(zero_copy_only=False)
            users = model.customer_rows(pd.Index(keys, dtype=object))
            segments = model.segment_index(batch.column("segment_id").take(pa.array(present, type=pa.int64()))
                                           .to_pylist())
            segments = np.where(users < 0, segments, -1)
            columns, scores = model.recommend(users, k, True, segments)
            keep = (columns >= 0) & (np.arange(columns.shape[1])[None, :] < k)
            row, _ = np.nonzero(keep)
            labels = np.where(users >= 0, source, np.where(segments >= 0, "segment popularity", "popularity"))
            yield pa.RecordBatch.from_arrays(
                [ids.take(pa.array(row, type=pa.int64())),
                 pa.array(np.cumsum(keep, axis=1)[keep], type=pa.int32()),
                 model.product_array.take(pa.array(columns[keep])),
                 pa.array(scores[keep].astype(np.float64), type=pa.float64()),
                 pa.array(labels[row].tolist(), type=pa.string())],
                names=["customer_id", "rank", "product_id", "score", "source"])

    return run
