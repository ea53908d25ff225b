"""Positioning in the database: train and register, load the active model, compile it to SQL."""

from __future__ import annotations

import re
from typing import Any

import duckdb
import numpy as np

from marketsql.core.sqltext import bare_name, literal
from marketsql.core.udfs import Udf
from marketsql.errors import ModelError
from marketsql.models.kind import ModelKind, TrainContext, fingerprint
from marketsql.models.registry import ModelRecord, Registry

from .model import PositioningModel
from .sql import RESERVED, macro_statements, standin_statements, table_statements

NAME = "positioning"
ATTRIBUTE_NAME = re.compile(r"^[a-z][a-z0-9_]{0,62}$")


def load(con: duckdb.DuckDBPyConnection, record: ModelRecord | None = None) -> PositioningModel:
    """The active (or the given) version, verified against its checksum."""
    registry = Registry(con)
    record = record or registry.active(NAME)
    return PositioningModel.from_arrays(registry.arrays(record), record.params["model"])


def _training_data(context: TrainContext, category: str | None) -> tuple[Any, Any]:
    products = context.read("position_products")
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
    attributes = context.con.execute(
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


class Positioning(ModelKind):
    """Where a product sits against the catalogue: PCA map of attributes and a price model against brand means."""

    name = NAME
    reads = ("position_products", "stg_product_attributes")
    options = ("seed",)
    # DuckDB keeps every table the rebuild writes in its cache up to its limit: at 100 k products the rebuild after
    # training then peaked at 1.0 GB on top of the training's ~450 MB; with 400MB, 0.86 GB (bench/position.py)
    rebuild_memory_limit = "400MB"

    def sql_and_python(self, con: duckdb.DuckDBPyConnection, record: ModelRecord) -> tuple[np.ndarray, np.ndarray]:
        """``position_x``, ``position_y`` and ``expected_price`` called on every positioned product's attributes,
        and the numpy model on the same values, stacked."""
        model = load(con, record)
        names = [bare_name(a, "positioning attribute") for a in model.attributes]
        pivot = ", ".join(f"max(CASE WHEN dimension = {literal(a)} THEN value END) AS {a}" for a in names)
        named = ", ".join(f"{a} := v.{a}" for a in names)
        frame = con.execute(
            f"WITH v AS (SELECT product_id, {pivot} FROM position_space GROUP BY product_id)"
            f" SELECT v.*, m.brand, position_x({named}) AS sql_x, position_y({named}) AS sql_y,"
            f" expected_price({named}, brand := m.brand) AS sql_price"
            " FROM v JOIN position_map AS m USING (product_id) ORDER BY product_id").df()
        values = frame[names].to_numpy(np.float64)
        z = model.transform(values)
        price = np.exp(model.expected_log_price(values, model.brand_index(list(frame["brand"]))))
        xy = model.xy(z)
        python = np.concatenate([xy[:, 0], xy[:, 1], price])
        return frame[["sql_x", "sql_y", "sql_price"]].to_numpy(np.float64).T.ravel(), python

    def training_lines(self, result: Any, record: ModelRecord) -> list[str]:
        """The map, the price model beside the brand-mean baseline, and what was registered."""
        from .report import training_lines

        return training_lines(result, record)

    def train(self, context: TrainContext, seed: int = 0, category: str | None = None,
              holdout: float = 0.25, min_brand_products: int = 5) -> tuple[Any, ModelRecord]:
        """Fit the positioning of one category of ``position_products``; register it as the active version."""
        if not 0.05 <= holdout <= 0.5:
            raise ModelError(f"holdout {holdout}: give a share between 0.05 and 0.5")
        products, attributes = _training_data(context, category)
        from .train import train_positioning  # scikit-learn is imported only here, once the data can be used
        result = train_positioning(products, attributes, seed=seed, holdout=holdout,
                                   min_brand_products=min_brand_products)
        arrays, meta = result.model.to_arrays()
        params = {"model": meta, "seed": seed, "holdout": holdout, "min_brand_products": min_brand_products,
                  "all_brands": result.all_brands, "notes": result.notes}
        served = result.metrics["price_served"]
        record = context.register(self, f"pca+{served}", params, result.model.attributes, result.metrics, arrays,
                                  fingerprint(products[["product_id", "price"]],
                                              attributes.sort_values(["product_id", "attribute"])))
        return result, record

    def compile(self, con: duckdb.DuckDBPyConnection, record: ModelRecord) -> None:
        """Create the positioning macros and ``meta.position_*`` tables of ``record``."""
        model = load(con, record)
        import pandas as pd

        for statement, rows, select in table_statements(model, record.version, record.metrics):
            con.execute(statement)
            table = statement.split()[4]
            if len(rows):  # one INSERT from a frame: executemany would insert the reference rows one by one
                frame = rows if isinstance(rows, pd.DataFrame) else pd.DataFrame(rows)  # noqa: F841 (read below)
                con.execute(f"INSERT INTO {table} {select}")
        for statement in macro_statements(model, record.version):
            con.execute(statement)

    def compile_untrained(self, con: duckdb.DuckDBPyConnection) -> None:
        """Stand-in macros that fail with what to run."""
        for statement in standin_statements():
            con.execute(statement)

    def udfs(self, con: duckdb.DuckDBPyConnection, record: ModelRecord) -> list[Udf]:
        """None: every positioning function is a SQL macro, usable from any client."""
        return []
