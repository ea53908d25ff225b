"""Implicit feedback for the recommender: who bought what, how much and how recently.

The weight of a customer-product pair is ``log1p(quantity) * 0.5 ** (days_since_last / half_life)``:
more units count for more, with diminishing returns, and a purchase ``half_life`` days old counts half
as much as one made on the day. For the final fit the pairs come from the view
``customer_product_interactions``; for the holdout the same aggregation is made of
``stg_order_lines`` up to the cutoff, and the relevant items are what each customer seen before the
cutoff bought in ``[cutoff, analysis_date)`` that they had not bought before.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, timedelta
from typing import Any

import duckdb
import numpy as np
import pandas as pd
from scipy import sparse

from marketsql.errors import ModelError

HALF_LIFE_DAYS = 180.0
MIN_CUSTOMERS = 10  # customers with purchases before the cutoff, below which no recommender is compared
MIN_PRODUCTS = 2
MAX_LEVELS = 50  # text attributes with more distinct values than this are not one-hot encoded


@dataclass
class Interactions:
    """A customer x product matrix of interaction weights, with the catalogue and customer segments."""

    customers: list[str]
    products: list[str]
    matrix: sparse.csr_matrix  # float32 weights, customers x products
    segments: dict[str, int] = field(default_factory=dict)  # customer id -> segment id
    attributes: np.ndarray | None = None  # (n_products, n_attributes) product features, standardised

    @property
    def shape(self) -> tuple[int, int]:
        return len(self.customers), len(self.products)


def weights(quantity: np.ndarray, days_since_last: np.ndarray, half_life: float = HALF_LIFE_DAYS) -> np.ndarray:
    """Interaction weight of quantity and recency (see the module docstring)."""
    quantity = np.maximum(np.asarray(quantity, dtype=np.float64), 0.0)
    days = np.maximum(np.asarray(days_since_last, dtype=np.float64), 0.0)
    return (np.log1p(quantity) * 0.5 ** (days / half_life)).astype(np.float32)


def from_pairs(
    customer_ids: Any, product_ids: Any, values: np.ndarray, products: list[str] | None = None,
    segments: dict[str, int] | None = None, attributes: np.ndarray | None = None,
) -> Interactions:
    """Interactions from parallel arrays; ``products`` fixes the catalogue (bought products not in it are added)."""
    customer_ids = pd.Series(customer_ids, dtype="string").astype(str)
    product_ids = pd.Series(product_ids, dtype="string").astype(str)
    customers = sorted(customer_ids.unique())
    catalogue = list(products) if products is not None else []
    extra = sorted(set(product_ids.unique()) - set(catalogue))
    catalogue += extra
    if attributes is not None and extra:
        attributes = np.vstack([attributes, np.zeros((len(extra), attributes.shape[1]), dtype=np.float32)])
    rows = pd.Index(customers).get_indexer(pd.Index(customer_ids))
    cols = pd.Index(catalogue).get_indexer(pd.Index(product_ids))
    matrix = sparse.csr_matrix(
        (np.asarray(values, dtype=np.float32), (rows, cols)), shape=(len(customers), len(catalogue)), dtype=np.float32
    )
    matrix.sum_duplicates()
    return Interactions(customers, catalogue, matrix, dict(segments or {}), attributes)


def load_training(con: duckdb.DuckDBPyConnection, cutoff: date | None = None, half_life: float = HALF_LIFE_DAYS,
                  segments: dict[str, int] | None = None) -> Interactions:
    """Interactions before ``cutoff`` (the view ``customer_product_interactions`` when None), with
    ``segments`` (default: the current ``customer_segments``)."""
    if cutoff is None:
        query = ("SELECT CAST(customer_id AS VARCHAR) AS customer_id, CAST(product_id AS VARCHAR) AS product_id,"
                 " quantity, days_since_last FROM customer_product_interactions")
        args: list[Any] = []
    else:
        query = ("SELECT CAST(customer_id AS VARCHAR) AS customer_id, CAST(product_id AS VARCHAR) AS product_id,"
                 " sum(quantity) AS quantity, date_diff('day', CAST(max(order_ts) AS DATE), CAST(? AS DATE))"
                 " AS days_since_last FROM stg_order_lines WHERE order_ts < CAST(? AS DATE) GROUP BY ALL")
        args = [cutoff, cutoff]
    frame = _read(con, query, args, "customer_product_interactions")
    if frame.empty:
        where = "before " + str(cutoff) if cutoff else "in customer_product_interactions"
        raise ModelError(f"no purchases {where} — nothing to train a recommender on; load order lines and build")
    products, attributes = load_catalogue(con)
    return from_pairs(frame["customer_id"], frame["product_id"],
                      weights(frame["quantity"].to_numpy(), frame["days_since_last"].to_numpy(), half_life),
                      products, load_segments(con) if segments is None else segments, attributes)


def load_holdout(con: duckdb.DuckDBPyConnection, train: Interactions, cutoff: date) -> dict[int, np.ndarray]:
    """Per known customer row: the product columns bought in ``[cutoff, analysis_date)`` and not before."""
    frame = _read(
        con,
        "SELECT DISTINCT CAST(customer_id AS VARCHAR) AS customer_id, CAST(product_id AS VARCHAR) AS product_id"
        " FROM stg_order_lines WHERE order_ts >= CAST(? AS DATE)"
        " AND order_ts < (SELECT analysis_date FROM analysis_date)",
        [cutoff], "stg_order_lines",
    )
    return relevant_items(train, frame["customer_id"], frame["product_id"])


def relevant_items(train: Interactions, customer_ids: Any, product_ids: Any) -> dict[int, np.ndarray]:
    """Group held-out (customer, product) pairs by customer row, keeping known customers and products not
    already in their training history (those are excluded from recommendations)."""
    rows = pd.Index(train.customers).get_indexer(pd.Index(pd.Series(customer_ids).astype(str)))
    cols = pd.Index(train.products).get_indexer(pd.Index(pd.Series(product_ids).astype(str)))
    keep = rows >= 0
    rows, cols = rows[keep], cols[keep]
    out: dict[int, set[int]] = {}
    for row, col in zip(rows.tolist(), cols.tolist()):
        out.setdefault(row, set()).add(col)  # col -1: a product unknown at training, never recommendable
    relevant = {}
    for row, items in out.items():
        bought = set(train.matrix.indices[train.matrix.indptr[row]:train.matrix.indptr[row + 1]].tolist())
        new = np.array(sorted(items - bought), dtype=np.int64)
        if len(new):
            relevant[row] = new
    return relevant


def analysis_date(con: duckdb.DuckDBPyConnection) -> date:
    """The day features are computed as of (view ``analysis_date``)."""
    frame = _read(con, "SELECT analysis_date FROM analysis_date", [], "analysis_date")
    value: Any = frame.iloc[0, 0]
    if value is None or pd.isna(value):
        raise ModelError("analysis_date is empty: stg_order_lines has no purchases — load order lines with a"
                         " customer, a positive quantity and price, and build")
    return pd.Timestamp(value).date()


def check_enough(con: duckdb.DuckDBPyConnection, cutoff: date, holdout_days: int) -> None:
    """ModelError (before any model is fitted) when too few customers or products were bought before ``cutoff``."""
    frame = _read(con, "SELECT count(DISTINCT customer_id) FILTER (WHERE order_ts < CAST(? AS DATE)) AS customers,"
                       " count(DISTINCT product_id) FILTER (WHERE order_ts < CAST(? AS DATE)) AS products,"
                       " count(DISTINCT customer_id) AS all_customers, count(DISTINCT product_id) AS all_products"
                       " FROM stg_order_lines", [cutoff, cutoff], "stg_order_lines")
    customers, products, all_customers, all_products = (int(n) for n in frame.to_numpy()[0])
    if all_products < MIN_PRODUCTS:  # no holdout can help: there is nothing to choose between
        raise ModelError(f"recommendation chooses between products, and this data has {all_products} product(s)"
                         f" bought in all — load order lines for at least {MIN_PRODUCTS} products (the whole"
                         " catalogue's sales, not one product's) and build")
    if all_customers < MIN_CUSTOMERS:
        raise ModelError(f"recommendation needs purchases by at least {MIN_CUSTOMERS} customers; this data has"
                         f" {all_customers} in all — load more order lines (with customer ids) and build")
    when = f"before the cutoff {cutoff} (--holdout-days {holdout_days} before analysis_date)"
    fix = "load more order lines (or lower --holdout-days) and build"
    if customers < MIN_CUSTOMERS:
        raise ModelError(f"recommendation needs at least {MIN_CUSTOMERS} customers with purchases {when};"
                         f" this data has {customers} — {fix}")
    if products < MIN_PRODUCTS:
        raise ModelError(f"recommendation needs at least {MIN_PRODUCTS} products bought {when}; this data has"
                         f" {products} — {fix}")


def holdout_cutoff(con: duckdb.DuckDBPyConnection, holdout_days: int) -> date:
    """``analysis_date - holdout_days``."""
    return analysis_date(con) - timedelta(days=holdout_days)


def load_segments(con: duckdb.DuckDBPyConnection) -> dict[str, int]:
    """customer id -> segment id from ``customer_segments``, or empty if there is no such table yet."""
    if not _exists(con, "customer_segments"):
        return {}
    rows = con.execute("SELECT CAST(customer_id AS VARCHAR), segment_id FROM customer_segments"
                       " WHERE segment_id IS NOT NULL").fetchall()
    return {str(c): int(s) for c, s in rows}


def load_catalogue(con: duckdb.DuckDBPyConnection) -> tuple[list[str] | None, np.ndarray | None]:
    """Every product of ``stg_products`` and its attributes (see ``product_attributes``), if the view exists."""
    if not _exists(con, "stg_products"):
        return None, None
    frame = con.execute("SELECT * FROM stg_products").df()
    frame["product_id"] = frame["product_id"].astype(str)
    frame = frame.drop_duplicates("product_id").sort_values("product_id")
    return frame["product_id"].tolist(), product_attributes(frame)


def product_attributes(frame: pd.DataFrame) -> np.ndarray:
    """Numbers standardised (prices logged first), dates as standardised days, text with few distinct
    values one-hot; missing values become 0 (the mean). Identifier and name columns are skipped."""
    blocks: list[np.ndarray] = []
    for column in frame.columns:
        if column in ("product_id", "product_name"):
            continue
        values = frame[column]
        if pd.api.types.is_bool_dtype(values) or pd.api.types.is_numeric_dtype(values):
            x = values.astype("float64").to_numpy()
            if "price" in column:
                x = np.log1p(np.maximum(x, 0))
        elif pd.api.types.is_datetime64_any_dtype(values) or values.map(lambda v: isinstance(v, date)).any():
            x = (pd.to_datetime(values) - pd.Timestamp("2000-01-01")).dt.days.astype("float64").to_numpy()
        else:
            levels = values.dropna().astype(str).value_counts()
            if len(levels) > MAX_LEVELS or len(levels) < 2:
                continue
            blocks.append(np.stack([(values.astype(str) == level).to_numpy(float) for level in levels.index], 1))
            continue
        mean, std = np.nanmean(x) if np.isfinite(x).any() else 0.0, np.nanstd(x) if np.isfinite(x).any() else 0.0
        blocks.append(np.nan_to_num((x - mean) / (std if std > 0 else 1.0))[:, None])
    if not blocks:
        return np.zeros((len(frame), 0), dtype=np.float32)
    return np.hstack(blocks).astype(np.float32)


def _exists(con: duckdb.DuckDBPyConnection, name: str) -> bool:
    found = con.execute(
        "SELECT count(*) FROM duckdb_views() WHERE view_name = ? AND database_name = current_database()"
        " UNION ALL SELECT count(*) FROM duckdb_tables() WHERE table_name = ? AND database_name = current_database()",
        [name, name]).fetchall()
    return sum(int(r[0]) for r in found) > 0


def _read(con: duckdb.DuckDBPyConnection, query: str, args: list[Any], needs: str) -> pd.DataFrame:
    try:
        return con.execute(query, args).df()
    except duckdb.CatalogException as exc:
        raise ModelError(f"no {needs} in this database — run `marketsql build` first") from exc
