"""Benchmark of forecast reconciliation: base (unreconciled) vs bottom-up vs OLS vs MinT-shrink forecasts of
revenue, orders and customers by cut, on Online Retail (category and country) and the demo (category, country
and segment), side by side: the mean MASE over the series and the rolling origins (what the forecast kind
chooses by), and the time of the base forecasts and of each reconciliation.

    python bench/hierarchy.py                 # Online Retail + the demo (5,000 customers, with segmentation)
    python bench/hierarchy.py --retail        # Online Retail only

MASE: each series' holdout MAE over the in-sample MAE of the seasonal naive (naive before a year and a month)
on its training months, at each rolling origin; averaged over the series of a measure's hierarchy (the total and
the parts of every cut that adds up to it) and over the origins.
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

import marketsql  # noqa: E402
from marketsql.models.forecast import fit  # noqa: E402
from marketsql.models.forecast.hierarchy import METHODS, reconcile  # noqa: E402

timings: dict[str, float] = {}


def _timed_reconcile(method: str, base: np.ndarray, groups: list[list[int]], history: np.ndarray) -> np.ndarray:
    start = time.perf_counter()
    made = reconcile(method, base, groups, history)
    timings[method] = timings.get(method, 0.0) + time.perf_counter() - start
    return made


def run(label: str, project: marketsql.Project, dimensions: tuple[str, ...], horizon: int) -> None:
    """Train the forecast on ``project`` (registered in place, no rebuild) and print the table."""
    timings.clear()
    fit.reconcile = _timed_reconcile  # type: ignore[assignment]
    start = time.perf_counter()
    trained = project.train("forecast", horizon=horizon, dimensions=dimensions, rebuild=False)
    total = time.perf_counter() - start
    result = trained.result
    print(f"\n{label}: {len(result.series)} series, {len(result.holdout_months)}-month holdout,"
          f" {total:.1f} s in all (base forecasts and segments as of each month; load {os.getloadavg()[0]:.1f})")
    print(f"| measure | cuts added up | series | origins | base | {' | '.join(METHODS)} | chosen |")
    print(f"|---|---|---:|---:|---:|{'---:|' * len(METHODS)}---|")
    for measure, block in result.reconciliation.items():
        mase = block["mase"]
        print(f"| {measure} | {', '.join(block['dimensions'])} | {block['series']} | {block['origins']} |"
              f" {mase['base']:.3f} | {' | '.join(f'{mase[m]:.3f}' for m in METHODS)} | {block['chosen']} |")
    print("reconciliation time, all measures and origins: "
          + ", ".join(f"{m} {timings.get(m, 0.0) * 1000:.1f} ms" for m in METHODS))
    for line in result.said + result.notes:
        print(f"note: {line}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--retail", action="store_true", help="Online Retail only")
    args = parser.parse_args()
    print(f"load before: {os.getloadavg()[0]:.2f} on {os.cpu_count()} cores")
    with tempfile.TemporaryDirectory() as tmp:
        retail = marketsql.Project.load(REPO / "examples" / "online_retail", database=Path(tmp) / "retail.duckdb")
        retail.build()
        run("Online Retail (category, country)", retail, ("category", "country"), 6)
        if not args.retail:
            from marketsql.demo.generate import generate_demo_data

            root = Path(tmp) / "demo"
            marketsql.init(root)
            generate_demo_data(root / "data" / "demo", customers=5_000, seed=7)
            demo = marketsql.Project.load(root)
            demo.build()
            demo.train("segmentation", rebuild=False)
            run("Demo, 5,000 customers (category, country, segment)", demo, ("category", "country", "segment"), 4)
    print(f"load after: {os.getloadavg()[0]:.2f}")


if __name__ == "__main__":
    main()
