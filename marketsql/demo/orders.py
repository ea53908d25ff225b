"""The demo's orders and order lines: how often each customer orders, when, through which sales
channel, and what each group buys (products, planted bundles, quantities and prices)."""
from __future__ import annotations

import numpy as np

from .calendar import STORE_HOURS, WEB_HOURS, Calendar, day_at
from .catalogue import BUNDLES
from .customers import GROUPS, active_windows, group_attr, pick_rows
from .purchases import IN_PROCESS, draw_purchases
from .upgrades import draw_phones

Arrays = dict[str, np.ndarray]

SALES_CHANNELS = ("web", "app", "store")
PRICE_DECAY_PER_MONTH = 0.015
XIAOMI_TREND = (0.3, 1.0)  # relative pick weight of Xiaomi phones at period start / end


def group_weights(cat: Arrays) -> np.ndarray:
    """Product pick weights, shape (groups, 2, products): [:, 0] phones, [:, 1] accessories."""
    tier, price, brand, category = cat["tier"], cat["price"], cat["brand"], cat["category"]
    flag, mid, bud = tier == "flagship", tier == "mid", tier == "budget"
    top = np.select([brand == "Apple", np.isin(brand, ["Samsung", "Google"])], [1.4, 1.0], 0.06)
    acc = ~cat["is_phone"]

    def by_cat(**w: float) -> np.ndarray:
        return np.array([w.get(c.split()[0].lower(), 0.0) for c in category])

    phones = [flag * top + mid * 0.01, bud + mid * 0.06, mid + bud * 0.6,
              flag + mid / 6, mid + (flag + bud) * 0.12]
    accessories = [
        np.where(price >= 45, 1.0, 0.06) * by_cat(cases=1, chargers=1, audio=1.3, wearables=1, screen=0.6),
        np.where(price < 30, 1.0, 0.01),
        by_cat(cases=1.2, screen=1.2, chargers=1.5, audio=0.8, wearables=0.25) * price ** -0.5,
        by_cat(cases=0.75, screen=0.2, chargers=0.05),
        np.where((price >= 15) & (price <= 150), 1.0, 0.15)]
    w = np.stack([np.stack([p * cat["is_phone"], a * acc]) for p, a in zip(phones, accessories, strict=True)])
    return w / w.sum(axis=2, keepdims=True)


def draw_orders(rng: np.random.Generator, cal: Calendar, curves: np.ndarray, cust: Arrays) -> Arrays:
    """Orders per customer and their days, then time of day by sales channel; sorted by time.

    The ongoing groups follow the planted BG/NBD process of :mod:`.purchases` (which also sets each customer's
    ``purchase_rate`` and ``alive_at_end`` in ``cust``). The windowed groups (One-time buyers, Lapsed) draw a
    count from their range (at least 1) and order days by inverse CDF of their intensity curve restricted to
    the active window; they are dead at the end of the period."""
    group, n_days = cust["group"], cal.n_days
    first, stop = active_windows(rng, n_days, cust)
    curve = group_attr("curve")[group]
    windowed = np.flatnonzero(~IN_PROCESS[group])
    ranges = np.array([g["orders"] or (0, 0) for g in GROUPS])[group[windowed]]
    n_ord = np.maximum(1, rng.integers(ranges[:, 0], ranges[:, 1] + 1))
    w_idx = np.repeat(windowed, n_ord)
    c, a, b = curve[w_idx], first[w_idx], stop[w_idx]
    lo, hi = curves[c, a], curves[c, b]
    target = lo + rng.random(w_idx.size) * (hi - lo)
    w_day = np.clip(day_at(curves, c, target), a, b - 1)
    p_idx, p_day, planted = draw_purchases(rng, curves, cust, curve, first, stop)
    cust.update(planted)
    cust_idx, day = np.concatenate([w_idx, p_idx]), np.concatenate([w_day, p_day])
    og = group[cust_idx]
    sales = pick_rows(rng, np.cumsum(group_attr("sales"), axis=1)[og])
    hours = np.where(sales == 2, rng.choice(24, og.size, p=STORE_HOURS), rng.choice(24, og.size, p=WEB_HOURS))
    sec = day * 86400 + hours * 3600 + rng.integers(0, 3600, og.size)
    order = np.lexsort((cust_idx, sec))
    return {"cust": cust_idx[order], "group": og[order], "day": day[order], "sec": sec[order],
            "sales": sales[order]}


def draw_lines(rng: np.random.Generator, cat: Arrays, weights: np.ndarray, n_days: int, orders: Arrays) -> Arrays:
    """Lines: an optional phone first, then accessories; one line per product and order.

    ``weights`` are the groups' pick weights (``group_weights(cat)``), ``n_days`` the period's length."""
    og = orders["group"]
    has_phone = draw_phones(rng.random(og.size), orders)  # the planted upgrade cycle (upgrades.py)
    n_lines = 1 + np.minimum(rng.poisson(group_attr("extra")[og]), 4)
    order = np.repeat(np.arange(og.size), n_lines)
    first = np.arange(order.size) == np.repeat(np.cumsum(n_lines) - n_lines, n_lines)
    phone = has_phone[order] & first
    group, day = og[order], orders["day"][order]
    prod = _sample_products(rng, cat, weights, n_days, group, phone, day)
    key = order * len(cat["price"]) + prod
    srt = np.argsort(key, kind="stable")
    keep = np.ones(key.size, bool)
    keep[srt[1:]] = key[srt[1:]] != key[srt[:-1]]
    order, phone, group, day, prod = order[keep], phone[keep], group[keep], day[keep], prod[keep]
    order, phone, group, day, prod = _add_bundles(rng, cat, order, phone, group, day, prod)
    qty = np.where(phone, 1 + (rng.random(order.size) < 0.02),
                   rng.choice([1, 2, 3], order.size, p=[0.78, 0.16, 0.06]))
    months_out = (day - cat["release_day"][prod]) / 30.4375
    price = cat["price"][prod] * np.where(phone, (1 - PRICE_DECAY_PER_MONTH) ** months_out, 1.0)
    disc = group_attr("discount")[group]
    price = np.round(price * (1 - np.round(rng.uniform(disc[:, 0], disc[:, 1]) / 0.05) * 0.05), 2)
    return {"order": order, "phone": phone, "day": day, "prod": prod, "qty": qty, "price": price}


def _sample_products(rng: np.random.Generator, cat: Arrays, weights: np.ndarray, n_days: int,
                     group: np.ndarray, phone: np.ndarray, day: np.ndarray) -> np.ndarray:
    """Group-specific product choice, resampled until released (newer phones favoured)."""
    out = np.empty(len(group), dtype=np.int64)
    rel, is_xiaomi = cat["release_day"], (cat["brand"] == "Xiaomi") & cat["is_phone"]
    trend = XIAOMI_TREND[0] + (XIAOMI_TREND[1] - XIAOMI_TREND[0]) * day / n_days
    for g in range(len(GROUPS)):
        for kind in (0, 1):
            w = weights[g, kind]
            todo = np.flatnonzero((group == g) & (phone == (kind == 0)))
            for _ in range(40):
                if not todo.size:
                    break
                cand = rng.choice(len(w), size=todo.size, p=w)
                age = day[todo] - rel[cand]
                accept = np.where(kind == 0, np.maximum(0.2, np.exp(-age / 540.0)), 1.0)
                accept = accept * np.where(is_xiaomi[cand], trend[todo], 1.0)
                ok = (age >= 0) & (rng.random(todo.size) < accept)
                out[todo[ok]] = cand[ok]
                todo = todo[~ok]
            support = np.flatnonzero(w > 0)
            out[todo] = support[np.argmin(rel[support])]  # rare fallback: the oldest product
    return out


def _add_bundles(rng: np.random.Generator, cat: Arrays, order: np.ndarray, phone: np.ndarray,
                 group: np.ndarray, day: np.ndarray, prod: np.ndarray) -> tuple[np.ndarray, ...]:
    """Append the planted BUNDLES' second products (see catalogue.toml); lines stay grouped by order."""
    index = {name: i for i, name in enumerate(cat["name"])}
    n_products = len(cat["name"])
    present = set((order * n_products + prod).tolist())
    added: list[np.ndarray] = []
    for first, second, chance in BUNDLES:
        a, b = index[first], index[second]
        hit = np.flatnonzero((prod == a) & (rng.random(prod.size) < chance) & (day >= cat["release_day"][b]))
        hit = hit[[int(order[i]) * n_products + b not in present for i in hit]]
        present.update((order[hit] * n_products + b).tolist())
        added.append(hit)
    rows = np.concatenate(added)
    extra = np.array([index[second] for (_, second, _), hit in zip(BUNDLES, added) for _ in hit], dtype=np.int64)
    where = np.argsort(np.concatenate([order, order[rows]]), kind="stable")
    return (np.concatenate([order, order[rows]])[where], np.concatenate([phone, np.zeros(rows.size, bool)])[where],
            np.concatenate([group, group[rows]])[where], np.concatenate([day, day[rows]])[where],
            np.concatenate([prod, extra])[where])
