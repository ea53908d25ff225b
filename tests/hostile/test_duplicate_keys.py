"""A staging view keyed by product, customer or day × channel must hold one row per key: a product listed
twice would double its revenue downstream, so the build stops and names the key."""

from __future__ import annotations

import pytest
from conftest import REPO

import marketsql
from marketsql.errors import SqlError

PRODUCTS_SOURCE = """\
    database = "project.duckdb"
    [sources.products]
    path = "data/products.csv"
    columns = { product_id = "VARCHAR", product_name = "VARCHAR", category = "VARCHAR", brand = "VARCHAR", \
list_price = "DOUBLE", release_date = "DATE", screen_inches = "DOUBLE", storage_gb = "INTEGER", ram_gb = "INTEGER", \
camera_mp = "DOUBLE", battery_mah = "INTEGER", has_5g = "BOOLEAN" }
    """
PRODUCTS = ("product_id,product_name,category,brand,list_price,release_date,screen_inches,storage_gb,ram_gb,camera_mp,"
            "battery_mah,has_5g\n"
            "P1,One,Phones,acme,100.0,2024-01-01,6.1,128,8,48.0,4000,true\n"
            "P2,Two,Cases,acme,10.0,,,,,,,\n"
            "P1,One again,Phones,acme,120.0,2024-01-01,6.1,128,8,48.0,4000,true\n")


def build(write_project, files: dict[str, str]) -> None:
    config = {"marketsql.toml": 'database = "project.duckdb"\n'}
    marketsql.Project.load(write_project({**config, **files}, base=None)).build()


def test_product_listed_twice_in_the_raw_catalogue_fails_the_shipped_staging(write_project):
    files = {"marketsql.toml": PRODUCTS_SOURCE, "data/products.csv": PRODUCTS,
             "sql/stg_products.sql": (REPO / "sql" / "staging" / "stg_products.sql").read_text(encoding="utf-8")}
    with pytest.raises(SqlError) as caught:
        marketsql.Project.load(write_project(files, base=None)).build()
    assert str(caught.value) == (
        "sql/stg_products.sql: 1 value(s) of product_id are NULL or on more than one row (product_id 'P1' (2 rows))"
        " — the staging contract needs exactly one row per product_id: deduplicate (or drop NULL keys) in the SQL"
    )


@pytest.mark.parametrize(("view", "sql", "named"), [
    ("stg_customers",
     "SELECT * FROM (VALUES ('C1', 'UK'), ('C2', 'FR'), ('C1', 'DE'), ('C2', 'FR')) t(customer_id, country)",
     "2 value(s) of customer_id are NULL or on more than one row (customer_id 'C1' (2 rows),"
     " customer_id 'C2' (2 rows))"),
    ("stg_customers", "SELECT * FROM (VALUES ('C1', 'UK'), (NULL, 'FR')) t(customer_id, country)",
     "1 value(s) of customer_id are NULL or on more than one row (customer_id NULL (1 row))"),
    ("stg_marketing_spend", "SELECT DATE '2024-01-01' AS date, 'tv' AS channel, x AS spend FROM range(3) t(x)",
     "1 value(s) of date and channel are NULL or on more than one row (date 2024-01-01, channel 'tv' (3 rows))"),
    ("stg_product_attributes",
     "SELECT 'P1' AS product_id, 'ram_gb' AS attribute, x::DOUBLE AS value FROM range(2) t(x)",
     "1 value(s) of product_id and attribute are NULL or on more than one row (product_id 'P1', attribute 'ram_gb'"
     " (2 rows))"),
    ("stg_acquisitions", "SELECT 'C1' AS customer_id, x AS channel, DATE '2024-01-01' AS acquired_on"
     " FROM (VALUES ('tv'), ('search')) t(x)",
     "1 value(s) of customer_id are NULL or on more than one row (customer_id 'C1' (2 rows))"),
])
def test_duplicated_or_null_key_in_a_staging_view_fails_the_build(write_project, view, sql, named):
    with pytest.raises(SqlError) as caught:
        build(write_project, {f"sql/{view}.sql": sql})
    assert str(caught.value).startswith(f"sql/{view}.sql: {named} — the staging contract needs exactly one row per ")
