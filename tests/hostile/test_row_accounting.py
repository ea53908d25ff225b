"""The row accounting is row-exact: every raw row once in its dq_ view, no other row, each quarantine explained."""

from __future__ import annotations

import pytest
from conftest import run_cli

import marketsql
from marketsql.errors import SqlError

ORDERS = "order_id,customer_id,quantity\n" + "".join(f"O{i},C{i % 3},{i}\n" for i in range(1, 13))

BASE = {
    "marketsql.toml": """\
        database = "project.duckdb"
        [sources.orders]
        path = "data/orders.csv"
        columns = { order_id = "VARCHAR", customer_id = "VARCHAR", quantity = "INTEGER" }
        """,
    "data/orders.csv": ORDERS,
}
PURCHASE = "SELECT *, 'purchase' AS disposition, CAST(NULL AS VARCHAR) AS reason FROM raw.orders"


def build_with(write_project, dq_sql: str) -> marketsql.Project:
    project = marketsql.Project.load(write_project({"sql/dq_orders.sql": dq_sql}, base=BASE))
    project.build()
    return project


def test_dropping_one_raw_row_and_duplicating_another_keeps_the_count_but_fails(write_project):
    dq = f"{PURCHASE} WHERE _source_row <> 2 UNION ALL {PURCHASE} WHERE _source_row = 3"
    with pytest.raises(SqlError) as caught:
        build_with(write_project, dq)
    assert str(caught.value) == (
        "sql/dq_orders.sql: does not hold every row of raw.orders exactly once: 1 row(s) missing (_source_row 2);"
        " 1 row(s) more than once (_source_row 3) — select each raw row once (purchase, return or quarantine),"
        " keeping its _source_row"
    )


def test_rows_that_are_not_raw_rows_are_named_null_included(write_project):
    dq = (f"{PURCHASE} WHERE _source_row > 2 UNION ALL SELECT 99, 'X', 'C', 1, 'purchase', NULL"
          " UNION ALL SELECT NULL, 'Y', 'C', 1, 'purchase', NULL")
    with pytest.raises(SqlError) as caught:
        build_with(write_project, dq)
    assert str(caught.value).startswith(
        "sql/dq_orders.sql: does not hold every row of raw.orders exactly once: 2 row(s) missing (_source_row 1, 2);"
        " 2 row(s) that are not rows of raw.orders (_source_row 99, NULL) — "
    )


def test_many_missing_rows_show_the_first_five_and_how_many(write_project):
    with pytest.raises(SqlError, match=r"11 row\(s\) missing \(_source_row 2, 3, 4, 5, 6, …\) — "):
        build_with(write_project, f"{PURCHASE} WHERE _source_row = 1")


def test_dq_view_without_source_row_is_an_error(write_project):
    dq = "SELECT order_id, 'purchase' AS disposition, CAST(NULL AS VARCHAR) AS reason FROM raw.orders"
    with pytest.raises(SqlError) as caught:
        build_with(write_project, dq)
    assert str(caught.value) == (
        "sql/dq_orders.sql: has no _source_row column — keep raw.orders's _source_row in the SELECT,"
        " so every row can be traced to its raw row"
    )


def test_quarantined_row_without_reason_is_an_error_not_none(write_project):
    dq = ("SELECT *, CASE WHEN quantity > 10 THEN 'quarantine' ELSE 'purchase' END AS disposition,"
          " CAST(NULL AS VARCHAR) AS reason FROM raw.orders")
    with pytest.raises(SqlError) as caught:
        build_with(write_project, dq)
    assert str(caught.value) == (
        "sql/dq_orders.sql: 2 quarantined row(s) without a reason (_source_row 11; _source_row 12) — every"
        " quarantined row needs a reason: set the reason column for it"
    )


def test_null_disposition_is_reported_not_a_crash(write_project):
    dq = ("SELECT *, CASE WHEN quantity > 10 THEN 'refund' WHEN quantity > 5 THEN 'purchase' END AS disposition,"
          " CAST(NULL AS VARCHAR) AS reason FROM raw.orders")
    with pytest.raises(SqlError, match=r"^sql/dq_orders.sql: unknown disposition 'refund' — use one of"):
        build_with(write_project, dq)


def test_exact_accounting_passes_and_records_every_row(write_project):
    dq = ("SELECT *, CASE WHEN quantity > 10 THEN 'quarantine' ELSE 'purchase' END AS disposition,"
          " CASE WHEN quantity > 10 THEN 'too many' END AS reason FROM raw.orders")
    project = build_with(write_project, dq)
    con = project.connect(read_only=True)
    try:
        rows = con.execute("SELECT disposition, reason, rows FROM meta.build_quality ORDER BY 1").fetchall()
    finally:
        con.close()
    assert rows == [("purchase", None, 10), ("quarantine", "too many", 2)]


def test_cli_prints_one_error_line_naming_the_view_file(write_project):
    root = write_project({"sql/dq_orders.sql": f"{PURCHASE} WHERE _source_row <> 5"}, base=BASE)
    result = run_cli("build", "-p", str(root))
    assert result.returncode == 1
    assert result.stderr.strip().splitlines() == [
        "Error: sql/dq_orders.sql: does not hold every row of raw.orders exactly once: 1 row(s) missing"
        " (_source_row 5) — select each raw row once (purchase, return or quarantine), keeping its _source_row"
    ]
    assert not (root / "project.duckdb").exists()


def test_source_row_of_another_type_is_an_error_naming_the_file(write_project):
    dq = ("SELECT [_source_row] AS _source_row, 'purchase' AS disposition, CAST(NULL AS VARCHAR) AS reason"
          " FROM raw.orders")
    with pytest.raises(SqlError, match=r"^sql/dq_orders.sql: its _source_row cannot be matched with raw.orders's"):
        build_with(write_project, dq)
