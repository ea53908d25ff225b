"""Sources read from PostgreSQL: the demo shop whose order lines and customers live in a real server builds
the same as from its files, row by row; incremental reads append only the new rows; the manifest keeps
what was read (rows, checksum, watermark) and never the password."""

from __future__ import annotations

import shutil
import textwrap
from pathlib import Path

import duckdb
import pytest
from conftest import run_cli, sha256
from postgres_server import PASSWORD, Server, postgres_server  # noqa: F401  (fixture)

import marketsql
from marketsql.engines.postgres import copy as pgcopy

ENV = "MSQL_TEST_SHOP_DSN"


def _to_postgres(database: Path, server: Server, schema: str, tables: dict[str, str]) -> None:
    """Copy raw tables of a built DuckDB project into PostgreSQL; ``_source_row`` becomes column ``line_no``."""
    duck = duckdb.connect(str(database), read_only=True)
    with server.admin() as pg, pg.cursor() as cur:
        cur.execute(f'CREATE SCHEMA "{schema}"')
        for raw, name in tables.items():
            duck.execute(f"CREATE TEMP VIEW {name}_v AS SELECT _source_row AS line_no, * EXCLUDE (_source_row)"
                         f" FROM raw.{raw}")
            cols = pgcopy.columns(duck, "main", f"{name}_v") or pgcopy.columns(duck, "temp", f"{name}_v")
            cur.execute(pgcopy.create_table_sql(schema, name, cols))
            pgcopy.copy_rows(duck, f"{name}_v", cur, schema, name, cols)
    duck.close()


def _point_at_postgres(root: Path, schema: str) -> None:
    """Rewrite the project config: order lines from a table, customers from a query."""
    text = (root / "marketsql.toml").read_text(encoding="utf-8")
    head, _, rest = text.partition("[sources.order_lines]")
    rest = rest.split("[sources.products]", 1)[1]
    blocks = rest.split("[sources.customers]")
    customers_tail = blocks[1].split("[sources.marketing_spend]", 1)[1]
    (root / "marketsql.toml").write_text(head + textwrap.dedent(f"""\
        [sources.order_lines]
        postgres = "${ENV}"
        table = "{schema}.order_lines"
        key = "line_no"
        columns = {{ order_id = "VARCHAR", order_ts = "TIMESTAMP", customer_id = "VARCHAR", product_id = "VARCHAR", \
quantity = "INTEGER", unit_price = "DOUBLE", sales_channel = "VARCHAR" }}

        [sources.products]""") + blocks[0] + textwrap.dedent(f"""\
        [sources.customers]
        postgres = "${ENV}"
        query = "SELECT * FROM {schema}.customers WHERE customer_id IS NOT NULL"
        key = ["line_no"]

        [sources.marketing_spend]""") + customers_tail, encoding="utf-8")


@pytest.fixture(scope="module")
def shop_pair(small_shop: Path, tmp_path_factory, postgres_server: Server):  # noqa: F811
    """The small demo shop from its files, and a copy whose order lines and customers are read from PostgreSQL."""
    folder = tmp_path_factory.mktemp("dbsource")
    files = Path(shutil.copytree(small_shop, folder / "files"))
    marketsql.Project.load(files).build()
    _to_postgres(files / "marketsql.duckdb", postgres_server, "shop", {"order_lines": "order_lines",
                                                                       "customers": "customers"})
    from_pg = Path(shutil.copytree(files, folder / "pg"))
    _point_at_postgres(from_pg, "shop")
    return files, from_pg


def _rows(database: Path, sql: str) -> list[tuple[object, ...]]:
    with duckdb.connect(str(database), read_only=True) as con:
        return con.execute(sql).fetchall()


def _rounded(rows: list[tuple[object, ...]]) -> list[tuple[object, ...]]:
    """Doubles to 9 decimals: DuckDB's parallel sums may differ in the last bit from build to build."""
    return [tuple(round(v, 9) if isinstance(v, float) else v for v in row) for row in rows]


@pytest.mark.slow
def test_demo_from_postgres_equals_the_files_build(shop_pair, postgres_server: Server, monkeypatch):  # noqa: F811
    files, from_pg = shop_pair
    monkeypatch.setenv(ENV, postgres_server.dsn())
    result = run_cli("build", "-p", str(from_pg))
    assert result.returncode == 0, result.stderr
    assert PASSWORD not in result.stdout + result.stderr
    assert f"rows from postgres: ${ENV} table shop.order_lines" in result.stdout
    a, b = files / "marketsql.duckdb", from_pg / "marketsql.duckdb"
    raw = "SELECT * EXCLUDE (line_no) FROM raw.{} ORDER BY _source_row"
    assert _rows(b, raw.format("order_lines")) == _rows(a, "SELECT * FROM raw.order_lines ORDER BY _source_row")
    # customers come ordered by their line number, but through a query: the same rows, the same _source_row
    assert _rows(b, raw.format("customers")) == _rows(a, "SELECT * FROM raw.customers ORDER BY _source_row")
    for view in ("stg_order_lines", "quarantine_order_lines", "customer_features", "customer_segments",
                 "customer_value", "data_quality"):
        columns = [r[0] for r in _rows(b, f"DESCRIBE {view}")]
        extra = " EXCLUDE (line_no)" if "line_no" in columns else ""  # raw columns pass through quarantine
        assert _rounded(_rows(b, f"SELECT *{extra} FROM {view} ORDER BY ALL")) == _rounded(
            _rows(a, f"SELECT * FROM {view} ORDER BY ALL")), view
    sources = dict(_rows(b, "SELECT source, files FROM meta.build_sources WHERE build_id ="
                            " (SELECT max(build_id) FROM meta.builds)"))
    assert sources["order_lines"] == [f"postgres: ${ENV}", "table shop.order_lines"]
    state = _rows(b, "SELECT source, rows, length(sha256) FROM meta.source_state ORDER BY 1")
    lines = _rows(a, "SELECT count(*) FROM raw.order_lines")[0][0]
    assert state == [("customers", 800, 64), ("order_lines", lines, 64)]


def test_same_data_same_checksum_and_a_changed_row_changes_it(shop_pair, postgres_server: Server,  # noqa: F811
                                                             monkeypatch):
    _, from_pg = shop_pair
    monkeypatch.setenv(ENV, postgres_server.dsn())
    project = marketsql.Project.load(from_pg)
    first = {s.name: s.sha256 for s in project.build().sources}
    second = {s.name: s.sha256 for s in project.build().sources}
    assert first["order_lines"] == second["order_lines"]
    with postgres_server.admin() as pg:
        pg.execute("UPDATE shop.customers SET country = 'Atlantis' WHERE line_no = 1")
    try:
        third = {s.name: s.sha256 for s in project.build().sources}
    finally:
        with postgres_server.admin() as pg:
            pg.execute("UPDATE shop.customers SET country = (SELECT country FROM shop.customers WHERE line_no = 2)"
                       " WHERE line_no = 1")
    assert third["customers"] != second["customers"] and third["order_lines"] == second["order_lines"]


INCREMENTAL = {
    "marketsql.toml": """\
        database = "project.duckdb"
        [sources.orders]
        postgres = "postgresql://postgres:${MSQL_TEST_PASSWORD}@127.0.0.1:${MSQL_TEST_PORT}/postgres"
        table = "inc.orders"
        key = "order_id"
        incremental = "updated_at"
        columns = { order_id = "VARCHAR", customer_id = "VARCHAR", quantity = "INTEGER", unit_price = "DOUBLE" }
        """,
    "sql/order_revenue.sql": "SELECT order_id, customer_id, quantity * unit_price AS revenue FROM raw.orders\n",
}


@pytest.fixture
def incremental(write_project, postgres_server: Server, monkeypatch):  # noqa: F811
    with postgres_server.admin() as pg:
        pg.execute("DROP SCHEMA IF EXISTS inc CASCADE")
        pg.execute("CREATE SCHEMA inc")
        pg.execute("CREATE TABLE inc.orders (order_id text, customer_id int, quantity int, unit_price numeric(10,2),"
                   " note text, updated_at timestamptz)")
        pg.execute("INSERT INTO inc.orders VALUES ('O2', 1, 2, 10.5, '', '2024-01-05 10:00+01'),"
                   " ('O1', 2, 1, 3.25, NULL, '2024-01-06 10:00+00'),"
                   " ('O3', 1, 1, 7, E'it''s, \"q\"\\nline 2', '2024-01-07')")
    monkeypatch.setenv("MSQL_TEST_PASSWORD", PASSWORD)
    monkeypatch.setenv("MSQL_TEST_PORT", str(postgres_server.port))
    return marketsql.Project.load(write_project(INCREMENTAL, base=None))


def test_incremental_appends_only_new_rows(incremental, postgres_server: Server):  # noqa: F811
    project = incremental
    project.build()
    database = project.config.database
    first = _rows(database, "SELECT * FROM raw.orders ORDER BY _source_row")
    assert [r[:2] for r in first] == [(1, "O1"), (2, "O2"), (3, "O3")]  # by key
    assert first[1][5] == "" and first[0][5] is None and first[2][5] == 'it\'s, "q"\nline 2'  # '' and NULL kept apart
    with postgres_server.admin() as pg:
        pg.execute("INSERT INTO inc.orders VALUES ('O0', 3, 5, 1, 'new', '2024-02-01'),"
                   " ('O1', 2, 9, 3.25, 'changed', '2024-02-02'), ('O9', 4, 1, 1, 'old', '2024-01-01')")
    result = project.build()
    rows = _rows(database, "SELECT _source_row, order_id, quantity FROM raw.orders ORDER BY _source_row")
    # the old rows as they were; then the rows past the watermark (2024-01-07), by key; O9 is older: not read
    assert rows == [(1, "O1", 1), (2, "O2", 2), (3, "O3", 1), (4, "O0", 5), (5, "O1", 9)]
    state = _rows(database, "SELECT watermark, rows FROM meta.source_state ORDER BY build_id")
    assert state == [("2024-01-07 00:00:00+00", 3), ("2024-02-02 00:00:00+00", 5)]
    assert result.sources[0].rows == 5 and result.notes == []
    again = project.build()  # nothing new: the same rows, the same chained checksum
    assert _rows(database, "SELECT count(*) FROM raw.orders") == [(5,)]
    assert again.sources[0].sha256 == result.sources[0].sha256


def test_incremental_reads_whole_when_the_source_changes(incremental, postgres_server: Server):  # noqa: F811
    project = incremental
    project.build()
    toml = project.root / "marketsql.toml"
    toml.write_text(toml.read_text().replace('table = "inc.orders"',
                                             'query = "SELECT * FROM inc.orders WHERE quantity < 2"'))
    result = marketsql.Project.load(project.root).build()
    assert [r[0] for r in _rows(project.config.database, "SELECT order_id FROM raw.orders ORDER BY 1")] == ["O1", "O3"]
    assert any("changed — read whole" in n for n in result.notes)
    with postgres_server.admin() as pg:
        pg.execute("ALTER TABLE inc.orders ADD COLUMN channel text DEFAULT 'web'")
        pg.execute("INSERT INTO inc.orders VALUES ('O4', 1, 1, 1, 'x', '2024-03-01', 'shop')")
    result = marketsql.Project.load(project.root).build()
    assert any("columns changed" in n for n in result.notes)
    assert _rows(project.config.database, "SELECT order_id, channel FROM raw.orders ORDER BY _source_row") == [
        ("O1", "web"), ("O3", "web"), ("O4", "shop")]


def test_a_failed_read_keeps_the_previous_database(incremental, postgres_server: Server):  # noqa: F811
    project = incremental
    project.build()
    before = sha256(project.config.database)
    with postgres_server.admin() as pg:
        pg.execute("INSERT INTO inc.orders VALUES ('O5', 1, 1, 1, 'x', '2024-03-01')")
        pg.execute("ALTER TABLE inc.orders RENAME TO orders_gone")
    try:
        result = run_cli("build", "-p", str(project.root))
    finally:
        with postgres_server.admin() as pg:
            pg.execute("ALTER TABLE inc.orders_gone RENAME TO orders")
    assert result.returncode == 1
    assert result.stderr.startswith("Error: source orders: PostgreSQL refused to read the table inc.orders:")
    assert 'relation "inc.orders" does not exist' in result.stderr and "Traceback" not in result.stderr
    assert PASSWORD not in result.stderr + result.stdout
    assert sha256(project.config.database) == before
