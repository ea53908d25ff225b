"""Compiling a positioning model to SQL: DuckDB macros and small ``meta`` tables in the database.

Macros (every attribute argument defaults to the training median; ``brand`` and ``price`` default to
NULL; a NULL attribute gives NULL; an unknown or NULL brand gets the average brand's price):

- ``position_x(...)``, ``position_y(...)``: coordinates on the perceptual map;
- ``expected_price(..., brand)``, ``expected_price_low(...)``, ``expected_price_high(...)``: the price model
  and its 10 %–90 % band;
- ``expected_units_per_month(..., brand, price)``: the sales model (price NULL = the expected price);
- ``price_tier(price)``: budget / mid-range / upper mid-range / premium;
- ``nearest_products(..., brand, price, k := 5)``: a table macro, the k nearest training products
  (``product_id, product_name, brand, price, price_tier, distance``).

Tables (read by the views in ``sql/positioning/``, portable SQL): ``meta.position_attributes``,
``meta.position_parameters``, ``meta.position_brands``, ``meta.position_drivers``,
``meta.position_quality``, ``meta.position_reference``, ``meta.position_reference_products`` and
``meta.position_competitors`` (the 5 nearest of every product, found when training).
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

from marketsql.core.sqltext import bare_name, literal, number, quote_ident
from marketsql.errors import UnsafeSqlError
from marketsql.models.registry import untrained

from .model import TIERS, LinearModel, PositioningModel

# the demo's attributes: stand-in macros accept them, so a demo-shaped call says what to run
STANDIN_ATTRIBUTES = ("screen_size", "storage_gb", "ram_gb", "camera_mp", "battery_mah", "has_5g")
RESERVED = ("brand", "price", "k", "category")  # the macros' own parameters (and the map's category)
MACROS = ("position_x", "position_y", "expected_price", "expected_price_low", "expected_price_high",
          "expected_units_per_month")


def macro_statements(model: PositioningModel, version: int) -> list[str]:
    """SQL that (re)creates every positioning macro for ``model``."""
    params = ", ".join(f"{parameter(a)} := {number(m)}" for a, m in zip(model.attributes, model.medians))
    null = ("(CASE WHEN " + " OR ".join(f"{quote_ident(a)} IS NULL" for a in model.attributes)
            + " THEN NULL ELSE 0 END)")
    t = _terms(model.attributes, model.log_transform)
    xy = [_in_t(model, comp, -float(comp @ model.pca_mean), t) for comp in model.components]
    price_log, price_center, price_scale = model.price_reading()
    log_price = (_in_t(model, model.price.coef, model.price.intercept, _terms(model.attributes, price_log),
                       price_center, price_scale) + " + " + _brand(model, model.price))
    low, high = (float(q) for q in model.price_quantiles)
    args = ", ".join(f"{parameter(a)} := {quote_ident(a)}" for a in model.attributes)
    statements = [
        f"CREATE OR REPLACE MACRO position_x({params}) AS ({xy[0]}) + {null}",
        f"CREATE OR REPLACE MACRO position_y({params}) AS ({xy[1]}) + {null}",
        f"CREATE OR REPLACE MACRO expected_price({params}, brand := NULL) AS exp({log_price}) + {null}",
        f"CREATE OR REPLACE MACRO expected_price_low({params}, brand := NULL)"
        f" AS exp({log_price} + {number(low)}) + {null}",
        f"CREATE OR REPLACE MACRO expected_price_high({params}, brand := NULL)"
        f" AS exp({log_price} + {number(high)}) + {null}",
        "CREATE OR REPLACE MACRO price_tier(price) AS CASE "
        + " ".join(f"WHEN price <= {number(c)} THEN {literal(name)}" for c, name in zip(model.tier_cuts, TIERS))
        + f" WHEN price > 0 THEN {literal(TIERS[-1])} END",
    ]
    point_price = f"coalesce(price, expected_price({args}, brand := brand))"
    zp = f"((ln({point_price}) - {number(model.price_center)}) / {number(model.price_scale)})"
    if model.sales is not None:
        sales = (_in_t(model, model.sales.coef, model.sales.intercept, t) + " + " + _brand(model, model.sales)
                 + f" + {number(model.sales.price_coef)} * {zp}")
        statements.append(f"CREATE OR REPLACE MACRO expected_units_per_month({params}, brand := NULL, price := NULL)"
                          f" AS greatest(exp({sales}) - 1, 0) + {null}")
    else:
        message = (f"positioning model v{version} has no sales model: the project has no sales — "
                   "expected_units_per_month needs order lines")
        statements.append(f"CREATE OR REPLACE MACRO expected_units_per_month({params}, brand := NULL, price := NULL)"
                          f" AS error({literal(message)})")
    point = ", ".join(f"({literal(a)}, ({ti} - {number(c)}) / {number(s)})"
                      for a, ti, c, s in zip(model.attributes, t, model.center, model.scale))
    statements.append(
        f"CREATE OR REPLACE MACRO nearest_products({params}, brand := NULL, price := NULL, k := 5) AS TABLE"
        f" WITH point(dimension, z) AS (VALUES {point}, ('price', {zp})),"
        " distances AS (SELECT r.product_id, sqrt(sum((r.z - p.z) * (r.z - p.z))) AS distance"
        " FROM meta.position_reference AS r JOIN point AS p ON p.dimension = r.dimension GROUP BY r.product_id)"
        " SELECT d.product_id, r.product_name, r.brand, r.price, r.price_tier, d.distance FROM distances AS d"
        " JOIN meta.position_reference_products AS r ON r.product_id = d.product_id"
        " ORDER BY d.distance, d.product_id LIMIT k"
    )
    return statements


def table_statements(model: PositioningModel, version: int,
                     metrics: dict[str, Any]) -> list[tuple[str, list | pd.DataFrame, str]]:
    """(statement, rows, select) triples that (re)create the ``meta.position_*`` tables: the table is filled with
    ``INSERT INTO table <select>``, where ``select`` reads the rows as the frame ``frame``."""
    sales = model.sales
    price_log, price_center, price_scale = model.price_reading()
    attributes = [
        (a, i, bool(log), float(m), float(c), float(s), float(model.components[0, i]), float(model.components[1, i]),
         float(model.price.coef[i]), float(sales.coef[i]) if sales else None, bool(price_log[i]),
         float(price_center[i]), float(price_scale[i]))
        for i, (a, log, m, c, s) in enumerate(zip(model.attributes, model.log_transform, model.medians,
                                                  model.center, model.scale))
    ]
    offsets = model.components @ model.pca_mean
    parameters = [(version, model.category, model.price_center, model.price_scale, float(offsets[0]),
                   float(offsets[1]), float(model.explained[0]), float(model.explained[1]), model.price.intercept,
                   float(model.price_quantiles[0]), float(model.price_quantiles[1]),
                   sales.intercept if sales else None, sales.price_coef if sales else None,
                   *(float(c) for c in model.tier_cuts))]
    brands = [(b, float(model.price.brand_coef[i]), float(sales.brand_coef[i]) if sales else None)
              for i, b in enumerate(model.brands)]
    drivers = [(r["model"], r["term_type"], r["term"], r["coefficient"], r["effect_pct"]) for r in model.drivers()]
    quality = []
    for target in ("price", "sales"):
        block = metrics.get(target)
        if block:
            for predictor in ("model", "brand_mean", "overall_mean"):
                quality.append((target, predictor, block[predictor]["r2"], block[predictor]["median_abs_pct_error"],
                                block["n_train"], block["n_test"]))
    dims, ids = model.dimensions(), np.asarray(model.reference_ids, dtype=object)
    # one row per product (100 k × 16 at 100 k products), unnested by DuckDB into the long form (1.6 M rows):
    # a long frame of repeated Python strings held ~150 MB more while compiling
    reference = pd.DataFrame(model.reference_space, columns=[f"z{i}" for i in range(len(dims))])
    reference.insert(0, "product_id", ids)
    unnested = (f"SELECT product_id, unnest([{', '.join(literal(d) for d in dims)}]) AS dimension,"
                f" unnest([{', '.join(f'z{i}' for i in range(len(dims)))}]) AS z FROM frame")
    prices = np.asarray(model.reference_prices, dtype=np.float64)
    tiers = np.asarray(TIERS, dtype=object)[np.searchsorted(model.tier_cuts, prices, side="left")]
    products = pd.DataFrame({"product_id": ids, "product_name": model.reference_names,
                             "brand": model.reference_brands, "price": prices, "price_tier": tiers})
    every = "SELECT * FROM frame"
    return [
        ("CREATE OR REPLACE TABLE meta.position_attributes (attribute VARCHAR, ordinal INTEGER,"
         " log_transform BOOLEAN, median DOUBLE, center DOUBLE, scale DOUBLE, loading_x DOUBLE, loading_y DOUBLE,"
         " price_coef DOUBLE, sales_coef DOUBLE, price_log_transform BOOLEAN, price_center DOUBLE,"
         " price_scale DOUBLE)", attributes, every),
        ("CREATE OR REPLACE TABLE meta.position_parameters (model_version INTEGER, category VARCHAR,"
         " price_center DOUBLE, price_scale DOUBLE, offset_x DOUBLE, offset_y DOUBLE, explained_x DOUBLE,"
         " explained_y DOUBLE, price_intercept DOUBLE, price_residual_low DOUBLE, price_residual_high DOUBLE,"
         " sales_intercept DOUBLE, sales_price_coef DOUBLE, tier_cut_1 DOUBLE, tier_cut_2 DOUBLE,"
         " tier_cut_3 DOUBLE)", parameters, every),
        ("CREATE OR REPLACE TABLE meta.position_brands (brand VARCHAR, price_effect DOUBLE, sales_effect DOUBLE)",
         brands, every),
        ("CREATE OR REPLACE TABLE meta.position_drivers (model VARCHAR, term_type VARCHAR, term VARCHAR,"
         " coefficient DOUBLE, effect_pct DOUBLE)", drivers, every),
        ("CREATE OR REPLACE TABLE meta.position_quality (model VARCHAR, predictor VARCHAR, r2_holdout DOUBLE,"
         " median_abs_pct_error DOUBLE, n_train INTEGER, n_test INTEGER)", quality, every),
        ("CREATE OR REPLACE TABLE meta.position_reference (product_id VARCHAR, dimension VARCHAR, z DOUBLE)",
         reference, unnested),
        ("CREATE OR REPLACE TABLE meta.position_reference_products (product_id VARCHAR, product_name VARCHAR,"
         " brand VARCHAR, price DOUBLE, price_tier VARCHAR)", products, every),
        ("CREATE OR REPLACE TABLE meta.position_competitors (product_id VARCHAR, competitor_rank INTEGER,"
         " competitor_id VARCHAR, distance DOUBLE)", competitor_rows(model), every),
    ]


def competitor_rows(model: PositioningModel) -> pd.DataFrame:
    """The stored nearest competitors as rows (product, rank 1…, competitor, distance); computed here for a
    version trained before they were stored."""
    if model.competitors is None or model.competitor_distances is None:
        from .competitors import nearest  # scikit-learn: only for such an old version

        model.competitors, model.competitor_distances = nearest(model.reference_space, model.reference_ids)
    ids = np.asarray(model.reference_ids, dtype=object)
    rows, k = model.competitors.shape
    found = model.competitors.reshape(-1) >= 0
    return pd.DataFrame({"product_id": np.repeat(ids, k)[found],
                         "competitor_rank": np.tile(np.arange(1, k + 1, dtype=np.int32), rows)[found],
                         "competitor_id": ids[model.competitors.reshape(-1)[found]],
                         "distance": model.competitor_distances.reshape(-1)[found]})


def standin_statements() -> list[str]:
    """Macros that fail with what to run, before any positioning model is trained."""
    message = untrained("positioning")
    params = ", ".join(f"{a} := NULL" for a in STANDIN_ATTRIBUTES)
    fail = f"error({literal(message)})"
    statements = [f"CREATE OR REPLACE MACRO {name}({params}, brand := NULL, price := NULL) AS {fail}"
                  for name in MACROS]
    statements.append(f"CREATE OR REPLACE MACRO price_tier(price) AS {fail}")
    statements.append(f"CREATE OR REPLACE MACRO nearest_products({params}, brand := NULL, price := NULL, k := 5)"
                      f" AS TABLE SELECT {fail} AS product_id")
    return statements


def _terms(attributes: list[str], log_transform: np.ndarray) -> list[str]:
    """Each attribute argument as the model reads it: ``ln(1 + greatest(a, 0))`` or ``a``, as DOUBLE."""
    return [f"ln(1 + greatest(CAST({quote_ident(a)} AS DOUBLE), 0))" if log else f"CAST({quote_ident(a)} AS DOUBLE)"
            for a, log in zip(attributes, log_transform)]


def _in_t(model: PositioningModel, weights: np.ndarray, constant: float, t: list[str],
          center: np.ndarray | None = None, scale: np.ndarray | None = None) -> str:
    """``constant + sum(weights * z)`` with ``z = (t - center) / scale`` (the model's own by default), written
    linear in t."""
    center = model.center if center is None else center
    scale = model.scale if scale is None else scale
    b = weights / scale
    a = constant - float(np.sum(weights * center / scale))
    return number(a) + "".join(f" + {number(w)} * {term}" for w, term in zip(b, t))


def _brand(model: PositioningModel, linear: LinearModel) -> str:
    if not model.brands:
        return "0"
    cases = " ".join(f"WHEN {literal(b)} THEN {number(c)}" for b, c in zip(model.brands, linear.brand_coef))
    return f"(CASE lower(trim(brand)) {cases} ELSE 0 END)"


def parameter(attribute: str) -> str:
    """An attribute name as a macro parameter name: a plain lower-case name that is not one of the
    macros' own parameters; UnsafeSqlError otherwise."""
    if attribute in RESERVED:
        raise UnsafeSqlError(f"positioning attribute {attribute!r} clashes with a macro parameter"
                             f" ({', '.join(sorted(RESERVED))})")
    return bare_name(attribute, "positioning attribute name")
