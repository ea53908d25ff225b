"""Words a marketer reads: segment descriptions from the profile, specific names, and the note when a
baseline beats the chosen segmentation (issue 14, item 5)."""

from __future__ import annotations

import re
from datetime import datetime

import numpy as np
import pandas as pd
import pytest

from marketsql.models.registry import ModelRecord
from marketsql.models.segmentation import FEATURES
from marketsql.models.segmentation.naming import MIDDLE_NAMES, describe, segment_name
from marketsql.models.segmentation.rfm import baseline_beats_model
from marketsql.models.segmentation.train import train_segmentation

GENERIC = ("average", "other", "typical", "mixed", "misc", "segment", "customers ")
"""Words that say nothing about what a segment does."""

OVERALL = {"recency_days": 120.0, "frequency": 4.0, "monetary": 1000.0, "tenure_days": 400.0,
           "avg_basket_value": 250.0, "return_rate": 0.02, "top_category_share": 0.5}


def is_generic(name: str) -> bool:
    """A name built from generic words only (e.g. "Average occasional")."""
    return any(word in f"{name.lower()} " for word in GENERIC)


def test_describe_says_frequency_recency_and_spend_against_the_average() -> None:
    loyal = {**OVERALL, "recency_days": 25.0, "frequency": 12.0, "monetary": 3_600.0, "avg_basket_value": 300.0}
    assert describe(loyal, OVERALL) == (
        "buys 3.0× as often as average (12.0 orders), last purchase 25 days ago (average 120),"
        " spends 300 per order (about average), 3,600 in all (3.6× average)"
    )
    once = {**OVERALL, "frequency": 1.0, "recency_days": 300.0, "monetary": 100.0, "avg_basket_value": 100.0,
            "tenure_days": 150.0, "return_rate": 0.1, "top_category_share": 0.97}
    assert describe(once, OVERALL) == (
        "bought once, last purchase 300 days ago (average 120), spends 100 per order (40% of average),"
        " 100 in all (10% of average), first purchase 150 days ago (average 400),"
        " returns 10% of what it buys (average 2%), 97% of spend in one category"
    )
    rare = {**OVERALL, "frequency": 2.0}
    assert describe(rare, OVERALL).startswith("buys less often than average (2.0 orders vs 4.0)")


def test_a_segment_near_average_is_named_after_what_sets_it_apart() -> None:
    assert segment_name(0.1, 0.2, 0.0, 0.1, 0.0) == "Steady repeat buyers"
    assert segment_name(0.1, 0.2, 0.0, 0.1, 0.0, others={"return_rate": 1.4}) == "Frequent returners"
    assert segment_name(-0.3, 0.1, 0.0, 0.1, 0.0, others={"distinct_categories": 0.2}) == "Recently active occasionals"
    assert {feature for feature, _ in MIDDLE_NAMES} == set(FEATURES)
    assert not [name for name in MIDDLE_NAMES.values() if is_generic(name)]
    assert len(set(MIDDLE_NAMES.values())) == len(MIDDLE_NAMES)


def test_baseline_beats_model_only_on_both_metrics() -> None:
    base = {"rfm_quintiles": {"silhouette": 0.10, "davies_bouldin": 2.0},
            "kmeans_raw_rfm": {"silhouette": 0.40, "davies_bouldin": 0.8}}
    assert baseline_beats_model(0.35, 0.9, base) == "kmeans_raw_rfm"
    assert baseline_beats_model(0.35, 0.7, base) is None  # better Davies-Bouldin: no
    assert baseline_beats_model(0.45, 0.9, base) is None  # better silhouette: no
    assert baseline_beats_model(0.05, 2.5, base) == "rfm_quintiles, kmeans_raw_rfm"
    assert baseline_beats_model(None, 0.9, base) is None
    assert baseline_beats_model(0.35, 0.9, {"x": {"silhouette": float("nan"), "davies_bouldin": 0.1}}) is None


def blobs(n: int = 1_500, seed: int = 5) -> pd.DataFrame:
    """Customers in three overlapping groups on recency, frequency and monetary (no skew, so no logs);
    every other feature constant (dropped), so the model's space is the raw-RFM baseline's space."""
    rng = np.random.default_rng(seed)
    group = rng.integers(0, 3, n)
    centres = np.array([[30.0, 12.0, 3_000.0], [150.0, 6.0, 1_500.0], [300.0, 2.0, 500.0]])
    spread = np.array([45.0, 2.5, 600.0])
    rfm = np.abs(centres[group] + rng.normal(0, 1, (n, 3)) * spread)
    frame = pd.DataFrame({name: np.full(n, 1.0) for name in FEATURES})
    frame[["recency_days", "frequency", "monetary"]] = rfm
    frame.insert(0, "customer_id", [f"C{i:05d}" for i in range(n)])
    return frame


def test_note_when_a_baseline_beats_the_chosen_segmentation() -> None:
    # fitted on 12 customers, the candidates lose to k-means fitted on all of them, in the same space
    result = train_segmentation(blobs(), k_range=range(3, 4), sample_size=1_500, fit_size=12)
    metrics = result.metrics()
    assert result.model.kept == ["recency_days", "frequency", "monetary"] and not result.model.log_features
    raw = metrics["baseline"]["kmeans_raw_rfm"]
    assert raw["silhouette"] > metrics["silhouette"] and raw["davies_bouldin"] < metrics["davies_bouldin"]
    assert metrics["baseline_beats_model"] == "kmeans_raw_rfm"

    from marketsql.models import kind

    record = ModelRecord("segmentation", 1, result.model.kind, datetime(2026, 1, 1), "active", {},
                         list(FEATURES), metrics, "", "")
    printed = "\n".join(kind("segmentation").training_lines(result, record))
    # `marketsql train` prints this after the kind's lines (marketsql/models/summary.py, for every kind)
    assert record.baseline_note().startswith("the baseline kmeans_raw_rfm separates customers better than the"
                                             " served segmentation on both scores")
    for name, description in zip(result.profiles["name"], result.profiles["description"], strict=True):
        assert f"  {name}: {description}" in printed


def recency(description: str) -> tuple[int, int]:
    """(days since the last purchase, the average customer's) from a description."""
    found = re.search(r"last purchase ([\d,]+) days ago \(average ([\d,]+)\)", description)
    assert found, description
    return int(found[1].replace(",", "")), int(found[2].replace(",", ""))


def ratio(pattern: str, description: str) -> float:
    """The "N.N×" number after ``pattern`` in a description (0 when the pattern is absent)."""
    found = re.search(pattern + r"[^,]*?([\d.]+)×", description)
    return float(found[1]) if found else 0.0


def test_descriptions_on_the_demo_match_the_planted_groups(demo_shop) -> None:
    from marketsql.demo.generate import GROUPS
    from marketsql.demo.project import DATA_DIR

    project = demo_shop.project
    truth = pd.read_parquet(demo_shop.root / DATA_DIR / "truth" / "customer_groups.parquet")
    con = project.connect(read_only=True)
    try:
        segments = con.execute("SELECT customer_id, segment_id FROM customer_segments").df()
        profiles = con.execute("SELECT segment_id, segment_name, description FROM segment_profiles").df()
    finally:
        con.close()
    planted = {g["id"]: g["name"] for g in GROUPS}
    joined = segments.merge(truth, on="customer_id")
    majority = joined.groupby("group_id")["segment_id"].agg(lambda s: s.mode().iloc[0])
    said = profiles.set_index("segment_id")["description"]
    by_group = {planted[g]: said[s] for g, s in majority.items()}
    print("\n" + "\n".join(f"{g}: {d}" for g, d in by_group.items()))
    assert by_group["One-time buyers"].startswith("bought once")
    last, average = recency(by_group["Lapsed"])
    assert last > 2 * average  # the lapsed stopped buying long ago
    for group in ("Premium loyalists", "Accessory regulars"):  # both order far more often than the rest
        assert ratio("buys", by_group[group]) >= 1.5, by_group[group]
        assert recency(by_group[group])[0] < average
    assert ratio("in all", by_group["Premium loyalists"]) >= 2  # premium: the most revenue per customer
    assert re.search(r"per order \(\d+% of average\)", by_group["Accessory regulars"])  # small baskets
    names = profiles["segment_name"].tolist()
    assert len(set(names)) == len(names) and not [n for n in names if is_generic(n)]
    active = next(r for r in project.models() if r.name == "segmentation" and r.status == "active")
    assert "baseline_beats_model" not in active.metrics  # the planted groups: the model wins, no note


@pytest.mark.parametrize("which", ["retail", "demo"])
def test_sql_description_equals_python_for_every_customer(which, request) -> None:
    from marketsql.models.segmentation.serve import load

    project = request.getfixturevalue(f"{which}_project")
    con = project.connect(read_only=True)
    try:
        rows = con.execute(f"SELECT segment_description(segment_id), segment_name, {', '.join(FEATURES)}"
                           " FROM customer_segments ORDER BY customer_id").fetchall()
        profiles = con.execute("SELECT segment_name, description FROM segment_profiles ORDER BY segment_id").fetchall()
        model = load(con)
    finally:
        con.close()
    active = next(r for r in project.models() if r.name == "segmentation" and r.status == "active")
    descriptions = active.params["descriptions"]
    labels = model.predict(np.array([r[2:] for r in rows], dtype=float))
    assert len(rows) > 2_000 and len(descriptions) == model.k
    assert [r[0] for r in rows] == [descriptions[s] if s >= 0 else None for s in labels]
    assert profiles == list(zip(model.names, descriptions, strict=True))
    assert not [n for n in model.names if is_generic(n)]


@pytest.fixture(scope="module")
def retail_project(tmp_path_factory):
    from conftest import REPO

    import marketsql

    project = marketsql.Project.load(
        REPO / "examples" / "online_retail", database=tmp_path_factory.mktemp("words") / "retail.duckdb"
    )
    project.build()
    project.train("segmentation", k_min=3, k_max=5)
    return project


@pytest.fixture
def demo_project(demo_shop):
    return demo_shop.project
