"""Budget: channel_month against pandas, planted response recovered, holdout recomputed, allocation, bad input."""

from __future__ import annotations

import json
import math
import re

import numpy as np
import pandas as pd
import pytest
from conftest import duckdb_cli, run_cli

import marketsql
from marketsql.demo.generate import generate_demo_data
from marketsql.errors import ModelError
from marketsql.models.budget.allocate import allocate, predict
from marketsql.models.budget.train import fit_budget


@pytest.fixture(scope="module")
def demo(tmp_path_factory):
    """The demo retailer (20,000 customers), built, with the budget model trained."""
    root = tmp_path_factory.mktemp("budget") / "demo"
    marketsql.init(root)
    generate_demo_data(root / "data" / "demo", customers=20_000, seed=7)
    project = marketsql.Project.load(root)
    project.build()
    trained = project.train("budget")
    return project, trained


@pytest.fixture(scope="module")
def channel_month(demo) -> pd.DataFrame:
    project, _ = demo
    con = project.connect(read_only=True)
    try:
        return con.execute("SELECT * FROM channel_month ORDER BY channel, month").df()
    finally:
        con.close()


def test_channel_month_matches_pandas(demo, channel_month):
    project, _ = demo
    data = project.root / "data" / "demo"
    spend = pd.read_parquet(data / "marketing_spend.parquet")
    customers = pd.read_parquet(data / "customers.parquet")
    con = project.connect(read_only=True)
    try:
        lines = con.execute("SELECT customer_id, order_ts, revenue FROM stg_order_lines").df()
        last_order = con.execute("SELECT max(order_ts) FROM stg_order_lines").fetchall()[0][0]
    finally:
        con.close()
    spend["month"] = pd.to_datetime(spend["date"]).dt.to_period("M").dt.to_timestamp()
    expected = spend.groupby(["channel", "month"])["spend"].sum()
    customers["signup"] = pd.to_datetime(customers["signup_date"])
    acquired = customers[customers["signup"] >= spend["month"].min()].copy()
    acquired["month"] = acquired["signup"].dt.to_period("M").dt.to_timestamp()
    joined = lines.merge(acquired[["customer_id", "signup"]], on="customer_id")
    window = joined[(joined["order_ts"] >= joined["signup"])
                    & (joined["order_ts"] < joined["signup"] + pd.Timedelta(days=90))]
    revenue = window.groupby("customer_id")["revenue"].sum()
    acquired["revenue"] = acquired["customer_id"].map(revenue).fillna(0.0)
    by_month = acquired.groupby(["acquisition_channel", "month"]).agg(n=("customer_id", "size"),
                                                                      revenue=("revenue", "sum"))
    got = channel_month.set_index(["channel", pd.to_datetime(channel_month["month"])])
    assert len(got) == len(expected) == 5 * 24
    assert np.allclose(got["spend"].to_numpy(), expected.reindex(got.index).to_numpy())
    index = pd.MultiIndex.from_tuples(got.index)
    assert (got["new_customers"].to_numpy() == by_month["n"].reindex(index, fill_value=0).to_numpy()).all()
    revenue_expected = by_month["revenue"].reindex(index, fill_value=0).to_numpy()
    assert np.allclose(got["attributed_revenue"].to_numpy(), revenue_expected)
    assert np.allclose(got["cac"], got["spend"] / got["new_customers"])
    assert np.allclose(got["roi"], (got["attributed_revenue"] - got["spend"]) / got["spend"])
    # the windows of signups in the last 90 days of data are still open
    complete = pd.to_datetime(channel_month["month"]) + pd.offsets.MonthEnd(0) + pd.Timedelta(days=90)
    assert (channel_month["window_complete"] == (complete <= pd.Timestamp(last_order).normalize())).all()
    assert not channel_month["window_complete"].all() and channel_month["window_complete"].any()


def test_curves_recover_the_planted_response(demo):
    project, trained = demo
    truth = json.loads((project.root / "data" / "demo" / "truth" / "truth.json").read_text())["channels"]
    for curve in trained.result.curves:
        planted = truth[curve.channel]
        assert abs(curve.beta - planted["beta"]) < 0.1, (curve.channel, curve.beta, planted["beta"])
        middle = (curve.min_spend + curve.max_spend) / 2  # expected signups at a typical month's spend
        expected = planted["alpha"] * middle ** planted["beta"]
        assert abs(float(curve.customers(middle)) / expected - 1) < 0.1, curve.channel


def test_holdout_figures_recomputed_independently(demo, channel_month):
    import statsmodels.api as sm

    _, trained = demo
    fit, record = trained.result, trained.record
    months = sorted(channel_month["month"].unique())
    test_months = months[-6:]
    assert fit.holdout_months == [str(m)[:10] for m in test_months]
    actual, curve, baseline = [], [], []
    for _, group in channel_month.groupby("channel"):
        train = group[~group["month"].isin(test_months)]
        test = group[group["month"].isin(test_months)]
        # Poisson GLM with log link on log(spend), by statsmodels: the same curve fitted another way
        glm = sm.GLM(train["new_customers"], sm.add_constant(np.log(train["spend"])),
                     family=sm.families.Poisson()).fit()
        alpha, beta = math.exp(glm.params.iloc[0]), glm.params.iloc[1]
        curve.append(alpha * test["spend"].to_numpy() ** beta)
        baseline.append(test["spend"].to_numpy() * train["new_customers"].sum() / train["spend"].sum())
        actual.append(test["new_customers"].to_numpy())
    actual, curve, baseline = (np.concatenate(x) for x in (actual, curve, baseline))
    assert np.allclose(fit.holdout["actual"].ravel(), actual)
    assert np.allclose(fit.holdout["curve"].ravel(), curve, rtol=1e-6)
    assert np.allclose(fit.holdout["baseline"].ravel(), baseline)
    pooled = record.metrics["pooled"]
    assert pooled["curve"]["mae"] == pytest.approx(np.abs(actual - curve).mean())
    assert pooled["baseline"]["mae"] == pytest.approx(np.abs(actual - baseline).mean())
    assert pooled["curve"]["mape"] == pytest.approx(np.mean(np.abs(actual - curve) / actual))
    # the planted curves are concave: a constant acquisition cost predicts the holdout worse
    assert record.metrics["winner"] == "response curves"
    assert pooled["curve"]["mae"] < pooled["baseline"]["mae"]


def test_allocation_is_optimal_and_beats_current_and_equal_splits(demo):
    from scipy.optimize import minimize

    project, trained = demo
    curves = trained.result.curves
    total = 60_000.0
    split = project.allocate_budget(total)
    spend = split.table.set_index("channel")["spend"]
    assert spend.sum() == pytest.approx(total) and split.unallocated == 0
    assert (spend >= 0).all() and (spend <= split.table.set_index("channel")["max_spend"] + 1e-6).all()
    # an independent optimiser within the same bounds finds nothing better
    upper = split.table["max_spend"].to_numpy()
    result = minimize(lambda s: -sum(float(c.revenue(x)) for c, x in zip(curves, s, strict=True)),
                      np.full(len(curves), total / len(curves)), method="SLSQP",
                      bounds=[(0, u) for u in upper],
                      constraints=[{"type": "eq", "fun": lambda s: s.sum() - total}])
    assert split.predicted_return >= -result.fun - 1e-6 * total
    free = split.table[split.table["at_bound"] == ""]
    assert len(free) >= 2 and np.allclose(free["marginal_revenue_per_unit"], free["marginal_revenue_per_unit"].iloc[0])
    current = trained.result.current_spend
    scaled = {c.channel: total * s / current.sum() for c, s in zip(curves, current, strict=True)}
    assert split.predicted_return > predict(curves, scaled)[1] > 0
    # an equal split of a total small enough for every channel to stay within its observed range
    small = 20_000.0
    assert all(small / len(curves) <= c.max_spend for c in curves)
    equal = {c.channel: small / len(curves) for c in curves}
    assert project.allocate_budget(small).predicted_return > predict(curves, equal)[1]
    assert any("no halo" in note for note in split.assumptions)


def test_allocation_respects_bounds_and_caps(demo):
    project, trained = demo
    split = project.allocate_budget(50_000, minimum={"tv": 10_000}, maximum={"search": 5_000})
    spend = split.table.set_index("channel")["spend"]
    assert spend["tv"] >= 10_000 - 1e-6 and spend["search"] <= 5_000 + 1e-6
    assert spend.sum() == pytest.approx(50_000)
    huge = project.allocate_budget(10_000_000)  # far beyond every channel's observed spend
    caps = {c.channel: c.max_spend * 1.25 for c in trained.result.curves}
    assert huge.table.set_index("channel")["spend"].to_dict() == pytest.approx(caps)
    assert huge.unallocated == pytest.approx(10_000_000 - sum(caps.values()))
    assert any("unallocated" in note for note in huge.assumptions)
    wider = project.allocate_budget(10_000_000, extrapolation=2.0, objective="customers")
    assert wider.table["spend"].sum() == pytest.approx(2 * sum(caps.values()) / 1.25)
    assert wider.predicted_return == pytest.approx(wider.table["predicted_customers"].sum())
    assert any(note.startswith("return = new customers") for note in wider.assumptions)


@pytest.mark.parametrize(("kwargs", "message"), [
    ({"total": 0}, "total budget 0 — give a positive amount"),
    ({"total": -100.0}, "total budget -100.0 — give a positive amount"),
    ({"total": float("nan")}, "total budget nan"),
    ({"total": 1000, "minimum": {"radio": 10}}, "minimum spend for unknown channel 'radio'"),
    ({"total": 1000, "minimum": {"tv": 800, "search": 800}}, "the minimum spends add up to 1,600.00"),
    ({"total": 1000, "minimum": {"tv": 50}, "maximum": {"tv": 10}}, "tv: minimum spend 50.00 is above"),
    ({"total": 1000, "objective": "profit"}, "objective 'profit'"),
    ({"total": 1000, "extrapolation": 0.5}, "spend cap factor 0.5 (--cap, extrapolation) — give a factor >= 1"),
])
def test_allocation_bad_input(demo, kwargs, message):
    project, _ = demo
    with pytest.raises(ModelError, match=re.escape(message)):
        project.allocate_budget(**kwargs)


def test_channel_without_spend_and_too_little_history(channel_month):
    organic = channel_month[channel_month["channel"] == "email"].assign(channel="organic", spend=0.0)
    fit = fit_budget(pd.concat([channel_month, organic]))
    assert "organic" in fit.excluded and "no spend" in fit.excluded["organic"]
    assert "organic" not in [c.channel for c in fit.curves]
    short = channel_month[channel_month["month"] < sorted(channel_month["month"].unique())[10]]
    with pytest.raises(ModelError, match=r"too little history for the budget model: 10 complete month\(s\)"):
        fit_budget(short)
    with pytest.raises(ModelError, match="lower the minimums"):
        allocate(fit.curves, 10, minimum={"tv": 20})


def test_sql_views_and_macro_serve_the_model(demo):
    project, trained = demo
    con = project.connect(read_only=True)
    try:
        allocation = con.execute("SELECT * FROM budget_allocation ORDER BY channel").df()
        curves = con.execute("SELECT * FROM budget_curves ORDER BY channel").df()
        response = con.execute("SELECT count(*), count(DISTINCT channel) FROM budget_response").fetchall()[0]
        macro = con.execute("SELECT predicted_new_customers('search', 20000.0)").fetchall()[0][0]
    finally:
        con.close()
    search = next(c for c in trained.result.curves if c.channel == "search")
    assert macro == pytest.approx(float(search.customers(20_000.0)))
    assert list(curves["channel"]) == sorted(c.channel for c in trained.result.curves)
    assert response == (5 * 31, 5)
    assert allocation["suggested_spend"].sum() == pytest.approx(allocation["current_spend"].sum())
    assert allocation["suggested_predicted_revenue"].sum() > allocation["current_predicted_revenue"].sum()
    # plain tables: a client without Python reads them
    shown = duckdb_cli(project.database, "SELECT count(*) FROM budget_allocation")
    assert shown.returncode == 0 and shown.stdout.strip().splitlines()[-1] == "5"


def test_cli_budget(demo):
    project, _ = demo
    done = run_cli("budget", "--total", "80000", "--min", "email=1000", "-p", str(project.root))
    assert done.returncode == 0, done.stderr
    assert "Predicted revenue:" in done.stdout and "Assumes: " in done.stdout
    bad = run_cli("budget", "--total", "0", "-p", str(project.root))
    assert bad.returncode == 1
    assert bad.stderr.strip() == "Error: total budget 0.0 — give a positive amount of money per month"
