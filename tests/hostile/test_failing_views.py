"""A built database holds no view that fails on SELECT *: the build evaluates every column of every view."""

from __future__ import annotations

import pytest

import marketsql
from marketsql.errors import SqlError

BASE = {
    "marketsql.toml": """\
        database = "project.duckdb"
        [sources.orders]
        path = "data/orders.csv"
        columns = { order_id = "VARCHAR", customer_id = "VARCHAR", quantity = "INTEGER" }
        """,
    "data/orders.csv": "order_id,customer_id,quantity\nO1,C1,2\nO2,C2,1\nO3,C1,3\n",
}


def build_with(write_project, files: dict[str, str]) -> marketsql.Project:
    project = marketsql.Project.load(write_project(files, base=BASE))
    project.build()
    return project


def test_error_call_in_a_column_fails_the_build(write_project):
    with pytest.raises(SqlError, match=r"^sql/bad\.sql: .*boom"):
        build_with(write_project, {"sql/bad.sql": "SELECT order_id, error('boom') AS x FROM raw.orders"})


def test_error_on_one_row_only_fails_the_build(write_project):
    sql = "SELECT order_id, CASE WHEN order_id = 'O3' THEN error('bad row ' || order_id) END AS x FROM raw.orders"
    with pytest.raises(SqlError, match=r"^sql/bad\.sql: .*bad row O3"):
        build_with(write_project, {"sql/bad.sql": sql})


def test_per_row_cast_failure_names_the_file_and_its_line(write_project):
    sql = "-- a comment\nSELECT order_id,\n       CAST(customer_id AS INTEGER) AS id\nFROM raw.orders\n"
    with pytest.raises(SqlError, match=r"^sql/bad\.sql, line 3: Conversion Error: .*'C1'"):
        build_with(write_project, {"sql/bad.sql": sql})


def test_per_row_integer_division_by_zero_fails_the_build(write_project):
    with pytest.raises(SqlError, match=r"^sql/bad\.sql: .*[Dd]ivision by zero"):
        build_with(write_project, {"sql/bad.sql": "SELECT 10 // (quantity - 1) AS x FROM raw.orders"})


def test_failing_column_that_a_later_table_does_not_read_still_fails(write_project):
    files = {
        "sql/wide.sql": "SELECT order_id, error('unused column ' || order_id) AS never_read FROM raw.orders",
        "sql/narrow.sql": "-- marketsql: materialized\nSELECT order_id FROM wide",
    }
    with pytest.raises(SqlError, match=r"^sql/wide\.sql: .*unused column O1"):
        build_with(write_project, files)


def test_failing_column_hidden_in_a_nested_value_fails_the_build(write_project):
    sql = "SELECT {'a': [CAST(order_id AS INTEGER)]} AS nested FROM raw.orders"
    with pytest.raises(SqlError, match=r"^sql/bad\.sql.*Conversion Error"):
        build_with(write_project, {"sql/bad.sql": sql})


def test_views_of_every_column_type_build_with_exact_row_counts(write_project):
    sql = """SELECT order_id, order_id AS order_id_again, [quantity, 1] AS a_list, {'q': quantity} AS a_struct,
       MAP {'k': quantity} AS a_map, NULL AS nothing, quantity::DECIMAL(10, 2) AS amount
FROM raw.orders"""
    project = build_with(write_project, {"sql/wide.sql": sql, "sql/empty.sql": "SELECT * FROM wide WHERE false"})
    con = project.connect(read_only=True)
    try:
        rows = dict(con.execute("SELECT name, rows FROM meta.build_objects").fetchall())
    finally:
        con.close()
    assert rows == {"wide": 3, "empty": 0}
