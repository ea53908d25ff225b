"""The scores a contact list ranks: the served propensity or uplift per customer, and each customer's value.

Propensity reads the mart ``customer_propensity`` (p = probability of buying the target within the model's horizon)
and, for the comparison with the baseline rule, ``propensity_features`` (the rule's raw score: target_bought +
recency_score). Uplift reads ``campaign_uplift`` for one arm (p = the served estimate of the incremental
probability of the outcome; response propensity where no uplift model beat it). The value of a conversion is
``--value`` when given, else the clv model's ``expected_order_value`` from ``customer_value``: the propensity is
the probability of one purchase within the horizon, so a contact that triggers it earns about one order's value;
``clv_12m`` would count the purchases of a whole year that happen with or without this contact.
"""

from __future__ import annotations

from dataclasses import dataclass

import duckdb
import pandas as pd

from marketsql.errors import ModelError

MODELS = ("propensity", "uplift")


@dataclass(frozen=True)
class Scores:
    """Per customer: ``customer_id``, ``p``, ``value`` (and ``baseline_score`` for propensity); what they came from."""

    frame: pd.DataFrame
    model: str
    model_version: int
    algorithm: str  # the served algorithm or uplift method
    target: str
    treatment: str | None
    value_source: str
    notes: tuple[str, ...] = ()


def _tables(con: duckdb.DuckDBPyConnection) -> set[str]:
    rows = con.execute("SELECT table_name FROM duckdb_tables() WHERE schema_name = 'main'"
                       " AND database_name = current_database()").fetchall()
    return {str(r[0]) for r in rows}


def read_scores(con: duckdb.DuckDBPyConnection, model: str, target: str | None, treatment: str | None,
                value: float | None) -> Scores:
    """The served scores of ``model`` for ``target`` (propensity) or ``treatment`` (uplift), with a value each."""
    if model not in MODELS:
        raise ModelError(f"--model {model!r}: a contact list ranks propensity or uplift scores — give --model"
                         " propensity or --model uplift")
    tables = _tables(con)
    if model == "propensity":
        frame, version, algorithm, target = _propensity(con, tables, target)
    else:
        frame, version, algorithm, target, treatment = _uplift(con, tables, target, treatment)
    unit = "conversion" if model == "propensity" else target
    frame, source, notes = _with_value(con, tables, frame, value, unit)
    return Scores(frame, model, version, algorithm, target, treatment, source, tuple(notes))


def _propensity(con: duckdb.DuckDBPyConnection, tables: set[str], target: str | None
                ) -> tuple[pd.DataFrame, int, str, str]:
    if "customer_propensity" not in tables:
        raise ModelError("no propensity scores in this database (customer_propensity is not built) — run"
                         " `marketsql train propensity --target TARGET`")
    known = [str(r[0]) for r in con.execute(
        "SELECT DISTINCT target FROM customer_propensity ORDER BY target").fetchall()]
    if target is None:
        raise ModelError(f"no --target — give one the propensity model was trained for: {', '.join(known)}")
    if target not in known:
        raise ModelError(f"--target {target!r}: the propensity model was trained for {', '.join(known)} — give one"
                         f" of them, or run `marketsql train propensity --target {target}`")
    frame = con.execute(
        "SELECT CAST(c.customer_id AS VARCHAR) AS customer_id, c.probability AS p, c.algorithm, c.model_version,"
        " f.target_bought + f.recency_score AS baseline_score"
        " FROM customer_propensity AS c LEFT JOIN propensity_features AS f USING (customer_id, target)"
        " WHERE c.target = ? AND c.probability IS NOT NULL", [target]).df()
    if frame.empty:
        raise ModelError(f"--target {target}: customer_propensity has no scored customer — run `marketsql build`")
    return (frame.drop(columns=["algorithm", "model_version"]), int(frame["model_version"].iloc[0]),
            str(frame["algorithm"].iloc[0]), target)


def _uplift(con: duckdb.DuckDBPyConnection, tables: set[str], target: str | None, treatment: str | None
            ) -> tuple[pd.DataFrame, int, str, str, str]:
    if "campaign_uplift" not in tables:
        raise ModelError("no uplift scores in this database (campaign_uplift is not built) — run"
                         " `marketsql train uplift`")
    outcome = con.execute("SELECT params->>'outcome' FROM meta.models WHERE name = 'uplift' AND status = 'active'"
                          ).fetchall()
    outcome_name = str(outcome[0][0]) if outcome else "visit"
    if target is not None and target != outcome_name:
        raise ModelError(f"--target {target!r}: the uplift model predicts {outcome_name} — give --target"
                         f" {outcome_name}, or run `marketsql train uplift --outcome {target}`")
    arms = [str(r[0]) for r in con.execute("SELECT DISTINCT arm FROM campaign_uplift ORDER BY arm").fetchall()]
    if treatment is None and len(arms) == 1:
        treatment = arms[0]
    if treatment not in arms:
        given = "no --treatment" if treatment is None else f"--treatment {treatment!r}"
        raise ModelError(f"{given}: the uplift model scores the arms {', '.join(arms)} — give --treatment ARM")
    frame = con.execute(
        "SELECT CAST(customer_id AS VARCHAR) AS customer_id, uplift AS p, method, model_version"
        " FROM campaign_uplift WHERE arm = ? AND uplift IS NOT NULL", [treatment]).df()
    if frame.empty:
        raise ModelError(f"--treatment {treatment}: campaign_uplift has no scored customer — run `marketsql build`")
    return (frame.drop(columns=["method", "model_version"]), int(frame["model_version"].iloc[0]),
            str(frame["method"].iloc[0]), outcome_name, str(treatment))


def _with_value(con: duckdb.DuckDBPyConnection, tables: set[str], frame: pd.DataFrame, value: float | None,
                unit: str) -> tuple[pd.DataFrame, str, list[str]]:
    """``frame`` with a ``value`` column: ``value`` (per ``unit``) for everyone, else customer_value's
    expected_order_value."""
    if value is not None:
        return frame.assign(value=float(value)), f"--value {value:g} per {unit}", []
    if "customer_value" not in tables:
        raise ModelError("no value per conversion: no clv model is trained — give --value AMOUNT (the revenue one"
                         " conversion brings), or run `marketsql train clv`")
    values = con.execute("SELECT CAST(customer_id AS VARCHAR) AS customer_id, expected_order_value AS value,"
                         " model_version FROM customer_value WHERE expected_order_value IS NOT NULL").df()
    merged = frame.merge(values[["customer_id", "value"]], on="customer_id", how="inner")
    if merged.empty:
        raise ModelError("no scored customer has a value in customer_value (the clv model's customers differ) —"
                         " give --value AMOUNT")
    version = int(values["model_version"].iloc[0])
    notes = [f"{len(frame) - len(merged):,} scored customers have no value in customer_value and are left out"
             ] if len(merged) < len(frame) else []
    return merged, f"clv v{version} expected_order_value (Gamma-Gamma spend per purchase)", notes
