"""Hostile: a catalogue too small for some price candidates — 24 phones, one attribute the same for every phone,
prices set by the brand alone. Training still succeeds: gradient boosting is left out and says why, the constant
attribute is dropped and says so, the attribute models lose to the brand means on the holdout, and the brand-mean
baseline is what the SQL macro serves."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from conftest import DATA, REPO, run_cli

import marketsql

CSV = DATA / "smartphones" / "smartphones_cleaned_v6.csv"


@pytest.fixture(scope="module")
def tiny(tmp_path_factory) -> Path:
    root = tmp_path_factory.mktemp("tiny")
    phones = pd.read_csv(CSV)
    phones = pd.concat([phones[phones["brand_name"] == "samsung"].head(12),
                        phones[phones["brand_name"] == "xiaomi"].head(12)]).reset_index(drop=True)
    phones["refresh_rate"] = 120  # one attribute the same for every phone
    rng = np.random.default_rng(0)
    phones["price"] = np.where(phones["brand_name"] == "samsung", 30000, 15000) * rng.lognormal(0, 0.05, 24)
    phones["price"] = phones["price"].round()
    phones.to_csv(root / "phones.csv", index=False)
    example = REPO / "examples" / "smartphones"
    text = (example / "marketsql.toml").read_text(encoding="utf-8")
    text = text.replace('extends = "../.."', f'extends = "{example}"').replace(
        'database = "smartphones.duckdb"', 'database = "tiny.duckdb"').replace(
        "../../../shared/data/smartphones/smartphones_cleaned_v6.csv", str(root / "phones.csv"))
    (root / "project").mkdir()
    (root / "project" / "marketsql.toml").write_text(text, encoding="utf-8")
    assert run_cli("build", "-p", str(root / "project")).returncode == 0
    return root / "project"


def test_trains_with_the_baseline_and_says_why(tiny: Path):
    done = run_cli("train", "positioning", "-p", str(tiny))
    assert done.returncode == 0, done.stderr
    out = done.stdout
    assert "note: attribute refresh_rate_hz dropped: the same value (or none) for every product" in out
    assert "note: price candidate gbm left out: 18 training products: gradient boosting needs at least 40" in out
    assert "served brand_mean" in out and "the attribute models lose to the brand-mean baseline, so the baseline" \
        " is served" in out
    project = marketsql.Project.load(tiny)
    record = next(r for r in project.models() if r.name == "positioning" and r.status == "active")
    scored = {c["candidate"]: c["r2_price"] for c in record.metrics["price_candidates"] if "r2_price" in c}
    assert set(scored) == {"ridge", "loglog", "brand_mean"}
    assert max(scored, key=lambda k: scored[k]) == "brand_mean" == record.metrics["price_served"]
    # what SQL serves: each brand's mean log price (fitted on all 24 phones), whatever the attributes
    con = project.connect(read_only=True)
    try:
        got = con.execute("SELECT expected_price(storage_gb := 64, brand := 'samsung'),"
                          " expected_price(storage_gb := 512, brand := 'samsung'),"
                          " expected_price(brand := 'xiaomi') ").fetchall()[0]
        prices = con.execute("SELECT brand_key, price FROM position_products").df()
    finally:
        con.close()
    means = np.exp(np.log(prices["price"]).groupby(prices["brand_key"]).mean())
    assert got == pytest.approx((means["samsung"], means["samsung"], means["xiaomi"]), rel=1e-9)
