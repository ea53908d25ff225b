"""Response curves: new customers a month as ``alpha * spend ** beta``, one per channel.

Fitted as a Poisson regression of the monthly new customers on ``log(spend)`` (log link), which is
the log-log fit with the right noise for counts (months with no new customer are kept). numpy only.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

BETA_RANGE = (0.01, 0.99)  # diminishing returns: a fitted exponent outside is clipped (and reported)


@dataclass(frozen=True)
class ChannelCurve:
    """One channel's fitted curve and the range of monthly spend it was fitted on."""

    channel: str
    alpha: float
    beta: float
    value_per_customer: float  # attributed revenue per new customer (attribution window of channel_month)
    min_spend: float  # lowest and highest monthly spend observed: the curve is evidence only in between
    max_spend: float

    def customers(self, spend: np.ndarray | float) -> np.ndarray:
        """Expected new customers a month at this monthly spend."""
        return self.alpha * np.power(np.maximum(np.asarray(spend, dtype=np.float64), 0.0), self.beta)

    def revenue(self, spend: np.ndarray | float) -> np.ndarray:
        """Expected attributed revenue of the customers acquired a month at this monthly spend."""
        return self.value_per_customer * self.customers(spend)


def fit_power(spend: np.ndarray, customers: np.ndarray, iterations: int = 50) -> tuple[float, float]:
    """``(alpha, beta)`` of ``E[customers] = alpha * spend ** beta`` by Poisson IRLS; spend must be > 0."""
    x = np.column_stack([np.ones(len(spend)), np.log(np.asarray(spend, dtype=np.float64))])
    y = np.asarray(customers, dtype=np.float64)
    # start from least squares on log(y + 0.5), then iteratively reweighted least squares
    coef = np.linalg.lstsq(x, np.log(y + 0.5), rcond=None)[0]
    for _ in range(iterations):
        mu = np.exp(x @ coef)
        z = x @ coef + (y - mu) / mu
        weighted = x * mu[:, None]
        new = np.linalg.solve(x.T @ weighted + 1e-9 * np.eye(2), weighted.T @ z)
        if np.max(np.abs(new - coef)) < 1e-10:
            coef = new
            break
        coef = new
    return float(np.exp(coef[0])), float(coef[1])


def constant_cac(spend: np.ndarray, customers: np.ndarray) -> float:
    """The baseline: one acquisition cost per channel (total spend / total new customers), linear response."""
    total = float(np.sum(customers))
    return float(np.sum(spend)) / total if total > 0 else float("inf")


def errors(actual: np.ndarray, predicted: np.ndarray) -> dict[str, float | None]:
    """MAE, MAPE (months with new customers only) and sMAPE of predicted new customers."""
    actual, predicted = np.asarray(actual, dtype=np.float64), np.asarray(predicted, dtype=np.float64)
    diff = np.abs(actual - predicted)
    nonzero = actual != 0
    denominator = np.abs(actual) + np.abs(predicted)
    smape = np.where(denominator > 0, 2 * diff / np.where(denominator > 0, denominator, 1), 0.0)
    return {
        "mae": float(diff.mean()),
        "mape": float(np.mean(diff[nonzero] / np.abs(actual[nonzero]))) if nonzero.any() else None,
        "smape": float(smape.mean()),
    }
