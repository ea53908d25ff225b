"""The demo's customers: the planted behaviour groups, who signs up when, and when each one orders.

About half of the customers form an existing base (signed up before the period start); the others
sign up during the period following the marketing-spend response (``marketing.signup_model``).
Each customer's group comes from the pre-existing mix or from the signup month's mix, so that the
groups keep their planted overall shares.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from .calendar import Calendar
from .marketing import CHANNEL_SIGNUP_SHARE, CHANNELS, signup_model

Arrays = dict[str, np.ndarray]

COUNTRIES = ("US", "GB", "DE", "FR", "ES", "IT", "NL", "SE", "PL", "IE")
COUNTRY_P = (0.32, 0.16, 0.14, 0.10, 0.07, 0.06, 0.05, 0.04, 0.04, 0.02)
# Pre-existing customer base: a group-dependent share of customers signed up before the period
# (signup density growing by EXISTING_SIGNUP_GROWTH a year over the EXISTING_SIGNUP_YEARS before start).
EXISTING_SIGNUP_YEARS = 3
EXISTING_SIGNUP_GROWTH = 0.3
LAPSE_DAYS_EXISTING = (120, 365)  # pre-existing Lapsed customers stop ordering on a day in this range
# Planted behaviour groups.  orders = inclusive range of a customer's orders in the active window for the
# windowed groups; None for the ongoing groups, whose orders follow the BG/NBD process of purchases.py;
# window = days after signup with orders (0 = to the end); existing = chance that a customer of the group
# signed up before the period.
GROUPS = (
    dict(id=1, name="Premium loyalists", share=0.15, orders=None, p_phone=0.30, extra=0.5,
         curve=0, window=0, signup=None, existing=0.9, discount=(0.0, 0.0), age=42,
         sales=(0.35, 0.25, 0.40)),
    dict(id=2, name="Bargain hunters", share=0.25, orders=None, p_phone=0.85, extra=0.25,
         curve=1, window=0, signup=None, existing=0.6, discount=(0.15, 0.40), age=29,
         sales=(0.60, 0.30, 0.10)),
    dict(id=3, name="Accessory regulars", share=0.20, orders=None, p_phone=0.02, extra=0.25,
         curve=0, window=0, signup=None, existing=0.9, discount=(0.0, 0.0), age=27,
         sales=(0.35, 0.55, 0.10)),
    dict(id=4, name="One-time buyers", share=0.30, orders=(1, 1), p_phone=1.0, extra=1.0,
         curve=0, window=60, signup=None, existing=0.0, discount=(0.0, 0.0), age=38,
         sales=(0.40, 0.15, 0.45)),
    dict(id=5, name="Lapsed", share=0.10, orders=(4, 8), p_phone=0.45, extra=1.0,
         curve=0, window=270, signup="year1", existing=0.4, discount=(0.0, 0.0), age=35,
         sales=(0.50, 0.20, 0.30)),
)


def group_attr(attr: str) -> np.ndarray:
    """A per-group attribute as an array indexed by group index."""
    return np.array([g[attr] for g in GROUPS])


def existing_share() -> float:
    """Expected share of customers who signed up before the period."""
    return float((group_attr("share") * group_attr("existing")).sum())


def existing_mix() -> np.ndarray:
    """P(group | pre-existing customer), shape (groups,)."""
    w = group_attr("share") * group_attr("existing")
    return w / w.sum()


def group_mix(expected: np.ndarray) -> np.ndarray:
    """P(group | in-period signup month), shape (months, groups), keeping the planted overall shares.

    In-period signups get the groups' shares times (1 - existing).  Groups with ``signup='year1'``
    (Lapsed) only take first-year signups; the other groups fill the remaining probability
    proportionally to their shares.
    """
    share = group_attr("share") * (1 - group_attr("existing"))
    share = share / share.sum()
    p_month = expected.sum(axis=0) / expected.sum()
    early = np.arange(p_month.size) < 12
    fixed = np.array([g["signup"] == "year1" for g in GROUPS])
    prob = np.zeros((len(GROUPS), p_month.size))
    prob[fixed] = np.minimum(share[fixed, None] * early / p_month[early].sum(), 0.9)
    rest = share[~fixed] / share[~fixed].sum()
    prob[~fixed] = rest[:, None] * (1 - prob[fixed].sum(axis=0))
    return (prob / prob.sum(axis=0)).T


@dataclass(frozen=True)
class SignupPlan:
    """Where customers' signups and groups are drawn from; the same for every chunk of customers."""

    probability: np.ndarray   # flattened (channel, month) probabilities of in-period signups
    group_mix: np.ndarray     # (months, groups) P(group | in-period signup month)
    existing_mix: np.ndarray  # (groups,) P(group | pre-existing customer)
    existing_from: np.datetime64  # pre-existing customers signed up on this day or later
    existing_days: int            # ... that is, in the existing_days before the start


def signup_plan(cal: Calendar, monthly_spend_per_customer: np.ndarray) -> SignupPlan:
    """The signup plan from the unrounded spend per customer: bit-identical for any number of customers."""
    expected = signup_model(monthly_spend_per_customer, 1.0)[1]
    existing_from = (cal.start.astype("M8[M]") - 12 * EXISTING_SIGNUP_YEARS).astype("M8[D]")
    return SignupPlan((expected / expected.sum()).ravel(), group_mix(expected), existing_mix(),
                      existing_from, int((cal.start - existing_from).astype(np.int64)))


def pick_rows(rng: np.random.Generator, cum_probs: np.ndarray) -> np.ndarray:
    """One categorical draw per row of a (rows, k) cumulative probability matrix."""
    return (rng.random(len(cum_probs))[:, None] >= cum_probs[:, :-1]).sum(axis=1)


def draw_customers(rng: np.random.Generator, cal: Calendar, plan: SignupPlan, n: int) -> Arrays:
    """Pre-existing (signup before the period, density growing towards start, channel by signup
    share) or in-period (signup (channel, month) from the planted response curves, day uniform);
    then the group from the pre-existing mix or the signup month's mix."""
    existing = rng.random(n) < existing_share()
    cm = rng.choice(plan.probability.size, size=n, p=plan.probability)
    month = cm % cal.months
    m0, m1 = cal.month_start[month], cal.month_start[month + 1]
    signup = m0 + (rng.random(n) * (m1 - m0)).astype(np.int64)
    k = EXISTING_SIGNUP_GROWTH / 365.25
    low = np.exp(-k * plan.existing_days)
    before = np.floor(np.log(low + rng.random(n) * (1 - low)) / k).astype(np.int64)
    signup = np.where(existing, np.clip(before, -plan.existing_days, -1), signup)
    channel = np.where(existing, rng.choice(len(CHANNELS), size=n, p=CHANNEL_SIGNUP_SHARE), cm // cal.months)
    mix = np.where(existing[:, None], plan.existing_mix[None, :], plan.group_mix[month])
    group = pick_rows(rng, np.cumsum(mix, axis=1))
    return {"channel": channel, "signup": signup, "existing": existing,
            "group": group, "country": rng.choice(len(COUNTRIES), size=n, p=COUNTRY_P),
            "age": np.clip(np.round(rng.normal(group_attr("age")[group], 10)), 18, 85).astype(np.int32)}


def active_windows(rng: np.random.Generator, n_days: int, cust: Arrays) -> tuple[np.ndarray, np.ndarray]:
    """Per customer the days [first, stop) of the period in which they order.

    In-period signups: from signup for ``window`` days (0 = to the end).  Pre-existing: the whole
    period, except Lapsed (``signup='year1'``) who stop on a day in LAPSE_DAYS_EXISTING."""
    group, signup = cust["group"], cust["signup"]
    window = group_attr("window")[group]
    lapse = rng.integers(LAPSE_DAYS_EXISTING[0], LAPSE_DAYS_EXISTING[1], group.size)
    lapses = group_attr("signup")[group] == "year1"
    stop = np.where(cust["existing"], np.where(lapses, lapse, n_days),
                    np.where(window > 0, np.minimum(signup + window, n_days), n_days))
    return np.maximum(signup, 0), stop
