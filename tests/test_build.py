"""Building a project into DuckDB: sources, views, manifest, UDFs, and atomicity."""

from __future__ import annotations

import gzip
import os
import signal
import subprocess
import sys
import textwrap
import time

import duckdb
import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from conftest import ORDERS_CSV, duckdb_cli, sha256

import marketsql


def test_build_creates_views_tables_and_raw_sources(built_project):
    con = built_project.connect(read_only=True)
    try:
        revenue = con.execute("SELECT customer_id, revenue FROM customer_revenue ORDER BY 1").fetchall()
        kinds = dict(con.execute("SELECT table_name, table_type FROM information_schema.tables").fetchall())
        raw = con.execute("SELECT _source_row, order_id, quantity FROM raw.orders ORDER BY 1").fetchall()
        types = dict(con.execute("SELECT column_name, data_type FROM information_schema.columns "
                                 "WHERE table_name = 'orders'").fetchall())
    finally:
        con.close()
    assert revenue == [("C1", 45.0), ("C2", 10.0)]
    assert kinds["customer_revenue"] == "BASE TABLE" and kinds["order_revenue"] == "VIEW"
    assert raw == [(1, "O1", 2), (2, "O2", 1), (3, "O3", 1)]
    assert types["order_ts"] == "TIMESTAMP" and types["quantity"] == "INTEGER" and types["product_id"] == "VARCHAR"


def test_manifest_records_objects_rows_timings_and_fingerprints(built_project):
    built_project.build()  # a second build keeps the history of the first
    con = built_project.connect(read_only=True)
    try:
        builds = con.execute("SELECT build_id FROM meta.builds ORDER BY 1").fetchall()
        objects = con.execute(
            "SELECT name, kind, rows, seconds >= 0 FROM meta.build_objects WHERE build_id = 2 ORDER BY position"
        ).fetchall()
        source = con.execute("SELECT source, rows, bytes, sha256 FROM meta.build_sources WHERE build_id = 2"
                             ).fetchall()
    finally:
        con.close()
    assert builds == [(1,), (2,)]
    assert objects == [("order_revenue", "view", 3, True), ("customer_revenue", "table", 2, True)]
    import hashlib

    assert source == [("orders", 3, len(ORDERS_CSV), hashlib.sha256(ORDERS_CSV.encode()).hexdigest())]


def test_gzipped_csv_glob_and_parquet_sources(write_project, tmp_path):
    parts = tmp_path / "parts"
    parts.mkdir()
    for i, chunk in enumerate(["O1,2024-01-05,C1\n", "O2,2024-01-06,C2\nO3,2024-01-07,C1\n"]):
        with gzip.open(parts / f"part{i}.csv.gz", "wt") as handle:
            handle.write("order_id,order_ts,customer_id\n" + chunk)
    pq.write_table(pa.table({"customer_id": ["C1", "C2"], "age": [30, 40]}), tmp_path / "customers.parquet")
    root = write_project(
        {
            "marketsql.toml": f"""\
                [sources.orders]
                path = "{parts}/*.csv.gz"
                columns = {{ order_ts = "DATE" }}
                [sources.customers]
                path = "{tmp_path}/customers.parquet"
                """,
            "sql/joined.sql": "SELECT o.order_id, c.age FROM raw.orders o JOIN raw.customers c USING (customer_id)",
        },
        base=None,
    )
    result = marketsql.Project.load(root).build()
    assert {s.name: (s.rows, len(s.files)) for s in result.sources} == {"orders": (3, 2), "customers": (2, 1)}
    assert [(o.name, o.rows) for o in result.objects] == [("joined", 3)]


def test_source_override_replaces_the_configured_path(write_project, tmp_path):
    other = tmp_path / "other.csv"
    other.write_text(ORDERS_CSV + "O4,2024-03-02 09:00:00,C3,P2,5,25.0\n")
    project = marketsql.Project.load(write_project(), sources={"orders": str(other)})
    result = project.build()
    assert [s.rows for s in result.sources] == [4]
    assert result.sources[0].files == (str(other),)


def test_udfs_are_registered_and_udf_views_materialised(write_project):
    root = write_project(
        {
            "udfs/text.py": """\
                import pyarrow.compute as pc
                from marketsql import udf

                @udf(params=["VARCHAR"], returns="VARCHAR")
                def shout(text):
                    return pc.utf8_upper(text)
                """,
            "sql/shouted.sql": "SELECT shout(customer_id) AS loud FROM raw.orders",
        }
    )
    project = marketsql.Project.load(root)
    result = project.build()
    assert {o.name: o.kind for o in result.objects}["shouted"] == "table"
    con = project.connect(read_only=True)
    try:
        assert con.execute("SELECT shout('abc'), shout(NULL)").fetchall() == [("ABC", None)]
    finally:
        con.close()
    # a client without Python reads the materialised table
    cli = duckdb_cli(project.database, "SELECT loud FROM shouted ORDER BY 1")
    assert cli.returncode == 0, cli.stderr
    assert cli.stdout.split() == ["loud", "C1", "C1", "C2"]


def test_database_opens_in_duckdb_cli_from_pypi(built_project):
    cli = duckdb_cli(built_project.database, "SELECT customer_id, revenue FROM customer_revenue ORDER BY 1;"
                     " SELECT count(*) FROM order_revenue;")
    assert cli.returncode == 0, cli.stderr
    assert cli.stdout.split() == ["customer_id,revenue", "C1,45.0", "C2,10.0", "count_star()", "3"]


def test_view_failing_in_duckdb_names_the_file(write_project):
    root = write_project({"sql/bad_column.sql": "SELECT\n  no_such_column\nFROM raw.orders"})
    with pytest.raises(marketsql.SqlError) as info:
        marketsql.Project.load(root).build()
    assert str(info.value).startswith("sql/bad_column.sql, line 2: Binder Error: Referenced column")


# --- Bad input: each fails with one clear line and leaves the previous database as it was ---------------

BAD_INPUTS = {
    "missing source file": (
        {"data/orders.csv": None},
        marketsql.SourceError,
        "source orders: no file at {root}/data/orders.csv — check the path in the project config or pass"
        " --source orders=PATH",
    ),
    "missing required column": (
        {"data/orders.csv": "order_id,order_ts,customer_id,quantity\nO1,2024-01-01,C1,1\n"},
        marketsql.SourceError,
        "source orders ({root}/data/orders.csv): missing required column(s) unit_price — the file has:"
        " order_id, order_ts, customer_id, quantity",
    ),
    "unparseable value": (
        {"data/orders.csv": ORDERS_CSV + "O4,2024-04-01 10:00:00,C2,P1,two,10.0\n"},
        marketsql.SourceError,
        "source orders ({root}/data/orders.csv): data row 4, column quantity: 'two' is not a valid INTEGER"
        " — fix the value, or declare the column VARCHAR and clean it in staging",
    ),
    "empty file": (
        {"data/orders.csv": ""},
        marketsql.SourceError,
        "source orders: {root}/data/orders.csv is empty (0 bytes) — re-export the file",
    ),
    "header only": (
        {"data/orders.csv": ORDERS_CSV.splitlines()[0] + "\n"},
        marketsql.SourceError,
        "source orders: {root}/data/orders.csv has no data rows — re-export the file",
    ),
    "sql syntax error": (
        {"sql/order_revenue.sql": "SELECT order_id,\nFROM FROM raw.orders"},
        marketsql.SqlError,
        "sql/order_revenue.sql, line 2: syntax error",
    ),
    "cycle": (
        {"sql/order_revenue.sql": "SELECT * FROM customer_revenue"},
        marketsql.DependencyError,
        "dependency cycle: customer_revenue reads order_revenue reads customer_revenue",
    ),
    "unknown table": (
        {"sql/order_revenue.sql": "SELECT * FROM raw.orders JOIN refunds USING (order_id)"},
        marketsql.DependencyError,
        "sql/order_revenue.sql, line 1: unknown table 'refunds'",
    ),
    "udf import error": (
        {"udfs/broken.py": "import pyarrow\n\nvalue = 1 / 0\n"},
        marketsql.UdfError,
        "udfs/broken.py, line 3: failed to import: ZeroDivisionError: division by zero — fix the module",
    ),
}


@pytest.mark.parametrize("case", sorted(BAD_INPUTS))
def test_bad_input_fails_cleanly_and_keeps_previous_database(case, write_project):
    changes, error, expected = BAD_INPUTS[case]
    root = write_project()
    project = marketsql.Project.load(root)
    project.build()
    before = sha256(project.database)
    for name, text in changes.items():
        if text is None:
            (root / name).unlink()
        else:
            (root / name).parent.mkdir(parents=True, exist_ok=True)
            (root / name).write_text(textwrap.dedent(text))
    with pytest.raises(error) as info:
        marketsql.Project.load(root).build()
    assert str(info.value).startswith(expected.format(root=root)), str(info.value)
    assert "\n" not in str(info.value)
    assert sha256(project.database) == before
    assert [p.name for p in root.iterdir() if ".building-" in p.name] == []
    con = duckdb.connect(str(project.database), read_only=True)
    assert con.execute("SELECT count(*) FROM customer_revenue").fetchall() == [(2,)]
    con.close()


def test_locked_database_is_reported_with_the_holder(built_project):
    holder = subprocess.Popen(
        [sys.executable, "-c",
         f"import duckdb, sys, time; c = duckdb.connect({str(built_project.database)!r}); print('open', flush=True);"
         " sys.stdin.read()"],
        stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True,
    )
    try:
        assert holder.stdout is not None and holder.stdout.readline().strip() == "open"
        with pytest.raises(marketsql.DatabaseLockedError) as info:
            built_project.build()
        assert str(info.value) == (
            f"{built_project.database} is locked by another process (PID {holder.pid}) — close that program"
            " (DuckDB CLI, notebook, BI tool) and retry"
        )
    finally:
        holder.communicate("")
    con = duckdb.connect(str(built_project.database), read_only=True)
    assert con.execute("SELECT count(*) FROM meta.builds").fetchall() == [(1,)]
    con.close()


SLOW_UDF = """\
    import time
    from pathlib import Path
    import pyarrow as pa
    from marketsql import udf

    @udf(params=["VARCHAR"], returns="VARCHAR")
    def slow(values):
        Path(__file__).with_name("started").touch()
        time.sleep(60)
        return values
    """


def test_killed_build_leaves_previous_database_intact(write_project):
    root = write_project()
    project = marketsql.Project.load(root)
    project.build()
    before = sha256(project.database)
    (root / "udfs").mkdir(exist_ok=True)
    (root / "udfs" / "slow.py").write_text(textwrap.dedent(SLOW_UDF))
    (root / "sql" / "z_slow.sql").write_text("SELECT slow(customer_id) AS c FROM customer_revenue")
    build = subprocess.Popen([sys.executable, "-c", f"import marketsql; marketsql.Project.load({str(root)!r}).build()"])
    started = root / "udfs" / "started"
    deadline = time.monotonic() + 60
    while not started.exists() and time.monotonic() < deadline and build.poll() is None:
        time.sleep(0.05)
    assert started.exists(), "the build never reached the slow view"
    leftovers = [p for p in root.iterdir() if ".building-" in p.name]
    assert leftovers, "the build should be writing a temporary file"
    os.kill(build.pid, signal.SIGKILL)
    build.wait()
    assert sha256(project.database) == before
    con = duckdb.connect(str(project.database), read_only=True)
    assert con.execute("SELECT count(*) FROM meta.builds").fetchall() == [(1,)]
    con.close()
    # the next build cleans up what the killed one left behind
    (root / "sql" / "z_slow.sql").unlink()
    (root / "udfs" / "slow.py").unlink()
    marketsql.Project.load(root).build()
    assert [p for p in root.iterdir() if ".building-" in p.name] == []


def test_interrupted_build_in_process_discards_its_temp_file(write_project):
    root = write_project()
    project = marketsql.Project.load(root)
    project.build()
    before = sha256(project.database)

    def interrupt(message: str) -> None:
        if "customer_revenue" in message:
            raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt):
        marketsql.Project.load(root).build(progress=interrupt)
    assert sha256(project.database) == before
    assert [p for p in root.iterdir() if ".building-" in p.name] == []
