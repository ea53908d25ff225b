"""Benchmark of the engines: the demo mirrored onto PostgreSQL and MySQL (MariaDB), DuckDB's build beside them.

    python bench/engines.py                  # 1x = 2,000 demo customers and 10x = 20,000 (the demo's default)
    python bench/engines.py --scales 1       # 1x only

Starts a private PostgreSQL and a private MariaDB server (tests/postgres_server.py, tests/mariadb_server.py). For
each scale: DuckDB's build (best of --repeat), then per target the mirror's phases (load = raw, meta and
materialised tables in bulk; views = creating the transpiled views; functions = model and helper functions;
verify = running every object on the server and counting its rows; other = planning, checks and the swap), the
ratio of the mirror's total to DuckDB's build, and for MySQL the two bulk paths on the largest table side by side
(LOAD DATA LOCAL INFILE from DuckDB's CSV vs multi-row INSERT batches). Figures depend on the machine's load, printed.
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
def servers() -> Iterator[dict[str, str]]:
    """Both private servers, stopped on exit: {target: dsn}."""
    from mariadb_server import running_server as mariadb
    from postgres_server import running_server as postgres

    with postgres() as pg, mariadb() as my:
        yield {"postgres": pg.dsn(), "mysql": my.dsn()}


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
    args = parser.parse_args()
    print(f"load average at start: {' '.join(f'{x:.1f}' for x in os.getloadavg())} (2 cores)")
    with tempfile.TemporaryDirectory(prefix="marketsql-bench-") as tmp, servers() as dsns:
        for scale in (int(s) for s in args.scales.split(",")):
            started = time.perf_counter()
            project = demo(Path(tmp) / f"demo{scale}", BASE_CUSTOMERS * scale)
            print(f"\n== demo {scale}x ({BASE_CUSTOMERS * scale:,} customers; generated, built and trained in"
                  f" {time.perf_counter() - started:.0f} s)")
            duck = best(project.build, args.repeat)
            print(f"  duckdb build (sources, views, marts)  {duck:7.2f} s")
            print(f"  {'target':<9}{'load':>8}{'views':>8}{'funcs':>8}{'verify':>8}{'other':>8}{'total':>8}"
                  f"{'rows':>11}{'x duckdb':>10}")
            for target, dsn in dsns.items():
                runs = [project.mirror_to(target, dsn, f"bench{scale}") for _ in range(args.repeat)]
                result = min(runs, key=lambda r: r.seconds["total"])
                p = phases(result.seconds)
                print(f"  {target:<9}" + "".join(f"{p[k]:8.2f}" for k in ("load", "views", "functions", "verify",
                                                                          "other", "total"))
                      + f"{result.copied_rows:11,}{p['total'] / duck:10.1f}")
            rows, load_data, inserts = compare_bulk(project, dsns["mysql"])
            print(f"  mysql bulk path, raw.order_lines ({rows:,} rows): LOAD DATA LOCAL INFILE {load_data:.2f} s"
                  f" ({rows / load_data / 1e3:.0f} k rows/s), INSERT batches of 2,000 {inserts:.2f} s"
                  f" ({rows / inserts / 1e3:.0f} k rows/s): LOAD DATA {inserts / load_data:.1f}x faster")
            print(f"  load average now: {' '.join(f'{x:.1f}' for x in os.getloadavg())}")


if __name__ == "__main__":
    main()
