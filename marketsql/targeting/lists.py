"""From scores to a contact list: expected profit per customer, ranked, cut at the budget.

expected profit = p × value − cost per contact (p: the probability of buying, or for uplift the incremental
probability); customers with an expected profit above ``min_profit`` are kept in order of expected profit until
``budget`` = contacts × cost is spent. The same number of contacts picked at random, and picked by the baseline
rule's ranking, are valued with the same probabilities for comparison.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path

import numpy as np
import pandas as pd

from marketsql.errors import ModelError

from .scores import Scores

COLUMNS = ["rank", "customer_id", "p", "value", "expected_profit"]


@dataclass(frozen=True)
class Outcome:
    """What contacting ``contacts`` customers is expected to bring."""

    contacts: int
    spend: float
    conversions: float
    revenue: float

    @property
    def profit(self) -> float:
        """Expected revenue minus spend."""
        return self.revenue - self.spend


@dataclass(frozen=True)
class Holdout:
    """Realised on the propensity model's evaluation cutoff: buyers among the first ``contacts`` of each ranking."""

    cutoff: str
    horizon_days: int
    contacts: int
    listed: int  # buyers among the customers this rule would have listed
    baseline: int  # buyers among the baseline rule's first ``contacts``
    random_rate: float  # share of all customers who bought

    def line(self) -> str:
        """One sentence for the summary."""
        n = self.contacts
        return (f"holdout (features as of {self.cutoff}, purchases in the next {self.horizon_days} days): the rule's"
                f" first {n:,} bought at {self.listed / n:.1%} ({self.listed:,}), the baseline's first {n:,} at"
                f" {self.baseline / n:.1%} ({self.baseline:,}), random {self.random_rate:.1%}")


@dataclass(frozen=True)
class TargetList:
    """A contact list and its assumptions (what ``Project.target`` returns and ``target_lists`` stores)."""

    name: str
    created_at: datetime
    scores: Scores
    budget: float
    cost_per_contact: float
    min_profit: float
    rows: pd.DataFrame  # COLUMNS, rank 1 first
    expected: Outcome
    random: Outcome
    baseline: Outcome | None  # None when the baseline is what is served, or there is no baseline ranking
    holdout: Holdout | None = None
    path: Path | None = None
    notes: list[str] = field(default_factory=list)

    def lines(self) -> list[str]:
        """The summary the CLI prints."""
        s, e = self.scores, self.expected
        what = f"{s.target}, treatment {s.treatment}" if s.treatment else s.target
        unit = ("conversions" if s.model == "propensity" else f"{s.target}s" if s.algorithm == "response"
                else f"incremental {s.target}s")
        out = [f"List {self.name}: {s.model} v{s.model_version} ({s.algorithm}) for {what}; value: {s.value_source}",
               f"{e.contacts:,} contacts, spend {e.spend:,.2f} of {self.budget:,.2f} at {self.cost_per_contact:,.2f}"
               f" each: expected {e.conversions:,.1f} {unit}, revenue {e.revenue:,.2f}, profit {e.profit:,.2f}",
               f"  the same {self.random.contacts:,} at random: {self.random.conversions:,.1f} {unit}, profit"
               f" {self.random.profit:,.2f}"]
        if self.baseline is not None:
            out.append(f"  the baseline rule's first {self.baseline.contacts:,} (valued with the served model's p):"
                       f" {self.baseline.conversions:,.1f} {unit}, profit {self.baseline.profit:,.2f}")
        if self.holdout is not None:
            out.append(f"  {self.holdout.line()}")
        if s.model == "uplift" and s.algorithm == "response":
            out.append("  note: no uplift model beat response propensity, so p is the response probability, not the"
                       " increment the campaign causes")
        out += [f"  note: {n}" for n in (*s.notes, *self.notes)]
        out.append(f"Saved as {self.name} in target_lists" + (f" and {self.path}" if self.path else ""))
        return out


def check_assumptions(budget: float, cost: float, min_profit: float, value: float | None) -> int:
    """The most contacts the budget buys; ModelError for a budget, cost, floor or value that cannot be used."""
    for name, amount in (("--budget", budget), ("--cost-per-contact", cost), ("--min-profit", min_profit),
                         ("--value", value)):
        if amount is not None and not math.isfinite(amount):
            raise ModelError(f"{name} {amount}: give a finite number")
    if budget <= 0:
        raise ModelError(f"--budget {budget:g}: give a positive budget, e.g. --budget 5000")
    if cost <= 0:
        raise ModelError(f"--cost-per-contact {cost:g}: give the positive cost of one contact, e.g. 0.5")
    if value is not None and value <= 0:
        raise ModelError(f"--value {value:g}: give the positive revenue one conversion brings, e.g. 40")
    contacts = math.floor(budget / cost + 1e-9)
    if contacts < 1:
        raise ModelError(f"--budget {budget:g} is below one contact at {cost:g} each — raise --budget to at least"
                         f" {cost:g} or lower --cost-per-contact")
    return contacts


def rank(frame: pd.DataFrame, cost: float, min_profit: float, contacts: int) -> pd.DataFrame:
    """Customers of ``frame`` (customer_id, p, value) by expected profit, those above ``min_profit``, at most
    ``contacts`` of them, numbered from 1; ties go to the smaller customer id."""
    scored = frame.assign(expected_profit=frame["p"] * frame["value"] - cost)
    kept = scored[scored["expected_profit"] > min_profit]
    kept = kept.sort_values(["expected_profit", "customer_id"], ascending=[False, True], kind="stable").head(contacts)
    return kept.assign(rank=np.arange(1, len(kept) + 1))[COLUMNS].reset_index(drop=True)


def outcome(frame: pd.DataFrame, cost: float) -> Outcome:
    """Expected conversions, revenue and spend of contacting every customer of ``frame``."""
    return Outcome(len(frame), len(frame) * cost, float(frame["p"].sum()), float((frame["p"] * frame["value"]).sum()))


def random_outcome(frame: pd.DataFrame, contacts: int, cost: float) -> Outcome:
    """The expectation of contacting ``contacts`` customers of ``frame`` drawn at random."""
    return Outcome(contacts, contacts * cost, contacts * float(frame["p"].mean()),
                   contacts * float((frame["p"] * frame["value"]).mean()))


def baseline_outcome(frame: pd.DataFrame, contacts: int, cost: float) -> Outcome:
    """The first ``contacts`` customers by the baseline rule's score (ties: smaller id), valued with ``p``."""
    first = frame.sort_values(["baseline_score", "customer_id"], ascending=[False, True], kind="stable").head(contacts)
    return outcome(first, cost)
