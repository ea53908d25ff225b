"""How a propensity list would have done: the same rule applied on the model's evaluation cutoff, whose purchases
are known.

The served model was fitted on earlier cutoffs and calibrated on the validation cutoff; the evaluation cutoff
(analysis date − horizon) only chose it among the candidates. Features are recomputed as of that day
(:func:`marketsql.models.propensity.data.examples`, no later purchase), scored with the stored model, valued with
today's values, ranked with the same cost, floor and number of contacts; the realised buyers of that list are
compared with the baseline rule's first customers and with the share of all customers who bought.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date
from typing import Any

import duckdb
import numpy as np

from marketsql.models.propensity.data import examples
from marketsql.models.propensity.network import SequenceNet
from marketsql.models.propensity.sequences import SequenceIndex, sequences_as_of
from marketsql.models.propensity.serve import models_of, targets_of, vocabulary_of
from marketsql.models.propensity.targets import FEATURES
from marketsql.models.registry import Registry

from .lists import Holdout, rank
from .scores import Scores


def propensity_holdout(con: duckdb.DuckDBPyConnection, views: Mapping[str, Any], scores: Scores, cost: float,
                       min_profit: float, contacts: int) -> Holdout | None:
    """The rule's list on the evaluation cutoff and its realised buyers; None where nothing can be measured."""
    record = Registry(con).active("propensity")
    targets = targets_of(record)
    index = next((i for i, t in enumerate(targets) if t.name == scores.target), None)
    if index is None or contacts < 1:
        return None
    cutoffs = record.params["cutoffs"]
    cutoff, horizon = date.fromisoformat(cutoffs["evaluation"]), int(record.params["horizon_days"])
    frame = examples(con, views, [targets[index]], cutoff, horizon)
    if frame.empty:
        return None
    x = frame[list(FEATURES)].to_numpy(np.float64)
    model = models_of(con, record)[index]
    if isinstance(model, SequenceNet):  # the network also reads the purchase sequence as of the same cutoff
        steps = SequenceIndex(vocabulary_of(record, index), {None: sequences_as_of(con, views, cutoff)},
                              int(record.params["targets"][index]["steps"]))
        p = model.probability(x, steps.steps(frame["customer_id"], [None] * len(frame)))
    else:
        p = model.probability(x)
    frame = frame.assign(customer_id=frame["customer_id"].astype(str), p=p,
                         baseline_score=frame["target_bought"] + frame["recency_score"])
    values = scores.frame[["customer_id", "value"]]
    frame = frame.merge(values, on="customer_id", how="left")
    frame["value"] = frame["value"].fillna(float(values["value"].median()))
    listed = rank(frame[["customer_id", "p", "value"]], cost, min_profit, contacts)
    if listed.empty:
        return None
    bought = frame.set_index("customer_id")["label"]
    n = len(listed)
    first = frame.sort_values(["baseline_score", "customer_id"], ascending=[False, True], kind="stable").head(n)
    return Holdout(cutoff.isoformat(), horizon, n, int(bought.loc[listed["customer_id"]].sum()),
                   int(first["label"].sum()), float(frame["label"].mean()))

