"""Nearest competitors of every product without comparing all pairs in SQL.

"Nearest" is what the view ``product_competitors`` always meant: Euclidean distance in the competitor
space ``[z, zp]`` (standardised attributes and log price), ties broken by the competitor's id, the
product itself left out. :func:`nearest` finds the same ``k`` products for every row:

1. candidates: each row's ``k + MARGIN`` nearest others, with a distance every row left out is at least at —
   from blocks on the few-valued attributes with a certified radius (blocks.py: 100 k synthetic phones in a
   fifth of the tree's time, bench/position.py), or, where a sample says blocks do not prune (no few-valued
   attribute, or values spaced closer than the neighbours), from a k-d tree (SciPy's ``cKDTree``, exact, both
   cores) over the space rotated onto its principal axes (a rotation keeps every distance). Tried and slower on
   the 100 k space: scikit-learn's dual-tree ``KDTree`` and ``BallTree``, brute force (chunked GEMM);
2. the candidates' distances are recomputed as ``sqrt(sum((a - b)²))`` and ranked by (distance, id);
3. a row is certain when its k-th distance is below that bound (minus a rounding margin): every product left
   out is then farther still. The few rows that are not (more than ``MARGIN`` exact ties, e.g. duplicate
   products) are ranked against every product exactly.

Imported only when training (SciPy).
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from . import blocks

ALL_PAIRS_SQL = """
WITH distances AS (
    SELECT a.product_id, b.product_id AS competitor_id, sqrt(sum((a.z - b.z) * (a.z - b.z))) AS distance
    FROM position_space AS a
    JOIN position_space AS b ON b.dimension = a.dimension AND b.product_id <> a.product_id
    GROUP BY a.product_id, b.product_id
)
SELECT product_id, competitor_id, distance,
       row_number() OVER (PARTITION BY product_id ORDER BY distance, competitor_id) AS competitor_rank
FROM distances
QUALIFY competitor_rank <= 5
"""
"""The definition :func:`nearest` keeps: every pair in SQL (what product_competitors ran until it took 67 s and
3 GB on 6,259 products); the tests and bench/position.py compare the two."""
MARGIN = 3  # extra candidates per row beyond k: more exact ties than that are ranked against every row
BLOCK = 16384  # rows re-ranked at a time (bounds the memory of the exact re-ranking)
LEAF = 64  # products per leaf of the tree (fewer, larger leaves: faster in 15 dimensions than the default 16)
METHODS = ("auto", "blocks", "tree")


def nearest(space: np.ndarray, ids: Sequence[str], k: int = 5, method: str = "auto") -> tuple[np.ndarray, np.ndarray]:
    """The ``k`` nearest other rows of every row of ``space`` by Euclidean distance, ties by id: row numbers
    ``(n, k)`` (``-1`` pads when there are fewer than ``k`` other rows) and their distances (NaN pads).

    ``method``: ``blocks`` (blocks.py), ``tree`` (a k-d tree) or ``auto`` — blocks where a sample says they prune
    (the tree otherwise). Every method gives the same rows."""
    if method not in METHODS:
        raise ValueError(f"method {method!r}: one of {', '.join(METHODS)}")
    space = np.asarray(space, dtype=np.float64)
    n = len(space)
    if len(ids) != n:
        raise ValueError(f"{len(ids)} ids for {n} rows")
    by_id = np.argsort(np.asarray(ids, dtype=object), kind="stable")  # rank in id order = tie-break key
    x = np.ascontiguousarray(space[by_id])
    rows = np.full((n, k), -1, dtype=np.int64)
    distances = np.full((n, k), np.nan)
    found = min(k, n - 1)
    if found <= 0:
        return rows, distances
    width = min(found + MARGIN, n - 1)
    dims = blocks.block_dimensions(x) if method != "tree" else []
    if method == "blocks" or (method == "auto" and blocks.pays(x, dims, found)):
        candidates, squared = blocks.candidates(x, dims, width + 1)
        bound = np.sqrt(np.maximum(squared, 0.0))
    else:
        candidates, bound = _tree(x, width + 1)
    for start in range(0, n, BLOCK):
        block = np.arange(start, min(start + BLOCK, n))
        near, dist = _certain(x, block, candidates[block], bound[block], width, found)
        rows[by_id[block], :found] = by_id[near]
        distances[by_id[block], :found] = dist
    return rows, distances


def _tree(x: np.ndarray, width: int) -> tuple[np.ndarray, np.ndarray]:
    """Each row's ``width`` nearest rows (itself included) from a k-d tree (SciPy's ``cKDTree``, both cores) over
    ``x`` rotated onto its principal axes, and the distance every other row is at least at."""
    from scipy.spatial import cKDTree

    rotated = _principal(x)
    tree = cKDTree(rotated, leafsize=LEAF, balanced_tree=False)
    distances, candidates = tree.query(rotated, k=width, workers=-1)
    return candidates, distances[:, -1]


def _principal(x: np.ndarray) -> np.ndarray:
    """``x`` centred and rotated onto its principal axes (distances unchanged up to rounding)."""
    centred = x - x.mean(axis=0)
    _, vectors = np.linalg.eigh(centred.T @ centred)
    return np.ascontiguousarray(centred @ vectors[:, ::-1])


def _certain(x: np.ndarray, block: np.ndarray, candidates: np.ndarray, bound: np.ndarray, width: int,
             k: int) -> tuple[np.ndarray, np.ndarray]:
    """Columns (in id order) and distances of the ``k`` nearest for the rows ``block`` of ``x``, from their
    ``width + 1`` candidates (nearest first, the row itself among them or not) and the distance ``bound`` every
    other column is at least at."""
    others = candidates != block[:, None]
    keep = np.argsort(~others, axis=1, kind="stable")[:, :width]  # drop the row itself (or the farthest)
    candidates = np.take_along_axis(candidates, keep, axis=1)
    near, dist = _ranked(x, block, candidates, k)
    if width < x.shape[0] - 1:
        uncertain = ~(bound * (1 - 1e-9) - 1e-12 > dist[:, -1])  # rounding of the rotation / of float32
        for i in np.flatnonzero(uncertain):  # too close to call: every column, exactly
            near[i], dist[i] = _exact_row(x, int(block[i]), k)
    return near, dist


def _exact_row(x: np.ndarray, row: int, k: int) -> tuple[np.ndarray, np.ndarray]:
    """The ``k`` nearest of one row against every other row, exactly (the slow, certain way)."""
    diff = x - x[row]
    exact = np.sqrt((diff * diff).sum(axis=1))
    exact[row] = np.inf
    kth = np.partition(exact, k - 1)[k - 1]
    tied = np.flatnonzero(exact <= kth)  # the k best and everything tied with the k-th
    order = tied[np.lexsort((tied, exact[tied]))][:k]
    return order, exact[order]


def _ranked(x: np.ndarray, block: np.ndarray, candidates: np.ndarray, k: int) -> tuple[np.ndarray, np.ndarray]:
    """The ``k`` best candidates per row by exact distance, then column (= id order)."""
    diff = x[candidates] - x[block][:, None, :]
    exact = np.sqrt((diff * diff).sum(axis=2))
    order = np.lexsort((candidates, exact), axis=1)[:, :k]
    return np.take_along_axis(candidates, order, axis=1), np.take_along_axis(exact, order, axis=1)


def all_pairs(space: np.ndarray, ids: Sequence[str], k: int = 5) -> tuple[np.ndarray, np.ndarray]:
    """The reference :func:`nearest` is checked against: every pair's exact distance, sorted by
    (distance, id). Memory n² — for tests on a few hundred products."""
    space = np.asarray(space, dtype=np.float64)
    n = len(space)
    key = np.argsort(np.argsort(np.asarray(ids, dtype=object), kind="stable"))
    rows = np.full((n, k), -1, dtype=np.int64)
    distances = np.full((n, k), np.nan)
    for i in range(n):
        d = np.sqrt(((space - space[i]) ** 2).sum(axis=1))
        others = np.array([j for j in range(n) if j != i], dtype=np.int64)
        order = others[np.lexsort((key[others], d[others]))][:k]
        rows[i, :len(order)] = order
        distances[i, :len(order)] = d[order]
    return rows, distances
