"""The closed-cohort / shrinking-base rule on one series of buying customers (the whole base or a part of a cut).

A closed cohort (no new customers for the last ``RECENT`` complete months, after some before) only loses
customers: its revenue decays, and a forecast that extends its level overstates it. A shrinking base (buying
customers down in each of the last ``RECENT`` complete months, by at least ``SHRINK`` overall) says the same
more softly. The build applies it to the whole base (:mod:`marketsql.trends.base`), the forecast to each part
of its cuts (:mod:`.series`).
"""

from __future__ import annotations

from collections.abc import Sequence

RECENT = 3
SHRINK = 0.2
MIN_MONTHS = 6


def base_note(rows: Sequence[tuple[str, int | None, int]]) -> str | None:
    """The closed-cohort or shrinking-base line for ``(month 'YYYY-MM', new customers, buying customers)`` rows
    of complete months, oldest first (new None: not known, only shrinking is checked); None when neither holds
    or with fewer than ``MIN_MONTHS`` months."""
    if len(rows) < MIN_MONTHS:
        return None
    recent, before = rows[-RECENT:], rows[:-RECENT]
    if all(new == 0 for _, new, _ in recent) and any(new is not None and new > 0 for _, new, _ in before):
        last_new = next(month for month, new, _ in reversed(before) if new is not None and new > 0)
        return (f"closed cohort: no new customers in the last {RECENT} complete months (the last came in {last_new})"
                " — the base only loses customers, so its revenue decays; read a forecast of it as an upper bound")
    buying = [active for _, _, active in rows[-RECENT - 1:]]
    if all(b < a for a, b in zip(buying, buying[1:], strict=False)) and buying[-1] < (1 - SHRINK) * buying[0]:
        return (f"shrinking customer base: buying customers fell in each of the last {RECENT} complete months,"
                f" {buying[0]:,} in {rows[-RECENT - 1][0]} → {buying[-1]:,} in {rows[-1][0]}"
                f" ({buying[-1] / buying[0] - 1:+.0%})")
    return None
