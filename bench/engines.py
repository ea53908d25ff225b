"""Benchmark of the engines: the demo mirrored onto PostgreSQL, MySQL (MariaDB) and Spark, DuckDB's build beside them.

    python bench/engines.py                  # 1x = 2,000 demo customers and 10x = 20,000 (the demo's default)
    python bench/engines.py --scales 1       # 1x only
    python bench/engines.py --targets spark --scales 1,10,100   # Spark (local[2]) and DuckDB only

Starts a private PostgreSQL and a private MariaDB server (tests/postgres_server.py, tests/mariadb_server.py). For
each scale: DuckDB's build (best of --repeat), then per target the mirror's phases (load = raw, meta and
materialised tables in bulk; views = creating the transpiled views; functions = model and helper functions;
verify = running every object on the server and counting its rows; other = planning, checks and the swap), the
ratio of the mirror's total to DuckDB's build, and for MySQL the two bulk paths on the largest table side by side
(LOAD DATA LOCAL INFILE from DuckDB's CSV vs multi-row INSERT batches). Figures depend on the machine's load, printed.

Spark runs local[2] in this process (its session start is printed apart, paid once; one untimed mirror first warms
the JVM up, as a long-running cluster would be). Its "compute" is views + verify:
Spark creating the transpiled views and running every one of them over the raw tables (DuckDB's "build" is the same
work plus reading the source files). From the two largest scales, each engine's cost is fitted as fixed + per-row
(per raw order line), and the crossover printed: where Spark's line would cross DuckDB's on this machine, and on
paper for a cluster of N such machines (Spark's per-row cost divided by N, its fixed cost unchanged).
"""

from __future__ import annotations

import argparse
import contextlib
import os
import sys
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from timing import best, best_and_result  # bench/timing.py (the script's folder is on sys.path)

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO / "tests"))
BASE_CUSTOMERS = 2_000


@contextlib.contextmanager
def servers(targets: list[str], warehouse: Path) -> Iterator[dict[str, str]]:
    """The private servers of ``targets``, stopped on exit: {target: dsn} (Spark: its master, local[2])."""
    from mariadb_server import running_server as mariadb
    from postgres_server import running_server as postgres

    with contextlib.ExitStack() as stack:
        found = {}
        if "postgres" in targets:
            found["postgres"] = stack.enter_context(postgres()).dsn()
        if "mysql" in targets:
            found["mysql"] = stack.enter_context(mariadb()).dsn()
        if "spark" in targets:
            from marketsql.engines.spark import session

            started = time.perf_counter()
            session.session(session.resolve({}, "local[2]", "bench", str(warehouse)))
            print(f"spark local[2] session started in {time.perf_counter() - started:.1f} s (paid once per process)")
            found["spark"] = "local[2]"
        yield found


def order_lines(project: Any) -> int:
    """The raw order lines of the built demo: the row count the per-row costs are taken over."""
    con = project.connect(read_only=True)
    try:
        return int(con.execute("SELECT count(*) FROM raw.order_lines").fetchall()[0][0])
    finally:
        con.close()


def crossover(points: dict[str, list[tuple[int, float]]]) -> None:
    """Fit fixed + per-row cost to the two largest scales of DuckDB and Spark; print where the lines cross."""
    if len(points["duckdb"]) < 2 or len(points["spark"]) < 2:
        return
    (n1, d1), (n2, d2) = points["duckdb"][-2:]
    (_, s1), (_, s2) = points["spark"][-2:]
    duck_row, spark_row = (d2 - d1) / (n2 - n1), (s2 - s1) / (n2 - n1)
    duck_fixed, spark_fixed = d2 - duck_row * n2, s2 - spark_row * n2
    print(f"\n== per-row costs (fitted on {n1:,} and {n2:,} order lines)")
    print(f"  duckdb build     {duck_fixed:7.2f} s fixed + {duck_row * 1e6:9.2f} us/row")
    print(f"  spark compute    {spark_fixed:7.2f} s fixed + {spark_row * 1e6:9.2f} us/row"
          f"  ({spark_row / duck_row if duck_row > 0 else float('inf'):.1f}x DuckDB's per-row cost)")
    if spark_row <= 0 or duck_row <= 0:
        print("  no crossover can be fitted: a per-row cost came out <= 0 (the machine's load changed between the"
              " scales; run again with --repeat 2 on a quieter machine)")
        return
    for machines in (1, 10, 100):
        row = spark_row / machines
        if row >= duck_row or duck_row <= 0:
            print(f"  {machines:>3} machine(s): no crossover — Spark's per-row cost ({row * 1e6:.2f} us) is not below"
                  f" DuckDB's ({duck_row * 1e6:.2f} us)")
            continue
        rows = max(0.0, (spark_fixed - duck_fixed) / (duck_row - row))
        print(f"  {machines:>3} machine(s): Spark would overtake one DuckDB past ~{rows:,.0f} order lines"
              f" (~{rows / n2:,.0f}x the largest scale run){' (on paper)' if machines > 1 else ''}")


def demo(folder: Path, customers: int) -> Any:
    """The demo project at ``customers``, built, segmentation and CLV trained."""
    import marketsql
    from marketsql.demo.generate import generate_demo_data
    from marketsql.errors import MarketsqlError

    project = marketsql.init(folder)
    generate_demo_data(project.root / "data" / "demo", customers=customers, seed=11)
    project.build()
    project.train("segmentation", k_min=5, k_max=5, rebuild=False)
    try:
        project.train("clv")
    except MarketsqlError as exc:  # the functions are then the stand-ins; said, not hidden
        print(f"  note: clv not trained at {customers:,} customers: {exc}")
    return project


def phases(seconds: dict[str, float]) -> dict[str, float]:
    """The mirror's seconds as load / views / functions / verify / other / total, for either engine."""
    load, views, functions = seconds.get("copy", 0.0), seconds.get("views", 0.0), seconds.get("functions", 0.0)
    verify, total = seconds.get("verify", 0.0), seconds["total"]
    return {"load": load, "views": views, "functions": functions, "verify": verify,
            "other": total - load - views - functions - verify, "total": total}


def compare_bulk(project: Any, dsn: str) -> tuple[int, float, float]:
    """order_lines into a scratch MySQL table twice: LOAD DATA vs INSERT batches (rows, seconds, seconds)."""
    from marketsql.engines.mysql import connection
    from marketsql.engines.mysql.load import create_table_sql, insert_rows, load_rows, text_widths
    from marketsql.engines.postgres.copy import columns

    target = connection.resolve({}, dsn, "bench_bulk")
    duck = project.connect(read_only=True)
    con = target.connect()
    cur = con.cursor()
    try:
        cols = columns(duck, "raw", "order_lines")
        widths = text_widths(duck, "raw.order_lines", cols)
        cur.execute("CREATE DATABASE IF NOT EXISTS bench_bulk")

        def into(load: Any) -> int:
            cur.execute("DROP TABLE IF EXISTS bench_bulk.order_lines")
            cur.execute(create_table_sql("bench_bulk", "order_lines", cols, widths))
            return int(load(duck, "raw.order_lines", cur, "bench_bulk", "order_lines", cols))

        load_seconds, rows = best_and_result(lambda: into(load_rows), 2)
        insert_seconds = best(lambda: into(insert_rows), 1)
        cur.execute("DROP DATABASE bench_bulk")
        return rows, load_seconds, insert_seconds
    finally:
        con.close()
        duck.close()


def main() -> None:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--scales", default="1,10", help="multiples of 2,000 demo customers (default 1,10)")
    parser.add_argument("--repeat", type=int, default=1, help="runs of each mirror and build; the best is shown")
    parser.add_argument("--targets", default="postgres,mysql,spark", help="engines to mirror onto (default all)")
    args = parser.parse_args()
    targets = args.targets.split(",")
    print(f"load average at start: {' '.join(f'{x:.1f}' for x in os.getloadavg())} (2 cores)")
    points: dict[str, list[tuple[int, float]]] = {"duckdb": [], "spark": []}
    with tempfile.TemporaryDirectory(prefix="marketsql-bench-") as tmp, \
            servers(targets, Path(tmp) / "spark-warehouse") as dsns:
        for scale in (int(s) for s in args.scales.split(",")):
            started = time.perf_counter()
            project = demo(Path(tmp) / f"demo{scale}", BASE_CUSTOMERS * scale)
            print(f"\n== demo {scale}x ({BASE_CUSTOMERS * scale:,} customers; generated, built and trained in"
                  f" {time.perf_counter() - started:.0f} s)")
            duck = best(project.build, args.repeat)
            lines = order_lines(project)
            points["duckdb"].append((lines, duck))
            print(f"  duckdb build (sources, views, marts)  {duck:7.2f} s  ({lines:,} order lines,"
                  f" {duck / lines * 1e6:.1f} us/line)")
            print(f"  {'target':<9}{'load':>8}{'views':>8}{'funcs':>8}{'verify':>8}{'other':>8}{'total':>8}"
                  f"{'rows':>11}{'x duckdb':>10}")
            for target, dsn in dsns.items():
                options = {"warehouse": str(Path(tmp) / "spark-warehouse")} if target == "spark" else {}
                if target == "spark" and not points["spark"]:  # the JVM's JIT warms up on the first mirror: untimed
                    project.mirror_to(target, dsn, "bench_warmup", **options)
                runs = [project.mirror_to(target, dsn, f"bench{scale}", **options) for _ in range(args.repeat)]
                result = min(runs, key=lambda r: r.seconds["total"])
                p = phases(result.seconds)
                if target == "spark":
                    compute = p["views"] + p["verify"]
                    points["spark"].append((lines, compute))
                print(f"  {target:<9}" + "".join(f"{p[k]:8.2f}" for k in ("load", "views", "functions", "verify",
                                                                          "other", "total"))
                      + f"{result.copied_rows:11,}{p['total'] / duck:10.1f}")
                if target == "spark":
                    print(f"  spark compute (views + verify) {compute:.2f} s = {compute / duck:.1f}x DuckDB's whole"
                          f" build, {compute / lines * 1e6:.1f} us/line; switch {result.seconds.get('swap', 0):.2f} s"
                          " (in other)")
            if "mysql" not in dsns:
                print(f"  load average now: {' '.join(f'{x:.1f}' for x in os.getloadavg())}")
                continue
            rows, load_data, inserts = compare_bulk(project, dsns["mysql"])
            print(f"  mysql bulk path, raw.order_lines ({rows:,} rows): LOAD DATA LOCAL INFILE {load_data:.2f} s"
                  f" ({rows / load_data / 1e3:.0f} k rows/s), INSERT batches of 2,000 {inserts:.2f} s"
                  f" ({rows / inserts / 1e3:.0f} k rows/s): LOAD DATA {inserts / load_data:.1f}x faster")
            print(f"  load average now: {' '.join(f'{x:.1f}' for x in os.getloadavg())}")
    crossover(points)


if __name__ == "__main__":
    main()
