"""Which price model is served: candidates fitted on the training products, compared on the holdout.

Every candidate fits log price on the training rows; they are compared by **R² on the price itself** (not on
log price) on the holdout, with MAE on price and R² on log price beside it:

- ``ridge``: ridge regression (penalty by leave-one-out) on the standardised attributes (skewed ones logged)
  and one indicator per brand with enough products;
- ``loglog``: ordinary least squares of log price on log1p of every non-binary attribute (binary ones as they
  are), standardised (a rescaling that does not change its predictions), and the same brand indicators;
- ``gbm``: gradient boosting (scikit-learn's ``HistGradientBoostingRegressor``) on the raw attributes and the
  brand as one categorical input;
- ``brand_mean``: the baseline — least squares on the brand indicators alone (each brand's mean log price, the
  small brands pooled).

Served: the best of the *linear* candidates (ridge, loglog, brand_mean) — they compile to the SQL macros, the
map and the PostgreSQL mirror as ``exp(intercept + Σ w·input + brand)``. Gradient boosting is not compiled to
SQL; when it is the best, the metrics say so and name the linear model served instead. A candidate that cannot
be fitted (too few training rows, a failed solve) is reported with the reason and left out.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numpy as np

from .ridge import Ridge, ridge_cv

LINEAR = ("ridge", "loglog", "brand_mean")
GBM_MIN_ROWS = 40  # two leaves of HistGradientBoosting's default min_samples_leaf (20)


@dataclass
class Reading:
    """How a linear candidate reads the attributes: log1p or not, then ``(t - center) / scale``."""

    log_transform: np.ndarray
    center: np.ndarray
    scale: np.ndarray

    def inputs(self, filled: np.ndarray) -> np.ndarray:
        """Attribute matrix (missing already filled) -> standardised inputs."""
        t = np.where(self.log_transform, np.log1p(np.maximum(filled, 0.0)), filled)
        return (t - self.center) / self.scale


def readings(filled: np.ndarray, log_transform: np.ndarray, center: np.ndarray,
             scale: np.ndarray) -> dict[str, Reading]:
    """The reading of each linear candidate: the model's own ``z`` for ridge and brand_mean, log1p of every
    non-binary attribute for loglog."""
    binary = np.array([set(np.unique(filled[:, j])) <= {0.0, 1.0} for j in range(filled.shape[1])], dtype=bool)
    logged = np.where(binary, filled, np.log1p(np.maximum(filled, 0.0)))
    spread = logged.std(axis=0)
    own = Reading(np.asarray(log_transform, dtype=bool), center, scale)
    return {"ridge": own, "brand_mean": own,
            "loglog": Reading(~binary, logged.mean(axis=0), np.where(spread > 0, spread, 1.0))}


def design(name: str, reading: Reading, filled: np.ndarray, dummies: np.ndarray) -> np.ndarray:
    """The input matrix of a linear candidate (brand_mean: the brand indicators only)."""
    if name == "brand_mean":
        return dummies
    return np.column_stack([reading.inputs(filled), dummies])


def fitter(name: str) -> Callable[[np.ndarray, np.ndarray], Ridge]:
    """The fitting function of a linear candidate."""
    return ridge_cv if name == "ridge" else ols


def ols(x: np.ndarray, y: np.ndarray) -> Ridge:
    """Least squares with an intercept (minimum-norm when columns are collinear or constant)."""
    y_mean = float(y.mean())
    if x.shape[1] == 0:
        return Ridge(np.zeros(0), y_mean, 0.0)
    x_mean = x.mean(axis=0)
    coef, *_ = np.linalg.lstsq(x - x_mean, y - y_mean, rcond=None)
    return Ridge(coef, y_mean - float(x_mean @ coef), 0.0)


def compare(filled: np.ndarray, dummies: np.ndarray, price: np.ndarray, test: np.ndarray, seed: int,
            reading: dict[str, Reading]) -> tuple[list[dict[str, Any]], dict[str, np.ndarray]]:
    """Each candidate fitted on the training rows and scored on the holdout; the holdout log-price predictions of
    the linear ones (reused for the served model's metrics)."""
    y = np.log(price)
    out: list[dict[str, Any]] = []
    guesses: dict[str, np.ndarray] = {}
    for name in ("ridge", "loglog", "gbm", "brand_mean"):
        try:
            if name == "gbm":
                guess = _gbm(filled, dummies, y, test, seed)
            else:
                x = design(name, reading[name], filled, dummies)
                guess = fitter(name)(x[~test], y[~test]).predict(x[test])
                guesses[name] = guess
        except (ValueError, np.linalg.LinAlgError) as error:
            out.append({"candidate": name, "skipped": str(error)})
            continue
        out.append({"candidate": name, "r2_price": r2(price[test], np.exp(guess)),
                    "mae_price": float(np.abs(price[test] - np.exp(guess)).mean()),
                    "r2_log_price": r2(y[test], guess)})
    return out, guesses


def choose(candidates: list[dict[str, Any]]) -> tuple[str, str, str]:
    """(best candidate, served candidate, why) by R² on price on the holdout; served is the best linear one."""
    scored = [c for c in candidates if "r2_price" in c and np.isfinite(c["r2_price"])]
    if not scored:
        return "brand_mean", "brand_mean", "no candidate could be scored on the holdout: the brand means are served"
    best = max(scored, key=lambda c: c["r2_price"])["candidate"]
    linear = [c for c in scored if c["candidate"] in LINEAR]
    served = max(linear, key=lambda c: c["r2_price"])["candidate"] if linear else "brand_mean"
    why = f"best on the holdout by R² on price: {best}; served {served}"
    if best != served:
        why += f" (the best linear model; {best} is not compiled to SQL)"
    if served == "brand_mean":
        why += " — the attribute models lose to the brand-mean baseline, so the baseline is served"
    return best, served, why


def _gbm(filled: np.ndarray, dummies: np.ndarray, y: np.ndarray, test: np.ndarray, seed: int) -> np.ndarray:
    from sklearn.ensemble import HistGradientBoostingRegressor

    rows = int((~test).sum())
    if rows < GBM_MIN_ROWS:
        raise ValueError(f"{rows} training products: gradient boosting needs at least {GBM_MIN_ROWS}")
    categorical = dummies.shape[1] < 250  # one brand column (HistGradientBoosting takes < 255 categories)
    if categorical:
        brand = dummies.argmax(axis=1) if dummies.shape[1] else np.zeros(len(filled))
        brand = np.where(dummies.any(axis=1), brand, dummies.shape[1]) if dummies.shape[1] else brand  # other: last
        x = np.column_stack([filled, brand])
    else:
        x = np.column_stack([filled, dummies])
    model = HistGradientBoostingRegressor(random_state=seed,
                                          categorical_features=[filled.shape[1]] if categorical else None)
    return np.asarray(model.fit(x[~test], y[~test]).predict(x[test]), dtype=np.float64)


def r2(y: np.ndarray, guess: np.ndarray) -> float:
    """Coefficient of determination of ``guess`` for ``y`` (NaN when ``y`` is constant)."""
    total = float(((y - y.mean()) ** 2).sum())
    return 1.0 - float(((y - guess) ** 2).sum()) / total if total > 0 else float("nan")
