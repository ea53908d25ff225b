"""Train a customer segmentation on ``customer_features`` and compare it with the RFM baselines.

Pipeline (fitted with scikit-learn, exported as a numpy ``SegmentationModel``), one module per step:

1. ``features``: input checks, ``log1p`` of skewed features, ``StandardScaler``, feature selection;
2. ``candidates``: KMeans, MiniBatchKMeans and GaussianMixture for each k in ``k_range`` on each
   feature set, scored by silhouette, Davies-Bouldin, Calinski-Harabasz, BIC and bootstrap stability;
3. ``select``: the selection rule (``SELECTION_RULE``);
4. ``rfm``: the RFM quintile and raw-RFM k-means baselines;
5. ``naming`` and ``profiles``: what each segment is called and what sets it apart.
"""

from __future__ import annotations

import math
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd
from sklearn.pipeline import Pipeline
from sklearn.preprocessing import FunctionTransformer, StandardScaler

from .candidates import fit_candidates, internal_metrics, stability
from .features import (
    TrainingError,
    feature_matrix,
    feature_sets,
    log_columns,
    log_flags,
    select_features,
    take_columns,
)
from .model import FEATURES, SegmentationModel
from .naming import segment_name, unique_names
from .profiles import profiles
from .rfm import baseline_beats_model, baselines
from .select import FINALIST_SAMPLE, select

__all__ = ["FIT_SIZE", "TrainingError", "TrainingResult", "train_segmentation"]

FIT_SIZE = 20_000  # candidates and their bootstrap refits are fitted on at most this many customers


@dataclass
class TrainingResult:
    """Everything ``train_segmentation`` learned, with the evidence for its choices."""

    model: SegmentationModel
    labels: np.ndarray
    customer_ids: list[str]
    candidates: pd.DataFrame
    selection: str
    feature_report: list[dict]
    baseline: dict
    profiles: pd.DataFrame
    dropped_rows: int
    seconds: float
    estimator: Any = field(default=None, repr=False)
    """The chosen candidate as a fitted scikit-learn ``Pipeline`` (log -> scale -> select -> cluster)."""
    _fits: dict = field(default_factory=dict, repr=False)
    _feature_sets: dict = field(default_factory=dict, repr=False)
    _build: Any = field(default=None, repr=False)

    def candidate_model(
        self, algorithm: str, k: int, features: str | None = None
    ) -> tuple[SegmentationModel, Any]:
        """Any candidate as (SegmentationModel, fitted sklearn Pipeline); features = a FEATURE_SETS name
        (default: the chosen candidate's feature set)."""
        features = features or str(self.chosen()["features"])
        key = (features, algorithm, int(k))
        if key not in self._fits:
            raise KeyError(f"no candidate {algorithm} k={k} on {features}; see result.candidates")
        est, labels = self._fits[key]
        return self._build(algorithm, est, labels, list(self._feature_sets[features]))

    def chosen(self) -> dict:
        row = self.candidates[self.candidates["selected"]].iloc[0]
        return row.to_dict()

    def metrics(self) -> dict:
        """JSON-able numbers for the chosen model and the baselines."""
        row = self.chosen()
        metrics: dict[str, Any] = {
            "kind": self.model.kind,
            "algorithm": str(row["algorithm"]),
            "feature_set": str(row["features"]),
            "k": int(row["k"]),
            "silhouette": _num(row["silhouette"]),
            "davies_bouldin": _num(row["davies_bouldin"]),
            "calinski_harabasz": _num(row["calinski_harabasz"]),
            "bic": _num(row["bic"]),
            "stability": _num(row["stability"]),
            "customers": len(self.customer_ids),
            "dropped_rows": int(self.dropped_rows),
            "features_kept": list(self.model.kept),
            "seconds": round(float(self.seconds), 3),
            "baseline": {
                name: {key: _num(value) if isinstance(value, float) else value for key, value in block.items()}
                for name, block in self.baseline.items()
            },
        }
        winner = baseline_beats_model(metrics["silhouette"], metrics["davies_bouldin"], metrics["baseline"])
        if winner:  # said, not acted on: the chosen segmentation is still the one served
            metrics["baseline_beats_model"] = winner
        return metrics


def _num(value: Any) -> float | None:
    if value is None:
        return None
    value = float(value)
    return value if math.isfinite(value) else None


def train_segmentation(
    frame: pd.DataFrame,
    k_range: range = range(3, 9),
    seed: int = 0,
    sample_size: int = 3_000,
    *,
    features: Sequence[str] | None = None,
    fit_size: int = FIT_SIZE,
) -> TrainingResult:
    """Fit, compare and select a segmentation of ``customer_features`` (see the module docstring).

    Selection rule: among candidates with stability >= 0.8 (mean adjusted Rand index between the
    candidate's labels and 3 bootstrap refits predicting the full data), maximise the silhouette
    (rounded to 3 decimals), ties broken by the lower Davies-Bouldin index; if no candidate is
    stable, take the most stable one.  The rule and the reason for the pick are in ``selection``.

    ``features`` (optional) restricts the features the clustering may use (a subset of ``FEATURES``);
    the others are reported as "excluded by the caller".  Every ``FEATURES`` column is still required
    and still standardised, so the model's ``segment(...)`` signature does not change.

    Candidates and their stability refits are fitted on a random subset of at most ``fit_size``
    customers (all of them below that); every customer is then labelled by the fitted model.

    Rows are processed in ``customer_id`` order (so the result does not depend on the row order of
    ``frame``); ``labels`` and ``customer_ids`` come back in that order.
    """
    started = time.perf_counter()
    ks = [int(k) for k in k_range]
    if not ks or min(ks) < 2:
        raise TrainingError(f"k_range {k_range!r}: give cluster counts >= 2, e.g. range(3, 9)")
    allowed = list(FEATURES) if features is None else [str(f) for f in features]
    unknown = [f for f in allowed if f not in FEATURES]
    if unknown or not allowed:
        raise TrainingError(f"features {unknown or '[]'}: choose a non-empty subset of {', '.join(FEATURES)}")
    if "customer_id" in frame.columns:  # results must not depend on the order the database returned rows in
        frame = frame.sort_values("customer_id", kind="stable").reset_index(drop=True)
    X, clean, ids = feature_matrix(frame)
    dropped = int((~clean).sum())
    n = len(X)
    kept_frame = frame.loc[clean] if dropped else frame
    ks = [k for k in ks if k < n]

    flags, skews = log_flags(X)
    log_idx = [j for j, flag in enumerate(flags) if flag]
    preprocess = Pipeline(
        [
            ("log", FunctionTransformer(log_columns, kw_args={"columns": log_idx})),
            ("scale", StandardScaler()),
        ]
    )
    Zall = preprocess.fit_transform(X)
    Xlog = preprocess.named_steps["log"].transform(X)
    kept, feature_report = select_features(X, Xlog, Zall, flags, skews, set(allowed))

    rng = np.random.default_rng(seed)
    sample = np.sort(rng.choice(n, size=min(n, sample_size), replace=False))
    fit_rows = np.sort(rng.choice(n, size=min(n, fit_size), replace=False))

    sets = feature_sets(kept)
    candidates, fits = fit_candidates(Zall, sets, ks, seed, fit_rows, sample)

    def candidate(i: int) -> tuple[str, int, np.ndarray, np.ndarray]:
        """(algorithm, k, its standardised data, its labels) of candidate row i."""
        row: dict[str, Any] = {str(key): value for key, value in candidates.loc[i].items()}
        Zs = Zall[:, [FEATURES.index(f) for f in sets[str(row["features"])]]]
        key = (str(row["features"]), str(row["algorithm"]), int(row["k"]))
        return key[1], key[2], Zs, fits[key][1]

    def measured_stability(i: int) -> float:
        algorithm, k, Zs, labels = candidate(i)
        return stability(algorithm, k, seed, Zs[fit_rows], labels[fit_rows])

    final_sample = np.sort(rng.choice(n, size=min(n, FINALIST_SAMPLE), replace=False))

    def refined_silhouette(i: int) -> float:
        _, _, Zs, labels = candidate(i)
        return internal_metrics(Zs, labels, final_sample)["silhouette"]

    best, selection = select(candidates, measured_stability, refined_silhouette)
    candidates.loc[best, "selected"] = True
    set_name = str(candidates.loc[best, "features"])
    algorithm = str(candidates.loc[best, "algorithm"])
    k = int(candidates["k"].iloc[best])
    est, labels = fits[(set_name, algorithm, k)]
    chosen_features = list(sets[set_name])
    Z = Zall[:, [FEATURES.index(f) for f in chosen_features]]
    scaler = preprocess.named_steps["scale"]
    zcols = [FEATURES.index(f) for f in ("recency_days", "frequency", "monetary", "avg_basket_value", "tenure_days")]
    medians = np.median(X, axis=0)

    def name_of(z: np.ndarray) -> str:
        recency, frequency, monetary, basket, tenure = (float(v) for v in z[zcols])
        return segment_name(recency, frequency, monetary, basket, tenure, others=dict(zip(FEATURES, z.tolist())))

    def build(
        algorithm: str, est: Any, labels: np.ndarray, kept: list[str] = chosen_features
    ) -> tuple[SegmentationModel, Pipeline]:
        select = FunctionTransformer(take_columns, kw_args={"columns": [FEATURES.index(f) for f in kept]})
        kind = "gmm" if algorithm == "gmm" else "kmeans"
        means = est.means_ if kind == "gmm" else est.cluster_centers_
        k = len(means)
        zmeans = np.array(
            [Zall[labels == s].mean(axis=0) if (labels == s).any() else np.zeros(len(FEATURES)) for s in range(k)]
        )
        names = unique_names([name_of(zmeans[s]) for s in range(k)], zmeans)
        model = SegmentationModel(
            features=list(FEATURES),
            log_features=[FEATURES[j] for j in log_idx],
            center=scaler.mean_.copy(),
            scale=scaler.scale_.copy(),
            kept=kept,
            kind=kind,
            means=means.copy(),
            precisions_cholesky=est.precisions_cholesky_.copy() if kind == "gmm" else None,
            weights=est.weights_.copy() if kind == "gmm" else None,
            names=names,
            medians=medians.copy(),
        )
        pipeline = Pipeline(
            [("log", preprocess.named_steps["log"]), ("scale", scaler), ("select", select), ("cluster", est)]
        )
        return model, pipeline

    model, estimator = build(algorithm, est, labels)
    names = model.names
    baseline = baselines(kept_frame, X, Z, sample, k, seed)
    segment_profiles = profiles(X, Zall, labels, k, names)
    return TrainingResult(
        model=model,
        labels=np.asarray(labels, dtype=np.int64),
        customer_ids=[str(c) for c in ids[clean].tolist()],
        candidates=candidates,
        selection=selection,
        feature_report=feature_report,
        baseline=baseline,
        profiles=segment_profiles,
        dropped_rows=dropped,
        seconds=time.perf_counter() - started,
        estimator=estimator,
        _fits=fits,
        _feature_sets=sets,
        _build=build,
    )
