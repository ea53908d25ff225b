"""The purchase sequence the Keras candidate reads: each customer's last ``STEPS`` order lines before the analysis
date (oldest first) — product, category and days before the analysis date.

The same SQL (the view ``propensity_sequences``, sql/features/propensity_sequences.sql) serves training and scoring:
training reruns it as of each cutoff through :func:`marketsql.models.asof.features_as_of` (so a step is always a
line strictly before the cutoff); the mart joins it as of the project's analysis date. Products and categories
become integer tokens by a vocabulary taken from the fit cutoffs (0 = padding, 1 = unknown).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import date
from typing import Any

import duckdb
import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from marketsql.core.sqltext import literal
from marketsql.errors import ModelError

STEPS = 20  # how many of the latest order lines the network reads (as many as the view's lists hold)
PRODUCTS = 500  # the most-bought products get a token of their own; the others share "unknown"
COLUMNS = ("seq_products", "seq_categories", "seq_days")
Steps = tuple[np.ndarray, np.ndarray, np.ndarray]  # product tokens, category tokens, scaled days (rows × steps)


def as_lists(steps_sql: str) -> str:
    """The steps of ``steps_sql`` (one row per customer and step, as the view) gathered into one row per customer:
    ``customer_id`` and the :data:`COLUMNS` lists, oldest step first."""
    return ("SELECT customer_id, list(product_id ORDER BY step DESC) AS seq_products,"
            " list(category ORDER BY step DESC) AS seq_categories, list(days ORDER BY step DESC) AS seq_days"
            f" FROM ({steps_sql}) AS s GROUP BY customer_id")


def sequences_as_of(con: duckdb.DuckDBPyConnection, views: Mapping[str, Any], cutoff: date) -> pa.Table:
    """The project's ``propensity_sequences`` view as of ``cutoff`` (as Arrow: the lists stay columnar), through the
    temporary ``analysis_date`` of :func:`marketsql.models.asof.features_as_of`."""
    if "propensity_sequences" not in views:
        raise ModelError("the project has no propensity_sequences view — restore sql/features/propensity_sequences.sql"
                         " or leave keras out of --candidates")
    con.execute("CREATE OR REPLACE TEMP VIEW analysis_date AS SELECT DATE"
                f" {literal(cutoff.isoformat())} AS analysis_date")
    try:
        return con.sql(as_lists(views["propensity_sequences"].sql)).to_arrow_table()
    finally:
        con.execute("DROP VIEW IF EXISTS temp.analysis_date")


def _list_array(column: Any) -> pa.ListArray:
    if isinstance(column, pa.ChunkedArray):
        column = column.combine_chunks() if column.num_chunks != 1 else column.chunk(0)
    return column


@dataclass(frozen=True)
class Vocabulary:
    """Product and category tokens: index ``i`` of ``products`` is token ``i + 2`` (0 padding, 1 unknown)."""

    products: tuple[str, ...]
    categories: tuple[str, ...]

    @classmethod
    def of(cls, tables: Iterable[pa.Table], limit: int = PRODUCTS) -> Vocabulary:
        """The ``limit`` most frequent products (ties by id) and every category of the given sequences."""
        tables = list(tables)
        products = pa.concat_arrays([_list_array(t["seq_products"]).flatten() for t in tables])
        categories = pa.concat_arrays([_list_array(t["seq_categories"]).flatten() for t in tables])
        counts = pc.value_counts(products.drop_null()).to_pylist()
        ranked = sorted(((str(c["values"]), int(c["counts"])) for c in counts), key=lambda kv: (-kv[1], kv[0]))
        return cls(tuple(p for p, _ in ranked[:limit]),
                   tuple(sorted(str(c) for c in pc.unique(categories.drop_null()).to_pylist())))

    def encode(self, products: Any, categories: Any, days: Any, steps: int = STEPS) -> Steps:
        """Left-padded (rows × steps) product tokens, category tokens and scaled days (log1p(days) / 6) of the last
        ``steps`` entries of Arrow list columns (a NULL list: no history); no Python loop over rows."""
        products, categories, days = _list_array(products), _list_array(categories), _list_array(days)
        n = len(products)
        tokens, cats = np.zeros((n, steps), dtype=np.int32), np.zeros((n, steps), dtype=np.int32)
        scaled = np.zeros((n, steps), dtype=np.float32)
        lengths = np.minimum(pc.fill_null(pc.list_value_length(products), 0).to_numpy(zero_copy_only=False), steps)
        total = int(lengths.sum())
        if not total:
            return tokens, cats, scaled
        ends = products.offsets.to_numpy()[1:]
        within = np.arange(total) - np.repeat(np.cumsum(lengths) - lengths, lengths)
        source = pa.array(np.repeat(ends - lengths, lengths) + within)
        rows, cols = np.repeat(np.arange(n), lengths), np.repeat(steps - lengths, lengths) + within
        tokens[rows, cols] = _lookup(self.products, products.values.take(source))
        cats[rows, cols] = _lookup(self.categories, categories.values.take(source))
        values = days.values.take(source).to_numpy(zero_copy_only=False).astype(np.float64)
        scaled[rows, cols] = np.log1p(np.maximum(np.nan_to_num(values), 0)) / 6.0
        return tokens, cats, scaled


class SequenceIndex:
    """Encoded sequences of several cutoffs (or one analysis date), found by (cutoff, customer id)."""

    def __init__(self, vocabulary: Vocabulary, tables: Mapping[Any, pa.Table], steps: int = STEPS) -> None:
        self.vocabulary, self.parts = vocabulary, {}
        encoded, offset = [], 0
        for day, table in tables.items():
            products, categories, days = (table[c] for c in COLUMNS)
            encoded.append(vocabulary.encode(products, categories, days, steps=steps))
            self.parts[day] = (offset, pd.Index(table["customer_id"].to_numpy(zero_copy_only=False).astype(str)))
            offset += table.num_rows
        encoded.append((np.zeros((1, steps), np.int32), np.zeros((1, steps), np.int32),
                        np.zeros((1, steps), np.float32)))
        self.empty = offset  # the last row: no history
        self.arrays = tuple(np.concatenate([e[i] for e in encoded]) for i in range(3))

    def steps(self, customers: Any, days: Any) -> Steps:
        """The encoded sequence of each (customer id, day) pair; none for a customer without lines before it."""
        customers = pd.Series(customers).astype(str).to_numpy()
        days = pd.Series(days).to_numpy()
        rows = np.full(len(customers), self.empty, dtype=np.int64)
        for day, (offset, index) in self.parts.items():
            mask = days == day
            if mask.any():
                found = index.get_indexer(customers[mask])
                rows[mask] = np.where(found >= 0, offset + found, self.empty)
        return tuple(a[rows] for a in self.arrays)  # type: ignore[return-value]


def _lookup(vocabulary: tuple[str, ...], values: pa.Array) -> np.ndarray:
    index = pc.index_in(values.cast(pa.string()), value_set=pa.array(vocabulary, type=pa.string()))
    return (pc.fill_null(index, -1).to_numpy(zero_copy_only=False) + 2).clip(1).astype(np.int32)
