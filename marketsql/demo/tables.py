"""The Arrow tables of the demo's output files, built from the drawn numpy arrays.

Every written column and type is here: products, marketing spend, order lines, customers and the
planted customer groups.  Ids are zero-padded strings built directly as Arrow buffers.
"""
from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from .calendar import Calendar
from .customers import COUNTRIES, GROUPS
from .marketing import CHANNELS
from .orders import SALES_CHANNELS

Arrays = dict[str, np.ndarray]

ORDER_ID_WIDTH = 8  # 'O00000001'; grows only beyond 99,999,999 orders


def ids(prefix: str, numbers: np.ndarray, width: int) -> pa.Array:
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


def labels(values: Sequence[str], codes: np.ndarray) -> pa.Array:
    """Plain (non-dictionary) string array ``values[codes]``."""
    return pa.array(list(values), pa.string()).take(pa.array(np.asarray(codes, dtype=np.int64)))


def products_table(cat: Arrays) -> pa.Table:
    """``products.parquet``: one row per product of the drawn catalogue, ids P0001, P0002, ..."""
    n = len(cat["name"])
    return pa.table({
        "product_id": ids("P", np.arange(1, n + 1), 4),
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


def marketing_table(cal: Calendar, daily: Arrays) -> pa.Table:
    """``marketing_spend.parquet`` from (channels, days) arrays: one row per day and channel."""
    spend, impressions, clicks = daily["spend"], daily["impressions"], daily["clicks"]
    table = pa.table({
        "date": pa.array(np.tile(cal.dates, len(CHANNELS)), pa.date32()),
        "channel": pa.array(np.repeat(CHANNELS, cal.n_days).tolist(), pa.string()),
        "spend": pa.array(spend.ravel(), pa.float64()),
        "impressions": pa.array(impressions.ravel().astype(np.int64), pa.int64()),
        "clicks": pa.array(clicks.ravel().astype(np.int64), pa.int64())})
    idx = np.arange(cal.n_days)
    order = np.lexsort((np.repeat(np.arange(len(CHANNELS)), cal.n_days), np.tile(idx, len(CHANNELS))))
    return table.take(order)


def order_lines_table(cal: Calendar, rows: Arrays, guest: np.ndarray, orders: Arrays, first_order: int,
                      first_customer: int, cust_width: int) -> pa.Table:
    """One part of ``order_lines/``: the rows of ``mess.plant_mess`` with order, customer and product ids
    numbered from ``first_order + 1`` and ``first_customer + 1`` (guest orders without a customer)."""
    o = rows["order"]
    numbers = first_order + 1 + o
    return pa.table({
        "order_id": pc.if_else(pa.array(rows["ret"]), ids("RO", numbers, ORDER_ID_WIDTH),
                               ids("O", numbers, ORDER_ID_WIDTH)),
        "order_ts": pa.array((cal.start + rows["sec"].astype("m8[s]")).astype("M8[us]"),
                             pa.timestamp("us")),
        "customer_id": pc.if_else(pa.array(guest[o]), pa.scalar(None, pa.string()),
                                  ids("C", first_customer + 1 + orders["cust"][o], cust_width)),
        "product_id": ids("P", rows["prod"] + 1, 4),
        "quantity": pa.array(rows["qty"].astype(np.int32), pa.int32()),
        "unit_price": pa.array(rows["price"], pa.float64()),
        "sales_channel": labels(SALES_CHANNELS, orders["sales"][o])})


def customer_tables(cal: Calendar, cust: Arrays, first_customer: int, cust_width: int) -> tuple[pa.Table, pa.Table]:
    """Rows of ``customers.parquet`` and of the planted ``truth/customer_groups.parquet``."""
    cust_ids = ids("C", first_customer + 1 + np.arange(cust["group"].size), cust_width)
    customers = pa.table({
        "customer_id": cust_ids,
        "signup_date": pa.array(cal.start + cust["signup"], pa.date32()),
        "country": labels(COUNTRIES, cust["country"]),
        "age": pa.array(cust["age"], pa.int32()),
        "acquisition_channel": labels(CHANNELS, cust["channel"])})
    groups = pa.table({
        "customer_id": cust_ids, "group_id": pa.array((cust["group"] + 1).astype(np.int32), pa.int32()),
        "group_name": labels([str(g["name"]) for g in GROUPS], cust["group"]),
        "alive_at_end": pa.array(cust["alive_at_end"], pa.bool_()),
        "purchase_rate": pa.array(cust["purchase_rate"], pa.float64(), from_pandas=True)})
    return customers, groups
