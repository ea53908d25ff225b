"""Benchmark of the forecast and budget models: training seconds, allocation time, and what the
suggested split is worth against the current and an equal split, all in one run.

    python bench/forecast_budget.py                      # Online Retail + demo with 20,000 customers
    python bench/forecast_budget.py --customers 100000

Allocation: the closed form (bisection on the marginal return) against scipy's SLSQP on the same
curves, bounds and total (best of 5 each). Splits are compared on the fitted curves and, for the demo,
on the planted truth (truth.json: alpha * spend ** beta per channel), which the model never saw.
"""

from __future__ import annotations

import argparse
import json
import tempfile
import time
from pathlib import Path

import numpy as np
from timing import best_and_result  # bench/timing.py (the script's folder is on sys.path)

REPO = Path(__file__).resolve().parents[1]


def train_timed(project, name: str, **options) -> tuple[float, float, object]:
    """Seconds of fit + register alone, seconds with the rebuild, and the result."""
    import duckdb

    from marketsql import models
    from marketsql.models.kind import TrainContext
    from marketsql.models.registry import Registry

    con = duckdb.connect(str(project.database))
    started = time.perf_counter()
    try:
        context = TrainContext(con, Registry(con), project.views, lambda message: None)
        result, _ = models.kind(name).train(context, **options)
    finally:
        con.close()
    fit = time.perf_counter() - started
    project.build()
    return fit, time.perf_counter() - started, result


def slsqp(curves, total: float, upper: np.ndarray) -> np.ndarray:
    from scipy.optimize import minimize

    result = minimize(lambda s: -sum(float(c.revenue(x)) for c, x in zip(curves, s, strict=True)),
                      np.minimum(upper, total / len(curves)), method="SLSQP", bounds=[(0, u) for u in upper],
                      constraints=[{"type": "eq", "fun": lambda s: s.sum() - total}])
    return result.x


def main() -> None:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--customers", type=int, default=20_000)
    args = parser.parse_args()

    import marketsql
    from marketsql.demo.generate import generate_demo_data
    from marketsql.models.budget.allocate import allocate, predict

    with tempfile.TemporaryDirectory(prefix="marketsql-bench-") as tmp:
        retail = marketsql.Project.load(REPO / "examples" / "online_retail", database=Path(tmp) / "retail.duckdb")
        retail.build()
        fit, total_s, result = train_timed(retail, "forecast")
        wins = sum(r.winner == "model" for r in result.results)
        print(f"Online Retail forecast: fit + register {fit:.1f} s (incl. the statsmodels import),"
              f" with the rebuild {total_s:.1f} s; {len(result.results)} series, ETS beats its baseline on {wins}")

        demo = marketsql.init(Path(tmp) / "demo")
        generate_demo_data(demo.root / "data" / "demo", customers=args.customers, seed=7)
        demo.build()
        fit, total_s, result = train_timed(demo, "forecast")
        wins = sum(r.winner == "model" for r in result.results)
        print(f"Demo ({args.customers:,} customers) forecast: fit + register {fit:.1f} s, with the rebuild"
              f" {total_s:.1f} s; {len(result.results)} series, ETS beats its baseline on {wins}")
        fit, total_s, budget = train_timed(demo, "budget")
        pooled = budget.metrics["pooled"]
        print(f"Demo budget: fit + register {fit:.2f} s, with the rebuild {total_s:.1f} s; holdout MAPE of new"
              f" customers: curves {pooled['curve']['mape']:.1%},"
              f" constant-CAC baseline {pooled['baseline']['mape']:.1%}")

        curves = budget.curves
        truth = json.loads((demo.root / "data" / "demo" / "truth" / "truth.json").read_text())["channels"]

        def true_customers(split: dict[str, float]) -> float:
            return sum(truth[c]["alpha"] * max(s, 0.0) ** truth[c]["beta"] for c, s in split.items())

        current = dict(zip([c.channel for c in curves], budget.current_spend, strict=True))
        for total in (float(sum(current.values())), 100_000.0):
            seconds, split = best_and_result(lambda t=total: allocate(curves, t), repeat=5)
            upper = split.table["max_spend"].to_numpy()
            slsqp_seconds, x = best_and_result(lambda t=total, u=upper: slsqp(curves, t, u), repeat=5)
            suggested = dict(zip(split.table["channel"], split.table["spend"], strict=True))
            scale = total / sum(current.values())
            splits = {"suggested": suggested, "SLSQP": dict(zip(suggested, x, strict=True)),
                      "current split": {c: s * scale for c, s in current.items()},
                      "equal split": {c.channel: total / len(curves) for c in curves}}
            print(f"\nMonthly total {total:,.0f}: closed-form allocation {seconds * 1e3:.2f} ms,"
                  f" SLSQP {slsqp_seconds * 1e3:.1f} ms ({slsqp_seconds / seconds:.0f}x)")
            base = predict(curves, splits["current split"])
            for name, chosen in splits.items():
                customers, revenue = predict(curves, chosen)
                beyond = [c.channel for c in curves if chosen[c.channel] > c.max_spend * 1.25 + 1e-6]
                print(f"  {name:<14} predicted revenue {revenue:>12,.0f} ({revenue / base[1] - 1:+.1%} vs current),"
                      f" new customers {customers:8,.1f}; planted truth: {true_customers(chosen):8,.1f} new customers"
                      + (f"  [beyond the cap: {', '.join(beyond)}]" if beyond else ""))


if __name__ == "__main__":
    main()
