"""Monthly revenue forecasts: exponential smoothing (statsmodels ETS) and the naive baselines.

For each series the holdout is its last ``holdout`` months: the ETS form with the lowest AICc among
those the training months allow is fitted on the months before, and so is the baseline (seasonal
naive — the same month a year earlier — when there is a year of training history, else naive — the
last month); both forecast the holdout. The one with the lower MAE wins (a tie goes to the baseline)
and the same method (the same ETS form, or the same baseline) is refitted on every month to forecast
the next ``horizon`` months with a prediction interval.
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass
from statistics import NormalDist
from typing import Any

import numpy as np
import pandas as pd

SEASON = 12
Form = tuple[str | None, bool, str | None]  # (trend, damped, seasonal)
# seasonal forms need two full years of training months
ETS_FORMS: tuple[Form, ...] = (
    (None, False, None), ("add", False, None), ("add", True, None), (None, False, "add"), ("add", True, "add"))


@dataclass(frozen=True)
class Forecast:
    """Point forecasts and interval bounds for the next months, and the method that made them."""

    method: str
    mean: np.ndarray
    lower: np.ndarray
    upper: np.ndarray


def ets_name(form: Form) -> str:
    """``ETS(A,Ad,N)``-style name of a form (additive errors)."""
    trend, damped, seasonal = form
    return f"ETS(A,{'N' if trend is None else 'Ad' if damped else 'A'},{'N' if seasonal is None else 'A'})"


def ets_forecast(y: np.ndarray, horizon: int, level: float, forms: tuple[Form, ...] = ETS_FORMS) -> Forecast:
    """The ETS form with the lowest AICc on ``y`` among ``forms`` (those ``y`` is too short for are skipped)."""
    from statsmodels.tsa.exponential_smoothing.ets import ETSModel  # imported only when training

    best: tuple[float, Any, Form] | None = None
    scale = float(np.mean(np.abs(y))) or 1.0  # fit on a unit scale: the optimiser converges better
    for form in forms:
        trend, damped, seasonal = form
        if seasonal is not None and len(y) < 2 * SEASON:
            continue
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            try:
                fitted = ETSModel(pd.Series(y / scale), error="add", trend=trend, damped_trend=damped,
                                  seasonal=seasonal, seasonal_periods=SEASON if seasonal else None).fit(disp=False)
            except (ValueError, np.linalg.LinAlgError):
                continue
        if np.isfinite(fitted.aicc) and (best is None or fitted.aicc < best[0]):
            best = (float(fitted.aicc), fitted, form)
    if best is None:  # too few months for any AICc: simple exponential smoothing
        form = ETS_FORMS[0]
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            fitted = ETSModel(pd.Series(y / scale), error="add").fit(disp=False)
        best = (float("nan"), fitted, form)
    _, fitted, form = best
    frame = fitted.get_prediction(start=len(y), end=len(y) + horizon - 1).summary_frame(alpha=1 - level)
    return Forecast(ets_name(form), frame["mean"].to_numpy() * scale, frame["pi_lower"].to_numpy() * scale,
                    frame["pi_upper"].to_numpy() * scale)


def baseline_forecast(y: np.ndarray, horizon: int, level: float, seasonal: bool | None = None) -> Forecast:
    """Seasonal naive (default: with a year of history), else naive; intervals from in-sample residuals."""
    seasonal = len(y) >= SEASON if seasonal is None else seasonal
    lag = SEASON if seasonal else 1
    steps = np.arange(horizon)
    mean = y[len(y) - lag + steps % lag] if seasonal else np.repeat(y[-1], horizon)
    residuals = y[lag:] - y[:-lag]
    sigma = float(np.sqrt(np.mean(residuals**2))) if len(residuals) else 0.0
    # h-step spread: naive sigma*sqrt(h); seasonal naive sigma*sqrt(completed years + 1) (Hyndman & Athanasopoulos)
    spread = sigma * (np.sqrt(steps // SEASON + 1) if seasonal else np.sqrt(steps + 1))
    z = NormalDist().inv_cdf(0.5 + level / 2)
    return Forecast("seasonal naive" if seasonal else "naive", mean.astype(np.float64), mean - z * spread,
                    mean + z * spread)


def errors(actual: np.ndarray, predicted: np.ndarray) -> dict[str, float | None]:
    """MAE; MAPE over months with sales; sMAPE (2|F-A| / (|A|+|F|), 0 when both are 0)."""
    diff = np.abs(actual - predicted)
    nonzero = actual != 0
    denominator = np.abs(actual) + np.abs(predicted)
    smape = np.divide(2 * diff, denominator, out=np.zeros_like(diff), where=denominator > 0)
    return {"mae": float(diff.mean()),
            "mape": float(np.mean(diff[nonzero] / np.abs(actual[nonzero]))) if nonzero.any() else None,
            "smape": float(smape.mean())}


@dataclass(frozen=True)
class SeriesResult:
    """One series: its holdout forecasts and errors, the winner, and the final forecast."""

    key: str
    holdout_actual: np.ndarray
    holdout_model: Forecast
    holdout_baseline: Forecast
    model_errors: dict[str, float | None]
    baseline_errors: dict[str, float | None]
    winner: str  # "model" or "baseline"
    final: Forecast


def forecast_series(key: str, y: np.ndarray, horizon: int, holdout: int, level: float) -> SeriesResult:
    """Holdout comparison of ETS against the baseline, then the winner refitted on all of ``y``."""
    train, test = y[:-holdout], y[-holdout:]
    model = _non_negative(ets_forecast(train, holdout, level))
    baseline = _non_negative(baseline_forecast(train, holdout, level))
    model_errors, baseline_errors = errors(test, model.mean), errors(test, baseline.mean)
    # share of holdout months inside the prediction interval (compare with its level)
    model_errors["coverage"] = float(np.mean((test >= model.lower) & (test <= model.upper)))
    baseline_errors["coverage"] = float(np.mean((test >= baseline.lower) & (test <= baseline.upper)))
    winner = "model" if model_errors["mae"] < baseline_errors["mae"] else "baseline"  # type: ignore[operator]
    # the refit keeps the method the holdout judged: the same ETS form, or the same baseline
    if winner == "model":
        forms = tuple(f for f in ETS_FORMS if ets_name(f) == model.method)
        final = _non_negative(ets_forecast(y, horizon, level, forms))
    else:
        final = _non_negative(baseline_forecast(y, horizon, level, seasonal=baseline.method == "seasonal naive"))
    return SeriesResult(key, test, model, baseline, model_errors, baseline_errors, winner, final)


def _non_negative(forecast: Forecast) -> Forecast:
    """Revenue cannot fall below 0: clip the forecast and its bounds."""
    return Forecast(forecast.method, np.maximum(forecast.mean, 0), np.maximum(forecast.lower, 0),
                    np.maximum(forecast.upper, 0))
