"""Row-by-row parity of a mirrored object with DuckDB, for the engines whose rows come back as Python values (MySQL,
Spark): numbers rounded to 8 significant digits, then the same multiset of rows, then the rows left over (a float on
a rounding boundary) matched pairwise within a relative 1e-7. (The PostgreSQL parity test compares in SQL.)"""

from __future__ import annotations

import decimal
import math
from collections import Counter
from typing import Any

# a rank over floating-point sums: engines add in different orders, so a tie in one need not be a tie in the other
FLOAT_TIES = {("product_features", "revenue_rank_in_category")}
# float32 scores of a model served in numpy: BLAS blocks a batch of rows differently by its size (DuckDB's UDF gets
# 2,048 rows at a time, Spark's mapInArrow other batches), so they agree to float32's precision — the tolerance the
# model kind itself declares for SQL against Python (ModelKind.sql_python_rtol)
FLOAT32 = {("customer_recommendations", "score"): 1e-6}


def rounded(value: Any) -> Any:
    """A number to 8 significant digits (a bool as 0/1); anything else unchanged."""
    if isinstance(value, bool):
        return int(value)
    if isinstance(value, int | float | decimal.Decimal):
        number = float(value)
        return number if number == 0 or not math.isfinite(number) else round(number, 8 - math.ceil(
            math.log10(abs(number))))
    return value


def _close(a: Any, b: Any, rel_tol: float = 1e-7) -> bool:
    if isinstance(a, float) and isinstance(b, float):
        return math.isclose(a, b, rel_tol=rel_tol, abs_tol=1e-12)
    return bool(a == b)


def assert_same_rows(name: str, engine: str, columns: list[str], ours: list[tuple], theirs: list[tuple]) -> None:
    """Assert object ``name`` holds the same rows on ``engine`` as in DuckDB (values already made comparable)."""
    assert len(ours) == len(theirs), f"{name}: {len(ours)} rows in DuckDB, {len(theirs)} on {engine}"
    ties = {columns.index(c) for v, c in FLOAT_TIES if v == name}
    tolerance = [FLOAT32.get((name, c), 1e-7) for c in columns]
    left_ours, left_theirs = Counter(ours) - Counter(theirs), list((Counter(theirs) - Counter(ours)).elements())
    for row in left_ours.elements():
        match = next((other for other in left_theirs if all(
            i in ties or _close(a, b, tolerance[i]) for i, (a, b) in enumerate(zip(row, other)))), None)
        assert match is not None, f"{name}: DuckDB row {row} has no {engine} counterpart; left: {left_theirs[:3]}"
        left_theirs.remove(match)
