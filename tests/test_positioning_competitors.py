"""Nearest competitors without all pairs (marketsql/models/positioning/competitors.py) == every pair compared,
ties by id: on random catalogues with discrete attributes, exact ties and duplicates, and on the real phones."""

from __future__ import annotations

import numpy as np
import pytest
from test_positioning_smartphones import phones  # noqa: F401 (the trained 980-phone project)

from marketsql.models.positioning.competitors import ALL_PAIRS_SQL, all_pairs, nearest


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_nearest_equals_all_pairs_with_ties_and_duplicates(seed):
    rng = np.random.default_rng(seed)
    n = 300 + 50 * seed
    space = rng.normal(size=(n, 7))
    space[:, :4] = np.round(space[:, :4])  # discrete attributes: many equal distances
    space[:, 4] = 0.0
    space[rng.integers(n, size=40)] = space[7]  # 40 copies of one product: more ties than candidates
    ids = [f"P{v:06d}" for v in rng.permutation(10 * n)[:n]]  # ids not in row order
    rows, distances = nearest(space, ids)
    expected_rows, expected_distances = all_pairs(space, ids)
    assert np.array_equal(rows, expected_rows)
    assert np.array_equal(distances, expected_distances)


def test_fewer_products_than_k_pad():
    rows, distances = nearest(np.array([[0.0, 0.0], [3.0, 4.0], [0.0, 1.0]]), ["b", "a", "c"], k=5)
    assert rows.tolist() == [[2, 1, -1, -1, -1], [2, 0, -1, -1, -1], [0, 1, -1, -1, -1]]
    assert distances[0, :2].tolist() == [1.0, 5.0] and np.isnan(distances[:, 2:]).all()


def test_stored_competitors_equal_every_pair_in_sql_on_the_phones(phones):  # noqa: F811
    con = phones.connect(read_only=True)
    try:
        stored = con.execute("SELECT product_id, competitor_rank, competitor_id, distance FROM product_competitors"
                             " ORDER BY product_id, competitor_rank").fetchall()
        pairs = con.execute(f"SELECT product_id, competitor_rank, competitor_id, distance FROM ({ALL_PAIRS_SQL})"
                            " ORDER BY product_id, competitor_rank").fetchall()
    finally:
        con.close()
    assert len(stored) == 5 * 980
    assert [r[:3] for r in stored] == [r[:3] for r in pairs]
    assert np.allclose([r[3] for r in stored], [r[3] for r in pairs], rtol=1e-12, atol=1e-12)
