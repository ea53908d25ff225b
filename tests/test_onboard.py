"""`marketsql init DIR --from FILE`: files in odd shapes and every shipped dataset with transactions or a
catalogue, each built without editing a file; optional contracts and periods (grain)."""

from __future__ import annotations

from pathlib import Path

import pytest

import marketsql
from tests.conftest import DATA
from tests.hostile.clirun import invoke

WHITESPACE = "  CustNo    Date   Units   Amount\n   101  2023-01-05   2   19.90\n   102  2023-01-06   1    5.00\n" \
             "   101  2023-02-11   3   30.10\n   103  2023-02-12   1   -5.00\n"


def init_and_build(tmp_path: Path, name: str, text: str | None, *args: str, source: Path | None = None):
    """Write the file (or use ``source``), run `init --from` then `build`; return (init output, build output, root)."""
    path = source or tmp_path / name
    if source is None:
        path.write_text(text, encoding="utf-8")
    root = tmp_path / "project"
    made = invoke("init", str(root), "--from", str(path), *args)
    assert made.code == 0, made.stderr
    built = invoke("build", "-p", str(root))
    assert built.code == 0, built.stderr
    return made.stdout, built.stdout, root


def rows(root: Path, sql: str) -> list[tuple]:
    con = marketsql.connect(root)
    try:
        return con.sql(sql).fetchall()
    finally:
        con.close()


def test_whitespace_separated_customer_date_units_amount(tmp_path):
    made, built, root = init_and_build(tmp_path, "log.txt", WHITESPACE)
    assert "log.txt: transactions, 4 columns (delim='whitespace', header=True)" in made
    assert "  customer      ← CustNo" in made and "  amount        ← Amount" in made
    assert "order_lines: 4 raw → 3 purchases, 1 returns, 0 quarantined" in built
    assert rows(root, "SELECT customer_id, quantity, unit_price, revenue FROM stg_order_lines ORDER BY 1, 2") == [
        ("101", 2.0, 19.90 / 2, pytest.approx(19.90)), ("101", 3.0, 30.10 / 3, pytest.approx(30.10)),
        ("102", 1.0, 5.0, 5.0)]
    assert "note: sales_by_month: the last month, 2023-02, is partial (daily data ending 2023-02-11)" in built


def test_no_header_semicolon_day_first_dates_decimal_comma_with_map(tmp_path):
    text = "101;05/01/2023;A1;2;9,95\n102;06/01/2023;B2;1;5,00\n101;13/02/2023;A1;3;9,95\n"
    made, built, root = init_and_build(tmp_path, "sales.csv", text, "--kind", "transactions", "--map",
                                       "customer_id=column0", "--map", "product=column2", "--map", "quantity=column3",
                                       "--map", "price=column4")
    assert "  date          ← column1 (%d/%m/%Y)" in made
    query = "SELECT customer_id, CAST(order_ts AS DATE)::VARCHAR, revenue FROM stg_order_lines ORDER BY 2"
    assert rows(root, query) == [("101", "2023-01-05", pytest.approx(19.9)), ("102", "2023-01-06", 5.0),
                                 ("101", "2023-02-13", pytest.approx(29.85))]


def test_monthly_series_dated_on_the_first_keeps_its_last_month(tmp_path):
    text = "month,sales\n2022-01-01,100\n2022-02-01,120\n2022-03-01,130\n2022-04-01,90\n"
    made, built, root = init_and_build(tmp_path, "monthly.csv", text)
    assert "monthly.csv: monthly" in made
    assert 'grain = "month"' in (root / "marketsql.toml").read_text()
    assert "partial" not in built
    assert rows(root, "SELECT strftime(month, '%Y-%m'), revenue, partial_month FROM sales_by_month"
                      " WHERE dimension = 'total' ORDER BY 1")[-1] == ("2022-04", 90.0, False)


def test_monthly_data_on_the_first_is_detected_without_a_declared_grain(tmp_path):
    text = "customer,date,amount\na,2022-01-01,10\nb,2022-02-01,12\na,2022-03-01,13\n"
    made, built, root = init_and_build(tmp_path, "m.csv", text)
    toml = root / "marketsql.toml"
    toml.write_text(toml.read_text().replace('grain = "month"', ""))  # the SQL detects it on its own
    assert invoke("build", "-p", str(root)).code == 0
    assert rows(root, "SELECT grain FROM order_grain") == [("month",)]
    assert rows(root, "SELECT bool_or(partial_month) FROM sales_by_month") == [(False,)]


def test_catalogue_without_sales_builds_and_says_it_has_no_sales(tmp_path):
    text = "sku,name,brand,price,storage_gb,has_5g\nA,Phone A,acme,199,64,no\nB,Phone B,acme,299,128,yes\n"
    made, built, root = init_and_build(tmp_path, "cat.csv", text)
    assert "cat.csv: catalogue" in made and "  attributes    ← storage_gb, has_5g" in made
    assert "skipped customer_segments: this data has no sales (stg_order_lines is empty)" in built
    assert "skipped budget_curves: this data has no spend (stg_marketing_spend is empty)" in built
    assert rows(root, "SELECT attribute, value FROM stg_product_attributes WHERE product_id = 'B' ORDER BY 1") == [
        ("has_5g", 1.0), ("storage_gb", 128.0)]
    assert rows(root, "SELECT count(*) FROM quarantine_order_lines") == [(0,)]


def test_python_init_from_file(tmp_path):
    (tmp_path / "log.txt").write_text(WHITESPACE, encoding="utf-8")
    project = marketsql.init(tmp_path / "p", from_file=tmp_path / "log.txt", columns={"customer": "CustNo"})
    assert project.onboarding.mapping.kind == "transactions"
    assert project.build().accounting()["order_lines"].startswith("4 raw → 3 purchases, 1 returns")


def test_nothing_outside_staging_reads_raw_sources():
    repo = Path(__file__).resolve().parents[1]
    for path in (repo / "sql").rglob("*.sql"):
        if path.parent.name != "staging":
            text = path.read_text().replace("raw.settings", "")
            assert "raw." not in text, path


SHIPPED = [("online_retail/online_retail.csv.gz", "transactions"),
           ("smartphones/smartphones_cleaned_v6.csv", "catalogue"),
           ("smartphones/amazon_cellphones_items_20191226_samsung_apple_subset.csv", "catalogue"),
           ("smartphones/best-selling-mobile-phones.csv", "catalogue"),
           ("smartphones/dxomark_phone_ratings.csv", "catalogue"),
           ("cellphones_recsys/cellphones_data.csv", "catalogue")]


@pytest.mark.slow
@pytest.mark.parametrize(("name", "kind"), SHIPPED)
def test_every_shipped_dataset_inits_and_builds_unedited(tmp_path, name, kind):
    made, built, root = init_and_build(tmp_path, name, None, source=DATA / name)
    assert f"{Path(name).name}: {kind}" in made
    if kind == "transactions":
        assert "order_lines: 541,909 raw → 392,690 purchases, 8,905 returns, 140,314 quarantined" in built
        assert "note: sales_by_month: the last month, 2011-12, is partial (daily data ending 2011-12-09)" in built
    else:
        products = rows(root, "SELECT count(*) FROM stg_products")[0][0]
        assert products == rows(root, "SELECT count(*) FROM raw.products")[0][0] > 0
