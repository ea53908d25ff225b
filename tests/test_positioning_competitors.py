"""Nearest competitors without all pairs (marketsql/models/positioning/competitors.py) == every pair compared,
ties by id: on random catalogues with discrete attributes, exact ties and duplicates, and on the real phones;
by both searches (the blocks of blocks.py and the k-d tree), whose certificates are checked directly too."""

from __future__ import annotations

import numpy as np
import pytest
from test_positioning_smartphones import phones  # noqa: F401 (the trained 980-phone project)

from marketsql.models.positioning import blocks
from marketsql.models.positioning.competitors import ALL_PAIRS_SQL, all_pairs, nearest


@pytest.mark.parametrize("method", ["auto", "blocks", "tree"])
@pytest.mark.parametrize("seed", [0, 1, 2])
def test_nearest_equals_all_pairs_with_ties_and_duplicates(seed, method):
    rng = np.random.default_rng(seed)
    n = 300 + 50 * seed
    space = rng.normal(size=(n, 7))
    space[:, :4] = np.round(space[:, :4])  # discrete attributes: many equal distances
    space[:, 4] = 0.0
    space[rng.integers(n, size=40)] = space[7]  # 40 copies of one product: more ties than candidates
    ids = [f"P{v:06d}" for v in rng.permutation(10 * n)[:n]]  # ids not in row order
    rows, distances = nearest(space, ids, method=method)
    expected_rows, expected_distances = all_pairs(space, ids)
    assert np.array_equal(rows, expected_rows)
    assert np.array_equal(distances, expected_distances)


def catalogue(n: int, seed: int) -> np.ndarray:
    """Like the phones: binary and few-valued attributes (widely spaced), continuous ones, a log price, a far
    outlier and a few exact duplicates."""
    rng = np.random.default_rng(seed)
    space = np.column_stack([
        rng.integers(2, size=(n, 3)) * 2.0 - 1.0,  # has_5g, has_nfc, memory card
        rng.choice([-1.3, 0.0, 1.3, 2.6], size=n),  # rear cameras
        rng.choice([-0.7, 0.0, 0.4, 1.1, 1.5], size=n),  # refresh rates
        rng.normal(size=(n, 5)),
    ])
    space[0] = 40.0  # an outlier far from everything: the largest norm sets the float32 tolerance
    space[rng.integers(1, n, size=12)] = space[5]  # duplicates: more exact ties than candidates
    return space


@pytest.mark.parametrize("seed", [0, 1])
def test_blocks_equal_all_pairs_over_many_groups_and_batches(seed, monkeypatch):
    monkeypatch.setattr(blocks, "GROUP", 60)  # many groups, several batches of candidate blocks per group
    monkeypatch.setattr(blocks, "BATCH", 45)
    space = catalogue(1500, seed)
    ids = [f"P{v:05d}" for v in np.random.default_rng(seed).permutation(1500)]
    # few-valued columns, widest gaps first, while the blocks hold 16 rows on average (refresh: 170 blocks)
    assert blocks.block_dimensions(space) == [0, 1, 2, 3]
    rows, distances = nearest(space, ids, method="blocks")
    expected_rows, expected_distances = all_pairs(space, ids)
    assert np.array_equal(rows, expected_rows)
    assert np.array_equal(distances, expected_distances)


def test_blocks_certificate_holds_for_every_row_left_out(monkeypatch):
    """Every row a search does not return is at least its bound away (the certificate the exact re-ranking
    relies on), and the bound is not vacuous."""
    monkeypatch.setattr(blocks, "BATCH", 64)
    space = catalogue(1200, 3)
    dims = blocks.block_dimensions(space)
    candidates, bound = blocks.candidates(space, dims, 9)
    squared = ((space[:, None, :] - space[None, :, :]) ** 2).sum(axis=2)
    left_out = np.ones_like(squared, dtype=bool)
    np.put_along_axis(left_out, candidates, False, axis=1)
    assert (squared[left_out].reshape(len(space), -1) >= bound[:, None]).all()
    kth = np.sort(squared, axis=1)[:, 8]
    assert np.median(bound / np.maximum(kth, 1e-12)) > 0.9  # close to the true 9th distance: the search stopped early
    returned = np.take_along_axis(squared, candidates, axis=1)
    assert np.allclose(np.sort(returned, axis=1)[:, :8], np.sort(squared, axis=1)[:, :8], atol=1e-4)


def test_auto_blocks_only_where_they_prune():
    rng = np.random.default_rng(0)
    continuous = rng.normal(size=(2000, 6))
    assert blocks.block_dimensions(continuous) == []
    assert not blocks.pays(continuous, [], 5)
    space = catalogue(2000, 0)
    assert not blocks.pays(space, blocks.block_dimensions(space), 5)  # 5 spread-out continuous columns
    space[:, 5:] *= 0.3  # neighbours within a block: 3 % of the products in reach on average
    assert blocks.pays(space, blocks.block_dimensions(space), 5)
    narrow = space.copy()
    narrow[:, :5] *= 0.01  # the same blocks, spaced far closer than the neighbours: nothing to prune
    assert not blocks.pays(narrow, blocks.block_dimensions(narrow), 5)


def test_unknown_method_is_refused():
    with pytest.raises(ValueError, match="method 'ball'"):
        nearest(np.zeros((3, 2)), ["a", "b", "c"], method="ball")


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
