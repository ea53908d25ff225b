"""Sources read from MySQL (a real MariaDB the tests start): types from the server, NULL and '' apart, text with
quotes and newlines, binary as BLOB, incremental appends, and the password never shown."""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path

import duckdb
import pytest
from conftest import WriteProject, run_cli, sha256
from mariadb_server import PASSWORD, Server, mariadb_server  # noqa: F401  (fixture)

import marketsql

PROJECT = {
    "marketsql.toml": """\
        database = "project.duckdb"
        [sources.orders]
        mysql = "$MSQL_TEST_MYSQL_DSN"
        table = "shop_src.orders"
        key = "order_id"
        incremental = "updated_at"
        columns = { customer_id = "VARCHAR" }
        """,
    "sql/order_revenue.sql": "SELECT order_id, quantity * unit_price AS revenue FROM raw.orders\n",
}


@pytest.fixture
def project(write_project: WriteProject, mariadb_server: Server, monkeypatch) -> marketsql.Project:  # noqa: F811
    with mariadb_server.admin() as my, my.cursor() as cur:
        cur.execute("DROP DATABASE IF EXISTS shop_src")
        cur.execute("CREATE DATABASE shop_src")
        cur.execute("CREATE TABLE shop_src.orders (order_id VARCHAR(10), customer_id INT, quantity INT UNSIGNED,"
                    " unit_price DECIMAL(10,2), note TEXT, raw_bytes VARBINARY(8), updated_at DATETIME)")
        cur.execute("INSERT INTO shop_src.orders VALUES ('O2', 1, 2, 10.5, '', X'00ff', '2024-01-05 10:00:00'),"
                    " ('O1', 2, 4294967295, 3.25, NULL, NULL, '2024-01-06 10:00:00'),"
                    " ('O3', 1, 1, 7, 'it''s, \"q\"\\nline 2', NULL, '2024-01-07 00:00:00')")
    monkeypatch.setenv("MSQL_TEST_MYSQL_DSN", mariadb_server.dsn())
    return marketsql.Project.load(write_project(PROJECT, base=None))


def _rows(database: Path, sql: str) -> list[tuple[object, ...]]:
    with duckdb.connect(str(database), read_only=True) as con:
        return con.execute(sql).fetchall()


def test_mysql_source_types_and_incremental(project: marketsql.Project, mariadb_server: Server):  # noqa: F811
    first = project.build()
    db = project.config.database
    assert _rows(db, "SELECT * FROM raw.orders ORDER BY _source_row") == [
        (1, "O1", "2", 4294967295, Decimal("3.25"), None, None, _ts("2024-01-06 10:00:00")),
        (2, "O2", "1", 2, Decimal("10.50"), "", b"\x00\xff", _ts("2024-01-05 10:00:00")),
        (3, "O3", "1", 1, Decimal("7.00"), 'it\'s, "q"\nline 2', None, _ts("2024-01-07 00:00:00"))]
    types = dict(_rows(db, "SELECT column_name, data_type FROM information_schema.columns WHERE table_name = 'orders'"))
    assert types["quantity"] == "BIGINT" and types["raw_bytes"] == "BLOB" and types["updated_at"] == "TIMESTAMP"
    with mariadb_server.admin() as my, my.cursor() as cur:
        cur.execute("INSERT INTO shop_src.orders VALUES ('O0', 3, 5, 1, 'new', NULL, '2024-02-01 00:00:00'),"
                    " ('O9', 4, 1, 1, 'old', NULL, '2024-01-01 00:00:00')")
    second = project.build()
    assert _rows(db, "SELECT _source_row, order_id FROM raw.orders ORDER BY 1") == [
        (1, "O1"), (2, "O2"), (3, "O3"), (4, "O0")]
    assert _rows(db, "SELECT watermark, rows FROM meta.source_state ORDER BY build_id") == [
        ("2024-01-07 00:00:00", 3), ("2024-02-01 00:00:00", 4)]
    assert second.sources[0].sha256 != first.sources[0].sha256
    assert project.build().sources[0].sha256 == second.sources[0].sha256  # nothing new: the same checksum


def test_mysql_source_wrong_password_is_one_line(project: marketsql.Project, mariadb_server: Server,  # noqa: F811
                                                 monkeypatch):
    project.build()
    before = sha256(project.config.database)
    monkeypatch.setenv("MSQL_TEST_MYSQL_DSN", mariadb_server.dsn(password="Wr0ngPass"))
    done = run_cli("build", "-p", str(project.root))
    assert done.returncode == 1 and done.stderr.count("\n") == 1, done.stderr
    assert done.stderr.startswith("Error: source orders: cannot connect to MySQL at mysql://marketsql_admin:***@")
    assert "Wr0ngPass" not in done.stderr + done.stdout and PASSWORD not in done.stderr + done.stdout
    assert sha256(project.config.database) == before


def _ts(text: str) -> object:
    from datetime import datetime

    return datetime.fromisoformat(text)
