"""Candidate competitors by blocking on the attributes with few, widely spaced values.

A catalogue's attributes are mostly few-valued: has_5g, has_nfc, a memory card slot (0/1), the number of rear
cameras, refresh rates, storage and RAM sizes. Products sharing those values form a *block*; two products of
blocks ``a`` and ``b`` are at least ``offset(a, b) = Σ (key_a - key_b)²`` apart (squared), since the block
dimensions are part of the distance. For every product the blocks are visited in increasing offset and the
search stops once its current ``w``-th nearest is nearer than every block left — a certified radius: nothing
unvisited can come closer. On 100 k synthetic phones (bench/position.py) 4,271 blocks leave ~8,000
distances per product instead of 100,000, computed in BLAS as ``|q|² + |p|² - 2 q·p`` (one float32 matrix product
per batch) where the k-d tree computes its distances one pair at a time: 3.5 s against 57 s (load 13).

Products are processed in *groups* of neighbouring blocks (keys in lexicographic order, the widest-spaced
dimension first), so each matrix product is tall enough to be fast; candidate blocks are ordered by their
smallest offset to any block of the group, and each product stops on its own bound.

The result is approximate only in float32's rounding, which is bounded: :func:`candidates` returns, per product,
a lower bound on the squared distance of every product it did not return, and competitors.py re-ranks the
candidates exactly and ranks a product against all others when the bound does not separate its k-th
nearest from the rest (ties).
"""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor

import numpy as np

MAX_VALUES = 16  # a dimension with at most this many distinct values can be a block dimension
MIN_BLOCK = 16  # block dimensions are added while the blocks hold this many products on average
GROUP = 1024  # products per group (one tall matrix product per batch of candidates)
GROUP_BLOCKS = 64  # from at most this many blocks (bounds the group's blocks × all blocks offset table)
BATCH = 1024  # candidate products per batch (the matrix products stay GROUP × BATCH: 4 MB)
ROUNDING = 2e-6  # float32 bound: |error of q·p| <= ROUNDING * (|q| + |p|)² over 17 terms (γ₁₇ ≈ 1.0e-6)


def block_dimensions(x: np.ndarray) -> list[int]:
    """The columns to block on: few-valued ones, widest smallest gap first, while the blocks stay large."""
    few = []
    for j in range(x.shape[1]):
        values = np.unique(x[:, j])
        if 1 < len(values) <= MAX_VALUES:
            few.append((-float(np.diff(values).min()), j))
    chosen: list[int] = []
    for _, j in sorted(few):
        if len(block_keys(x, [*chosen, j])[0]) > len(x) / MIN_BLOCK:
            break
        chosen.append(j)
    return chosen


def block_keys(x: np.ndarray, dims: list[int]) -> tuple[np.ndarray, np.ndarray]:
    """The distinct values of ``x[:, dims]`` in lexicographic order (keys), and each row's key number."""
    combined = np.zeros(len(x), dtype=np.int64)
    for j in dims:  # mixed radix over each column's value codes: one int64 per row, ordered like the values
        values, codes = np.unique(x[:, j], return_inverse=True)
        combined = combined * len(values) + codes.ravel()
    _, first, block = np.unique(combined, return_index=True, return_inverse=True)
    return x[first][:, dims], block.ravel()


def pays(x: np.ndarray, dims: list[int], k: int, sample: int = 128, seed: int = 0) -> bool:
    """Whether blocking on ``dims`` prunes: for a sample of rows, the products in blocks within their exact
    ``k``-th nearest distance are on average under a tenth of the catalogue."""
    if len(dims) == 0 or len(x) < 4 * MIN_BLOCK:
        return False
    rows = np.random.default_rng(seed).choice(len(x), min(sample, len(x)), replace=False)
    squared = _squared(x, rows)
    squared.partition(k, axis=1)  # in place: the sample's table is the largest array of the search
    radius = squared[:, k]  # k-th other row (the row itself is at 0)
    keys, block = block_keys(x, dims)
    sizes = np.bincount(block, minlength=len(keys))
    within = [(sizes * (((keys - x[r, dims]) ** 2).sum(axis=1) <= rad)).sum() for r, rad in zip(rows, radius)]
    return float(np.mean(within)) < len(x) / 10


def _squared(x: np.ndarray, rows: np.ndarray, chunk: int = 32) -> np.ndarray:
    """Squared distances of ``rows`` to every row (float32: only to size the blocks), ``chunk`` rows at a time."""
    single = x.astype(np.float32)
    norms = (single * single).sum(axis=1)
    out = np.empty((len(rows), len(x)), dtype=np.float32)
    for start in range(0, len(rows), chunk):
        part = rows[start:start + chunk]
        block = out[start:start + chunk]
        np.matmul(single[part], single.T, out=block)
        block *= -2
        block += norms[None, :]
        block += norms[part, None]
    return np.maximum(out, 0, out=out)


def candidates(x: np.ndarray, dims: list[int], width: int, workers: int = 2) -> tuple[np.ndarray, np.ndarray]:
    """For every row of ``x``: its ``width`` nearest rows (itself included, nearest first) by float32 distance,
    and a lower bound on the squared distance of every row not among them."""
    n = len(x)
    keys, block = block_keys(x, dims)
    by_block = np.argsort(block, kind="stable")
    starts = np.concatenate([[0], np.cumsum(np.bincount(block, minlength=len(keys)))])
    centred = x[by_block] - x.mean(axis=0)
    norms = (centred * centred).sum(axis=1)
    search = _Search(keys, starts, width,
                     np.column_stack([centred, norms, np.ones(n)]).astype(np.float32),
                     np.column_stack([-2.0 * centred, np.ones(n), norms]).astype(np.float32),
                     ROUNDING * (np.sqrt(norms) + np.sqrt(norms.max())) ** 2 + 1e-12)
    with ThreadPoolExecutor(max(1, workers)) as pool:  # BLAS and numpy's sorts release the GIL
        list(pool.map(search.group, _groups(starts, block[by_block])))
    rows = np.empty((n, width), dtype=np.int64)
    bound = np.empty(n)
    rows[by_block] = by_block[search.nearest]
    bound[by_block] = search.bound
    return rows, bound


def _groups(starts: np.ndarray, sorted_blocks: np.ndarray) -> list[tuple[int, int]]:
    """Consecutive rows (in block order) ``[r, s)``: at most ``GROUP`` rows from at most ``GROUP_BLOCKS`` blocks."""
    groups, first, n = [], 0, len(sorted_blocks)
    while first < n:
        last = min(first + GROUP, n, int(starts[min(sorted_blocks[first] + GROUP_BLOCKS, len(starts) - 1)]))
        groups.append((first, last))
        first = last
    return groups


class _Search:
    """The shared state of one search; :meth:`group` fills the rows of one group."""

    def __init__(self, keys: np.ndarray, starts: np.ndarray, width: int, queries: np.ndarray, points: np.ndarray,
                 tolerance: np.ndarray) -> None:
        self.keys, self.starts, self.width = keys, starts, width
        self.sizes = np.diff(starts)
        self.queries, self.points, self.tolerance = queries, points, tolerance
        n = len(queries)
        self.nearest = np.empty((n, width), dtype=np.int64)
        self.bound = np.empty(n)

    def group(self, span: tuple[int, int]) -> None:
        """Rows ``span`` against the candidate blocks, nearest first, BATCH rows at a time, until every row's
        ``width``-th nearest is nearer than every block left (a block may be split across batches)."""
        own = slice(*span)
        first = int(np.searchsorted(self.starts, span[0], side="right")) - 1
        last = int(np.searchsorted(self.starts, span[1] - 1, side="right"))
        local = np.searchsorted(self.starts, np.arange(*span), side="right") - 1 - first  # each row's block
        offsets = np.zeros((last - first, len(self.keys)))  # the group's blocks × all blocks
        for j in range(self.keys.shape[1]):
            offsets += (self.keys[first:last, j, None] - self.keys[None, :, j]) ** 2
        order = np.argsort(offsets.min(axis=0), kind="stable")
        left = np.minimum.accumulate(offsets[:, order][:, ::-1], axis=1)[:, ::-1]  # nearest block from here on
        left = np.column_stack([left, np.full(last - first, np.inf)]) * (1 - 1e-9) - 1e-12
        sizes = self.sizes[order]
        ends = np.cumsum(sizes)  # rows of the ordered blocks seen after each block
        queries = self.queries[own]
        best = np.full((len(queries), self.width), np.inf, dtype=np.float32)
        best_rows = np.zeros((len(queries), self.width), dtype=np.int64)
        active = np.arange(len(queries))
        done = 0
        while len(active):
            stop = min(done + BATCH, int(ends[-1]))
            rows = _ordered_rows(self.starts[order], sizes, ends, done, stop)
            _merge(best, best_rows, active, queries[active] @ self.points[rows].T, rows, self.width)
            done = stop
            unfinished = int(np.searchsorted(ends, done, side="right"))  # first block not fully seen
            active = active[best[active, -1] > left[local[active], unfinished]]  # the rest cannot come nearer
        self.nearest[own] = best_rows
        self.bound[own] = best[:, -1].astype(np.float64) - self.tolerance[own]


def _ordered_rows(block_starts: np.ndarray, sizes: np.ndarray, ends: np.ndarray, low: int, high: int) -> np.ndarray:
    """Rows ``low`` to ``high`` of the sequence of blocks (first rows ``block_starts``, ``sizes`` rows each,
    cumulative ``ends``), as row numbers."""
    a = int(np.searchsorted(ends, low, side="right"))
    b = int(np.searchsorted(ends, high - 1, side="right")) + 1
    lengths = sizes[a:b]
    offsets = np.arange(int(lengths.sum())) - np.repeat(np.cumsum(lengths) - lengths, lengths)
    rows = np.repeat(block_starts[a:b], lengths) + offsets
    skip = low - (int(ends[a - 1]) if a else 0)
    return rows[skip:skip + high - low]


def _merge(best: np.ndarray, best_rows: np.ndarray, active: np.ndarray, squared: np.ndarray, rows: np.ndarray,
           width: int) -> None:
    """Keep the ``width`` smallest of ``best`` and the new ``squared`` distances (columns ``rows``), for the
    ``active`` rows that have a new one below their current ``width``-th; ``best`` sorted ascending per row."""
    hit = np.flatnonzero(squared.min(axis=1) < best[active, -1])
    if len(hit) == 0:
        return
    target = active[hit]
    pooled = np.concatenate([best[target], squared[hit]], axis=1)
    keep = np.argpartition(pooled, width - 1, axis=1)[:, :width]
    values = np.take_along_axis(pooled, keep, axis=1)
    ranked = np.argsort(values, axis=1, kind="stable")
    keep, values = np.take_along_axis(keep, ranked, axis=1), np.take_along_axis(values, ranked, axis=1)
    old = np.take_along_axis(best_rows[target], np.minimum(keep, width - 1), axis=1)
    best_rows[target] = np.where(keep < width, old, rows[np.maximum(keep - width, 0)])
    best[target] = values
