"""Deterministic generator of a realistic smartphone retailer's raw data.

``generate_demo_data`` writes Parquet files (order lines in parts of one chunk of
``CHUNK_SIZE`` customers each, products, customers, marketing spend) plus the
planted ground truth (``truth/``).  Everything is vectorised numpy and depends
only on ``(seed, customers, start, months)``: same arguments give byte-identical
files.  See ``truth/truth.json`` for every planted parameter and dirty-row count.

About half of the customers form an existing base (signed up before ``start``); the others sign up
during the period following the marketing-spend response.  Order counts are proportional to each
customer's active window, so monthly volume grows smoothly (customer base plus a planted intensity
growth) with seasonality on top instead of piling up at the end of the period.
"""
from __future__ import annotations

import json
import time
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq

from .campaign import plant_campaign

Arrays = dict[str, np.ndarray]

CHUNK_SIZE = 100_000
ORDER_ID_WIDTH = 8  # 'O00000001'; grows only beyond 99,999,999 orders
COMPRESSION = "zstd"
CHANNELS = ("search", "social", "email", "affiliate", "tv")
CHANNEL_BETA = (0.7, 0.55, 0.8, 0.6, 0.4)  # planted diminishing-returns exponents
CHANNEL_SIGNUP_SHARE = (0.32, 0.26, 0.12, 0.16, 0.14)
CHANNEL_BUDGET_SHARE = (0.34, 0.26, 0.06, 0.14, 0.20)
CHANNEL_CPM = (30.0, 8.0, 2.0, 12.0, 25.0)
CHANNEL_CTR = (0.035, 0.009, 0.02, 0.012, 0.0005)
SPEND_PER_CUSTOMER = 35.0  # total marketing budget over the period per customer
SPEND_TREND_PER_YEAR = 0.30
SPEND_MONTH_FACTOR = (0.85, 0.85, 0.95, 1.0, 1.0, 0.95, 0.9, 0.95, 1.25, 1.05, 1.5, 1.7)
SALES_CHANNELS = ("web", "app", "store")
COUNTRIES = ("US", "GB", "DE", "FR", "ES", "IT", "NL", "SE", "PL", "IE")
COUNTRY_P = (0.32, 0.16, 0.14, 0.10, 0.07, 0.06, 0.05, 0.04, 0.04, 0.02)
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
PRICE_DECAY_PER_MONTH = 0.015
XIAOMI_TREND = (0.3, 1.0)  # relative pick weight of Xiaomi phones at period start / end
DIRTY_RATES = {"return_phone_line": 0.04, "return_accessory_line": 0.02, "guest_order": 0.005,
               "duplicate_line": 0.003, "zero_price_line": 0.001, "zero_quantity_line": 0.0005}
# Pre-existing customer base: a group-dependent share of customers signed up before the period
# (signup density growing by EXISTING_SIGNUP_GROWTH a year over the EXISTING_SIGNUP_YEARS before start).
EXISTING_SIGNUP_YEARS = 3
EXISTING_SIGNUP_GROWTH = 0.3
LAPSE_DAYS_EXISTING = (120, 365)  # pre-existing Lapsed customers stop ordering on a day in this range
# Planted behaviour groups.  orders = inclusive range per 24 active months (scaled by the share of
# the period's order intensity inside the customer's active window, at least 1); window = days after
# signup with orders (0 = to the end); existing = chance that a customer of the group signed up
# before the period.
GROUPS = (
    dict(id=1, name="Premium loyalists", share=0.15, orders=(8, 15), p_phone=0.30, extra=0.5,
         curve=0, window=0, signup=None, existing=0.9, discount=(0.0, 0.0), age=42,
         sales=(0.35, 0.25, 0.40)),
    dict(id=2, name="Bargain hunters", share=0.25, orders=(5, 9), p_phone=0.85, extra=0.25,
         curve=1, window=0, signup=None, existing=0.6, discount=(0.15, 0.40), age=29,
         sales=(0.60, 0.30, 0.10)),
    dict(id=3, name="Accessory regulars", share=0.20, orders=(9, 22), p_phone=0.02, extra=0.25,
         curve=0, window=0, signup=None, existing=0.9, discount=(0.0, 0.0), age=27,
         sales=(0.35, 0.55, 0.10)),
    dict(id=4, name="One-time buyers", share=0.30, orders=(1, 1), p_phone=1.0, extra=1.0,
         curve=0, window=60, signup=None, existing=0.0, discount=(0.0, 0.0), age=38,
         sales=(0.40, 0.15, 0.45)),
    dict(id=5, name="Lapsed", share=0.10, orders=(4, 8), p_phone=0.45, extra=1.0,
         curve=0, window=270, signup="year1", existing=0.4, discount=(0.0, 0.0), age=35,
         sales=(0.50, 0.20, 0.30)),
)
# brand, model template, tier, base price, launch month (0 = any), storage, screen, ram,
# camera MP, battery mAh, generation offset (n = year - offset; {y} = year)
PHONES = (
    ("Apple", "iPhone {n}", "flagship", 799, 9, (128, 256), 6.1, 6, 48, 3349, 2008),
    ("Apple", "iPhone {n} Pro", "flagship", 999, 9, (128, 256, 512), 6.1, 8, 48, 3274, 2008),
    ("Apple", "iPhone {n} Pro Max", "flagship", 1199, 9, (256, 512), 6.7, 8, 48, 4422, 2008),
    ("Samsung", "Galaxy S{n}", "flagship", 799, 2, (128, 256), 6.1, 8, 50, 3900, 2000),
    ("Samsung", "Galaxy S{n}+", "flagship", 999, 2, (256,), 6.6, 8, 50, 4700, 2000),
    ("Samsung", "Galaxy S{n} Ultra", "flagship", 1199, 2, (256, 512, 1024), 6.8, 12, 200, 5000, 2000),
    ("Samsung", "Galaxy A{n}", "mid", 449, 0, (128,), 6.4, 8, 50, 5000, 1969),
    ("Samsung", "Galaxy A{n}", "budget", 199, 0, (64, 128), 6.6, 4, 50, 5000, 2009),
    ("Google", "Pixel {n}", "flagship", 699, 9, (128, 256), 6.2, 8, 50, 4575, 2015),
    ("Google", "Pixel {n} Pro", "flagship", 999, 9, (128, 256), 6.7, 12, 50, 5050, 2015),
    ("Google", "Pixel {n}a", "mid", 499, 0, (128,), 6.1, 8, 64, 4385, 2016),
    ("Xiaomi", "Xiaomi {n}", "flagship", 899, 2, (256, 512), 6.4, 12, 50, 4500, 2010),
    ("Xiaomi", "Redmi Note {n} Pro", "mid", 349, 0, (128, 256), 6.67, 8, 200, 5000, 2011),
    ("Xiaomi", "Redmi {n}C", "budget", 129, 0, (64, 128), 6.7, 4, 50, 5000, 2011),
    ("OnePlus", "OnePlus {n}", "flagship", 799, 2, (128, 256), 6.7, 12, 50, 5000, 2012),
    ("OnePlus", "OnePlus Nord {n}", "mid", 449, 0, (128, 256), 6.74, 8, 50, 5000, 2020),
    ("OnePlus", "OnePlus Nord CE {n} Lite", "budget", 229, 0, (128,), 6.72, 8, 108, 5000, 2020),
    ("Motorola", "Motorola Edge {y}", "mid", 599, 0, (256,), 6.6, 8, 50, 4400, 0),
    ("Motorola", "Moto G{n}", "budget", 179, 0, (128,), 6.5, 4, 50, 5000, 1969),
    ("Motorola", "Moto G Power {y}", "budget", 199, 0, (128,), 6.5, 4, 50, 5000, 0),
    ("Nokia", "Nokia G{n}", "budget", 149, 0, (64, 128), 6.5, 4, 50, 5050, 2001),
    ("Nokia", "Nokia X{n}", "mid", 329, 0, (128,), 6.43, 6, 50, 4200, 1993),
    ("Oppo", "Find X{n}", "flagship", 999, 2, (256, 512), 6.74, 12, 50, 4800, 2017),
    ("Oppo", "Reno{n}", "mid", 399, 0, (256,), 6.7, 8, 64, 5000, 2013),
    ("Oppo", "A{n}", "budget", 199, 0, (128,), 6.56, 4, 50, 5000, 1945),
)
_CASES = (("Spigen Ultra Hybrid", 19.99), ("OtterBox Defender", 59.99), ("ESR Classic Hybrid", 15.99),
          ("Casetify Impact", 64.0), ("Mous Limitless 5.0", 49.99), ("Speck Presidio2 Grip", 39.99))
_GLASS = (("Spigen GlasTR EZ Fit", 14.99), ("ZAGG InvisibleShield Glass Elite", 39.99),
          ("ESR Tempered Glass 3-Pack", 9.99), ("Belkin UltraGlass", 34.99), ("amFilm Privacy Glass", 12.99))
ACCESSORIES = tuple(
    [(f"{n} Case for {t}", "Cases", p) for n, p in _CASES for t in ("iPhone", "Galaxy", "Pixel")]
    + [(f"{n} Screen Protector for {t}", "Screen protectors", p) for n, p in _GLASS
       for t in ("iPhone", "Galaxy", "Pixel")]
    + [(n, "Chargers", p) for n, p in (
        ("Anker 20W USB-C Charger", 19.99), ("Anker 65W USB-C Charger", 49.99),
        ("Anker 313 Wireless Charger Pad", 15.99), ("Anker PowerCore 10000 Power Bank", 25.99),
        ("Anker 737 Power Bank 24000mAh", 109.99), ("Apple 20W USB-C Power Adapter", 19.0),
        ("Apple MagSafe Charger", 39.0), ("Samsung 25W Super Fast Charger", 19.99),
        ("Samsung 45W Super Fast Charger", 49.99), ("Google 30W USB-C Charger", 25.0),
        ("Belkin BoostCharge Pro 3-in-1 MagSafe Charger", 149.99), ("Belkin 2-in-1 Wireless Charger", 59.99),
        ("UGREEN Nexode 100W USB-C Charger", 69.99), ("Anker USB-C to USB-C Cable 2m", 12.99),
        ("Apple USB-C to Lightning Cable 1m", 19.0), ("Xiaomi 67W Charging Combo", 29.99))]
    + [(n, "Audio", p) for n, p in (
        ("Apple AirPods (3rd generation)", 169.0), ("Apple AirPods Pro (2nd generation)", 249.0),
        ("Apple AirPods Max", 549.0), ("Samsung Galaxy Buds2 Pro", 229.99), ("Samsung Galaxy Buds FE", 99.99),
        ("Google Pixel Buds Pro", 199.0), ("Google Pixel Buds A-Series", 99.0), ("Sony WF-1000XM5", 299.99),
        ("Sony WH-1000XM5", 399.99), ("Bose QuietComfort Earbuds II", 279.0), ("JBL Tune 230NC TWS", 99.95),
        ("JBL Flip 6 Speaker", 129.95), ("Anker Soundcore Life P3", 79.99),
        ("Xiaomi Redmi Buds 4 Lite", 19.99),
        ("Nothing Ear (2)", 149.0), ("Beats Studio Buds+", 169.99))]
    + [(n, "Wearables", p) for n, p in (
        ("Apple Watch SE", 249.0), ("Apple Watch Series 9", 399.0), ("Apple Watch Ultra 2", 799.0),
        ("Samsung Galaxy Watch6", 299.99), ("Samsung Galaxy Watch6 Classic", 399.99),
        ("Samsung Galaxy Fit3", 59.99), ("Google Pixel Watch 2", 349.0), ("Fitbit Charge 6", 159.95),
        ("Fitbit Inspire 3", 99.95), ("Xiaomi Smart Band 8", 49.99), ("Xiaomi Redmi Watch 3", 89.99),
        ("Garmin Venu 3", 449.99), ("Garmin Forerunner 265", 449.99), ("Amazfit Bip 5", 89.99),
        ("Apple AirTag 4-Pack", 99.0))])

# Planted cross-sell: an order line of the first product brings a line of the second with this chance
# (when the second is already released and not in the order yet). Association rules should find them.
BUNDLES = (
    ("Apple 20W USB-C Power Adapter", "Apple USB-C to Lightning Cable 1m", 0.6),
    ("Samsung 45W Super Fast Charger", "Anker USB-C to USB-C Cable 2m", 0.5),
    ("Spigen Ultra Hybrid Case for iPhone", "Spigen GlasTR EZ Fit Screen Protector for iPhone", 0.5),
    ("Spigen Ultra Hybrid Case for Galaxy", "Spigen GlasTR EZ Fit Screen Protector for Galaxy", 0.5),
    ("Apple Watch SE", "Apple AirPods (3rd generation)", 0.3),
)


@dataclass(frozen=True)
class _Calendar:
    """The period: day 0 = start, ``n_days`` days, ``months`` calendar months."""

    start: np.datetime64
    n_days: int
    months: int
    dates: np.ndarray        # datetime64[D] per day
    month_start: np.ndarray  # day offsets of the month boundaries, length months + 1

    @property
    def end(self) -> np.datetime64:
        return self.start + self.n_days


def _calendar(start: str, months: int) -> _Calendar:
    try:
        day = np.datetime64(start, "D")
    except ValueError as exc:
        raise ValueError(f"start must be an ISO date like '2023-01-01', got {start!r}") from exc
    if day != day.astype("M8[M]").astype("M8[D]"):
        raise ValueError(f"start must be the first day of a month, got {start!r}")
    bounds = (day.astype("M8[M]") + np.arange(months + 1)).astype("M8[D]")
    offsets = (bounds - day).astype(np.int64)
    return _Calendar(day, int(offsets[-1]), months, day + np.arange(offsets[-1]), offsets)


def _cum(x: np.ndarray) -> np.ndarray:
    return np.concatenate([[0.0], np.cumsum(x)])


def _order_curves(cal: _Calendar) -> np.ndarray:
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


def _catalogue(rng: np.random.Generator, cal: _Calendar) -> Arrays:
    """Phones (release dates over the year before and the period) and accessories."""
    rows: list[tuple] = []
    first_year = int(cal.start.astype("M8[Y]").astype(np.int64)) + 1970 - 1
    last_year = int((cal.end - 1).astype("M8[Y]").astype(np.int64)) + 1970
    start_t = first_year + 1 + (cal.start - cal.start.astype("M8[Y]")).astype(int) / 365.25
    for year in range(first_year, last_year + 1):
        for brand, tmpl, tier, base, launch, storages, screen, ram, cam, batt, off in PHONES:
            month = launch or int(rng.integers(1, 13))
            release = np.datetime64(f"{year}-{month:02d}-01") + int(rng.integers(0, 20 if launch else 28))
            t = year + (month - 0.5) / 12
            centre = {"flagship": -99.0, "mid": start_t, "budget": start_t + 1.0}[tier]
            is_5g = bool(rng.random() < 1 / (1 + np.exp(-2.0 * (t - centre))))
            screen_in = round(screen + float(rng.choice([0.0, 0.0, 0.1])), 2)
            battery = batt + 100 * (year - first_year) + 50 * int(rng.integers(-2, 3))
            model = tmpl.format(n=year - off, y=year)
            model = model if model.startswith(brand) else f"{brand} {model}"
            step = {"flagship": 100, "mid": 50, "budget": 30}[tier]
            for k, gb in enumerate(storages):
                price = base + step * k - (0.0 if brand == "Apple" else 0.01)
                rows.append((release, f"{model} {gb}GB", "Phones", brand, tier, price,
                             screen_in, gb, ram, float(cam), battery, is_5g))
    rows = sorted((r for r in rows if r[0] < cal.end), key=lambda r: (r[0], r[1]))
    for name, category, price in ACCESSORIES:
        early = rng.random() < 0.75
        lo, span = (cal.start - 365, 365) if early else (cal.start, cal.n_days - 60)
        release = lo + int(rng.integers(0, span))
        rows.append((release, name, category, name.split()[0], "accessory", price) + (None,) * 6)
    cols = list(zip(*rows, strict=True))
    keys = ("release", "name", "category", "brand", "tier", "price", "screen", "storage", "ram",
            "camera", "battery", "has_5g")
    cat = {k: np.array(v, dtype=object) for k, v in zip(keys, cols, strict=True)}
    cat["release_day"] = (np.array(cols[0], dtype="M8[D]") - cal.start).astype(np.int64)
    cat["price"] = cat["price"].astype(float)
    cat["is_phone"] = cat["category"] == "Phones"
    return cat


def _products_table(cat: Arrays) -> pa.Table:
    n = len(cat["name"])
    return pa.table({
        "product_id": _ids("P", np.arange(1, n + 1), 4),
        "product_name": pa.array(cat["name"].tolist(), pa.string()),
        "category": pa.array(cat["category"].tolist(), pa.string()),
        "brand": pa.array(cat["brand"].tolist(), pa.string()),
        "list_price": pa.array(cat["price"], pa.float64()),
        "release_date": pa.array(cat["release"].astype("M8[D]"), pa.date32()),
        "screen_inches": pa.array(cat["screen"].tolist(), pa.float64()),
        "storage_gb": pa.array(cat["storage"].tolist(), pa.int32()),
        "ram_gb": pa.array(cat["ram"].tolist(), pa.int32()),
        "camera_mp": pa.array(cat["camera"].tolist(), pa.float64()),
        "battery_mah": pa.array(cat["battery"].tolist(), pa.int32()),
        "has_5g": pa.array(cat["has_5g"].tolist(), pa.bool_()),
    })


def _group_weights(cat: Arrays) -> np.ndarray:
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


def _marketing(rng: np.random.Generator, cal: _Calendar,
               customers: int) -> tuple[pa.Table, np.ndarray, np.ndarray]:
    """Daily spend/impressions/clicks per channel; returns the table, the monthly spend (5, months)
    and the unrounded monthly spend per customer (independent of ``customers``, for drawing)."""
    idx = np.arange(cal.n_days)
    month = cal.dates.astype("M8[M]").astype(np.int64) % 12
    period_month = np.searchsorted(cal.month_start, idx, side="right") - 1
    daily = SPEND_PER_CUSTOMER / cal.n_days
    base = daily * (1 + SPEND_TREND_PER_YEAR * idx / 365.25) * np.array(SPEND_MONTH_FACTOR)[month]
    tv_on = ((idx // 28) % 2 == 0) | np.isin(month, [8, 10, 11])
    per_customer = np.empty((len(CHANNELS), cal.n_days))
    for c, share in enumerate(CHANNEL_BUDGET_SHARE):
        flight = np.where(tv_on, 1.6, 0.0) if CHANNELS[c] == "tv" else 1.0
        per_customer[c] = base * share * flight * rng.lognormal(0, 0.12, cal.n_days)
    spend = np.round(per_customer * customers, 2)
    impressions = np.round(spend / np.array(CHANNEL_CPM)[:, None] * 1000 * rng.lognormal(0, 0.1, spend.shape))
    clicks = rng.binomial(impressions.astype(np.int64), np.array(CHANNEL_CTR)[:, None])
    monthly, monthly_pc = (np.stack([np.bincount(period_month, weights=s, minlength=cal.months) for s in x])
                           for x in (spend, per_customer))
    table = pa.table({
        "date": pa.array(np.tile(cal.dates, len(CHANNELS)), pa.date32()),
        "channel": pa.array(np.repeat(CHANNELS, cal.n_days).tolist(), pa.string()),
        "spend": pa.array(spend.ravel(), pa.float64()),
        "impressions": pa.array(impressions.ravel().astype(np.int64), pa.int64()),
        "clicks": pa.array(clicks.ravel().astype(np.int64), pa.int64())})
    order = np.lexsort((np.repeat(np.arange(len(CHANNELS)), cal.n_days), np.tile(idx, len(CHANNELS))))
    return table.take(order), monthly, monthly_pc


def _ids(prefix: str, numbers: np.ndarray, width: int) -> pa.Array:
    """Zero-padded ids like 'C0000042' built directly as an Arrow string array."""
    numbers = np.asarray(numbers, dtype=np.int64)
    if numbers.size:
        width = max(width, len(str(int(numbers.max()))))
    head = np.frombuffer(prefix.encode(), dtype=np.uint8)
    buf = np.empty((numbers.size, head.size + width), dtype=np.uint8)
    buf[:, :head.size] = head
    for j in range(width):
        buf[:, head.size + j] = numbers // 10 ** (width - 1 - j) % 10 + 48
    offsets = np.arange(numbers.size + 1, dtype=np.int32) * buf.shape[1]
    return pa.StringArray.from_buffers(numbers.size, pa.py_buffer(offsets), pa.py_buffer(buf.tobytes()))


def _labels(values, codes: np.ndarray) -> pa.Array:
    """Plain (non-dictionary) string array ``values[codes]``."""
    return pa.array(list(values), pa.string()).take(pa.array(np.asarray(codes, dtype=np.int64)))


def _pick_rows(rng: np.random.Generator, cum_probs: np.ndarray) -> np.ndarray:
    """One categorical draw per row of a (rows, k) cumulative probability matrix."""
    return (rng.random(len(cum_probs))[:, None] >= cum_probs[:, :-1]).sum(axis=1)


@dataclass
class _Context:
    cal: _Calendar
    curves: np.ndarray      # (2, n_days + 1)
    cat: Arrays
    weights: np.ndarray     # (groups, 2, products)
    signup_p: np.ndarray    # flattened (channel, month) probabilities of in-period signups
    group_mix: np.ndarray   # (months, groups) P(group | in-period signup month)
    cust_width: int
    existing_mix: np.ndarray  # (groups,) P(group | pre-existing customer)
    existing_days: int        # pre-existing customers signed up in the existing_days before start


def _sample_products(ctx: _Context, rng: np.random.Generator, group: np.ndarray, phone: np.ndarray,
                     day: np.ndarray) -> np.ndarray:
    """Group-specific product choice, resampled until released (newer phones favoured)."""
    out = np.empty(len(group), dtype=np.int64)
    rel, is_xiaomi = ctx.cat["release_day"], (ctx.cat["brand"] == "Xiaomi") & ctx.cat["is_phone"]
    trend = XIAOMI_TREND[0] + (XIAOMI_TREND[1] - XIAOMI_TREND[0]) * day / ctx.cal.n_days
    for g in range(len(GROUPS)):
        for kind in (0, 1):
            w = ctx.weights[g, kind]
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


def _g(attr: str) -> np.ndarray:
    """A per-group attribute as an array indexed by group index."""
    return np.array([g[attr] for g in GROUPS])


def _existing_share() -> float:
    """Expected share of customers who signed up before the period."""
    return float((_g("share") * _g("existing")).sum())


def _draw_customers(ctx: _Context, rng: np.random.Generator, n: int) -> Arrays:
    """Pre-existing (signup before the period, density growing towards start, channel by signup
    share) or in-period (signup (channel, month) from the planted response curves, day uniform);
    then the group from the pre-existing mix or the signup month's mix."""
    cal = ctx.cal
    existing = rng.random(n) < _existing_share()
    cm = rng.choice(ctx.signup_p.size, size=n, p=ctx.signup_p)
    month = cm % cal.months
    m0, m1 = cal.month_start[month], cal.month_start[month + 1]
    signup = m0 + (rng.random(n) * (m1 - m0)).astype(np.int64)
    k = EXISTING_SIGNUP_GROWTH / 365.25
    low = np.exp(-k * ctx.existing_days)
    before = np.floor(np.log(low + rng.random(n) * (1 - low)) / k).astype(np.int64)
    signup = np.where(existing, np.clip(before, -ctx.existing_days, -1), signup)
    channel = np.where(existing, rng.choice(len(CHANNELS), size=n, p=CHANNEL_SIGNUP_SHARE), cm // cal.months)
    mix = np.where(existing[:, None], ctx.existing_mix[None, :], ctx.group_mix[month])
    group = _pick_rows(rng, np.cumsum(mix, axis=1))
    return {"channel": channel, "signup": signup, "existing": existing,
            "group": group, "country": rng.choice(len(COUNTRIES), size=n, p=COUNTRY_P),
            "age": np.clip(np.round(rng.normal(_g("age")[group], 10)), 18, 85).astype(np.int32)}


def _active_windows(ctx: _Context, rng: np.random.Generator, cust: Arrays) -> tuple[np.ndarray, np.ndarray]:
    """Per customer the days [first, stop) of the period in which they order.

    In-period signups: from signup for ``window`` days (0 = to the end).  Pre-existing: the whole
    period, except Lapsed (``signup='year1'``) who stop on a day in LAPSE_DAYS_EXISTING."""
    group, signup, n_days = cust["group"], cust["signup"], ctx.cal.n_days
    window = _g("window")[group]
    lapse = rng.integers(LAPSE_DAYS_EXISTING[0], LAPSE_DAYS_EXISTING[1], group.size)
    lapses = _g("signup")[group] == "year1"
    stop = np.where(cust["existing"], np.where(lapses, lapse, n_days),
                    np.where(window > 0, np.minimum(signup + window, n_days), n_days))
    return np.maximum(signup, 0), stop


def _draw_orders(ctx: _Context, rng: np.random.Generator, cust: Arrays) -> Arrays:
    """Order counts per group scaled to the active window; order days by inverse CDF of the group's
    intensity curve restricted to the customer's active window; time of day by sales channel.

    Groups ordering to the end of the period (window 0) have their range per 24 active months: it
    is scaled by the share of the period's intensity inside the window times months / 24 (random
    rounding, at least 1); windowed groups (One-time buyers, Lapsed) keep their range.  Sorted by time."""
    group, n_days = cust["group"], ctx.cal.n_days
    first, stop = _active_windows(ctx, rng, cust)
    curve = _g("curve")[group]
    total = ctx.curves[curve, n_days] - ctx.curves[curve, 0]
    active = (ctx.curves[curve, stop] - ctx.curves[curve, first]) / total * ctx.cal.months / 24
    scale = np.where(_g("window")[group] == 0, active, 1.0)
    full = rng.integers(_g("orders")[group, 0], _g("orders")[group, 1] + 1)
    n_ord = np.maximum(1, np.floor(full * scale + rng.random(group.size)).astype(np.int64))
    cust_idx = np.repeat(np.arange(group.size), n_ord)
    og, a, b = group[cust_idx], first[cust_idx], stop[cust_idx]
    curve = curve[cust_idx]
    lo, hi = ctx.curves[curve, a], ctx.curves[curve, b]
    target = lo + rng.random(og.size) * (hi - lo)
    day = np.empty(og.size, dtype=np.int64)
    for c in range(len(ctx.curves)):
        m = curve == c
        day[m] = np.searchsorted(ctx.curves[c], target[m], side="right") - 1
    day = np.clip(day, a, b - 1)
    sales = _pick_rows(rng, np.cumsum(_g("sales"), axis=1)[og])
    hours = np.where(sales == 2, rng.choice(24, og.size, p=STORE_HOURS), rng.choice(24, og.size, p=WEB_HOURS))
    sec = day * 86400 + hours * 3600 + rng.integers(0, 3600, og.size)
    order = np.lexsort((cust_idx, sec))
    return {"cust": cust_idx[order], "group": og[order], "day": day[order], "sec": sec[order],
            "sales": sales[order]}


def _draw_lines(ctx: _Context, rng: np.random.Generator, orders: Arrays) -> Arrays:
    """Lines: an optional phone first, then accessories; one line per product and order."""
    og = orders["group"]
    has_phone = rng.random(og.size) < _g("p_phone")[og]
    n_lines = 1 + np.minimum(rng.poisson(_g("extra")[og]), 4)
    order = np.repeat(np.arange(og.size), n_lines)
    first = np.arange(order.size) == np.repeat(np.cumsum(n_lines) - n_lines, n_lines)
    phone = has_phone[order] & first
    group, day = og[order], orders["day"][order]
    prod = _sample_products(ctx, rng, group, phone, day)
    key = order * len(ctx.cat["price"]) + prod
    srt = np.argsort(key, kind="stable")
    keep = np.ones(key.size, bool)
    keep[srt[1:]] = key[srt[1:]] != key[srt[:-1]]
    order, phone, group, day, prod = order[keep], phone[keep], group[keep], day[keep], prod[keep]
    order, phone, group, day, prod = _add_bundles(ctx, rng, order, phone, group, day, prod)
    qty = np.where(phone, 1 + (rng.random(order.size) < 0.02),
                   rng.choice([1, 2, 3], order.size, p=[0.78, 0.16, 0.06]))
    months_out = (day - ctx.cat["release_day"][prod]) / 30.4375
    price = ctx.cat["price"][prod] * np.where(phone, (1 - PRICE_DECAY_PER_MONTH) ** months_out, 1.0)
    disc = _g("discount")[group]
    price = np.round(price * (1 - np.round(rng.uniform(disc[:, 0], disc[:, 1]) / 0.05) * 0.05), 2)
    return {"order": order, "phone": phone, "day": day, "prod": prod, "qty": qty, "price": price}


def _add_bundles(ctx: _Context, rng: np.random.Generator, order: np.ndarray, phone: np.ndarray,
                 group: np.ndarray, day: np.ndarray, prod: np.ndarray) -> tuple[np.ndarray, ...]:
    """Append the planted BUNDLES' second products (see there); lines stay grouped by order."""
    index = {name: i for i, name in enumerate(ctx.cat["name"])}
    n_products = len(ctx.cat["name"])
    present = set((order * n_products + prod).tolist())
    added: list[np.ndarray] = []
    for first, second, chance in BUNDLES:
        a, b = index[first], index[second]
        hit = np.flatnonzero((prod == a) & (rng.random(prod.size) < chance) & (day >= ctx.cat["release_day"][b]))
        hit = hit[[int(order[i]) * n_products + b not in present for i in hit]]
        present.update((order[hit] * n_products + b).tolist())
        added.append(hit)
    rows = np.concatenate(added)
    extra = np.array([index[second] for (_, second, _), hit in zip(BUNDLES, added) for _ in hit], dtype=np.int64)
    where = np.argsort(np.concatenate([order, order[rows]]), kind="stable")
    return (np.concatenate([order, order[rows]])[where], np.concatenate([phone, np.zeros(rows.size, bool)])[where],
            np.concatenate([group, group[rows]])[where], np.concatenate([day, day[rows]])[where],
            np.concatenate([prod, extra])[where])


def _plant_mess(ctx: _Context, rng: np.random.Generator, orders: Arrays,
                lines: Arrays) -> tuple[Arrays, np.ndarray, np.ndarray]:
    """Zero prices/quantities, guest orders, returns and exact duplicates; rows sorted by time.

    Returns (rows, guest flag per order, indices of the duplicated rows)."""
    n = lines["order"].size
    zero_price = rng.random(n) < DIRTY_RATES["zero_price_line"]
    lines["price"][zero_price] = 0.0
    lines["qty"][(rng.random(n) < DIRTY_RATES["zero_quantity_line"]) & ~zero_price] = 0
    guest = rng.random(orders["day"].size) < DIRTY_RATES["guest_order"]
    p_ret = np.where(lines["phone"], DIRTY_RATES["return_phone_line"], DIRTY_RATES["return_accessory_line"])
    r_day = lines["day"] + rng.integers(1, 31, n)
    ret = np.flatnonzero((rng.random(n) < p_ret) & (lines["qty"] > 0) & (lines["price"] > 0)
                         & (r_day < ctx.cal.n_days))
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


def _chunk(ctx: _Context, rng: np.random.Generator, first_customer: int, n: int, first_order: int):
    """One chunk of customers: (order lines, customers, groups tables, dirty counts, orders)."""
    cust = _draw_customers(ctx, rng, n)
    orders = _draw_orders(ctx, rng, cust)
    rows, guest, copies = _plant_mess(ctx, rng, orders, _draw_lines(ctx, rng, orders))
    o = rows["order"]
    numbers = first_order + 1 + o
    lines = pa.table({
        "order_id": pc.if_else(pa.array(rows["ret"]), _ids("RO", numbers, ORDER_ID_WIDTH),
                               _ids("O", numbers, ORDER_ID_WIDTH)),
        "order_ts": pa.array((ctx.cal.start + rows["sec"].astype("m8[s]")).astype("M8[us]"),
                             pa.timestamp("us")),
        "customer_id": pc.if_else(pa.array(guest[o]), pa.scalar(None, pa.string()),
                                  _ids("C", first_customer + 1 + orders["cust"][o], ctx.cust_width)),
        "product_id": _ids("P", rows["prod"] + 1, 4),
        "quantity": pa.array(rows["qty"].astype(np.int32), pa.int32()),
        "unit_price": pa.array(rows["price"], pa.float64()),
        "sales_channel": _labels(SALES_CHANNELS, orders["sales"][o])})
    cust_ids = _ids("C", first_customer + 1 + np.arange(n), ctx.cust_width)
    customers = pa.table({
        "customer_id": cust_ids,
        "signup_date": pa.array(ctx.cal.start + cust["signup"], pa.date32()),
        "country": _labels(COUNTRIES, cust["country"]),
        "age": pa.array(cust["age"], pa.int32()),
        "acquisition_channel": _labels(CHANNELS, cust["channel"])})
    groups = pa.table({
        "customer_id": cust_ids, "group_id": pa.array((cust["group"] + 1).astype(np.int32), pa.int32()),
        "group_name": _labels(_g("name"), cust["group"])})
    counts = {"return_lines": int(rows["ret"].sum()), "guest_lines": int(guest[o].sum()),
              "duplicate_lines": int(copies.size), "zero_price_lines": int((rows["price"] == 0).sum()),
              "zero_quantity_lines": int((rows["qty"] == 0).sum())}
    existing = np.bincount(cust["group"][cust["existing"]], minlength=len(GROUPS))
    return lines, customers, groups, counts, orders["day"].size, existing


def _signup_model(cal: _Calendar, monthly_spend: np.ndarray, customers: float) -> tuple[np.ndarray, np.ndarray]:
    """Per-channel alpha so that sum_cm alpha_c * spend_cm ** beta_c == customers (the expected
    in-period signups); expected signups."""
    response = monthly_spend ** np.array(CHANNEL_BETA)[:, None]
    alpha = customers * np.array(CHANNEL_SIGNUP_SHARE) / response.sum(axis=1)
    return alpha, alpha[:, None] * response


def _existing_mix() -> np.ndarray:
    """P(group | pre-existing customer), shape (groups,)."""
    w = _g("share") * _g("existing")
    return w / w.sum()


def _group_mix(expected: np.ndarray) -> np.ndarray:
    """P(group | in-period signup month), shape (months, groups), keeping the planted overall shares.

    In-period signups get the groups' shares times (1 - existing).  Groups with ``signup='year1'``
    (Lapsed) only take first-year signups; the other groups fill the remaining probability
    proportionally to their shares.
    """
    share = _g("share") * (1 - _g("existing"))
    share = share / share.sum()
    p_month = expected.sum(axis=0) / expected.sum()
    early = np.arange(p_month.size) < 12
    fixed = np.array([g["signup"] == "year1" for g in GROUPS])
    prob = np.zeros((len(GROUPS), p_month.size))
    prob[fixed] = np.minimum(share[fixed, None] * early / p_month[early].sum(), 0.9)
    rest = share[~fixed] / share[~fixed].sum()
    prob[~fixed] = rest[:, None] * (1 - prob[fixed].sum(axis=0))
    return (prob / prob.sum(axis=0)).T


def generate_demo_data(out_dir: str | Path, customers: int = 20_000, seed: int = 7,
                       start: str = "2023-01-01", months: int = 24) -> dict:
    """Write the demo retailer's raw files into out_dir; return a summary dict.

    Files: ``order_lines/part-NNNNN.parquet`` (one per chunk of CHUNK_SIZE customers),
    ``products.parquet``, ``customers.parquet``, ``marketing_spend.parquet``, ``campaign.parquet`` (a
    randomised e-mail campaign, see :mod:`marketsql.demo.campaign`) and the planted
    truth ``truth/customer_groups.parquet`` and ``truth/truth.json``.
    """
    t0 = time.perf_counter()
    if isinstance(customers, bool) or not isinstance(customers, (int, np.integer)) or customers < 1:
        raise ValueError(f"customers must be an integer >= 1, got {customers!r}")
    if isinstance(months, bool) or not isinstance(months, (int, np.integer)) or months < 12:
        raise ValueError(f"months must be an integer >= 12 (a full year is needed), got {months!r}")
    customers, months = int(customers), int(months)
    cal = _calendar(start, months)
    out = Path(out_dir)
    (out / "order_lines").mkdir(parents=True, exist_ok=True)
    (out / "truth").mkdir(exist_ok=True)
    for stale in (out / "order_lines").glob("part-*.parquet"):
        stale.unlink()
    ss_cat, ss_mkt, ss_chunks = np.random.SeedSequence(seed).spawn(3)
    cat = _catalogue(np.random.default_rng(ss_cat), cal)
    spend_table, monthly_spend, monthly_pc = _marketing(np.random.default_rng(ss_mkt), cal, customers)
    alpha, expected = _signup_model(cal, monthly_spend, customers * (1 - _existing_share()))
    # draw from the same model on the unrounded spend per customer: bit-identical for any customers
    signup_p = _signup_model(cal, monthly_pc, 1.0)[1]
    signup_p, group_mix = (signup_p / signup_p.sum()).ravel(), _group_mix(signup_p)
    existing_from = (cal.start.astype("M8[M]") - 12 * EXISTING_SIGNUP_YEARS).astype("M8[D]")
    ctx = _Context(cal, _order_curves(cal), cat, _group_weights(cat), signup_p, group_mix,
                   max(7, len(str(customers))), _existing_mix(), int((cal.start - existing_from).astype(np.int64)))
    files = ["products.parquet", "customers.parquet", "marketing_spend.parquet",
             "truth/customer_groups.parquet", "truth/truth.json"]
    pq.write_table(_products_table(cat), out / files[0], compression=COMPRESSION)
    pq.write_table(spend_table, out / files[2], compression=COMPRESSION)
    n_chunks = -(-customers // CHUNK_SIZE)
    counts = dict.fromkeys(("return_lines", "guest_lines", "duplicate_lines", "zero_price_lines",
                            "zero_quantity_lines"), 0)
    group_counts = np.zeros(len(GROUPS), dtype=np.int64)
    existing_counts = np.zeros(len(GROUPS), dtype=np.int64)
    n_lines = n_orders = 0
    cust_writer = grp_writer = None
    try:
        for i, child in enumerate(ss_chunks.spawn(n_chunks)):
            first = i * CHUNK_SIZE
            lines, cust, grp, cnt, n_o, n_existing = _chunk(ctx, np.random.default_rng(child), first,
                                                            min(CHUNK_SIZE, customers - first), n_orders)
            part = f"order_lines/part-{i:05d}.parquet"
            pq.write_table(lines, out / part, compression=COMPRESSION)
            files.append(part)
            cust_writer = cust_writer or pq.ParquetWriter(out / files[1], cust.schema,
                                                          compression=COMPRESSION)
            grp_writer = grp_writer or pq.ParquetWriter(out / files[3], grp.schema, compression=COMPRESSION)
            cust_writer.write_table(cust)
            grp_writer.write_table(grp)
            counts = {k: counts[k] + cnt[k] for k in counts}
            group_counts += np.bincount(grp["group_id"].to_numpy() - 1, minlength=len(GROUPS))
            existing_counts += n_existing
            n_lines, n_orders = n_lines + lines.num_rows, n_orders + n_o
    finally:
        for writer in (cust_writer, grp_writer):
            if writer is not None:
                writer.close()
    truth = _truth(cal, seed, customers, start, cat, alpha, expected, group_mix, counts, group_counts,
                   n_lines, n_orders, existing_counts, existing_from)
    (out / files[4]).write_text(json.dumps(truth, indent=2) + "\n")
    plant_campaign(out, seed)  # the randomised e-mail campaign (model kind uplift)
    files.append("campaign.parquet")
    return {"customers": customers, "order_lines": n_lines, "orders": n_orders,
            "products": len(cat["name"]), "seconds": round(time.perf_counter() - t0, 3),
            "files": sorted(files)}


def _truth(cal: _Calendar, seed: int, customers: int, start: str, cat: Arrays,
           alpha: np.ndarray, expected: np.ndarray, group_mix: np.ndarray, counts: dict[str, int],
           group_counts: np.ndarray, n_lines: int, n_orders: int, existing_counts: np.ndarray,
           existing_from: np.datetime64) -> dict:
    """Everything that was planted, for tests and for checking analyses against."""
    n_existing = int(existing_counts.sum())
    phones = cat["is_phone"]
    years = cat["release"][phones].astype("M8[D]").astype("M8[Y]").astype(np.int64) + 1970
    five_g = {str(y): round(float(cat["has_5g"][phones][years == y].astype(bool).mean()), 3)
              for y in np.unique(years)}
    return {
        "seed": seed, "arguments": {"customers": customers, "seed": seed, "start": start,
                                    "months": cal.months},
        "period": {"start": str(cal.start), "end_exclusive": str(cal.end), "days": cal.n_days},
        "chunk_size": CHUNK_SIZE, "order_lines": n_lines, "orders": n_orders,
        "groups": [{**g, "customers": int(c), "actual_share": round(float(c) / customers, 4),
                    "existing_customers": int(e)}
                   for g, c, e in zip(GROUPS, group_counts, existing_counts, strict=True)],
        "group_notes": "orders = inclusive range of orders per 24 active months for groups with window 0: "
                       "a customer's count is a uniform draw from it times the share of the period's order "
                       "intensity (the group's curve, growth and seasonality included) inside the customer's "
                       "active window times months / 24, randomly rounded, at least 1 (so the order rate "
                       "per active customer is the same for every tenure); groups with a window keep their "
                       "range (One-time buyers exactly 1, Lapsed per active window); window = days after "
                       "signup with orders (0 = to the end of the period); signup 'year1' = in-period "
                       "signups in the first 12 months only; existing = chance that a customer of the group "
                       "signed up before the period (see existing_customers); curve 0 = regular intensity, "
                       "1 = sale events; p_phone = chance an order has a phone; extra = Poisson mean of "
                       "further accessory lines (max 4); discount = uniform range rounded to 5%; "
                       "sales = web/app/store probabilities; age = mean (sd 10).",
        "existing_customers": {
            "customers": n_existing, "share": round(n_existing / customers, 4),
            "expected_share": round(_existing_share(), 4),
            "rule": "customers with signup_date < period start signed up before the period; they are not "
                    "part of the signup response model (channel drawn by signup_share, signup day with "
                    f"density growing {EXISTING_SIGNUP_GROWTH:.0%} a year over [signup_from, period start))",
            "signup_from": str(existing_from),
            "active_window": "the whole period, except Lapsed who stop ordering on a day uniform in "
                             f"[{LAPSE_DAYS_EXISTING[0]}, {LAPSE_DAYS_EXISTING[1]}) of the period",
            "group_probability": [round(float(x), 4) for x in _existing_mix()]},
        "in_period_signups": {"customers": customers - n_existing,
                              "expected": round(float(expected.sum()), 6)},
        "group_probability_by_signup_month": [[round(float(x), 4) for x in row] for row in group_mix],
        "channels": {c: {"alpha": float(a), "beta": b, "signup_share": s, "budget_share": bs,
                         "cpm": cpm, "ctr": ctr}
                     for c, a, b, s, bs, cpm, ctr in zip(
                         CHANNELS, alpha, CHANNEL_BETA, CHANNEL_SIGNUP_SHARE, CHANNEL_BUDGET_SHARE,
                         CHANNEL_CPM, CHANNEL_CTR, strict=True)},
        "signup_response": "expected_signups[channel][month] = alpha * monthly_spend ** beta, summing to "
                           "the expected in-period signups customers * (1 - existing expected_share); each "
                           "in-period customer's (channel, month) is drawn with these as weights, day uniform",
        "expected_signups": {c: [float(x) for x in row] for c, row in zip(CHANNELS, expected, strict=True)},
        "dirty_rates": DIRTY_RATES, "dirty_counts": counts,
        "bundles": [{"antecedent": a, "consequent": b, "chance": c} for a, b, c in BUNDLES],
        "bundle_notes": "an order line of antecedent brings a line of consequent with this chance, when the "
                        "consequent is released and not already in the order",
        "dirty_notes": "returns: order_id 'R'+order id, quantity -q, same unit_price, 1-30 days later "
                       "(dropped if after the period); guest orders: every line (and its return) has "
                       "customer_id NULL; duplicates: exact copies of random lines (incl. returns).",
        "seasonality": {
            "spend_month_factor": SPEND_MONTH_FACTOR, "spend_trend_per_year": SPEND_TREND_PER_YEAR,
            "spend_per_customer": SPEND_PER_CUSTOMER,
            "tv_flighting": "4 weeks on / 4 weeks off (1.6x), always on in Sep, Nov, Dec",
            "order_growth_per_year": ORDER_GROWTH_PER_YEAR, "order_weekday_factor_mon_sun": WEEKDAY_FACTOR,
            "order_month_factor": ORDER_MONTH_FACTOR,
            "order_events": "regular: month factor x (1 + {bf_week} BF week[BF-7..CyberMon] + {bf_peak} "
                            "BF..CyberMon + {jan_sales} Jan 2-14 + {launch} Sep 12-25), x0.35 on Dec 24-25; "
                            "bargain hunters: {base} + {s_bf_week} BF week + {s_bf_peak} BF..CyberMon + "
                            "{s_jan_sales} Jan 2-14 + {boxing} Dec 26-31 (both times growth and weekday)".format(
                                **REGULAR_EVENTS, **{f"s_{k}" if k in REGULAR_EVENTS else k: v
                                                     for k, v in SALE_EVENTS.items()}),
            "regular_events": REGULAR_EVENTS, "sale_events": SALE_EVENTS,
            "volume": "monthly orders ~ (order intensity curve) x (customers active that month): the "
                      "existing base orders from day 0, in-period signups join as marketing acquires them, "
                      "Lapsed drop out"},
        "trends": {"phone_price_decay_per_month": PRICE_DECAY_PER_MONTH,
                   "xiaomi_phone_pick_weight_start_end": XIAOMI_TREND,
                   "phone_popularity": "acceptance max(0.2, exp(-age_days / 540)) favours new phones",
                   "share_5g_of_phone_models_by_release_year": five_g},
        "product_tiers": {f"P{i + 1:04d}": t for i, t in enumerate(cat["tier"])},
    }
