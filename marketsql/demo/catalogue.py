"""The demo retailer's products: the catalogue (``catalogue.toml``) and the products drawn from it.

The file lists phone lines, accessories and the planted bundles; ``draw_catalogue`` turns each phone
line into one product per year and storage size (release date, 5G and battery drawn) and gives every
accessory a release date.  Products are ordered by release (phones), then accessories in file order.
"""
from __future__ import annotations

import tomllib
from importlib import resources
from typing import Any

import numpy as np

from .calendar import Calendar

Arrays = dict[str, np.ndarray]
CATALOGUE_FILE = "catalogue.toml"


def _load() -> tuple[list[dict[str, Any]], list[tuple[str, str, float]], list[tuple[str, str, float]]]:
    data = tomllib.loads(resources.files(__package__).joinpath(CATALOGUE_FILE).read_text(encoding="utf-8"))
    phones = [dict(zip(data["phone_columns"], row, strict=True)) for row in data["phones"]]
    accessories = [(name, group["category"], float(price))
                   for group in data["accessories"] for name, price in group["products"]]
    bundles = [(b["antecedent"], b["consequent"], float(b["chance"])) for b in data["bundles"]]
    return phones, accessories, bundles


PHONES, ACCESSORIES, BUNDLES = _load()
"""Phone lines (dicts keyed by ``phone_columns``), accessories ``(name, category, price)`` and
bundles ``(antecedent, consequent, chance)``, as listed in ``catalogue.toml``."""

_PRICE_STEP = {"flagship": 100, "mid": 50, "budget": 30}  # per further storage size


def draw_catalogue(rng: np.random.Generator, cal: Calendar) -> Arrays:
    """Phones (release dates over the year before and the period) and accessories."""
    rows: list[tuple] = []
    first_year = int(cal.start.astype("M8[Y]").astype(np.int64)) + 1970 - 1
    last_year = int((cal.end - 1).astype("M8[Y]").astype(np.int64)) + 1970
    start_t = first_year + 1 + (cal.start - cal.start.astype("M8[Y]")).astype(int) / 365.25
    for year in range(first_year, last_year + 1):
        for p in PHONES:
            brand, tier, launch = p["brand"], p["tier"], p["launch_month"]
            month = launch or int(rng.integers(1, 13))
            release = np.datetime64(f"{year}-{month:02d}-01") + int(rng.integers(0, 20 if launch else 28))
            t = year + (month - 0.5) / 12
            centre = {"flagship": -99.0, "mid": start_t, "budget": start_t + 1.0}[tier]
            is_5g = bool(rng.random() < 1 / (1 + np.exp(-2.0 * (t - centre))))
            screen_in = round(p["screen_inches"] + float(rng.choice([0.0, 0.0, 0.1])), 2)
            battery = p["battery_mah"] + 100 * (year - first_year) + 50 * int(rng.integers(-2, 3))
            model = p["model"].format(n=year - p["generation_offset"], y=year)
            model = model if model.startswith(brand) else f"{brand} {model}"
            for k, gb in enumerate(p["storage_gb"]):
                price = p["price"] + _PRICE_STEP[tier] * k - (0.0 if brand == "Apple" else 0.01)
                rows.append((release, f"{model} {gb}GB", "Phones", brand, tier, price,
                             screen_in, gb, p["ram_gb"], float(p["camera_mp"]), battery, is_5g))
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
