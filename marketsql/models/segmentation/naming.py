"""Words a marketer reads: a segment's name (from its standardised means) and its plain-language
description (from its raw means against the average customer's)."""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np

from .model import FEATURES

NAME_THRESHOLD = 0.5


# A segment close to average on recency, frequency and spend is named after the feature that sets it
# apart most (largest |mean z|), so that no name says just "average".
MIDDLE_NAMES: dict[tuple[str, int], str] = {
    ("recency_days", -1): "Recently active occasionals",
    ("recency_days", 1): "Cooling occasionals",
    ("frequency", 1): "Steady repeat buyers",
    ("frequency", -1): "Infrequent buyers",
    ("monetary", 1): "Upper mid-spenders",
    ("monetary", -1): "Lower mid-spenders",
    ("tenure_days", 1): "Long-standing occasionals",
    ("tenure_days", -1): "Newer occasionals",
    ("avg_basket_value", 1): "Upper mid-basket buyers",
    ("avg_basket_value", -1): "Lower mid-basket buyers",
    ("avg_basket_lines", 1): "Multi-item basket buyers",
    ("avg_basket_lines", -1): "Single-item basket buyers",
    ("total_quantity", 1): "Bulk-quantity buyers",
    ("total_quantity", -1): "Small-quantity buyers",
    ("distinct_products", 1): "Wide-range buyers",
    ("distinct_products", -1): "Narrow-range buyers",
    ("distinct_categories", 1): "Cross-category shoppers",
    ("distinct_categories", -1): "Few-category shoppers",
    ("return_rate", 1): "Frequent returners",
    ("return_rate", -1): "Low-return occasionals",
    ("top_category_share", 1): "Single-category loyalists",
    ("top_category_share", -1): "Category-mixing shoppers",
}


def segment_name(
    recency: float, frequency: float, monetary: float, basket: float, tenure: float,
    others: Mapping[str, float] | None = None,
) -> str:
    """A deterministic name from a segment's standardised means (0 = average customer, units = std).

    "high" means > +0.5 std, "low" < -0.5 std.  Recency high = lapsed; low recency and low tenure = new.
    A segment near average on all five is named after its most distinctive feature among those five
    and ``others`` (standardised means by feature name, e.g. every ``FEATURES`` column).
    """
    t = NAME_THRESHOLD
    big = monetary > t or basket > t
    if recency > t:
        if frequency < -t:
            return "Lapsed one-time"
        if big:
            return "Lapsed big spenders"
        if frequency > t:
            return "Lapsed regulars"
        return "Lapsed low-value"
    if recency < -t and tenure < -t:
        if big:
            return "New high spenders"
        if frequency < -t:
            return "Recent one-time"
        return "New customers"
    if frequency > t:
        if monetary > t and basket >= -t:
            return "High-value loyal"
        if basket < -t:
            return "Frequent small baskets"
        return "Loyal regulars"
    if frequency < -t:
        if big:
            return "One-time big spenders"
        if recency < -t:
            return "Recent one-time"
        return "One-time low-value"
    if big:
        return "Occasional big spenders"
    if basket < -t:
        return "Occasional small baskets"
    z = {"recency_days": recency, "frequency": frequency, "monetary": monetary, "avg_basket_value": basket,
         "tenure_days": tenure, **(others or {})}
    feature = max((f for f in FEATURES if f in z), key=lambda f: abs(z[f]))
    return MIDDLE_NAMES[(feature, 1 if z[feature] >= 0 else -1)]


def unique_names(names: list[str], zmeans: np.ndarray) -> list[str]:
    """Disambiguate colliding names by the feature on which the colliding segments differ most."""
    out = list(names)
    for name in dict.fromkeys(names):
        group = [i for i, n in enumerate(names) if n == name]
        if len(group) < 2:
            continue
        spread = zmeans[group].max(axis=0) - zmeans[group].min(axis=0)
        j = int(np.argmax(spread))
        feature = FEATURES[j].replace("_", " ")
        ranked = sorted(group, key=lambda i: -zmeans[i, j])
        for rank, i in enumerate(ranked):
            if len(group) == 2:
                out[i] = f"{name} ({'higher' if rank == 0 else 'lower'} {feature})"
            else:
                out[i] = f"{name} ({feature} rank {rank + 1})"
    seen: dict[str, int] = {}
    for i, n in enumerate(out):  # belt and braces
        if n in seen:
            seen[n] += 1
            out[i] = f"{n} #{seen[n]}"
        else:
            seen[n] = 1
    return out


def describe(means: Mapping[str, float], overall: Mapping[str, float]) -> str:
    """A segment in plain words from its mean features against the average customer's (``overall``).

    E.g. "buys 2.6× as often as average (11.3 orders), last purchase 40 days ago (average 150),
    spends 562 per order (1.3× average), 6,332 in all (3.1× average)"; money is in the data's currency.
    """
    parts = [
        _orders(means["frequency"], overall["frequency"]),
        f"last purchase {means['recency_days']:,.0f} days ago (average {overall['recency_days']:,.0f})",
        f"spends {means['avg_basket_value']:,.0f} per order"
        + _versus(means["avg_basket_value"], overall["avg_basket_value"]),
        f"{means['monetary']:,.0f} in all{_versus(means['monetary'], overall['monetary'])}",
    ]
    if means["tenure_days"] <= 0.5 * overall["tenure_days"]:
        parts.append(f"first purchase {means['tenure_days']:,.0f} days ago (average {overall['tenure_days']:,.0f})")
    if means["return_rate"] >= 0.05 and means["return_rate"] >= 2 * overall["return_rate"]:
        parts.append(f"returns {means['return_rate']:.0%} of what it buys (average {overall['return_rate']:.0%})")
    if means["top_category_share"] >= 0.8:
        parts.append(f"{means['top_category_share']:.0%} of spend in one category")
    return ", ".join(parts)


def _orders(frequency: float, average: float) -> str:
    if frequency < 1.05:
        return "bought once"
    ratio = frequency / average if average > 0 else 1.0
    if ratio >= 1.25:
        return f"buys {ratio:.1f}× as often as average ({frequency:.1f} orders)"
    if ratio <= 0.8:
        return f"buys less often than average ({frequency:.1f} orders vs {average:.1f})"
    return f"buys about as often as average ({frequency:.1f} orders)"


def _versus(value: float, average: float) -> str:
    if average <= 0:
        return ""
    ratio = value / average
    if ratio >= 1.25:
        return f" ({ratio:.1f}× average)"
    if ratio <= 0.8:
        return f" ({ratio:.0%} of average)"
    return " (about average)"
