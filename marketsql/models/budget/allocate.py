"""Split a monthly budget across channels to maximise the predicted return of the fitted curves.

With ``return_c(s) = k_c * s ** beta_c`` (0 < beta_c < 1) the optimum equalises the marginal return
``k_c * beta_c * s ** (beta_c - 1)`` across channels that are not at a bound: for a multiplier ``lam``
each channel spends ``clip((k_c * beta_c / lam) ** (1 / (1 - beta_c)), lower_c, upper_c)``, and a
bisection on ``lam`` makes the spends add up to the total. Exact, fast, no optimiser to tune.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from marketsql.errors import ModelError

from .curves import ChannelCurve

OBJECTIVES = ("revenue", "customers")


@dataclass(frozen=True)
class Allocation:
    """A suggested monthly split, what the curves predict for it, and the assumptions behind it."""

    total: float
    objective: str
    table: pd.DataFrame  # one row per channel
    unallocated: float
    assumptions: list[str] = field(default_factory=list)

    @property
    def predicted_return(self) -> float:
        """Sum of the objective (revenue or new customers) over the channels."""
        column = "predicted_revenue" if self.objective == "revenue" else "predicted_customers"
        return float(self.table[column].sum())


def bounds(
    curves: Sequence[ChannelCurve],
    minimum: Mapping[str, float] | None,
    maximum: Mapping[str, float] | None,
    extrapolation: float,
) -> tuple[np.ndarray, np.ndarray]:
    """Lower and upper monthly spend per channel: the user's, and at most ``extrapolation`` x the
    highest spend observed (the curves say nothing far beyond what was tried)."""
    names = [c.channel for c in curves]
    for option, given in (("minimum", minimum), ("maximum", maximum)):
        for channel, value in (given or {}).items():
            if channel not in names:
                raise ModelError(f"{option} spend for unknown channel {channel!r} — channels: {', '.join(names)}")
            if not math.isfinite(value) or value < 0:
                raise ModelError(f"{option} spend for {channel} is {value} — give a number >= 0")
    if not math.isfinite(extrapolation) or extrapolation < 1:
        raise ModelError(f"spend cap factor {extrapolation} (--cap, extrapolation) — give a factor >= 1"
                         " (1 = never beyond the highest observed month)")
    lower = np.array([float((minimum or {}).get(c.channel, 0.0)) for c in curves])
    cap = np.array([c.max_spend * extrapolation for c in curves])
    upper = np.minimum(cap, [float((maximum or {}).get(c.channel, math.inf)) for c in curves])
    for channel, lo, hi in zip(names, lower, upper, strict=True):
        if lo > hi:
            raise ModelError(f"{channel}: minimum spend {lo:,.2f} is above its maximum {hi:,.2f}"
                             f" (the cap is {extrapolation:g} x the highest monthly spend observed) — lower it")
    return lower, upper


def allocate(
    curves: Sequence[ChannelCurve],
    total: float,
    minimum: Mapping[str, float] | None = None,
    maximum: Mapping[str, float] | None = None,
    objective: str = "revenue",
    extrapolation: float = 1.25,
) -> Allocation:
    """The split of ``total`` (a month's budget) maximising the predicted objective within the bounds."""
    if objective not in OBJECTIVES:
        raise ModelError(f"objective {objective!r} — use one of {', '.join(OBJECTIVES)}")
    if isinstance(total, bool) or not isinstance(total, int | float) or not math.isfinite(total) or total <= 0:
        raise ModelError(f"total budget {total!r} — give a positive amount of money per month")
    lower, upper = bounds(curves, minimum, maximum, extrapolation)
    if lower.sum() > total:
        raise ModelError(f"the minimum spends add up to {lower.sum():,.2f}, more than the total {total:,.2f}"
                         " — lower the minimums or raise the total")
    k = np.array([c.value_per_customer * c.alpha if objective == "revenue" else c.alpha for c in curves])
    beta = np.array([c.beta for c in curves])
    spend = _split(k, beta, lower, upper, float(total))
    left = float(total - spend.sum())
    return Allocation(float(total), objective, table(curves, spend, lower, upper),
                      left if left > 1e-9 * total else 0.0, assumptions(objective, total, upper, extrapolation))


def _split(k: np.ndarray, beta: np.ndarray, lower: np.ndarray, upper: np.ndarray, total: float) -> np.ndarray:
    if upper.sum() <= total:
        return upper.copy()  # everything at its cap; the rest is reported as unallocated

    def spend_at(log_lam: float) -> np.ndarray:
        with np.errstate(over="ignore", divide="ignore"):
            raw = np.exp((np.log(np.maximum(k * beta, 1e-300)) - log_lam) / (1 - beta))
        return np.clip(raw, lower, upper)

    low, high = -200.0, 200.0  # log multiplier: spend falls as it grows
    for _ in range(200):
        middle = (low + high) / 2
        if spend_at(middle).sum() > total:
            low = middle
        else:
            high = middle
    spend = spend_at(high)
    free = (spend > lower) & (spend < upper)
    if free.any():  # put the bisection's last cents on the unconstrained channels
        spend[free] += (total - spend.sum()) * spend[free] / spend[free].sum()
    return spend


def table(curves: Sequence[ChannelCurve], spend: np.ndarray, lower: np.ndarray, upper: np.ndarray) -> pd.DataFrame:
    """Per channel: spend, predicted customers and revenue, marginal revenue of the last unit, bounds."""
    rows = []
    for curve, s, lo, hi in zip(curves, spend, lower, upper, strict=True):
        customers = float(curve.customers(s))
        marginal = curve.beta * customers / s * curve.value_per_customer if s > 0 else math.inf
        rows.append({"channel": curve.channel, "spend": float(s), "predicted_customers": customers,
                     "predicted_revenue": customers * curve.value_per_customer,
                     "predicted_cac": float(s) / customers if customers > 0 else None,
                     "marginal_revenue_per_unit": marginal, "min_spend": float(lo), "max_spend": float(hi),
                     "at_bound": "min" if s <= lo + 1e-6 else "max" if s >= hi - 1e-6 else "",
                     "beyond_observed": bool(s > curve.max_spend or s < curve.min_spend)})
    return pd.DataFrame(rows)


def assumptions(objective: str, total: float, upper: np.ndarray, extrapolation: float) -> list[str]:
    """What the suggested split takes for granted, in words, for printing beside it."""
    notes = [
        "each channel's new customers a month follow alpha * spend ** beta fitted on its own monthly history;"
        " channels do not affect each other (no halo, no cannibalisation) and a month's spend acts in that"
        " month only (no carry-over)",
        "return = attributed revenue: the purchases of the acquired customers within the attribution window"
        " of channel_month, valued at the channel's historical revenue per new customer (revenue, not margin)"
        if objective == "revenue" else
        "return = new customers a month, whatever they later buy (every channel's customer counts the same)",
        f"curves are evidence only within the monthly spend observed; spend is capped at {extrapolation:g} x the"
        " highest month of each channel, so the suggestion never extrapolates further",
    ]
    if upper.sum() < total:
        notes.append(f"the caps add up to {upper.sum():,.2f} < total {total:,.2f}: the rest is left unallocated"
                     " rather than spent where the curves have no evidence")
    return notes


def predict(curves: Sequence[ChannelCurve], spend: Mapping[str, float]) -> tuple[float, float]:
    """Predicted (new customers, revenue) of a given split (channels not named spend 0)."""
    customers = sum(float(c.customers(spend.get(c.channel, 0.0))) for c in curves)
    revenue = sum(float(c.revenue(spend.get(c.channel, 0.0))) for c in curves)
    return customers, revenue
