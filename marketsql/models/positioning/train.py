"""Fitting the positioning model with scikit-learn (imported only here).

- Attributes: the training median fills a missing value; a non-negative, non-binary attribute with
  skewness > 1 is log1p-transformed; then standardised. Constant attributes are dropped.
- Perceptual map: scikit-learn PCA (2 components, full SVD) of the standardised attributes.
- Price model: the best on the holdout (by R² on price) of the linear candidates of price.py — today's ridge
  (alpha by leave-one-out, ridge.py) of log price on the standardised attributes and one indicator per brand
  with at least ``min_brand_products`` products, a log-log linear model, or the brand-mean baseline; gradient
  boosting is compared but not served (not compiled to SQL). Its coefficients are the price drivers.
- Sales drivers (only where the project has sales): the same for log1p(units per month on sale),
  with the standardised log price as one more input. Products on sale for under a month are left out.
- Competitors: the 5 nearest products of every product in the space ``[z, zp]`` (see competitors.py).
- Honest evaluation: a holdout of 25 % of the products — the newest launches (first sale) when the
  data has sales dates, otherwise a seeded random quarter — scored against the brand-mean and the
  overall-mean baselines; the price band is the 10 %–90 % range of out-of-fold residuals.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd
from sklearn.decomposition import PCA
from sklearn.model_selection import KFold

from marketsql.errors import ModelError

from .competitors import nearest
from .model import LinearModel, PositioningModel
from .price import choose, compare, design, fitter, r2, readings
from .ridge import Ridge, ridge_cv

Fit = Callable[[np.ndarray, np.ndarray], Ridge]
MIN_SALES_PRODUCTS = 20
BAND = (0.10, 0.90)
COMPETITORS = 5  # nearest competitors kept per product (the view product_competitors)


@dataclass
class TrainingResult:
    """The fitted model, its holdout metrics, the driver table and what was decided on the way."""

    model: PositioningModel
    metrics: dict[str, Any]
    drivers: pd.DataFrame
    notes: list[str] = field(default_factory=list)
    all_brands: list[str] = field(default_factory=list)
    seconds: float = 0.0  # fitting and evaluation, without reading or registering


def train_positioning(products: pd.DataFrame, attributes: pd.DataFrame, seed: int = 0, holdout: float = 0.25,
                      min_brand_products: int = 5) -> TrainingResult:
    """Fit on ``products`` (rows of position_products, one category) and ``attributes`` (long form).

    One BLAS and OpenMP thread: the products of tall, thin matrices here (100 k × 60) gain little from OpenBLAS's
    threads, and on a busy machine those threads made ``XᵀX`` 300× slower (4.4 s instead of 0.015 s at load 9);
    gradient boosting's OpenMP threads went from 9 s to 85 s the same way. (The competitor search runs on both
    cores with threads of its own.)"""
    from threadpoolctl import threadpool_limits

    with threadpool_limits(limits=1):
        return _train(products, attributes, seed, holdout, min_brand_products)


def _train(products: pd.DataFrame, attributes: pd.DataFrame, seed: int, holdout: float,
           min_brand_products: int) -> TrainingResult:
    started = time.perf_counter()
    notes: list[str] = []
    products = products.sort_values("product_id").reset_index(drop=True)
    wide = attributes.pivot_table(index="product_id", columns="attribute", values="value", aggfunc="first")
    wide = wide.reindex(index=products["product_id"], columns=sorted(wide.columns)).astype(float)
    varying = [c for c in wide.columns if wide[c].nunique() > 1]
    for dropped in sorted(set(wide.columns) - set(varying)):
        notes.append(f"attribute {dropped} dropped: the same value (or none) for every product")
    if len(varying) < 2:
        raise ModelError(f"only {len(varying)} varying attribute(s) in stg_product_attributes — need at least 2")
    raw = wide[varying].to_numpy()
    medians = np.nanmedian(raw, axis=0)
    log_transform = np.array([_skewed(raw[:, j]) for j in range(raw.shape[1])])
    filled = np.where(np.isnan(raw), medians, raw)
    t = np.where(log_transform, np.log1p(np.maximum(filled, 0.0)), filled)
    center, scale = t.mean(axis=0), t.std(axis=0)
    z = (t - center) / scale
    pca = PCA(n_components=2, svd_solver="full", random_state=seed).fit(z)

    log_price = np.log(products["price"].to_numpy(float))
    price_center, price_scale = float(log_price.mean()), float(log_price.std())
    zp = (log_price - price_center) / price_scale
    brand_keys = products["brand_key"].fillna("").astype(str).to_numpy()
    counts = {str(b): int(n) for b, n in pd.Series(brand_keys).value_counts().items()}
    brands = sorted(b for b, n in counts.items() if n >= min_brand_products and b)
    dummies = np.column_stack([brand_keys == b for b in brands]).astype(float) if brands else np.zeros((len(z), 0))
    test = _holdout(products, holdout, seed)
    if products["first_sold_ts"].notna().mean() >= 0.5:
        notes.append(f"holdout: the {int(test.sum())} newest products by first sale")
    else:
        notes.append(f"holdout: a random {int(test.sum())} of {len(test)} products (no sales dates; seed {seed})")

    reading = readings(filled, log_transform, center, scale)
    started_candidates = time.perf_counter()
    candidates, _ = compare(filled, dummies, products["price"].to_numpy(float), test, seed, reading)
    candidate_seconds = time.perf_counter() - started_candidates
    best, served, why = choose(candidates)
    for skipped in (c for c in candidates if "skipped" in c):
        notes.append(f"price candidate {skipped['candidate']} left out: {skipped['skipped']}")
    notes.append(f"price model: {why}; the SQL macros, position_map and Project.position() all use {served}")
    started_price = time.perf_counter()
    x_price = design(served, reading[served], filled, dummies)
    attribute_columns = 0 if served == "brand_mean" else len(varying)
    price_model, price_metrics, quantiles = _fit(x_price, log_price, brand_keys, test, seed, attribute_columns,
                                                 brands, fit=fitter(served))
    if served == "brand_mean":
        price_model.coef = np.zeros(len(varying))
    price_metrics["band_coverage_holdout"] = _coverage(x_price, log_price, test, seed, fitter(served))
    price_metrics["served"] = served
    metrics: dict[str, Any] = {"price": price_metrics, "products": len(products), "attributes": varying,
                               "explained_variance": [float(v) for v in pca.explained_variance_ratio_],
                               "holdout_rule": notes[-1], "price_r2": price_metrics["model"]["r2"],
                               "price_r2_brand_mean": price_metrics["brand_mean"]["r2"],
                               "price_candidates": candidates, "price_best": best, "price_served": served,
                               "price_served_sql": served, "price_served_python": served, "price_choice": why,
                               "seconds": {"candidates": candidate_seconds}}
    metrics["seconds"]["price"] = time.perf_counter() - started_price
    sales_model = None
    started_sales = time.perf_counter()
    if products["units_per_month"].notna().any():
        usable = (products["months_on_sale"].fillna(0) >= 1).to_numpy() & products["units_per_month"].notna().to_numpy()
        if usable.sum() >= MIN_SALES_PRODUCTS:
            x_sales = np.column_stack([z, zp, dummies])[usable]
            y_sales = np.log1p(products["units_per_month"].to_numpy(float)[usable])
            sales_model, sales_metrics, _ = _fit(x_sales, y_sales, brand_keys[usable], test[usable], seed,
                                                 len(varying), brands, with_price=True)
            metrics["sales"] = sales_metrics
            metrics["sales_r2"] = sales_metrics["model"]["r2"]
        else:
            notes.append(f"sales model skipped: {int(usable.sum())} products on sale for a month or more"
                         f" (need {MIN_SALES_PRODUCTS})")
    else:
        notes.append("sales model skipped: the project has no sales (order lines) — only price drivers are modelled")
    metrics["seconds"]["sales"] = time.perf_counter() - started_sales
    model = PositioningModel(
        category=str(products["category"].iloc[0]), attributes=list(varying), log_transform=log_transform,
        medians=medians, center=center, scale=scale, components=pca.components_, pca_mean=pca.mean_,
        explained=pca.explained_variance_ratio_, price_center=price_center, price_scale=price_scale,
        brands=brands, price=price_model, price_quantiles=quantiles,
        tier_cuts=_tier_cuts(products["price"].to_numpy(float)), sales=sales_model,
        reference_ids=[str(i) for i in products["product_id"]], reference_space=np.column_stack([z, zp]),
        reference_names=[str(n) for n in products["product_name"].fillna("")],
        reference_brands=[str(b) for b in products["brand"].fillna("")],
        reference_prices=products["price"].to_numpy(float), price_log_transform=reading[served].log_transform,
        price_input_center=reading[served].center, price_input_scale=reading[served].scale,
    )
    searched = time.perf_counter()
    model.competitors, model.competitor_distances = nearest(model.reference_space, model.reference_ids, COMPETITORS)
    metrics["competitor_seconds"] = metrics["seconds"]["competitors"] = time.perf_counter() - searched
    return TrainingResult(model, metrics, _drivers(model), notes, sorted(b for b in counts if b),
                          time.perf_counter() - started)


def _skewed(column: np.ndarray) -> bool:
    values = column[~np.isnan(column)]
    if values.size < 3 or values.min() < 0 or set(np.unique(values)) <= {0.0, 1.0}:
        return False
    skew: Any = pd.Series(values).skew()
    return float(skew) > 1.0


def _holdout(products: pd.DataFrame, share: float, seed: int) -> np.ndarray:
    n = len(products)
    size = max(1, int(round(n * share)))
    if products["first_sold_ts"].notna().mean() >= 0.5:
        order = products["first_sold_ts"].rank(method="first", na_option="top").to_numpy()
        return np.asarray(order > n - size)
    test = np.zeros(n, dtype=bool)
    test[np.random.default_rng(seed).permutation(n)[:size]] = True
    return test


def _fit(x: np.ndarray, y: np.ndarray, brand_keys: np.ndarray, test: np.ndarray, seed: int, n_attr: int,
         brands: list[str], with_price: bool = False,
         fit: Fit = ridge_cv) -> tuple[LinearModel, dict[str, Any], np.ndarray]:
    """Holdout metrics against the baselines, out-of-fold residual quantiles, then the fit on all rows."""
    held = fit(x[~test], y[~test])
    predicted = held.predict(x[test])
    brand_mean = pd.Series(y[~test]).groupby(brand_keys[~test]).mean()
    baseline = pd.Series(brand_keys[test]).map(brand_mean).fillna(y[~test].mean()).to_numpy()
    overall = np.full(test.sum(), y[~test].mean())
    metrics: dict[str, Any] = {"n_train": int((~test).sum()), "n_test": int(test.sum()),
                               "alpha": held.alpha}
    for name, guess in (("model", predicted), ("brand_mean", baseline), ("overall_mean", overall)):
        metrics[name] = {"r2": r2(y[test], guess), "median_abs_pct_error": _pct_error(y[test], guess, with_price)}
    residuals = _oof_residuals(x, y, seed, fit)
    quantiles = np.quantile(residuals, BAND)
    final = fit(x, y)
    coef = final.coef
    attr_coef = coef[:n_attr]
    price_coef = float(coef[n_attr]) if with_price else 0.0
    brand_coef = coef[n_attr + int(with_price):]
    # brand effects relative to the product-weighted average brand, so an unknown brand is "average"
    share = np.array([(brand_keys == b).mean() for b in brands]) if brands else np.zeros(0)
    shift = float(share @ brand_coef)
    linear = LinearModel(final.intercept + shift, attr_coef, brand_coef - shift, price_coef)
    metrics["alpha_final"] = final.alpha
    metrics["beats_brand_mean"] = metrics["model"]["r2"] > metrics["brand_mean"]["r2"]
    return linear, metrics, quantiles


def _coverage(x: np.ndarray, y: np.ndarray, test: np.ndarray, seed: int, fit: Fit) -> float:
    """Share of holdout products whose price falls in the band built from the training rows only."""
    low, high = np.quantile(_oof_residuals(x[~test], y[~test], seed, fit), BAND)
    predicted = fit(x[~test], y[~test]).predict(x[test])
    residual = y[test] - predicted
    return float(((residual >= low) & (residual <= high)).mean())


def _oof_residuals(x: np.ndarray, y: np.ndarray, seed: int, fit: Fit) -> np.ndarray:
    residuals = np.empty(len(y))
    for fit_rows, out_rows in KFold(n_splits=5, shuffle=True, random_state=seed).split(x):
        residuals[out_rows] = y[out_rows] - fit(x[fit_rows], y[fit_rows]).predict(x[out_rows])
    return residuals


def _pct_error(y: np.ndarray, guess: np.ndarray, log1p: bool) -> float:
    actual, predicted = (np.expm1(y), np.expm1(guess)) if log1p else (np.exp(y), np.exp(guess))
    return float(np.median(np.abs(predicted / np.maximum(actual, 1e-9) - 1.0)))


def _tier_cuts(prices: np.ndarray) -> np.ndarray:
    """Highest price of each of the first three tiers, by the rule of the view price_tiers (cume_dist)."""
    cume = pd.Series(prices).rank(method="max").to_numpy() / len(prices)
    cuts: list[float] = []
    for bound in (0.25, 0.50, 0.75):
        inside = prices[cume <= bound]
        cuts.append(float(inside.max()) if inside.size else (cuts[-1] if cuts else float(prices.min()) - 1.0))
    return np.array(cuts, dtype=np.float64)


def _drivers(model: PositioningModel) -> pd.DataFrame:
    frame = pd.DataFrame(model.drivers())
    frame["importance_rank"] = (frame.assign(size=frame["coefficient"].abs()).groupby("model")["size"]
                                .rank(method="first", ascending=False).astype(int))
    return frame
