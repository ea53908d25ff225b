"""NaN, ±infinity and 1e309 are not amounts: the shipped staging quarantines or NULLs them, and the build
rejects a staging view that lets one through; a quarantined row always has a reason."""

from __future__ import annotations

import math

import pytest
from conftest import REPO

import marketsql
from marketsql.errors import SqlError

STANDARD = REPO / "sql"
RETAIL = REPO / "examples" / "online_retail" / "sql"
PHONES = REPO / "examples" / "smartphones" / "sql"

MONETARY = "SELECT customer_id, sum(revenue) AS monetary FROM stg_order_lines GROUP BY customer_id"


def shipped(*paths) -> dict[str, str]:
    """The shipped SQL files, as they are in the repository, for a test project."""
    return {f"sql/{p.name}": p.read_text(encoding="utf-8") for p in paths}


def build(write_project, files: dict[str, str]) -> marketsql.Project:
    project = marketsql.Project.load(write_project(files, base=None))
    project.build()
    return project


def rows(project: marketsql.Project, sql: str) -> list[tuple]:
    con = project.connect(read_only=True)
    try:
        return con.execute(sql).fetchall()
    finally:
        con.close()


@pytest.mark.parametrize("quantity_type", ["INTEGER", "DOUBLE"])
def test_standard_staging_quarantines_non_finite_prices_and_quantities(write_project, quantity_type):
    lines = ["O1,2024-01-05,C1,P1,2,10.0,web", "O2,2024-01-06,C1,P2,1,NaN,web", "O3,2024-01-07,C1,P3,1,inf,web",
             "O4,2024-01-08,C2,P1,1,-inf,web", "O5,2024-01-09,C2,P1,1,1e309,web", "O6,2024-01-09,C2,P2,3,5.0,web",
             "R7,2024-01-10,C2,P2,-1,-inf,web", "O8,2024-01-11,C1,P1,2,1e308,web"]
    if quantity_type == "DOUBLE":
        lines += ["O9,2024-01-12,C1,P1,NaN,10.0,web", "R10,2024-01-12,C1,P1,-inf,10.0,web"]
    files = {
        "marketsql.toml": f"""\
            database = "project.duckdb"
            [sources.order_lines]
            path = "data/order_lines.csv"
            columns = {{ order_id = "VARCHAR", order_ts = "TIMESTAMP", customer_id = "VARCHAR", \
product_id = "VARCHAR", quantity = "{quantity_type}", unit_price = "DOUBLE", sales_channel = "VARCHAR" }}
            """,
        "data/order_lines.csv": "order_id,order_ts,customer_id,product_id,quantity,unit_price,sales_channel\n"
        + "\n".join(lines) + "\n",
        **shipped(STANDARD / "staging" / "dq_order_lines.sql", STANDARD / "core" / "stg_order_lines.sql",
                  STANDARD / "core" / "stg_returns.sql"),
        "sql/monetary.sql": MONETARY,
    }
    project = build(write_project, files)
    reasons = dict(rows(project, "SELECT reason, count(*) FROM dq_order_lines WHERE reason IS NOT NULL GROUP BY 1"))
    expected = {"non-finite price": 5, "non-finite revenue": 1}  # 1e309 is inf; 2 x 1e308 overflows
    if quantity_type == "DOUBLE":
        expected["non-finite quantity"] = 2
    assert reasons == expected
    assert rows(project, "SELECT * FROM monetary ORDER BY 1") == [("C1", 20.0), ("C2", 15.0)]
    assert rows(project, "SELECT count(*) FROM stg_returns") == [(0,)]


def test_online_retail_staging_quarantines_non_finite_prices(write_project):
    header = "InvoiceNo,StockCode,Description,Quantity,InvoiceDate,UnitPrice,CustomerID,Country"
    lines = ["536365,A,Mug,6,2010-12-01 08:26:00,2.55,17850.0,UK",
             "536366,B,Cup,2,2010-12-01 08:28:00,NaN,17850.0,UK",
             "536367,C,Pen,1,2010-12-01 08:30:00,inf,17850.0,UK",
             "536368,C,Pen,1,2010-12-01 08:31:00,1e309,17850.0,UK",
             "C536369,A,Mug,-1,2010-12-01 08:32:00,-inf,17850.0,UK",
             "536370,A,Mug,NaN,2010-12-01 08:33:00,2.55,17850.0,UK",
             "536371,A,Mug,3,2010-12-01 08:34:00,1e308,17850.0,UK"]
    files = {
        "marketsql.toml": """\
            database = "project.duckdb"
            [sources.order_lines]
            path = "data/retail.csv"
            columns = { InvoiceNo = "VARCHAR", StockCode = "VARCHAR", Description = "VARCHAR", Quantity = "VARCHAR", \
InvoiceDate = "VARCHAR", UnitPrice = "VARCHAR", CustomerID = "VARCHAR", Country = "VARCHAR" }
            """,
        "data/retail.csv": header + "\n" + "\n".join(lines) + "\n",
        **shipped(RETAIL / "staging" / "dq_order_lines.sql", STANDARD / "core" / "stg_order_lines.sql"),
        "sql/monetary.sql": MONETARY,
    }
    project = build(write_project, files)
    reasons = rows(project, "SELECT _source_row, disposition, reason FROM dq_order_lines ORDER BY 1")
    assert reasons == [
        (1, "purchase", None), (2, "quarantine", "non-finite price"), (3, "quarantine", "non-finite price"),
        (4, "quarantine", "non-finite price"), (5, "quarantine", "non-finite price"),
        (6, "quarantine", "unparseable Quantity"), (7, "quarantine", "non-finite revenue"),
    ]
    assert rows(project, "SELECT * FROM monetary") == [("17850", 6 * 2.55)]


def test_standard_products_and_spend_drop_non_finite_values(write_project):
    files = {
        "marketsql.toml": """\
            database = "project.duckdb"
            [sources.products]
            path = "data/products.csv"
            columns = { product_id = "VARCHAR", product_name = "VARCHAR", category = "VARCHAR", brand = "VARCHAR", \
list_price = "DOUBLE", release_date = "DATE", screen_inches = "DOUBLE", storage_gb = "INTEGER", ram_gb = "INTEGER", \
camera_mp = "DOUBLE", battery_mah = "INTEGER", has_5g = "BOOLEAN" }
            [sources.marketing_spend]
            path = "data/spend.csv"
            columns = { date = "DATE", channel = "VARCHAR", spend = "DOUBLE" }
            """,
        "data/products.csv": "product_id,product_name,category,brand,list_price,release_date,screen_inches,storage_gb,"
        "ram_gb,camera_mp,battery_mah,has_5g\nP1,One,Phones,acme,NaN,2024-01-01,inf,128,8,NaN,4000,true\n"
        "P2,Two,Phones,acme,299.0,2024-01-01,6.1,256,8,48.0,4500,false\n",
        "data/spend.csv": "date,channel,spend\n2024-01-01,tv,100.0\n2024-01-02,tv,NaN\n2024-01-03,tv,inf\n"
        "2024-01-04,tv,\n2024-01-05,tv,50.0\n",
        **shipped(*(STANDARD / "staging" / f"{name}.sql" for name in
                    ("stg_products", "stg_product_attributes", "stg_marketing_spend"))),
    }
    project = build(write_project, files)
    assert rows(project, "SELECT product_id, unit_price, screen_inches, camera_mp FROM stg_products ORDER BY 1") == [
        ("P1", None, None, None), ("P2", 299.0, 6.1, 48.0)]
    values = rows(project, "SELECT value FROM stg_product_attributes WHERE value IS NOT NULL")
    assert len(values) == 6 + 4 and all(math.isfinite(v) for (v,) in values)
    assert rows(project, "SELECT sum(spend), count(*) FROM stg_marketing_spend") == [(150.0, 2)]


def test_smartphone_staging_drops_non_finite_prices_and_attributes(write_project):
    columns = ("brand_name,model,price,rating,has_5g,has_nfc,has_ir_blaster,processor_brand,num_cores,processor_speed,"
               "battery_capacity,fast_charging_available,fast_charging,ram_capacity,internal_memory,screen_size,"
               "refresh_rate,num_rear_cameras,num_front_cameras,os,primary_camera_rear,primary_camera_front,"
               "extended_memory_available,resolution_width,resolution_height")
    config = (REPO / "examples" / "smartphones" / "marketsql.toml").read_text(encoding="utf-8")
    source = config[config.index("[sources.phones]"):].replace(
        'path = "../../../shared/data/smartphones/smartphones_cleaned_v6.csv"', 'path = "data/phones.csv"')
    files = {
        "marketsql.toml": 'database = "project.duckdb"\n' + source,
        "data/phones.csv": columns + "\n"
        "acme,A1,NaN,inf,true,false,false,snap,8,NaN,5000,1,33,8,128,-inf,120,3,1,android,1e309,16.0,1,1080,2400\n"
        "acme,A2,19999,80,true,true,false,snap,8,2.4,5000,1,33,8,128,6.5,120,3,1,android,50.0,16.0,1,1080,2400\n",
        **shipped(PHONES / "staging" / "stg_products.sql", PHONES / "staging" / "stg_product_attributes.sql"),
    }
    project = build(write_project, files)
    assert rows(project, "SELECT product_id, unit_price, spec_score FROM stg_products ORDER BY 1") == [
        ("SP0001", None, None), ("SP0002", 19999.0, 80.0)]
    assert rows(project, "SELECT attribute FROM stg_product_attributes WHERE value IS NULL ORDER BY 1") == [
        ("camera_mp",), ("processor_ghz",), ("screen_size",)]


@pytest.mark.parametrize(("view", "sql", "message"), [
    ("stg_products", "SELECT 'P1' AS product_id, 'nan'::DOUBLE AS unit_price UNION ALL SELECT 'P2', 3.0",
     "sql/stg_products.sql: column unit_price holds 1 non-finite value(s) (NaN or ±infinity: product_id 'P1',"
     " unit_price nan) — quarantine those rows or make the value NULL in the SQL"),
    ("stg_marketing_spend", "SELECT DATE '2024-01-01' AS date, 'tv' AS channel, 'inf'::DOUBLE AS spend",
     "sql/stg_marketing_spend.sql: column spend holds 1 non-finite value(s) (NaN or ±infinity: date 2024-01-01,"
     " channel 'tv', spend inf) — quarantine those rows or make the value NULL in the SQL"),
    ("stg_order_lines", "SELECT 'O1' AS order_id, 'P1' AS product_id, 1 AS quantity, x AS unit_price, x AS revenue"
     " FROM (VALUES ('-inf'::DOUBLE), ('nan'::DOUBLE), (1.0)) AS t(x)",
     "sql/stg_order_lines.sql: column unit_price holds 2 non-finite value(s) (NaN or ±infinity: order_id 'O1',"
     " product_id 'P1', unit_price -inf; order_id 'O1', product_id 'P1', unit_price nan) — quarantine those rows"
     " or make the value NULL in the SQL"),
])
def test_a_staging_view_that_lets_a_non_finite_number_through_fails_the_build(write_project, view, sql, message):
    files = {"marketsql.toml": 'database = "project.duckdb"\n', f"sql/{view}.sql": sql}
    with pytest.raises(SqlError) as caught:
        build(write_project, files)
    assert str(caught.value) == message
