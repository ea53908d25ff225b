"""The Pareto/NBD model (Schmittlein, Morrison & Colombo 1987), the second purchase-count candidate: purchases at a
gamma(r, alpha) Poisson rate, an exponential lifetime at a gamma(s, beta) dropout rate.

The likelihood is Fader, Hardie & Lee's formulation ("A note on deriving the Pareto/NBD model", 2005, eq. 19-22):
``L = Γ(r+x) α^r β^s / Γ(r) · [1 / ((α+T)^(r+x) (β+T)^s) + s / (r+s+x) · A0]``, with A0 a difference of two Gauss
hypergeometric terms, the α ≥ β / α < β branch switch keeping the argument in [0, 1). Each ₂F₁(r+s+x, b; r+s+x+1;
z) is taken through Euler's transformation as (1-z)^(1-b) ₂F₁(1, r+s+x+1-b; r+s+x+1; z) (a first parameter of 1:
a bounded, fast series; no overflow at large x), all in logs. Inputs per customer: ``x`` repeat purchase days,
``t_x`` recency and ``T`` age, in days.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from scipy.special import gammaln, hyp2f1

from .mle import Fit, fit

NAMES = ("r", "alpha", "s", "beta")


def _log_hyp(rsx: np.ndarray, b: np.ndarray, z: np.ndarray) -> np.ndarray:
    """log ₂F₁(rsx, b; rsx + 1; z) for z in [0, 1), by Euler's transformation."""
    return (1.0 - b) * np.log1p(-z) + np.log(hyp2f1(1.0, rsx + 1.0 - b, rsx + 1.0, z))


def log_a0(params: np.ndarray, x: np.ndarray, t_x: np.ndarray, age: np.ndarray) -> np.ndarray:
    """log A0 (FHL 2005 eq. 21-22): the branch on α ≥ β keeps the hypergeometric argument below 1."""
    r, alpha, s, beta = params
    rsx = r + s + x
    high, low = max(alpha, beta), min(alpha, beta)
    b = s + 1.0 if alpha >= beta else r + x
    b = np.broadcast_to(b, np.shape(x))
    near = _log_hyp(rsx, b, (high - low) / (high + t_x)) - rsx * np.log(high + t_x)
    far = _log_hyp(rsx, b, (high - low) / (high + age)) - rsx * np.log(high + age)
    # near >= far (t_x <= T); their difference in logs, with t_x == T giving -inf (no dropout window)
    with np.errstate(divide="ignore"):
        return near + np.log(-np.expm1(np.minimum(far - near, 0.0)))


def loglik(params: np.ndarray, x: np.ndarray, t_x: np.ndarray, age: np.ndarray) -> np.ndarray:
    """Per-customer log-likelihood, stable through logaddexp."""
    r, alpha, s, beta = params
    head = gammaln(r + x) - gammaln(r) + r * np.log(alpha) + s * np.log(beta)
    alive = -(r + x) * np.log(alpha + age) - s * np.log(beta + age)
    dropped = np.log(s) - np.log(r + s + x) + log_a0(params, x, t_x, age)
    return head + np.logaddexp(alive, dropped)


def gradient(params: np.ndarray, x: np.ndarray, t_x: np.ndarray, age: np.ndarray) -> np.ndarray:
    """d loglik / d (r, alpha, s, beta) per customer, by central differences in the log-parameters (the ₂F₁ has
    no convenient parameter derivatives), shape (n, 4)."""
    out = np.empty((np.size(x), 4))
    for j in range(4):
        step = np.zeros(4)
        step[j] = 1e-6
        up, down = params * np.exp(step), params * np.exp(-step)
        out[:, j] = (loglik(up, x, t_x, age) - loglik(down, x, t_x, age)) / (2e-6 * params[j])
    return out


@dataclass(frozen=True)
class ParetoNbd:
    """A fitted Pareto/NBD model; ``fit_`` holds the estimates, standard errors and log-likelihood."""

    r: float
    alpha: float
    s: float
    beta: float
    fit_: Fit | None = None

    @classmethod
    def fit(cls, x: np.ndarray, t_x: np.ndarray, age: np.ndarray) -> ParetoNbd:
        """Maximum likelihood on the distinct (x, t_x, T) triples, weighted by how many customers share each."""
        data = np.column_stack([x, t_x, age]).astype(np.float64)
        unique, counts = np.unique(data, axis=0, return_counts=True)
        ux, ut, ua = unique.T
        result = fit("Pareto/NBD", NAMES, lambda p: loglik(p, ux, ut, ua), counts.astype(np.float64),
                     start=np.array([1.0, max(float(np.mean(age)), 1.0) / 10, 1.0, max(float(np.mean(age)), 1.0)]),
                     gradient=lambda p: gradient(p, ux, ut, ua))
        r, alpha, s, beta = (float(value) for value in result.params)
        return cls(r, alpha, s, beta, fit_=result)

    @property
    def params(self) -> np.ndarray:
        return np.array([self.r, self.alpha, self.s, self.beta])

    def p_alive(self, x: np.ndarray, t_x: np.ndarray, age: np.ndarray) -> np.ndarray:
        """P(alive | x, t_x, T) = 1 / (1 + s / (r+s+x) (α+T)^(r+x) (β+T)^s A0) (FHL 2005 eq. 25)."""
        x, t_x, age = (np.asarray(v, dtype=np.float64) for v in (x, t_x, age))
        r, alpha, s, beta = self.params
        with np.errstate(divide="ignore", invalid="ignore", over="ignore"):
            log_odds = (np.log(s) - np.log(r + s + x) + (r + x) * np.log(alpha + age) + s * np.log(beta + age)
                        + log_a0(self.params, x, t_x, age))
            return 1.0 / (1.0 + np.exp(np.clip(log_odds, -700.0, 700.0)))

    def expected_purchases(self, days: np.ndarray | float, x: np.ndarray, t_x: np.ndarray,
                           age: np.ndarray) -> np.ndarray:
        """E[purchases in the next ``days`` | x, t_x, T] = (r+x)(β+T) / ((α+T)(s-1)) [1 - ((β+T)/(β+T+t))^(s-1)]
        P(alive) (Schmittlein et al. 1987; the limit (r+x)/(α+T) (β+T) log(1 + t/(β+T)) at s = 1)."""
        r, alpha, s, beta = self.params
        t = np.asarray(days, dtype=np.float64)
        x, t_x, age = (np.asarray(v, dtype=np.float64) for v in (x, t_x, age))
        log_ratio = np.log1p(t / (beta + age))
        life = -np.expm1(-(s - 1.0) * log_ratio) / (s - 1.0) if abs(s - 1.0) > 1e-9 else log_ratio
        return (r + x) / (alpha + age) * (beta + age) * life * self.p_alive(x, t_x, age)
