"""The purchase sequence the Keras candidate reads: each customer's last ``STEPS`` order lines before the analysis
date (oldest first) — product, category and days before the analysis date.

The same SQL (the view ``propensity_sequences``, sql/features/propensity_sequences.sql) serves training and scoring:
training reruns it as of each cutoff through :func:`marketsql.models.asof.features_as_of` (so a step is always a
line strictly before the cutoff); the mart joins it as of the project's analysis date. Products and categories
become integer tokens by a vocabulary taken from the fit cutoffs (0 = padding, 1 = unknown).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date
from typing import Any

import duckdb
import numpy as np
import pandas as pd

from marketsql.errors import ModelError

STEPS = 20  # how many of the latest order lines the network reads (as many as the view's lists hold)
PRODUCTS = 500  # the most-bought products get a token of their own; the others share "unknown"
COLUMNS = ("seq_products", "seq_categories", "seq_days")


def sequences_as_of(con: duckdb.DuckDBPyConnection, views: Mapping[str, Any], cutoff: date) -> pd.DataFrame:
    """The project's ``propensity_sequences`` view as of ``cutoff``: every customer with a line before it."""
    from marketsql.models.asof import features_as_of

    if "propensity_sequences" not in views:
        raise ModelError("the project has no propensity_sequences view — restore sql/features/propensity_sequences.sql"
                         " or leave keras out of --candidates")
    return features_as_of(con, views["propensity_sequences"].sql, cutoff)


@dataclass(frozen=True)
class Vocabulary:
    """Product and category tokens: index ``i`` of ``products`` is token ``i + 2`` (0 padding, 1 unknown)."""

    products: tuple[str, ...]
    categories: tuple[str, ...]

    @classmethod
    def of(cls, frames: Iterable[pd.DataFrame], limit: int = PRODUCTS) -> Vocabulary:
        """The ``limit`` most frequent products (ties by id) and every category of the given sequences."""
        products = pd.concat([f["seq_products"].explode() for f in frames]).dropna()
        categories = pd.concat([f["seq_categories"].explode() for f in frames]).dropna()
        counts = products.value_counts()
        ranked = sorted(counts.items(), key=lambda kv: (-kv[1], str(kv[0])))[:limit]
        return cls(tuple(str(p) for p, _ in ranked), tuple(sorted(str(c) for c in categories.unique())))

    def encode(self, products: Sequence, categories: Sequence, days: Sequence,
               steps: int = STEPS) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """Left-padded (rows × steps) product tokens, category tokens and scaled days (log1p(days) / 6) from one
        list (or None) per row."""
        products, categories, days = (_lists(products), _lists(categories), _lists(days))
        n = len(products)
        lengths = np.array([0 if p is None else min(len(p), steps) for p in products], dtype=np.int64)
        tokens, cats, scaled = (np.zeros((n, steps), dtype=np.int32), np.zeros((n, steps), dtype=np.int32),
                                np.zeros((n, steps), dtype=np.float32))
        if not lengths.sum():
            return tokens, cats, scaled
        flat_p = np.concatenate([list(p)[-k:] for p, k in zip(products, lengths, strict=True) if k])
        flat_c = np.concatenate([list(c)[-k:] for c, k in zip(categories, lengths, strict=True) if k])
        flat_d = np.concatenate([np.asarray(d, dtype=np.float64)[-k:] for d, k in zip(days, lengths, strict=True) if k])
        rows = np.repeat(np.arange(n), lengths)
        cols = steps - np.concatenate([np.arange(k, 0, -1) for k in lengths if k])
        tokens[rows, cols] = _lookup(self.products, flat_p)
        cats[rows, cols] = _lookup(self.categories, flat_c)
        scaled[rows, cols] = np.log1p(np.maximum(flat_d, 0)) / 6.0
        return tokens, cats, scaled

    def frame(self, frame: pd.DataFrame, steps: int = STEPS) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """:meth:`encode` of a frame with the :data:`COLUMNS` (missing lists: no history)."""
        return self.encode(*(frame[c].tolist() if c in frame else [None] * len(frame) for c in COLUMNS), steps=steps)


def _lists(values: Sequence) -> list:
    """Each value as a list, or None (a NULL list, or NaN after a left merge)."""
    return [list(v) if isinstance(v, (list, tuple, np.ndarray)) else None for v in values]


def _lookup(vocabulary: tuple[str, ...], values: np.ndarray) -> np.ndarray:
    index = pd.Index(vocabulary).get_indexer(pd.Index(values.astype(str)))
    return np.where(index >= 0, index + 2, 1).astype(np.int32)
