"""Honest evaluation on the holdout: the models calibrated up to calibration_end against two baselines.

Each predictor gives every calibration customer a number of holdout purchases and a holdout spend:

- ``model``: BG/NBD conditional expectation over the holdout days, times the Gamma-Gamma expected spend;
- ``own_rate``: the customer's repeat purchase rate extrapolated, frequency / T x holdout days (0 when T = 0),
  times their mean spend per purchase day in the calibration period;
- ``group_rate``: the same with the rate and spend of the customer's group (segment as of calibration_end when a
  segmentation model is trained, otherwise the RFM group computed from the calibration summary).

Scores: MAE of purchases per customer, total purchases error %, Spearman correlation of predicted and actual
purchases, and top-decile capture (share of holdout revenue made by the 10 % with the highest predicted spend).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd
from scipy.stats import spearmanr

PREDICTORS = ("model", "own_rate", "group_rate")
CALIBRATION_BINS = 8  # 0 .. 6 and 7+ repeat purchases in the calibration period


@dataclass
class Holdout:
    """Per-customer predictions and actuals, and the scores of every predictor."""

    frame: pd.DataFrame  # customer_id, frequency_cal, actual_purchases, actual_revenue, <predictor>_purchases/_revenue
    scores: dict[str, dict[str, float]]
    calibration_table: list[dict[str, float]]
    group_source: str

    def losing_to(self) -> list[str]:
        """Baselines the model loses to on at least one score, as 'baseline (score)'."""
        out = []
        for baseline in PREDICTORS[1:]:
            for score, better in (("mae", "lower"), ("abs_total_error_pct", "lower"), ("spearman", "higher"),
                                  ("top_decile_capture", "higher")):
                model, other = self.scores["model"][score], self.scores[baseline][score]
                if (better == "lower" and model > other) or (better == "higher" and model < other):
                    out.append(f"{baseline} ({score})")
        return out


def scores(predicted: np.ndarray, actual: np.ndarray, predicted_revenue: np.ndarray,
           actual_revenue: np.ndarray) -> dict[str, float]:
    """MAE, total error %, Spearman and top-decile revenue capture of one predictor."""
    total_error = (predicted.sum() - actual.sum()) / actual.sum() * 100 if actual.sum() > 0 else np.nan
    top = max(1, int(round(len(predicted_revenue) * 0.1)))
    order = np.argsort(-predicted_revenue, kind="stable")[:top]
    capture = actual_revenue[order].sum() / actual_revenue.sum() if actual_revenue.sum() > 0 else np.nan
    rho = spearmanr(predicted, actual).statistic if np.ptp(predicted) > 0 else np.nan
    return {"mae": float(np.mean(np.abs(predicted - actual))), "total_error_pct": float(total_error),
            "abs_total_error_pct": float(abs(total_error)), "spearman": float(rho),
            "top_decile_capture": float(capture)}


def calibration_table(frame: pd.DataFrame) -> list[dict[str, float]]:
    """Fader-Hardie table: mean actual and predicted holdout purchases by calibration repeat purchases 0 .. 7+."""
    bins = np.minimum(frame["frequency_cal"].to_numpy(), CALIBRATION_BINS - 1).astype(int)
    rows = []
    for k in range(CALIBRATION_BINS):
        part = frame[bins == k]
        row: dict[str, Any] = {"frequency_cal": f"{k}+" if k == CALIBRATION_BINS - 1 else str(k),
                               "customers": int(len(part)),
                               "actual": float(part["actual_purchases"].mean()) if len(part) else None}
        for name in PREDICTORS:
            row[name] = float(part[f"{name}_purchases"].mean()) if len(part) else None
        rows.append(row)
    return rows


def group_rates(frame: pd.DataFrame, groups: pd.Series, holdout_days: float) -> tuple[np.ndarray, np.ndarray]:
    """Purchases and spend of each customer predicted by their group's pooled rate and spend per purchase day."""
    data = pd.DataFrame({"group": groups.to_numpy(), "x": frame["frequency_cal"].to_numpy(),
                         "age": frame["age_cal_days"].to_numpy(), "spend": frame["spend_per_day_cal"].to_numpy()})
    pooled = data.groupby("group").agg(x=("x", "sum"), age=("age", "sum"), spend=("spend", "mean"))
    rate = (pooled["x"] / pooled["age"].where(pooled["age"] > 0)).fillna(0.0)
    purchases = data["group"].map(rate).to_numpy() * holdout_days
    return purchases, purchases * data["group"].map(pooled["spend"]).to_numpy()


def rfm_groups(frame: pd.DataFrame) -> pd.Series:
    """RFM group as of calibration_end: quintile scores of recency (days since the last purchase) and
    frequency, named by the rule of the ``rfm_segments`` view."""
    recency = frame["age_cal_days"] - frame["recency_cal_days"]
    r = 6 - np.clip(np.ceil(recency.rank(method="average") / len(frame) * 5), 1, 5)
    f = np.clip(np.ceil(frame["frequency_cal"].rank(method="average") / len(frame) * 5), 1, 5)
    return pd.Series([_rfm_name(int(a), int(b)) for a, b in zip(r, f, strict=True)], index=frame.index)


def _rfm_name(r: int, f: int) -> str:
    if r <= 2:
        return "Lost" if (r == 1 and f == 1) else "Hibernating" if f <= 2 else "At risk" if f <= 4 else "Can't lose"
    if r == 3:
        return "About to sleep" if f <= 2 else "Need attention" if f == 3 else "Loyal customers"
    if f == 1:
        return "Promising" if r == 4 else "New customers"
    return "Potential loyalists" if f <= 3 else "Champions" if r == 5 else "Loyal customers"
