"""`marketsql target` on the demo: a contact list's sums, order and budget; its value from the clv model; the list
against random and the baseline on the propensity model's evaluation cutoff (labels recomputed here in plain SQL);
lists saved in target_lists outlive a build; `marketsql position` adds the customers most likely to buy."""

from __future__ import annotations

import shutil
from datetime import date, timedelta
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from conftest import Shop
from hostile.clirun import invoke

import marketsql
from marketsql.core.database import connect
from marketsql.models.positioning.buyers import buying_segments, likely_buyers
from marketsql.models.propensity.data import examples
from marketsql.models.propensity.serve import models_of, targets_of
from marketsql.models.propensity.targets import FEATURES
from marketsql.models.registry import Registry
from marketsql.targeting.lists import rank

PHONES = "category:Phones"


@pytest.fixture(scope="module")
def project(demo_shop: Shop, tmp_path_factory: pytest.TempPathFactory) -> marketsql.Project:
    """One private copy of the demo for the lists of this module."""
    root = Path(shutil.copytree(demo_shop.root, tmp_path_factory.mktemp("target") / "shop"))
    return marketsql.Project.load(root)


@pytest.fixture(scope="module")
def phones(project: marketsql.Project) -> marketsql.targeting.TargetList:
    return project.target("propensity", PHONES, budget=400, cost_per_contact=0.5, name="phones",
                          output=project.root / "phones.csv")


def _read(project: marketsql.Project, sql: str, params: list | None = None) -> pd.DataFrame:
    con = connect(project.database, read_only=True)
    try:
        return con.execute(sql, params or []).df()
    finally:
        con.close()


def test_the_list_adds_up_is_ranked_and_keeps_to_the_budget(project, phones):
    rows = phones.rows
    assert len(rows) == 800 and phones.expected.contacts == 800  # 400 / 0.5: the demo has that many profitable
    assert phones.expected.spend == pytest.approx(400.0) and len(rows) * 0.5 <= 400
    assert list(rows["rank"]) == list(range(1, 801))
    assert (np.diff(rows["expected_profit"].to_numpy()) <= 0).all()
    assert (rows["expected_profit"] > 0).all()
    assert np.allclose(rows["expected_profit"], rows["p"] * rows["value"] - 0.5)
    assert phones.expected.profit == pytest.approx(rows["expected_profit"].sum())
    assert phones.expected.conversions == pytest.approx(rows["p"].sum())
    saved = _read(project, "SELECT * FROM target_lists WHERE list_name = 'phones' ORDER BY rank")
    assert saved["expected_profit"].sum() == pytest.approx(phones.expected.profit)
    assert list(saved["customer_id"]) == list(rows["customer_id"])
    assert set(saved["budget"]) == {400.0} and set(saved["cost_per_contact"]) == {0.5}
    assert set(saved["model_version"]) == {phones.scores.model_version} and set(saved["target"]) == {PHONES}
    written = pd.read_csv(project.root / "phones.csv", dtype={"customer_id": str})
    assert list(written.columns) == ["rank", "customer_id", "p", "value", "expected_profit"]
    assert list(written["customer_id"]) == list(rows["customer_id"])
    assert np.allclose(written["expected_profit"], rows["expected_profit"], rtol=1e-5)


def test_nobody_left_out_would_have_made_more(project, phones):
    """The ranking is by expected profit: every scored customer not listed expects no more than the last listed."""
    scores = _read(project, "SELECT CAST(c.customer_id AS VARCHAR) AS customer_id,"
                            " c.probability * v.expected_order_value - 0.5 AS profit FROM customer_propensity AS c"
                            " JOIN customer_value AS v USING (customer_id) WHERE c.target = ?", [PHONES])
    left_out = scores[~scores["customer_id"].isin(phones.rows["customer_id"])]
    assert left_out["profit"].max() <= phones.rows["expected_profit"].min() + 1e-9


def test_value_comes_from_the_clv_model_unless_given(project, phones):
    assert phones.scores.value_source.startswith("clv v1 expected_order_value")
    values = _read(project, "SELECT CAST(customer_id AS VARCHAR) AS customer_id, expected_order_value"
                            " FROM customer_value").set_index("customer_id")["expected_order_value"]
    assert np.allclose(phones.rows["value"], values.loc[phones.rows["customer_id"]].to_numpy())
    fixed = project.target("propensity", "repeat", budget=100, cost_per_contact=1, value=50, name="fixed")
    assert set(fixed.rows["value"]) == {50.0} and fixed.scores.value_source == "--value 50 per conversion"
    assert len(fixed.rows) == 100


def test_the_list_beats_random_and_the_baseline_on_the_evaluation_cutoff(project, phones):
    """Redo the list on the evaluation cutoff: features as of that day, the stored model, the same rule; who then
    bought a phone within the horizon is read here with plain SQL on the order lines."""
    con = connect(project.database, read_only=True)
    try:
        record = Registry(con).active("propensity")
        index = [t.name for t in targets_of(record)].index(PHONES)
        cutoff = date.fromisoformat(record.params["cutoffs"]["evaluation"])
        end = cutoff + timedelta(days=int(record.params["horizon_days"]))
        frame = examples(con, project.views, [targets_of(record)[index]], cutoff, record.params["horizon_days"])
        frame["p"] = models_of(con, record)[index].probability(frame[list(FEATURES)].to_numpy(np.float64))
        buyers = {r[0] for r in con.execute(
            "SELECT DISTINCT CAST(l.customer_id AS VARCHAR) FROM stg_order_lines AS l JOIN stg_products AS p USING"
            " (product_id) WHERE p.category = 'Phones' AND l.order_ts >= ? AND l.order_ts < ?", [cutoff, end]
        ).fetchall()}
    finally:
        con.close()
    frame["customer_id"] = frame["customer_id"].astype(str)
    values = phones.scores.frame.set_index("customer_id")["value"]
    frame["value"] = frame["customer_id"].map(values).fillna(values.median())
    listed = rank(frame[["customer_id", "p", "value"]], 0.5, 0.0, len(phones.rows))
    hit = listed["customer_id"].isin(buyers).sum()
    base = frame.assign(b=frame["target_bought"] + frame["recency_score"]).sort_values(
        ["b", "customer_id"], ascending=[False, True]).head(len(listed))
    rate = frame["customer_id"].isin(buyers).mean()
    assert phones.holdout is not None
    assert (phones.holdout.listed, phones.holdout.contacts) == (hit, len(listed))
    assert phones.holdout.baseline == base["customer_id"].isin(buyers).sum()
    assert phones.holdout.random_rate == pytest.approx(rate)
    assert hit / len(listed) > 1.5 * rate  # the list finds phone buyers far better than random
    assert hit >= phones.holdout.baseline  # and at least as many as the baseline rule's first customers


def test_the_summary_compares_with_random_and_the_baseline(phones):
    lines = phones.lines()
    assert lines[1].startswith("800 contacts, spend 400.00 of 400.00 at 0.50 each: expected ")
    assert phones.random.contacts == 800 and phones.expected.profit > phones.random.profit
    if phones.scores.algorithm != "baseline":
        assert phones.baseline is not None and phones.expected.profit >= phones.baseline.profit
        assert any("baseline rule's first 800" in line for line in lines)
    assert any(line.strip().startswith("holdout (features as of") for line in lines)


def test_a_list_outlives_the_next_build(project, phones):
    before = _read(project, "SELECT * FROM target_lists ORDER BY list_name, rank")
    project.build()
    after = _read(project, "SELECT * FROM target_lists ORDER BY list_name, rank")
    pd.testing.assert_frame_equal(before, after)
    assert "phones" in set(project.target_lists()["list_name"])
    assert len(project.target_lists("phones")) == len(phones.rows)


def test_uplift_list_on_the_demo_campaign(project):
    made = project.target("uplift", None, budget=200, cost_per_contact=1, value=100, name="campaign",
                          output=project.root / "campaign.parquet")
    uplift = _read(project, "SELECT CAST(customer_id AS VARCHAR) AS customer_id, uplift FROM campaign_uplift"
                            " WHERE arm = ?", [made.scores.treatment]).set_index("customer_id")["uplift"]
    assert np.allclose(made.rows["p"], uplift.loc[made.rows["customer_id"]].to_numpy())
    assert made.rows["p"].min() >= uplift.sort_values(ascending=False).iloc[len(made.rows) - 1] - 1e-12
    assert made.expected.profit == pytest.approx(made.rows["expected_profit"].sum())
    written = pd.read_parquet(project.root / "campaign.parquet")
    assert list(written["customer_id"]) == list(made.rows["customer_id"])


def test_the_cli_prints_the_summary_and_lists(project):
    ran = invoke("target", "-p", str(project.root), "--target", "repeat", "--budget", "10", "--cost-per-contact",
                 "0.5", "--value", "30", "--name", "cli")
    assert ran.code == 0, ran.stderr
    assert "20 contacts, spend 10.00 of 10.00 at 0.50 each" in ran.stdout
    assert ran.stdout.rstrip().endswith("Saved as cli in target_lists")
    shown = invoke("target", "-p", str(project.root), "--list")
    assert shown.code == 0 and "cli" in shown.stdout and "propensity v1" in shown.stdout


def test_position_names_the_customers_most_likely_to_buy(project, tmp_path):
    out = tmp_path / "buyers.csv"
    placement = project.position({"brand": "samsung", "price": 799}, fill_missing=True, buyers=7, output=out)
    assert placement.buyers is not None and len(placement.buyers) == 7
    segments = buying_segments([(s.segment_name, s.share) for s in placement.segments or []])
    assert {b.segment_name for b in placement.buyers} <= set(segments)
    p = [b.probability for b in placement.buyers]
    assert p == sorted(p, reverse=True)
    best = _read(project, "SELECT max(c.probability) FROM customer_propensity AS c JOIN customer_segments AS s USING"
                          " (customer_id) WHERE c.target = ? AND s.segment_name IN (SELECT unnest(?))",
                 [PHONES, segments]).iloc[0, 0]
    assert p[0] == pytest.approx(best)
    written = pd.read_csv(out, dtype={"customer_id": str})
    assert list(written["customer_id"]) == [b.customer_id for b in placement.buyers]
    assert any(line.startswith("customers most likely to buy it") for line in placement.lines())


def test_position_without_a_category_model_says_what_to_run(project):
    con = connect(project.database, read_only=True)
    try:
        notes: list[str] = []
        assert likely_buyers(con, "Audio", ["High-value loyal"], 5, notes) is None
    finally:
        con.close()
    assert notes == ["customers most likely to buy it: run `marketsql train propensity --target category:Audio`"
                     " (with a --target for every other target you use), then run this again"]


def test_buying_segments_cover_most_buyers():
    assert buying_segments([("a", 0.5), ("b", 0.25), ("c", 0.15), ("d", 0.1)]) == ["a", "b", "c"]
    assert buying_segments([("a", 0.9), ("b", 0.1)]) == ["a"]
    assert buying_segments([]) == []
