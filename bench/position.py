"""Benchmark of positioning: training seconds, and placing products through the SQL macros against
numpy on the exported arrays, in the same process.

    python bench/position.py                  # the real 980-phone catalogue and the demo (20,000 customers)
    python bench/position.py --rows 200000    # fewer rows for the bulk comparison
    python bench/position.py --catalogue 3000,10000,100000 --skip-small   # scale only (bench/position_scale.py)

1. Training (fit + holdout evaluation, and train + register + rebuild) on both projects.
2. One hypothetical phone, median of many calls: the macros in one SELECT (expected price, band,
   map x/y, tier) and the nearest_products() table macro, against the same maths in numpy, and the
   whole Project.position() (connection, model load, competitors, percentiles, segments).
3. Bulk: expected_price() and position_x() over --rows random phones in a DuckDB table, against numpy
   on the same rows (rows/s, best of 3), checked equal.
4. Catalogue scale (--catalogue): see bench/position_scale.py.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
from position_scale import CHILDREN, candidates_line, phones_project, scale  # bench/position_scale.py
from processes import run_child  # bench/processes.py
from timing import best, median_seconds  # bench/timing.py (the script's folder is on sys.path)


def train(project, label: str) -> None:
    project.build()
    started = time.perf_counter()
    trained = project.train("positioning")
    total = time.perf_counter() - started
    price = trained.record.metrics["price"]
    print(f"{label}: {trained.record.metrics['products']} products, fit + evaluation {trained.result.seconds:.2f} s,"
          f" train + register + rebuild {total:.2f} s; served price model R² on log price {price['model']['r2']:.3f}"
          f" (brand mean {price['brand_mean']['r2']:.3f})")
    print("  " + candidates_line(trained.record.metrics))


def placement(project, phone: dict, repeat: int) -> None:
    from marketsql.models.positioning.serve import load

    con = project.connect(read_only=True)
    try:
        model = load(con)
        attrs = {k: v for k, v in phone.items() if k not in ("brand", "price")}
        args = ", ".join(f"{k} := {v!r}" for k, v in attrs.items())
        scalar = (f"SELECT expected_price({args}, brand := '{phone['brand']}'), expected_price_low({args},"
                  f" brand := '{phone['brand']}'), expected_price_high({args}, brand := '{phone['brand']}'),"
                  f" position_x({args}), position_y({args}), price_tier({phone['price']})")
        nearest = f"SELECT * FROM nearest_products({args}, brand := '{phone['brand']}', price := {phone['price']})"
        sql_scalar = median_seconds(lambda: con.execute(scalar).fetchall(), repeat)
        sql_nearest = median_seconds(lambda: con.execute(nearest).fetchall(), repeat)
    finally:
        con.close()
    values = np.array([[attrs[a] for a in model.attributes]], dtype=float)
    brand = model.brand_index([phone["brand"]])

    def numpy_place() -> None:
        z = model.transform(values)
        log_price = model.expected_log_price(values, brand)
        np.exp(log_price + model.price_quantiles)
        model.xy(z)
        model.tier(phone["price"])
        point = np.append(z[0], model.price_z(np.array([phone["price"]]))[0])
        distances = np.sqrt(((model.reference_space - point) ** 2).sum(axis=1))
        np.argsort(distances)[:5]

    numpy_seconds = median_seconds(numpy_place, repeat)
    whole = median_seconds(lambda: project.position(phone), max(5, repeat // 20))
    print(f"  one placement, median: SQL macros {sql_scalar * 1e3:.2f} ms"
          f" + nearest_products() {sql_nearest * 1e3:.2f} ms"
          f" vs numpy {numpy_seconds * 1e3:.3f} ms (SQL {(sql_scalar + sql_nearest) / numpy_seconds:.0f}x slower);"
          f" whole Project.position() {whole * 1e3:.0f} ms")


def bulk(project, rows: int) -> None:
    from marketsql.models.positioning.serve import load

    con = project.connect(read_only=True)
    try:
        model = load(con)
        rng = np.random.default_rng(0)
        matrix = rng.uniform(0.8, 1.2, (rows, len(model.attributes))) * model.medians
        brands = rng.choice(model.brands, rows)
        import pandas as pd

        con.register("frame", pd.DataFrame(matrix, columns=model.attributes).assign(brand=brands))
        con.execute("CREATE TEMP TABLE candidates AS SELECT * FROM frame")
        args = ", ".join(f"{a} := {a}" for a in model.attributes)
        query = f"SELECT sum(expected_price({args}, brand := brand)), sum(position_x({args})) FROM candidates"
        macro = best(lambda: con.execute(query).fetchall())
        sql_total = con.execute(query).fetchall()[0]
    finally:
        con.close()
    index = model.brand_index(list(brands))

    def numpy_bulk() -> tuple[float, float]:
        z = model.transform(matrix)
        return float(np.exp(model.expected_log_price(matrix, index)).sum()), float(model.xy(z)[:, 0].sum())

    limit = best(numpy_bulk)
    assert np.allclose(sql_total, numpy_bulk(), rtol=1e-9), (sql_total, numpy_bulk())
    print(f"  bulk, {rows:,} phones: SQL macros {rows / macro / 1e6:.2f} M rows/s, numpy {rows / limit / 1e6:.2f} M"
          f" rows/s (SQL at {limit / macro:.2f}x the speed of numpy); sums agree")


def main() -> None:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--customers", type=int, default=20_000)
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--repeat", type=int, default=200)
    parser.add_argument("--catalogue", default="", help="synthetic catalogue sizes, e.g. 10000,100000")
    parser.add_argument("--all-pairs-up-to", type=int, default=3_000, help="largest size for the all-pairs SQL")
    parser.add_argument("--old-search-up-to", type=int, default=10_000,
                        help="largest size for the previous competitor search (scikit-learn's dual-tree KDTree)")
    parser.add_argument("--memory-limit", default="", help="DuckDB memory_limit of the synthetic projects, e.g. 400MB")
    parser.add_argument("--skip-small", action="store_true", help="only the catalogue scale (4.)")
    parser.add_argument("--train-repeat", type=int, default=2,
                        help="trainings at each catalogue size with the full rebuild and with the refresh (best of)")
    args = parser.parse_args()
    if args.catalogue:
        scale([int(s) for s in args.catalogue.split(",")], args.all_pairs_up_to, args.old_search_up_to,
              args.memory_limit, args.train_repeat)
    if args.skip_small:
        return

    import marketsql
    from marketsql.demo.generate import generate_demo_data

    with tempfile.TemporaryDirectory(prefix="marketsql-bench-") as tmp:
        phones = phones_project(Path(tmp) / "phones")
        train(phones, "Smartphones (real, 980 phones, 14 attributes)")
        phone = {"brand": "samsung", "price": 29999, "screen_size": 6.6, "storage_gb": 256, "ram_gb": 8,
                 "camera_mp": 50, "front_camera_mp": 32, "rear_cameras": 3, "battery_mah": 5000,
                 "fast_charging_w": 25, "refresh_rate_hz": 120, "processor_ghz": 2.4, "pixels_m": 2.6, "has_5g": 1,
                 "has_nfc": 0, "memory_card": 1}
        placement(phones, phone, args.repeat)
        bulk(phones, args.rows)

        demo = marketsql.init(Path(tmp) / "demo")
        generate_demo_data(demo.root / "data" / "demo", customers=args.customers, seed=7)
        train(demo, f"Demo ({args.customers:,} customers, 6 attributes, with sales)")
        placement(demo, {"brand": "samsung", "price": 799, "screen_size": 6.5, "storage_gb": 256, "ram_gb": 8,
                         "camera_mp": 50, "battery_mah": 4500, "has_5g": 1}, args.repeat)


if __name__ == "__main__":
    if len(sys.argv) > 1 and sys.argv[1] == "--child":
        run_child(CHILDREN, sys.argv[2], sys.argv[3])
    else:
        main()
