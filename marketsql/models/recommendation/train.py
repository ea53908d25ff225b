"""Compare the candidates on a time holdout, choose one, refit it on all data.

1. Split: interactions before ``cutoff = analysis_date - holdout_days`` train; purchases in
   ``[cutoff, analysis_date)`` by customers seen before, of products they had not bought, are the
   relevant items (:mod:`.data`).
2. Every candidate is fitted on the training part and scored by :func:`.metrics.evaluate` at k.
3. The highest NDCG@k wins (ties to the simpler candidate, in the order of ``CANDIDATES``); it is
   refitted on every interaction (the view ``customer_product_interactions``) with the same settings.
4. The refit model gets its extras: the most similar products of each product (cosine of the Keras
   product vectors when the Keras model won, else cosine co-occurrence), and per segment the share of
   its customers whose personal top k holds each product (what to offer that group).
"""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field, replace
from datetime import date
from typing import Any

import numpy as np
import pandas as pd

from marketsql.errors import ModelError

from . import baselines
from .data import Interactions
from .keras_model import KerasSettings, train_two_tower
from .metrics import evaluate
from .model import RecommendationModel, top_k

CANDIDATES = ("popularity", "segment_popularity", "item_cosine", "ease", "two_tower")
NEIGHBOURS = 100  # similar products kept per product


@dataclass
class Fitted:
    """One fitted candidate and what fitting it cost."""

    model: RecommendationModel
    seconds: float
    epoch_seconds: list[float] = field(default_factory=list)


@dataclass
class RecommendationTraining:
    """The comparison on the holdout, the choice, and the refitted model."""

    candidates: pd.DataFrame  # one row per candidate: metrics at k, fit seconds, selected
    chosen: str
    model: RecommendationModel
    selection: str
    k: int
    cutoff: date | None
    epoch_seconds: list[float] = field(default_factory=list)

    def metrics(self) -> dict[str, Any]:
        """The chosen candidate's holdout metrics, and the popularity baseline's."""
        rows: dict[str, Any] = {str(r["candidate"]): r for r in self.candidates.to_dict(orient="records")}
        chosen, popular = rows[self.chosen], rows["popularity"]
        names = ("precision", "recall", "ndcg", "map", "coverage")
        return {
            "candidate": self.chosen, "k": self.k, "cutoff": str(self.cutoff) if self.cutoff else None,
            "holdout_customers": int(chosen["customers"]),
            **{f"{m}_at_k": float(chosen[m]) for m in names},
            "baseline": {f"{m}_at_k": float(popular[m]) for m in names},
            "ndcg_lift_over_popularity": _lift(float(chosen["ndcg"]), float(popular["ndcg"])),
        }


def fit(name: str, train: Interactions, settings: KerasSettings) -> Fitted | None:
    """Fit one candidate (None when it does not apply, e.g. segment popularity without segments)."""
    started = time.perf_counter()
    epochs: list[float] = []
    model: RecommendationModel | None
    if name == "popularity":
        model = baselines.popularity(train)
    elif name == "segment_popularity":
        model = baselines.segment_popularity(train)
    elif name in ("item_cosine", "ease"):
        if len(train.products) > baselines.MAX_DENSE_ITEMS:
            return None
        model = baselines.item_cosine(train) if name == "item_cosine" else baselines.ease(train)
    elif name == "two_tower":
        result = train_two_tower(train, settings)
        model, epochs = result.model, result.epoch_seconds
    else:
        raise ModelError(f"unknown candidate {name!r} — use some of {', '.join(CANDIDATES)}")
    return None if model is None else Fitted(model, time.perf_counter() - started, epochs)


def compare(
    train: Interactions, relevant: dict[int, np.ndarray], k: int = 10, candidates: Sequence[str] = CANDIDATES,
    settings: KerasSettings | None = None, progress: Callable[[str], None] | None = None,
) -> tuple[pd.DataFrame, dict[str, Fitted]]:
    """Fit each candidate on ``train`` and evaluate it on ``relevant``; a table and the fitted models."""
    say = progress or (lambda message: None)
    settings = settings or KerasSettings()
    rows, fitted = [], {}
    for name in candidates:
        say(f"recommendation: fitting {name}")
        result = fit(name, train, settings)
        if result is None:
            continue
        fitted[name] = result
        scores = evaluate(result.model, relevant, k)
        epoch = float(np.mean(result.epoch_seconds)) if result.epoch_seconds else None
        rows.append({"candidate": name, **scores, "fit_seconds": result.seconds, "epoch_seconds": epoch})
    return pd.DataFrame(rows), fitted


def choose(table: pd.DataFrame) -> tuple[str, str]:
    """The candidate with the highest NDCG (first in ``CANDIDATES`` order on ties) and why."""
    if table.empty or table["customers"].max() == 0:
        raise ModelError("the holdout has no purchases of new products by customers seen before the cutoff"
                         " — lengthen --holdout-days or load more history")
    best: Any = table.sort_values("ndcg", ascending=False, kind="stable").to_dict(orient="records")[0]
    popular = float(table.loc[table["candidate"] == "popularity", "ndcg"].iloc[0])
    lift = _lift(float(best["ndcg"]), popular)
    versus = f", {lift:+.0%}" if lift is not None else ""
    why = (f"chose {best['candidate']}: highest NDCG on the holdout ({best['ndcg']:.4f};"
           f" popularity {popular:.4f}{versus})")
    return str(best["candidate"]), why


def with_extras(model: RecommendationModel, train: Interactions, k: int) -> RecommendationModel:
    """Add similar-product neighbours and per-segment offers to a fitted model."""
    if model.scorer == "embedding" and model.item_factors is not None:
        vectors = model.item_factors / np.maximum(np.linalg.norm(model.item_factors, axis=1, keepdims=True), 1e-12)
        similarity = vectors @ vectors.T
    elif len(train.products) <= baselines.MAX_DENSE_ITEMS:
        cosine = baselines.item_cosine(train).item_matrix
        assert cosine is not None
        similarity = cosine.copy()
        similarity[similarity <= 0] = -np.inf  # never bought together: not similar
    else:
        similarity = np.full((model.n_products, model.n_products), -np.inf, dtype=np.float32)
    np.fill_diagonal(similarity, -np.inf)
    neighbours, neighbour_scores = top_k(similarity.astype(np.float32), min(NEIGHBOURS, model.n_products))
    segment_scores = None
    if model.segment_popularity is not None and model.customer_segment is not None:
        segment_scores = np.zeros((len(model.segments), model.n_products), dtype=np.float32)
        for start in range(0, len(model.customers), 4096):
            users = np.arange(start, min(start + 4096, len(model.customers)))
            columns, _ = model.recommend(users, k)
            segments = np.repeat(model.customer_segment[users], columns.shape[1])
            keep = (segments >= 0) & (columns.ravel() >= 0)
            np.add.at(segment_scores, (segments[keep], columns.ravel()[keep]), 1.0)
        sizes = np.bincount(model.customer_segment[model.customer_segment >= 0], minlength=len(model.segments))
        segment_scores /= np.maximum(sizes, 1)[:, None]
    return replace(model, neighbours=neighbours, neighbour_scores=neighbour_scores, segment_scores=segment_scores)


def train_recommendation(
    holdout: tuple[Interactions, dict[int, np.ndarray]], full: Interactions, k: int = 10,
    candidates: Sequence[str] = CANDIDATES, settings: KerasSettings | None = None, cutoff: date | None = None,
    progress: Callable[[str], None] | None = None,
) -> RecommendationTraining:
    """Compare on the holdout, choose, refit the winner on ``full``, add its extras."""
    table, fitted = compare(*holdout, k=k, candidates=candidates, settings=settings, progress=progress)
    chosen, why = choose(table)
    table["selected"] = table["candidate"] == chosen
    if progress:
        progress(f"recommendation: refitting {chosen} on all data")
    refit = fit(chosen, full, settings or KerasSettings())
    assert refit is not None
    model = with_extras(refit.model, full, k)
    return RecommendationTraining(table, chosen, model, why, k, cutoff, refit.epoch_seconds)


def _lift(value: float, baseline: float) -> float | None:
    return None if baseline <= 0 else value / baseline - 1.0
