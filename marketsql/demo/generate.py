"""Deterministic generator of a realistic smartphone retailer's raw data.

``generate_demo_data`` writes Parquet files (order lines in parts of one chunk of
``CHUNK_SIZE`` customers each, products, customers, marketing spend) plus the
planted ground truth (``truth/``).  Everything is vectorised numpy and depends
only on ``(seed, customers, start, months)``: same arguments give byte-identical
files.  See ``truth/truth.json`` for every planted parameter and dirty-row count.

This module only orchestrates; each concept has a module of its own: ``calendar`` (the period,
order intensity), ``catalogue`` (+ ``catalogue.toml``: products and bundles), ``marketing`` (spend,
signup response), ``customers`` (behaviour groups, signups), ``orders`` (orders and lines),
``mess`` (planted dirt), ``tables`` (the Arrow tables written) and ``truth``.
"""
from __future__ import annotations

import json
import time
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq

from .calendar import Calendar, make_calendar, order_curves
from .campaign import plant_campaign
from .catalogue import draw_catalogue
from .customers import COUNTRIES, GROUPS, SignupPlan, draw_customers, existing_share, signup_plan
from .marketing import draw_marketing, signup_model
from .mess import plant_mess
from .orders import draw_lines, draw_orders, group_weights
from .shocks import apply_shocks, planted_shocks
from .tables import customer_tables, marketing_table, order_lines_table, products_table
from .truth import truth

Arrays = dict[str, np.ndarray]

CHUNK_SIZE = 100_000
COMPRESSION = "zstd"
DIRTY_COUNTS = ("return_lines", "guest_lines", "duplicate_lines", "zero_price_lines", "zero_quantity_lines")


@dataclass
class _Context:
    """What every chunk of customers is drawn from."""

    cal: Calendar
    curves: np.ndarray      # (2, n_days + 1) cumulative order intensity
    cat: Arrays
    weights: np.ndarray     # (groups, 2, products)
    signups: SignupPlan
    cust_width: int


def _chunk(ctx: _Context, rng: np.random.Generator, first_customer: int, n: int,
           first_order: int) -> tuple[pa.Table, pa.Table, pa.Table, dict[str, int], int, np.ndarray]:
    """One chunk of customers: (order lines, customers, groups tables, dirty counts, orders,
    pre-existing customers per group)."""
    cust = draw_customers(rng, ctx.cal, ctx.signups, n)
    orders = draw_orders(rng, ctx.cal, ctx.curves, cust)
    lines = draw_lines(rng, ctx.cat, ctx.weights, ctx.cal.n_days, orders)
    rows, guest, copies = plant_mess(rng, ctx.cal.n_days, orders, lines)
    rows = apply_shocks(ctx.cal, ctx.cat, rows, orders, cust["country"][orders["cust"]], COUNTRIES)
    table = order_lines_table(ctx.cal, rows, guest, orders, first_order, first_customer, ctx.cust_width)
    customers, groups = customer_tables(ctx.cal, cust, first_customer, ctx.cust_width)
    o = rows["order"]
    counts = {"return_lines": int(rows["ret"].sum()), "guest_lines": int(guest[o].sum()),
              "duplicate_lines": int(copies.size), "zero_price_lines": int((rows["price"] == 0).sum()),
              "zero_quantity_lines": int((rows["qty"] == 0).sum())}
    existing = np.bincount(cust["group"][cust["existing"]], minlength=len(GROUPS))
    return table, customers, groups, counts, orders["day"].size, existing


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
    cal = make_calendar(start, months)
    out = Path(out_dir)
    (out / "order_lines").mkdir(parents=True, exist_ok=True)
    (out / "truth").mkdir(exist_ok=True)
    for stale in (out / "order_lines").glob("part-*.parquet"):
        stale.unlink()
    ss_cat, ss_mkt, ss_chunks = np.random.SeedSequence(seed).spawn(3)
    cat = draw_catalogue(np.random.default_rng(ss_cat), cal)
    daily_spend, monthly_spend, monthly_pc = draw_marketing(np.random.default_rng(ss_mkt), cal, customers)
    alpha, expected = signup_model(monthly_spend, customers * (1 - existing_share()))
    # customers are drawn from the unrounded spend per customer: bit-identical for any customers
    plan = signup_plan(cal, monthly_pc)
    ctx = _Context(cal, order_curves(cal), cat, group_weights(cat), plan, max(7, len(str(customers))))
    files = ["products.parquet", "customers.parquet", "marketing_spend.parquet",
             "truth/customer_groups.parquet", "truth/truth.json"]
    pq.write_table(products_table(cat), out / files[0], compression=COMPRESSION)
    pq.write_table(marketing_table(cal, daily_spend), out / files[2], compression=COMPRESSION)
    n_chunks = -(-customers // CHUNK_SIZE)
    counts = dict.fromkeys(DIRTY_COUNTS, 0)
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
    planted = truth(cal, seed, customers, start, CHUNK_SIZE, cat, alpha, expected, plan, counts, group_counts,
                    n_lines, n_orders, existing_counts)
    planted["shocks"] = planted_shocks(cal)  # planted anomalies and the driver shift (marketsql.demo.shocks)
    (out / files[4]).write_text(json.dumps(planted, indent=2) + "\n")
    plant_campaign(out, seed)  # the randomised e-mail campaign (model kind uplift)
    files.append("campaign.parquet")
    return {"customers": customers, "order_lines": n_lines, "orders": n_orders,
            "products": len(cat["name"]), "seconds": round(time.perf_counter() - t0, 3),
            "files": sorted(files)}
