"""Forecasting methods: each takes a monthly series and returns point forecasts with an interval.

The candidates (statsmodels, imported inside each function so that serving never loads it):

* ``ets`` — exponential smoothing, the form (additive or multiplicative error, none / damped trend, none /
  additive / multiplicative seasonality) with the lowest AICc; multiplicative forms only on positive series,
  seasonal forms from two years of history. The chosen form is fitted twice, on the series divided by its
  mean level and on the series itself (statsmodels' own fit), and the fit with the higher likelihood of the
  series is kept: the optimiser lands in different optima from the two, and either alone can be far worse.
* ``log_ets`` — additive ETS on log(y) (positive series), back-transformed (the median forecast).
* ``theta`` — the Theta method (statsmodels ThetaModel), deseasonalised when there are two years.
* ``arima`` — the airline model ARIMA(0,1,1)(0,1,1)12 on log(y) (positive series, three years of history).
* ``combination`` — the mean of the candidates that apply (forecasts and interval bounds): the model served.
* ``seasonal_naive`` / ``naive`` — the baselines.
"""

from __future__ import annotations

import warnings
from collections.abc import Callable
from dataclasses import dataclass
from statistics import NormalDist
from typing import Any

import numpy as np
import pandas as pd

SEASON = 12
MAX_HISTORY = 120  # the candidates fit the last ten years at most (the baselines need one)
Form = tuple[str, str | None, bool, str | None]  # (error, trend, damped, seasonal)
ETS_FORMS: tuple[Form, ...] = (
    ("add", None, False, None), ("add", "add", True, None), ("mul", None, False, None), ("mul", "add", True, None),
    ("add", None, False, "add"), ("add", "add", True, "add"), ("mul", None, False, "mul"),
    ("mul", "add", True, "mul"))
LOG_FORMS: tuple[Form, ...] = (("add", None, False, None), ("add", "add", True, None), ("add", None, False, "add"))


@dataclass(frozen=True)
class Forecast:
    """Point forecasts and interval bounds for the next months, and the method that made them."""

    method: str
    mean: np.ndarray
    lower: np.ndarray
    upper: np.ndarray


Method = Callable[[np.ndarray, int, float], Forecast | None]  # None: the method does not apply to this series


def ets_name(form: Form, prefix: str = "") -> str:
    """``ETS(M,Ad,M)``-style name of a form."""
    error, trend, damped, seasonal = form
    letter = {None: "N", "add": "A", "mul": "M"}
    return f"{prefix}ETS({letter[error]},{'Ad' if damped else letter[trend]},{letter[seasonal]})"


def _allowed(form: Form, y: np.ndarray) -> bool:
    error, _, _, seasonal = form
    positive = bool(np.all(y > 0))
    return (seasonal is None or len(y) >= 2 * SEASON) and (positive or "mul" not in (error, seasonal))


def fit_ets(y: np.ndarray, form: Form, scales: tuple[str, ...] = ("mean", "unit")) -> tuple[Any, float] | None:
    """The best statsmodels ETS fit of ``form`` among those started on ``y`` over its mean level ("mean") and
    on ``y`` itself ("unit"): ``(fitted results, scale fitted on)``, or None when no fit succeeds."""
    from statsmodels.tsa.exponential_smoothing.ets import ETSModel  # imported only when training

    error, trend, damped, seasonal = form
    level = float(np.mean(np.abs(y))) or 1.0
    best: tuple[float, Any, float] | None = None
    for scale in sorted({level if name == "mean" else 1.0 for name in scales}):
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            try:
                fitted = ETSModel(pd.Series(y / scale), error=error, trend=trend, damped_trend=damped,
                                  seasonal=seasonal, seasonal_periods=SEASON if seasonal else None).fit(disp=False)
            except (ValueError, np.linalg.LinAlgError):
                continue
        llf = float(fitted.llf) - len(y) * np.log(scale)  # the likelihood of y, whichever scale was fitted
        if np.isfinite(llf) and (best is None or llf > best[0]):
            best = (llf, fitted, scale)
    return None if best is None else (best[1], best[2])


def _aicc(fitted: Any, scale: float, n: int) -> float:
    return float(fitted.aicc) + 2 * n * np.log(scale)  # AICc of y itself, so that fits on different scales compare


def ets_forecast(y: np.ndarray, horizon: int, level: float, forms: tuple[Form, ...] = ETS_FORMS,
                 prefix: str = "") -> Forecast | None:
    """The form with the lowest AICc on ``y`` among ``forms`` (those ``y`` does not allow are skipped): forms
    compared on fits started at the mean level, the chosen one also fitted unscaled (the better fit kept)."""
    y = y[-MAX_HISTORY:]
    best: tuple[float, Form] | None = None
    for form in (f for f in forms if _allowed(f, y)):
        fit = fit_ets(y, form, ("mean",))
        if fit is None:
            continue
        aicc = _aicc(*fit, len(y))
        if best is None or (np.isfinite(aicc) and (not np.isfinite(best[0]) or aicc < best[0])):
            best = (aicc, form)
    fit = None if best is None else fit_ets(y, best[1])
    if best is None or fit is None:
        return None
    fitted, scale = fit
    frame = fitted.get_prediction(start=len(y), end=len(y) + horizon - 1).summary_frame(alpha=1 - level)
    return Forecast(ets_name(best[1], prefix), frame["mean"].to_numpy() * scale,
                    frame["pi_lower"].to_numpy() * scale, frame["pi_upper"].to_numpy() * scale)


def log_ets_forecast(y: np.ndarray, horizon: int, level: float, forms: tuple[Form, ...] = LOG_FORMS) -> Forecast | None:
    """Additive ETS on log(y), back-transformed; None unless every month is positive."""
    if not np.all(y > 0):
        return None
    fitted = ets_forecast(np.log(y), horizon, level, forms, prefix="log ")
    if fitted is None:
        return None
    return Forecast(fitted.method, np.exp(fitted.mean), np.exp(fitted.lower), np.exp(fitted.upper))


def theta_forecast(y: np.ndarray, horizon: int, level: float) -> Forecast | None:
    """The Theta method; deseasonalised (statsmodels' test) when there are two years of history."""
    from statsmodels.tsa.forecasting.theta import ThetaModel  # imported only when training

    y = y[-MAX_HISTORY:]
    seasonal = len(y) >= 2 * SEASON
    if len(y) < 4:
        return None
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        try:
            model = ThetaModel(pd.Series(y, index=pd.RangeIndex(len(y))), period=SEASON if seasonal else None,
                               deseasonalize=seasonal, method="additive" if np.any(y <= 0) else "auto")
            fitted = model.fit()
            mean = np.asarray(fitted.forecast(horizon), dtype=np.float64)
            bounds = np.asarray(fitted.prediction_intervals(horizon, alpha=1 - level), dtype=np.float64)
        except (ValueError, np.linalg.LinAlgError):
            return None
    if not (np.all(np.isfinite(mean)) and np.all(np.isfinite(bounds))):
        return None
    return Forecast("Theta", mean, np.minimum(bounds[:, 0], mean), np.maximum(bounds[:, 1], mean))


def arima_forecast(y: np.ndarray, horizon: int, level: float) -> Forecast | None:
    """The airline model ARIMA(0,1,1)(0,1,1)12 on log(y); None before three years or with a month ≤ 0."""
    from statsmodels.tsa.statespace.sarimax import SARIMAX  # imported only when training

    y = y[-MAX_HISTORY:]
    if len(y) < 3 * SEASON or not np.all(y > 0):
        return None
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        try:
            fitted = SARIMAX(np.log(y), order=(0, 1, 1), seasonal_order=(0, 1, 1, SEASON)).fit(disp=False)
            prediction = fitted.get_forecast(horizon)
            mean, bounds = prediction.predicted_mean, prediction.conf_int(alpha=1 - level)
        except (ValueError, np.linalg.LinAlgError):
            return None
    if not (np.all(np.isfinite(mean)) and np.all(np.isfinite(bounds))):
        return None
    return Forecast("log ARIMA(0,1,1)(0,1,1)12", np.exp(mean), np.exp(bounds[:, 0]), np.exp(bounds[:, 1]))


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


CANDIDATES: dict[str, Method] = {"ETS": ets_forecast, "log ETS": log_ets_forecast, "Theta": theta_forecast,
                                 "ARIMA": arima_forecast}


def combine(forecasts: list[Forecast]) -> Forecast | None:
    """The mean of the candidates' forecasts and of their interval bounds (None without any candidate)."""
    if not forecasts:
        return None
    return Forecast("mean of " + " + ".join(f.method for f in forecasts),
                    np.mean([f.mean for f in forecasts], axis=0), np.mean([f.lower for f in forecasts], axis=0),
                    np.mean([f.upper for f in forecasts], axis=0))


def combination_forecast(y: np.ndarray, horizon: int, level: float,
                         table: dict[str, Method] | None = None) -> Forecast | None:
    """Every candidate of ``table`` (default: the statsmodels ones) that applies to ``y``, fitted and averaged."""
    made = (method(y, horizon, level) for method in (CANDIDATES if table is None else table).values())
    return combine([f for f in made if f is not None and np.all(np.isfinite(f.mean))])


def refit(family: str, method: str, y: np.ndarray, horizon: int, level: float,
          table: dict[str, Method] | None = None) -> Forecast:
    """The method ``method`` (a name a forecast carried) of ``family`` refitted on ``y``: the same ETS form,
    the same baseline; falls back to the family's own choice when that form no longer applies."""
    if family == "baseline":
        return baseline_forecast(y, horizon, level, seasonal=method == "seasonal naive")
    if family == "combination":
        fitted = combination_forecast(y, horizon, level, table)
        return fitted if fitted is not None else baseline_forecast(y, horizon, level)
    if family in ("ETS", "log ETS"):
        prefix = "log " if family == "log ETS" else ""
        forms = tuple(f for f in ETS_FORMS + LOG_FORMS if ets_name(f, prefix) == method)[:1]
        fitted = (log_ets_forecast(y, horizon, level, forms) if prefix else ets_forecast(y, horizon, level, forms))
        if fitted is not None:
            return fitted
    fitted = CANDIDATES[family](y, horizon, level)
    return fitted if fitted is not None else baseline_forecast(y, horizon, level)
