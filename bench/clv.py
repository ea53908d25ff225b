"""Benchmark of the clv model: fit + score time and peak memory, beside a plain scipy reference and lifetimes.

    python bench/clv.py                    # Online Retail (4,338 customers), 100 k, 1 M and 5 M simulated customers
    python bench/clv.py --sizes 100000 --lifetimes /tmp/venv-lt/bin/python

Simulated customers are BG/NBD histories (marketsql/models/clv/simulate.py; r 0.25, alpha 4, a 0.8, b 2.5, ages 30-730
days) with Gamma-Gamma spend (p 6, q 4, v 15). Each measurement runs in a child process of its own (its peak RSS):

- ``ours``: BgNbd.fit + GammaGamma.fit, then scoring every customer in numpy (p_alive, expected purchases at 90 and
  365 days, expected order value, 12-month CLV), then the ``customer_value`` SQL of the standard pipeline run in
  DuckDB over a ``clv_summary`` table with the model's macros and Arrow UDFs (the mart as the build makes it);
- ``reference``: the plain likelihood of tests/test_clv_online_retail.py (one row per customer, natural parameters,
  Nelder-Mead, no grouping), fit only;
- ``lifetimes``: BetaGeoFitter + GammaGammaFitter and the same scores, run by another interpreter (a scratch venv
  with ``pip install lifetimes``; never a dependency of marketsql).

The closing lines check the targets (1 M customers: fit + scores + mart < 60 s and < 2 GB peak) and whether the
cost grows linearly: the exponent k of time ~ customers^k between consecutive simulated sizes (1 = linear).
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import pandas as pd
from processes import child, run_child  # bench/processes.py

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO / "tests"))
COLUMNS = ["frequency", "recency_days", "age_days", "monetary_value"]


def simulated(n: int, seed: int = 1) -> pd.DataFrame:
    """BG/NBD + Gamma-Gamma customers, whole days as in clv_summary."""
    from marketsql.models.clv.simulate import bgnbd_histories

    rng = np.random.default_rng(seed)
    age = np.floor(rng.uniform(30, 730, n))
    x, t_x, _, _ = bgnbd_histories(rng, n, 0.25, 4.0, 0.8, 2.5, age=age)
    nu = rng.gamma(4.0, 1.0 / 15.0, n)
    spend = rng.gamma(6.0 * np.maximum(x, 1), 1.0 / nu) / np.maximum(x, 1)  # mean of x gamma(6, nu) values
    return pd.DataFrame({"customer_id": [f"S{i:07d}" for i in range(n)], "frequency": x.astype(np.int64),
                         "recency_days": np.floor(t_x).astype(np.int64), "age_days": age.astype(np.int64),
                         "monetary_value": np.where(x > 0, spend, 0.0)})


def online_retail(folder: Path) -> pd.DataFrame:
    import marketsql

    project = marketsql.Project.load(REPO / "examples" / "online_retail", database=folder / "retail.duckdb")
    project.build()
    con = project.connect(read_only=True)
    try:
        return con.execute(f"SELECT customer_id, {', '.join(COLUMNS)} FROM clv_summary").df()
    finally:
        con.close()


def run_ours(path: str) -> dict:
    import duckdb

    from marketsql.core.tablemacro import table_macro
    from marketsql.models import kind
    from marketsql.models.clv import BgNbd, GammaGamma
    from marketsql.models.clv.sql import duckdb_macros
    from marketsql.models.clv.value import customer_value
    from marketsql.models.registry import ModelRecord

    frame = pd.read_parquet(path)
    x, t_x, age, m = (frame[c].to_numpy(np.float64) for c in COLUMNS)
    started = time.perf_counter()
    bgnbd, spend = BgNbd.fit(x, t_x, age), GammaGamma.fit(x, m)
    fit_s = time.perf_counter() - started
    started = time.perf_counter()
    bgnbd.p_alive(x, t_x, age), bgnbd.expected_purchases(90, x, t_x, age), bgnbd.expected_purchases(365, x, t_x, age)
    spend.expected_order_value(x, m), customer_value(bgnbd, spend, 12, 0.1, x, t_x, age, m)
    score_s = time.perf_counter() - started
    assert bgnbd.fit_ is not None and spend.fit_ is not None
    params = {**bgnbd.fit_.as_dict(), **spend.fit_.as_dict(), "annual_discount": 0.1, "horizon_days": 365,
              "calibration_end": "2000-01-01"}
    record = ModelRecord("clv", 1, "", pd.Timestamp.now(), "active", params, [], {}, "", "")
    con = duckdb.connect()
    try:
        con.execute("CREATE TABLE clv_summary AS SELECT *, 0.0 AS revenue FROM frame")
        for u in kind("clv").udfs(con, record):
            con.create_function(u.name, u.func, list(u.params), u.returns, type="arrow")
        for statement in duckdb_macros(params, 0.1):
            con.execute(statement)
        con.execute(table_macro("clv_parameters", [("annual_discount", "DOUBLE"), ("horizon_days", "INTEGER"),
                                                   ("model_version", "INTEGER")], [[0.1, 365, 1]]))
        started = time.perf_counter()
        con.execute(f"CREATE TABLE customer_value AS {(REPO / 'sql/marts/customer_value.sql').read_text()}")
        mart_s = time.perf_counter() - started
        rows = con.execute("SELECT count(*) FROM customer_value").fetchall()[0][0]
    finally:
        con.close()
    return {"fit_s": fit_s, "score_s": score_s, "mart_s": mart_s, "rows": rows,
            "params": {k: round(float(params[k]), 5) for k in ("r", "alpha", "a", "b", "p", "q", "v")}}


def run_reference(path: str) -> dict:
    from test_clv_online_retail import _optimise, reference_bgnbd_loglik, reference_gamma_gamma_loglik

    frame = pd.read_parquet(path)
    x, t_x, age, m = (frame[c].to_numpy(np.float64) for c in COLUMNS)
    started = time.perf_counter()
    bg = _optimise(lambda prm: reference_bgnbd_loglik(prm, x, t_x, age), np.array([1.0, 10.0, 0.5, 5.0]))
    keep = (x > 0) & (m > 0)
    gg = _optimise(lambda prm: reference_gamma_gamma_loglik(prm, x[keep], m[keep]), np.array([1.0, 2.0, 100.0]))
    return {"fit_s": time.perf_counter() - started,
            "params": dict(zip(("r", "alpha", "a", "b", "p", "q", "v"), [round(float(v), 5) for v in [*bg, *gg]]))}


LIFETIMES = """
import json, sys, time, resource
import numpy as np, pandas as pd
from lifetimes import BetaGeoFitter, GammaGammaFitter
f = pd.read_csv(sys.argv[1])
x, t, T, m = (f[c].to_numpy(float) for c in ("frequency", "recency_days", "age_days", "monetary_value"))
s = time.perf_counter()
bg = BetaGeoFitter().fit(x, t, T)
keep = (x > 0) & (m > 0)
gg = GammaGammaFitter().fit(x[keep], m[keep])
fit_s = time.perf_counter() - s
s = time.perf_counter()
bg.conditional_probability_alive(x, t, T); bg.conditional_expected_number_of_purchases_up_to_time(90, x, t, T)
bg.conditional_expected_number_of_purchases_up_to_time(365, x, t, T)
gg.customer_lifetime_value(bg, pd.Series(x), pd.Series(t), pd.Series(T), pd.Series(m), time=12, discount_rate=0.00797)
score_s = time.perf_counter() - s
p = {**bg.params_, **gg.params_}
print(json.dumps({"fit_s": fit_s, "score_s": score_s, "params": {k: round(float(v), 5) for k, v in p.items()},
                  "peak_rss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024}))
"""


def run_lifetimes(python: str, path: str) -> dict:
    started = time.perf_counter()
    done = subprocess.run([python, "-c", LIFETIMES, path], capture_output=True, text=True)
    if done.returncode != 0:
        return {"error": done.stderr.strip().splitlines()[-1] if done.stderr.strip() else "failed"}
    return {"seconds": time.perf_counter() - started, **json.loads(done.stdout.strip().splitlines()[-1])}


def prepare(kind: str, n: int, path: str, folder: str, csv: bool) -> dict:
    """Write one case's summary (Online Retail built from its CSV, or simulated customers) to ``path``."""
    frame = online_retail(Path(folder)) if kind == "retail" else simulated(n)
    frame.to_parquet(path)
    if csv:  # for the lifetimes venv, which has no parquet reader
        frame.to_csv(Path(path).with_suffix(".csv"), index=False)
    return {"rows": len(frame)}


CHILDREN = {"ours": run_ours, "reference": run_reference, "prepare": prepare}


def main() -> None:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--sizes", default="100000,1000000,5000000", help="simulated customers, comma-separated")
    parser.add_argument("--reference-max", type=int, default=100_000, help="largest size the reference fits")
    parser.add_argument("--lifetimes", default="/tmp/venv-lt/bin/python", help="interpreter with lifetimes")
    args = parser.parse_args()
    print("load:", subprocess.run(["uptime"], capture_output=True, text=True).stdout.strip())
    with tempfile.TemporaryDirectory() as tmp:
        # the data are made in a child too: a child's peak RSS starts from its parent's, which stays small
        cases = [("Online Retail", "retail", 0)] + [(f"simulated {int(n):,}", "simulated", int(n))
                                                    for n in args.sizes.split(",") if n]
        totals: list[tuple[int, float, float]] = []  # simulated sizes: (customers, seconds, peak MB)
        for label, kind, n in cases:
            path = str(Path(tmp) / f"summary_{kind}_{n}.parquet")
            csv = Path(args.lifetimes).exists() and n <= args.reference_max
            rows = child(__file__, "prepare", kind=kind, n=n, path=path, folder=tmp, csv=csv)["rows"]
            ours = child(__file__, "ours", path=path)
            if kind == "simulated":
                totals.append((rows, ours["fit_s"] + ours["score_s"] + ours["mart_s"], ours["peak_rss_mb"]))
            print(f"{label:<20} {rows:>9,} customers  ours: fit {ours['fit_s']:6.2f} s, score {ours['score_s']:5.2f} s,"
                  f" customer_value mart {ours['mart_s']:5.2f} s, peak {ours['peak_rss_mb']:6.0f} MB")
            print(f"{'':<31}params {ours['params']}")
            if rows <= args.reference_max:
                ref = child(__file__, "reference", path=path)
                print(f"{'':<31}reference (plain scipy): fit {ref['fit_s']:6.2f} s, peak {ref['peak_rss_mb']:6.0f} MB,"
                      f" ratio {ref['fit_s'] / ours['fit_s']:.1f}x; params {ref['params']}")
            if Path(args.lifetimes).exists() and rows <= args.reference_max:
                lt = run_lifetimes(args.lifetimes, str(Path(path).with_suffix(".csv")))
                if "error" in lt:
                    print(f"{'':<31}lifetimes: {lt['error']}")
                else:
                    print(f"{'':<31}lifetimes: fit {lt['fit_s']:6.2f} s, score {lt['score_s']:5.2f} s, peak"
                          f" {lt['peak_rss_mb']:6.0f} MB, fit ratio {lt['fit_s'] / ours['fit_s']:.1f}x;"
                          f" params {lt['params']}")
        growth(totals)
    print("load:", subprocess.run(["uptime"], capture_output=True, text=True).stdout.strip())


def growth(totals: list[tuple[int, float, float]]) -> None:
    """Seconds per 100 k customers at each size, the growth exponent between sizes, and the 1 M targets."""
    for n, seconds, peak in totals:
        line = f"{n:>11,} customers: fit + scores + mart {seconds:6.2f} s ({seconds / n * 1e5:5.2f} s per 100 k), peak"
        print(f"{line} {peak:6.0f} MB")
        if n == 1_000_000:
            print(f"{'':<13}1 M targets: < 60 s {'met' if seconds < 60 else 'MISSED'},"
                  f" < 2 GB peak {'met' if peak < 2048 else 'MISSED'}")
    for (n0, s0, m0), (n1, s1, m1) in zip(totals, totals[1:]):
        k = np.log(s1 / s0) / np.log(n1 / n0)
        print(f"{n0:>11,} -> {n1:,}: time x{s1 / s0:.2f} for x{n1 / n0:.0f} customers (exponent {k:.2f};"
              f" {'no faster than linear' if k <= 1.05 else 'FASTER than linear'}), peak memory x{m1 / m0:.2f}")


if __name__ == "__main__":
    if len(sys.argv) > 2 and sys.argv[1] == "--child":
        run_child(CHILDREN, sys.argv[2], sys.argv[3])
    else:
        main()
