"""Segment profiles from the training data: size, shares, means, medians and what sets each apart."""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

from .model import FEATURES
from .naming import describe


def profiles(X: np.ndarray, Zall: np.ndarray, labels: np.ndarray, k: int, names: list[str]) -> pd.DataFrame:
    """One row per segment: name, size, shares of customers and revenue, distinguishing z-scores, a
    plain-language description (its raw means against all customers'), means and medians."""
    monetary = X[:, FEATURES.index("monetary")]
    total = float(monetary.sum())
    overall = dict(zip(FEATURES, X.mean(axis=0).tolist(), strict=True))
    rows = []
    for s in range(k):
        mask = labels == s
        zmean = Zall[mask].mean(axis=0) if mask.any() else np.zeros(len(FEATURES))
        top = np.argsort(-np.abs(zmean), kind="stable")[:3]
        row: dict[str, Any] = {
            "segment": s,
            "name": names[s],
            "size": int(mask.sum()),
            "share_customers": float(mask.mean()),
            "share_revenue": float(monetary[mask].sum() / total) if total else float("nan"),
            "distinguishing": "; ".join(f"{FEATURES[j]} {zmean[j]:+.2f}" for j in top),
        }
        for j, f in enumerate(FEATURES):
            row[f"mean_{f}"] = float(X[mask, j].mean()) if mask.any() else float("nan")
            row[f"median_{f}"] = float(np.median(X[mask, j])) if mask.any() else float("nan")
        means = {f: row[f"mean_{f}"] for f in FEATURES}
        row["description"] = describe(means, overall) if mask.any() else "no customers in training"
        rows.append(row)
    return pd.DataFrame(rows)
