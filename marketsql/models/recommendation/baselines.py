"""The simple candidates, fitted in numpy: popularity, popularity within the customer's segment,
item-item cosine co-occurrence, and EASE (a closed-form linear item-item model, Steck 2019).

Each returns a :class:`RecommendationModel`, so the holdout scores exactly what would be served.
"""

from __future__ import annotations

from typing import Any

import numpy as np
from scipy import sparse

from .data import Interactions
from .model import RecommendationModel

MAX_DENSE_ITEMS = 20_000  # the item-item models hold an n_products x n_products matrix


def common(train: Interactions) -> dict[str, Any]:
    """The parts every candidate shares: ids, history, global and per-segment popularity."""
    matrix = train.matrix.tocsr()
    popularity = np.asarray(matrix.sum(axis=0)).ravel()
    fields: dict[str, Any] = dict(
        customers=train.customers, products=train.products, history_indptr=matrix.indptr,
        history_indices=matrix.indices, history_weights=matrix.data, popularity=popularity,
    )
    if train.segments:
        segments = sorted(set(train.segments.values()))
        index = {s: i for i, s in enumerate(segments)}
        rows = np.array([index.get(train.segments.get(c, -1), -1) for c in train.customers], dtype=np.int64)
        per_segment = np.zeros((len(segments), len(train.products)))
        for i in range(len(segments)):
            members = np.flatnonzero(rows == i)
            per_segment[i] = np.asarray(matrix[members].sum(axis=0)).ravel()
        fields.update(segments=segments, segment_popularity=per_segment, customer_segment=rows)
    return fields


def popularity(train: Interactions) -> RecommendationModel:
    """Everyone gets the products with the highest total interaction weight."""
    return RecommendationModel("popularity", **common(train))


def segment_popularity(train: Interactions) -> RecommendationModel | None:
    """Each customer gets what is most popular in their segment (None without segments)."""
    fields = common(train)
    return RecommendationModel("segment_popularity", **fields) if "segments" in fields else None


def item_cosine(train: Interactions) -> RecommendationModel:
    """score(u, j) = sum over bought i of w(u, i) * cos(i, j), cosine over who bought the items."""
    binary = _binary(train.matrix)
    co = (binary.T @ binary).toarray().astype(np.float64)
    norms = np.sqrt(np.diag(co))
    norms[norms == 0] = 1.0
    similarity = co / norms[:, None] / norms[None, :]
    np.fill_diagonal(similarity, 0.0)
    return RecommendationModel("item_item", item_matrix=similarity.astype(np.float32), **common(train))


def ease(train: Interactions, l2: float = 300.0) -> RecommendationModel:
    """EASE: B = argmin ||X - XB||^2 + l2 ||B||^2 with diag(B) = 0, in closed form from (X'X + l2 I)^-1."""
    binary = _binary(train.matrix)
    gram = (binary.T @ binary).toarray().astype(np.float64)
    gram[np.diag_indices_from(gram)] += l2
    precision = np.linalg.inv(gram)
    weights = -precision / np.diag(precision)[None, :]
    np.fill_diagonal(weights, 0.0)
    return RecommendationModel("item_item", item_matrix=weights.astype(np.float32), **common(train))


def _binary(matrix: sparse.csr_matrix) -> sparse.csr_matrix:
    binary = matrix.copy().tocsr()
    binary.data = np.ones_like(binary.data, dtype=np.float32)
    return binary
