"""`marketsql demo` end to end: generate, build the standard pipeline, and recover what was planted."""

from __future__ import annotations

import json

import duckdb
import pytest
from conftest import DEMO_CUSTOMERS, DEMO_SEED, DEMO_TIMEOUT, duckdb_cli, run_cli, sha256

from marketsql.models.registry import Registry

CUSTOMERS = DEMO_CUSTOMERS


@pytest.fixture
def demo(demo_shop):
    return demo_shop.root, demo_shop.stdout


def test_demo_prints_the_accounting_and_builds_everything(demo):
    root, stdout = demo
    assert f"source customers: {CUSTOMERS:,} rows" in stdout
    assert "order_lines: " in stdout and " raw → " in stdout
    assert "revenue by category: Phones " in stdout
    assert "segments (segmentation v1, " in stdout and "of customers" in stdout
    assert "recommendations (recommendation v1, " in stdout and "  customer C" in stdout
    assert (root / "marketsql.duckdb").exists()
    assert (root / "sql" / "staging" / "dq_order_lines.sql").exists()


def test_cleaning_finds_exactly_the_planted_mess(demo):
    root, _ = demo
    truth = json.loads((root / "data" / "demo" / "truth" / "truth.json").read_text())
    planted = truth["dirty_counts"]
    con = duckdb.connect(str(root / "marketsql.duckdb"), read_only=True)
    try:
        reasons = dict(con.execute(
            "SELECT coalesce(reason, disposition), rows FROM data_quality").fetchall())
        raw = con.execute("SELECT count(*) FROM raw.order_lines").fetchall()[0][0]
        guest_returns = con.execute(
            "SELECT count(*) FROM raw.order_lines WHERE customer_id IS NULL AND order_id LIKE 'R%'").fetchall()[0][0]
        guest_free = con.execute(  # a guest line at price 0 is rejected for its missing customer first
            "SELECT count(*) FROM raw.order_lines WHERE customer_id IS NULL AND unit_price <= 0").fetchall()[0][0]
        guest_empty = con.execute(  # ... and so is a guest line of quantity 0
            "SELECT count(*) FROM raw.order_lines WHERE customer_id IS NULL AND quantity = 0").fetchall()[0][0]
    finally:
        con.close()
    assert sum(reasons.values()) == raw == truth["order_lines"]
    assert reasons["missing customer"] == planted["guest_lines"]
    assert reasons["non-positive price"] + guest_free == planted["zero_price_lines"]
    assert reasons["non-positive quantity"] + guest_empty == planted["zero_quantity_lines"]
    assert reasons["return"] + guest_returns == planted["return_lines"]
    assert 0 < reasons["exact duplicate"] <= planted["duplicate_lines"]


def test_features_separate_the_planted_groups(demo):
    root, _ = demo
    con = duckdb.connect(str(root / "marketsql.duckdb"), read_only=True)
    try:
        con.execute(f"CREATE TEMP VIEW truth AS SELECT * FROM '{root}/data/demo/truth/customer_groups.parquet'")
        by_group = {
            name: (frequency, monetary, recency)
            for name, frequency, monetary, recency in con.execute(
                """SELECT t.group_name, median(f.frequency), median(f.monetary), median(f.recency_days)
                   FROM customer_features f JOIN truth t USING (customer_id) GROUP BY 1"""
            ).fetchall()
        }
        covered = con.execute("SELECT count(*) FROM customer_features").fetchall()[0][0]
        customers = con.execute("SELECT count(*) FROM stg_customers").fetchall()[0][0]
    finally:
        con.close()
    assert customers == CUSTOMERS and 0.9 * CUSTOMERS < covered <= CUSTOMERS
    assert by_group["One-time buyers"][0] == 1
    assert by_group["Accessory regulars"][0] > by_group["Premium loyalists"][0] > by_group["Bargain hunters"][0]
    assert by_group["Premium loyalists"][1] > 3 * by_group["Bargain hunters"][1]
    assert by_group["Lapsed"][2] > 2 * by_group["Premium loyalists"][2]


def test_demo_database_opens_in_duckdb_cli(demo):
    root, _ = demo
    cli = duckdb_cli(root / "marketsql.duckdb", "SELECT count(*) > 0 AS ok FROM monthly_sales_category;"
                     " SELECT count(*) AS n FROM meta.builds;")
    assert cli.returncode == 0, cli.stderr
    assert cli.stdout.split() == ["ok", "true", "n", "3"]  # the build, and the rebuilds after each training


def test_demo_rerun_reuses_the_generated_data(demo_copy):
    root = demo_copy
    parts = sorted((root / "data" / "demo" / "order_lines").glob("*.parquet"))
    stamps = [p.stat().st_mtime_ns for p in parts]
    again = run_cli("demo", str(root), "--customers", str(CUSTOMERS), "--seed", str(DEMO_SEED), timeout=DEMO_TIMEOUT)
    assert again.returncode == 0, again.stderr
    assert "(build 4)" in again.stdout and "training" not in again.stderr
    assert [p.stat().st_mtime_ns for p in parts] == stamps


def test_demo_refuses_a_folder_that_is_not_a_project(tmp_path):
    (tmp_path / "notes.txt").write_text("mine")
    result = run_cli("demo", str(tmp_path), "--customers", "10")
    assert result.returncode == 1
    assert result.stderr.startswith(f"Error: {tmp_path} is neither a marketsql project nor empty")


def test_models_lists_the_trained_segmentation(demo):
    root, _ = demo
    listed = run_cli("models", "-p", str(root))
    assert listed.returncode == 0, listed.stderr
    row = next(line for line in listed.stdout.splitlines() if "segmentation" in line)
    assert row.split()[:3] == ["segmentation", "v1", "active"] and "silhouette 0." in row


def test_train_without_customer_features_is_one_clear_line(write_project):
    root = write_project()
    assert run_cli("build", "-p", str(root)).returncode == 0
    result = run_cli("train", "segmentation", "-p", str(root))
    assert result.returncode == 1
    assert result.stderr == (
        "Error: no customer_features view in this database — run `marketsql build` first\n"
    )
    unknown = run_cli("train", "churn", "-p", str(root))
    assert unknown.returncode == 1
    assert unknown.stderr == ("Error: unknown model 'churn' — known models: budget, clv, forecast,"
                              " positioning, propensity, recommendation, segmentation, uplift\n")


def test_trends_show_the_planted_growth(demo):
    root, _ = demo
    truth = json.loads((root / "data" / "demo" / "truth" / "truth.json").read_text())
    assert truth["seasonality"] and truth["trends"]
    con = duckdb.connect(str(root / "marketsql.duckdb"), read_only=True)
    try:
        years = dict(con.execute(
            "SELECT year(month), sum(orders) FROM sales_by_month WHERE dimension = 'total' GROUP BY 1").fetchall())
        yoy = con.execute("SELECT count(yoy_growth) FROM sales_by_month WHERE dimension = 'total'").fetchall()[0][0]
    finally:
        con.close()
    assert years[2024] > 1.05 * years[2023]  # ORDER_GROWTH_PER_YEAR planted in marketsql/demo/calendar.py
    assert yoy == 12


def test_association_rules_find_the_planted_bundles_and_no_other_strong_rule(demo):
    root, _ = demo
    truth = json.loads((root / "data" / "demo" / "truth" / "truth.json").read_text())
    con = duckdb.connect(str(root / "marketsql.duckdb"), read_only=True)
    try:
        names = dict(con.execute("SELECT product_id, product_name FROM stg_products").fetchall())
        ids = {name: product for product, name in names.items()}
        strong = con.execute("SELECT antecedent, consequent FROM association_rules WHERE lift > 5").fetchall()
        planted = {frozenset((b["antecedent"], b["consequent"])) for b in truth["bundles"]}
        assert strong, "no planted bundle was found"
        assert all(frozenset((names[a], names[c])) in planted for a, c in strong), strong
        for bundle in truth["bundles"]:  # the chance shows in the baskets, counted here independently
            with_a, with_both = con.execute(
                "SELECT count(*), count(*) FILTER (WHERE has_b) FROM (SELECT basket_id, bool_or(item = ?) AS has_a,"
                " bool_or(item = ?) AS has_b FROM basket_lines GROUP BY 1) WHERE has_a",
                [ids[bundle["antecedent"]], ids[bundle["consequent"]]]).fetchall()[0]
            chance, seen = bundle["chance"], with_both / with_a
            margin = 3 * (chance * (1 - chance) / with_a) ** 0.5  # three binomial standard deviations
            assert with_a >= 10 and chance - margin < seen < chance + margin + 0.05, (bundle, with_a, with_both)
    finally:
        con.close()


def test_a_model_stored_by_another_version_is_one_clear_line_and_nothing_changes(demo_copy):
    database = demo_copy / "marketsql.duckdb"
    con = duckdb.connect(str(database))
    registry = Registry(con)  # what an old version left: params this version cannot read, with a valid checksum
    old = registry.active("segmentation")
    registry.register("segmentation", old.kind, {}, old.features, old.metrics, registry.arrays(old),
                      old.data_fingerprint)
    con.close()
    before = sha256(database)
    result = run_cli("build", "-p", str(demo_copy))
    assert result.returncode == 1
    assert result.stderr.startswith("Error: segmentation v2 was stored by another marketsql version (KeyError: ")
    assert result.stderr.rstrip().endswith("— train it again: `marketsql train segmentation`")
    assert len(result.stderr.splitlines()) == 1
    assert sha256(database) == before
