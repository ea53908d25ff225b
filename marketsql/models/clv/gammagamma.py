"""The Gamma-Gamma model of spend per purchase (Fader & Hardie 2013; Colombo & Jiang 1999).

A customer's purchase values are gamma(p, nu) with nu ~ gamma(q, v) across customers; fitted on the customers
with repeat purchases, from ``x`` (repeat purchases) and ``m`` (mean value of those purchases).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from scipy.special import digamma, gammaln

from marketsql.errors import ModelError

from .mle import Fit, fit

NAMES = ("p", "q", "v")


def loglik(params: np.ndarray, x: np.ndarray, m: np.ndarray) -> np.ndarray:
    """Per-customer log-likelihood of the mean ``m`` of ``x`` purchase values."""
    p, q, v = params
    px = p * x
    return (gammaln(px + q) - gammaln(px) - gammaln(q) + q * np.log(v) + (px - 1) * np.log(m)
            + px * np.log(x) - (px + q) * np.log(x * m + v))


def gradient(params: np.ndarray, x: np.ndarray, m: np.ndarray) -> np.ndarray:
    """d loglik / d (p, q, v) per customer, shape (n, 3)."""
    p, q, v = params
    px = p * x
    d_p = x * (digamma(px + q) - digamma(px) + np.log(m) + np.log(x) - np.log(x * m + v))
    d_q = digamma(px + q) - digamma(q) + np.log(v) - np.log(x * m + v)
    d_v = q / v - (px + q) / (x * m + v)
    return np.column_stack([d_p, d_q, d_v])


@dataclass(frozen=True)
class GammaGamma:
    """A fitted Gamma-Gamma model; ``fit_`` holds the estimates, standard errors and log-likelihood."""

    p: float
    q: float
    v: float
    fit_: Fit | None = None

    @classmethod
    def fit(cls, x: np.ndarray, m: np.ndarray) -> GammaGamma:
        """Maximum likelihood on the customers with x > 0 and m > 0."""
        keep = (np.asarray(x) > 0) & (np.asarray(m) > 0)
        x, m = np.asarray(x, dtype=np.float64)[keep], np.asarray(m, dtype=np.float64)[keep]
        if len(x) < 10:
            raise ModelError(f"Gamma-Gamma needs customers with repeat purchases: {len(x)} in the calibration period"
                             " — give a longer calibration period (--calibration-end) or more data")
        result = fit("Gamma-Gamma", NAMES, lambda prm: loglik(prm, x, m), np.ones(len(x)),
                     start=np.array([1.0, 1.0, float(np.mean(m))]), gradient=lambda prm: gradient(prm, x, m))
        if result.params[1] <= 1:
            raise ModelError(f"Gamma-Gamma fit gives q = {result.params[1]:.3f} <= 1: the expected spend per purchase"
                             " is infinite — spend per purchase is too heavy-tailed; cap outliers in staging")
        p, q, v = (float(value) for value in result.params)
        return cls(p, q, v, fit_=result)

    def expected_order_value(self, x: np.ndarray, m: np.ndarray) -> np.ndarray:
        """E[spend per purchase | x, m] = p (v + x m) / (p x + q - 1); the population mean p v / (q - 1) at x = 0."""
        x, m = np.asarray(x, dtype=np.float64), np.asarray(m, dtype=np.float64)
        return self.p * (self.v + x * m) / (self.p * x + self.q - 1)

    @property
    def population_mean(self) -> float:
        """Mean spend per purchase across customers, p v / (q - 1)."""
        return self.p * self.v / (self.q - 1)
