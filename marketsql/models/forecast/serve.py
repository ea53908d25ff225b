"""The forecast model in the database: train per series, register the values, compile them to SQL.

Series: total revenue and revenue per category by month, from the complete months of
``sales_by_month`` (a partial last month is never used). The forecast values, intervals and holdout
figures are stored as registry arrays and compiled into table macros read by ``sales_forecast``,
``forecast_holdout`` and ``forecast_accuracy``.
"""

from __future__ import annotations

from dataclasses import dataclass, field
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

from .model import SeriesResult, forecast_series

NAME = "forecast"
SOURCE_VIEW = "sales_by_month"
MIN_TRAIN_MONTHS = 6
MACROS = ("forecast_points", "forecast_holdout_points", "forecast_accuracy_points")
# the holdout months with the served method's forecast and interval (sales_anomalies reads it; empty untrained)
ANOMALY_MACRO = "forecast_anomaly_points"
ANOMALY_COLUMNS = [("dimension", "VARCHAR"), ("category", "VARCHAR"), ("month", "DATE"), ("actual", "DOUBLE"),
                   ("forecast", "DOUBLE"), ("lower", "DOUBLE"), ("upper", "DOUBLE")]


@dataclass
class ForecastTraining:
    """Every series' result, the months involved, and the series left out (with why)."""

    results: list[SeriesResult]
    series: list[tuple[str, str]]  # (dimension, key)
    train_months: list[int]  # complete months of each series
    holdout_months: list[str]
    forecast_months: list[str]
    excluded: dict[str, str] = field(default_factory=dict)
    level: float = 0.8

    def lines(self) -> list[str]:
        """A short report for the command line."""
        out = [f"Holdout: {self.holdout_months[0]} … {self.holdout_months[-1]} ({len(self.holdout_months)} months);"
               f" forecast {self.forecast_months[0]} … {self.forecast_months[-1]}",
               f"{'series':<24} {'model':<26} {'MASE':>6} {'sMAPE':>6} {'cover':>5}   {'baseline':<14} {'MASE':>6}"
               f" {'sMAPE':>6} {'cover':>5}  winner (MASE over origins; coverage of the holdout, nominal"
               f" {self.level:.0%})"]
        for (dimension, key), r in zip(self.series, self.results, strict=True):
            label = "total" if dimension == "total" else key
            m, b = r.model_errors, r.baseline_errors
            out.append(f"{label[:24]:<24} {r.holdout_model.method[:26]:<26} {m['mase']:>6.2f} {m['smape']:>6.1%}"
                       f" {m['coverage']:>5.0%}   {r.holdout_baseline.method:<14} {b['mase']:>6.2f}"
                       f" {b['smape']:>6.1%} {b['coverage']:>5.0%}  {r.winner} ({r.final.method};"
                       f" {r.origins} origin(s))")
        wins = sum(r.winner == "model" for r in self.results)
        out.append(f"The model beats its baseline on {wins} of {len(self.results)} series; the baseline is served"
                   " where it wins")
        out += [f"excluded {key}: {why}" for key, why in self.excluded.items()]
        return out


def _fit_all(frame: pd.DataFrame, months: pd.DatetimeIndex, horizon: int, holdout: int,
             level: float) -> ForecastTraining:
    results, series, lengths, excluded = [], [], [], {}
    for (dimension, key), group in frame.groupby(["dimension", "key"], sort=True):
        revenue = group.set_index(pd.to_datetime(group["month"]))["revenue"]
        revenue = revenue.reindex(months[months >= revenue.index.min()], fill_value=0.0)  # no sales = 0
        if len(revenue) < holdout + MIN_TRAIN_MONTHS:
            excluded[str(key)] = (f"sales in {len(revenue)} month(s) only, need {holdout + MIN_TRAIN_MONTHS}"
                                  " to fit and test: not forecast")
            continue
        results.append(forecast_series(str(key), revenue.to_numpy(np.float64), horizon, holdout, level))
        series.append((str(dimension), str(key)))
        lengths.append(len(revenue))
    future = pd.date_range(months[-1], periods=horizon + 1, freq="MS")[1:]
    return ForecastTraining(results, series, lengths, [f"{m:%Y-%m-%d}" for m in months[-holdout:]],
                            [f"{m:%Y-%m-%d}" for m in future], excluded, level)


def _register(context: TrainContext, kind: ModelKind, result: ForecastTraining, horizon: int, holdout: int,
              level: float, frame: pd.DataFrame) -> ModelRecord:
    rs = result.results
    arrays = {"forecast": np.vstack([r.final.mean for r in rs]), "lower": np.vstack([r.final.lower for r in rs]),
              "upper": np.vstack([r.final.upper for r in rs]),
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
              "train_months": result.train_months, "excluded": result.excluded}
    wins = sum(r.winner == "model" for r in rs)
    metrics: dict[str, Any] = {
        "series": len(rs), "model_wins": wins, "baseline_wins": len(rs) - wins,
        "mean_smape_model": float(np.mean([r.model_errors["smape"] for r in rs])),
        "mean_smape_baseline": float(np.mean([r.baseline_errors["smape"] for r in rs])),
        "mean_coverage_model": float(np.mean([r.model_errors["coverage"] for r in rs])),
        "mean_coverage_baseline": float(np.mean([r.baseline_errors["coverage"] for r in rs])),
        "mean_mase_model": float(np.mean([r.model_errors["mase"] for r in rs])),
        "mean_mase_baseline": float(np.mean([r.baseline_errors["mase"] for r in rs])),
        "per_series": {key: {"model": r.model_errors, "baseline": r.baseline_errors, "winner": r.winner,
                             "family": r.family, "candidates_mase": r.candidates, "origins": r.origins}
                       for (_, key), r in zip(result.series, rs, strict=True)}}
    return context.register(kind, "ETS+Theta+ARIMA mean vs seasonal naive", params, ["revenue"], metrics, arrays,
                            fingerprint(frame))


POINT_COLUMNS = [("dimension", "VARCHAR"), ("category", "VARCHAR"), ("month", "DATE"), ("forecast", "DOUBLE"),
                 ("lower", "DOUBLE"), ("upper", "DOUBLE"), ("method", "VARCHAR"), ("level", "DOUBLE"),
                 ("model_version", "INTEGER")]
HOLDOUT_ARRAYS = ("actual", "model", "model_lower", "model_upper", "baseline", "baseline_lower", "baseline_upper")
HOLDOUT_COLUMNS = [("dimension", "VARCHAR"), ("category", "VARCHAR"), ("month", "DATE"), ("actual", "DOUBLE"),
                   ("model_forecast", "DOUBLE"), ("model_lower", "DOUBLE"), ("model_upper", "DOUBLE"),
                   ("baseline_forecast", "DOUBLE"), ("baseline_lower", "DOUBLE"), ("baseline_upper", "DOUBLE"),
                   ("model_method", "VARCHAR"), ("baseline_method", "VARCHAR")]
SCORES = ("mae", "mape", "smape", "coverage", "mase")
ACCURACY_COLUMNS = [("dimension", "VARCHAR"), ("category", "VARCHAR"), ("model_method", "VARCHAR"),
                    ("model_mae", "DOUBLE"), ("model_mape", "DOUBLE"), ("model_smape", "DOUBLE"),
                    ("model_coverage", "DOUBLE"), ("model_mase", "DOUBLE"), ("baseline_method", "VARCHAR"),
                    ("baseline_mae", "DOUBLE"), ("baseline_mape", "DOUBLE"), ("baseline_smape", "DOUBLE"),
                    ("baseline_coverage", "DOUBLE"), ("baseline_mase", "DOUBLE"), ("level", "DOUBLE"),
                    ("winner", "VARCHAR"), ("forecast_method", "VARCHAR"), ("train_months", "INTEGER"),
                    ("holdout_months", "INTEGER"), ("origins", "INTEGER"), ("model_version", "INTEGER")]


class Forecast(ModelKind):
    """Revenue forecasts per series (total and category) from sales_by_month: the best of ETS, log ETS, Theta
    and ARIMA over rolling origins (by MASE) against seasonal naive; the baseline is served where it wins."""

    name = NAME
    reads = ("sales_by_month",)
    options = ("horizon", "holdout")

    def sql_and_python(self, con: duckdb.DuckDBPyConnection, record: ModelRecord) -> tuple[np.ndarray, np.ndarray]:
        """``forecast_points()`` (what sales_forecast reads), and the stored forecast arrays, series by series."""
        arrays = Registry(con).arrays(record)
        rows = con.execute("SELECT forecast, lower, upper FROM forecast_points()").fetchall()
        stored = np.stack([arrays["forecast"], arrays["lower"], arrays["upper"]], axis=-1).reshape(-1, 3)
        return np.array(rows, dtype=np.float64).ravel(), stored.ravel()

    def training_lines(self, result: ForecastTraining, record: ModelRecord) -> list[str]:
        """Per series: the model and the baseline (MASE, sMAPE, coverage), the winner; then what was registered."""
        return [*result.lines(), f"Registered {record.name} v{record.version} as active; views rebuilt"]

    def train(self, context: TrainContext, horizon: int = 6, holdout: int | None = None,
              level: float = 0.8) -> tuple[ForecastTraining, ModelRecord]:
        """Forecast total and per-category revenue ``horizon`` months ahead; register the active version."""
        if not 1 <= horizon <= 36:
            raise ModelError(f"--horizon {horizon}: give 1 to 36 months")
        if not 0 < level < 1:
            raise ModelError(f"level {level}: give the interval's coverage as a fraction, e.g. 0.8")
        frame = context.read(SOURCE_VIEW, f"SELECT dimension, key, month, revenue, partial_month FROM {SOURCE_VIEW}"
                             " WHERE dimension IN ('total', 'category') ORDER BY dimension, key, month")
        frame = frame[~frame["partial_month"].astype(bool)]
        months = (pd.date_range(frame["month"].min(), frame["month"].max(), freq="MS") if len(frame)
                  else pd.DatetimeIndex([]))
        if len(months) < MIN_TRAIN_MONTHS + 1:
            raise ModelError(f"too little history to forecast: {len(months)} complete month(s) of sales, need at"
                             f" least {MIN_TRAIN_MONTHS + 1} ({MIN_TRAIN_MONTHS} to fit + 1 to test) — load more months"
                             " of order lines and build")
        holdout = min(horizon, len(months) - MIN_TRAIN_MONTHS) if holdout is None else holdout
        if not 1 <= holdout <= len(months) - MIN_TRAIN_MONTHS:
            raise ModelError(f"--holdout {holdout}: with {len(months)} complete months give 1 to"
                             f" {len(months) - MIN_TRAIN_MONTHS} (at least {MIN_TRAIN_MONTHS} months stay to fit)")
        result = _fit_all(frame, months, horizon, holdout, level)
        record = _register(context, self, result, horizon, holdout, level, frame)
        return result, record

    def compile(self, con: duckdb.DuckDBPyConnection, record: ModelRecord) -> None:
        """Table macros ``forecast_points()``, ``forecast_holdout_points()``, ``forecast_accuracy_points()``."""
        arrays = Registry(con).arrays(record)
        p = record.params
        future = [date.fromisoformat(m) for m in p["forecast_months"]]
        tested = [date.fromisoformat(m) for m in p["holdout_months"]]
        points, holdout, accuracy, served = [], [], [], []
        for i, (dimension, key) in enumerate(p["series"]):
            for j, month in enumerate(future):
                points.append((dimension, key, month, arrays["forecast"][i, j], arrays["lower"][i, j],
                               arrays["upper"][i, j], p["methods"][i], p["level"], record.version))
            model_method, baseline_method = p["holdout_methods"][i]
            for j, month in enumerate(tested):
                holdout.append((dimension, key, month, *(arrays[f"holdout_{name}"][i, j] for name in HOLDOUT_ARRAYS),
                                model_method, baseline_method))
                side = "model" if p["winners"][i] == "model" else "baseline"
                served.append((dimension, key, month, arrays["holdout_actual"][i, j],
                               *(arrays[f"holdout_{side}{part}"][i, j] for part in ("", "_lower", "_upper"))))
            block = record.metrics["per_series"][key]
            accuracy.append((dimension, key, model_method, *(block["model"].get(m) for m in SCORES),
                             baseline_method, *(block["baseline"].get(m) for m in SCORES), p["level"],
                             p["winners"][i], p["methods"][i], p["train_months"][i] - p["holdout"], p["holdout"],
                             block.get("origins", 1), record.version))
        con.execute(table_macro("forecast_points", POINT_COLUMNS, points))
        con.execute(table_macro("forecast_holdout_points", HOLDOUT_COLUMNS, holdout))
        con.execute(table_macro("forecast_accuracy_points", ACCURACY_COLUMNS, accuracy))
        con.execute(table_macro(ANOMALY_MACRO, ANOMALY_COLUMNS, served))

    def compile_untrained(self, con: duckdb.DuckDBPyConnection) -> None:
        """Stand-in table macros that fail with what to run."""
        for name in MACROS:
            con.execute(failing_table_macro(name, self.untrained))
        con.execute(table_macro(ANOMALY_MACRO, ANOMALY_COLUMNS, []))  # no forecast: no forecast anomalies

    def udfs(self, con: duckdb.DuckDBPyConnection, record: ModelRecord) -> list[Udf]:
        """No Python UDF: the forecast is a table."""
        return []
