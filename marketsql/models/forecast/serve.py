"""The forecast model in the database: train per series, register the values, compile them to SQL.

Series: revenue, orders and customers by month, in total and by category, country and segment (:mod:`.series`),
from the complete months of ``sales_by_month`` (a partial last month is never used), each forecast on its own and
then reconciled (:mod:`.fit`, :mod:`.hierarchy`). The forecast values, intervals and holdout figures are stored as
registry arrays and compiled into table macros read by ``sales_forecast``, ``forecast_holdout``,
``forecast_accuracy`` and ``forecast_reconciliation``.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date
from typing import Any

import duckdb
import numpy as np
import pandas as pd

from marketsql.core.tablemacro import failing_table_macro, table_macro
from marketsql.core.udfs import Udf
from marketsql.errors import ModelError
from marketsql.models.kind import ModelKind, TrainContext, fingerprint
from marketsql.models.registry import ModelRecord, Registry

from .fit import ForecastTraining, fit_cuts
from .series import DIMENSIONS, MEASURES, SOURCE_COLUMNS, build_cuts, complete_months
from .sfmethods import LIBRARIES, candidates

NAME = "forecast"
SOURCE_VIEW = "sales_by_month"
MIN_TRAIN_MONTHS = 6
MACROS = ("forecast_points", "forecast_holdout_points", "forecast_accuracy_points", "forecast_reconciliation_points")
# the holdout months with the served method's forecast and interval (sales_anomalies reads it; empty untrained)
ANOMALY_MACRO = "forecast_anomaly_points"
ANOMALY_COLUMNS = [("dimension", "VARCHAR"), ("category", "VARCHAR"), ("month", "DATE"), ("actual", "DOUBLE"),
                   ("forecast", "DOUBLE"), ("lower", "DOUBLE"), ("upper", "DOUBLE")]


def _register(context: TrainContext, kind: ModelKind, result: ForecastTraining, horizon: int, holdout: int,
              level: float, frame: pd.DataFrame, library: tuple[str, tuple[str, ...]]) -> ModelRecord:
    rs = result.results
    arrays = {"forecast": result.forecast, "lower": result.lower, "upper": result.upper,
              "base_forecast": np.vstack([r.final.mean for r in rs]),
              "holdout_actual": np.vstack([r.holdout_actual for r in rs]),
              "holdout_model": np.vstack([r.holdout_model.mean for r in rs]),
              "holdout_baseline": np.vstack([r.holdout_baseline.mean for r in rs]),
              "holdout_model_lower": np.vstack([r.holdout_model.lower for r in rs]),
              "holdout_model_upper": np.vstack([r.holdout_model.upper for r in rs]),
              "holdout_baseline_lower": np.vstack([r.holdout_baseline.lower for r in rs]),
              "holdout_baseline_upper": np.vstack([r.holdout_baseline.upper for r in rs])}
    params = {"series": [list(s) for s in result.series], "horizon": horizon, "holdout": holdout, "level": level,
              "forecast_months": result.forecast_months, "holdout_months": result.holdout_months,
              "methods": [r.final.method for r in rs], "winners": [r.winner for r in rs],
              "holdout_methods": [[r.holdout_model.method, r.holdout_baseline.method] for r in rs],
              "train_months": result.train_months, "reconciled": result.reconciled,
              "said": result.said, "notes": result.notes, "library": library[0]}
    wins = sum(r.winner == "model" for r in rs)
    metrics: dict[str, Any] = {
        "series": len(rs), "model_wins": wins, "baseline_wins": len(rs) - wins,
        "reconciliation": result.reconciliation,
        **{f"mean_{score}_{side}": float(np.mean([getattr(r, f"{side}_errors")[score] for r in rs]))
           for score in ("smape", "coverage", "mase") for side in ("model", "baseline")},
        "per_series": {"|".join(key): {"model": r.model_errors, "baseline": r.baseline_errors, "winner": r.winner,
                                       "family": r.family, "candidates_mase": r.candidates, "origins": r.origins,
                                       "reconciled_mase": mase}
                       for key, r, mase in zip(result.series, rs, result.reconciled_mase, strict=True)}}
    return context.register(kind, f"{'+'.join(library[1])} mean vs seasonal naive, reconciled", params,
                            list(dict.fromkeys(m for m, _, _ in result.series)), metrics, arrays, fingerprint(frame))


POINT_COLUMNS = [("measure", "VARCHAR"), ("dimension", "VARCHAR"), ("category", "VARCHAR"), ("month", "DATE"),
                 ("forecast", "DOUBLE"), ("lower", "DOUBLE"), ("upper", "DOUBLE"), ("method", "VARCHAR"),
                 ("level", "DOUBLE"), ("base_forecast", "DOUBLE"), ("reconciliation", "VARCHAR"),
                 ("model_version", "INTEGER")]
HOLDOUT_ARRAYS = ("actual", "model", "model_lower", "model_upper", "baseline", "baseline_lower", "baseline_upper")
HOLDOUT_COLUMNS = [("measure", "VARCHAR"), ("dimension", "VARCHAR"), ("category", "VARCHAR"), ("month", "DATE"),
                   ("actual", "DOUBLE"),
                   ("model_forecast", "DOUBLE"), ("model_lower", "DOUBLE"), ("model_upper", "DOUBLE"),
                   ("baseline_forecast", "DOUBLE"), ("baseline_lower", "DOUBLE"), ("baseline_upper", "DOUBLE"),
                   ("model_method", "VARCHAR"), ("baseline_method", "VARCHAR")]
SCORES = ("mae", "mape", "smape", "coverage", "mase")
ACCURACY_COLUMNS = [("measure", "VARCHAR"), ("dimension", "VARCHAR"), ("category", "VARCHAR"),
                    ("model_method", "VARCHAR"),
                    ("model_mae", "DOUBLE"), ("model_mape", "DOUBLE"), ("model_smape", "DOUBLE"),
                    ("model_coverage", "DOUBLE"), ("model_mase", "DOUBLE"), ("baseline_method", "VARCHAR"),
                    ("baseline_mae", "DOUBLE"), ("baseline_mape", "DOUBLE"), ("baseline_smape", "DOUBLE"),
                    ("baseline_coverage", "DOUBLE"), ("baseline_mase", "DOUBLE"), ("level", "DOUBLE"),
                    ("winner", "VARCHAR"), ("forecast_method", "VARCHAR"), ("train_months", "INTEGER"),
                    ("holdout_months", "INTEGER"), ("origins", "INTEGER"), ("reconciliation", "VARCHAR"),
                    ("reconciled_mase", "DOUBLE"), ("model_version", "INTEGER")]
RECONCILIATION_COLUMNS = [("measure", "VARCHAR"), ("method", "VARCHAR"), ("mase", "DOUBLE"), ("chosen", "BOOLEAN"),
                          ("dimensions", "VARCHAR"), ("series", "INTEGER"), ("origins", "INTEGER"),
                          ("model_version", "INTEGER")]


def _names(what: str, given: str | Sequence[str], known: tuple[str, ...]) -> tuple[str, ...]:
    """``given`` (names, or one comma-separated string as ``--measures``/``--dimensions`` pass it) checked against
    ``known``, duplicates dropped; a measure is required, no dimension means the total alone."""
    names = [n.strip() for n in given.split(",")] if isinstance(given, str) else [str(n) for n in given]
    names = [n for n in names if n]
    option, allowed = f"--{what}s", ", ".join(known)
    for name in names:
        if name not in known:
            raise ModelError(f"{option} {name!r} is not a {what} — use any of {allowed} (comma-separated)")
    if what == "measure" and not names:
        raise ModelError(f"{option}: no measure given — use any of {allowed} (comma-separated)")
    return tuple(dict.fromkeys(names))


class Forecast(ModelKind):
    """Revenue, orders and customers forecasts per series (total; by category, country and segment) from
    sales_by_month: the mean of the candidates (statsmodels' ETS, log ETS, Theta, ARIMA, or statsforecast's) against
    seasonal naive over rolling origins (by MASE), blended with it by inverse MASE where it wins at every origin,
    the baseline served where it does not; then reconciled so that the parts add up to the total."""

    name = NAME
    reads = ("sales_by_month",)
    options = ("horizon", "holdout", "measures", "dimensions", "library")

    def sql_and_python(self, con: duckdb.DuckDBPyConnection, record: ModelRecord) -> tuple[np.ndarray, np.ndarray]:
        """``forecast_points()`` (what sales_forecast reads), and the stored forecast arrays, series by series."""
        arrays = Registry(con).arrays(record)
        rows = con.execute("SELECT forecast, lower, upper FROM forecast_points()").fetchall()
        stored = np.stack([arrays["forecast"], arrays["lower"], arrays["upper"]], axis=-1).reshape(-1, 3)
        return np.array(rows, dtype=np.float64).ravel(), stored.ravel()

    def training_lines(self, result: ForecastTraining, record: ModelRecord) -> list[str]:
        """Per series: the model and the baseline (MASE, sMAPE, coverage), the winner; then what was registered."""
        return [*result.lines(), f"Registered {record.name} v{record.version} as active; marts updated"]

    def train(self, context: TrainContext, horizon: int = 6, holdout: int | None = None, level: float = 0.8,
              measures: str | Sequence[str] = MEASURES,
              dimensions: str | Sequence[str] = DIMENSIONS,
              library: str = "statsmodels") -> tuple[ForecastTraining, ModelRecord]:
        """Forecast ``measures`` in total and by the cuts ``dimensions`` ``horizon`` months ahead, reconcile;
        register the active version."""
        measures, dimensions = _names("measure", measures, MEASURES), _names("dimension", dimensions, DIMENSIONS)
        if library not in LIBRARIES:
            raise ModelError(f"--library {library!r} is not a forecast library — use {' or '.join(LIBRARIES)}")
        table = candidates(library)  # statsforecast: says how to install it when missing
        if not 1 <= horizon <= 36:
            raise ModelError(f"--horizon {horizon}: give 1 to 36 months")
        if not 0 < level < 1:
            raise ModelError(f"level {level}: give the interval's coverage as a fraction, e.g. 0.8")
        frame = context.read(SOURCE_VIEW, f"SELECT * FROM {SOURCE_VIEW} WHERE dimension IN ('total', 'category',"
                             " 'country') ORDER BY dimension, key, month")
        # revenue stays whatever is forecast: it ranks the parts of a cut (the largest kept, the rest pooled)
        frame = frame[[c for c in SOURCE_COLUMNS.split(", ") if c in frame.columns and c not in set(MEASURES) - set(
            measures) - {"revenue"}]]
        months = complete_months(frame[frame["dimension"] == "total"])
        if len(months) < MIN_TRAIN_MONTHS + 1:
            raise ModelError(f"too little history to forecast: {len(months)} complete month(s) of sales, need at"
                             f" least {MIN_TRAIN_MONTHS + 1} ({MIN_TRAIN_MONTHS} to fit + 1 to test) — load more months"
                             " of order lines and build")
        holdout = min(horizon, len(months) - MIN_TRAIN_MONTHS) if holdout is None else holdout
        if not 1 <= holdout <= len(months) - MIN_TRAIN_MONTHS:
            raise ModelError(f"--holdout {holdout}: with {len(months)} complete months give 1 to"
                             f" {len(months) - MIN_TRAIN_MONTHS} (at least {MIN_TRAIN_MONTHS} months stay to fit)")
        cuts = build_cuts(context, frame, holdout + MIN_TRAIN_MONTHS, tuple(dimensions), measures)
        result = fit_cuts(cuts, horizon, holdout, level, context.progress, library)
        record = _register(context, self, result, horizon, holdout, level, frame, (library, tuple(table)))
        return result, record

    def compile(self, con: duckdb.DuckDBPyConnection, record: ModelRecord) -> None:
        """Table macros ``forecast_points()``, ``forecast_holdout_points()``, ``forecast_accuracy_points()``,
        ``forecast_reconciliation_points()`` (and the anomalies' ``forecast_anomaly_points()``)."""
        arrays = Registry(con).arrays(record)
        p = record.params
        future = [date.fromisoformat(m) for m in p["forecast_months"]]
        tested = [date.fromisoformat(m) for m in p["holdout_months"]]
        points, holdout, accuracy, served = [], [], [], []
        for i, series in enumerate(p["series"]):
            measure, dimension, key = series if len(series) == 3 else ("revenue", *series)  # before measures
            reconciled = p.get("reconciled", ["none"] * len(p["series"]))[i]
            base = arrays.get("base_forecast", arrays["forecast"])
            for j, month in enumerate(future):
                points.append((measure, dimension, key, month, arrays["forecast"][i, j], arrays["lower"][i, j],
                               arrays["upper"][i, j], p["methods"][i], p["level"], base[i, j], reconciled,
                               record.version))
            model_method, baseline_method = p["holdout_methods"][i]
            for j, month in enumerate(tested):
                holdout.append((measure, dimension, key, month,
                                *(arrays[f"holdout_{name}"][i, j] for name in HOLDOUT_ARRAYS), model_method,
                                baseline_method))
                if measure == "revenue" and dimension in ("total", "category"):
                    side = "model" if p["winners"][i] == "model" else "baseline"
                    served.append((dimension, key, month, arrays["holdout_actual"][i, j],
                                   *(arrays[f"holdout_{side}{part}"][i, j] for part in ("", "_lower", "_upper"))))
            per_series = record.metrics["per_series"]
            block = per_series["|".join(series)] if len(series) == 3 else per_series[key]
            accuracy.append((measure, dimension, key, model_method, *(block["model"].get(m) for m in SCORES),
                             baseline_method, *(block["baseline"].get(m) for m in SCORES), p["level"],
                             p["winners"][i], p["methods"][i], p["train_months"][i] - p["holdout"], p["holdout"],
                             block.get("origins", 1), reconciled, block.get("reconciled_mase"), record.version))
        chosen = [(measure, method, mase, method == block["chosen"], ", ".join(block["dimensions"]), block["series"],
                   block["origins"], record.version)
                  for measure, block in record.metrics.get("reconciliation", {}).items()
                  for method, mase in block["mase"].items()]
        con.execute(table_macro("forecast_points", POINT_COLUMNS, points))
        con.execute(table_macro("forecast_holdout_points", HOLDOUT_COLUMNS, holdout))
        con.execute(table_macro("forecast_accuracy_points", ACCURACY_COLUMNS, accuracy))
        con.execute(table_macro("forecast_reconciliation_points", RECONCILIATION_COLUMNS, chosen))
        con.execute(table_macro(ANOMALY_MACRO, ANOMALY_COLUMNS, served))

    def compile_untrained(self, con: duckdb.DuckDBPyConnection) -> None:
        """Stand-in table macros that fail with what to run."""
        for name in MACROS:
            con.execute(failing_table_macro(name, self.untrained))
        con.execute(table_macro(ANOMALY_MACRO, ANOMALY_COLUMNS, []))  # no forecast: no forecast anomalies

    def udfs(self, con: duckdb.DuckDBPyConnection, record: ModelRecord) -> list[Udf]:
        """No Python UDF: the forecast is a table."""
        return []
