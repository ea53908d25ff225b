"""Benchmark of the PostgreSQL mirror on Online Retail: transpiling, COPY, views, and segment() scoring.

    python bench/mirror.py                        # starts a private PostgreSQL 15 server itself
    python bench/mirror.py --dsn postgresql://…   # or uses yours (schema marketsql_bench)

Prints the seconds of each mirror phase (transpiling every view, COPY with rows/s, creating the
views, running every view on the server to check its row count), two ways of streaming rows
into COPY side by side (DuckDB's CSV writer vs Arrow batches through pyarrow's CSV writer), and
the rows/s of the compiled segment() on PostgreSQL beside the DuckDB macro on the same rows.
"""

from __future__ import annotations

import argparse
import contextlib
import io
import sys
import tempfile
from collections.abc import Iterator
from pathlib import Path

from timing import best  # bench/timing.py (the script's folder is on sys.path)

from marketsql.models.segmentation import FEATURES

REPO = Path(__file__).resolve().parents[1]
ARGS = ", ".join(FEATURES)  # the segment() macro's arguments, in the model's order


@contextlib.contextmanager
def server(dsn: str | None) -> Iterator[str]:
    if dsn:
        yield dsn
        return
    sys.path.insert(0, str(REPO / "tests"))
    from postgres_server import running_server

    with running_server() as started:
        yield started.dsn()


def main() -> None:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--dsn", help="an existing PostgreSQL server (default: start a private one)")
    parser.add_argument("--copies", type=int, default=250, help="customer_features copies scored (x 4,338 rows)")
    args = parser.parse_args()

    import marketsql

    with tempfile.TemporaryDirectory(prefix="marketsql-bench-") as tmp, server(args.dsn) as dsn:
        retail = marketsql.Project.load(REPO / "examples" / "online_retail", database=Path(tmp) / "retail.duckdb")
        retail.build()
        retail.train("segmentation", k_min=3, k_max=4)
        result = retail.mirror_postgres(dsn, "marketsql_bench")
        s = result.seconds
        tables = [i for i in result.items if i.kind == "table"]
        views = [i for i in result.items if i.kind == "view"]
        print(f"Online Retail mirror ({len(tables)} tables, {len(views)} views, {result.copied_rows:,} rows,"
              f" {result.copied_bytes / 1e6:.0f} MB of CSV), total {s['total']:.1f} s:")
        print(f"  transpile every view (sqlglot + rewrites)  {s['transpile']:7.2f} s")
        print(f"  COPY every table                           {s['copy']:7.2f} s"
              f"  {result.copied_rows / s['copy'] / 1e3:8.0f} k rows/s")
        print(f"  create the views                           {s['views']:7.2f} s")
        print(f"  run every view on the server (row counts)  {s['verify']:7.2f} s")
        compare_copy(retail, dsn)
        score(retail, dsn, args.copies)


def compare_copy(project, dsn: str) -> None:
    """The same 541,909 rows (dq_order_lines) streamed two ways, into a scratch table."""
    import psycopg
    import pyarrow.csv as pacsv

    from marketsql.engines.postgres.copy import columns, copy_rows, create_table_sql

    duck = project.connect(read_only=True)
    cols = columns(duck, "main", "dq_order_lines")
    select = ", ".join(c.select for c in cols)
    names = ", ".join(f'"{c.name}"' for c in cols)
    try:
        with psycopg.connect(dsn) as pg:
            cur = pg.cursor()
            cur.execute("DROP SCHEMA IF EXISTS bench_copy CASCADE; CREATE SCHEMA bench_copy")
            cur.execute(create_table_sql("bench_copy", "lines", cols))

            def via_duckdb_csv() -> None:
                cur.execute("TRUNCATE bench_copy.lines")
                copy_rows(duck, "main.dq_order_lines", cur, "bench_copy", "lines", cols)

            def via_arrow() -> None:
                cur.execute("TRUNCATE bench_copy.lines")
                reader = duck.sql(f"SELECT {select} FROM main.dq_order_lines").to_arrow_reader(65_536)
                with cur.copy(f"COPY bench_copy.lines ({names}) FROM STDIN (FORMAT csv)") as copy:
                    for batch in reader:
                        buffer = io.BytesIO()
                        pacsv.write_csv(batch, buffer, pacsv.WriteOptions(include_header=False))
                        copy.write(buffer.getvalue())

            rows = int(duck.execute("SELECT count(*) FROM main.dq_order_lines").fetchall()[0][0])
            csv_seconds, arrow_seconds = best(via_duckdb_csv), best(via_arrow)
            cur.execute("DROP SCHEMA bench_copy CASCADE")
            pg.commit()
    finally:
        duck.close()
    print(f"\nCOPY of dq_order_lines ({rows:,} rows), best of 3:")
    print(f"  DuckDB CSV writer -> COPY (used)   {csv_seconds:6.2f} s {rows / csv_seconds / 1e3:8.0f} k rows/s")
    print(f"  Arrow batches -> pyarrow CSV -> COPY {arrow_seconds:4.2f} s {rows / arrow_seconds / 1e3:8.0f} k rows/s"
          f"   (ratio {arrow_seconds / csv_seconds:.2f}x)")


def score(project, dsn: str, copies: int) -> None:
    """segment() over customer_features repeated ``copies`` times, in PostgreSQL and in DuckDB."""
    import psycopg

    duck = project.connect()
    try:
        duck.execute("SET threads = 2")
        duck.execute(f"CREATE OR REPLACE TEMP TABLE big AS SELECT f.* FROM customer_features AS f,"
                     f" range({copies}) AS r")
        rows = int(duck.execute("SELECT count(*) FROM big").fetchall()[0][0])
        duck_scan = best(lambda: duck.execute("SELECT sum(recency_days) FROM big").fetchall())
        duck_macro = best(lambda: duck.execute(f"SELECT sum(segment({ARGS})) FROM big").fetchall())
        duck_answer = duck.execute(f"SELECT sum(segment({ARGS})) FROM big").fetchall()[0][0]
    finally:
        duck.close()
    with psycopg.connect(dsn, autocommit=True) as pg:
        pg.execute("DROP TABLE IF EXISTS public.bench_big")
        pg.execute(f"CREATE TABLE public.bench_big AS SELECT f.* FROM marketsql_bench.customer_features AS f,"
                   f" generate_series(1, {copies})")
        pg.execute("ANALYZE public.bench_big")
        pg_scan = best(lambda: pg.execute("SELECT sum(recency_days) FROM public.bench_big").fetchall())
        query = f"SELECT sum(marketsql_bench.segment({ARGS})) FROM public.bench_big"
        pg_function = best(lambda: pg.execute(query).fetchall())
        pg_answer = pg.execute(query).fetchall()[0][0]
        pg.execute("DROP TABLE public.bench_big")
    print(f"\nsegment() over {rows:,} customer rows ({copies} copies of customer_features), best of 3:")
    print(f"  DuckDB macro                {duck_macro:6.3f} s {rows / duck_macro / 1e6:7.2f} M rows/s"
          f"   (plain scan {duck_scan:.3f} s)")
    print(f"  PostgreSQL SQL function     {pg_function:6.3f} s {rows / pg_function / 1e6:7.2f} M rows/s"
          f"   (plain scan {pg_scan:.3f} s)")
    print(f"  ratio DuckDB / PostgreSQL   {pg_function / duck_macro:6.1f}x;"
          f" same total of segment ids: {int(duck_answer) == int(pg_answer)}")


if __name__ == "__main__":
    main()
