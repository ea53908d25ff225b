"""Forecasts by cut add up: reconciliation (marketsql/models/forecast/hierarchy.py) checked against the textbook
formulas, and on the demo (with a segmentation model) and Online Retail (without one) end to end."""

from __future__ import annotations

from datetime import date

import numpy as np
import pandas as pd
import pytest
from conftest import REPO

import marketsql
from marketsql.demo.generate import generate_demo_data
from marketsql.models.asof import segments_as_of
from marketsql.models.forecast.hierarchy import (
    constraints,
    incoherence,
    moved_interval,
    naive_residuals,
    reconcile,
    shrunk_covariance,
)

RNG = np.random.default_rng(3)


def _two_level(parts: int = 4, months: int = 30) -> tuple[np.ndarray, np.ndarray, list[list[int]]]:
    """History (total + parts) that adds up, and incoherent base forecasts of 5 months."""
    bottom = RNG.gamma(5.0, 20.0, size=(parts, months)) + np.arange(months) * RNG.uniform(0, 3, size=(parts, 1))
    history = np.vstack([bottom.sum(axis=0), bottom])
    base = history[:, -5:] * RNG.uniform(0.8, 1.25, size=(parts + 1, 5))
    return history, base, [list(range(1, parts + 1))]


def test_bottom_up_keeps_the_parts_and_sums_them():
    history, base, groups = _two_level()
    made = reconcile("bottom_up", base, groups, history)
    assert np.allclose(made[1:], base[1:]) and np.allclose(made[0], base[1:].sum(axis=0))


@pytest.mark.parametrize("method", ["ols", "mint_shrink"])
def test_the_zero_constraint_form_equals_the_textbook_projection(method):
    """Two levels: ỹ = S (Sᵀ W⁻¹ S)⁻¹ Sᵀ W⁻¹ ŷ (Wickramasuriya et al. 2019), with S = [1ᵀ; I]."""
    history, base, groups = _two_level()
    n = base.shape[0] - 1
    s = np.vstack([np.ones((1, n)), np.eye(n)])
    w = np.eye(n + 1) if method == "ols" else shrunk_covariance(naive_residuals(history))
    wi = np.linalg.inv(w)
    expected = s @ np.linalg.solve(s.T @ wi @ s, s.T @ wi @ base)
    assert (expected >= 0).all()  # so that the clipping at 0 does not apply
    assert np.allclose(reconcile(method, base, groups, history), expected, rtol=1e-9)


@pytest.mark.parametrize("method", ["bottom_up", "ols", "mint_shrink"])
def test_several_dimensions_add_up_to_one_total_and_stay_non_negative(method):
    """Total + 3 categories + 2 countries (a grouped structure): both cuts add up to the same total."""
    cells = RNG.gamma(2.0, 10.0, size=(3, 2, 26))  # category × country × month
    history = np.vstack([cells.sum(axis=(0, 1)), cells.sum(axis=1), cells.sum(axis=0)])
    base = history[:, -4:] * RNG.uniform(0.5, 1.6, size=(6, 4))
    base[4, 0] = -50.0  # a negative base forecast
    groups = [[1, 2, 3], [4, 5]]
    assert incoherence(history, groups) < 1e-12 and incoherence(base, groups) > 0.01
    made = reconcile(method, base, groups, history)
    assert incoherence(made, groups) < 1e-9 and (made >= 0).all()
    lower, upper = moved_interval(base, base - 10, base + 15, made)
    assert (lower <= made).all() and (made <= upper).all() and (lower >= 0).all()


def test_shrinkage_keeps_the_variances_and_shrinks_correlations():
    residuals = RNG.normal(size=(8, 5)) * [1, 2, 3, 4, 5]
    shrunk, sample = shrunk_covariance(residuals), np.cov(residuals, rowvar=False)
    assert np.allclose(np.diag(shrunk), np.diag(sample))
    off = ~np.eye(5, dtype=bool)
    ratio = shrunk[off] / sample[off]
    assert np.allclose(ratio, ratio[0]) and 0 <= ratio[0] < 1  # one intensity λ: (1 − λ) × the sample
    assert len(naive_residuals(np.ones((2, 24)))) == 12 and len(naive_residuals(np.ones((2, 23)))) == 22


def test_constraints():
    assert constraints([[1, 2], [3]], 4).tolist() == [[1, -1, -1, 0], [1, 0, 0, -1]]


def _coherence(forecast: pd.DataFrame, reconciliation: pd.DataFrame) -> set[tuple[str, str]]:
    """Every (measure, dimension) reconciled: sum of parts = total in every month (1e-6 relative)."""
    checked = set()
    for measure, block in reconciliation[reconciliation["chosen"]].groupby("measure"):
        method = block["method"].item()
        rows = forecast[forecast["measure"] == measure]
        total = rows[rows["dimension"] == "total"].set_index("month")["forecast"]
        for dimension in block["dimensions"].item().split(", "):
            parts = rows[rows["dimension"] == dimension]
            assert set(parts["reconciliation"]) == {method}
            sums = parts.groupby("month")["forecast"].sum()
            assert np.allclose(sums, total.reindex(sums.index), rtol=1e-6, atol=0), (measure, dimension)
            checked.add((measure, dimension))
        # the method served is the one with the lowest MASE over the origins, base shown beside it
        scores = reconciliation[(reconciliation["measure"] == measure)].set_index("method")["mase"]
        assert method == scores.drop("base").idxmin() and set(scores.index) == {"base", "bottom_up", "ols",
                                                                                 "mint_shrink"}
    return checked


def _tables(project: marketsql.Project) -> dict[str, pd.DataFrame]:
    con = project.connect(read_only=True)
    try:
        return {name: con.execute(f"SELECT * FROM {name}").df() for name in
                ("sales_forecast", "forecast_reconciliation", "forecast_accuracy", "forecast_holdout")}
    finally:
        con.close()


@pytest.fixture(scope="module")
def demo(tmp_path_factory):
    root = tmp_path_factory.mktemp("hierarchy") / "demo"
    marketsql.init(root)
    generate_demo_data(root / "data" / "demo", customers=2_000, seed=11)
    project = marketsql.Project.load(root)
    project.build()
    project.train("segmentation", rebuild=False)
    trained = project.train("forecast", horizon=3, measures=("revenue", "orders"))  # customers: as orders
    return project, trained, _tables(project)


@pytest.mark.slow
def test_demo_forecasts_add_up_by_every_cut(demo):
    _, trained, tables = demo
    checked = _coherence(tables["sales_forecast"], tables["forecast_reconciliation"])
    assert checked == {("revenue", "category"), ("revenue", "country"), ("revenue", "segment"),
                       ("orders", "country"), ("orders", "segment")}
    forecast = tables["sales_forecast"]
    # an order or a customer spans several categories: those parts are forecast but not reconciled
    assert set(forecast[(forecast["dimension"] == "category") & (forecast["measure"] != "revenue")]
               ["reconciliation"]) == {"none"}
    assert "orders by category: not reconciled — the parts add up to" in "\n".join(trained.result.lines())
    chosen = trained.record.metrics["reconciliation"]
    assert {m: b["chosen"] for m, b in chosen.items()} == {
        m: b.set_index("method")["mase"].drop("base").idxmin()
        for m, b in tables["forecast_reconciliation"].groupby("measure")}
    assert (forecast["lower"] <= forecast["forecast"]).all() and (forecast["forecast"] <= forecast["upper"]).all()


@pytest.mark.slow
def test_demo_segment_cut_is_the_segment_at_each_month_start(demo):
    """The segment cut's holdout actuals recomputed: each customer's segment as of the month's first day."""
    project, _, tables = demo
    holdout = tables["forecast_holdout"]
    cut = holdout[(holdout["dimension"] == "segment") & (holdout["measure"] == "revenue")]
    con = project.connect(read_only=True)
    try:
        names = con.execute("SELECT DISTINCT segment_id, segment_name FROM customer_segments").fetchall()
        month = pd.Timestamp(cut["month"].min())
        segments = segments_as_of(con, project.views["customer_features"].sql, date(month.year, month.month, 1))
        lines = con.execute("SELECT CAST(customer_id AS VARCHAR) AS customer_id, revenue FROM stg_order_lines"
                            " WHERE date_trunc('month', order_ts) = ?", [month.date()]).df()
    finally:
        con.close()
    label = dict(names)
    lines["segment"] = lines["customer_id"].map(lambda c: label.get(segments.get(c), "new or unscored"))
    expected = lines.groupby("segment")["revenue"].sum()
    shown = cut[pd.to_datetime(cut["month"]) == month].set_index("category")["actual"]
    assert set(shown.index) == set(expected.index) and "new or unscored" in set(shown.index)
    assert np.allclose(shown.sort_index(), expected.sort_index())


@pytest.mark.slow
def test_online_retail_category_and_country_add_up_and_say_the_segment_cut_is_absent(tmp_path):
    project = marketsql.Project.load(REPO / "examples" / "online_retail", database=tmp_path / "r.duckdb")
    project.build()
    trained = project.train("forecast", horizon=6, measures=("revenue",))
    tables = _tables(project)
    assert _coherence(tables["sales_forecast"], tables["forecast_reconciliation"]) == {
        ("revenue", "category"), ("revenue", "country")}
    lines = "\n".join(trained.result.lines())
    assert ("note: segment cut absent: no trained segmentation model — run `marketsql train segmentation` and"
            " train the forecast again to add it") in lines
    assert "country: 26 part(s) pooled into 'Other (pooled)'" in lines
    assert "segment" not in set(tables["sales_forecast"]["dimension"])
    assert trained.record.params["said"][0].startswith("segment cut absent")
