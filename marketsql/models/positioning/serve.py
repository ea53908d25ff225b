"""Positioning in the database: train and register, load the active model, compile it to SQL."""

from __future__ import annotations

import hashlib
import re
from typing import Any

import duckdb

from marketsql.core.udfs import Udf
from marketsql.errors import ModelError
from marketsql.models.registry import ModelRecord, Registry, json_safe

from .model import PositioningModel
from .sql import RESERVED, macro_statements, standin_statements, table_statements

NAME = "positioning"
ATTRIBUTE_NAME = re.compile(r"^[a-z][a-z0-9_]{0,62}$")


def train(con: duckdb.DuckDBPyConnection, seed: int = 0, category: str | None = None,
          holdout: float = 0.25, min_brand_products: int = 5,
          registry: Registry | None = None) -> tuple[Any, ModelRecord]:
    """Fit the positioning of one category of ``position_products``; register it (into ``registry``, default:
    ``con``'s) as the active version."""
    if not 0.05 <= holdout <= 0.5:
        raise ModelError(f"holdout {holdout}: give a share between 0.05 and 0.5")
    products, attributes = _training_data(con, category)
    from .train import train_positioning  # scikit-learn is imported only here, once the data can be used
    result = train_positioning(products, attributes, seed=seed, holdout=holdout,
                               min_brand_products=min_brand_products)
    arrays, meta = result.model.to_arrays()
    params = {"model": meta, "seed": seed, "holdout": holdout, "min_brand_products": min_brand_products,
              "all_brands": result.all_brands, "notes": result.notes}
    record = (registry or Registry(con)).register(NAME, "pca+ridge", params, result.model.attributes,
                                                  json_safe(result.metrics), arrays, _fingerprint(products, attributes))
    return result, record


def load(con: duckdb.DuckDBPyConnection, record: ModelRecord | None = None) -> PositioningModel:
    """The active (or the given) version, verified against its checksum."""
    registry = Registry(con)
    record = record or registry.active(NAME)
    return PositioningModel.from_arrays(registry.arrays(record), record.params["model"])


def compile_sql(con: duckdb.DuckDBPyConnection, record: ModelRecord) -> None:
    """Create the positioning macros and ``meta.position_*`` tables of ``record``."""
    model = load(con, record)
    import pandas as pd

    for statement, rows in table_statements(model, record.version, record.metrics):
        con.execute(statement)
        table = statement.split()[4]
        if rows:  # one INSERT from a frame: executemany would insert the ~15 k reference rows one by one
            frame = pd.DataFrame(rows)  # noqa: F841 (read by DuckDB below)
            con.execute(f"INSERT INTO {table} SELECT * FROM frame")
    for statement in macro_statements(model, record.version):
        con.execute(statement)


def compile_untrained(con: duckdb.DuckDBPyConnection) -> None:
    """Stand-in macros that fail with what to run."""
    for statement in standin_statements():
        con.execute(statement)


def udfs(con: duckdb.DuckDBPyConnection, record: ModelRecord) -> list[Udf]:
    """None: every positioning function is a SQL macro, usable from any client."""
    return []


def _training_data(con: duckdb.DuckDBPyConnection, category: str | None) -> tuple[Any, Any]:
    try:
        products = con.execute("SELECT * FROM position_products").df()
    except duckdb.CatalogException as exc:
        raise ModelError("no position_products view in this database — run `marketsql build` first") from exc
    categories = sorted(products["category"].dropna().unique())
    if category is None:
        if len(categories) != 1:
            raise ModelError(f"position_products holds {len(categories)} categories ({', '.join(categories) or 'none'})"
                             " — load products with attributes in stg_product_attributes, or choose one with"
                             " category=")
        category = categories[0]
    elif category not in categories:
        raise ModelError(f"category {category!r} has no positioned products — known: {', '.join(categories)}")
    products = products[products["category"] == category]
    if len(products) < 20:
        raise ModelError(f"positioning needs at least 20 products with attributes in {category!r}; this data has"
                         f" {len(products)} — load more products and build")
    attributes = con.execute(
        "SELECT product_id, attribute, value FROM stg_product_attributes WHERE product_id IN"
        " (SELECT product_id FROM position_products WHERE category = ?)", [category]).df()
    values = attributes.dropna(subset=["value"]).groupby("attribute")["value"].nunique()
    varying = sorted(values[values > 1].index)
    if len(varying) < 2:
        raise ModelError(
            f"positioning needs at least 2 attributes that differ between the products of {category!r};"
            f" stg_product_attributes has {len(varying)} ({', '.join(map(str, varying)) or 'none'}) — load products"
            " with their attributes (screen size, storage …) filled in, and build"
        )
    for name in sorted(attributes["attribute"].unique()):
        if not ATTRIBUTE_NAME.match(str(name)) or name in RESERVED:
            raise ModelError(f"stg_product_attributes: attribute name {name!r} cannot be a macro argument —"
                             " use lower-case letters, digits and _ (not brand, price, k or category)")
    return products, attributes


def _fingerprint(products: Any, attributes: Any) -> str:
    import pandas as pd

    digest = hashlib.sha256()
    for frame in (products[["product_id", "price"]], attributes.sort_values(["product_id", "attribute"])):
        digest.update(pd.util.hash_pandas_object(frame, index=False).to_numpy().tobytes())
    return digest.hexdigest()

