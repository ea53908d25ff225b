"""Segment names a marketer reads, from a segment's standardised means."""

from __future__ import annotations

import numpy as np

from .model import FEATURES

NAME_THRESHOLD = 0.5


def segment_name(recency: float, frequency: float, monetary: float, basket: float, tenure: float) -> str:
    """A deterministic name from a segment's standardised means (0 = average customer, units = std).

    "high" means > +0.5 std, "low" < -0.5 std.  Recency high = lapsed; low recency and low tenure = new.
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
    return "Average occasional"


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
