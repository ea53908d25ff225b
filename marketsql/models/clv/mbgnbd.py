"""The MBG/NBD model (Batislam, Denizel & Filiztekin 2007; Wagner & Hoppe 2008): BG/NBD whose customers may also drop
out right after their first purchase, not only after repeat ones.

BG/NBD holds every customer without a repeat purchase alive (P(alive | x = 0) = 1), so a base where many buy once and
never return — the demo's One-time buyers, much of Online Retail — gets a holdout purchase forecast for each of them.
MBG/NBD gives a dropout chance at time 0 too: in every formula the beta terms see one more purchase (b + x in place
of b + x - 1), and P(alive) falls for a one-time buyer as their first purchase ages. Same parameters (r, alpha, a, b)
and inputs as :mod:`.bgnbd`.
"""

from __future__ import annotations

from typing import ClassVar

import numpy as np
from scipy.special import betaln, digamma, gammaln, hyp2f1

from .bgnbd import BgNbd, _by_x


def _terms(params: np.ndarray, x: np.ndarray, t_x: np.ndarray, age: np.ndarray,
           by_x: tuple[np.ndarray, np.ndarray] | None) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """A + logaddexp(B, C): alive through T after x repeat purchases, or dropped right after the last one (at t_x;
    at the first purchase when x = 0)."""
    r, alpha, a, b = params
    levels, index = by_x if by_x is not None else _by_x(x)
    with np.errstate(divide="ignore", invalid="ignore"):
        head = (gammaln(r + levels) - gammaln(r) + r * np.log(alpha) - betaln(a, b))[index]
        alive = betaln(a, b + levels + 1)[index] - (r + x) * np.log(alpha + age)
        dropped = betaln(a + 1, b + levels)[index] - (r + x) * np.log(alpha + t_x)
    return head, alive, dropped


def loglik(params: np.ndarray, x: np.ndarray, t_x: np.ndarray, age: np.ndarray,
           by_x: tuple[np.ndarray, np.ndarray] | None = None) -> np.ndarray:
    """Per-customer log-likelihood, stable through logaddexp."""
    head, alive, dropped = _terms(params, x, t_x, age, by_x)
    return head + np.logaddexp(alive, dropped)


def gradient(params: np.ndarray, x: np.ndarray, t_x: np.ndarray, age: np.ndarray,
             by_x: tuple[np.ndarray, np.ndarray] | None = None) -> np.ndarray:
    """d loglik / d (r, alpha, a, b) per customer, shape (n, 4)."""
    r, alpha, a, b = params
    levels, index = by_x if by_x is not None else _by_x(x)
    _, alive, dropped = _terms(params, x, t_x, age, (levels, index))
    total = np.logaddexp(alive, dropped)
    w_alive, w_dropped = np.exp(alive - total), np.exp(dropped - total)
    d_ab, d_abx1 = digamma(a + b), digamma(a + b + levels + 1)[index]
    d_r = (digamma(r + levels)[index] - digamma(r) + np.log(alpha) - w_alive * np.log(alpha + age)
           - w_dropped * np.log(alpha + t_x))
    d_alpha = r / alpha - (r + x) * (w_alive / (alpha + age) + w_dropped / (alpha + t_x))
    d_a = -(digamma(a) - d_ab) + w_alive * (digamma(a) - d_abx1) + w_dropped * (digamma(a + 1) - d_abx1)
    d_b = (-(digamma(b) - d_ab) + w_alive * (digamma(b + levels + 1)[index] - d_abx1)
           + w_dropped * (digamma(b + levels)[index] - d_abx1))
    return np.column_stack([d_r, d_alpha, d_a, d_b])


class MbgNbd(BgNbd):
    """A fitted MBG/NBD model (the dataclass fields and ``fit`` of :class:`BgNbd`, its own likelihood)."""

    LABEL: ClassVar[str] = "MBG/NBD"
    loglik = staticmethod(loglik)
    gradient = staticmethod(gradient)

    def p_alive(self, x: np.ndarray, t_x: np.ndarray, age: np.ndarray) -> np.ndarray:
        """P(still a customer | x, t_x, T) = 1 / (1 + a / (b + x) ((alpha + T) / (alpha + t_x))^(r + x)), any x."""
        x, t_x, age = (np.asarray(v, dtype=np.float64) for v in (x, t_x, age))
        with np.errstate(divide="ignore", invalid="ignore", over="ignore"):
            log_odds = (np.log(self.a) - np.log(self.b + x)
                        + (self.r + x) * np.log((self.alpha + age) / (self.alpha + t_x)))
            return 1.0 / (1.0 + np.exp(np.clip(log_odds, -700.0, 700.0)))

    def expected_purchases(self, days: np.ndarray | float, x: np.ndarray, t_x: np.ndarray,
                           age: np.ndarray) -> np.ndarray:
        """E[purchases in the next ``days`` | x, t_x, T] (Wagner & Hoppe 2008), with Gauss's 2F1."""
        r, alpha, a, b = self.params
        t = np.asarray(days, dtype=np.float64)
        x, t_x, age = (np.asarray(v, dtype=np.float64) for v in (x, t_x, age))
        c = a + b + x
        z = t / (alpha + age + t)
        with np.errstate(divide="ignore", invalid="ignore", over="ignore"):
            log_hyp = np.log(hyp2f1(r + x, b + x + 1, c, z))
            alt = np.log(hyp2f1(c - r - x, c - b - x - 1, c, z)) + (c - r - x - b - x - 1) * np.log1p(-z)
            log_hyp = np.where(np.isfinite(log_hyp), log_hyp, alt)
            numerator = (c / (a - 1)) * -np.expm1(log_hyp + (r + x) * np.log((alpha + age) / (alpha + age + t)))
            out = numerator * self.p_alive(x, t_x, age)
        return np.where(t > 0, out, 0.0)

    def expected_purchases_new(self, days: np.ndarray | float) -> np.ndarray:
        """E[X(t)] for a customer just acquired."""
        r, alpha, a, b = self.params
        t = np.asarray(days, dtype=np.float64)
        return b / (a - 1) * (1 - (alpha / (alpha + t)) ** r * hyp2f1(r, b + 1, a + b, t / (alpha + t)))
