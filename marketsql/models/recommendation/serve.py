"""Recommendation in the database: train and register, load the active model, serve it as UDFs.

SQL functions (Python Arrow UDFs registered by ``marketsql.connect()``; numpy only, no TensorFlow):

- ``recommend(customer_id, k)`` -> ``LIST(STRUCT(product_id, score))``, best first, already-bought
  products excluded; an unknown customer gets their segment's or the global popularity;
- ``recommend_including_bought(customer_id, k)`` the same with bought products allowed;
- ``recommend_for_segment(segment_id, k)`` what to offer a segment (score: share of its customers
  whose personal top k holds the product);
- ``similar_products(product_id, k)`` nearest products (score: cosine similarity);
- ``recommendation_source(customer_id)`` which model answers for that customer.

A NULL argument gives NULL. ``k`` must be 1 … 1000 (else the query fails saying so); a list holds
fewer than k entries when fewer candidates exist. An unknown segment or product gives an empty list.
"""

from __future__ import annotations

import hashlib
from typing import Any

import duckdb
import numpy as np
import pandas as pd
import pyarrow as pa

from marketsql.core.sqltext import literal
from marketsql.core.udfs import Udf
from marketsql.errors import ModelError
from marketsql.models.asof import segments_as_of
from marketsql.models.kind import ModelKind, TrainContext
from marketsql.models.registry import ModelRecord, Registry, json_safe

from . import data
from .model import MAX_K, RecommendationModel
from .train import CANDIDATES, RecommendationTraining, train_recommendation

NAME = "recommendation"
RESULT = "STRUCT(product_id VARCHAR, score DOUBLE)[]"
_RESULT_TYPE = pa.list_(pa.struct([("product_id", pa.string()), ("score", pa.float64())]))
FUNCTIONS = {  # name -> (SQL parameters, what to call it with)
    "recommend": ("customer_id, k", "recommend"),
    "recommend_including_bought": ("customer_id, k", "recommend_including_bought"),
    "recommend_for_segment": ("segment_id, k", "recommend_for_segment"),
    "similar_products": ("product_id, k", "similar_products"),
    "recommendation_source": ("customer_id", "recommendation_source"),
}
SOURCES = {"popularity": "popularity", "segment_popularity": "segment popularity", "item_cosine": "item cosine",
           "ease": "EASE", "two_tower": "Keras two-tower"}


def load(con: duckdb.DuckDBPyConnection, record: ModelRecord | None = None) -> RecommendationModel:
    """The active (or the given) version, verified against its checksum."""
    registry = Registry(con)
    record = record or registry.active(NAME)
    return RecommendationModel.from_arrays(registry.arrays(record), record.params["model"])


def _checked_k(k: pa.Array, function: str) -> np.ndarray:
    ks = np.asarray(k.to_numpy(zero_copy_only=False), dtype=np.int64)
    bad = ks[(ks < 1) | (ks > MAX_K)]
    if len(bad):
        raise ValueError(f"{function}: k = {int(bad[0])} — give 1 <= k <= {MAX_K}")
    return ks


def _lists(model: RecommendationModel, columns: np.ndarray, scores: np.ndarray, ks: np.ndarray) -> pa.Array:
    """One list per row: the first ``k`` valid (column, score) pairs as structs of product id and score."""
    width = columns.shape[1]
    keep = (columns >= 0) & (np.arange(width)[None, :] < ks[:, None])
    lengths = keep.sum(axis=1)
    offsets = np.concatenate([[0], np.cumsum(lengths)]).astype(np.int32)
    products = model.product_array.take(pa.array(columns[keep]))
    values = pa.array(scores[keep].astype(np.float64), type=pa.float64())
    items = pa.StructArray.from_arrays([products, values], names=["product_id", "score"])
    return pa.ListArray.from_arrays(pa.array(offsets, type=pa.int32()), items, type=_RESULT_TYPE)


def _segment_lookup(con: duckdb.DuckDBPyConnection, model: RecommendationModel) -> dict[str, int]:
    """customer id -> row in the model's segments, for customers the model does not know (from
    ``customer_segments`` when this connection has it)."""
    try:
        segments = data.load_segments(con)
    except duckdb.Error:
        return {}
    index = {s: i for i, s in enumerate(model.segments)}
    return {c: index[s] for c, s in segments.items() if s in index}


def _fingerprint(interactions: data.Interactions) -> str:
    digest = hashlib.sha256()
    matrix = interactions.matrix
    for part in (matrix.indptr, matrix.indices, matrix.data):
        digest.update(np.ascontiguousarray(part).tobytes())
    digest.update("\n".join(interactions.customers + interactions.products).encode())
    return digest.hexdigest()


class Recommendation(ModelKind):
    """What to offer whom: popularity, segment popularity, item cosine, EASE and a Keras two-tower model,
    compared on the last days."""

    name = NAME
    reads = ("customer_product_interactions", "stg_order_lines")
    options = ("seed", "k", "epochs", "holdout_days", "candidates")
    # float32 scores, summed in 2,048-row vectors in SQL and all rows at once in numpy: the BLAS blocks them
    # differently, so they agree to float32's precision (~1e-7), not beyond
    sql_python_rtol = 1e-6

    def sql_and_python(self, con: duckdb.DuckDBPyConnection, record: ModelRecord) -> tuple[np.ndarray, np.ndarray]:
        """``recommend(customer_id, 5)`` for every customer with purchases (product column, then score, per
        rank), and the numpy model's top 5 with the bought products excluded; tied products (scores within
        ``TIE``) in product order in both."""
        model = load(con, record)
        frame = con.execute("SELECT customer_id, recommend(customer_id, 5) AS top FROM (SELECT DISTINCT customer_id"
                            " FROM customer_product_interactions) ORDER BY customer_id").df()
        columns, scores = model.recommend(model.customer_rows(pd.Index(frame["customer_id"], dtype=object)), 5)
        sql_columns = np.full(columns.shape, -1.0)
        sql_scores = np.full(scores.shape, np.nan)
        for i, top in enumerate(frame["top"]):
            for j, item in enumerate(top):
                sql_columns[i, j] = model.product_index([item["product_id"]])[0]
                sql_scores[i, j] = item["score"]
        python_columns = np.where(columns >= 0, columns, -1).astype(np.float64)
        sql = _ties_in_product_order(sql_columns, sql_scores)
        python = _ties_in_product_order(python_columns, scores.astype(np.float64))
        return np.concatenate([sql[0].ravel(), sql[1].ravel()]), np.concatenate([python[0].ravel(), python[1].ravel()])

    def training_lines(self, result: RecommendationTraining, record: ModelRecord) -> list[str]:
        """Every candidate beside popularity on the holdout, the winner, and what was registered."""
        from .report import training_lines

        return training_lines(result, record)

    def train(self, context: TrainContext, holdout_days: int = 30, k: int = 10, epochs: int | None = None,
              seed: int = 0, candidates: str | None = None) -> tuple[RecommendationTraining, ModelRecord]:
        """Compare the candidates on the last ``holdout_days`` days, register the refitted winner as active.

        The holdout scores segments on the features as of the cutoff (the project's SQL rerun, see
        :mod:`marketsql.models.asof`), never on today's segments, which have seen the holdout period."""
        con, views, progress = context.con, context.views, context.progress
        from .keras_model import KerasSettings

        if holdout_days < 1:
            raise ModelError(f"--holdout-days {holdout_days}: give at least 1 day")
        if epochs is not None and epochs < 1:
            raise ModelError(f"--epochs {epochs}: give at least 1 epoch")
        if not 1 <= k <= MAX_K:
            raise ModelError(f"--k {k}: give 1 <= k <= {MAX_K}")
        names = tuple(c.strip() for c in candidates.split(",")) if candidates else CANDIDATES
        unknown = [c for c in names if c not in CANDIDATES]
        if unknown or "popularity" not in names:
            raise ModelError(f"--candidates {candidates}: use popularity plus any of {', '.join(CANDIDATES[1:])}")
        settings = KerasSettings(seed=seed, **({"epochs": epochs} if epochs else {}))
        cutoff = data.holdout_cutoff(con, holdout_days)
        data.check_enough(con, cutoff, holdout_days)
        features = views.get("customer_features") if views else None
        segments = segments_as_of(con, features.sql, cutoff) if features else None
        split = data.load_training(con, cutoff, segments=segments)
        relevant = data.load_holdout(con, split, cutoff)
        full = data.load_training(con)
        result = train_recommendation((split, relevant), full, k, names, settings, cutoff, progress)
        arrays, meta = result.model.to_arrays()
        params = {"model": meta, "chosen": result.chosen, "selection": result.selection, "holdout_days": holdout_days,
                  "k": k, "seed": seed, "keras": vars(settings), "candidates": list(names)}
        metrics = {**result.metrics(), "candidates": json_safe(result.candidates.to_dict(orient="records")),
                   "epoch_seconds": result.epoch_seconds}
        record = context.register(self, result.chosen, params, ["customer_product_interactions"], metrics, arrays,
                                  _fingerprint(full))
        return result, record

    def compile(self, con: duckdb.DuckDBPyConnection, record: ModelRecord) -> None:
        """Record which version serves (``meta.active_recommendation``); the functions themselves are UDFs."""
        con.execute("CREATE OR REPLACE TABLE meta.active_recommendation AS SELECT ? AS version, ? AS candidate,"
                    " ? AS source", [record.version, record.params["chosen"], SOURCES[record.params["chosen"]]])

    def compile_untrained(self, con: duckdb.DuckDBPyConnection) -> None:
        """Stand-in macros that fail with what to run."""
        for name, (params, _) in FUNCTIONS.items():
            con.execute(f"CREATE OR REPLACE MACRO {name}({params}) AS error({literal(self.untrained)})")

    def udfs(self, con: duckdb.DuckDBPyConnection, record: ModelRecord) -> list[Udf]:
        """The SQL functions of the module docstring, scoring the active version with numpy."""
        model = load(con, record)
        segment_rows = _segment_lookup(con, model)
        chosen = SOURCES[record.params["chosen"]]

        def customers(ids: pa.Array) -> tuple[np.ndarray, np.ndarray]:
            users = model.customer_rows(pd.Index(ids.to_numpy(zero_copy_only=False), dtype=object))
            unknown = users < 0
            segments = np.full(len(users), -1, dtype=np.int64)
            if unknown.any():
                keys = ids.take(pa.array(np.flatnonzero(unknown))).to_pylist()
                segments[unknown] = [segment_rows.get(str(key), -1) for key in keys]
            return users, segments

        def recommend_with(exclude: bool) -> Any:
            def recommend(customer_id: pa.Array, k: pa.Array) -> pa.Array:
                ks = _checked_k(k, "recommend")
                users, segments = customers(customer_id)
                columns, scores = model.recommend(users, int(ks.max(initial=1)), exclude, segments)
                return _lists(model, columns, scores, ks)
            return recommend

        def recommend_for_segment(segment_id: pa.Array, k: pa.Array) -> pa.Array:
            ks = _checked_k(k, "recommend_for_segment")
            columns, scores = model.for_segment(model.segment_index(segment_id.to_pylist()), int(ks.max(initial=1)))
            return _lists(model, columns, scores, ks)

        def similar_products(product_id: pa.Array, k: pa.Array) -> pa.Array:
            ks = _checked_k(k, "similar_products")
            columns, scores = model.similar(model.product_index(product_id.to_pylist()), int(ks.max(initial=1)))
            return _lists(model, columns, scores, ks)

        def recommendation_source(customer_id: pa.Array) -> pa.Array:
            users, segments = customers(customer_id)
            labels = np.where(users >= 0, chosen, np.where(segments >= 0, "segment popularity", "popularity"))
            return pa.array(labels.tolist(), type=pa.string())

        origin = "recommendation model"
        return [
            Udf("recommend", recommend_with(True), ("VARCHAR", "INTEGER"), RESULT, origin),
            Udf("recommend_including_bought", recommend_with(False), ("VARCHAR", "INTEGER"), RESULT, origin),
            Udf("recommend_for_segment", recommend_for_segment, ("INTEGER", "INTEGER"), RESULT, origin),
            Udf("similar_products", similar_products, ("VARCHAR", "INTEGER"), RESULT, origin),
            Udf("recommendation_source", recommendation_source, ("VARCHAR",), "VARCHAR", origin),
        ]


TIE = 1e-6  # scores closer than this are a tie: float32 sums in another order differ by ~1e-7


def _ties_in_product_order(columns: np.ndarray, scores: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Top-k lists (rows of product columns and scores, best first) with the products of tied scores (consecutive
    scores within ``TIE``) put in product order, each keeping its score: two lists that differ only in the order
    of tied products become equal."""
    columns, scores = columns.copy(), scores.copy()
    for i in range(len(scores)):
        row = scores[i]
        starts = np.r_[0, np.flatnonzero(~(np.abs(np.diff(row)) < TIE)) + 1, row.size]
        for a, b in zip(starts[:-1], starts[1:], strict=True):
            if b - a > 1:
                order = a + np.argsort(columns[i, a:b], kind="stable")
                columns[i, a:b], scores[i, a:b] = columns[i, order], row[order]
    return columns, scores
