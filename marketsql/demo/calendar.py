"""The demo's period and when orders happen: days, month boundaries, daily order intensity, hours.

Two intensity curves: regular customers follow growth, weekday, month and event factors; sale
hunters (curve 1) follow Black Friday, January and Boxing Day sales.  See ``truth.json``'s
``seasonality`` for the same numbers as planted.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

ORDER_GROWTH_PER_YEAR = 0.22  # exponential growth of every customer's order intensity
WEEKDAY_FACTOR = (1.0, 0.95, 0.95, 1.0, 1.1, 1.35, 1.25)  # Mon..Sun
ORDER_MONTH_FACTOR = (0.9, 0.85, 0.95, 0.95, 1.0, 1.0, 1.05, 0.95, 1.05, 1.0, 1.0, 1.15)
# Extra intensity on event days: regular = month factor x (1 + sum of these), x0.35 on Dec 24-25;
# sale hunters = base + sum of these (both times growth and weekday).
REGULAR_EVENTS = {"bf_week": 0.4, "bf_peak": 0.8, "jan_sales": 0.1, "launch": 0.25}
SALE_EVENTS = {"base": 0.75, "bf_week": 4.0, "bf_peak": 6.0, "jan_sales": 1.5, "boxing": 4.0}
HOUR_WEIGHTS = np.array([1, .6, .4, .3, .3, .4, .8, 1.5, 2.2, 2.8, 3.2, 3.5, 3.8, 3.6, 3.4,
                         3.4, 3.6, 3.9, 4.2, 4.6, 4.8, 4.4, 3.2, 1.9])
WEB_HOURS = HOUR_WEIGHTS / HOUR_WEIGHTS.sum()
STORE_HOURS = np.where((np.arange(24) >= 9) & (np.arange(24) <= 20), HOUR_WEIGHTS, 0) / \
    HOUR_WEIGHTS[9:21].sum()


@dataclass(frozen=True)
class Calendar:
    """The period: day 0 = start, ``n_days`` days, ``months`` calendar months."""

    start: np.datetime64
    n_days: int
    months: int
    dates: np.ndarray        # datetime64[D] per day
    month_start: np.ndarray  # day offsets of the month boundaries, length months + 1

    @property
    def end(self) -> np.datetime64:
        """The first day after the period."""
        return self.start + self.n_days


def make_calendar(start: str, months: int) -> Calendar:
    """The period of ``months`` months from ``start`` (an ISO date, the first day of a month)."""
    try:
        day = np.datetime64(start, "D")
    except ValueError as exc:
        raise ValueError(f"start must be an ISO date like '2023-01-01', got {start!r}") from exc
    if day != day.astype("M8[M]").astype("M8[D]"):
        raise ValueError(f"start must be the first day of a month, got {start!r}")
    bounds = (day.astype("M8[M]") + np.arange(months + 1)).astype("M8[D]")
    offsets = (bounds - day).astype(np.int64)
    return Calendar(day, int(offsets[-1]), months, day + np.arange(offsets[-1]), offsets)


def _cum(x: np.ndarray) -> np.ndarray:
    return np.concatenate([[0.0], np.cumsum(x)])


def order_curves(cal: Calendar) -> np.ndarray:
    """Cumulative daily order intensity, shape (2, n_days + 1): 0 = regular, 1 = sale hunters."""
    d, idx = cal.dates, np.arange(cal.n_days)
    month = d.astype("M8[M]").astype(np.int64) % 12 + 1
    dom = (d - d.astype("M8[M]")).astype(np.int64) + 1
    weekday = (d.astype(np.int64) + 3) % 7
    bf_peak, bf_week = np.zeros(cal.n_days, bool), np.zeros(cal.n_days, bool)
    for year in np.unique(d.astype("M8[Y]").astype(np.int64) + 1970):
        nov1 = np.datetime64(f"{year}-11-01")
        friday = int((nov1 + (3 - (nov1.astype(np.int64) + 3) % 7) % 7 + 22 - cal.start).astype(np.int64))
        bf_peak |= (idx >= friday) & (idx < friday + 4)  # Black Friday .. Cyber Monday
        bf_week |= (idx >= friday - 7) & (idx < friday + 4)
    jan_sales = (month == 1) & (dom >= 2) & (dom <= 14)
    boxing = (month == 12) & (dom >= 26)
    launch = (month == 9) & (dom >= 12) & (dom <= 25)
    xmas = (month == 12) & (dom >= 24) & (dom <= 25)
    common = np.exp(ORDER_GROWTH_PER_YEAR * idx / 365.25) * np.array(WEEKDAY_FACTOR)[weekday]
    r, s = REGULAR_EVENTS, SALE_EVENTS
    regular = common * np.array(ORDER_MONTH_FACTOR)[month - 1] * np.where(xmas, 0.35, 1.0) * (
        1 + r["bf_week"] * bf_week + r["bf_peak"] * bf_peak + r["jan_sales"] * jan_sales + r["launch"] * launch)
    sales = common * (s["base"] + s["bf_week"] * bf_week + s["bf_peak"] * bf_peak + s["jan_sales"] * jan_sales
                      + s["boxing"] * boxing)
    return np.stack([_cum(regular), _cum(sales)])


def day_at(curves: np.ndarray, curve: np.ndarray, target: np.ndarray) -> np.ndarray:
    """The calendar day on each row's cumulative intensity ``curve`` (of ``order_curves``) where the cumulative value
    ``target`` falls: the inverse CDF that places orders in time."""
    day = np.empty(target.size, dtype=np.int64)
    for c in range(len(curves)):
        rows = curve == c
        day[rows] = np.searchsorted(curves[c], target[rows], side="right") - 1
    return day
