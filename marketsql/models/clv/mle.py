"""Maximum likelihood on log-parameters, with standard errors from the inverse Hessian.

Each model gives a vectorised log-likelihood ``loglik(params, data) -> per-row values``; rows may
carry a weight (the number of customers sharing the same summary), so a million customers fit as
fast as their distinct (frequency, recency, age) triples.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
from scipy.optimize import minimize

from marketsql.errors import ModelError

LogLik = Callable[[np.ndarray], np.ndarray]  # natural-scale parameters -> per-row log-likelihood
BOUNDS = (-25.0, 18.0)  # log-parameters: 1e-11 .. 6.6e7, where gammaln/betaln keep their precision
Gradient = Callable[[np.ndarray], np.ndarray]  # natural-scale parameters -> (rows, parameters) derivatives
# L-BFGS-B on a million rows often ends "ABNORMAL" at the optimum: the line search cannot improve an average
# log-likelihood below its rounding. With the gradient (per customer, in log-parameters) this small it is the
# optimum: accepted, instead of gradient-free Nelder-Mead (11 s of 15 s at 1 M customers; on the 20 k demo it stalled
# at 1.07e-6 and Nelder-Mead then ran out of iterations, failing `marketsql demo`).
STALLED_GRADIENT = 1e-5
# ... and when gradient-free Nelder-Mead, started there, improves the average log-likelihood by less than this
# (relative): the 3,000-customer demo with the phone-upgrade cycle stalled on a ridge (a ≈ 2.7e5, b ≈ 1.9e7) where
# 2,000 Nelder-Mead iterations gained 1.5e-9
FLAT_RIDGE = 1e-9


@dataclass(frozen=True)
class Fit:
    """Estimated parameters, their standard errors and the log-likelihood at the optimum."""

    names: tuple[str, ...]
    params: np.ndarray
    standard_errors: np.ndarray  # NaN where the Hessian is not invertible
    loglik: float
    iterations: int
    at_bound: tuple[str, ...] = ()  # parameters the likelihood pushed to the edge of BOUNDS (not identified)

    def as_dict(self) -> dict[str, float]:
        """``{name: value}`` and ``{name}_se``."""
        out = {n: float(v) for n, v in zip(self.names, self.params, strict=True)}
        out.update({f"{n}_se": float(s) for n, s in zip(self.names, self.standard_errors, strict=True)})
        return out


def fit(model: str, names: tuple[str, ...], loglik: LogLik, weights: np.ndarray, start: np.ndarray,
        gradient: Gradient, max_iter: int = 2000) -> Fit:
    """Maximise ``sum(weights * loglik(exp(theta)))`` over log-parameters ``theta`` by L-BFGS-B with the analytic
    gradient; ModelError if the optimum is not finite or the optimiser does not converge."""
    total = float(weights.sum())

    def objective(theta: np.ndarray) -> float:
        if np.any(theta < BOUNDS[0] - 1e-9) or np.any(theta > BOUNDS[1] + 1e-9):
            return np.inf
        with np.errstate(all="ignore"):
            value = -float(np.dot(weights, loglik(np.exp(theta)))) / total
        return value if np.isfinite(value) else np.inf

    def with_gradient(theta: np.ndarray) -> tuple[float, np.ndarray]:
        theta = np.clip(theta, *BOUNDS)
        params = np.exp(theta)
        with np.errstate(all="ignore"):
            value = -float(np.dot(weights, loglik(params))) / total
            grad = -(weights @ gradient(params)) * params / total
        if not np.isfinite(value) or not np.all(np.isfinite(grad)):
            return np.inf, np.zeros_like(theta)
        return value, grad

    result = minimize(with_gradient, np.log(start), jac=True, method="L-BFGS-B", bounds=[BOUNDS] * len(start),
                      options={"maxiter": max_iter, "ftol": 1e-14, "gtol": 1e-9})
    stalled_at_optimum = np.isfinite(result.fun) and float(np.max(np.abs(result.jac))) < STALLED_GRADIENT
    if not result.success and not stalled_at_optimum:  # a line search stopped elsewhere: retry without gradients
        first = result
        result = minimize(objective, np.clip(result.x, *BOUNDS), method="Nelder-Mead",
                          options={"maxiter": max_iter, "xatol": 1e-8, "fatol": 1e-13})
        # on a flat ridge (BG/NBD's a and b both large, only a / b identified) Nelder-Mead crawls along it until it
        # runs out of iterations without improving the average log-likelihood: both points are the optimum
        stalled_at_optimum = bool(np.isfinite(first.fun) and result.fun >= first.fun - FLAT_RIDGE * max(
            1.0, abs(first.fun)))
        result = result if result.fun < first.fun else first
    if not np.isfinite(result.fun) or not (result.success or stalled_at_optimum):
        raise ModelError(f"{model} did not converge ({result.message}) — check the data (see clv_summary), or"
                         " give a longer calibration period with --calibration-end")
    theta = np.clip(result.x, *BOUNDS)
    params = np.exp(theta)
    at_bound = tuple(n for n, t in zip(names, theta, strict=True) if min(t - BOUNDS[0], BOUNDS[1] - t) < 1e-3)
    ses = _standard_errors(lambda t: with_gradient(t)[1], theta, total, params)
    ses[[n in at_bound for n in names]] = np.nan
    return Fit(names, params, ses, -result.fun * total, int(result.nit), at_bound)


def _standard_errors(grad: Callable[[np.ndarray], np.ndarray], theta: np.ndarray, total: float,
                     params: np.ndarray) -> np.ndarray:
    """Delta-method standard errors: sqrt(diag(H^-1)) of the total negative log-likelihood in log-parameters,
    times the parameter (d exp(theta) / d theta)."""
    hessian = numerical_hessian(grad, theta) * total
    try:
        covariance = np.linalg.inv(hessian)
    except np.linalg.LinAlgError:
        return np.full_like(params, np.nan)
    variances = np.diag(covariance)
    return np.where(variances > 0, np.sqrt(np.abs(variances)) * params, np.nan)


def numerical_hessian(grad: Callable[[np.ndarray], np.ndarray], x: np.ndarray, step: float = 1e-5) -> np.ndarray:
    """Hessian as central differences of the analytic gradient, symmetrised."""
    columns = [(grad(x + step * e) - grad(x - step * e)) / (2 * step) for e in np.eye(len(x))]
    hessian = np.column_stack(columns)
    return (hessian + hessian.T) / 2
