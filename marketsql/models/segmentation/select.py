"""The selection rule: which candidate segmentation is served, and a sentence saying why."""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
import pandas as pd

from .candidates import BOOTSTRAPS

FINALIST_MARGIN = 0.01  # candidates this close to the best screened silhouette are scored again…
FINALIST_SAMPLE = 10_000  # …on this many customers, so that sampling noise does not decide
MIN_STABILITY = 0.8

SELECTION_RULE = (
    f"among candidates with stability >= {MIN_STABILITY} (mean adjusted Rand index vs {BOOTSTRAPS} bootstrap "
    "refits), maximise silhouette (rounded to 3 decimals), ties broken by lower Davies-Bouldin; "
    "if no candidate is stable, take the most stable"
)


def select(
    candidates: pd.DataFrame, stability: Callable[[int], float], refined: Callable[[int], float]
) -> tuple[int, str]:
    """Index of the chosen candidate and a sentence saying why.

    Silhouettes are first measured on a small sample; those within FINALIST_MARGIN of the best are
    measured again on FINALIST_SAMPLE customers and that value replaces the first. Stability is
    costly (bootstrap refits), so it is measured in the order the rule would pick: best silhouette
    first, until a stable candidate is found — the same choice as measuring all of them.
    """
    ok = candidates[np.isfinite(candidates["silhouette"])]
    if ok.empty:
        ok = candidates
    else:
        finalists = ok.index[ok["silhouette"] >= ok["silhouette"].max() - FINALIST_MARGIN]
        for i in finalists:
            candidates.loc[i, "silhouette"] = refined(i)
        ok = candidates.loc[ok.index]
    order = ok.assign(_s=ok["silhouette"].round(3)).sort_values(
        ["_s", "davies_bouldin"], ascending=[False, True], kind="stable"
    )
    for i in order.index:
        candidates.loc[i, "stability"] = stability(i)
        if candidates.loc[i, "stability"] >= MIN_STABILITY:
            row = candidates.loc[i]
            why = (
                f"{row['algorithm']} k={row['k']} on {row['features']} features: highest silhouette"
                f" ({row['silhouette']:.3f}, Davies-Bouldin {row['davies_bouldin']:.3f}) of the stable candidates"
                f" (its stability {row['stability']:.3f}; {int(candidates['stability'].notna().sum())} of"
                f" {len(candidates)} candidates needed measuring)"
            )
            return int(i), f"Rule: {SELECTION_RULE}. Chosen: {why}."
    best = int(np.nanargmax(candidates["stability"].to_numpy(dtype=np.float64)))
    row = candidates.iloc[best].to_dict()
    why = (
        f"{row['algorithm']} k={row['k']} on {row['features']} features: no candidate reached stability"
        f" {MIN_STABILITY}; this is the most stable ({row['stability']:.3f}, silhouette {row['silhouette']:.3f})"
    )
    return best, f"Rule: {SELECTION_RULE}. Chosen: {why}."
