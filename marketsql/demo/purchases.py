"""The planted buy-till-you-die process of the demo's ongoing groups: BG/NBD in the group's operational time.

For the groups of ``BTYD`` (those that order to the end of the period: Premium loyalists, Bargain hunters,
Accessory regulars) each customer has a purchase rate drawn from gamma(r, alpha) and a dropout probability drawn
from beta(a, b) — BG/NBD (Fader, Hardie & Lee 2005). A customer who signs up in the period orders first at signup,
one of the existing base at the first event of the process after the period starts; after it, repeat orders
arrive as a Poisson process at that rate, and after each repeat order the customer drops out for good with that
probability (``marketsql.models.clv.simulate.bgnbd_histories`` draws it).

Time is the group's *operational* time: the order-intensity curve of ``calendar.order_curves`` (growth, weekdays,
months and sale events) rescaled so that the whole period lasts as many operational days as calendar days. A
rate of 0.01 per operational day is 0.01 orders on an average day of the period, more in December, fewer on a
quiet Tuesday — so the seasonality the forecasts and anomaly rules rely on stays as it was, and ``alpha`` is in
(operational) days. Bargain hunters follow the sale-event curve: their orders bunch on Black Friday and the sales,
so a BG/NBD fitted on their calendar days is not expected to recover their parameters. On the regular curve a
fit on calendar days recovers r and alpha, and the mean dropout a / (a + b), but not a and b apart: the busy months
look like customers coming back (``tests/test_clv_demo.py``; on the operational clock all four come back).

The other groups are outside the process and keep their rule (One-time buyers: exactly one order; Lapsed: a
count per active window, then they stop). Every customer's planted state at the end of the period is written to
``truth/customer_groups.parquet`` (``alive_at_end``; with the drawn ``purchase_rate`` for the groups of the
process) and the parameters to ``truth.json`` (``purchase_process``).
"""
from __future__ import annotations

import numpy as np

from marketsql.models.clv.simulate import bgnbd_histories

from .calendar import day_at
from .customers import GROUPS

Arrays = dict[str, np.ndarray]

# r, alpha (operational days), a, b per group name; the mean repeat rate r / alpha keeps each group's former
# order counts (Premium loyalists 8-15 orders per 24 months, Bargain hunters 5-9, Accessory regulars 9-22).
# Loyalists rarely leave (about 1 in 8 over the period), Accessory regulars and Bargain hunters more often.
BTYD = {
    "Premium loyalists": (30.0, 1875.0, 0.1, 20.0),
    "Bargain hunters": (30.0, 3000.0, 0.1, 15.0),
    "Accessory regulars": (30.0, 1125.0, 0.1, 20.0),
}
IN_PROCESS = np.array([str(g["name"]) in BTYD for g in GROUPS])


def operational(curves: np.ndarray, curve: np.ndarray, day: np.ndarray) -> np.ndarray:
    """Operational time (days) at the start of calendar ``day`` on each row's ``curve``: the cumulative intensity
    rescaled to as many operational days as the period has calendar days."""
    n_days = curves.shape[1] - 1
    total = curves[curve, n_days] - curves[curve, 0]
    return (curves[curve, day] - curves[curve, 0]) / total * n_days


def calendar_day(curves: np.ndarray, curve: np.ndarray, when: np.ndarray) -> np.ndarray:
    """The calendar day holding operational time ``when`` on each row's ``curve`` (the inverse of
    :func:`operational`)."""
    n_days = curves.shape[1] - 1
    target = curves[curve, 0] + when / n_days * (curves[curve, n_days] - curves[curve, 0])
    return np.clip(day_at(curves, curve, target), 0, n_days - 1)


def draw_purchases(rng: np.random.Generator, curves: np.ndarray, cust: Arrays, curve: np.ndarray,
                   first: np.ndarray, stop: np.ndarray) -> tuple[np.ndarray, np.ndarray, Arrays]:
    """Orders of customers in the process: (customer row, calendar day) per order, and per customer the drawn
    ``purchase_rate`` (NaN outside the process) and ``alive_at_end``. ``curve``, ``first`` and ``stop`` are per
    customer (the active window is [first, stop) in calendar days).

    A customer who signs up in the period places the first order at signup; one of the existing base is a
    customer already, whose first order of the period is the process's first after the period starts (an
    exponential wait at the customer's rate) — none if that falls after the period: such a customer is in
    ``customers.parquet`` without orders."""
    group = cust["group"]
    n = group.size
    rate = np.full(n, np.nan)
    alive = np.zeros(n, dtype=bool)
    rows_out: list[np.ndarray] = []
    when_out: list[np.ndarray] = []
    for g, spec in enumerate(GROUPS):
        rows = np.flatnonzero(group == g)
        if str(spec["name"]) not in BTYD or not rows.size:
            continue
        start, end = operational(curves, curve[rows], first[rows]), operational(curves, curve[rows], stop[rows])
        r, alpha, a, b = BTYD[str(spec["name"])]
        rate[rows] = rng.gamma(r, 1.0 / alpha, rows.size)
        birth = start + np.where(cust["existing"][rows], rng.exponential(1.0, rows.size) / rate[rows], 0.0)
        x, t_x, alive[rows], _ = bgnbd_histories(rng, rows.size, r, alpha, a, b, age=np.maximum(end - birth, 0.0),
                                                 rate=rate[rows])
        buyer = birth < end
        x, t_x, birth, rows = x[buyer], t_x[buyer], birth[buyer], rows[buyer]
        # given x repeat orders with the last at t_x, the x - 1 before it are uniform on (0, t_x): Poisson
        between = np.repeat(np.arange(rows.size), np.maximum(x - 1, 0))
        rows_out += [rows, rows[x > 0], rows[between]]
        when_out += [birth, (birth + t_x)[x > 0], birth[between] + rng.random(between.size) * t_x[between]]
    who = np.concatenate(rows_out) if rows_out else np.zeros(0, dtype=np.int64)
    when = np.concatenate(when_out) if when_out else np.zeros(0)
    day = np.clip(calendar_day(curves, curve[who], when), first[who], stop[who] - 1)
    return who, day, {"purchase_rate": rate, "alive_at_end": alive}


def truth_entry() -> dict:
    """The planted process for ``truth.json``."""
    return {"model": "BG/NBD in operational time (see marketsql/demo/purchases.py)",
            "groups": {name: dict(zip(("r", "alpha", "a", "b"), spec, strict=True)) for name, spec in BTYD.items()},
            "time_unit": "operational days: the group's order-intensity curve rescaled to the period's calendar "
                         "days (curve 0 for Premium loyalists and Accessory regulars, curve 1 — sale events — for "
                         "Bargain hunters)",
            "rule": "first order uniform in the active window (operational time); repeat orders Poisson at a "
                    "gamma(r, alpha) rate; after each repeat order the customer drops out with a beta(a, b) "
                    "probability; alive_at_end in truth/customer_groups.parquet",
            "other_groups": "One-time buyers (one order, never return) and Lapsed (stop after their window) are "
                            "outside the process; both are dead at the end of the period"}
