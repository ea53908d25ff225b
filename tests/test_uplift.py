"""The uplift kind: exported trees equal scikit-learn, metrics equal scikit-uplift's, the planted demo campaign is
recovered, and the Hillstrom figures stated in the README (real data, slow)."""

from __future__ import annotations

import json
import warnings
from pathlib import Path

import numpy as np
import pytest
from conftest import DATA, REPO, Shop, example_project

import marketsql
from marketsql.demo.campaign import OLD, YOUNG
from marketsql.models.uplift.data import CONTROL, check
from marketsql.models.uplift.metrics import auuc, qini_coefficient
from marketsql.models.uplift.train import fit, learner, score, split
from marketsql.models.uplift.trees import Forest

EXAMPLE = REPO / "examples" / "hillstrom"
CSV = DATA / "hillstrom_email" / "hillstrom.csv.gz"
# README "Campaign uplift": holdout Qini coefficient and AUUC of the served ranking per arm (outcome visit, seed 0)
README_QINI = {"mens": 0.0275, "womens": 0.0638}
README_AUUC = {"mens": 0.0142, "womens": 0.0301}
README_SERVED = {"mens": "response", "womens": "t_learner"}


@pytest.fixture(scope="module")
def campaign():
    import duckdb

    con = duckdb.connect()
    con.execute("CREATE SCHEMA raw")
    con.execute(f"CREATE VIEW raw.hillstrom AS SELECT row_number() OVER () AS _source_row, * FROM read_csv('{CSV}')")
    frame = con.execute((EXAMPLE / "sql" / "staging" / "campaign_customers.sql").read_text()).df()
    con.close()
    return check(frame, "visit")


def test_the_hillstrom_mapping_keeps_the_published_groups(campaign) -> None:
    frame = campaign.frame
    assert len(frame) == 64_000 and campaign.arms == ["mens", "womens"]
    counts = frame["treatment"].value_counts().to_dict()
    assert counts == {"womens": 21_387, "mens": 21_307, CONTROL: 21_306}
    assert round(frame["spend"].sum(), 2) == 67_258.13 and frame["visit"].sum() == 9_394


def test_exported_trees_score_like_scikit_learn(campaign) -> None:
    rows = campaign.group("womens")
    x, y = campaign.x[rows], (campaign.values("visit")[rows] > 0).astype(np.int64)
    x = x.copy()
    x[::11, 1] = np.nan  # missing values follow the side training sent them to
    model = learner(len(x), 0).fit(x, y)
    forest = Forest.from_arrays(Forest.from_sklearn(model).arrays("p_"), "p_")
    np.testing.assert_allclose(forest.proba(x), model.predict_proba(x)[:, 1], rtol=1e-12, atol=1e-14)


@pytest.mark.slow
def test_qini_and_auuc_equal_scikit_uplift_on_hillstrom(campaign) -> None:
    sklift_metrics = pytest.importorskip("sklift.metrics")
    from sklift.models import TwoModels

    rows = campaign.group("womens") | campaign.group(CONTROL)
    x, t = campaign.x[rows], campaign.group("womens")[rows].astype(np.int64)
    y = (campaign.values("visit")[rows] > 0).astype(np.int64)
    train, test = split(t, y, 0)
    ours = score("t_learner", fit("t_learner", x[train], y[train], t[train], 0), x[test])
    model = TwoModels(estimator_trmnt=learner(int(t[train].sum()), 0),
                      estimator_ctrl=learner(int((1 - t[train]).sum()), 0), method="vanilla")
    theirs = model.fit(x[train], y[train], t[train]).predict(x[test])
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", FutureWarning)
        expected_qini = sklift_metrics.qini_auc_score(y[test], theirs, t[test])
        expected_auuc = sklift_metrics.uplift_auc_score(y[test], theirs, t[test])
    assert abs(qini_coefficient(y[test], ours, t[test]) - expected_qini) <= 0.01
    assert abs(auuc(y[test], ours, t[test]) - expected_auuc) <= 0.01
    assert qini_coefficient(y[test], theirs, t[test]) == pytest.approx(expected_qini, abs=1e-12)


def test_the_demo_model_finds_the_planted_uplift(demo_shop: Shop) -> None:
    con = marketsql.connect(demo_shop.root, read_only=True)
    try:
        young, old = con.execute(
            f"SELECT avg(u.uplift) FILTER (WHERE c.age < {YOUNG}), avg(u.uplift) FILTER (WHERE c.age >= {OLD})"
            " FROM campaign_uplift AS u JOIN campaign_customers AS c USING (customer_id)").fetchall()[0]
        metrics = con.execute("SELECT metrics FROM meta.models WHERE name = 'uplift' AND status = 'active'"
                              ).fetchall()[0][0]
    finally:
        con.close()
    assert young - old > 0.08, (young, old)  # planted: +0.20 under 35, +0.02 from 40
    served = json.loads(metrics)["arms"]["email"]
    assert served["served"] in ("t_learner", "class_transformation"), served["scores"]  # beats response propensity


@pytest.mark.slow
def test_hillstrom_figures_stated_in_the_readme(tmp_path: Path) -> None:
    project = example_project("hillstrom", tmp_path)
    project.build()
    trained = project.train("uplift")
    arms = trained.record.metrics["arms"]
    for arm in ("mens", "womens"):
        assert arms[arm]["served"] == README_SERVED[arm]
        assert arms[arm]["scores"][arms[arm]["served"]]["qini"] == pytest.approx(README_QINI[arm], abs=0.002)
        assert arms[arm]["scores"][arms[arm]["served"]]["auuc"] == pytest.approx(README_AUUC[arm], abs=0.002)
    con = project.connect(read_only=True)
    try:
        rows, arm_count = con.execute("SELECT count(*), count(DISTINCT arm) FROM campaign_uplift").fetchall()[0]
        one = con.execute("SELECT uplift('H00001', 'womens')").fetchall()[0][0]
    finally:
        con.close()
    assert (rows, arm_count) == (128_000, 2) and one is not None
