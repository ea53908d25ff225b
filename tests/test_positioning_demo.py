"""Positioning on the demo retailer (phones with sales and segmented customers): the sales drivers
recover the planted brand preference, the map carries the real sales, and a new phone's competitors
come with the segments that buy them — each checked against pandas on the built tables."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest

import marketsql
from marketsql.demo.generate import generate_demo_data
from marketsql.project import init

PHONE = {"brand": "Samsung", "price": 799, "screen_size": 6.5, "storage_gb": 256, "ram_gb": 8, "camera_mp": 50,
         "battery_mah": 4500, "has_5g": True}

BEFORE_SEGMENTATION = {}

@pytest.fixture(scope="module")
def demo(tmp_path_factory) -> marketsql.Project:
    project = init(tmp_path_factory.mktemp("posdemo") / "demo")
    generate_demo_data(project.root / "data" / "demo", customers=1_000, seed=7)
    project.build()
    project.train("positioning")
    BEFORE_SEGMENTATION["placement"] = project.position(PHONE)
    project.train("segmentation", k_min=4, k_max=4)
    return project

def query(project: marketsql.Project, sql: str) -> pd.DataFrame:
    con = project.connect(read_only=True)
    try:
        return con.execute(sql).df()
    finally:
        con.close()

def test_sales_drivers_recover_the_planted_brand_preference(demo):
    drivers = query(demo, "SELECT model, term, effect_pct FROM position_drivers WHERE term_type = 'brand'")
    sales = drivers[drivers["model"] == "sales"].set_index("term")["effect_pct"]
    # planted: Apple flagships are picked 1.4x as often as Samsung/Google ones, other brands' flagships 0.06x — so
    # Samsung's effect beats the other brands that make flagships (Motorola and Nokia make none: their effect is
    # their budget and mid-range phones', which the preference does not touch)
    tiers = json.loads((demo.root / "data" / "demo" / "truth" / "truth.json").read_text())["product_tiers"]
    brands = query(demo, "SELECT product_id, lower(brand) AS brand FROM stg_products WHERE category = 'Phones'")
    flagship_makers = set(brands[brands["product_id"].map(tiers) == "flagship"]["brand"])
    assert sales.idxmax() == "apple"
    others = sales[sorted(flagship_makers - {"apple", "samsung", "google"})]
    assert len(others) >= 3 and sales["apple"] > sales["samsung"] > others.max()
    quality = query(demo, "SELECT * FROM position_model_quality WHERE predictor = 'model'").set_index("model")
    assert set(quality.index) == {"price", "sales"} and quality["beats_brand_mean"].all()
    storage = query(demo, "SELECT effect_pct FROM position_drivers WHERE model = 'price' AND term = 'storage_gb'")
    assert storage["effect_pct"].iloc[0] > 0  # planted: each storage step of a model costs more

def test_map_carries_the_sales_of_product_features(demo):
    mapped = query(demo, "SELECT * FROM position_map").set_index("product_id")
    features = query(demo, "SELECT product_id, category, units, first_sold_ts FROM product_features").set_index(
        "product_id")
    phones = features[features["category"] == "Phones"]
    assert sorted(mapped.index) == sorted(phones.index) and len(mapped) > 100
    assert (mapped["units"] == phones.loc[mapped.index, "units"]).all()
    as_of = query(demo, "SELECT analysis_date FROM analysis_date").iloc[0, 0]
    months = (pd.Timestamp(as_of).normalize() - phones["first_sold_ts"].dt.normalize()).dt.days / 30.4375
    assert np.allclose(mapped["units_per_month"], (phones["units"] / months).loc[mapped.index], equal_nan=True)
    assert mapped["price_tier"].value_counts().to_dict().keys() == {"budget", "mid-range", "upper mid-range",
                                                                    "premium"}
    assert mapped[["x", "y", "expected_price", "expected_units_per_month"]].notna().all().all()

def test_segment_mix_matches_pandas(demo):
    mix = query(demo, "SELECT product_id, segment_name, buyers, share_of_buyers FROM product_segment_mix")
    lines = query(demo, "SELECT o.product_id, o.customer_id, s.segment_name FROM stg_order_lines AS o"
                        " JOIN customer_segments AS s USING (customer_id)")
    buyers = lines.groupby(["product_id", "segment_name"])["customer_id"].nunique().rename("expected")
    merged = mix.set_index(["product_id", "segment_name"]).join(buyers, how="outer")
    assert (merged["buyers"] == merged["expected"]).all()
    assert np.allclose(mix.groupby("product_id")["share_of_buyers"].sum(), 1.0)

def test_new_phone_gets_competitors_segments_and_expected_sales(demo):
    placement = demo.position(PHONE, k=5)
    ids = [c.product_id for c in placement.competitors]
    mix = query(demo, "SELECT product_id, segment_name, buyers FROM product_segment_mix")
    expected = mix[mix["product_id"].isin(ids)].groupby("segment_name")["buyers"].sum()
    assert placement.segments is not None
    assert {s.segment_name: s.buyers for s in placement.segments} == expected.to_dict()
    assert sum(s.share for s in placement.segments) == pytest.approx(1.0)
    con = demo.connect(read_only=True)
    try:
        args = ", ".join(f"{k} := {v!r}" for k, v in PHONE.items() if k not in ("brand", "price"))
        units, neighbours = con.execute(
            f"SELECT expected_units_per_month({args}, brand := 'Samsung', price := 799),"
            f" (SELECT list(product_id) FROM nearest_products({args}, brand := 'samsung', price := 799))"
        ).fetchall()[0]
    finally:
        con.close()
    assert placement.expected_units_per_month == pytest.approx(units, rel=1e-9)
    assert ids == list(neighbours)
    assert placement.price_gap == pytest.approx(799 / placement.expected_price - 1)
    assert all(c.units_per_month is not None and c.price_tier for c in placement.competitors)

def test_before_segmentation_the_placement_says_what_to_run(demo):
    early = BEFORE_SEGMENTATION["placement"]
    assert early.segments is None and early.expected_units_per_month is not None
    assert "segments unknown: no segmentation trained — run `marketsql train segmentation`" in early.notes
    assert [c.product_id for c in early.competitors] == [c.product_id for c in demo.position(PHONE).competitors]

def test_brand_summary_matches_pandas(demo):
    brands = query(demo, "SELECT * FROM position_brands").set_index("brand").sort_index()
    mapped = query(demo, "SELECT * FROM position_map")
    grouped = mapped.groupby("brand")
    assert (brands["products"] == grouped.size()).all()
    assert np.allclose(brands[["mean_x", "mean_y"]], grouped[["x", "y"]].mean())
    assert np.allclose(brands["median_price"], grouped["price"].median())
    assert np.allclose(brands["share_of_units"], grouped["units"].sum() / mapped["units"].sum())
    drivers = query(demo, "SELECT term, effect_pct FROM position_drivers WHERE model = 'sales' AND term_type = 'brand'")
    by_key = brands.rename(index=str.lower)
    assert np.allclose(by_key.loc[drivers["term"], "sales_effect_pct"], drivers["effect_pct"])

def test_help_lists_the_projects_attributes_and_short_names_place_the_same(demo):
    from tests.hostile.clirun import invoke

    ran = invoke("position", "--help", "-p", str(demo.root))
    assert ran.code == 0, ran.stderr
    for attribute in ("battery-mah", "camera-mp", "has-5g", "ram-gb", "screen-size", "storage-gb"):
        assert f"--{attribute}" in ran.stdout
    assert "--battery-mah (or --battery)" in ran.stdout and "--brand: " in ran.stdout
    short = {"brand": "Samsung", "price": 799, "screen": 6.5, "storage": 256, "ram": 8, "camera": 50,
             "battery": 4500, "5g": True}
    assert demo.position(short).expected_price == pytest.approx(demo.position(PHONE).expected_price, rel=1e-12)

def test_attribute_names_without_units_prefixes_and_ambiguity():
    from types import SimpleNamespace

    from marketsql.errors import ModelError
    from marketsql.models.positioning.place import attribute_key

    model = SimpleNamespace(attributes=["speed_mhz", "screen_inches", "has_nfc", "refresh_rate_hz", "num_cores",
                                        "rear_camera_mp", "front_camera_mp"])
    assert attribute_key("--speed", model) == "speed_mhz"  # the unit the old suffix list did not know
    assert attribute_key("screen", model) == "screen_inches"
    assert attribute_key("nfc", model) == "has_nfc"
    assert attribute_key("refresh", model) == "refresh_rate_hz"
    assert attribute_key("num-cores", model) == "num_cores"
    assert attribute_key("rear-camera", model) == "rear_camera_mp"
    assert attribute_key("weight", model) is None and attribute_key("camera", model) is None

    with pytest.raises(ModelError, match="ambiguous: it may mean"):
        attribute_key("num", SimpleNamespace(attributes=["num_cores", "num_sims"]))
