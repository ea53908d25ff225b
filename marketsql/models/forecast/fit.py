"""Forecast every series of every cut, then reconcile each measure so that the parts add up to the total.

Each series is forecast on its own (:func:`.model.forecast_series`: candidates against the baseline over rolling
origins). Per measure, the dimensions whose parts add up to the total in every month of history (revenue by
any cut; orders and customers by country and segment — an order or a customer spans several categories, so
those do not add up by category and are served unreconciled) form one grouped hierarchy. Every reconciliation
of :mod:`.hierarchy` is applied at each rolling origin to the served base forecasts and scored by MASE over
the series and origins; the one with the lowest is used for the final forecasts (the base forecasts' MASE is
stored beside it: coherence may cost accuracy, and the figures say how much).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from .hierarchy import METHODS, incoherence, moved_interval, reconcile
from .model import SeriesResult, forecast_series, mase_scale
from .series import MEASURES, Cuts

Key = tuple[str, str, str]  # (measure, dimension, key)


@dataclass
class ForecastTraining:
    """Every series' result, the reconciled forecasts, and what was said about the cuts."""

    results: list[SeriesResult]
    series: list[Key]
    train_months: list[int]
    holdout_months: list[str]
    forecast_months: list[str]
    forecast: np.ndarray  # reconciled, series × horizon
    lower: np.ndarray
    upper: np.ndarray
    reconciled: list[str]  # per series: the reconciliation used, or "none"
    reconciled_mase: list[float | None]  # per series: MASE of the reconciled forecasts over the origins
    reconciliation: dict[str, dict[str, Any]] = field(default_factory=dict)  # per measure
    said: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    level: float = 0.8

    def lines(self) -> list[str]:
        """A short report for the command line."""
        out = [f"Holdout: {self.holdout_months[0]} … {self.holdout_months[-1]} ({len(self.holdout_months)} months);"
               f" forecast {self.forecast_months[0]} … {self.forecast_months[-1]}",
               f"{'series':<34} {'model':<26} {'MASE':>6} {'sMAPE':>6} {'cover':>5}   {'baseline':<14} {'MASE':>6}"
               f" {'sMAPE':>6} {'cover':>5}  winner (MASE over origins; coverage of the holdout, nominal"
               f" {self.level:.0%})"]
        for (measure, dimension, key), r in zip(self.series, self.results, strict=True):
            label = f"{measure} {'total' if dimension == 'total' else f'{dimension} {key}'}"
            m, b = r.model_errors, r.baseline_errors
            out.append(f"{label[:34]:<34} {r.holdout_model.method[:26]:<26} {m['mase']:>6.2f} {m['smape']:>6.1%}"
                       f" {m['coverage']:>5.0%}   {r.holdout_baseline.method:<14} {b['mase']:>6.2f}"
                       f" {b['smape']:>6.1%} {b['coverage']:>5.0%}  {r.winner} ({r.final.method};"
                       f" {r.origins} origin(s))")
        wins = sum(r.winner == "model" for r in self.results)
        out.append(f"The model beats its baseline on {wins} of {len(self.results)} series; the baseline is served"
                   " where it wins")
        for measure, block in self.reconciliation.items():
            scores = ", ".join(f"{name} {block['mase'][name]:.3f}" for name in ("base", *METHODS))
            out.append(f"Reconciled {measure} (total = sum of parts by {', '.join(block['dimensions'])}):"
                       f" {block['chosen']} — mean MASE over {block['series']} series and the origins: {scores}")
        out += [f"note: {line}" for line in self.said + self.notes]
        return out


def additive(cuts: Cuts, measure: str, dimensions: list[str]) -> tuple[list[str], list[str]]:
    """The dimensions whose parts add up to the total of ``measure`` in every month (1e-6 relative), and a line
    for each that does not."""
    total = cuts.values[(measure, "total", "All")]
    kept, said = [], []
    for dimension in dimensions:
        parts = sum(cuts.values[(measure, dimension, k)] for k in cuts.parts(measure, dimension))
        ratio = float(np.sum(parts) / np.sum(total)) if np.sum(total) else 1.0
        if np.allclose(parts, total, rtol=1e-6, atol=1e-9):
            kept.append(dimension)
        else:
            said.append(f"{measure} by {dimension}: not reconciled — the parts add up to {ratio:.2f}× the total"
                        f" (one {measure[:-1]} spans several {dimension} parts); forecast series by series")
    return kept, said


def _mase(actual: np.ndarray, forecast: np.ndarray, scales: np.ndarray) -> np.ndarray:
    return np.mean(np.abs(actual - forecast), axis=1) / scales


def _evaluate(y: np.ndarray, results: list[SeriesResult], groups: list[list[int]],
              holdout: int) -> dict[str, np.ndarray]:
    """Per method (and "base"): each series' MASE averaged over the rolling origins."""
    scores: dict[str, list[np.ndarray]] = {name: [] for name in ("base", *METHODS)}
    for k, end in enumerate(results[0].origin_ends):
        base = np.vstack([r.origin_served[k] for r in results])
        actual, history = y[:, end:end + holdout], y[:, :end]
        scales = np.array([mase_scale(row) for row in history])
        scores["base"].append(_mase(actual, base, scales))
        for method in METHODS:
            scores[method].append(_mase(actual, reconcile(method, base, groups, history), scales))
    return {name: np.mean(values, axis=0) for name, values in scores.items()}


def _reconcile_measure(training: ForecastTraining, cuts: Cuts, measure: str, holdout: int) -> None:
    rows = [i for i, (m, _, _) in enumerate(training.series) if m == measure]
    if not rows:
        return
    dimensions = list(dict.fromkeys(d for m, d, _ in training.series if m == measure and d != "total"))
    kept, said = additive(cuts, measure, dimensions)
    training.said += said
    if not kept:
        return
    index = [rows[0]] + [i for i in rows if training.series[i][1] in kept]
    groups = [[n for n, i in enumerate(index) if training.series[i][1] == d] for d in kept]
    results = [training.results[i] for i in index]
    y = np.vstack([cuts.values[training.series[i]] for i in index])
    scores = _evaluate(y, results, groups, holdout)
    means = {name: float(np.mean(values)) for name, values in scores.items()}
    chosen = min(METHODS, key=lambda name: means[name])
    base = np.vstack([r.final.mean for r in results])
    made = reconcile(chosen, base, groups, y)
    lower, upper = moved_interval(base, np.vstack([r.final.lower for r in results]),
                                  np.vstack([r.final.upper for r in results]), made)
    assert incoherence(made, groups) < 1e-6, f"{measure}: reconciled forecasts do not add up"
    for n, i in enumerate(index):
        training.forecast[i], training.lower[i], training.upper[i] = made[n], lower[n], upper[n]
        training.reconciled[i], training.reconciled_mase[i] = chosen, float(scores[chosen][n])
    training.reconciliation[measure] = {"chosen": chosen, "dimensions": kept, "series": len(index),
                                        "mase": means, "origins": len(results[0].origin_ends)}


def fit_cuts(cuts: Cuts, horizon: int, holdout: int, level: float,
             progress: Callable[[str], None] = lambda _: None, library: str = "statsmodels") -> ForecastTraining:
    """Forecast every series of ``cuts``, then reconcile each measure (see the module's docstring)."""
    keys = list(cuts.values)
    results = []
    for n, key in enumerate(keys, 1):
        progress(f"forecast {n}/{len(keys)}: {' '.join(key)}")
        results.append(forecast_series("|".join(key), cuts.values[key], horizon, holdout, level,
                                       library=library))
    months = cuts.months
    future = [f"{m:%Y-%m-%d}" for m in pd.date_range(months[-1], periods=horizon + 1, freq="MS")[1:]]
    training = ForecastTraining(
        results, keys, [len(months)] * len(keys), [f"{m:%Y-%m-%d}" for m in months[-holdout:]], future,
        np.vstack([r.final.mean for r in results]), np.vstack([r.final.lower for r in results]),
        np.vstack([r.final.upper for r in results]), ["none"] * len(keys), [None] * len(keys),
        said=list(cuts.said), notes=list(cuts.notes), level=level)
    for measure in MEASURES:
        _reconcile_measure(training, cuts, measure, holdout)
    return training
