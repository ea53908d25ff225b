"""The planted phone-upgrade cycle: whether an order holds a phone depends on the age of the customer's last phone.

The cycle is planted in the groups of ``UPGRADE_HIGH`` (the Premium loyalists, flagship buyers who replace a phone
when it is old). A customer of such a group without a phone yet (none bought in the period) keeps the group's
``p_phone`` per order. After a phone, an order holds another one with a hazard that is low while the phone is young,
rises linearly between ``UPGRADE_MONTHS[0]`` and ``UPGRADE_MONTHS[1]`` months of phone age and stays high after:
who buys a phone next is mostly whose phone is old. The other groups keep their ``p_phone`` on every order: Bargain
hunters buy phones on deals (a cycle would take most of their phones away, and with them what the segmentation
recovers of the group), Accessory regulars hardly buy phones, and the windowed groups (one order, or nine months)
are shorter than the cycle. Written to ``truth.json``.
"""
from __future__ import annotations

import numpy as np

from .customers import GROUPS, group_attr

Arrays = dict[str, np.ndarray]

MONTH_DAYS = 30.4375
UPGRADE_MONTHS = (4.0, 8.0)  # phone age (months) where the hazard starts rising / reaches its high level
UPGRADE_LOW = 0.05  # chance that an order holds a phone while the last phone is younger than UPGRADE_MONTHS[0]
UPGRADE_HIGH = {"Premium loyalists": 0.9}  # the groups in the cycle: the chance once the phone is old
CYCLED = np.array([str(g["name"]) in UPGRADE_HIGH for g in GROUPS])


def upgrade_hazard(age_days: np.ndarray, group: np.ndarray) -> np.ndarray:
    """P(order holds a phone | the customer's last phone is ``age_days`` old, group index); a group outside the
    cycle keeps its ``p_phone`` whatever the age."""
    months = np.asarray(age_days, dtype=np.float64) / MONTH_DAYS
    ramp = np.clip((months - UPGRADE_MONTHS[0]) / (UPGRADE_MONTHS[1] - UPGRADE_MONTHS[0]), 0.0, 1.0)
    high = np.array([UPGRADE_HIGH.get(str(g["name"]), 0.0) for g in GROUPS])[group]
    return np.where(CYCLED[group], UPGRADE_LOW + (high - UPGRADE_LOW) * ramp, group_attr("p_phone")[group])


def draw_phones(u: np.ndarray, orders: Arrays) -> np.ndarray:
    """Which orders hold a phone, from one uniform draw ``u`` per order (orders sorted by time): ``u`` below the
    group's ``p_phone`` before the customer's first phone, below :func:`upgrade_hazard` of the last phone's age
    after it. Walks the customers' k-th orders together, k = 0, 1, …"""
    cust, group, day = orders["cust"], orders["group"], orders["day"]
    by_customer = np.lexsort((np.arange(cust.size), cust))  # each customer's orders in time order
    starts = np.r_[0, np.flatnonzero(np.diff(cust[by_customer])) + 1]
    rank = np.arange(cust.size) - np.repeat(starts, np.diff(np.r_[starts, cust.size]))
    last_phone = np.full(int(cust.max(initial=-1)) + 1, -1, dtype=np.int64)  # day of the last phone, -1: none
    has_phone = np.zeros(cust.size, dtype=bool)
    first_p = group_attr("p_phone")
    for k in range(int(rank.max(initial=-1)) + 1):
        rows = by_customer[rank == k]
        c, g = cust[rows], group[rows]
        owned = last_phone[c] >= 0
        p = np.where(owned, upgrade_hazard(day[rows] - last_phone[c], g), first_p[g])
        has_phone[rows] = u[rows] < p
        bought = rows[has_phone[rows]]
        last_phone[cust[bought]] = day[bought]
    return has_phone


def truth_entry() -> dict:
    """The planted rule for ``truth.json``."""
    return {"rule": "in the groups of high (the cycle), an order holds a phone with the group's p_phone until the"
                    " customer's first phone; after it, with hazard(age) = low + (high[group] - low) * clip((age_months"
                    " - start) / (end - start), 0, 1) where age_months = days since the customer's last phone /"
                    " 30.4375; the other groups keep p_phone on every order",
            "low": UPGRADE_LOW, "start_months": UPGRADE_MONTHS[0], "end_months": UPGRADE_MONTHS[1],
            "high": dict(UPGRADE_HIGH),
            "feature": "propensity_features.target_recency_days for category:Phones (days since the last phone"
                       " order before the cutoff)"}
