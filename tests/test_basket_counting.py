"""The itemset counting behind frequent_itemsets (marketsql.baskets and the view) against a brute-force
count on synthetic baskets whose counts sit exactly on the support threshold (ties)."""

from __future__ import annotations

from collections import Counter
from itertools import combinations

import numpy as np
import pytest
from conftest import REPO

import marketsql
from marketsql import baskets

BASKET_FILES = ("basket_settings.sql", "frequent_itemsets.sql", "association_rules.sql")


def synthetic(seed: int = 3, n: int = 400, items: int = 12) -> list[frozenset[int]]:
    """Baskets of 1–7 items drawn with skewed popularity, so many sets share the same counts."""
    rng = np.random.default_rng(seed)
    weights = 1 / np.arange(1, items + 1)
    return [frozenset(rng.choice(items, size=rng.integers(1, 8), replace=False, p=weights / weights.sum()).tolist())
            for _ in range(n)]


def brute_force(data: list[frozenset[int]], min_support: float) -> dict[tuple[int, ...], int]:
    """Every set of 1–4 items whose support count / baskets >= min_support, counted by enumeration."""
    counts: Counter[tuple[int, ...]] = Counter()
    for basket in data:
        for size in range(1, 5):
            counts.update(combinations(sorted(basket), size))
    return {s: c for s, c in counts.items() if c / len(data) >= min_support}


def tie_support(data: list[frozenset[int]], size: int) -> float:
    """A min_support equal to the count of some set of ``size`` items over the baskets: that set is a tie."""
    counts = Counter(s for b in data for s in combinations(sorted(b), size))
    return sorted(counts.values())[len(counts) // 2] / len(data)


def run_numpy(data: list[frozenset[int]], min_support: float) -> dict[tuple[int, ...], int]:
    """marketsql.baskets on the same baskets, coded as frequent_itemsets.sql codes them (singles counted aside)."""
    singles = brute_force([frozenset([i]) for b in data for i in b], 0)  # counts of single items
    frequent = sorted(s[0] for s, c in singles.items() if c / len(data) >= min_support)
    code = {item: k for k, item in enumerate(frequent)}
    coded = [[code[i] for i in b if i in code] for b in data]
    coded = [b for b in coded if len(b) >= 2]
    found = baskets.frequent_itemsets(np.array([c for b in coded for c in b], dtype=np.int64),
                                      np.array([len(b) for b in coded]), len(data), min_support)
    result = {(frequent[s[0]],): c for s, c in singles.items() if s[0] in code}
    for sets, counts in found:
        result.update({tuple(frequent[c] for c in row): int(n) for row, n in zip(sets.tolist(), counts, strict=True)})
    return result


@pytest.mark.parametrize("size", [2, 3])
def test_numpy_counting_equals_brute_force_at_a_tie(size):
    data = synthetic()
    support = tie_support(data, size)
    expected = brute_force(data, support)
    assert any(c / len(data) == support for s, c in expected.items() if len(s) == size)  # the tie is there
    assert {len(s) for s in expected} >= {1, 2, 3}
    assert run_numpy(data, support) == expected


def test_small_blocks_and_the_sorted_tally_give_the_same_counts(monkeypatch):
    """Bitmaps a block of 64 baskets at a time, pair keys tallied by sorting in small pieces."""
    data = synthetic(seed=5, n=700)
    support = tie_support(data, 2)
    expected = run_numpy(data, support)
    monkeypatch.setattr(baskets, "BLOCK_BASKETS", 64)
    monkeypatch.setattr(baskets, "DENSE_KEYS", 0)
    monkeypatch.setattr(baskets, "FLUSH_KEYS", 100)
    monkeypatch.setattr(baskets, "BATCH_BYTES", 64)
    assert run_numpy(data, support) == expected == brute_force(data, support)


def test_no_frequent_pair_gives_no_sets():
    found = baskets.frequent_itemsets(np.array([0, 1, 0, 2]), np.array([2, 2]), 10, 0.5)
    assert [len(sets) for sets, _ in found] == [0]
    assert baskets.frequent_itemsets(np.zeros(0, dtype=np.int64), np.zeros(0, dtype=np.int64), 10, 0.5) == []


def basket_project(write_project, data: list[frozenset[int]], min_support: float) -> marketsql.Project:
    """A project whose basket_lines come from a CSV of (basket, item), with the repo's basket views and UDF."""
    csv = "basket,item\n" + "".join(f"B{b:04d},item{i:02d}\n" for b, basket in enumerate(data) for i in sorted(basket))
    files = {
        "marketsql.toml": f'database = "b.duckdb"\n[settings]\nbasket_min_support = "{min_support!r}"\n'
                          '[sources.baskets]\npath = "baskets.csv"\n'
                          'columns = { basket = "VARCHAR", item = "VARCHAR" }\n',
        "baskets.csv": csv,
        "sql/baskets/basket_lines.sql": "SELECT DISTINCT basket AS basket_id, item FROM raw.baskets",
        "udfs/baskets.py": (REPO / "udfs" / "baskets.py").read_text(encoding="utf-8"),
    }
    for name in BASKET_FILES:
        files[f"sql/baskets/{name}"] = (REPO / "sql" / "baskets" / name).read_text(encoding="utf-8")
    project = marketsql.Project.load(write_project(files, base=None))
    project.build()
    return project


def test_the_view_equals_brute_force_at_a_tie(write_project):
    data = synthetic(seed=11, n=300)
    support = tie_support(data, 3)
    project = basket_project(write_project, data, support)
    con = project.connect(read_only=True)
    try:
        rows = con.execute("SELECT item_1, item_2, item_3, item_4, baskets, support FROM frequent_itemsets").fetchall()
    finally:
        con.close()
    got = {tuple(int(i[4:]) for i in row[:4] if i is not None): row[4] for row in rows}
    assert got == brute_force(data, support)
    assert all(row[5] == row[4] / len(data) for row in rows)
