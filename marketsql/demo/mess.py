"""The dirt planted in the demo's order lines: zero prices and quantities, guest orders, returns and
exact duplicates, at the rates in ``DIRTY_RATES`` (counts recorded in ``truth.json``)."""
from __future__ import annotations

import numpy as np

from .calendar import WEB_HOURS

Arrays = dict[str, np.ndarray]

DIRTY_RATES = {"return_phone_line": 0.04, "return_accessory_line": 0.02, "guest_order": 0.005,
               "duplicate_line": 0.003, "zero_price_line": 0.001, "zero_quantity_line": 0.0005}


def plant_mess(rng: np.random.Generator, n_days: int, orders: Arrays,
               lines: Arrays) -> tuple[Arrays, np.ndarray, np.ndarray]:
    """Zero prices/quantities, guest orders, returns and exact duplicates; rows sorted by time.

    ``lines``' prices and quantities are zeroed in place.  Returns (rows, guest flag per order,
    indices of the duplicated rows)."""
    n = lines["order"].size
    zero_price = rng.random(n) < DIRTY_RATES["zero_price_line"]
    lines["price"][zero_price] = 0.0
    lines["qty"][(rng.random(n) < DIRTY_RATES["zero_quantity_line"]) & ~zero_price] = 0
    guest = rng.random(orders["day"].size) < DIRTY_RATES["guest_order"]
    p_ret = np.where(lines["phone"], DIRTY_RATES["return_phone_line"], DIRTY_RATES["return_accessory_line"])
    r_day = lines["day"] + rng.integers(1, 31, n)
    ret = np.flatnonzero((rng.random(n) < p_ret) & (lines["qty"] > 0) & (lines["price"] > 0)
                         & (r_day < n_days))
    r_sec = r_day[ret] * 86400 + rng.choice(24, ret.size, p=WEB_HOURS) * 3600 \
        + rng.integers(0, 3600, ret.size)
    rows = {"order": np.concatenate([lines["order"], lines["order"][ret]]),
            "ret": np.repeat([False, True], [n, ret.size]),
            "sec": np.concatenate([orders["sec"][lines["order"]], r_sec]),
            "prod": np.concatenate([lines["prod"], lines["prod"][ret]]),
            "qty": np.concatenate([lines["qty"], -lines["qty"][ret]]),
            "price": np.concatenate([lines["price"], lines["price"][ret]])}
    copies = np.flatnonzero(rng.random(n + ret.size) < DIRTY_RATES["duplicate_line"])
    take = np.concatenate([np.arange(n + ret.size), copies])
    take = take[np.argsort(rows["sec"][take], kind="stable")]
    return {k: v[take] for k, v in rows.items()}, guest, copies
