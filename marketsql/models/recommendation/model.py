"""The portable fitted recommender: numpy arrays only, no TensorFlow, no scikit-learn.

``RecommendationModel`` is what every candidate becomes once fitted, what the holdout evaluation
scores, what the registry stores and what the SQL functions call (from several threads at once:
everything here is read-only after construction). Scores of known customers, by ``scorer``:

- ``popularity``:          ``popularity[i]`` (the same list for everyone);
- ``segment_popularity``:  ``segment_popularity[segment of the customer, i]``;
- ``item_item``:           ``history[u] @ item_matrix`` (cosine co-occurrence or EASE weights);
- ``embedding``:           ``user_factors[u] @ item_factors.T + item_bias`` (the Keras model's export).

A customer the model does not know gets the popularity of their segment (if the segment is known)
or the global popularity. Already-bought products are excluded unless asked otherwise.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pandas as pd
import pyarrow as pa

SCORERS = ("popularity", "segment_popularity", "item_item", "embedding")
MAX_K = 1000
"""The largest ``k`` accepted by ``recommend``/``recommend_for_segment``/``similar_products``."""


@dataclass
class RecommendationModel:
    """A fitted recommender over ``customers`` x ``products`` (ids as text)."""

    scorer: str
    customers: list[str]
    products: list[str]
    history_indptr: np.ndarray  # CSR of the training interactions: customer rows, product columns
    history_indices: np.ndarray
    history_weights: np.ndarray
    popularity: np.ndarray  # (n_products,)
    segments: list[int] = field(default_factory=list)  # segment ids (of the segmentation model)
    segment_popularity: np.ndarray | None = None  # (n_segments, n_products)
    customer_segment: np.ndarray | None = None  # (n_customers,) index into segments, -1 unknown
    item_matrix: np.ndarray | None = None  # (n_products, n_products), item_item
    user_factors: np.ndarray | None = None  # (n_customers, d), embedding
    item_factors: np.ndarray | None = None  # (n_products, d), embedding
    item_bias: np.ndarray | None = None  # (n_products,), embedding
    neighbours: np.ndarray | None = None  # (n_products, n) most similar product columns, best first, -1 pads
    neighbour_scores: np.ndarray | None = None  # (n_products, n) their similarity
    segment_scores: np.ndarray | None = None  # (n_segments, n_products) what to offer each segment

    def __post_init__(self) -> None:
        if self.scorer not in SCORERS:
            raise ValueError(f"scorer {self.scorer!r}: use one of {SCORERS}")
        self.customers = [str(c) for c in self.customers]
        self.products = [str(p) for p in self.products]
        n_users, n_items = len(self.customers), len(self.products)
        self.history_indptr = np.asarray(self.history_indptr, dtype=np.int64)
        self.history_indices = np.asarray(self.history_indices, dtype=np.int64)
        self.history_weights = np.asarray(self.history_weights, dtype=np.float32)
        self.popularity = np.asarray(self.popularity, dtype=np.float64)
        if self.history_indptr.shape != (n_users + 1,) or self.popularity.shape != (n_items,):
            raise ValueError("history_indptr must have n_customers + 1 entries and popularity n_products")
        if self.segment_popularity is not None:
            self.segment_popularity = np.asarray(self.segment_popularity, dtype=np.float64)
            self.customer_segment = np.asarray(self.customer_segment, dtype=np.int64)
            if self.segment_popularity.shape != (len(self.segments), n_items):
                raise ValueError("segment_popularity must have shape (n_segments, n_products)")
        if self.scorer == "segment_popularity" and self.segment_popularity is None:
            raise ValueError("a segment_popularity model needs segments")
        if self.scorer == "item_item":
            self.item_matrix = np.asarray(self.item_matrix, dtype=np.float32)
            if self.item_matrix.shape != (n_items, n_items):
                raise ValueError("item_matrix must have shape (n_products, n_products)")
        if self.scorer == "embedding":
            self.user_factors = np.asarray(self.user_factors, dtype=np.float32)
            self.item_factors = np.asarray(self.item_factors, dtype=np.float32)
            self.item_bias = np.asarray(self.item_bias, dtype=np.float32)
            d = self.item_factors.shape[1]
            if self.user_factors.shape != (n_users, d) or self.item_bias.shape != (n_items,):
                raise ValueError("user_factors, item_factors and item_bias do not fit together")
        if self.neighbours is not None:
            self.neighbours = np.asarray(self.neighbours, dtype=np.int64)
            self.neighbour_scores = np.asarray(self.neighbour_scores, dtype=np.float32)
        if self.segment_scores is not None:
            self.segment_scores = np.asarray(self.segment_scores, dtype=np.float32)
        # read-only lookups, shared by all threads
        self._customer_index = {c: i for i, c in enumerate(self.customers)}
        self._product_index = {p: i for i, p in enumerate(self.products)}
        self._segment_index = {s: i for i, s in enumerate(self.segments)}
        self._customer_lookup = pd.Index(self.customers, dtype=object)
        self._customer_lookup.get_indexer(pd.Index(self.customers[:1], dtype=object))  # build its hash table now
        self.product_array = pa.array(self.products, type=pa.string())  # for building result lists

    @property
    def n_products(self) -> int:
        return len(self.products)

    def customer_index(self, ids: list[str | None]) -> np.ndarray:
        """Row of each customer id, -1 for an unknown one (or None)."""
        get = self._customer_index.get
        return np.array([-1 if c is None else get(str(c), -1) for c in ids], dtype=np.int64)

    def customer_rows(self, ids: pd.Index) -> np.ndarray:
        """``customer_index`` for many ids at once (a vectorised hash lookup)."""
        return np.asarray(self._customer_lookup.get_indexer(ids), dtype=np.int64)

    def product_index(self, ids: list[str | None]) -> np.ndarray:
        """Column of each product id, -1 for an unknown one (or None)."""
        get = self._product_index.get
        return np.array([-1 if p is None else get(str(p), -1) for p in ids], dtype=np.int64)

    def segment_index(self, ids: list[int | None]) -> np.ndarray:
        """Row of each segment id in ``segment_popularity``, -1 for an unknown one."""
        get = self._segment_index.get
        return np.array([-1 if s is None else get(int(s), -1) for s in ids], dtype=np.int64)

    def history_dense(self, users: np.ndarray) -> np.ndarray:
        """The training interaction weights of known customers as a dense ``(len(users), n_products)`` block."""
        out = np.zeros((len(users), self.n_products), dtype=np.float32)
        rows, positions = self._history_positions(users)
        out[rows, self.history_indices[positions]] = self.history_weights[positions]
        return out

    def _history_positions(self, users: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """(row in ``users``, position in the CSR arrays) of every training interaction of ``users``."""
        starts, ends = self.history_indptr[users], self.history_indptr[users + 1]
        lengths = ends - starts
        offsets = np.cumsum(lengths) - lengths
        positions = np.repeat(starts - offsets, lengths) + np.arange(int(lengths.sum()))
        return np.repeat(np.arange(len(users)), lengths), positions

    def scores(self, users: np.ndarray) -> np.ndarray:
        """Scores ``(len(users), n_products)`` of known customers (rows of ``customers``)."""
        if self.scorer == "popularity":
            return np.broadcast_to(self.popularity, (len(users), self.n_products)).astype(np.float32)
        if self.scorer == "segment_popularity":
            assert self.segment_popularity is not None and self.customer_segment is not None
            return self._segment_or_global(self.customer_segment[users])
        if self.scorer == "item_item":
            assert self.item_matrix is not None
            return self.history_dense(users) @ self.item_matrix
        assert self.user_factors is not None and self.item_factors is not None and self.item_bias is not None
        return self.user_factors[users] @ self.item_factors.T + self.item_bias

    def fallback_scores(self, segment_rows: np.ndarray) -> np.ndarray:
        """Scores for customers the model does not know: their segment's popularity, else the global one."""
        return self._segment_or_global(segment_rows)

    def _segment_or_global(self, segment_rows: np.ndarray) -> np.ndarray:
        out = np.broadcast_to(self.popularity, (len(segment_rows), self.n_products)).astype(np.float32)
        if self.segment_popularity is not None:
            known = segment_rows >= 0
            out[known] = self.segment_popularity[segment_rows[known]]
        return out

    def recommend(
        self, users: np.ndarray, k: int, exclude_bought: bool = True, segment_rows: np.ndarray | None = None
    ) -> tuple[np.ndarray, np.ndarray]:
        """Top-``k`` product columns and scores per customer row (-1 = unknown customer, who gets the
        fallback of ``segment_rows``). Columns ``-1`` pad rows with fewer than ``k`` candidates."""
        users = np.asarray(users, dtype=np.int64)
        known = users >= 0
        if known.all():
            scores = np.asarray(self.scores(users), dtype=np.float32)  # a fresh array: no copy needed
        else:
            scores = np.empty((len(users), self.n_products), dtype=np.float32)
            if known.any():
                scores[known] = self.scores(users[known])
        if (~known).any():
            rows = segment_rows[~known] if segment_rows is not None else np.full(int((~known).sum()), -1)
            scores[~known] = self.fallback_scores(rows)
        if exclude_bought and known.any():
            self._exclude_bought(scores, users)
        return top_k(scores, k)

    def _exclude_bought(self, scores: np.ndarray, users: np.ndarray) -> None:
        rows = np.flatnonzero(users >= 0)
        within, positions = self._history_positions(users[rows])
        scores[rows[within], self.history_indices[positions]] = -np.inf

    def similar(self, product_rows: np.ndarray, k: int) -> tuple[np.ndarray, np.ndarray]:
        """The ``k`` most similar products of each product column (unknown rows -1 get nothing)."""
        if self.neighbours is None or self.neighbour_scores is None:
            raise ValueError("this model has no product neighbours; set them with with_extras()")
        k = min(k, self.neighbours.shape[1])
        known = product_rows >= 0
        columns = np.full((len(product_rows), k), -1, dtype=np.int64)
        values = np.full((len(product_rows), k), np.nan, dtype=np.float32)
        columns[known] = self.neighbours[product_rows[known], :k]
        values[known] = self.neighbour_scores[product_rows[known], :k]
        return columns, values

    def for_segment(self, segment_rows: np.ndarray, k: int) -> tuple[np.ndarray, np.ndarray]:
        """Top-``k`` products to offer each segment row (unknown rows -1 get nothing)."""
        if self.segment_scores is None:
            scores = np.full((len(segment_rows), self.n_products), -np.inf, dtype=np.float32)
        else:
            scores = np.where((segment_rows >= 0)[:, None], self.segment_scores[np.maximum(segment_rows, 0)],
                              -np.inf).astype(np.float32)
            scores[scores <= 0] = -np.inf  # offered to none of the segment's customers
        return top_k(scores, k)

    def to_arrays(self) -> tuple[dict[str, np.ndarray], dict]:
        """Numeric arrays and JSON-able metadata; ``from_arrays`` rebuilds the same model."""
        arrays: dict[str, np.ndarray | None] = {
            "history_indptr": self.history_indptr, "history_indices": self.history_indices,
            "history_weights": self.history_weights, "popularity": self.popularity,
            "segment_popularity": self.segment_popularity, "customer_segment": self.customer_segment,
            "item_matrix": self.item_matrix, "user_factors": self.user_factors,
            "item_factors": self.item_factors, "item_bias": self.item_bias, "neighbours": self.neighbours,
            "neighbour_scores": self.neighbour_scores, "segment_scores": self.segment_scores,
        }
        meta = {"scorer": self.scorer, "customers": self.customers, "products": self.products,
                "segments": [int(s) for s in self.segments]}
        return {k: np.array(v, copy=True) for k, v in arrays.items() if v is not None}, meta

    @classmethod
    def from_arrays(cls, arrays: dict[str, np.ndarray], meta: dict) -> RecommendationModel:
        return cls(scorer=meta["scorer"], customers=meta["customers"], products=meta["products"],
                   segments=[int(s) for s in meta["segments"]], **arrays)


def top_k(scores: np.ndarray, k: int) -> tuple[np.ndarray, np.ndarray]:
    """Columns and values of the ``k`` highest finite scores per row, best first;
    ``-1`` / NaN pad rows with fewer than ``k`` finite scores."""
    n, m = scores.shape
    k = min(k, m)
    if k <= 0 or n == 0:
        return np.empty((n, 0), dtype=np.int64), np.empty((n, 0), dtype=np.float32)
    part = np.argpartition(scores, m - k, axis=1)[:, m - k:] if k < m else np.tile(np.arange(m), (n, 1))
    rows = np.arange(n)[:, None]
    values = scores[rows, part]
    order = np.argsort(-values, axis=1)
    columns = part[rows, order]
    values = values[rows, order].astype(np.float32, copy=False)
    missing = ~np.isfinite(values)
    if missing.any():
        columns[missing] = -1
        values[missing] = np.nan
    return columns, values
