"""Marketing spend per channel and day, and the planted signup response to it.

In-period signups per channel and month follow ``alpha * monthly_spend ** beta`` (diminishing
returns, ``CHANNEL_BETA``), with alpha chosen so that they sum to the expected in-period signups.
"""
from __future__ import annotations

import numpy as np

from .calendar import Calendar

CHANNELS = ("search", "social", "email", "affiliate", "tv")
CHANNEL_BETA = (0.7, 0.55, 0.8, 0.6, 0.4)  # planted diminishing-returns exponents
CHANNEL_SIGNUP_SHARE = (0.32, 0.26, 0.12, 0.16, 0.14)
CHANNEL_BUDGET_SHARE = (0.34, 0.26, 0.06, 0.14, 0.20)
CHANNEL_CPM = (30.0, 8.0, 2.0, 12.0, 25.0)
CHANNEL_CTR = (0.035, 0.009, 0.02, 0.012, 0.0005)
SPEND_PER_CUSTOMER = 35.0  # total marketing budget over the period per customer
SPEND_TREND_PER_YEAR = 0.30
SPEND_MONTH_FACTOR = (0.85, 0.85, 0.95, 1.0, 1.0, 0.95, 0.9, 0.95, 1.25, 1.05, 1.5, 1.7)


def draw_marketing(rng: np.random.Generator, cal: Calendar,
                   customers: int) -> tuple[dict[str, np.ndarray], np.ndarray, np.ndarray]:
    """Daily spend/impressions/clicks per channel, each shaped (channels, days); the monthly spend
    (channels, months) and the unrounded monthly spend per customer (independent of ``customers``,
    for drawing)."""
    idx = np.arange(cal.n_days)
    month = cal.dates.astype("M8[M]").astype(np.int64) % 12
    period_month = np.searchsorted(cal.month_start, idx, side="right") - 1
    daily = SPEND_PER_CUSTOMER / cal.n_days
    base = daily * (1 + SPEND_TREND_PER_YEAR * idx / 365.25) * np.array(SPEND_MONTH_FACTOR)[month]
    tv_on = ((idx // 28) % 2 == 0) | np.isin(month, [8, 10, 11])
    per_customer = np.empty((len(CHANNELS), cal.n_days))
    for c, share in enumerate(CHANNEL_BUDGET_SHARE):
        flight = np.where(tv_on, 1.6, 0.0) if CHANNELS[c] == "tv" else 1.0
        per_customer[c] = base * share * flight * rng.lognormal(0, 0.12, cal.n_days)
    spend = np.round(per_customer * customers, 2)
    impressions = np.round(spend / np.array(CHANNEL_CPM)[:, None] * 1000 * rng.lognormal(0, 0.1, spend.shape))
    clicks = rng.binomial(impressions.astype(np.int64), np.array(CHANNEL_CTR)[:, None])
    monthly, monthly_pc = (np.stack([np.bincount(period_month, weights=s, minlength=cal.months) for s in x])
                           for x in (spend, per_customer))
    return {"spend": spend, "impressions": impressions, "clicks": clicks}, monthly, monthly_pc


def signup_model(monthly_spend: np.ndarray, customers: float) -> tuple[np.ndarray, np.ndarray]:
    """Per-channel alpha so that sum_cm alpha_c * spend_cm ** beta_c == customers (the expected
    in-period signups); expected signups, shape (channels, months)."""
    response = monthly_spend ** np.array(CHANNEL_BETA)[:, None]
    alpha = customers * np.array(CHANNEL_SIGNUP_SHARE) / response.sum(axis=1)
    return alpha, alpha[:, None] * response
