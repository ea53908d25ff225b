"""Precision and recall of ``sales_anomalies`` on the demo's planted shocks, and the rank of the planted driver shift.

    python bench/anomalies.py                          # demo with 3,000 and 20,000 customers
    python bench/anomalies.py --customers 20000 --thresholds 3.5,3,2.5

Planted (marketsql/demo/shocks.py, truth.json ``shocks``): 10 days (6 spikes x4 quantity, 4 drops x0.3 price) and
4 weeks (2 spikes x3 quantity, 2 drops x0.35 price) in 24 months; Phones in the US at 0.7 of the price in the last
month. Total revenue, robust rule: recall = planted periods flagged / planted; precision = flags on a planted
period (a day inside a planted week, a week holding a planted day count as found) / flags. The other flags are
listed: on the demo they fall on the calendar's events (Black Friday weeks, Christmas).
"""

from __future__ import annotations

import argparse
import json
import os
import tempfile
import time
from datetime import date, timedelta
from pathlib import Path


def _monday(day: str) -> str:
    d = date.fromisoformat(day)
    return str(d - timedelta(days=d.weekday()))


def measure(root: Path, threshold: float) -> dict[str, object]:
    """Build with ``anomaly_threshold`` = threshold; the figures on total revenue."""
    import marketsql
    from marketsql.demo.project import DATA_DIR

    shocks = json.loads((root / DATA_DIR / "truth" / "truth.json").read_text())["shocks"]
    started = time.perf_counter()
    marketsql.Project.load(root, settings={"anomaly_threshold": str(threshold)}).build()
    seconds = time.perf_counter() - started
    con = marketsql.connect(root, read_only=True)
    try:
        def flagged(grain: str) -> set[str]:
            return {str(p)[:10] for (p,) in con.execute(
                "SELECT period FROM sales_anomalies WHERE series = 'revenue' AND method = 'robust' AND grain = ?",
                [grain]).fetchall()}

        days, weeks = flagged("day"), flagged("week")
        shift = shocks["shift"]
        month = date.fromisoformat(shift["month"] + "-01")
        before = str(date(month.year - (month.month == 1), (month.month - 2) % 12 + 1, 1))[:7]
        ranks = con.execute(f"SELECT dimension, dimension_rank, rank FROM revenue_drivers('{before}',"
                            f" '{shift['month']}') WHERE member IN (?, ?)",
                            [shift["country"], f"{shift['category']} × {shift['country']}"]).fetchall()
    finally:
        con.close()
    planted_days = set(shocks["spike_days"] + shocks["drop_days"])
    planted_weeks = set(shocks["spike_weeks"] + shocks["drop_weeks"])
    in_weeks = {str(date.fromisoformat(w) + timedelta(days=d)) for w in planted_weeks for d in range(7)}
    weeks_with_days = {_monday(d) for d in planted_days}
    return {"threshold": threshold, "build_s": round(seconds, 1),
            "day_recall": f"{len(days & planted_days)}/{len(planted_days)}",
            "day_precision": f"{len(days & (planted_days | in_weeks))}/{len(days)}",
            "week_recall": f"{len(weeks & planted_weeks)}/{len(planted_weeks)}",
            "week_precision": f"{len(weeks & (planted_weeks | weeks_with_days))}/{len(weeks)}",
            "other_days": sorted(days - planted_days - in_weeks),
            "other_weeks": sorted(weeks - planted_weeks - weeks_with_days),
            "shift_ranks": {d: (r, overall) for d, r, overall in ranks}}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--customers", default="3000,20000")
    parser.add_argument("--thresholds", default="3.5,3,2.5")
    parser.add_argument("--seed", type=int, default=7)
    args = parser.parse_args()
    import marketsql
    from marketsql.demo.generate import generate_demo_data
    from marketsql.demo.project import DATA_DIR

    print(f"load {os.getloadavg()[0]:.1f} on {os.cpu_count()} cores")
    for customers in (int(c) for c in args.customers.split(",")):
        with tempfile.TemporaryDirectory() as folder:
            root = Path(folder) / "shop"
            marketsql.init(root)
            generate_demo_data(root / DATA_DIR, customers=customers, seed=args.seed)
            for threshold in (float(t) for t in args.thresholds.split(",")):
                print(f"customers {customers:,}:", measure(root, threshold))


if __name__ == "__main__":
    main()
