"""Fitting and judging the uplift candidates per treatment arm against control (scikit-learn imported here only).

On a stratified held-out fold (by arm × outcome) four rankings are compared: the two-model T-learner
(P(y | treated) − P(y | control), one gradient-boosting classifier each), class transformation (one classifier
of z = 1 when treated responders or control non-responders, uplift = 2 P(z) − 1), targeting by response
propensity (P(y | treated): the baseline a campaign manager would use) and random targeting. The uplift approach
with the higher Qini coefficient is served if it beats response propensity; otherwise response propensity is
served and the loss reported. The served method is then refitted on the whole arm.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np

from .data import CONTROL, Campaign
from .metrics import auuc, by_decile, qini_coefficient, top_share
from .trees import Forest

UPLIFT_METHODS = ("t_learner", "class_transformation")
BASELINES = ("response", "random")
SHARES = (0.1, 0.2, 0.3)
HOLDOUT = 0.3


def learner(n_rows: int, seed: int) -> Any:
    """The gradient-boosting classifier every candidate uses (also the bench's, for scikit-uplift)."""
    from sklearn.ensemble import HistGradientBoostingClassifier

    return HistGradientBoostingClassifier(max_iter=100, learning_rate=0.05, max_leaf_nodes=15,
                                          min_samples_leaf=min(100, max(10, n_rows // 100)),
                                          l2_regularization=1.0, early_stopping=False, random_state=seed)


def fit(method: str, x: np.ndarray, y: np.ndarray, treated: np.ndarray, seed: int) -> dict[str, Forest]:
    """The forests of ``method`` fitted on rows ``x`` (outcome ``y``, 1 = treated)."""
    t = treated == 1
    if method == "t_learner":
        return {"treated": Forest.from_sklearn(learner(int(t.sum()), seed).fit(x[t], y[t])),
                "control": Forest.from_sklearn(learner(int((~t).sum()), seed).fit(x[~t], y[~t]))}
    if method == "class_transformation":
        z = (y == treated).astype(np.int64)
        return {"z": Forest.from_sklearn(learner(len(y), seed).fit(x, z))}
    if method == "response":
        return {"treated": Forest.from_sklearn(learner(int(t.sum()), seed).fit(x[t], y[t]))}
    raise ValueError(method)


def score(method: str, forests: dict[str, Forest], x: np.ndarray) -> np.ndarray:
    """The ranking score of ``method``: the uplift estimate, or P(response | treated) for the baseline."""
    if method == "t_learner":
        return forests["treated"].proba(x) - forests["control"].proba(x)
    if method == "class_transformation":
        return 2.0 * forests["z"].proba(x) - 1.0
    return forests["treated"].proba(x)


@dataclass
class ArmResult:
    """One arm against control: every ranking's holdout figures, the served method and its refitted forests."""

    arm: str
    train_rows: int
    holdout_rows: int
    scores: dict[str, dict[str, float]]
    served: str
    best_uplift: str
    deciles: list[dict[str, float]]
    top: list[dict[str, float]]
    forests: dict[str, Forest] = field(repr=False)

    @property
    def beats_baseline(self) -> bool:
        """Whether an uplift approach beat response propensity on the holdout Qini."""
        return self.served != "response"


def split(treated: np.ndarray, y: np.ndarray, seed: int) -> tuple[np.ndarray, np.ndarray]:
    """Stratified (arm × outcome) train and holdout row indices."""
    from sklearn.model_selection import train_test_split

    rows = np.arange(len(y))
    return train_test_split(rows, test_size=HOLDOUT, random_state=seed, stratify=treated * 2 + (y > 0))


def fit_arm(campaign: Campaign, arm: str, seed: int, population: int) -> ArmResult:
    """Judge the candidates for ``arm`` vs control on the holdout, then refit the served one on every row."""
    rows = campaign.group(arm) | campaign.group(CONTROL)
    x = campaign.x[rows]
    treated = campaign.group(arm)[rows].astype(np.int64)
    y = (campaign.values(campaign.outcome)[rows] > 0).astype(np.int64)
    train, test = split(treated, y, seed)
    scores: dict[str, dict[str, float]] = {}
    ranked: dict[str, np.ndarray] = {}
    for method in (*UPLIFT_METHODS, "response"):
        ranked[method] = score(method, fit(method, x[train], y[train], treated[train], seed), x[test])
    ranked["random"] = np.random.default_rng(seed).random(len(test))
    for method, s in ranked.items():
        scores[method] = {"qini": qini_coefficient(y[test], s, treated[test]), "auuc": auuc(y[test], s, treated[test])}
    best = max(UPLIFT_METHODS, key=lambda m: scores[m]["qini"])
    served = best if scores[best]["qini"] > scores["response"]["qini"] else "response"
    outcomes = {name: campaign.values(name)[rows][test] for name in ("visit", "conversion", "spend")}
    deciles = by_decile(ranked[served], treated[test], outcomes)
    top = [{"share": share, "customers": int(round(share * population)),
            **{f"incremental_{name}": value * round(share * population)
               for name, value in top_share(ranked[served], treated[test], outcomes, share).items()}}
           for share in SHARES]
    forests = fit(served, x, y, treated, seed)
    return ArmResult(arm, len(train), len(test), scores, served, best, deciles, top, forests)
