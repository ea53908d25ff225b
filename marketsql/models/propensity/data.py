"""Training examples without leakage: features as of a cutoff, the label from the horizon that follows it.

The features are the project's own ``propensity_features`` SQL rerun as of each cutoff (through
:func:`marketsql.models.asof.features_as_of`, with ``customer_features`` recomputed as of the same day), so they
read only purchases strictly before the cutoff; the label is whether the customer bought the target in
[cutoff, cutoff + horizon). Rolling origin: the evaluation cutoff is the latest whose horizon is complete
(analysis date − horizon); the validation cutoff (calibration) one horizon earlier; the fit cutoffs further back.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any

import duckdb
import pandas as pd

from marketsql.core.sqltext import literal, number
from marketsql.errors import ModelError
from marketsql.models.asof import features_as_of

from .targets import FEATURES, Target

TARGET_COLUMNS = [("target", "VARCHAR"), ("target_index", "INTEGER"), ("target_kind", "VARCHAR"),
                  ("target_value", "VARCHAR")]


@dataclass(frozen=True)
class Cutoffs:
    """The days examples are taken at: fit (oldest last), validation, evaluation; and the horizon."""

    fit: tuple[date, ...]
    validation: date
    evaluation: date
    horizon_days: int
    analysis_date: date

    def as_dict(self) -> dict[str, Any]:
        """JSON-ready, for the stored metrics."""
        return {"fit": [d.isoformat() for d in self.fit], "validation": self.validation.isoformat(),
                "evaluation": self.evaluation.isoformat(), "horizon_days": self.horizon_days,
                "analysis_date": self.analysis_date.isoformat()}


def cutoffs(con: duckdb.DuckDBPyConnection, horizon_days: int, fit_cutoffs: int = 3) -> Cutoffs:
    """Rolling-origin cutoffs one horizon apart, ending one horizon before the analysis date; the oldest keeps at
    least one horizon of history. ModelError when the data is too short for one fit and one validation cutoff."""
    first, last, analysis = con.execute(
        "SELECT CAST(min(order_ts) AS DATE), CAST(max(order_ts) AS DATE), (SELECT analysis_date FROM analysis_date)"
        " FROM stg_order_lines").fetchall()[0]
    if first is None:
        raise ModelError("no purchases in stg_order_lines — load order lines and run `marketsql build`")
    step = timedelta(days=horizon_days)
    evaluation = min(analysis, last + timedelta(days=1)) - step
    earliest = first + step
    days = [evaluation - step * k for k in range(1, fit_cutoffs + 2)]
    kept = [d for d in days if d >= earliest]
    if len(kept) < 2:
        span = (last - first).days + 1
        raise ModelError(f"--horizon-days {horizon_days} is too long for {span} days of purchases ({first} … {last}):"
                         f" training needs four horizons (history, fit, validation, evaluation) — give at most"
                         f" {max(span // 4, 1)} days")
    return Cutoffs(tuple(kept[1:]), kept[0], evaluation, horizon_days, analysis)


def check_targets(con: duckdb.DuckDBPyConnection, targets: Sequence[Target]) -> None:
    """ModelError for a category or product the data does not know (with a few that it does)."""
    for target in targets:
        if target.kind == "repeat":
            continue
        column = "category" if target.kind == "category" else "product_id"
        known = con.execute(f"SELECT count(*) FROM stg_products WHERE {column} = ?", [target.value]).fetchall()[0][0]
        if not known:
            examples = [str(r[0]) for r in con.execute(
                f"SELECT {column} FROM stg_products WHERE {column} IS NOT NULL GROUP BY 1 ORDER BY count(*) DESC,"
                " 1 LIMIT 5").fetchall()]
            plural = "categories" if target.kind == "category" else "products"
            raise ModelError(f"--target {target.name}: no {target.kind} {target.value!r} in stg_products — known"
                             f" {plural} include: {', '.join(examples)}")


def targets_macro(targets: Sequence[Target], temporary: bool = False) -> str:
    """``propensity_targets()`` (the targets the feature SQL is computed for) as a table macro."""
    rows = ",\n  ".join(f"({literal(t.name)}, {number(i)}, {literal(t.kind)}, "
                        f"{'NULL' if t.value is None else literal(t.value)})" for i, t in enumerate(targets))
    casts = ", ".join(f"CAST(c{i} AS {kind}) AS {name}" for i, (name, kind) in enumerate(TARGET_COLUMNS))
    temp = "TEMP " if temporary else ""
    return (f"CREATE OR REPLACE {temp}MACRO propensity_targets() AS TABLE SELECT {casts} FROM (VALUES\n  {rows})"
            " AS t(c0, c1, c2, c3)")


def feature_query(views: Mapping[str, Any]) -> str:
    """``propensity_features`` over ``customer_features`` recomputed from the project's SQL (as of the temporary
    ``analysis_date`` that :func:`features_as_of` sets)."""
    for name in ("customer_features", "propensity_features"):
        if name not in views:
            raise ModelError(f"the project has no {name} view — restore sql/features/{name}.sql")
    return (f"WITH customer_features AS (SELECT * FROM ({views['customer_features'].sql}))\n"
            f"SELECT * FROM ({views['propensity_features'].sql})")


def examples(con: duckdb.DuckDBPyConnection, views: Mapping[str, Any], targets: Sequence[Target], cutoff: date,
             horizon_days: int) -> pd.DataFrame:
    """Every customer with a purchase before ``cutoff`` × target: the features as of ``cutoff`` and ``label`` (1 if
    the customer bought the target in [cutoff, cutoff + horizon))."""
    con.execute(targets_macro(targets, temporary=True))
    frame = features_as_of(con, feature_query(views), cutoff)
    end = cutoff + timedelta(days=horizon_days)
    bought = con.execute(
        "SELECT DISTINCT t.target, l.customer_id FROM stg_order_lines AS l"
        " LEFT JOIN stg_products AS p ON p.product_id = l.product_id"
        " JOIN propensity_targets() AS t ON t.target_kind = 'repeat'"
        " OR (t.target_kind = 'category' AND p.category = t.target_value)"
        " OR (t.target_kind = 'product' AND l.product_id = t.target_value)"
        f" WHERE l.order_ts >= DATE {literal(cutoff.isoformat())} AND l.order_ts < DATE {literal(end.isoformat())}"
    ).df()
    bought["label"] = 1
    frame = frame.merge(bought, on=["target", "customer_id"], how="left")
    frame["label"] = frame["label"].fillna(0).astype("int8")
    frame["cutoff"] = cutoff
    return frame[["customer_id", "target", "cutoff", *FEATURES, "label"]].sort_values(
        ["target", "customer_id"], kind="stable").reset_index(drop=True)
