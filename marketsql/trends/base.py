"""Is the customer base closed or shrinking? A note for the build, the training and the report.

The rule (:func:`marketsql.models.forecast.cohort.base_note`: a closed cohort — no new customers for the last 3
complete months, after some before — only loses customers, so its revenue decays; a shrinking base — buying
customers down in each of the last 3 complete months, by 20 % or more) is applied here to the whole base, read
from ``customers_by_month`` and the complete months of ``sales_by_month``; the forecast applies it to each part
of its cuts (a category, a country, a segment).
"""

from __future__ import annotations

import duckdb

from marketsql.models.forecast.cohort import MIN_MONTHS, RECENT, SHRINK, base_note

__all__ = ["MIN_MONTHS", "RECENT", "SHRINK", "base_note", "customer_base_notes"]


def customer_base_notes(con: duckdb.DuckDBPyConnection) -> list[str]:
    """One line when the whole base is a closed cohort or shrinking, else none (too few complete months: none)."""
    rows = con.execute(
        "SELECT strftime(c.month, '%Y-%m'), c.new_customers, c.new_customers + c.returning_customers"
        " FROM customers_by_month AS c JOIN sales_by_month AS s ON s.dimension = 'total' AND s.month = c.month"
        " WHERE NOT s.partial_month ORDER BY c.month").fetchall()
    note = base_note(rows)
    return [note] if note else []
