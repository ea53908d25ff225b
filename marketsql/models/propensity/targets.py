"""What a propensity model predicts (a target) and the features it reads (sql/features/propensity_features.sql).

A target is ``repeat`` (any purchase), ``category:<name>`` (a line of that category) or ``product:<id>``
(a line of that product), bought within the horizon that follows a cutoff.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass

from marketsql.errors import ModelError

# the columns of propensity_features every candidate reads, in this order (the SQL macros' parameters)
FEATURES: tuple[str, ...] = (
    "recency_days", "recency_score", "log_frequency", "log_monetary", "tenure_days", "log_avg_basket_value",
    "avg_basket_lines", "log_distinct_products", "distinct_categories", "interpurchase_days", "return_rate",
    "top_category_share", "target_bought", "log_target_orders", "target_recency_days", "target_share",
)
# the baseline rule reads two of them: "bought it before" first, then recency (1 / (1 + days since the last order))
BASELINE_FEATURES: tuple[str, ...] = ("target_bought", "recency_score")
KINDS = ("repeat", "category", "product")
HOW = "give --target repeat, --target category:NAME or --target product:ID"


@dataclass(frozen=True)
class Target:
    """One thing to predict: ``kind`` is repeat, category or product; ``value`` the category or product id."""

    kind: str
    value: str | None = None

    @property
    def name(self) -> str:
        """``repeat``, ``category:Phones``, ``product:85123A`` — how users and SQL name it."""
        return self.kind if self.value is None else f"{self.kind}:{self.value}"

    @property
    def slug(self) -> str:
        """A lower-case identifier part for macro names (``category_phones``)."""
        return re.sub(r"[^a-z0-9]+", "_", self.name.lower()).strip("_") or "target"

    @classmethod
    def parse(cls, text: str) -> Target:
        """``repeat`` / ``category:NAME`` / ``product:ID``; ModelError otherwise."""
        kind, colon, value = str(text).strip().partition(":")
        kind, value = kind.strip().lower(), value.strip()
        if kind == "repeat" and not colon:
            return cls("repeat")
        if kind in ("category", "product") and colon and value:
            return cls(kind, value)
        raise ModelError(f"--target {text!r} is not a target — {HOW}")


def parse_targets(targets: str | Iterable[str] | None) -> list[Target]:
    """Targets from CLI values (a list, or one comma-free string); ``repeat`` when none; duplicates refused."""
    given = ["repeat"] if targets is None else [targets] if isinstance(targets, str) else list(targets)
    if not given:
        given = ["repeat"]
    parsed = [Target.parse(text) for text in given]
    names = [t.name for t in parsed]
    for name in names:
        if names.count(name) > 1:
            raise ModelError(f"--target {name} is given twice — give each target once")
    return parsed
