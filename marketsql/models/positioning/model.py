"""The portable fitted positioning model: plain numpy arrays, no scikit-learn.

For a product with attribute values ``v`` (in ``attributes`` order), brand ``b`` and price ``p``:

1. missing values take the training median; ``t = log1p(max(v, 0))`` where ``log_transform``, else ``v``;
2. ``z = (t - center) / scale`` (the standardised attribute space);
3. the perceptual map: ``x, y = (z - pca_mean) @ components.T`` (a 2-component PCA of ``z``);
4. expected price: ``exp(price_intercept + zq @ price_coef + brand premium)``, where ``zq`` are the attributes
   as the served price model reads them (``price_log_transform``, ``price_input_center``/``scale``: ``z`` itself
   for the ridge; log1p of every non-binary attribute, standardised, for the log-log model; see price.py), band
   ``exp(... + price_residual_quantiles)`` (out-of-fold residual quantiles, 10 % and 90 %);
5. expected sales (when the project has sales): ``expm1(sales_intercept + z @ sales_coef +
   sales_price_coef * zp + brand effect)`` units per month, with ``zp = (ln p - price_center) / price_scale``;
6. the competitor space is ``[z, zp]``: nearest competitors by Euclidean distance in it (ties by id); the
   5 nearest of every training product are found once, when training (``competitors``).

An unknown brand (or none) gets no brand premium: the average brand.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

TIERS = ("budget", "mid-range", "upper mid-range", "premium")


@dataclass
class LinearModel:
    """``intercept + z @ coef (+ price_coef * zp) + brand_coef[brand]`` on the log scale."""

    intercept: float
    coef: np.ndarray
    brand_coef: np.ndarray
    price_coef: float = 0.0


@dataclass
class PositioningModel:
    """A fitted positioning of one product category."""

    category: str
    attributes: list[str]
    log_transform: np.ndarray  # bool per attribute
    medians: np.ndarray  # raw values, for missing attributes
    center: np.ndarray
    scale: np.ndarray
    components: np.ndarray  # (2, attributes)
    pca_mean: np.ndarray
    explained: np.ndarray  # explained variance ratio of the two axes
    price_center: float
    price_scale: float
    brands: list[str]  # lower-case brand keys with an estimated effect
    price: LinearModel
    price_quantiles: np.ndarray  # log residual quantiles (10 %, 90 %)
    tier_cuts: np.ndarray  # highest price of the first three tiers
    sales: LinearModel | None = None
    reference_ids: list[str] = field(default_factory=list)  # the training products (competitor search)
    reference_space: np.ndarray = field(default_factory=lambda: np.zeros((0, 0)))  # their [z, zp]
    reference_names: list[str] = field(default_factory=list)
    reference_brands: list[str] = field(default_factory=list)
    reference_prices: np.ndarray = field(default_factory=lambda: np.zeros(0))
    competitors: np.ndarray | None = None  # (products, 5) rows of reference_ids, nearest first, -1 pads
    competitor_distances: np.ndarray | None = None  # (products, 5) their distances
    price_log_transform: np.ndarray | None = None  # how the price model reads the attributes (None: as ``z``)
    price_input_center: np.ndarray | None = None
    price_input_scale: np.ndarray | None = None

    def transform(self, values: np.ndarray) -> np.ndarray:
        """Raw attribute matrix (rows × attributes, NaN = missing) -> standardised z."""
        values = np.where(np.isnan(values), self.medians, values)
        t = np.where(self.log_transform, np.log1p(np.maximum(values, 0.0)), values)
        return (t - self.center) / self.scale

    def xy(self, z: np.ndarray) -> np.ndarray:
        """Map coordinates (rows × 2) of standardised rows."""
        return (z - self.pca_mean) @ self.components.T

    def brand_index(self, brands: list[str | None]) -> np.ndarray:
        """Column of each brand in ``brands`` (lower-cased), -1 for unknown or missing."""
        lookup = {b: i for i, b in enumerate(self.brands)}
        return np.array([lookup.get((b or "").strip().lower(), -1) for b in brands], dtype=np.int64)

    def price_inputs(self, values: np.ndarray) -> np.ndarray:
        """Raw attribute matrix (NaN = missing) -> the inputs of the served price model."""
        if self.price_log_transform is None or self.price_input_center is None or self.price_input_scale is None:
            return self.transform(values)
        values = np.where(np.isnan(values), self.medians, values)
        t = np.where(self.price_log_transform, np.log1p(np.maximum(values, 0.0)), values)
        return (t - self.price_input_center) / self.price_input_scale

    def expected_log_price(self, values: np.ndarray, brand: np.ndarray) -> np.ndarray:
        """Expected log price of raw attribute rows (NaN = missing) and brand columns."""
        return _linear(self.price, self.price_inputs(values), brand, None)

    def price_reading(self) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """(log1p or not, centre, scale) per attribute, as the served price model reads it."""
        if self.price_log_transform is None or self.price_input_center is None or self.price_input_scale is None:
            return self.log_transform, self.center, self.scale
        return self.price_log_transform, self.price_input_center, self.price_input_scale

    def price_z(self, price: np.ndarray) -> np.ndarray:
        """Standardised log price (the competitor space's last dimension)."""
        return (np.log(price) - self.price_center) / self.price_scale

    def log1p_units(self, z: np.ndarray, brand: np.ndarray, price: np.ndarray) -> np.ndarray:
        """Expected log1p(units per month); ModelError-free: callers check ``sales`` first."""
        assert self.sales is not None
        return _linear(self.sales, z, brand, self.price_z(price))

    def tier(self, price: float) -> str:
        """Price tier of a price (same cut points as the view ``price_tiers``)."""
        return TIERS[int(np.searchsorted(self.tier_cuts, price, side="left"))]

    def dimensions(self) -> list[str]:
        """Names of the competitor space's columns: the attributes, then ``price``."""
        return [*self.attributes, "price"]

    def drivers(self) -> list[dict[str, object]]:
        """One row per model × input: the log-scale coefficient per standard deviation (brands: against the
        average brand) and its effect in % (``expm1(coefficient) * 100``)."""
        rows: list[dict[str, object]] = []
        for target, linear in (("price", self.price), ("sales", self.sales)):
            if linear is None:
                continue
            terms = [("attribute", a, c) for a, c in zip(self.attributes, linear.coef)]
            if target == "sales":
                terms.append(("price", "price", linear.price_coef))
            terms += [("brand", b, c) for b, c in zip(self.brands, linear.brand_coef)]
            rows += [{"model": target, "term_type": kind, "term": name, "coefficient": float(c),
                      "effect_pct": float(np.expm1(c) * 100)} for kind, name, c in terms]
        return rows

    def to_arrays(self) -> tuple[dict[str, np.ndarray], dict[str, object]]:
        """Arrays for the registry and the JSON-able rest."""
        arrays = {
            "log_transform": self.log_transform.astype(bool), "medians": self.medians, "center": self.center,
            "scale": self.scale, "components": self.components, "pca_mean": self.pca_mean,
            "explained": self.explained, "price_stats": np.array([self.price_center, self.price_scale]),
            "price_intercept": np.array([self.price.intercept]), "price_coef": self.price.coef,
            "price_brand_coef": self.price.brand_coef, "price_quantiles": self.price_quantiles,
            "tier_cuts": self.tier_cuts, "reference_space": self.reference_space,
            "reference_prices": self.reference_prices,
        }
        if self.competitors is not None and self.competitor_distances is not None:
            arrays |= {"competitors": self.competitors, "competitor_distances": self.competitor_distances}
        if self.price_log_transform is not None:
            price_log, price_center, price_scale = self.price_reading()
            arrays |= {"price_log_transform": price_log.astype(bool), "price_input_center": price_center,
                       "price_input_scale": price_scale}
        if self.sales is not None:
            arrays |= {"sales_intercept": np.array([self.sales.intercept]), "sales_coef": self.sales.coef,
                       "sales_brand_coef": self.sales.brand_coef, "sales_price_coef": np.array([self.sales.price_coef])}
        meta: dict[str, object] = {"category": self.category, "attributes": self.attributes, "brands": self.brands,
                "reference_ids": self.reference_ids, "reference_names": self.reference_names,
                                   "reference_brands": self.reference_brands}
        return {k: np.asarray(v, dtype=bool if k.endswith("log_transform") else np.float64)
                for k, v in arrays.items()}, meta

    @classmethod
    def from_arrays(cls, arrays: dict[str, np.ndarray], meta: dict[str, object]) -> PositioningModel:
        """Rebuild from the registry."""
        sales = None
        if "sales_coef" in arrays:
            sales = LinearModel(float(arrays["sales_intercept"][0]), arrays["sales_coef"], arrays["sales_brand_coef"],
                                float(arrays["sales_price_coef"][0]))
        price = LinearModel(float(arrays["price_intercept"][0]), arrays["price_coef"], arrays["price_brand_coef"])
        return cls(
            category=str(meta["category"]), attributes=[str(a) for a in meta["attributes"]],  # type: ignore[attr-defined]
            log_transform=arrays["log_transform"].astype(bool), medians=arrays["medians"], center=arrays["center"],
            scale=arrays["scale"], components=arrays["components"], pca_mean=arrays["pca_mean"],
            explained=arrays["explained"], price_center=float(arrays["price_stats"][0]),
            price_scale=float(arrays["price_stats"][1]), brands=[str(b) for b in meta["brands"]],  # type: ignore[attr-defined]
            price=price, price_quantiles=arrays["price_quantiles"], tier_cuts=arrays["tier_cuts"], sales=sales,
            reference_ids=[str(i) for i in meta["reference_ids"]],  # type: ignore[attr-defined]
            reference_space=arrays["reference_space"],
            reference_names=[str(n) for n in meta.get("reference_names", [])],  # type: ignore[attr-defined]
            reference_brands=[str(b) for b in meta.get("reference_brands", [])],  # type: ignore[attr-defined]
            reference_prices=arrays.get("reference_prices", np.zeros(0)),
            competitors=arrays["competitors"].astype(np.int64) if "competitors" in arrays else None,
            competitor_distances=arrays.get("competitor_distances"),
            price_log_transform=arrays["price_log_transform"].astype(bool) if "price_log_transform" in arrays else None,
            price_input_center=arrays.get("price_input_center"), price_input_scale=arrays.get("price_input_scale"),
        )


def _linear(model: LinearModel, z: np.ndarray, brand: np.ndarray, zp: np.ndarray | None) -> np.ndarray:
    out = model.intercept + z @ model.coef
    padded = np.append(model.brand_coef, 0.0)  # index -1 (unknown brand) -> no premium
    out = out + padded[brand]
    if zp is not None:
        out = out + model.price_coef * zp
    return np.asarray(out, dtype=np.float64)
