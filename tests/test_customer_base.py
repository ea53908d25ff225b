"""A closed cohort or a shrinking customer base is said in the build output and the report
(marketsql/trends/base.py)."""

from __future__ import annotations

from pathlib import Path

from test_onboard import init_and_build

import marketsql


def _orders(customers_by_month: list[tuple[str, list[int]]]) -> str:
    """A transactions file: each listed customer buys once (one line of 10.00) on the 15th of the given month;
    the last month listed is partial (the data ends on the 15th), so the build leaves it out."""
    lines = ["customer,date,product,quantity,price"]
    for month, customers in customers_by_month:
        lines += [f"C{c},{month}-15,P1,1,10.00" for c in customers]
    return "\n".join(lines) + "\n"


def test_a_closed_cohort_is_said(tmp_path: Path) -> None:
    # 40 customers start in January, two more in March; nobody new after; fewer buy each month
    months = [("2023-01", list(range(40))), ("2023-02", list(range(35))), ("2023-03", [*range(30), 90, 91]),
              ("2023-04", list(range(26))), ("2023-05", list(range(22))), ("2023-06", list(range(20))),
              ("2023-07", list(range(15))), ("2023-08", list(range(5)))]
    _, built, root = init_and_build(tmp_path, "closed.csv", _orders(months))
    assert ("closed cohort: no new customers in the last 3 complete months (the last came in 2023-03) — the base"
            " only loses customers") in built
    page = marketsql.Project.load(root).report(tmp_path / "r.html").path.read_text(encoding="utf-8")
    assert "Closed cohort: no new customers in the last 3 complete months" in page


def test_a_shrinking_base_is_said_and_a_growing_one_is_not(tmp_path: Path) -> None:
    new = iter(range(1000, 2000))
    months = [(f"2023-{m:02d}", [*range(n), next(new)]) for m, n in
              ((1, 30), (2, 32), (3, 34), (4, 36), (5, 30), (6, 24), (7, 18), (8, 5))]
    _, built, _ = init_and_build(tmp_path, "shrinking.csv", _orders(months))
    assert ("shrinking customer base: buying customers fell in each of the last 3 complete months, 37 in 2023-04 →"
            " 19 in 2023-07 (-49%)") in built
    (tmp_path / "growing").mkdir()
    growing = [(f"2023-{m:02d}", [*range(10 * m), next(new)]) for m in range(1, 9)]
    _, built, _ = init_and_build(tmp_path / "growing", "growing.csv", _orders(growing))
    assert "closed cohort" not in built and "shrinking customer base" not in built


def test_the_same_rule_per_part_of_a_cut():
    """base_note is what the forecast applies to each category, country and segment (new customers unknown for a
    segment: only shrinking is checked)."""
    from marketsql.trends.base import base_note

    months = [f"2023-{m:02d}" for m in range(1, 9)]
    closed = list(zip(months, [5, 3, 1, 0, 2, 0, 0, 0], [5, 8, 9, 9, 10, 9, 8, 8], strict=True))
    assert base_note(closed) == ("closed cohort: no new customers in the last 3 complete months (the last came in"
                                 " 2023-05) — the base only loses customers, so its revenue decays; read a forecast"
                                 " of it as an upper bound")
    shrinking = list(zip(months, [None] * 8, [10, 12, 14, 15, 20, 16, 12, 9], strict=True))
    assert base_note(shrinking) == ("shrinking customer base: buying customers fell in each of the last 3 complete"
                                    " months, 20 in 2023-05 → 9 in 2023-08 (-55%)")
    assert base_note(shrinking[:5]) is None  # too few months
    assert base_note(list(zip(months, [None] * 8, [10] * 8, strict=True))) is None
