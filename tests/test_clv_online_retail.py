"""The clv model on the real Online Retail data (calibration to 2011-09-09, 91-day holdout): the fits equal an
independent, plainly written likelihood optimised separately, to 3 significant digits."""

from __future__ import annotations

import numpy as np
import pytest
from conftest import REPO
from scipy.optimize import minimize
from scipy.special import gammaln

import marketsql
from marketsql.registry import Registry

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def retail(tmp_path_factory: pytest.TempPathFactory) -> marketsql.Project:
    project = marketsql.Project.load(REPO / "examples" / "online_retail",
                                     database=tmp_path_factory.mktemp("clvretail") / "retail.duckdb",
                                     settings={"clv_calibration_end": "2011-09-09"})
    project.build()
    project.train("clv")
    return project


def reference_bgnbd_loglik(params: np.ndarray, x: np.ndarray, t_x: np.ndarray, age: np.ndarray) -> float:
    """FHL 2005 eq. 6 written with gamma functions (no beta functions, no grouping), natural parameters."""
    r, alpha, a, b = params
    if min(params) <= 0:
        return -np.inf
    head = (gammaln(r + x) - gammaln(r) + r * np.log(alpha) + gammaln(a + b) + gammaln(b + x) - gammaln(b)
            - gammaln(a + b + x))
    ratio = np.where(x > 0, a / np.maximum(b + x - 1, 1e-12) * ((alpha + age) / (alpha + t_x)) ** (r + x), 0.0)
    return float(np.sum(head - (r + x) * np.log(alpha + age) + np.log1p(ratio)))


def reference_gamma_gamma_loglik(params: np.ndarray, x: np.ndarray, m: np.ndarray) -> float:
    """Fader-Hardie 2013 eq. 3, natural parameters."""
    p, q, v = params
    if min(params) <= 0:
        return -np.inf
    return float(np.sum(gammaln(p * x + q) - gammaln(p * x) - gammaln(q) + q * np.log(v) + (p * x - 1) * np.log(m)
                        + p * x * np.log(x) - (p * x + q) * np.log(x * m + v)))


def _optimise(loglik, start: np.ndarray) -> np.ndarray:  # type: ignore[no-untyped-def]
    best = start
    for _ in range(4):  # restarts: Nelder-Mead on natural parameters stalls on badly scaled problems
        result = minimize(lambda prm: -loglik(prm), best, method="Nelder-Mead",
                          options={"maxiter": 20_000, "maxfev": 40_000, "xatol": 1e-10, "fatol": 1e-10})
        best = result.x
    return best


@pytest.mark.parametrize("period", ["calibration", "all"])
def test_fit_equals_an_independent_reference(retail: marketsql.Project, period: str):
    con = retail.connect(read_only=True)
    try:
        record = Registry(con).active("clv")
        suffix, cols = (("_cal", ("frequency_cal", "recency_cal_days", "age_cal_days", "monetary_value_cal"))
                        if period == "calibration" else ("", ("frequency", "recency_days", "age_days",
                                                              "monetary_value")))
        frame = con.execute(f"SELECT {', '.join(cols)} FROM clv_summary WHERE {cols[0]} IS NOT NULL").df()
    finally:
        con.close()
    x, t_x, age, m = (frame[c].to_numpy(float) for c in cols)
    fitted = record.params if period == "all" else record.params["calibration_fit"]
    ours = np.array([fitted[k] for k in ("r", "alpha", "a", "b")])
    theirs = _optimise(lambda prm: reference_bgnbd_loglik(prm, x, t_x, age), np.array([1.0, 10.0, 0.5, 5.0]))
    np.testing.assert_allclose(ours, theirs, rtol=1e-3)
    assert fitted["bgnbd_loglik"] == pytest.approx(reference_bgnbd_loglik(theirs, x, t_x, age), rel=1e-6)
    keep = (x > 0) & (m > 0)
    ours_gg = np.array([fitted[k] for k in ("p", "q", "v")])
    theirs_gg = _optimise(lambda prm: reference_gamma_gamma_loglik(prm, x[keep], m[keep]), np.array([1.0, 2.0, 100.0]))
    np.testing.assert_allclose(ours_gg, theirs_gg, rtol=1e-3)


def test_online_retail_figures(retail: marketsql.Project, capsys: pytest.CaptureFixture[str]):
    """The README's figures: holdout 91 days, 4,338 customers, the model against its baselines."""
    con = retail.connect(read_only=True)
    try:
        record = Registry(con).active("clv")
        top = con.execute("SELECT count(*), sum(clv_12m) FROM customer_value").fetchall()[0]
    finally:
        con.close()
    assert record.params["holdout_days"] == 91
    assert record.metrics["customers"] == top[0] == 4338
    with capsys.disabled():
        print({k: round(record.params[k], 6) for k in ("r", "alpha", "a", "b", "p", "q", "v")},
              {k: {s: round(v, 4) for s, v in d.items()} for k, d in record.metrics["holdout"].items()},
              record.metrics["loses_to"], round(top[1]))


