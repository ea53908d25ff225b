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


@dataclass(frozen=True)
class Purchases:
    """The fitted customers' ``x`` (repeat purchases) and ``m`` (mean value), with the terms of the likelihood
    that do not depend on the parameters computed once (a fit evaluates the likelihood ~50 times)."""

    x: np.ndarray
    log_xm: np.ndarray  # log x + log m
    log_m: np.ndarray
    xm_total: np.ndarray  # x m, the customer's total spend

    @classmethod
    def of(cls, x: np.ndarray, m: np.ndarray) -> Purchases:
        return cls(x, np.log(x) + np.log(m), np.log(m), x * m)


def loglik(params: np.ndarray, d: Purchases) -> np.ndarray:
    """Per-customer log-likelihood of the mean ``m`` of ``x`` purchase values."""
    p, q, v = params
    px = p * d.x
    return (gammaln(px + q) - gammaln(px) - gammaln(q) + q * np.log(v) + px * d.log_xm - d.log_m
            - (px + q) * np.log(d.xm_total + v))


def gradient(params: np.ndarray, d: Purchases) -> np.ndarray:
    """d loglik / d (p, q, v) per customer, shape (n, 3)."""
    p, q, v = params
    px = p * d.x
    psi_pq, log_total = digamma(px + q), np.log(d.xm_total + v)
    out = np.empty((len(px), 3))
    out[:, 0] = d.x * (psi_pq - digamma(px) + d.log_xm - log_total)
    out[:, 1] = psi_pq - digamma(q) + np.log(v) - log_total
    out[:, 2] = q / v - (px + q) / (d.xm_total + v)
    return out


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
        data = Purchases.of(x, m)
        result = fit("Gamma-Gamma", NAMES, lambda prm: loglik(prm, data), np.ones(len(x)),
                     start=np.array([1.0, 1.0, float(np.mean(m))]), gradient=lambda prm: gradient(prm, data))
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
