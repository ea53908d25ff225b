"""Planted revenue shocks: anomalous days and weeks, and one segment's drop in one month.

Every shock changes order-line *values* only (quantity or unit price multipliers on chosen days,
categories and countries), never which orders exist or when, so order counts and timing — and every
random stream of the generator — stay exactly as drawn. Shocks act by the day of the *order*, so a
return keeps the price and quantity of the line it returns. No random number is drawn here.

* Spike days (quantity x ``SPIKE_FACTOR``): 14 March, 20 June and 17 October of every year in the period.
* Drop days (unit price x ``DROP_FACTOR``, a pricing fault): 18 April and 25 July.
* Spike weeks (quantity x ``WEEK_SPIKE_FACTOR``): the Monday-to-Sunday week starting the first Monday on or
  after 8 May; drop weeks (unit price x ``WEEK_DROP_FACTOR``): the week starting the first Monday on or after
  7 August.
* The driver shift: in the period's last month, ``SHIFT_CATEGORY`` lines of customers in ``SHIFT_COUNTRY``
  sell at ``SHIFT_FACTOR`` of their price (revenue -30 %); ``marketsql explain-change`` should rank that
  category x country first.

Days and weeks chosen avoid the calendar's events (Black Friday, January and Boxing Day sales, the September
launch, Christmas). The planted list goes to ``truth.json`` under ``shocks``.
"""
from __future__ import annotations

from datetime import date, timedelta

import numpy as np

from .calendar import Calendar

Arrays = dict[str, np.ndarray]

SPIKE_DAYS = ((3, 14), (6, 20), (10, 17))
DROP_DAYS = ((4, 18), (7, 25))
SPIKE_WEEK_FROM = (5, 8)
DROP_WEEK_FROM = (8, 7)
SPIKE_FACTOR = 4
DROP_FACTOR = 0.3
WEEK_SPIKE_FACTOR = 3
WEEK_DROP_FACTOR = 0.35
SHIFT_CATEGORY = "Phones"
SHIFT_COUNTRY = "US"
SHIFT_FACTOR = 0.7


def _monday_from(year: int, month: int, day: int) -> date:
    first = date(year, month, day)
    return first + timedelta(days=(7 - first.weekday()) % 7)


def planted_shocks(cal: Calendar) -> dict:
    """The shocks planted in ``cal``'s period (ISO dates), as written to ``truth.json``."""
    start = date.fromisoformat(str(cal.start))
    end = date.fromisoformat(str(cal.end))  # exclusive
    years = range(start.year, end.year + 1)

    def inside(days: list[date]) -> list[str]:
        return [d.isoformat() for d in days if start <= d < end]

    weeks = {"spike": [_monday_from(y, *SPIKE_WEEK_FROM) for y in years],
             "drop": [_monday_from(y, *DROP_WEEK_FROM) for y in years]}
    last_month = date.fromisoformat(str(cal.start + int(cal.month_start[-2])))
    return {
        "spike_days": inside([date(y, m, d) for y in years for m, d in SPIKE_DAYS]),
        "drop_days": inside([date(y, m, d) for y in years for m, d in DROP_DAYS]),
        "spike_weeks": [w.isoformat() for w in weeks["spike"] if start <= w and w + timedelta(days=7) <= end],
        "drop_weeks": [w.isoformat() for w in weeks["drop"] if start <= w and w + timedelta(days=7) <= end],
        "factors": {"spike_day_quantity": SPIKE_FACTOR, "drop_day_price": DROP_FACTOR,
                    "spike_week_quantity": WEEK_SPIKE_FACTOR, "drop_week_price": WEEK_DROP_FACTOR},
        "shift": {"month": last_month.isoformat()[:7], "category": SHIFT_CATEGORY, "country": SHIFT_COUNTRY,
                  "price_factor": SHIFT_FACTOR},
        "notes": "order-line values only (quantity or unit price multipliers by the order's day); order counts "
                 "and timing untouched; weeks are Monday to Sunday, given by their Monday",
    }


def _day_offsets(cal: Calendar, days: list[str]) -> np.ndarray:
    return np.array([(np.datetime64(d) - cal.start).astype(np.int64) for d in days], dtype=np.int64)


def apply_shocks(cal: Calendar, cat: Arrays, rows: Arrays, orders: Arrays, countries: np.ndarray,
                 country_names: tuple[str, ...]) -> Arrays:
    """``rows`` (order lines, see ``mess.plant_mess``) with the planted quantity and price multipliers applied.

    ``countries`` holds each order's customer country code (an index into ``country_names``)."""
    planted = planted_shocks(cal)
    day = orders["day"][rows["order"]].astype(np.int64)
    qty = rows["qty"].astype(np.int64)
    price = rows["price"].astype(np.float64)
    qty_factor = np.ones(day.size, dtype=np.int64)
    price_factor = np.ones(day.size, dtype=np.float64)
    qty_factor[np.isin(day, _day_offsets(cal, planted["spike_days"]))] = SPIKE_FACTOR
    price_factor[np.isin(day, _day_offsets(cal, planted["drop_days"]))] = DROP_FACTOR
    for monday in _day_offsets(cal, planted["spike_weeks"]):
        qty_factor[(day >= monday) & (day < monday + 7)] = WEEK_SPIKE_FACTOR
    for monday in _day_offsets(cal, planted["drop_weeks"]):
        price_factor[(day >= monday) & (day < monday + 7)] = WEEK_DROP_FACTOR
    shift = planted["shift"]
    first = int(cal.month_start[-2])
    in_category = np.asarray(cat["category"])[rows["prod"]] == shift["category"]
    in_country = countries[rows["order"]] == country_names.index(shift["country"])
    price_factor[(day >= first) & in_category & in_country] *= SHIFT_FACTOR
    out = dict(rows)
    out["qty"] = (qty * qty_factor).astype(rows["qty"].dtype)
    out["price"] = np.round(price * price_factor, 2).astype(rows["price"].dtype)
    return out
