"""The feature matrix of a segmentation: input checks, skew logs and feature selection.

1. inputs: the ``FEATURES`` columns; rows with NaN/inf in any of them are dropped and counted;
2. ``log1p(max(x, 0))`` on every non-negative feature whose training skewness is > ``SKEW_LOG``;
3. ``StandardScaler`` (in ``train``);
4. feature selection: drop near-constant features (std after the log step ~ 0, or one value in more
   than ``NEAR_CONSTANT_SHARE`` of rows), then, of every pair with |Pearson r| > ``MAX_CORRELATION`` on
   the standardised data, drop the one that comes later in ``FEATURES`` order.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from marketsql.errors import ModelError

from .model import FEATURES, MIN_CUSTOMERS

SKEW_LOG = 1.0
NEAR_CONSTANT_SHARE = 0.95
MAX_CORRELATION = 0.9

# Feature sets tried, from the classic RFM core outwards; each keeps only features that survived the
# near-constant and correlation filters. "selected" = every surviving feature.
FEATURE_SETS: dict[str, tuple[str, ...]] = {
    "rfm": ("recency_days", "frequency", "monetary"),
    "rfm+basket": ("recency_days", "frequency", "monetary", "avg_basket_value"),
    "rfm+basket+mix": ("recency_days", "frequency", "monetary", "avg_basket_value", "top_category_share"),
    "selected": FEATURES,
}


class TrainingError(ModelError):
    """The customer features cannot be segmented (too few rows, missing or empty columns...)."""


# sklearn pipeline steps (module-level functions so the pipeline pickles)


def log_columns(X: np.ndarray, columns: list[int]) -> np.ndarray:
    """A copy of ``X`` with ``log1p(max(x, 0))`` applied to ``columns``."""
    X = np.array(X, dtype=np.float64, copy=True)
    if columns:
        X[:, columns] = np.log1p(np.maximum(X[:, columns], 0.0))
    return X


def take_columns(X: np.ndarray, columns: list[int]) -> np.ndarray:
    """The ``columns`` of ``X``, contiguous."""
    return np.ascontiguousarray(X[:, columns])


def feature_matrix(frame: pd.DataFrame) -> tuple[np.ndarray, np.ndarray, pd.Series]:
    """(X of the clean rows, mask of clean rows, customer ids of all rows); raises TrainingError."""
    n = len(frame)
    if n < MIN_CUSTOMERS:
        raise TrainingError(
            f"customer_features has {n} customers; segmentation needs at least {MIN_CUSTOMERS} — build with more data"
        )
    missing = [f for f in FEATURES if f not in frame.columns]
    if missing:
        raise TrainingError(
            f"customer_features has no column {', '.join(missing)} — rebuild the project so customer_features "
            f"has all of {', '.join(FEATURES)}"
        )
    if "customer_id" not in frame.columns:
        raise TrainingError("customer_features has no column customer_id — select it with the features")
    columns = []
    for name in FEATURES:
        try:
            values = pd.to_numeric(frame[name], errors="raise")
        except (TypeError, ValueError) as exc:
            raise TrainingError(
                f"customer_features.{name} is not numeric ({exc}) — cast it to DOUBLE in the view"
            ) from None
        array = np.asarray(values.to_numpy(dtype=np.float64, na_value=np.nan), dtype=np.float64)
        if np.isnan(array).all():
            raise TrainingError(
                f"customer_features.{name} is NULL for all {n} customers — fix the view that computes it"
            )
        columns.append(array)
    X = np.column_stack(columns)
    clean: np.ndarray = np.asarray(np.isfinite(X).all(axis=1))
    if clean.sum() < MIN_CUSTOMERS:
        bad = [f for f, col in zip(FEATURES, columns, strict=True) if not np.isfinite(col).all()]
        raise TrainingError(
            f"customer_features has {int(clean.sum())} customers with finite values in every feature "
            f"({n - int(clean.sum())} have NaN/inf in {', '.join(bad)}); segmentation needs at least "
            f"{MIN_CUSTOMERS} — fix those columns or build with more data"
        )
    return X[clean], clean, frame["customer_id"]


def skewness(x: np.ndarray) -> float:
    """Sample skewness (0 for a constant column)."""
    sd = x.std()
    if sd == 0:
        return 0.0
    return float(np.mean(((x - x.mean()) / sd) ** 3))


def log_flags(X: np.ndarray) -> tuple[list[bool], list[float]]:
    """(log this feature?, its skewness) per ``FEATURES`` column: non-negative and skewness > ``SKEW_LOG``."""
    skews = [skewness(X[:, j]) for j in range(len(FEATURES))]
    flags = [bool(X[:, j].min() >= 0 and skews[j] > SKEW_LOG) for j in range(len(FEATURES))]
    return flags, skews


def select_features(
    X: np.ndarray, Xlog: np.ndarray, Z: np.ndarray, log_flags: list[bool], skews: list[float], allowed: set[str]
) -> tuple[list[str], list[dict]]:
    """Near-constant and correlation filters; returns kept names and a report for every feature."""
    report: list[dict] = []
    alive: list[int] = []
    for j, name in enumerate(FEATURES):
        std = float(Xlog[:, j].std())
        _, counts = np.unique(X[:, j], return_counts=True)
        top_share = float(counts.max() / len(X))
        entry = {"feature": name, "log": log_flags[j], "skewness": round(skews[j], 3), "kept": True, "reason": ""}
        if name not in allowed:
            entry.update(kept=False, reason="excluded by the caller")
        elif std <= 1e-12 * max(1.0, abs(float(Xlog[:, j].mean()))):
            entry.update(kept=False, reason="constant")
        elif top_share > NEAR_CONSTANT_SHARE:
            entry.update(kept=False, reason=f"near-constant ({top_share:.1%} of customers share one value)")
        else:
            alive.append(j)
        report.append(entry)
    if not alive:
        if len(allowed) < len(FEATURES):
            raise TrainingError(
                f"every chosen feature ({', '.join(sorted(allowed))}) is constant or near-constant over "
                f"{len(X)} customers — choose other features"
            )
        raise TrainingError(
            f"every feature of customer_features is constant or near-constant over {len(X)} customers "
            f"({', '.join(FEATURES)}) — build with more varied data"
        )
    corr = np.corrcoef(Z[:, alive], rowvar=False) if len(alive) > 1 else np.ones((1, 1))
    kept: list[int] = []
    for a, j in enumerate(alive):
        best, best_r = None, 0.0
        for b, i in enumerate(alive[:a]):
            if i in kept and abs(corr[a, b]) > MAX_CORRELATION and abs(corr[a, b]) > abs(best_r):
                best, best_r = i, float(corr[a, b])
        if best is None:
            kept.append(j)
            report[j]["reason"] = "log1p, standardised" if log_flags[j] else "standardised"
        else:
            report[j].update(kept=False, reason=f"correlated with {FEATURES[best]} (r={best_r:.2f})")
    return [FEATURES[j] for j in kept], report


def feature_sets(kept: list[str]) -> dict[str, tuple[str, ...]]:
    """FEATURE_SETS restricted to the surviving features; empty or duplicate sets are left out."""
    sets: dict[str, tuple[str, ...]] = {}
    for name, features in FEATURE_SETS.items():
        chosen = tuple(f for f in features if f in kept)
        if chosen and chosen not in sets.values():
            sets[name] = chosen
    return sets
