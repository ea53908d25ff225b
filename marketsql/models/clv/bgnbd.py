"""The BG/NBD model (Fader, Hardie & Lee 2005): purchases at a gamma-distributed Poisson rate, dropout with a
beta-distributed probability after each purchase.

Inputs per customer: ``x`` repeat purchases (frequency), ``t_x`` recency and ``T`` age, in days.

Every formula takes ``shift``: 0 for BG/NBD, 1 for MBG/NBD (:mod:`.mbgnbd`), whose customers may also drop out
right after the first purchase — its beta terms see one purchase more (b + x where BG/NBD has b + x - 1), for every
x, where BG/NBD's customers without a repeat purchase are alive for sure.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import ClassVar

import numpy as np
from scipy.special import betaln, digamma, gammaln, hyp2f1

from .mle import Fit, fit

NAMES = ("r", "alpha", "a", "b")


def _by_x(x: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Distinct repeat counts and each row's index into them: the gamma and beta terms depend on x alone."""
    levels, index = np.unique(x, return_inverse=True)
    return levels, index.ravel()


def _terms(params: np.ndarray, x: np.ndarray, t_x: np.ndarray, age: np.ndarray,
           by_x: tuple[np.ndarray, np.ndarray] | None, shift: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """The three log terms of the likelihood, A + logaddexp(B, C) (FHL 2005, eq. 6): alive through T, or dropped
    right after the last purchase (BG/NBD: only after a repeat one)."""
    r, alpha, a, b = params
    levels, index = by_x if by_x is not None else _by_x(x)
    can_drop = (levels > 0) | (shift > 0)
    with np.errstate(divide="ignore", invalid="ignore"):
        head = (gammaln(r + levels) - gammaln(r) + r * np.log(alpha) - betaln(a, b))[index]
        beta_alive = betaln(a, b + levels + shift)[index]
        beta_dropped = np.where(can_drop, betaln(a + 1, np.maximum(b + levels - 1 + shift, 1e-300)), -np.inf)[index]
        alive = beta_alive - (r + x) * np.log(alpha + age)
        dropped = beta_dropped - (r + x) * np.log(alpha + t_x)
    return head, alive, dropped


def loglik(params: np.ndarray, x: np.ndarray, t_x: np.ndarray, age: np.ndarray,
           by_x: tuple[np.ndarray, np.ndarray] | None = None, shift: int = 0) -> np.ndarray:
    """Per-customer log-likelihood (FHL 2005, eq. 6), stable through logaddexp."""
    head, alive, dropped = _terms(params, x, t_x, age, by_x, shift)
    return head + np.logaddexp(alive, dropped)


def gradient(params: np.ndarray, x: np.ndarray, t_x: np.ndarray, age: np.ndarray,
             by_x: tuple[np.ndarray, np.ndarray] | None = None, shift: int = 0) -> np.ndarray:
    """d loglik / d (r, alpha, a, b) per customer, shape (n, 4)."""
    r, alpha, a, b = params
    levels, index = by_x if by_x is not None else _by_x(x)
    _, alive, dropped = _terms(params, x, t_x, age, (levels, index), shift)
    total = np.logaddexp(alive, dropped)
    w_alive, w_dropped = np.exp(alive - total), np.exp(dropped - total)
    d_ab = digamma(a + b)
    d_abx = digamma(a + b + levels + shift)[index]
    d_bx = digamma(b + levels + shift)[index]
    d_bx1 = digamma(np.where((levels > 0) | (shift > 0), b + levels - 1 + shift, b))[index]
    d_rx = digamma(r + levels)[index]
    d_r = d_rx - digamma(r) + np.log(alpha) - w_alive * np.log(alpha + age) - w_dropped * np.log(alpha + t_x)
    d_alpha = r / alpha - (r + x) * (w_alive / (alpha + age) + w_dropped / (alpha + t_x))
    d_a = -(digamma(a) - d_ab) + w_alive * (digamma(a) - d_abx) + w_dropped * (digamma(a + 1) - d_abx)
    d_b = -(digamma(b) - d_ab) + w_alive * (d_bx - d_abx) + w_dropped * (d_bx1 - d_abx)
    return np.column_stack([d_r, d_alpha, d_a, d_b])


@dataclass(frozen=True)
class BgNbd:
    """A fitted BG/NBD model; ``fit_`` holds the estimates, standard errors and log-likelihood."""

    r: float
    alpha: float
    a: float
    b: float
    fit_: Fit | None = None
    LABEL: ClassVar[str] = "BG/NBD"
    SHIFT: ClassVar[int] = 0  # 1: MBG/NBD

    @classmethod
    def fit(cls, x: np.ndarray, t_x: np.ndarray, age: np.ndarray) -> BgNbd:
        """Maximum likelihood on the distinct (x, t_x, T) triples, weighted by how many customers share each."""
        data = np.column_stack([x, t_x, age]).astype(np.float64)
        unique, counts = np.unique(data, axis=0, return_counts=True)
        ux, ut, ua = unique.T
        by_x, shift = _by_x(ux), cls.SHIFT
        result = fit(cls.LABEL, NAMES, lambda p: loglik(p, ux, ut, ua, by_x, shift), counts.astype(np.float64),
                     start=np.array([1.0, max(float(np.mean(age)), 1.0) / 10, 1.0, 1.0]),
                     gradient=lambda p: gradient(p, ux, ut, ua, by_x, shift))
        r, alpha, a, b = (float(value) for value in result.params)
        return cls(r, alpha, a, b, fit_=result)

    @property
    def params(self) -> np.ndarray:
        return np.array([self.r, self.alpha, self.a, self.b])

    def _alive_log_odds(self, x: np.ndarray, t_x: np.ndarray, age: np.ndarray) -> np.ndarray:
        """log of a / (b + x - 1 + shift) ((alpha + T) / (alpha + t_x))^(r + x); -inf where the customer cannot have
        dropped (BG/NBD, x = 0)."""
        with np.errstate(divide="ignore", invalid="ignore", over="ignore"):
            log_odds = (np.log(self.a) - np.log(np.maximum(self.b + x - 1 + self.SHIFT, 1e-300))
                        + (self.r + x) * np.log((self.alpha + age) / (self.alpha + t_x)))
        return np.where((x > 0) | (self.SHIFT > 0), np.clip(log_odds, -700.0, 700.0), -np.inf)

    def p_alive(self, x: np.ndarray, t_x: np.ndarray, age: np.ndarray) -> np.ndarray:
        """P(still a customer | x, t_x, T) = 1 / (1 + [x > 0] a / (b + x - 1) ((alpha + T) / (alpha + t_x))^(r + x))
        (MBG/NBD: b + x, any x)."""
        x, t_x, age = (np.asarray(v, dtype=np.float64) for v in (x, t_x, age))
        return 1.0 / (1.0 + np.exp(self._alive_log_odds(x, t_x, age)))

    def expected_purchases(self, days: np.ndarray | float, x: np.ndarray, t_x: np.ndarray,
                           age: np.ndarray) -> np.ndarray:
        """E[purchases in the next ``days`` | x, t_x, T] (FHL 2005, eq. 10; MBG/NBD: Wagner & Hoppe 2008), with
        Gauss's 2F1."""
        r, alpha, a, b = self.params
        t = np.asarray(days, dtype=np.float64)
        x, t_x, age = (np.asarray(v, dtype=np.float64) for v in (x, t_x, age))
        c, bx = a + b + x - 1 + self.SHIFT, b + x + self.SHIFT
        z = t / (alpha + age + t)
        with np.errstate(divide="ignore", invalid="ignore", over="ignore"):
            log_hyp = np.log(hyp2f1(r + x, bx, c, z))
            # Euler's transformation where the direct series overflows
            alt = np.log(hyp2f1(c - r - x, c - bx, c, z)) + (c - r - x - bx) * np.log1p(-z)
            log_hyp = np.where(np.isfinite(log_hyp), log_hyp, alt)
            numerator = (c / (a - 1)) * -np.expm1(log_hyp + (r + x) * np.log((alpha + age) / (alpha + age + t)))
            out = numerator * self.p_alive(x, t_x, age)
        return np.where(t > 0, out, 0.0)

    def expected_purchases_new(self, days: np.ndarray | float) -> np.ndarray:
        """E[X(t)] for a customer just acquired (FHL 2005, eq. 7)."""
        r, alpha, a, b = self.params
        t = np.asarray(days, dtype=np.float64)
        z = t / (alpha + t)
        return (a + b - 1) / (a - 1) * (1 - (alpha / (alpha + t)) ** r * hyp2f1(r, b, a + b - 1, z))
