"""The series the forecast works on: revenue, orders and customers, in total and by category, country and segment.

Total, category and country come from ``sales_by_month``. The segment cut needs the active segmentation model:
each customer's segment *as of the first day of the month* (``customer_features`` recomputed from purchases
before that month, :func:`marketsql.models.asof.segments_as_of`; ~0.3 s a month on 5,000 customers), so a
month's revenue is cut by what its buyers were when the month began; customers with no purchase before (new
ones) or without a segment fall in ``new or unscored``. The segment of today would be cheaper but wrong for
history: a recency-based segmentation puts everyone who bought in the past year into "recent" segments.

Every series runs over the same complete months (a month without sales counts 0), so that the parts of a cut
and the total share origins. A part with sales in fewer months than the holdout and 6 to fit, or beyond the
``MAX_PARTS`` largest by revenue, is pooled into ``POOLED`` (said in the output), so the parts still add up.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date

import duckdb
import numpy as np
import pandas as pd

from marketsql.models.kind import TrainContext
from marketsql.models.registry import Registry

from .cohort import base_note

MEASURES = ("revenue", "orders", "customers")
DIMENSIONS = ("category", "country", "segment")
MAX_PARTS = 12
POOLED = "Other (pooled)"
UNSCORED = "new or unscored"
SOURCE_COLUMNS = "dimension, key, month, revenue, orders, customers, partial_month"


@dataclass
class Cuts:
    """Monthly series per (measure, dimension, key) over ``months``, and what was said about them."""

    months: pd.DatetimeIndex
    values: dict[tuple[str, str, str], np.ndarray]
    measures: tuple[str, ...] = MEASURES
    said: list[str] = field(default_factory=list)  # pooled parts, an absent segment cut
    notes: list[str] = field(default_factory=list)  # closed cohort / shrinking base per part

    def parts(self, measure: str, dimension: str) -> list[str]:
        """The keys of ``dimension`` for ``measure``, in order."""
        return [k for (m, d, k) in self.values if m == measure and d == dimension]


def complete_months(frame: pd.DataFrame) -> pd.DatetimeIndex:
    """Every calendar month from the first to the last complete month of ``frame``."""
    frame = frame[~frame["partial_month"].astype(bool)]
    if not len(frame):
        return pd.DatetimeIndex([])
    return pd.date_range(frame["month"].min(), frame["month"].max(), freq="MS")


def _grid(frame: pd.DataFrame, months: pd.DatetimeIndex, column: str) -> pd.DataFrame:
    """key × month table of ``column`` (0 where a key had no sales)."""
    table = frame.pivot_table(index="key", columns=pd.to_datetime(frame["month"]), values=column, aggfunc="sum")
    return table.reindex(columns=months).fillna(0.0)


def _pooled(revenue: pd.DataFrame, min_months: int, dimension: str, said: list[str]) -> dict[str, str]:
    """key -> the key it is forecast under (itself, or ``POOLED``)."""
    ranked = revenue.sum(axis=1).sort_values(ascending=False).index
    short = [k for k in ranked if int((revenue.loc[k] != 0).sum()) < min_months]
    kept = [k for k in ranked if k not in short][:MAX_PARTS - 1 if len(ranked) > MAX_PARTS else MAX_PARTS]
    pooled = [k for k in ranked if k not in kept]
    if pooled:
        why = [f"{len(short)} with sales in fewer than {min_months} months"] if short else []
        if len(pooled) > len(short):
            why.append(f"{len(pooled) - len(short)} beyond the {len(kept)} largest")
        said.append(f"{dimension}: {len(pooled)} part(s) pooled into {POOLED!r} ({', '.join(why)}):"
                    f" {', '.join(map(str, pooled[:8]))}{' …' if len(pooled) > 8 else ''}")
    return {str(k): (str(k) if k in kept else POOLED) for k in ranked}


def _add_dimension(cuts: Cuts, frame: pd.DataFrame, dimension: str, min_months: int) -> None:
    rows = frame[frame["dimension"] == dimension]
    if not len(rows):
        return
    mapping = _pooled(_grid(rows, cuts.months, "revenue"), min_months, dimension, cuts.said)
    if len(set(mapping.values())) < 2:  # one part is the total again
        cuts.said.append(f"{dimension}: a single part, not a cut of the total — not forecast")
        return
    rows = rows.assign(key=rows["key"].astype(str).map(mapping))
    for measure in cuts.measures:
        grid = _grid(rows, cuts.months, measure)
        for key in sorted(grid.index, key=lambda k: (k == POOLED, k)):
            cuts.values[(measure, dimension, str(key))] = grid.loc[key].to_numpy(np.float64)


def segment_lines(context: TrainContext, months: pd.DatetimeIndex) -> pd.DataFrame | None:
    """``dimension, key, month, revenue, orders, customers`` of the segment cut (segments as of each month's
    first day), or None without an active segmentation model."""
    from marketsql.models.asof import segments_as_of

    con = context.con
    active = [r for r in Registry(con).list("segmentation") if r.status == "active"]
    if not active or "customer_features" not in context.views:
        return None
    from marketsql.models.segmentation.serve import load

    names = load(con, active[0]).names
    sql = context.views["customer_features"].sql
    pairs = []
    for month in months:
        segments = segments_as_of(con, sql, date(month.year, month.month, 1))
        pairs += [(c, month.date(), names[s]) for c, s in segments.items()]
    frame = pd.DataFrame(pairs, columns=["customer_id", "month", "segment"])
    con.register("forecast_segment_months", frame)
    try:
        return con.execute(
            "SELECT 'segment' AS dimension, coalesce(s.segment, ?) AS key, l.month, sum(l.revenue) AS revenue,"
            " count(DISTINCT l.order_id) AS orders, count(DISTINCT l.customer_id) AS customers, false AS partial_month"
            " FROM (SELECT CAST(date_trunc('month', order_ts) AS DATE) AS month, CAST(customer_id AS VARCHAR)"
            "       AS customer_id, order_id, revenue FROM stg_order_lines) AS l"
            " LEFT JOIN forecast_segment_months AS s ON s.customer_id = l.customer_id AND s.month = l.month"
            " WHERE l.month BETWEEN ? AND ? GROUP BY ALL",
            [UNSCORED, months[0].date(), months[-1].date()]).df()
    finally:
        con.unregister("forecast_segment_months")


def new_customers(con: duckdb.DuckDBPyConnection) -> pd.DataFrame:
    """``dimension, key, month, new`` — customers in the month of their first purchase, per category and country."""
    return con.execute(
        "WITH lines AS (SELECT CAST(date_trunc('month', l.order_ts) AS DATE) AS month, l.customer_id,"
        "   coalesce(p.category, 'Unknown') AS category, coalesce(c.country, 'Unknown') AS country,"
        "   min(CAST(date_trunc('month', l.order_ts) AS DATE)) OVER (PARTITION BY l.customer_id) AS first_month"
        "   FROM stg_order_lines AS l LEFT JOIN stg_products AS p ON p.product_id = l.product_id"
        "   LEFT JOIN stg_customers AS c ON c.customer_id = l.customer_id WHERE l.customer_id IS NOT NULL)"
        " SELECT 'category' AS dimension, category AS key, month, count(DISTINCT customer_id) AS new FROM lines"
        "   WHERE month = first_month GROUP BY ALL"
        " UNION ALL SELECT 'country', country, month, count(DISTINCT customer_id) FROM lines"
        "   WHERE month = first_month GROUP BY ALL").df()


def _notes(cuts: Cuts, fresh: pd.DataFrame | None) -> None:
    """A closed-cohort or shrinking-base line per part whose customers say so (the total's is the build's)."""
    labels = [f"{m:%Y-%m}" for m in cuts.months]
    for (measure, dimension, key), active in cuts.values.items():
        if measure != "customers" or dimension == "total" or key == POOLED:
            continue
        new: list[int | None] = [None] * len(labels)
        if fresh is not None and dimension in ("category", "country"):
            rows = fresh[(fresh["dimension"] == dimension) & (fresh["key"].astype(str) == key)]
            by_month = dict(zip(pd.to_datetime(rows["month"]), rows["new"].astype(int), strict=True))
            new = [int(by_month.get(m, 0)) for m in cuts.months]
        note = base_note(list(zip(labels, new, active.astype(int).tolist(), strict=True)))
        if note:
            cuts.notes.append(f"{dimension} {key}: {note}")


def build_cuts(context: TrainContext, frame: pd.DataFrame, min_months: int,
               dimensions: tuple[str, ...] = DIMENSIONS, measures: tuple[str, ...] = MEASURES) -> Cuts:
    """The series of ``measures`` (those in ``frame``) for the total and each cut of ``dimensions``, from
    ``sales_by_month`` rows ``frame`` (``SOURCE_COLUMNS``) and, with a segmentation model, the segment cut."""
    months = complete_months(frame[frame["dimension"] == "total"])
    frame = frame[~frame["partial_month"].astype(bool)]
    cuts = Cuts(months, {}, tuple(m for m in measures if m in frame.columns))
    total = frame[frame["dimension"] == "total"]
    for measure in cuts.measures:
        cuts.values[(measure, "total", "All")] = _grid(total, months, measure).iloc[0].to_numpy(np.float64)
    segments = segment_lines(context, months) if "segment" in dimensions else None
    if segments is None and "segment" in dimensions:
        cuts.said.append("segment cut absent: no trained segmentation model — run `marketsql train segmentation`"
                         " and train the forecast again to add it")
    elif segments is not None:
        frame = pd.concat([frame, segments], ignore_index=True)
    for dimension in dimensions:
        _add_dimension(cuts, frame, dimension, min_months)
    try:
        fresh: pd.DataFrame | None = new_customers(context.con)
    except duckdb.CatalogException:  # a project without stg_products / stg_customers: shrinking only
        fresh = None
    _notes(cuts, fresh)
    return cuts
