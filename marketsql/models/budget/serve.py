"""The budget model in the database: train and register the curves, compile them to SQL, allocate."""

from __future__ import annotations

from collections.abc import Mapping

import duckdb
import numpy as np

from marketsql.core.sqltext import literal, number
from marketsql.core.tablemacro import failing_table_macro, table_macro
from marketsql.core.udfs import Udf
from marketsql.errors import ModelError
from marketsql.models.kind import ModelKind, TrainContext, fingerprint
from marketsql.models.registry import ModelRecord, Registry

from .allocate import Allocation, allocate, predict
from .curves import ChannelCurve
from .train import BudgetFit, fit_budget

NAME = "budget"
SOURCE_VIEW = "channel_month"
GRID_POINTS = 31  # points per channel in budget_response, from 0 to the spend cap
MACROS = ("budget_curve_points", "budget_response_points", "budget_allocation_points")


def load(con: duckdb.DuckDBPyConnection, record: ModelRecord | None = None) -> tuple[list[ChannelCurve], ModelRecord]:
    """The curves of the active (or the given) version, verified against their checksum."""
    registry = Registry(con)
    record = record or registry.active(NAME)
    arrays = registry.arrays(record)
    curves = [ChannelCurve(channel, *(float(arrays[key][i]) for key in
                                      ("alpha", "beta", "value_per_customer", "min_spend", "max_spend")))
              for i, channel in enumerate(record.params["channels"])]
    return curves, record


def allocate_budget(
    con: duckdb.DuckDBPyConnection,
    total: float,
    minimum: Mapping[str, float] | None = None,
    maximum: Mapping[str, float] | None = None,
    objective: str = "revenue",
    extrapolation: float | None = None,
) -> Allocation:
    """Split ``total`` (a month) with the active curves; see :func:`marketsql.models.budget.allocate.allocate`."""
    curves, record = load(con)
    factor = record.params["extrapolation"] if extrapolation is None else extrapolation
    result = allocate(curves, total, minimum, maximum, objective, factor)
    result.assumptions.extend(f"channel {c} is not in the allocation: {why}" for c, why in
                              record.params["excluded"].items())
    return result


CURVE_COLUMNS = [("channel", "VARCHAR"), ("alpha", "DOUBLE"), ("beta", "DOUBLE"),
                 ("revenue_per_new_customer", "DOUBLE"), ("observed_min_spend", "DOUBLE"),
                 ("observed_max_spend", "DOUBLE"), ("spend_cap", "DOUBLE"), ("holdout_mae", "DOUBLE"),
                 ("holdout_mape", "DOUBLE"), ("baseline_holdout_mae", "DOUBLE"), ("baseline_holdout_mape", "DOUBLE"),
                 ("attribution_days", "INTEGER"), ("model_version", "INTEGER")]
RESPONSE_COLUMNS = [("channel", "VARCHAR"), ("spend", "DOUBLE"), ("predicted_customers", "DOUBLE"),
                    ("predicted_revenue", "DOUBLE"), ("within_observed_range", "BOOLEAN")]
ALLOCATION_COLUMNS = [("channel", "VARCHAR"), ("current_month", "DATE"), ("current_spend", "DOUBLE"),
                      ("current_predicted_customers", "DOUBLE"), ("current_predicted_revenue", "DOUBLE"),
                      ("suggested_spend", "DOUBLE"), ("suggested_predicted_customers", "DOUBLE"),
                      ("suggested_predicted_revenue", "DOUBLE"), ("at_bound", "VARCHAR"), ("spend_cap", "DOUBLE"),
                      ("model_version", "INTEGER")]


class Budget(ModelKind):
    """Marketing budget: a power response curve per channel from channel_month, against a last-value baseline."""

    name = NAME
    reads = ("channel_month",)
    options = ("holdout",)

    def sql_and_python(self, con: duckdb.DuckDBPyConnection, record: ModelRecord) -> tuple[np.ndarray, np.ndarray]:
        """``predicted_new_customers(channel, spend)`` over each channel's response grid, and the numpy curves."""
        curves, _ = load(con, record)
        frame = con.execute("SELECT channel, spend, predicted_new_customers(channel, spend) AS sql_customers"
                            " FROM budget_response_points() ORDER BY channel, spend").df()
        by_channel = {c.channel: c for c in curves}
        python = [float(by_channel[str(channel)].customers(float(spend)))
                  for channel, spend in zip(frame["channel"], frame["spend"], strict=True)]
        return frame["sql_customers"].to_numpy(np.float64), np.array(python)

    def training_lines(self, result: BudgetFit, record: ModelRecord) -> list[str]:
        """Per channel: the curve and the baseline on the holdout; then what was registered."""
        return [*result.lines(), f"Registered {record.name} v{record.version} as active; marts updated"]

    def train(self, context: TrainContext, holdout: int = 6, extrapolation: float = 1.25
    ) -> tuple[BudgetFit, ModelRecord]:
        """Fit the curves on ``channel_month``, evaluate them on the holdout, register the active version."""
        if not extrapolation >= 1:
            raise ModelError(f"spend cap factor {extrapolation} (extrapolation) — give a factor >= 1"
                             " (1 = never beyond the highest observed month)")
        frame = context.read(SOURCE_VIEW, f"SELECT * FROM {SOURCE_VIEW} ORDER BY channel, month")
        if frame.empty:
            raise ModelError(f"{SOURCE_VIEW} is empty: the budget model needs marketing spend by channel"
                             " (stg_marketing_spend) and customers' acquisition channel (stg_acquisitions)")
        fit = fit_budget(frame, holdout=holdout)
        curves = fit.curves
        arrays = {
            "alpha": np.array([c.alpha for c in curves]), "beta": np.array([c.beta for c in curves]),
            "beta_unclipped": fit.raw_beta, "value_per_customer": np.array([c.value_per_customer for c in curves]),
            "min_spend": np.array([c.min_spend for c in curves]), "max_spend": np.array([c.max_spend for c in curves]),
            "current_spend": fit.current_spend, **{f"holdout_{k}": v for k, v in fit.holdout.items()},
        }
        attribution = int(frame["attribution_days"].iloc[0])
        params = {"channels": [c.channel for c in curves], "holdout": holdout, "extrapolation": extrapolation,
                  "excluded": fit.excluded, "current_month": fit.current_month, "attribution_days": attribution}
        record = context.register(self, "power response curves", params, ["spend"], fit.metrics, arrays,
                                  fingerprint(frame))
        return fit, record

    def compile(self, con: duckdb.DuckDBPyConnection, record: ModelRecord) -> None:
        """Table macros of the curves, the response grid and the split of the current monthly budget,
        and the scalar macro ``predicted_new_customers(channel, spend)``."""
        curves, _ = load(con, record)
        # the curves as SQL first: a stored value that is not a finite number stops here, before any arithmetic
        cases = " ".join(f"WHEN {literal(c.channel)} THEN {number(c.alpha)} * pow(greatest(spend, 0), {number(c.beta)})"
                         for c in curves)
        arrays = Registry(con).arrays(record)
        factor = float(record.params["extrapolation"])
        current = {c.channel: float(s) for c, s in zip(curves, arrays["current_spend"], strict=True)}
        metrics = record.metrics["channels"]
        con.execute(table_macro("budget_curve_points", CURVE_COLUMNS, [
            (c.channel, c.alpha, c.beta, c.value_per_customer, c.min_spend, c.max_spend, c.max_spend * factor,
             metrics[c.channel]["curve"]["mae"], metrics[c.channel]["curve"]["mape"],
             metrics[c.channel]["baseline"]["mae"], metrics[c.channel]["baseline"]["mape"],
             record.params["attribution_days"], record.version) for c in curves]))
        grid = []
        for c in curves:
            for spend in np.linspace(0, c.max_spend * factor, GRID_POINTS):
                grid.append((c.channel, float(spend), float(c.customers(spend)), float(c.revenue(spend)),
                             bool(c.min_spend <= spend <= c.max_spend)))
        con.execute(table_macro("budget_response_points", RESPONSE_COLUMNS, grid))
        total = sum(current.values())
        split = allocate(curves, total, extrapolation=factor) if total > 0 else None
        rows = []
        for c in curves:
            row = split.table.set_index("channel").loc[c.channel] if split is not None else None
            now_customers, now_revenue = predict([c], {c.channel: current[c.channel]})
            rows.append((c.channel, record.params["current_month"], current[c.channel], now_customers, now_revenue,
                         None if row is None else row["spend"], None if row is None else row["predicted_customers"],
                         None if row is None else row["predicted_revenue"], None if row is None else row["at_bound"],
                         c.max_spend * factor, record.version))
        con.execute(table_macro("budget_allocation_points", ALLOCATION_COLUMNS, rows))
        con.execute(f"CREATE OR REPLACE MACRO predicted_new_customers(channel, spend) AS CASE channel {cases} END")

    def compile_untrained(self, con: duckdb.DuckDBPyConnection) -> None:
        """Stand-in macros that fail with what to run."""
        message = self.untrained
        for name in MACROS:
            con.execute(failing_table_macro(name, message))
        con.execute(f"CREATE OR REPLACE MACRO predicted_new_customers(channel, spend) AS error({literal(message)})")

    def udfs(self, con: duckdb.DuckDBPyConnection, record: ModelRecord) -> list[Udf]:
        """No Python UDF: the curves are plain SQL (``predicted_new_customers``)."""
        return []
