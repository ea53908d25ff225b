"""Uplift on Hillstrom beside scikit-uplift (`pip install -e '.[bench]'`), same learner, same split, one process.

    python bench/uplift.py                     # outcome visit; --outcome conversion for the rare one

For each arm (mens, womens) against control: the T-learner and class transformation fitted by marketsql
(numpy scoring of the exported trees, marketsql's Qini/AUUC) and by scikit-uplift's TwoModels /
ClassTransformation with the same HistGradientBoostingClassifier and the same stratified split (its
qini_auc_score / uplift_auc_score); the differences must stay within 0.01. Then scoring speed: the exported
trees in numpy against scikit-learn's predict_proba on the same rows (best of 3), with the load average.
"""

from __future__ import annotations

import argparse
import os
import time
import warnings
from pathlib import Path

import duckdb
import numpy as np
from timing import best  # bench/timing.py

from marketsql.models.uplift.data import CONTROL, check
from marketsql.models.uplift.metrics import auuc, qini_coefficient
from marketsql.models.uplift.train import fit, learner, score, split
from marketsql.models.uplift.trees import Forest

REPO = Path(__file__).resolve().parents[1]
MAPPING = REPO / "examples" / "hillstrom" / "sql" / "staging" / "campaign_customers.sql"
CSV = REPO.parent / "shared" / "data" / "hillstrom_email" / "hillstrom.csv.gz"


def campaign(outcome: str):
    """campaign_customers of examples/hillstrom, straight from its SQL file over the CSV."""
    con = duckdb.connect()
    con.execute("CREATE SCHEMA raw")
    con.execute(f"CREATE VIEW raw.hillstrom AS SELECT row_number() OVER () AS _source_row, * FROM read_csv('{CSV}')")
    frame = con.execute(MAPPING.read_text()).df()
    con.close()
    return check(frame, outcome)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--outcome", default="visit")
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args()
    warnings.filterwarnings("ignore", category=FutureWarning)  # scikit-uplift calls a deprecated sklearn helper
    from sklift.metrics import qini_auc_score, uplift_auc_score
    from sklift.models import ClassTransformation, TwoModels

    c = campaign(args.outcome)
    print(f"Hillstrom, outcome {args.outcome}, {len(c.frame):,} customers; load {os.getloadavg()[0]:.1f}")
    print(f"{'arm':<8} {'method':<22} {'Qini ours':>10} {'sklift':>10} {'diff':>8} {'AUUC ours':>10} {'sklift':>10}"
          f" {'diff':>8}")
    worst = 0.0
    for arm in c.arms:
        rows = c.group(arm) | c.group(CONTROL)
        x, t = c.x[rows], c.group(arm)[rows].astype(np.int64)
        y = (c.values(args.outcome)[rows] > 0).astype(np.int64)
        train, test = split(t, y, args.seed)
        for method in ("t_learner", "class_transformation"):
            ours = score(method, fit(method, x[train], y[train], t[train], args.seed), x[test])
            if method == "t_learner":
                model = TwoModels(estimator_trmnt=learner(int(t[train].sum()), args.seed),
                                  estimator_ctrl=learner(int((1 - t[train]).sum()), args.seed), method="vanilla")
            else:
                model = ClassTransformation(estimator=learner(len(train), args.seed))
            theirs = model.fit(x[train], y[train], t[train]).predict(x[test])
            q = (qini_coefficient(y[test], ours, t[test]), qini_auc_score(y[test], theirs, t[test]))
            a = (auuc(y[test], ours, t[test]), uplift_auc_score(y[test], theirs, t[test]))
            worst = max(worst, abs(q[0] - q[1]), abs(a[0] - a[1]))
            print(f"{arm:<8} {method:<22} {q[0]:>10.4f} {q[1]:>10.4f} {q[0] - q[1]:>8.1e} {a[0]:>10.4f} {a[1]:>10.4f}"
                  f" {a[0] - a[1]:>8.1e}")
    print(f"largest difference {worst:.1e} ({'within' if worst <= 0.01 else 'NOT within'} 0.01)")
    model = learner(len(c.x), args.seed).fit(c.x, (c.values(args.outcome) > 0).astype(np.int64))
    forest = Forest.from_sklearn(model)
    big = np.tile(c.x, (4, 1))
    ours_s, theirs_s = best(lambda: forest.proba(big)), best(lambda: model.predict_proba(big))
    gap = np.abs(forest.proba(big) - model.predict_proba(big)[:, 1]).max()
    print(f"scoring {len(big):,} rows, 100 trees: numpy trees {len(big) / ours_s / 1e6:.2f} M rows/s, scikit-learn"
          f" predict_proba {len(big) / theirs_s / 1e6:.2f} M rows/s ({theirs_s / ours_s:.2f}x); largest difference"
          f" {gap:.1e}; load {os.getloadavg()[0]:.1f}")


if __name__ == "__main__":
    started = time.perf_counter()
    main()
    print(f"total {time.perf_counter() - started:.0f} s")
