"""Benchmark: reading a source from PostgreSQL and MySQL (Online Retail, 541,909 rows) beside plain client fetches.

    python bench/sources.py                        # starts private PostgreSQL 15 and MariaDB servers itself
    python bench/sources.py --dsn postgresql://…   # or uses your PostgreSQL (schema marketsql_bench_src)
    python bench/sources.py --copies 10            # the table 10 times over (5.4 M rows)
    python bench/sources.py --no-mysql             # PostgreSQL only

Side by side in one process, best of N, into a DuckDB table each time:
- marketsql's database source (one snapshot, ``COPY (SELECT … ORDER BY key) TO STDOUT`` into a temporary
  CSV file, read by DuckDB as text and cast to the server's types; also computes the checksum);
- psycopg ``fetchall`` of the same ordered SELECT, then DuckDB from the rows (a plain client fetch);
- psycopg ``COPY … TO STDOUT`` into a file, then DuckDB's ``read_csv`` with its type sniffing (the same bulk
  path, without the server's types, the checksum or ``_source_row``).
MySQL (MariaDB): marketsql's source read by pymysql (unbuffered cursor without value converters → Arrow text
batches → DuckDB casts) and by connectorx (when installed: the columns cast to CHAR on the server → Arrow → the same
batches and casts), beside pymysql's default ``fetchall`` → pandas → DuckDB, and connectorx's typed Arrow read.
Prints rows/s and each ratio to the plain fetch, with the load average.
"""

from __future__ import annotations

import argparse
import importlib.util
import os
import sys
import tempfile
from pathlib import Path
from urllib.parse import quote

import duckdb
import psycopg
from mirror import server  # bench/mirror.py: a private server unless --dsn
from timing import best

from marketsql.core import dbsources
from marketsql.engines import sources as engine_sources
from marketsql.engines.postgres import copy as pgcopy

REPO = Path(__file__).resolve().parents[1]
DATA = REPO.parent / "shared" / "data" / "online_retail" / "online_retail.csv.gz"
SCHEMA = "marketsql_bench_src"


def load_online_retail(dsn: str, copies: int) -> int:
    """Online Retail into ``SCHEMA.orders`` with a ``line_no`` key, ``copies`` times over."""
    duck = duckdb.connect()
    duck.execute(f"CREATE TABLE one AS SELECT row_number() OVER () AS line_no, * FROM read_csv('{DATA}')")
    duck.execute(f"CREATE TABLE orders AS SELECT (c.i - 1) * (SELECT count(*) FROM one) + line_no AS line_no,"
                 f" * EXCLUDE (line_no) FROM one, range(1, {copies + 1}) AS c(i) ORDER BY 1")
    cols = pgcopy.columns(duck, "main", "orders")
    with psycopg.connect(dsn, autocommit=True) as pg, pg.cursor() as cur:
        cur.execute(f"DROP SCHEMA IF EXISTS {SCHEMA} CASCADE")
        cur.execute(f"CREATE SCHEMA {SCHEMA}")
        cur.execute(pgcopy.create_table_sql(SCHEMA, "orders", cols))
        pgcopy.copy_rows(duck, "orders", cur, SCHEMA, "orders", cols)
        cur.execute(f"ALTER TABLE {SCHEMA}.orders ADD PRIMARY KEY (line_no)")
        cur.execute(f"ANALYZE {SCHEMA}.orders")
    return int(duck.execute("SELECT count(*) FROM orders").fetchall()[0][0])


def via_marketsql(dsn: str, engine: str = "postgres") -> int:
    """marketsql's database source for ``engine`` into a fresh DuckDB; the rows read."""
    con = duckdb.connect()
    con.execute("CREATE SCHEMA meta")
    con.execute("CREATE SCHEMA raw")
    os.environ["MSQL_BENCH_DSN"] = dsn
    source = dbsources.DatabaseSource(engine, "$MSQL_BENCH_DSN", f"{SCHEMA}.orders", None, ("line_no",))
    return engine_sources.load(con, "orders", source, {}, Path("/nonexistent"), 1).rows


def via_fetchall(dsn: str) -> int:
    with psycopg.connect(dsn) as pg:
        cur = pg.execute(f"SELECT * FROM {SCHEMA}.orders ORDER BY line_no")
        names = [c.name for c in cur.description or []]
        rows = cur.fetchall()
    import pandas as pd

    frame = pd.DataFrame.from_records(rows, columns=names)
    con = duckdb.connect()
    con.register("frame", frame)
    con.execute("CREATE TABLE orders AS SELECT * FROM frame")
    return int(con.execute("SELECT count(*) FROM orders").fetchall()[0][0])


def via_copy_file(dsn: str) -> int:
    with tempfile.TemporaryDirectory() as folder, psycopg.connect(dsn) as pg:
        path = Path(folder) / "orders.csv"
        with open(path, "wb") as handle, pg.cursor().copy(
                f"COPY (SELECT * FROM {SCHEMA}.orders ORDER BY line_no) TO STDOUT (FORMAT csv, HEADER)") as copy:
            for chunk in copy:
                handle.write(chunk)
        con = duckdb.connect()
        con.execute(f"CREATE TABLE orders AS SELECT * FROM read_csv('{path}')")
        return int(con.execute("SELECT count(*) FROM orders").fetchall()[0][0])


def load_mysql(dsn: str, copies: int) -> int:
    """Online Retail into MariaDB (``SCHEMA.orders`` with a ``line_no`` key), ``copies`` times over, by LOAD DATA."""
    import pymysql

    from marketsql.engines.mysql.connection import parts

    read = parts(dsn)
    duck = duckdb.connect()
    duck.execute(f"CREATE TABLE one AS SELECT row_number() OVER () AS line_no, * FROM read_csv('{DATA}')")
    duck.execute(f"CREATE TABLE orders AS SELECT (c.i - 1) * (SELECT count(*) FROM one) + line_no AS line_no,"
                 f" * EXCLUDE (line_no) FROM one, range(1, {copies + 1}) AS c(i) ORDER BY 1")
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "orders.csv"
        duck.execute(f"COPY (SELECT * FROM orders ORDER BY line_no) TO '{path}'"
                     " (FORMAT csv, HEADER false, NULLSTR '\\N')")
        con = pymysql.connect(host=read["host"], port=int(read["port"]), user=read["user"], password=read["password"],
                              local_infile=True, autocommit=True)
        with con.cursor() as cur:
            cur.execute(f"DROP DATABASE IF EXISTS {SCHEMA}")
            cur.execute(f"CREATE DATABASE {SCHEMA}")
            cur.execute(f"CREATE TABLE {SCHEMA}.orders (line_no BIGINT PRIMARY KEY, InvoiceNo VARCHAR(20),"
                        " StockCode VARCHAR(20), Description TEXT, Quantity INT, InvoiceDate DATETIME,"
                        " UnitPrice DOUBLE, CustomerID BIGINT, Country VARCHAR(40))")
            cur.execute(f"LOAD DATA LOCAL INFILE '{path}' INTO TABLE {SCHEMA}.orders FIELDS TERMINATED BY ','"
                        " OPTIONALLY ENCLOSED BY '\"' ESCAPED BY '' LINES TERMINATED BY '\\n'")
        con.close()
    return int(duck.execute("SELECT count(*) FROM orders").fetchall()[0][0])


def pymysql_forced(dsn: str) -> int:
    """marketsql's MySQL source with its connectorx fast path turned off (MARKETSQL_MYSQL_READER=pymysql)."""
    os.environ["MARKETSQL_MYSQL_READER"] = "pymysql"
    try:
        return via_marketsql(dsn, "mysql")
    finally:
        del os.environ["MARKETSQL_MYSQL_READER"]


def mysql_via_connectorx(dsn: str, text: bool = False) -> int:
    """connectorx's Arrow reader (Rust, its own connection) of the ordered SELECT, into DuckDB; ``text``: every
    column cast to CHAR on the server first (the values as marketsql's source reads them)."""
    import connectorx

    from marketsql.engines.mysql.connection import parts

    read = parts(dsn)
    uri = f"mysql://{read['user']}:{quote(read['password'], safe='')}@{read['host']}:{read['port']}/{SCHEMA}"
    columns = "line_no, InvoiceNo, StockCode, Description, Quantity, InvoiceDate, UnitPrice, CustomerID, Country"
    select = ", ".join(f"CAST({c.strip()} AS CHAR) AS {c.strip()}" for c in columns.split(",")) if text else "*"
    table = connectorx.read_sql(uri, f"SELECT {select} FROM {SCHEMA}.orders ORDER BY line_no", return_type="arrow")
    duck = duckdb.connect()
    duck.register("frame", table)
    duck.execute("CREATE TABLE orders AS SELECT * FROM frame")
    return int(duck.execute("SELECT count(*) FROM orders").fetchall()[0][0])


def mysql_via_fetchall(dsn: str) -> int:
    import pandas as pd
    import pymysql

    from marketsql.engines.mysql.connection import parts

    read = parts(dsn)
    con = pymysql.connect(host=read["host"], port=int(read["port"]), user=read["user"], password=read["password"])
    with con.cursor() as cur:
        cur.execute(f"SELECT * FROM {SCHEMA}.orders ORDER BY line_no")
        names = [d[0] for d in cur.description or ()]
        frame = pd.DataFrame.from_records(cur.fetchall(), columns=names)
    con.close()
    duck = duckdb.connect()
    duck.register("frame", frame)
    duck.execute("CREATE TABLE orders AS SELECT * FROM frame")
    return int(duck.execute("SELECT count(*) FROM orders").fetchall()[0][0])


def compare(title: str, runs: dict[str, object], dsn: str, rows: int, plain_label: str, repeat: int) -> None:
    print(title)
    seconds = {}
    for label, run in runs.items():
        assert run(dsn) == rows, label  # type: ignore[operator]
        seconds[label] = best(lambda run=run: run(dsn), repeat)  # type: ignore[misc]
    for label, s in seconds.items():
        print(f"  {label:<60} {s:7.2f} s  {rows / s / 1e6:5.2f} M rows/s  ×{seconds[plain_label] / s:.2f} vs plain")


def main() -> None:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--dsn", help="an existing PostgreSQL server (default: start a private one)")
    parser.add_argument("--copies", type=int, default=1, help="Online Retail this many times over")
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--no-mysql", action="store_true", help="PostgreSQL only")
    parser.add_argument("--no-postgres", action="store_true", help="MySQL only")
    args = parser.parse_args()
    if not args.no_postgres:
        with server(args.dsn) as dsn:
            rows = load_online_retail(dsn, args.copies)
            print(f"Online Retail x{args.copies}: {rows:,} rows; load average {os.getloadavg()[0]:.1f}")
            plain = "psycopg fetchall → pandas → DuckDB (plain fetch)"
            compare("PostgreSQL 15:", {"marketsql database source (COPY → file → DuckDB)": via_marketsql,
                                       plain: via_fetchall,
                                       "psycopg COPY → file → DuckDB read_csv (sniffed)": via_copy_file},
                    dsn, rows, plain, args.repeat)
    if not args.no_mysql:
        sys.path.insert(0, str(REPO / "tests"))
        from mariadb_server import running_server

        with running_server() as mariadb:
            rows = load_mysql(mariadb.dsn(), args.copies)
            print(f"Online Retail x{args.copies} in MariaDB: {rows:,} rows; load average {os.getloadavg()[0]:.1f}")
            plain = "pymysql fetchall → pandas → DuckDB (plain fetch)"
            runs = {"marketsql source, pymysql (text batches → Arrow → DuckDB)": lambda d: pymysql_forced(d),
                    plain: mysql_via_fetchall}
            if importlib.util.find_spec("connectorx"):
                runs["marketsql source, connectorx (CAST AS CHAR → Arrow → DuckDB)"] = lambda d: via_marketsql(
                    d, "mysql")
                runs["connectorx Arrow (typed) → DuckDB"] = mysql_via_connectorx
                runs["connectorx Arrow (CAST … AS CHAR: text) → DuckDB"] = lambda d: mysql_via_connectorx(d, True)
            compare("MariaDB 10.11:", runs, mariadb.dsn(), rows, plain, args.repeat)
        print(f"load average after: {os.getloadavg()[0]:.1f} (2 cores; best of {args.repeat})")


if __name__ == "__main__":
    sys.exit(main())
