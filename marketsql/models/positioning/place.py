"""Placing a hypothetical product: where it lands, what it should cost, who it competes with and who
buys its competitors. ``Project.position({...})`` and ``marketsql position --brand … --price …``.

Everything is computed from the active model's arrays (numpy) and the built views; the same figures
come out of the SQL macros (``expected_price(…)``, ``nearest_products(…)``), which tests check.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field

import duckdb
import numpy as np

from marketsql.errors import ModelError
from marketsql.models.registry import Registry

from .buyers import LikelyBuyer, buying_segments, likely_buyers
from .model import PositioningModel
from .serve import NAME, load

UNIT_SUFFIX = re.compile(r"_(gb|tb|mb|kb|mp|mah|wh|inches|inch|in|cm|mm|m|km|hz|khz|mhz|ghz|w|kw|v|g|kg|lb|lbs|oz"
                         r"|ml|l|px|ppi|dpi|nits|db|fps|s|sec|ms|min|mins|h|hrs|hours|days|months|years|pct|percent"
                         r"|usd|eur|gbp)$")
TRUE, FALSE = {"true", "yes", "y", "1", "on"}, {"false", "no", "n", "0", "off"}


@dataclass(frozen=True)
class Competitor:
    """An existing product near the new one (distance in the standardised attribute + log price space)."""

    product_id: str
    product_name: str | None
    brand: str | None
    price: float | None
    price_tier: str | None
    units_per_month: float | None
    distance: float


@dataclass(frozen=True)
class SegmentShare:
    """A customer segment's share of the competitors' buyers."""

    segment_name: str
    buyers: int
    share: float


@dataclass(frozen=True)
class Placement:
    """Where a hypothetical product lands (see :func:`place`)."""

    model_version: int
    category: str
    brand: str | None
    price: float | None  # as given; None = not given
    attributes: dict[str, float]  # every model attribute, as used
    filled: list[str]  # attributes not given, set to the training median (fill_missing=True)
    x: float
    y: float
    expected_price: float
    price_low: float  # 10 %-90 % band of the price model's out-of-fold errors
    price_high: float
    price_tier: str  # of the given price, else of the expected price
    price_gap: float | None  # given price / expected - 1
    expected_units_per_month: float | None  # None without a sales model
    percentiles: dict[str, float]  # share of the category's products with a lower value
    competitors: list[Competitor]
    segments: list[SegmentShare] | None  # None: no segmentation trained (see notes)
    notes: list[str] = field(default_factory=list)
    buyers: list[LikelyBuyer] | None = None  # None: no propensity model for the category (see notes)

    def lines(self) -> list[str]:
        """A readable summary (what the CLI prints)."""
        if self.price is not None and self.price_gap is not None:
            given = f"price {self.price:,.2f} ({self.price_tier}, {self.price_gap:+.0%} vs expected)"
        else:
            given = f"no price given (tier at expected price: {self.price_tier})"
        out = [f"{self.category} by {self.brand or 'unknown brand'}: {given}",
               f"expected price {self.expected_price:,.2f} (80% band {self.price_low:,.2f} – {self.price_high:,.2f})"
               f" from positioning v{self.model_version}",
               f"map position x {self.x:+.2f}, y {self.y:+.2f}"]
        if self.expected_units_per_month is not None:
            out.append(f"expected sales {self.expected_units_per_month:,.1f} units per month")
        out.append("percentile in category: " + ", ".join(f"{k} {v:.0%}" for k, v in self.percentiles.items()))
        out.append("nearest competitors:")
        for c in self.competitors:
            sales = f", {c.units_per_month:,.1f} units/month" if c.units_per_month is not None else ""
            price = f"{c.price:,.2f}" if c.price is not None else "?"
            out.append(f"  {c.distance:5.2f}  {c.product_name} ({c.brand}, {price}, {c.price_tier}{sales})")
        if self.segments:
            out.append("segments buying these competitors: "
                       + ", ".join(f"{s.segment_name} {s.share:.0%}" for s in self.segments))
        if self.buyers:
            out.append(f"customers most likely to buy it (propensity for category:{self.category}, in the segments"
                       " that buy these competitors):")
            out += [f"  {b.customer_id}  p {b.probability:.3f}  {b.segment_name}" for b in self.buyers]
        out += [f"note: {n}" for n in self.notes]
        return out


def place(con: duckdb.DuckDBPyConnection, attributes: Mapping[str, object], k: int = 5,
          fill_missing: bool = False, buyers: int = 10) -> Placement:
    """Place a product given ``{"brand": …, "price": …, attribute: value, …}`` against the active model, with the
    ``buyers`` customers most likely to buy it (see :mod:`.buyers`)."""
    if k < 1:
        raise ModelError(f"k={k}: ask for at least 1 competitor")
    if buyers < 0:
        raise ModelError(f"buyers={buyers}: ask for 0 or more customers")
    record = Registry(con).active(NAME)
    model = load(con, record)
    brand, price, values, filled = _parse(model, attributes, fill_missing, record.params.get("all_brands", []))
    notes = [f"{', '.join(filled)} not given: set to the median of the category"] if filled else []
    z = model.transform(values[None, :])
    brand_index = model.brand_index([brand])
    if brand and brand_index[0] < 0:
        notes.append(f"brand {brand!r} has too few products for a brand premium: priced as the average brand")
    log_price = float(model.expected_log_price(values[None, :], brand_index)[0])
    expected = float(np.exp(log_price))
    point_price = price if price is not None else expected
    units = None
    if model.sales is not None:
        units = max(float(np.expm1(model.log1p_units(z, brand_index, np.array([point_price]))[0])), 0.0)
    else:
        skipped = [n for n in record.params.get("notes", []) if n.startswith("sales model skipped")]
        notes.append(skipped[0] if skipped else "no sales model in this positioning version")
    point = np.append(z[0], model.price_z(np.array([point_price]))[0])
    xy = model.xy(z)[0]
    competitors = _competitors(con, model, point, k)
    segments = _segments(con, [c.product_id for c in competitors], notes)
    likely = likely_buyers(con, model.category, buying_segments([(s.segment_name, s.share) for s in segments or []]),
                           buyers, notes) if buyers else None
    return Placement(
        model_version=record.version, category=model.category, brand=brand, price=price,
        attributes=dict(zip(model.attributes, (float(v) for v in np.where(np.isnan(values), model.medians, values)))),
        filled=filled, x=float(xy[0]), y=float(xy[1]), expected_price=expected,
        price_low=float(np.exp(log_price + model.price_quantiles[0])),
        price_high=float(np.exp(log_price + model.price_quantiles[1])),
        price_tier=model.tier(point_price), price_gap=price / expected - 1 if price is not None else None,
        expected_units_per_month=units, percentiles=_percentiles(con, model, values, price),
        competitors=competitors, segments=segments, notes=notes, buyers=likely,
    )


def attribute_key(option: str, model: PositioningModel) -> str | None:
    """The model attribute an option name means: exact, else the one attribute it names without its unit suffix
    (``speed`` for ``speed_mhz``, ``screen`` for ``screen_inches``), without ``has_``, or by a unique prefix
    (``screen`` for ``screen_size``, ``refresh`` for ``refresh_rate_hz``). ModelError when it fits several."""
    key = option.strip().lstrip("-").lower().replace("-", "_")
    if key in model.attributes:
        return key
    for match in (_without_unit, lambda a: a.removeprefix("has_"), None):
        if match is None:
            hits = [a for a in model.attributes if a.startswith(key + "_")]
        else:
            hits = [a for a in model.attributes if match(a) == key]
        if len(hits) == 1:
            return hits[0]
        if hits:
            raise ModelError(f"attribute {option!r} is ambiguous: it may mean {', '.join(hits)} — give the full name")
    return None


def _without_unit(attribute: str) -> str:
    """``speed_mhz`` -> ``speed``, ``weight_g`` -> ``weight``: the name without a known unit suffix."""
    return UNIT_SUFFIX.sub("", attribute) or attribute


def describe_attributes(con: duckdb.DuckDBPyConnection) -> list[str]:
    """Lines naming the options the active positioning model takes (for ``marketsql position --help``)."""
    record = Registry(con).active(NAME)
    model = load(con, record)
    brands = record.params.get("all_brands") or model.brands
    out = [f"Attributes of this project's positioning model ({model.category}, v{record.version}):"]
    for name, median in zip(model.attributes, model.medians, strict=True):
        short = {_without_unit(name), name.removeprefix("has_")} - {name}
        also = f" (or --{sorted(short)[0].replace('_', '-')})" if short else ""
        flag = name.startswith("has_") or name.startswith("is_")
        hint = "yes/no, --no-… for no" if flag else f"median {median:,.4g}"
        out.append(f"  --{name.replace('_', '-')}{also}: {hint}")
    out.append(f"  --brand: {', '.join(brands)}, or other")
    return out


def _parse(model: PositioningModel, given: Mapping[str, object], fill_missing: bool,
           all_brands: list[str]) -> tuple[str | None, float | None, np.ndarray, list[str]]:
    values = np.full(len(model.attributes), np.nan)
    brand = price = None
    for option, raw in given.items():
        key = option.strip().lstrip("-").lower().replace("-", "_")
        if key == "brand":
            brand = None if raw is None else str(raw).strip().lower()
            continue
        if key == "price":
            price = _number("price", raw)
            if price is not None and price <= 0:
                raise ModelError(f"price {raw!r} must be positive — give e.g. price 799")
            continue
        attribute = attribute_key(option, model)
        if attribute is None:
            raise ModelError(f"unknown attribute {option!r} — the positioning model knows: brand, price, "
                             + ", ".join(model.attributes))
        values[model.attributes.index(attribute)] = np.nan if raw is None else _number(attribute, raw)
    if not brand:
        raise ModelError("missing brand — give the brand (one of the category's brands, or 'other')")
    if brand != "other" and brand not in all_brands and brand not in model.brands:
        raise ModelError(f"unknown brand {brand!r} — known: {', '.join(all_brands or model.brands)}, or 'other'")
    missing = [a for a, v in zip(model.attributes, values) if np.isnan(v)]
    if missing and not fill_missing:
        raise ModelError(f"missing attribute(s) {', '.join(missing)} — give them, or fill them with the category"
                         " median (--fill-missing / fill_missing=True)")
    return (None if brand == "other" else brand), price, values, missing


def _number(name: str, raw: object) -> float | None:
    if raw is None:
        return None
    if isinstance(raw, bool):
        return float(raw)
    text = str(raw).strip().lower()
    if text in TRUE:
        return 1.0
    if text in FALSE:
        return 0.0
    try:
        value = float(text)
    except ValueError:
        raise ModelError(f"{name} {raw!r} is not a number — give a number such as 128 (yes/no for a feature)") from None
    if not np.isfinite(value):
        raise ModelError(f"{name} {raw!r} is not a finite number")
    return value


def _competitors(con: duckdb.DuckDBPyConnection, model: PositioningModel, point: np.ndarray,
                 k: int) -> list[Competitor]:
    distances = np.sqrt(((model.reference_space - point) ** 2).sum(axis=1))
    ids = np.array(model.reference_ids)
    order = np.lexsort((ids, distances))[:k]
    chosen = [str(ids[i]) for i in order]
    rows = {r[0]: r[1:] for r in con.execute(
        "SELECT p.product_id, p.product_name, p.brand, p.price, t.price_tier, p.units_per_month"
        " FROM position_products AS p LEFT JOIN price_tiers AS t USING (product_id)"
        " WHERE p.product_id IN (SELECT unnest(?))", [chosen]).fetchall()}
    out = []
    for i in order:
        name, brand, price, tier, units = rows.get(str(ids[i]), (None,) * 5)
        out.append(Competitor(str(ids[i]), name, brand, price, tier, units, float(distances[i])))
    return out


def _percentiles(con: duckdb.DuckDBPyConnection, model: PositioningModel, values: np.ndarray,
                 price: float | None) -> dict[str, float]:
    rows = con.execute(
        "SELECT a.attribute, a.value FROM stg_product_attributes AS a JOIN position_products AS p USING (product_id)"
        " WHERE p.category = ? AND a.value IS NOT NULL"
        " UNION ALL SELECT 'price', price FROM position_products WHERE category = ?",
        [model.category, model.category]).fetchall()
    by_attribute: dict[str, list[float]] = {}
    for attribute, value in rows:
        by_attribute.setdefault(attribute, []).append(value)
    wanted = dict(zip(model.attributes, values))
    if price is not None:
        wanted["price"] = price
    return {a: float(np.mean(np.array(by_attribute[a]) < v)) for a, v in wanted.items()
            if not np.isnan(v) and by_attribute.get(a)}


def _segments(con: duckdb.DuckDBPyConnection, product_ids: list[str], notes: list[str]) -> list[SegmentShare] | None:
    exists = con.execute("SELECT count(*) FROM duckdb_tables() WHERE table_name = 'product_segment_mix'"
                         " AND schema_name = 'main' AND database_name = current_database()").fetchall()[0][0]
    if not exists:
        sold = con.execute("SELECT count(units) FROM position_products").fetchall()[0][0]
        notes.append("segments unknown: no segmentation trained — run `marketsql train segmentation`" if sold
                     else "segments unknown: the project has no sales, so no buyers")
        return None
    rows = con.execute(
        "SELECT segment_name, sum(buyers) AS buyers FROM product_segment_mix WHERE product_id IN (SELECT unnest(?))"
        " GROUP BY segment_name ORDER BY buyers DESC, segment_name", [product_ids]).fetchall()
    total = sum(int(b) for _, b in rows)
    if not total:
        notes.append("segments unknown: no segmented customer bought these competitors")
        return []
    return [SegmentShare(str(name), int(b), int(b) / total) for name, b in rows]


def options_to_attributes(args: list[str]) -> dict[str, str]:
    """``["--storage", "256", "--5g", "--no-nfc", "--ram=8"]`` -> ``{"storage": "256", "5g": "true", "nfc": "false",
    "ram": "8"}``: the attribute options of ``marketsql position`` (a flag alone means yes)."""
    out: dict[str, str] = {}
    i = 0
    while i < len(args):
        token = args[i]
        if not token.startswith("--") or len(token) < 3:
            raise ModelError(f"unexpected argument {token!r} — give attributes as --NAME VALUE, e.g. --storage 256")
        name, sep, value = token[2:].partition("=")
        if not sep:
            if i + 1 < len(args) and not args[i + 1].startswith("--"):
                value, i = args[i + 1], i + 1
            elif name.startswith("no-"):
                name, value = name[3:], "false"
            else:
                value = "true"
        out[name] = value
        i += 1
    return out
