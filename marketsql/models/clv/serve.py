"""The clv model in the database: train and register, compile to macros, serve the 2F1 formulas as UDFs.

SQL once trained (DuckDB): ``p_alive(frequency, recency_days, age_days)`` and
``expected_order_value(frequency, monetary_value)`` (closed forms, macros any client runs); after the views are
built also ``p_alive(customer_id)``, ``expected_order_value(customer_id)`` (read ``customer_value``),
``expected_purchases(customer_id, days)`` and ``clv(customer_id, months [, annual_discount])`` (read
``clv_summary`` and call the Arrow UDFs ``expected_purchases_at`` / ``clv_at``, so they need a marketsql
connection). The mart ``customer_value`` is materialised at build: any client reads it.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date, timedelta
from typing import Any

import duckdb
import numpy as np
import pandas as pd
import pyarrow as pa

from marketsql.core.tablemacro import failing_table_macro, table_macro
from marketsql.core.udfs import Udf
from marketsql.errors import ModelError
from marketsql.models.asof import segments_as_of
from marketsql.models.kind import ModelKind, TrainContext, fingerprint
from marketsql.models.registry import ModelRecord

from . import sql
from .bgnbd import BgNbd
from .data import periods, summary
from .gammagamma import GammaGamma
from .mbgnbd import MbgNbd
from .paretonbd import ParetoNbd
from .train import (
    LABELS,
    ClvTraining,
    PurchaseModel,
    calibrate_and_judge,
    candidate_names,
    fit_final,
    params_of,
    served_name,
)
from .value import customer_value

NAME = "clv"
FEATURES = ["frequency", "recency_days", "age_days", "monetary_value"]
PARAMETER_COLUMNS = [("r", "DOUBLE"), ("alpha", "DOUBLE"), ("a", "DOUBLE"), ("b", "DOUBLE"), ("p", "DOUBLE"),
                     ("q", "DOUBLE"), ("v", "DOUBLE"), ("annual_discount", "DOUBLE"), ("horizon_days", "INTEGER"),
                     ("calibration_end", "DATE"), ("model_version", "INTEGER"), ("purchase_model", "VARCHAR"),
                     ("s", "DOUBLE"), ("beta", "DOUBLE")]


def models_of(record: ModelRecord) -> tuple[PurchaseModel, GammaGamma]:
    """The fitted models of a registered version (the purchase model it serves: BG/NBD, MBG/NBD or Pareto/NBD)."""
    prm = record.params
    spend = GammaGamma(prm["p"], prm["q"], prm["v"])
    if prm.get("purchase_model", "bgnbd") == "pareto_nbd":
        return ParetoNbd(prm["r"], prm["alpha"], prm["s"], prm["beta"]), spend
    if prm.get("purchase_model", "bgnbd") == "mbgnbd":
        return MbgNbd(prm["r"], prm["alpha"], prm["a"], prm["b"]), spend
    return BgNbd(prm["r"], prm["alpha"], prm["a"], prm["b"]), spend


def _floats(array: pa.Array) -> np.ndarray:
    return np.asarray(array.to_numpy(zero_copy_only=False), dtype=np.float64)


def _segments_at(con: duckdb.DuckDBPyConnection, p: Any, views: Mapping[str, Any] | None) -> pd.Series | None:
    """Segment of each customer as of the calibration end (see :mod:`marketsql.models.asof`); None without an active
    segmentation model."""
    if views is None or "customer_features" not in views:
        return None
    segments = segments_as_of(con, views["customer_features"].sql, p.calibration_end + timedelta(days=1))
    return pd.Series(segments, dtype="float64") if segments else None




class CustomerValue(ModelKind):
    """Customer value: BG/NBD purchases and Gamma-Gamma spend, judged on a holdout against simple baselines."""

    name = NAME
    reads = ("clv_summary",)
    options = ("calibration_end", "holdout_days", "horizon_days", "discount", "candidates")

    def sql_and_python(self, con: duckdb.DuckDBPyConnection, record: ModelRecord) -> tuple[np.ndarray, np.ndarray]:
        """``p_alive``, ``expected_purchases(…, 90)`` and ``clv(…, 12)`` by customer id in SQL, and the numpy
        models on clv_summary's rows, stacked."""
        bgnbd, spend = models_of(record)
        frame = con.execute("SELECT *, p_alive(customer_id) AS sql_alive, expected_purchases(customer_id, 90) AS"
                            " sql_e90, clv(customer_id, 12) AS sql_clv FROM clv_summary ORDER BY customer_id").df()
        x, t_x, age, m = (frame[c].to_numpy(np.float64) for c in FEATURES)
        python = [bgnbd.p_alive(x, t_x, age), bgnbd.expected_purchases(90.0, x, t_x, age),
                  customer_value(bgnbd, spend, 12, record.params["annual_discount"], x, t_x, age, m)]
        return frame[["sql_alive", "sql_e90", "sql_clv"]].to_numpy(np.float64).T.ravel(), np.concatenate(python)

    def training_lines(self, result: ClvTraining, record: ModelRecord) -> list[str]:
        """The calibration fit, the holdout against the baselines, the refit and what was registered."""
        return [*result.lines(), f"Registered {record.name} v{record.version} as active; marts updated"]

    def train(self, context: TrainContext, calibration_end: date | str | None = None, holdout_days: int | None = None,
              horizon_days: int = 365, discount: float = 0.1,
              candidates: str | None = None) -> tuple[ClvTraining, ModelRecord]:
        """Calibrate the purchase-model candidates (``bgnbd`` by default; ``bgnbd,pareto_nbd`` tries both) and
        Gamma-Gamma on clv_summary up to the calibration end, keep the better on the holdout, judge it, refit it on
        everything, register."""
        con, views, say = context.con, context.views, context.progress
        if not 1 <= horizon_days <= 3650:
            raise ModelError(f"--horizon-days {horizon_days}: give 1 to 3650 days")
        if not 0 <= discount < 1:
            raise ModelError(f"--discount {discount}: give the annual discount rate as a fraction, e.g. 0.1")
        names = candidate_names(candidates)
        p = periods(con, calibration_end, holdout_days)
        frame = summary(con, p, views)
        say(f"fitting {', '.join(LABELS[n] for n in names)} and Gamma-Gamma up to {p.calibration_end}")
        groups = _segments_at(con, p, views)
        cal_model, cal_spend, holdout, judged = calibrate_and_judge(frame, p, groups, names)
        served = served_name(cal_model)
        say(f"refitting {LABELS[served]} on all purchases")
        final = fit_final(frame, served)
        result = ClvTraining(p, (cal_model, cal_spend), holdout, final, len(frame), horizon_days, discount,
                             judged)
        losing = holdout.losing_to()
        params = {**params_of(*final), "calibration_end": p.calibration_end.isoformat(),
                  "observation_end": p.observation_end.isoformat(), "holdout_days": p.holdout_days,
                  "horizon_days": horizon_days, "annual_discount": discount,
                  "calibration_fit": params_of(cal_model, cal_spend)}
        metrics = {**{k: v for k, v in params_of(*final).items()
                      if k in ("r", "alpha", "a", "b", "s", "beta", "p", "q", "v", "purchase_model")},
                   "candidates": judged,
                   "holdout": holdout.scores, "calibration_table": holdout.calibration_table,
                   "baseline_groups": holdout.group_source, "loses_to": losing,
                   "winner": "model" if not losing else "baseline on " + ", ".join(losing),
                   "holdout_mae": holdout.scores["model"]["mae"],
                   "holdout_top_decile_capture": holdout.scores["model"]["top_decile_capture"],
                   "customers": len(frame), "calibration_customers": len(holdout.frame)}
        record = context.register(self, f"{LABELS[served]} + Gamma-Gamma", params, FEATURES, metrics, {},
                                  fingerprint(frame[["customer_id", *FEATURES]]))
        return result, record

    def compile(self, con: duckdb.DuckDBPyConnection, record: ModelRecord) -> None:
        """The parametric macros and ``clv_parameters()``; needs the UDFs of ``udfs`` registered first."""
        prm = record.params
        for statement in sql.duckdb_macros(prm, prm["annual_discount"]):
            con.execute(statement)
        row = [prm.get(k) for k in ("r", "alpha", "a", "b", "p", "q", "v", "annual_discount", "horizon_days")]
        extra = [prm.get("purchase_model", "bgnbd"), prm.get("s"), prm.get("beta")]
        con.execute(table_macro("clv_parameters", PARAMETER_COLUMNS,
                                [[*row, date.fromisoformat(prm["calibration_end"]), record.version, *extra]]))

    def compile_untrained(self, con: duckdb.DuckDBPyConnection) -> None:
        """Stand-ins that fail with what to run (NULL for the segment_profiles helpers)."""
        for statement in sql.duckdb_untrained():
            con.execute(statement)
        con.execute(failing_table_macro("clv_parameters", sql.UNTRAINED))

    def compile_after_views(self, con: duckdb.DuckDBPyConnection, record: ModelRecord) -> None:
        """The customer-id forms, once ``customer_value`` and ``clv_summary`` exist (skipped if they do not)."""
        tables = {row[0] for row in con.execute("SELECT table_name FROM duckdb_tables() WHERE schema_name = 'main'"
                                                " AND database_name = current_database()").fetchall()}
        if {"customer_value", "clv_summary"} <= tables:
            for statement in sql.duckdb_customer_macros(record.params, record.params["annual_discount"]):
                con.execute(statement)

    def udfs(self, con: duckdb.DuckDBPyConnection, record: ModelRecord) -> list[Udf]:
        """``expected_purchases_at(frequency, recency_days, age_days, days)``,
        ``clv_at(frequency, recency_days, age_days, monetary_value, months, annual_discount)`` and
        ``p_alive_at(frequency, recency_days, age_days)``, vectorised, of the served purchase model."""
        bgnbd, spend = models_of(record)

        def p_alive_at(frequency: pa.Array, recency_days: pa.Array, age_days: pa.Array) -> pa.Array:
            x, t_x, age = (_floats(a) for a in (frequency, recency_days, age_days))
            return pa.array(bgnbd.p_alive(x, t_x, age), type=pa.float64())

        def expected_purchases_at(frequency: pa.Array, recency_days: pa.Array, age_days: pa.Array,
                                  days: pa.Array) -> pa.Array:
            x, t_x, age, t = (_floats(a) for a in (frequency, recency_days, age_days, days))
            return pa.array(bgnbd.expected_purchases(t, x, t_x, age), type=pa.float64())

        def clv_at(frequency: pa.Array, recency_days: pa.Array, age_days: pa.Array, monetary_value: pa.Array,
                   months: pa.Array, annual_discount: pa.Array) -> pa.Array:
            x, t_x, age, m, n, d = (_floats(a) for a in (frequency, recency_days, age_days, monetary_value, months,
                                                         annual_discount))
            out = np.empty(len(x))
            for months_i, discount_i in set(zip(n.tolist(), d.tolist(), strict=True)):
                rows = (n == months_i) & (d == discount_i)
                out[rows] = customer_value(bgnbd, spend, int(months_i), discount_i, x[rows], t_x[rows], age[rows],
                                           m[rows])
            return pa.array(out, type=pa.float64())

        return [Udf("expected_purchases_at", expected_purchases_at, ("DOUBLE",) * 4, "DOUBLE", "clv model"),
                Udf("clv_at", clv_at, ("DOUBLE",) * 6, "DOUBLE", "clv model"),
                Udf("p_alive_at", p_alive_at, ("DOUBLE",) * 3, "DOUBLE", "clv model")]

    def postgres(self, con: duckdb.DuckDBPyConnection, record: ModelRecord | None, schema: str) -> list[str]:
        """``p_alive`` and ``expected_order_value`` (parametric forms) for the PostgreSQL mirror."""
        return sql.postgres_functions(None if record is None else record.params, schema)
