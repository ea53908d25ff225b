"""How a candidate is judged on the evaluation cutoff: ranking (ROC AUC, PR AUC), calibration (Brier score and a
reliability table) and targeting (lift and capture in the top 5/10/20 %)."""

from __future__ import annotations

from typing import Any

import numpy as np

TOPS = (0.05, 0.10, 0.20)


def top_share(p: np.ndarray, y: np.ndarray, share: float) -> tuple[float, float]:
    """(lift, capture) of the ``share`` highest-scored rows: their buying rate over the overall rate, and the share
    of all buyers they hold (ties broken by row order)."""
    n = max(int(np.ceil(share * len(p))), 1)
    top = np.argsort(-p, kind="stable")[:n]
    total = y.sum()
    if total == 0:
        return 0.0, 0.0
    return float(y[top].mean() / y.mean()), float(y[top].sum() / total)


def reliability(p: np.ndarray, y: np.ndarray, bins: int = 10) -> list[dict[str, float]]:
    """Mean predicted probability beside the observed rate in ``bins`` equal-count bins of the prediction."""
    order = np.argsort(p, kind="stable")
    return [{"predicted": float(p[part].mean()), "observed": float(y[part].mean()), "customers": int(len(part))}
            for part in np.array_split(order, bins) if len(part)]


def judge(p: np.ndarray, y: np.ndarray) -> dict[str, Any]:
    """Every metric of one candidate's calibrated probabilities ``p`` against the labels ``y``."""
    from sklearn.metrics import average_precision_score, brier_score_loss, roc_auc_score

    out: dict[str, Any] = {"roc_auc": float(roc_auc_score(y, p)), "pr_auc": float(average_precision_score(y, p)),
                           "brier": float(brier_score_loss(y, p)), "reliability": reliability(p, y)}
    for share in TOPS:
        lift, capture = top_share(p, y, share)
        out[f"lift_top_{round(share * 100)}"] = lift
        out[f"capture_top_{round(share * 100)}"] = capture
    return out
