"""The clv model's inputs: the ``clv_summary`` view, as built or recomputed for another calibration end.

``clv_summary`` reads its periods from ``clv_settings``; training with ``--calibration-end`` or
``--holdout-days`` reruns the view's SQL against a temporary ``clv_settings`` holding those dates, so the
calibration columns are exactly what the view would give with that setting.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any

import duckdb
import pandas as pd

from marketsql.core.sqltext import literal
from marketsql.errors import ModelError

MIN_CALIBRATION_DAYS = 28
MIN_HOLDOUT_DAYS = 7
MIN_REPEAT_CUSTOMERS = 10


@dataclass(frozen=True)
class Periods:
    """First purchase day, calibration end (inclusive), observation end (inclusive), holdout length in days."""

    first_purchase_day: date
    calibration_end: date
    observation_end: date

    @property
    def holdout_days(self) -> int:
        return (self.observation_end - self.calibration_end).days

    @property
    def calibration_days(self) -> int:
        return (self.calibration_end - self.first_purchase_day).days


def periods(con: duckdb.DuckDBPyConnection, calibration_end: date | str | None = None,
            holdout_days: int | None = None) -> Periods:
    """The periods of ``clv_settings``, with the calibration end replaced by an option if given."""
    if calibration_end is not None and holdout_days is not None:
        raise ModelError("give --calibration-end or --holdout-days, not both")
    try:
        rows = con.execute("SELECT first_purchase_day, calibration_end, observation_end FROM clv_settings").fetchall()
    except duckdb.CatalogException as exc:
        raise ModelError("no clv_settings view in this database — run `marketsql build` first") from exc
    first, cal_end, obs_end = rows[0]
    if first is None:
        raise ModelError("no purchases before the analysis date (stg_order_lines is empty) — load order lines and"
                         " run `marketsql build`")
    if isinstance(calibration_end, str):
        try:
            calibration_end = date.fromisoformat(calibration_end)
        except ValueError as exc:
            raise ModelError(f"--calibration-end {calibration_end!r}: not a date — give YYYY-MM-DD") from exc
    chosen: date = cal_end if calibration_end is None else calibration_end
    if holdout_days is not None:
        chosen = obs_end - timedelta(days=int(holdout_days))
    result = Periods(first, chosen, obs_end)
    _check(result)
    return result


def _check(p: Periods) -> None:
    span = f"purchases run from {p.first_purchase_day} to {p.observation_end}"
    if p.holdout_days < MIN_HOLDOUT_DAYS:
        raise ModelError(f"calibration end {p.calibration_end} leaves a holdout of {p.holdout_days} day(s) ({span}) —"
                         f" hold out at least {MIN_HOLDOUT_DAYS} days: an earlier --calibration-end, or setting"
                         " clv_calibration_end")
    if p.calibration_days < MIN_CALIBRATION_DAYS:
        raise ModelError(f"calibration end {p.calibration_end} leaves {max(p.calibration_days, 0)} day(s) to"
                         f" calibrate ({span}) — the period is too short for a holdout: give at least"
                         f" {MIN_CALIBRATION_DAYS + MIN_HOLDOUT_DAYS} days of purchases, or a later --calibration-end")


def summary(con: duckdb.DuckDBPyConnection, p: Periods, views: Mapping[str, Any] | None) -> pd.DataFrame:
    """``clv_summary`` for periods ``p`` (the built table when they are the built ones)."""
    built = con.execute("SELECT calibration_end FROM clv_settings").fetchall()[0][0]
    if built == p.calibration_end:
        return con.execute("SELECT * FROM clv_summary ORDER BY customer_id").df()
    if views is None or "clv_summary" not in views:
        raise ModelError("another calibration end needs the project's SQL — train through Project.train")
    con.execute(f"CREATE OR REPLACE TEMP VIEW clv_settings AS {settings_sql(p)}")
    try:
        return con.execute(f"SELECT * FROM ({views['clv_summary'].sql}) ORDER BY customer_id").df()
    finally:
        con.execute("DROP VIEW IF EXISTS temp.clv_settings")


def settings_sql(p: Periods) -> str:
    """A one-row SELECT with the columns of ``clv_settings`` for periods ``p``."""
    return (f"SELECT DATE {literal(p.first_purchase_day.isoformat())} AS first_purchase_day,"
            f" DATE {literal(p.calibration_end.isoformat())} AS calibration_end,"
            f" DATE {literal(p.observation_end.isoformat())} AS observation_end, {p.holdout_days} AS holdout_days")


def check_repeat_customers(frame: pd.DataFrame, column: str, period: str) -> None:
    """ModelError when too few customers bought again in the period to fit anything."""
    repeat = int((frame[column] > 0).sum())
    if repeat == 0:
        raise ModelError(f"every customer bought once in the {period} ({len(frame):,} customers, no repeat purchase"
                         " day) — BG/NBD learns from repeat purchases: give a longer period or data with returning"
                         " customers")
    if repeat < MIN_REPEAT_CUSTOMERS:
        raise ModelError(f"only {repeat} customer(s) of {len(frame):,} bought again in the {period} — need at least"
                         f" {MIN_REPEAT_CUSTOMERS}: give a longer period (--calibration-end) or more customers")
