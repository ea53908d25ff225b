"""Hostile: every model kind trained on data it cannot learn from — too few customers, one product, one
month, all-NULL features, no purchases, constant values. Each fails with one ModelError line saying what to
change, before TensorFlow or scikit-learn is imported, and registers nothing; or it trains, where the data
is enough for that kind. One table over marketsql.models.KINDS: a new kind without a row fails the test."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import duckdb
import pytest

import marketsql
from marketsql.demo.generate import generate_demo_data
from marketsql.errors import ModelError
from marketsql.models import KINDS
from marketsql.models.registry import Registry

CUSTOMERS = 50  # the demo generator's smallest business that every kind can learn from
ORDERS = "order_lines/part-00000.parquet"
BEST_CUSTOMERS = "SELECT customer_id FROM O GROUP BY 1 ORDER BY count(*) DESC, 1 LIMIT 3"
BEST_PRODUCT = "SELECT product_id FROM O GROUP BY 1 ORDER BY count(*) DESC, 1 LIMIT 1"

# dataset -> {demo file: the query (over O, P, C, M: orders, products, customers, spend) that replaces it}
DATASETS: dict[str, dict[str, str]] = {
    "three_customers": {
        ORDERS: f"SELECT * FROM O WHERE customer_id IN ({BEST_CUSTOMERS})",
        "customers.parquet": f"SELECT * FROM C WHERE customer_id IN ({BEST_CUSTOMERS})",
    },
    "one_product": {
        ORDERS: f"SELECT * FROM O WHERE product_id = ({BEST_PRODUCT})",
        "products.parquet": f"SELECT * FROM P WHERE product_id = ({BEST_PRODUCT})",
    },
    "one_month": {
        ORDERS: "SELECT * FROM O WHERE order_ts >= '2024-11-01' AND order_ts < '2024-12-01'",
        "marketing_spend.parquet": "SELECT * FROM M WHERE date >= '2024-11-01' AND date < '2024-12-01'",
    },
    "no_purchases": {ORDERS: "SELECT * REPLACE (NULL::VARCHAR AS customer_id) FROM O"},
    "all_null_features": {
        ORDERS: "SELECT * REPLACE (NULL::DOUBLE AS unit_price) FROM O",
        "products.parquet": "SELECT * REPLACE (NULL::DATE AS release_date, NULL::DOUBLE AS screen_inches,"
        " NULL::INTEGER AS storage_gb, NULL::INTEGER AS ram_gb, NULL::DOUBLE AS camera_mp,"
        " NULL::INTEGER AS battery_mah, NULL::BOOLEAN AS has_5g) FROM P",
        "marketing_spend.parquet": "SELECT * REPLACE (NULL::DOUBLE AS spend) FROM M",
    },
    "constant_values": {
        ORDERS: "SELECT * REPLACE (1 AS quantity, 10.0 AS unit_price) FROM O",
        "products.parquet": "SELECT * REPLACE (6.1 AS screen_inches, 128 AS storage_gb, 8 AS ram_gb,"
        " 12.0 AS camera_mp, 4000 AS battery_mah, true AS has_5g) FROM P",
        "marketing_spend.parquet": "SELECT * REPLACE (CASE WHEN day(date) = 1 THEN 1000.0 ELSE 0 END AS spend) FROM M",
    },
}

SEGMENTS = ("segmentation needs at least 50 customers with purchases before analysis_date; customer_features has {}"
            " — load more order lines (more customers or a longer period) and build")
MONTHS = ("too little history to forecast: {} complete month(s) of sales, need at least 7 (6 to fit + 1 to test)"
          " — load more months of order lines and build")
RECOMMEND = ("recommendation needs at least 10 customers with purchases before the cutoff {} (--holdout-days 30"
             " before analysis_date); this data has {} — load more order lines (or lower --holdout-days) and build")
NO_PURCHASES = ("analysis_date is empty: stg_order_lines has no purchases — load order lines with a customer,"
                " a positive quantity and price, and build")
FLAT_PHONES = ("positioning needs at least 2 attributes that differ between the products of 'Phones';"
               " stg_product_attributes has 0 (none) — load products with their attributes (screen size, storage …)"
               " filled in, and build")
CLV_EMPTY = ("no purchases before the analysis date (stg_order_lines is empty) — load order lines and run"
             " `marketsql build`")
FEW_REPEAT = ("--target repeat: only 7 customer(s) bought it in the fit horizon — need at least 10 buyers and 10"
              " non-buyers: give a longer --horizon-days, more customers or another target")
UPLIFT_SMALL = ("treatment 'email' has 33 customer(s) in campaign_customers, need at least 100 — load the whole"
                " campaign")
TRAINS = None  # the data is enough for this kind: it trains and registers one version

# kind -> dataset -> the exact error line, or TRAINS
EXPECTED: dict[str, dict[str, str | None]] = {
    "segmentation": {
        "three_customers": SEGMENTS.format(3),
        "one_product": SEGMENTS.format(11),
        "one_month": SEGMENTS.format(15),
        "no_purchases": SEGMENTS.format(0),
        "all_null_features": SEGMENTS.format(0),
        "constant_values": TRAINS,
    },
    "forecast": {
        "three_customers": TRAINS,
        "one_product": TRAINS,
        "one_month": MONTHS.format(1),
        "no_purchases": MONTHS.format(0),
        "all_null_features": MONTHS.format(0),
        "constant_values": TRAINS,
    },
    "budget": {
        "three_customers": "the budget model needs at least 10 new customers attributed to a channel before the"
        " holdout; channel_month has 0 — load more order lines and customers with their acquisition channel,"
        " and build",
        "one_product": TRAINS,  # spend and acquisitions do not depend on the catalogue
        "one_month": "too little history for the budget model: 1 complete month(s) of spend, need 12 (6 to fit +"
        " 6 to test) — load more months of marketing_spend or lower --holdout",
        "no_purchases": TRAINS,  # customers' acquisition channels are there without purchases
        "all_null_features": "channel_month is empty: the budget model needs marketing spend by channel"
        " (stg_marketing_spend) and customers' acquisition channel (stg_acquisitions)",
        "constant_values": "no channel can be modelled ({}) — load marketing_spend with spend per channel that"
        " varies from month to month",
    },
    "positioning": {
        "three_customers": TRAINS,  # a map of the products: customers do not matter
        "one_product": "position_products holds 0 categories (none) — load products with attributes in"
        " stg_product_attributes, or choose one with category=",
        "one_month": TRAINS,
        "no_purchases": TRAINS,
        "all_null_features": FLAT_PHONES,
        "constant_values": FLAT_PHONES,
    },
    "recommendation": {
        "three_customers": "recommendation needs purchases by at least 10 customers; this data has 3 in all — load"
        " more order lines (with customer ids) and build",
        "one_product": "recommendation chooses between products, and this data has 1 product(s) bought in all —"
        " load order lines for at least 2 products (the whole catalogue's sales, not one product's) and build",
        "one_month": RECOMMEND.format("2024-11-01", 0),
        "no_purchases": NO_PURCHASES,
        "all_null_features": NO_PURCHASES,
        "constant_values": TRAINS,
    },
    "clv": {
        "three_customers": "only 3 customer(s) of 3 bought again in the calibration period to 2024-06-26 — need at"
        " least 10: give a longer period (--calibration-end) or more customers",
        "one_product": "only 2 customer(s) of 10 bought again in the calibration period to 2024-06-23 — need at"
        " least 10: give a longer period (--calibration-end) or more customers",
        "one_month": "calibration end 2024-11-23 leaves 21 day(s) to calibrate (purchases run from 2024-11-02 to"
        " 2024-11-30) — the period is too short for a holdout: give at least 35 days of purchases, or a later"
        " --calibration-end",
        "no_purchases": CLV_EMPTY,
        "all_null_features": CLV_EMPTY,
        # 50 customers who buy again at one price: every repeat purchase day is worth a multiple of 10, and on the
        # demo's BG/NBD purchases Gamma-Gamma's spend heterogeneity runs off (it converged on the earlier demo data,
        # and before the upgrade cycle BG/NBD's dropout did not): one line, nothing registered
        "constant_values": "Gamma-Gamma did not converge (Maximum number of iterations has been exceeded.) — check"
        " the data (see clv_summary), or give a longer calibration period with --calibration-end",
    },
    "propensity": {
        "three_customers": FEW_REPEAT,
        "one_product": "--target repeat: no customer bought it in the fit horizon — need at least 10 buyers and 10"
        " non-buyers: give a longer --horizon-days, more customers or another target",
        "one_month": "--horizon-days 30 is too long for 29 days of purchases (2024-11-02 … 2024-11-30): training"
        " needs four horizons (history, fit, validation, evaluation) — give at most 7 days",
        "no_purchases": "no purchases in stg_order_lines — load order lines and run `marketsql build`",
        "all_null_features": "no purchases in stg_order_lines — load order lines and run `marketsql build`",
        "constant_values": TRAINS,  # 50 customers who buy again: quantities and prices do not matter to it
    },
    # the planted campaign has one row per customer, purchases or not: 50 customers are too few in every case
    "uplift": {name: UPLIFT_SMALL for name in DATASETS},
}
FLAT_SPEND = ("the same spend (1,000.00) in every month before the holdout: a response curve needs months with"
              " different spend")
CHANNELS = ("affiliate", "email", "search", "social", "tv")
EXPECTED["budget"]["constant_values"] = str(EXPECTED["budget"]["constant_values"]).format(
    "; ".join(f"{channel}: {FLAT_SPEND}" for channel in CHANNELS))
HEAVY = ("keras", "sklearn", "statsmodels", "tensorflow")


@pytest.fixture(scope="module")
def bad_project(tmp_path_factory: pytest.TempPathFactory) -> Callable[[str], Path]:
    """A built project of the demo data changed as DATASETS[name] says; made once per dataset."""
    folder = tmp_path_factory.mktemp("bad_models")
    base = folder / "base"
    generate_demo_data(base, customers=CUSTOMERS, seed=7)
    made: dict[str, Path] = {}

    def make(name: str) -> Path:
        if name not in made:
            root = folder / name
            marketsql.init(root)
            shutil.copytree(base, root / "data" / "demo")
            con = duckdb.connect()
            try:
                for alias, file in {"O": ORDERS, "P": "products.parquet", "C": "customers.parquet",
                                    "M": "marketing_spend.parquet"}.items():
                    con.execute(f"CREATE VIEW {alias} AS SELECT * FROM read_parquet('{base / file}')")
                for file, query in DATASETS[name].items():
                    con.execute(f"COPY ({query}) TO '{root / 'data' / 'demo' / file}' (FORMAT parquet)")
            finally:
                con.close()
            marketsql.Project.load(root).build()
            made[name] = root
        return made[name]

    return make


def versions(root: Path, kind: str) -> int:
    con = duckdb.connect(str(root / "marketsql.duckdb"), read_only=True)
    try:
        return len(Registry(con).list(kind))
    finally:
        con.close()


@pytest.mark.parametrize("dataset", sorted(DATASETS))
@pytest.mark.parametrize("kind", sorted(KINDS))
def test_every_kind_on_bad_data_says_what_to_change(bad_project, kind, dataset):
    assert kind in EXPECTED, f"model kind {kind!r} has no row in EXPECTED: add what it says on each bad dataset"
    expected = EXPECTED[kind][dataset]
    root = bad_project(dataset)
    project = marketsql.Project.load(root)
    if expected is TRAINS:
        project.train(kind, rebuild=False)
        assert versions(root, kind) == 1
        return
    with pytest.raises(ModelError) as caught:
        project.train(kind, rebuild=False)
    assert str(caught.value) == expected
    assert versions(root, kind) == 0


CHECK_IMPORTS = """\
import json, sys
import marketsql
from marketsql.errors import ModelError
failed = []
for root, kind in json.loads(sys.argv[1]):
    try:
        marketsql.Project.load(root).train(kind, rebuild=False)
    except ModelError:
        failed.append(kind)
print(json.dumps({"failed": len(failed), "heavy": sorted(m for m in HEAVY if m in sys.modules)}))
"""


def test_bad_data_fails_before_heavy_imports(bad_project):
    cells = [(str(bad_project(d)), k) for k in sorted(KINDS) for d in sorted(DATASETS) if EXPECTED[k][d] is not TRAINS]
    script = f"HEAVY = {HEAVY!r}\n{CHECK_IMPORTS}"
    command = [sys.executable, "-c", script, json.dumps(cells)]
    done = subprocess.run(command, capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout.strip().splitlines()[-1]) == {"failed": len(cells), "heavy": []}
