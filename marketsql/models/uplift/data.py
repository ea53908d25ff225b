"""The campaign contract (view ``campaign_customers``) read and checked before any heavy import.

One row per customer of a randomised campaign: ``customer_id``, ``treatment`` (the arm the customer was
randomised to; ``'control'`` for those left out), the outcomes ``visit`` and ``conversion`` (0/1) and ``spend``,
then any number of numeric feature columns known before the campaign (map text to 0/1 columns in SQL).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from marketsql.errors import ModelError

VIEW = "campaign_customers"
CONTROL = "control"
CONTRACT = ("customer_id", "treatment", "visit", "conversion", "spend")
OUTCOMES = ("visit", "conversion")
MIN_GROUP = 100  # customers in each arm and in control
MIN_RESPONDERS = 10  # responders in each arm and in control
FIX = "map a randomised campaign into campaign_customers in the project's staging and build"


@dataclass(frozen=True)
class Campaign:
    """The checked campaign: features as a float matrix (NaN = missing), arms, outcomes."""

    frame: pd.DataFrame
    features: list[str]
    x: np.ndarray
    arms: list[str]
    outcome: str

    def group(self, arm: str) -> np.ndarray:
        """Boolean mask of the rows of ``arm`` (or of control)."""
        return (self.frame["treatment"] == arm).to_numpy()

    def values(self, column: str) -> np.ndarray:
        """An outcome column as float64 (NULL = 0)."""
        return self.frame[column].astype("float64").fillna(0.0).to_numpy(np.float64)


def features_of(frame: pd.DataFrame) -> list[str]:
    """The feature columns of a campaign frame: every column after the contract's, which must be numeric."""
    missing = [c for c in CONTRACT if c not in frame.columns]
    if missing:
        raise ModelError(f"{VIEW} lacks the column(s) {', '.join(missing)} — its contract is"
                         f" {', '.join(CONTRACT)}, then numeric features; {FIX}")
    features = [c for c in frame.columns if c not in CONTRACT]
    if not features:
        raise ModelError(f"{VIEW} has no feature columns — add numeric columns known before the campaign"
                         " (recency, past spend …) after the contract's")
    numeric = pd.api.types.is_numeric_dtype
    text = [c for c in features if not (numeric(frame[c]) or pd.api.types.is_bool_dtype(frame[c]))]
    if text:
        raise ModelError(f"{VIEW} feature column {text[0]} is {frame[text[0]].dtype}, not numeric — map it to"
                         " numbers in SQL (e.g. one 0/1 column per value)")
    return features


def check(frame: pd.DataFrame, outcome: str) -> Campaign:
    """The campaign of ``frame`` for ``outcome``, or one ModelError line saying what is wrong with it."""
    if outcome not in OUTCOMES:
        raise ModelError(f"--outcome {outcome!r}: give one of {', '.join(OUTCOMES)}")
    if frame.empty:
        raise ModelError(f"{VIEW} is empty: the uplift model needs a randomised campaign — {FIX}")
    features = features_of(frame)
    treatment = frame["treatment"].astype("string")
    if treatment.isna().any():
        raise ModelError(f"{VIEW} has {int(treatment.isna().sum()):,} customer(s) without a treatment — give each"
                         f" customer its arm, or '{CONTROL}'")
    arms = sorted(set(treatment) - {CONTROL})
    if CONTROL not in set(treatment):
        raise ModelError(f"{VIEW} has no control group (treatment = '{CONTROL}'; arms: {', '.join(arms)}) — uplift"
                         " needs customers randomly left out of the campaign; map them to 'control'")
    if not arms:
        raise ModelError(f"{VIEW} holds only the control group — map the treated customers with their arm")
    y = frame[outcome].astype("float64").fillna(0.0)
    for arm in [*arms, CONTROL]:
        rows = (treatment == arm).to_numpy()
        label = "the control group" if arm == CONTROL else f"treatment {arm!r}"
        if rows.sum() < MIN_GROUP:
            raise ModelError(f"{label} has {int(rows.sum()):,} customer(s) in {VIEW}, need at least {MIN_GROUP}"
                             " — load the whole campaign")
        responders = int((y[rows] > 0).sum())
        if responders < MIN_RESPONDERS:
            none = "no responders" if responders == 0 else f"only {responders} responder(s)"
            raise ModelError(f"{label} has {none} ({outcome} = 1 for {responders} of {int(rows.sum()):,}),"
                             f" need at least {MIN_RESPONDERS} — choose another --outcome or a longer window")
    frame = frame.assign(treatment=treatment.astype(object))
    x = frame[features].astype("float64").to_numpy(np.float64, na_value=np.nan)
    return Campaign(frame, features, x, arms, outcome)
