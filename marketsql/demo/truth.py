"""The planted ground truth of the demo (``truth/truth.json``): every parameter and dirty-row count,
for tests and for checking analyses against."""
from __future__ import annotations

import numpy as np

from .calendar import ORDER_GROWTH_PER_YEAR, ORDER_MONTH_FACTOR, REGULAR_EVENTS, SALE_EVENTS, WEEKDAY_FACTOR, Calendar
from .catalogue import BUNDLES
from .customers import EXISTING_SIGNUP_GROWTH, GROUPS, LAPSE_DAYS_EXISTING, SignupPlan, existing_share
from .marketing import (
    CHANNEL_BETA,
    CHANNEL_BUDGET_SHARE,
    CHANNEL_CPM,
    CHANNEL_CTR,
    CHANNEL_SIGNUP_SHARE,
    CHANNELS,
    SPEND_MONTH_FACTOR,
    SPEND_PER_CUSTOMER,
    SPEND_TREND_PER_YEAR,
)
from .mess import DIRTY_RATES
from .orders import PRICE_DECAY_PER_MONTH, XIAOMI_TREND
from .purchases import truth_entry as purchase_truth
from .upgrades import truth_entry as upgrade_truth

Arrays = dict[str, np.ndarray]


def truth(cal: Calendar, seed: int, customers: int, start: str, chunk_size: int, cat: Arrays,
          alpha: np.ndarray, expected: np.ndarray, plan: SignupPlan, counts: dict[str, int],
          group_counts: np.ndarray, n_lines: int, n_orders: int, existing_counts: np.ndarray) -> dict:
    """Everything that was planted, as the JSON-ready dict written to ``truth/truth.json``."""
    n_existing = int(existing_counts.sum())
    phones = cat["is_phone"]
    years = cat["release"][phones].astype("M8[D]").astype("M8[Y]").astype(np.int64) + 1970
    five_g = {str(y): round(float(cat["has_5g"][phones][years == y].astype(bool).mean()), 3)
              for y in np.unique(years)}
    return {
        "seed": seed, "arguments": {"customers": customers, "seed": seed, "start": start,
                                    "months": cal.months},
        "period": {"start": str(cal.start), "end_exclusive": str(cal.end), "days": cal.n_days},
        "chunk_size": chunk_size, "order_lines": n_lines, "orders": n_orders,
        "groups": [{**g, "customers": int(c), "actual_share": round(float(c) / customers, 4),
                    "existing_customers": int(e)}
                   for g, c, e in zip(GROUPS, group_counts, existing_counts, strict=True)],
        "group_notes": "orders = inclusive range of a customer's orders in the active window for the windowed "
                       "groups (One-time buyers exactly 1, Lapsed per active window); null for the ongoing "
                       "groups, whose orders follow the BG/NBD process of purchase_process; window = days after "
                       "signup with orders (0 = to the end of the period); signup 'year1' = in-period "
                       "signups in the first 12 months only; existing = chance that a customer of the group "
                       "signed up before the period (see existing_customers); curve 0 = regular intensity, "
                       "1 = sale events; p_phone = chance an order has a phone (in the upgrade cycle's "
                       "groups: before the customer's first phone; after it, upgrade_cycle); extra = Poisson mean of "
                       "further accessory lines (max 4); discount = uniform range rounded to 5%; "
                       "sales = web/app/store probabilities; age = mean (sd 10).",
        "existing_customers": {
            "customers": n_existing, "share": round(n_existing / customers, 4),
            "expected_share": round(existing_share(), 4),
            "rule": "customers with signup_date < period start signed up before the period; they are not "
                    "part of the signup response model (channel drawn by signup_share, signup day with "
                    f"density growing {EXISTING_SIGNUP_GROWTH:.0%} a year over [signup_from, period start))",
            "signup_from": str(plan.existing_from),
            "active_window": "the whole period, except Lapsed who stop ordering on a day uniform in "
                             f"[{LAPSE_DAYS_EXISTING[0]}, {LAPSE_DAYS_EXISTING[1]}) of the period",
            "group_probability": [round(float(x), 4) for x in plan.existing_mix]},
        "in_period_signups": {"customers": customers - n_existing,
                              "expected": round(float(expected.sum()), 6)},
        "group_probability_by_signup_month": [[round(float(x), 4) for x in row] for row in plan.group_mix],
        "channels": {c: {"alpha": float(a), "beta": b, "signup_share": s, "budget_share": bs,
                         "cpm": cpm, "ctr": ctr}
                     for c, a, b, s, bs, cpm, ctr in zip(
                         CHANNELS, alpha, CHANNEL_BETA, CHANNEL_SIGNUP_SHARE, CHANNEL_BUDGET_SHARE,
                         CHANNEL_CPM, CHANNEL_CTR, strict=True)},
        "signup_response": "expected_signups[channel][month] = alpha * monthly_spend ** beta, summing to "
                           "the expected in-period signups customers * (1 - existing expected_share); each "
                           "in-period customer's (channel, month) is drawn with these as weights, day uniform",
        "expected_signups": {c: [float(x) for x in row] for c, row in zip(CHANNELS, expected, strict=True)},
        "dirty_rates": DIRTY_RATES, "dirty_counts": counts,
        "bundles": [{"antecedent": a, "consequent": b, "chance": c} for a, b, c in BUNDLES],
        "bundle_notes": "an order line of antecedent brings a line of consequent with this chance, when the "
                        "consequent is released and not already in the order",
        "dirty_notes": "returns: order_id 'R'+order id, quantity -q, same unit_price, 1-30 days later "
                       "(dropped if after the period); guest orders: every line (and its return) has "
                       "customer_id NULL; duplicates: exact copies of random lines (incl. returns).",
        "seasonality": {
            "spend_month_factor": SPEND_MONTH_FACTOR, "spend_trend_per_year": SPEND_TREND_PER_YEAR,
            "spend_per_customer": SPEND_PER_CUSTOMER,
            "tv_flighting": "4 weeks on / 4 weeks off (1.6x), always on in Sep, Nov, Dec",
            "order_growth_per_year": ORDER_GROWTH_PER_YEAR, "order_weekday_factor_mon_sun": WEEKDAY_FACTOR,
            "order_month_factor": ORDER_MONTH_FACTOR,
            "order_events": "regular: month factor x (1 + {bf_week} BF week[BF-7..CyberMon] + {bf_peak} "
                            "BF..CyberMon + {jan_sales} Jan 2-14 + {launch} Sep 12-25), x0.35 on Dec 24-25; "
                            "bargain hunters: {base} + {s_bf_week} BF week + {s_bf_peak} BF..CyberMon + "
                            "{s_jan_sales} Jan 2-14 + {boxing} Dec 26-31 (both times growth and weekday)".format(
                                **REGULAR_EVENTS, **{f"s_{k}" if k in REGULAR_EVENTS else k: v
                                                     for k, v in SALE_EVENTS.items()}),
            "regular_events": REGULAR_EVENTS, "sale_events": SALE_EVENTS,
            "volume": "monthly orders ~ (order intensity curve) x (customers active that month): the "
                      "existing base orders from day 0, in-period signups join as marketing acquires them, "
                      "Lapsed drop out"},
        "purchase_process": purchase_truth(),
        "upgrade_cycle": upgrade_truth(),
        "trends": {"phone_price_decay_per_month": PRICE_DECAY_PER_MONTH,
                   "xiaomi_phone_pick_weight_start_end": XIAOMI_TREND,
                   "phone_popularity": "acceptance max(0.2, exp(-age_days / 540)) favours new phones",
                   "share_5g_of_phone_models_by_release_year": five_g},
        "product_tiers": {f"P{i + 1:04d}": t for i, t in enumerate(cat["tier"])},
    }
