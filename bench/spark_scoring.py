"""Benchmark: the model marts scored in Spark (mapInArrow) beside DuckDB materialising the same marts.

    python bench/spark_scoring.py                    # the demo at 2,000 customers (1x)
    python bench/spark_scoring.py --customers 20000  # 10x

Generates the demo, builds it, trains propensity (two targets, gradient-boosted trees: the Arrow-UDF path) and
recommendation (EASE and the baselines), and mirrors it onto Spark local[2] in this process once (that also warms
the JVM and the Python workers up). Then, best of --repeat, in the same process:

- DuckDB: ``CREATE TEMP TABLE … AS <the mart's SQL>`` on a connection with the models' UDFs (what the build does);
- Spark: the mart scored again from the mirrored features (``engines/spark/marts.py``: Arrow batches through the same
  numpy scorers, then the decile / product names in Spark) into a scratch database, written as Parquet.

Prints rows, seconds, rows/s and the ratio to DuckDB per mart, with the load average.
"""

from __future__ import annotations

import argparse
import os
import shutil
import sys
import tempfile
import time
from pathlib import Path

from timing import best  # bench/timing.py

import marketsql
from marketsql.demo.generate import generate_demo_data

MARTS = ("customer_propensity", "customer_recommendations")


def main() -> None:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--customers", type=int, default=2_000)
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    from marketsql.engines.spark import marts, session
    from marketsql.engines.spark.load import q

    with tempfile.TemporaryDirectory(prefix="marketsql-bench-") as folder:
        project = marketsql.init(Path(folder) / "demo")
        generate_demo_data(project.root / "data" / "demo", customers=args.customers, seed=7)
        project.build()
        project.train("segmentation", k_min=4, k_max=4, rebuild=False)
        project.train("propensity", target=["repeat", "category:Cases"], candidates="hgb", serve="hgb", rebuild=False)
        project.train("recommendation", candidates="popularity,item_cosine,ease")
        warehouse = str(Path(folder) / "warehouse")
        target = session.resolve({}, "local[2]", "bench", warehouse)
        started = time.perf_counter()
        spark = session.session(target)
        print(f"demo {args.customers:,} customers; Spark local[2] started in {time.perf_counter() - started:.1f} s;"
              f" load average {os.getloadavg()[0]:.1f}")
        mirrored = project.mirror_to("spark", "local[2]", "bench", warehouse=warehouse)
        print(f"mirror (untimed warm-up) {mirrored.seconds['total']:.1f} s; scored in it: "
              + ", ".join(f"{n} {mirrored.seconds[f'score {n}']:.1f} s" for n in mirrored.scored))
        duck = project.connect(read_only=True)
        items = {i.name: i for i in mirrored.items}
        for name in MARTS:
            item = items[name]
            assert item.view is not None
            sql = item.view.sql
            duck_s = best(lambda sql=sql: duck.execute(f"CREATE OR REPLACE TEMP TABLE scratch AS {sql}"), args.repeat)
            plan = marts.scoring(duck, item)
            assert plan is not None and plan.stored is not None, plan

            def in_spark(item=item, plan=plan) -> int:
                spark.sql("DROP DATABASE IF EXISTS bench_scratch CASCADE")
                shutil.rmtree(Path(warehouse) / "bench_scratch.db", ignore_errors=True)
                spark.sql(f"CREATE DATABASE bench_scratch LOCATION '{warehouse}/bench_scratch.db'")
                return marts.score(spark, plan, item, "bench_scratch", warehouse, source=mirrored.schemas["main"])

            assert in_spark() == item.rows
            spark_s = best(in_spark, args.repeat)
            count = spark.sql(f"SELECT count(*) FROM bench_scratch.{q(name)}").collect()[0][0]
            print(f"  {name:<26} {item.rows:>8,} rows  DuckDB {duck_s:6.2f} s ({item.rows / duck_s:>9,.0f} rows/s)"
                  f"  Spark {spark_s:6.2f} s ({count / spark_s:>9,.0f} rows/s)  Spark/DuckDB x{spark_s / duck_s:.1f}")
        duck.close()
        spark.sql("DROP DATABASE IF EXISTS bench_scratch CASCADE")
    print(f"load average after: {os.getloadavg()[0]:.1f} (2 cores; best of {args.repeat})")


if __name__ == "__main__":
    sys.exit(main())
