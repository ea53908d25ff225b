"""Training: examples at every cutoff, the candidates of each target fitted, calibrated and judged on the
evaluation cutoff, the winner by PR AUC served — the baseline when no model beats it."""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import duckdb
import numpy as np
import pandas as pd

from marketsql.errors import ModelError

from .candidates import CANDIDATES, Fitted, fit_baseline, fit_hgb, fit_logistic
from .data import Cutoffs, examples
from .metrics import judge
from .targets import FEATURES, Target

MIN_CLASS = 10  # buyers and non-buyers each fold needs: fewer cannot be fitted or judged


@dataclass
class TargetResult:
    """One target: every candidate's metrics on the evaluation cutoff, the one served, its counts."""

    target: Target
    metrics: dict[str, dict[str, Any]]
    served: Fitted
    positives: dict[str, int]
    rows: dict[str, int]

    @property
    def baseline_served(self) -> bool:
        """True when no candidate beat the baseline's PR AUC."""
        return self.served.name == "baseline"


@dataclass
class PropensityTraining:
    """Everything a training found: the cutoffs and one result per target."""

    cutoffs: Cutoffs
    results: list[TargetResult]
    frames: dict[str, pd.DataFrame] = field(default_factory=dict, repr=False)

    def lines(self) -> list[str]:
        """What ``marketsql train propensity`` prints."""
        c = self.cutoffs
        out = [f"rolling origin, horizon {c.horizon_days} days: fit at {', '.join(map(str, c.fit))}; calibrated at"
               f" {c.validation}; judged at {c.evaluation}"]
        for r in self.results:
            out.append(f"{r.target.name}: {r.positives['evaluation']:,} of {r.rows['evaluation']:,} customers bought"
                       f" within {c.horizon_days} days of {c.evaluation}")
            for name in (c for c in CANDIDATES if c in r.metrics):
                m = r.metrics[name]
                mark = " <- served" if name == r.served.name else ""
                out.append(f"  {name:<9} PR AUC {m['pr_auc']:.3f}  ROC AUC {m['roc_auc']:.3f}  Brier {m['brier']:.4f}"
                           f"  lift@10% {m['lift_top_10']:.2f}  capture@10% {m['capture_top_10']:.0%}{mark}")
            if r.baseline_served:
                out.append("  baseline served: no model beat the baseline's PR AUC")
        return out


def _xy(frame: pd.DataFrame) -> tuple[np.ndarray, np.ndarray]:
    return frame[list(FEATURES)].to_numpy(np.float64), frame["label"].to_numpy(np.int64)


def fit_target(target: Target, index: int, fit: pd.DataFrame, validation: pd.DataFrame, evaluation: pd.DataFrame,
               seed: int, candidates: Sequence[str] = CANDIDATES) -> TargetResult:
    """Fit, calibrate and judge the candidates of one target; serve the best PR AUC (the baseline on a tie)."""
    folds = {"fit": fit, "validation": validation, "evaluation": evaluation}
    positives = {name: int(frame["label"].sum()) for name, frame in folds.items()}
    rows = {name: len(frame) for name, frame in folds.items()}
    for name, count in positives.items():
        if min(count, rows[name] - count) < MIN_CLASS:
            what = ("no customer" if count == 0 else f"only {count} customer(s)" if count < MIN_CLASS else
                    f"all but {rows[name] - count} of {rows[name]} customers")
            raise ModelError(f"--target {target.name}: {what} bought it in the {name} horizon — need at least"
                             f" {MIN_CLASS} buyers and {MIN_CLASS} non-buyers: give a longer --horizon-days, more"
                             " customers or another target")
    (x, y), (xv, yv), (xe, ye) = _xy(fit), _xy(validation), _xy(evaluation)
    fitted = [fit_baseline(xv, yv)]
    if "logistic" in candidates:
        fitted.append(fit_logistic(x, y, xv, yv, seed))
    if "hgb" in candidates:
        fitted.append(fit_hgb(x, y, xv, yv, seed, index))
    metrics = {f.name: {**judge(f.model.probability(xe), ye), "fit_seconds": f.seconds} for f in fitted}
    best = max(fitted, key=lambda f: (metrics[f.name]["pr_auc"], f.name == "baseline"))
    return TargetResult(target, metrics, best, positives, rows)


def train_targets(con: duckdb.DuckDBPyConnection, views: Mapping[str, Any], targets: Sequence[Target],
                  cutoffs: Cutoffs, seed: int, say: Callable[[str], None],
                  candidates: Sequence[str] = CANDIDATES) -> PropensityTraining:
    """Examples at every cutoff (all targets at once), then each target's candidates."""
    def at(day: Any) -> pd.DataFrame:
        say(f"features as of {day}")
        return examples(con, views, targets, day, cutoffs.horizon_days)

    fit = pd.concat([at(day) for day in cutoffs.fit], ignore_index=True)
    validation, evaluation = at(cutoffs.validation), at(cutoffs.evaluation)
    results = []
    for index, target in enumerate(targets):
        say(f"fitting the candidates of {target.name}")
        part = [frame[frame["target"] == target.name] for frame in (fit, validation, evaluation)]
        results.append(fit_target(target, index, part[0], part[1], part[2], seed=seed, candidates=candidates))
    return PropensityTraining(cutoffs, results, {"evaluation": evaluation})
