"""Reconciliation: forecasts of a total and of its parts along several dimensions made to add up.

The series of one measure are stacked as rows: the total first, then the parts of each dimension (category,
country, segment…); every dimension's parts add up to the one total. Coherent forecasts are those with
``C @ y = 0``, one row of ``C`` per dimension (``total − Σ parts``): a grouped structure without a bottom
level, so the projections below use the zero-constraint form of MinT (Wickramasuriya, Athanasopoulos &
Hyndman 2019), ``ỹ = ŷ − W Cᵀ (C W Cᵀ)⁺ C ŷ``, which needs no bottom level:

* ``ols`` — ``W = I``;
* ``mint_shrink`` — ``W`` = the covariance of the series' in-sample (seasonal) naive errors on the training
  months, its correlations shrunk towards 0 (Schäfer & Strimmer's λ, as in hierarchicalforecast's
  ``MinTrace(method="mint_shrink")``);
* ``bottom_up`` — each dimension's parts keep their forecasts and the total is their sum (with several
  dimensions: the mean of the dimensions' sums, each dimension's parts scaled to it).

Counts and revenue cannot be negative: parts below 0 are set to 0 and the dimension's parts rescaled to the
total, so the result stays coherent. Intervals: each series' base interval is moved with its point forecast
(the base half-widths kept around the reconciled value), then clipped at 0.
"""

from __future__ import annotations

import numpy as np

from .methods import SEASON

METHODS = ("bottom_up", "ols", "mint_shrink")


def constraints(groups: list[list[int]], size: int) -> np.ndarray:
    """``C``: one row per dimension, +1 on the total (row 0) and −1 on the dimension's parts."""
    matrix = np.zeros((len(groups), size))
    for row, parts in enumerate(groups):
        matrix[row, 0] = 1.0
        matrix[row, parts] = -1.0
    return matrix


def shrunk_covariance(residuals: np.ndarray) -> np.ndarray:
    """Covariance of ``residuals`` (samples × series) with the correlations shrunk towards 0 by the
    Schäfer–Strimmer intensity; a series without variance gets a tiny one (so ``W`` stays usable)."""
    n, m = residuals.shape
    if n < 2:
        return np.eye(m)
    centred = residuals - residuals.mean(axis=0)
    variance = (centred**2).sum(axis=0) / (n - 1)
    floor = 1e-9 * (float(variance.max()) or 1.0)
    std = np.sqrt(np.maximum(variance, floor))
    scaled = centred / std
    products = scaled[:, :, None] * scaled[:, None, :]  # n × m × m
    mean = products.mean(axis=0)
    correlation = n / (n - 1) * mean
    spread = n / (n - 1) ** 3 * ((products - mean) ** 2).sum(axis=0)
    off = ~np.eye(m, dtype=bool)
    denominator = float((correlation[off] ** 2).sum())
    shrink = 1.0 if denominator == 0 else min(1.0, max(0.0, float(spread[off].sum()) / denominator))
    shrunk = (1 - shrink) * correlation
    np.fill_diagonal(shrunk, 1.0)
    return shrunk * np.outer(std, std)


def naive_residuals(history: np.ndarray) -> np.ndarray:
    """In-sample errors of the seasonal naive (the naive before two years: a year and a month would leave a
    handful of seasonal errors, too few for a covariance) of each row of ``history`` (series × months):
    months × series."""
    lag = SEASON if history.shape[1] >= 2 * SEASON else 1
    return (history[:, lag:] - history[:, :-lag]).T


def _project(base: np.ndarray, c: np.ndarray, w: np.ndarray) -> np.ndarray:
    return base - w @ c.T @ np.linalg.pinv(c @ w @ c.T) @ (c @ base)


def _bottom_up(base: np.ndarray, groups: list[list[int]]) -> np.ndarray:
    made = base.copy()
    made[0] = np.mean([base[parts].sum(axis=0) for parts in groups], axis=0)
    return made


def _non_negative(made: np.ndarray, groups: list[list[int]]) -> np.ndarray:
    """Parts below 0 set to 0 and each dimension's parts scaled so that they add up to the total (≥ 0)."""
    made = made.copy()
    made[0] = np.maximum(made[0], 0.0)
    for parts in groups:
        block = np.maximum(made[parts], 0.0)
        sums = block.sum(axis=0)
        even = np.full_like(block, 1.0 / len(parts))
        shares = np.divide(block, sums, out=even, where=sums > 0)
        made[parts] = shares * made[0]
    return made


def reconcile(method: str, base: np.ndarray, groups: list[list[int]], history: np.ndarray) -> np.ndarray:
    """Coherent forecasts (series × months) from the ``base`` ones by ``method`` (see :data:`METHODS`);
    ``history`` (series × training months) gives MinT its error covariance."""
    if method == "bottom_up":
        made = _bottom_up(base, groups)
    elif method in ("ols", "mint_shrink"):
        c = constraints(groups, base.shape[0])
        w = np.eye(base.shape[0]) if method == "ols" else shrunk_covariance(naive_residuals(history))
        made = _project(base, c, w)
    else:
        raise ValueError(f"unknown reconciliation {method!r}: use one of {', '.join(METHODS)}")
    return _non_negative(made, groups)


def moved_interval(base: np.ndarray, lower: np.ndarray, upper: np.ndarray,
                   made: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """The base interval moved with the point forecast (its half-widths kept), clipped at 0."""
    return np.maximum(made - (base - lower), 0.0), np.maximum(made + (upper - base), made)


def incoherence(values: np.ndarray, groups: list[list[int]]) -> float:
    """Largest |total − Σ parts| over the dimensions and months, relative to the total (0: coherent)."""
    gaps = [np.abs(values[0] - values[parts].sum(axis=0)) for parts in groups]
    return float(np.max(np.array(gaps) / np.maximum(np.abs(values[0]), 1e-12))) if gaps else 0.0
