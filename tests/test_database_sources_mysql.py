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


WHOLE = {
    "marketsql.toml": """\
        database = "project.duckdb"
        [sources.lines]
        mysql = "$MSQL_TEST_MYSQL_DSN"
        table = "shop_src.lines"
        key = "line_id"
        """,
    "sql/line_count.sql": "SELECT count(*) AS n FROM raw.lines\n",
}


def test_mysql_source_read_by_connectorx_equals_pymysqls(write_project: WriteProject,
                                                         mariadb_server: Server, monkeypatch):  # noqa: F811
    """With connectorx installed a whole source is read by its Arrow reader (cast to text on the server): the raw
    table, its types and the recorded checksum equal pymysql's read of the same rows, byte for byte."""
    from marketsql.engines.mysql import arrowread

    with mariadb_server.admin() as my, my.cursor() as cur:
        cur.execute("CREATE DATABASE IF NOT EXISTS shop_src")
        cur.execute("DROP TABLE IF EXISTS shop_src.lines")
        cur.execute("CREATE TABLE shop_src.lines (line_id INT PRIMARY KEY, qty BIGINT UNSIGNED, price DECIMAL(10,2),"
                    " ratio DOUBLE, note TEXT, made DATETIME(3), seen TIMESTAMP NULL, day DATE, tiny TINYINT)")
        cur.execute("SET time_zone = '+02:00'")  # TIMESTAMP values are stored in UTC, read back in UTC by both
        cur.execute("INSERT INTO shop_src.lines VALUES (2, 18446744073709551615, -3.25, 0.1, 'it''s \"q\"\\nzwei é',"
                    " '2024-01-05 10:00:00.125', '2024-03-01 12:00:00', '2024-01-05', -128),"
                    " (1, 0, NULL, 1e-300, '', NULL, NULL, NULL, NULL),"
                    " (3, 7, 1234567.89, 2.5e17, NULL, '1999-12-31 23:59:59', '2024-06-30 00:00:01', '1970-01-01', 1)")
        # past one 50,000-row batch: the checksum covers every batch's bytes (MariaDB's sequence engine)
        cur.execute("INSERT INTO shop_src.lines (line_id, qty, ratio, note) SELECT seq, seq * 3, seq / 7,"
                    " IF(seq % 5 = 0, NULL, concat('n', seq)) FROM shop_src.seq_4_to_60003")
    monkeypatch.setenv("MSQL_TEST_MYSQL_DSN", mariadb_server.dsn())
    fast_reads: list[int] = []
    real = arrowread.read

    def counted(*args):  # the real reader, counted: the fast path must have run, not fallen back
        tables = real(*args)
        fast_reads.append(-1 if tables is None else sum(t.num_rows for t in tables))
        return tables

    monkeypatch.setattr(arrowread, "read", counted)
    project = marketsql.Project.load(write_project(WHOLE, base=None))
    fast = project.build().sources[0]
    db = project.config.database
    fast_rows = _rows(db, "SELECT * FROM raw.lines ORDER BY _source_row")
    fast_types = _rows(db, "SELECT column_name, data_type FROM information_schema.columns WHERE table_name = 'lines'")
    assert fast_reads == [60_003]
    monkeypatch.setenv(arrowread.ENV, "pymysql")
    slow = project.build().sources[0]
    assert fast_reads == [60_003]  # turned off: pymysql read it
    assert _rows(db, "SELECT * FROM raw.lines ORDER BY _source_row") == fast_rows
    assert fast_rows[1][1:] == (2, 18446744073709551615, Decimal("-3.25"), 0.1, 'it\'s "q"\nzwei é',
                                _ts("2024-01-05 10:00:00.125"), _ts("2024-03-01 10:00:00"),
                                _ts("2024-01-05").date(), -128)
    assert _rows(db, "SELECT column_name, data_type FROM information_schema.columns WHERE table_name = 'lines'") \
        == fast_types
    assert (slow.sha256, slow.rows, slow.bytes) == (fast.sha256, fast.rows, fast.bytes)
