"""What drove a change in revenue between two months: ``revenue_drivers(period_a, period_b)``.

The table macro (stored in the database, callable from any client) cuts the revenue of both months by
each dimension of ``driver_lines`` — segment, category, country, channel, customer type (new vs
returning) and the category × country pairs — and for every member gives:

* a shift-share decomposition of its change into three parts that sum exactly to it:
  revenue = N × s × r, with N the customers counted over the dimension's members, s the member's share of
  them and r its revenue per customer; ``volume_effect`` = ΔN·s_a·r_a (more or fewer customers overall),
  ``mix_effect`` = N_b·Δs·r_a (the member's share of customers), ``rate_effect`` = N_b·s_b·Δr = customers_b·Δr
  (revenue per customer). A member absent in one month takes the other month's r. The members' changes
  sum to the total change in every dimension (the lines are partitioned).
* the ranking of BigQuery ML's contribution analysis (``ML.GET_INSIGHTS`` for a summable metric):
  ``expected_b`` = revenue_a × total_b / total_a (the member had it moved with the whole),
  ``unexpected_change`` = revenue_b − expected_b, ``relative_unexpected_change`` = revenue_b / expected_b − 1,
  ``apriori_support`` = revenue_b / total_b, and ``contribution`` = |unexpected_change|, by which the rows are
  ranked (``rank`` over every dimension, ``dimension_rank`` within one).
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass

import duckdb

from marketsql.core.sqltext import literal
from marketsql.errors import UsageError

DIMENSIONS = ("segment", "category", "country", "channel", "customer_type")
PAIRS = (("category", "country"),)
SOURCE = "driver_lines"
_PERIOD = re.compile(r"^\d{4}-(0[1-9]|1[0-2])$")


def _cut(dimension: str) -> str:
    return (f"SELECT '{dimension}' AS dimension, coalesce({dimension}, 'Unknown') AS member, is_b, customer_id,"
            f" revenue FROM lines")


def _pair(a: str, b: str) -> str:
    return (f"SELECT '{a} × {b}' AS dimension, coalesce({a}, 'Unknown') || ' × ' || coalesce({b}, 'Unknown')"
            f" AS member, is_b, customer_id, revenue FROM lines")


def macro_sql() -> str:
    """``CREATE OR REPLACE MACRO revenue_drivers(period_a, period_b) AS TABLE …`` (periods 'YYYY-MM')."""
    cuts = "\n    UNION ALL ".join([*(_cut(d) for d in DIMENSIONS), *(_pair(a, b) for a, b in PAIRS)])
    return f"""CREATE OR REPLACE MACRO revenue_drivers(period_a, period_b) AS TABLE
WITH lines AS (
    SELECT *, strftime(month, '%Y-%m') = period_b AS is_b FROM {SOURCE}
    WHERE strftime(month, '%Y-%m') IN (period_a, period_b)
), cuts AS (
    {cuts}
), members AS (
    SELECT dimension, member,
           coalesce(sum(revenue) FILTER (WHERE NOT is_b), 0) AS revenue_a,
           coalesce(sum(revenue) FILTER (WHERE is_b), 0) AS revenue_b,
           count(DISTINCT customer_id) FILTER (WHERE NOT is_b) AS customers_a,
           count(DISTINCT customer_id) FILTER (WHERE is_b) AS customers_b
    FROM cuts GROUP BY dimension, member
), totals AS (
    SELECT dimension, sum(revenue_a) AS total_a, sum(revenue_b) AS total_b,
           sum(customers_a) AS n_a, sum(customers_b) AS n_b
    FROM members GROUP BY dimension
), rated AS (
    SELECT m.*, t.total_a, t.total_b, t.n_a, t.n_b,
           coalesce(m.revenue_a / nullif(m.customers_a, 0), m.revenue_b / nullif(m.customers_b, 0)) AS r_a,
           coalesce(m.revenue_b / nullif(m.customers_b, 0), m.revenue_a / nullif(m.customers_a, 0)) AS r_b,
           m.customers_a / nullif(t.n_a, 0) AS s_a,
           m.customers_b / nullif(t.n_b, 0) AS s_b
    FROM members AS m JOIN totals AS t USING (dimension)
), scored AS (
    SELECT dimension, member, revenue_a, revenue_b, revenue_b - revenue_a AS change,
           (revenue_b - revenue_a) / nullif(revenue_a, 0) AS change_pct,
           customers_a, customers_b, r_a AS revenue_per_customer_a, r_b AS revenue_per_customer_b,
           (n_b - n_a) * s_a * r_a AS volume_effect,
           n_b * (s_b - s_a) * r_a AS mix_effect,
           customers_b * (r_b - r_a) AS rate_effect,
           revenue_a * total_b / nullif(total_a, 0) AS expected_b,
           revenue_b - revenue_a * total_b / nullif(total_a, 0) AS unexpected_change,
           revenue_b / nullif(revenue_a * total_b / nullif(total_a, 0), 0) - 1 AS relative_unexpected_change,
           revenue_b / nullif(total_b, 0) AS apriori_support,
           abs(revenue_b - revenue_a * total_b / nullif(total_a, 0)) AS contribution,
           total_a, total_b
    FROM rated
)
SELECT *, CAST(row_number() OVER (ORDER BY contribution DESC NULLS LAST, dimension, member) AS INTEGER) AS rank,
       CAST(row_number() OVER (PARTITION BY dimension ORDER BY contribution DESC NULLS LAST, member) AS INTEGER)
           AS dimension_rank
FROM scored
ORDER BY rank"""


def create_macro(con: duckdb.DuckDBPyConnection) -> None:
    """Create ``revenue_drivers`` in ``con`` (the build calls it once ``driver_lines`` exists)."""
    con.execute(macro_sql())


@dataclass(frozen=True)
class ChangeExplained:
    """The revenue change between two months, and its largest contributors per dimension."""

    period_a: str
    period_b: str
    revenue_a: float
    revenue_b: float
    dimensions: tuple[str, ...]
    rows: list[dict[str, object]]  # revenue_drivers rows of the dimensions asked, best ``top`` per dimension

    @property
    def change(self) -> float:
        """Revenue of period_b minus revenue of period_a."""
        return self.revenue_b - self.revenue_a

    def lines(self) -> list[str]:
        """The change, then per dimension its largest contributors with the three effects."""
        pct = f" ({self.change / self.revenue_a:+.1%})" if self.revenue_a else ""
        out = [f"Revenue {self.period_a} {self.revenue_a:,.0f} → {self.period_b} {self.revenue_b:,.0f}:"
               f" {self.change:+,.0f}{pct}",
               "Ranked as BigQuery ML's contribution analysis does: by |unexpected change| = |revenue_b − revenue_a"
               " × total_b / total_a|; change = volume + mix + rate (customers overall, share of customers,"
               " revenue per customer)"]
        for dimension in self.dimensions:
            out.append(f"{dimension}:")
            out.append(f"  {'member':<28} {'change':>11} {'unexpected':>11} {'volume':>10} {'mix':>10} {'rate':>10}")
            for row in (r for r in self.rows if r["dimension"] == dimension):
                figures = f"{row['change']:>+11,.0f} {row['unexpected_change']:>+11,.0f}"
                effects = " ".join(f"{row[e]:>+10,.0f}" for e in ("volume_effect", "mix_effect", "rate_effect"))
                out.append(f"  {str(row['member'])[:28]:<28} {figures} {effects}")
        return out


def available(con: duckdb.DuckDBPyConnection) -> list[str]:
    """The dimensions this project's data has (at least one known value in ``driver_lines``)."""
    counts = con.execute("SELECT " + ", ".join(f"count({d})" for d in DIMENSIONS) + f" FROM {SOURCE}").fetchall()[0]
    return [d for d, n in zip(DIMENSIONS, counts, strict=True) if n]


def explain_change(con: duckdb.DuckDBPyConnection, period_a: str, period_b: str,
                   by: Sequence[str] | None = None, top: int = 5) -> ChangeExplained:
    """Decompose the revenue change from month ``period_a`` to ``period_b`` ('YYYY-MM') by the ``by`` dimensions
    (default: every dimension the data has, and category × country where both exist)."""
    for flag, period in (("--from", period_a), ("--to", period_b)):
        if not _PERIOD.match(period):
            raise UsageError(f"{flag} {period!r} is not a month — give it as YYYY-MM, e.g. 2011-10")
    try:
        has = available(con)
    except duckdb.CatalogException:
        raise UsageError("no driver_lines table in this database — run `marketsql build` first") from None
    known = [*DIMENSIONS, *(f"{a} × {b}" for a, b in PAIRS)]
    if by:
        for dimension in by:
            if dimension not in DIMENSIONS:
                raise UsageError(f"--by {dimension!r} is not a dimension — use any of {', '.join(DIMENSIONS)}")
            if dimension not in has:
                raise UsageError(f"--by {dimension}: this project's data has no {dimension} — use any of"
                                     f" {', '.join(has)}")
        dimensions = tuple(by)
    else:
        dimensions = tuple(d for d in known if all(part in has for part in d.split(" × ")))
    months = dict(con.execute(f"SELECT strftime(month, '%Y-%m'), sum(revenue) FROM {SOURCE} GROUP BY 1").fetchall())
    span = f"{min(months)} to {max(months)}" if months else "none"
    for flag, period in (("--from", period_a), ("--to", period_b)):
        if period not in months:
            raise UsageError(f"{flag} {period}: no sales that month — give a month with sales ({span})")
    cursor = con.execute(f"SELECT * FROM revenue_drivers({literal(period_a)}, {literal(period_b)})"
                         f" WHERE dimension IN ({', '.join(literal(d) for d in dimensions)})"
                         f" AND dimension_rank <= {int(top)} ORDER BY dimension, dimension_rank")
    names = [c[0] for c in cursor.description]
    rows = [dict(zip(names, row, strict=True)) for row in cursor.fetchall()]
    return ChangeExplained(period_a, period_b, float(months[period_a]), float(months[period_b]), dimensions, rows)
