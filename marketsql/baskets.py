"""Frequent itemsets of 2 to 4 items, counted in numpy: the engine behind ``sql/baskets/frequent_itemsets.sql``.

The view codes every item in SQL, gathers each basket's codes into a list and calls the UDF
``basket_itemsets`` (``udfs/baskets.py``) once on the list of those lists and the codes of the frequent
items; :func:`keep_items` reduces the baskets to those items. Then:

- pairs are counted horizontally: every pair of frequent items inside every basket becomes one
  integer key ``low * n + high``, tallied with ``np.bincount`` (or a sort where n² is too large),
  so the work is the number of pairs in the baskets, not items²;
- larger sets are Apriori candidates (every subset frequent) counted vertically: one bitmap of
  baskets per item, ANDed and popcounted, a block of baskets at a time so memory stays bounded.

Thresholds compare ``baskets / total_baskets >= min_support`` in float64, exactly as the SQL did, so
ties at the threshold fall the same way.
"""

from __future__ import annotations

from collections import defaultdict
from itertools import combinations

import numpy as np

MAX_SIZE = 4
BLOCK_BASKETS = 1 << 18            # baskets per bitmap block (32 KiB per item)
BATCH_BYTES = 64 << 20             # candidate bitmaps ANDed at once
DENSE_KEYS = 1 << 24               # up to 4,096 frequent items the pair tally is one bincount array
FLUSH_KEYS = 1 << 23               # pair keys gathered before they are tallied


def frequent_itemsets(codes: np.ndarray, lengths: np.ndarray, total_baskets: int, min_support: float,
                      max_size: int = MAX_SIZE) -> list[tuple[np.ndarray, np.ndarray]]:
    """Frequent itemsets of 2…max_size items among baskets given as item codes (0…n-1).

    ``codes`` holds every basket's items one after another, ``lengths`` how many each basket has (no
    item twice in a basket). Returns, per size, the itemsets (rows of ascending codes) and their basket
    counts, for sets whose support ``count / total_baskets`` is at least ``min_support``.
    """
    codes = np.ascontiguousarray(codes, dtype=np.int64)
    lengths = np.ascontiguousarray(lengths, dtype=np.int64)
    if codes.size == 0:
        return []
    n_items = int(codes.max()) + 1

    def frequent(count: np.ndarray) -> np.ndarray:
        return count.astype(np.float64) / total_baskets >= min_support

    sets, counts = _pairs(codes, lengths, n_items)
    keep = frequent(counts)
    found = [(sets[keep], counts[keep])]
    basket_of = np.repeat(np.arange(lengths.size, dtype=np.int64), lengths)
    for _ in range(3, max_size + 1):
        candidates = _candidates(found[-1][0])
        if candidates.size == 0:
            break
        counts = _count_vertically(candidates, codes, basket_of, lengths.size)
        keep = frequent(counts)
        if not keep.any():
            break
        found.append((candidates[keep], counts[keep]))
    return found


def keep_items(codes: np.ndarray, lengths: np.ndarray, items: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """The baskets reduced to ``items`` (recoded 0…len(items)-1 in their order); baskets left with fewer
    than 2 items are dropped. Returns codes and lengths as :func:`frequent_itemsets` takes them."""
    codes = np.asarray(codes, dtype=np.int64)
    lengths = np.asarray(lengths, dtype=np.int64)
    items = np.asarray(items, dtype=np.int64)
    if codes.size == 0 or items.size == 0:
        return np.zeros(0, dtype=np.int64), np.zeros(0, dtype=np.int64)
    recode = np.full(max(int(codes.max()), int(items.max())) + 1, -1, dtype=np.int64)
    recode[items] = np.arange(items.size)
    coded = recode[codes]
    kept = coded >= 0
    basket = np.repeat(np.arange(lengths.size), lengths)[kept]
    counts = np.bincount(basket, minlength=lengths.size)
    enough = counts[basket] >= 2
    return coded[kept][enough], counts[counts >= 2]


def _pairs(codes: np.ndarray, lengths: np.ndarray, n_items: int) -> tuple[np.ndarray, np.ndarray]:
    """Every pair of items that shares a basket, with the number of baskets it shares."""
    small: type[np.signedinteger] = np.int32 if codes.size < 2**31 - 1 else np.int64  # less memory traffic
    key: type[np.signedinteger] = np.int32 if n_items * n_items < 2**31 else np.int64
    later: np.ndarray = (np.repeat(np.cumsum(lengths), lengths) - np.arange(1, codes.size + 1)).astype(small)
    item = codes.astype(key)
    tally = _Tally(n_items)
    active = np.flatnonzero(later > 0).astype(small)   # elements with a later element in their basket
    step = 1
    while active.size:                                 # element i with element i + step of its basket
        first, second = item[active], item[active + step]
        tally.add(np.minimum(first, second) * key(n_items) + np.maximum(first, second))
        step += 1
        active = active[later[active] >= step]
    keys, counts = tally.result()
    return np.stack([keys // n_items, keys % n_items], axis=1), counts


class _Tally:
    """Counts of integer keys below n², added in pieces: one bincount array, or sorted runs when n² is large."""

    def __init__(self, n_items: int) -> None:
        self.size = n_items * n_items
        self.dense = np.zeros(self.size, dtype=np.int64) if self.size <= DENSE_KEYS else None
        self.pending: list[np.ndarray] = []
        self.pending_keys = 0
        self.runs: list[tuple[np.ndarray, np.ndarray]] = []

    def add(self, keys: np.ndarray) -> None:
        self.pending.append(keys)
        self.pending_keys += keys.size
        if self.pending_keys >= FLUSH_KEYS:
            self._flush()

    def _flush(self) -> None:
        if not self.pending:
            return
        keys = np.concatenate(self.pending)
        self.pending, self.pending_keys = [], 0
        if self.dense is not None:
            self.dense += np.bincount(keys, minlength=self.size)
        else:
            self.runs.append(np.unique(keys, return_counts=True))

    def result(self) -> tuple[np.ndarray, np.ndarray]:
        self._flush()
        if self.dense is not None:
            keys = np.flatnonzero(self.dense)
            return keys, self.dense[keys]
        if not self.runs:
            return np.zeros(0, dtype=np.int64), np.zeros(0, dtype=np.int64)
        keys = np.concatenate([k for k, _ in self.runs])
        unique, where = np.unique(keys, return_inverse=True)
        return unique, np.bincount(where, weights=np.concatenate([c for _, c in self.runs])).astype(np.int64)


def _candidates(frequent: np.ndarray) -> np.ndarray:
    """Apriori's candidates one item larger: two frequent sets sharing all but their last item,
    kept when every subset one item smaller is frequent."""
    size = frequent.shape[1] + 1
    known = {tuple(row) for row in frequent.tolist()}
    by_prefix: dict[tuple[int, ...], list[int]] = defaultdict(list)
    for row in frequent.tolist():
        by_prefix[tuple(row[:-1])].append(row[-1])
    found = []
    for prefix, lasts in by_prefix.items():
        for low, high in combinations(sorted(lasts), 2):
            candidate = (*prefix, low, high)
            if all(candidate[:drop] + candidate[drop + 1:] in known for drop in range(size - 2)):
                found.append(candidate)
    return np.array(sorted(found), dtype=np.int64).reshape(-1, size)


def _count_vertically(candidates: np.ndarray, codes: np.ndarray, basket_of: np.ndarray,
                      n_baskets: int) -> np.ndarray:
    """Baskets holding every item of each candidate: per block of baskets, one bitmap per item involved."""
    items = np.unique(candidates)
    row_of = np.full(int(codes.max()) + 1, -1, dtype=np.int64)
    row_of[items] = np.arange(items.size)
    rows = row_of[candidates]
    used = row_of[codes] >= 0
    codes_used, baskets_used = row_of[codes[used]], basket_of[used]
    bounds = np.searchsorted(baskets_used, np.arange(0, n_baskets + BLOCK_BASKETS, BLOCK_BASKETS))
    counts = np.zeros(len(candidates), dtype=np.int64)
    for block, (lo, hi) in enumerate(zip(bounds[:-1], bounds[1:], strict=False)):
        if lo == hi:
            continue
        width = -(-min(BLOCK_BASKETS, n_baskets - block * BLOCK_BASKETS) // 64) * 64
        present = np.zeros((items.size, width), dtype=bool)
        present[codes_used[lo:hi], baskets_used[lo:hi] - block * BLOCK_BASKETS] = True
        bits = np.packbits(present, axis=1).view(np.uint64)
        batch = max(1, BATCH_BYTES // (bits.shape[1] * 8))
        for start in range(0, len(rows), batch):
            part = rows[start:start + batch]
            both = bits[part[:, 0]] & bits[part[:, 1]]
            for column in range(2, part.shape[1]):
                both &= bits[part[:, column]]
            counts[start:start + batch] += np.bitwise_count(both).sum(axis=1, dtype=np.int64)
    return counts
