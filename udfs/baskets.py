"""basket_itemsets(baskets, total_baskets, min_support, items): frequent itemsets of 2 to 4 items, for
``sql/baskets/frequent_itemsets.sql``.

``baskets`` is one list per basket of its items' integer codes (all baskets in one call: the view
aggregates them into a single row), ``items`` the codes of the frequent single items; the result lists
every frequent set of those items (as codes) with its basket count. The counting is
:func:`marketsql.baskets.frequent_itemsets` (numpy).
"""

from __future__ import annotations

from itertools import accumulate

import numpy as np
import pyarrow as pa

from marketsql import udf
from marketsql.baskets import frequent_itemsets, keep_items

ITEMSET = pa.struct([("itemset_size", pa.int32()), ("item_1", pa.int32()), ("item_2", pa.int32()),
                     ("item_3", pa.int32()), ("item_4", pa.int32()), ("baskets", pa.int64())])


@udf(params=["INTEGER[][]", "BIGINT", "DOUBLE", "INTEGER[]"],
     returns="STRUCT(itemset_size INTEGER, item_1 INTEGER, item_2 INTEGER, item_3 INTEGER, item_4 INTEGER,"
             " baskets BIGINT)[]")
def basket_itemsets(baskets: pa.Array, total_baskets: pa.Array, min_support: pa.Array, items: pa.Array) -> pa.Array:
    """Per row: the frequent itemsets (codes, unused items NULL) of its baskets, with their basket counts."""
    out = []
    for row in range(len(baskets)):
        lists = baskets[row].values                    # one list of codes per basket
        frequent = items[row].values.to_numpy(zero_copy_only=False).astype(np.int64)
        frequent.sort()
        codes, lengths = keep_items(lists.flatten().to_numpy(zero_copy_only=False),
                                    lists.value_lengths().to_numpy(zero_copy_only=False), frequent)
        found = frequent_itemsets(codes, lengths, total_baskets[row].as_py(), min_support[row].as_py())
        columns: list[list] = [[], [], [], [], [], []]
        for sets, counts in found:
            size, sets = sets.shape[1], frequent[sets]  # back to the view's codes
            columns[0].extend([size] * len(sets))
            for position in range(4):
                columns[position + 1].extend(sets[:, position].tolist() if position < size else [None] * len(sets))
            columns[5].extend(counts.tolist())
        out.append(pa.StructArray.from_arrays([pa.array(c, type=t.type) for c, t in zip(columns, ITEMSET,
                                                                                         strict=True)],
                                              fields=list(ITEMSET)))
    offsets = pa.array([0, *accumulate(len(s) for s in out)], type=pa.int32())
    values = pa.concat_arrays(out) if out else pa.array([], type=ITEMSET)
    return pa.ListArray.from_arrays(offsets, values)
