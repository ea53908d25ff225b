"""Top-k ranking metrics on held-out purchases, computed from what the model would serve.

For each evaluated customer, ``R`` is the set of held-out products (bought in the holdout period and
not before), and the list is the model's top k with already-bought products excluded:

- precision@k = hits / k;   recall@k = hits / |R|;
- NDCG@k = sum over hits of 1 / log2(rank + 1), divided by its best value min(|R|, k) hits at the top;
- MAP@k = mean over customers of AP@k = sum over hit ranks r of precision@r / min(|R|, k);
- coverage = distinct products recommended to the evaluated customers / products in the catalogue.

All are means over the customers with at least one relevant product.
"""

from __future__ import annotations

import numpy as np

from .model import RecommendationModel

METRICS = ("precision", "recall", "ndcg", "map", "coverage")


def evaluate(model: RecommendationModel, relevant: dict[int, np.ndarray], k: int = 10,
             batch: int = 2048) -> dict[str, float]:
    """Metrics at ``k`` of ``model`` on ``relevant`` (customer row -> relevant product columns)."""
    users = np.array(sorted(relevant), dtype=np.int64)
    if len(users) == 0:
        return {**{m: float("nan") for m in METRICS}, "customers": 0}
    sums = dict.fromkeys(METRICS[:4], 0.0)
    recommended: set[int] = set()
    discounts = 1.0 / np.log2(np.arange(2, k + 2))
    for start in range(0, len(users), batch):
        chunk = users[start:start + batch]
        columns, _ = model.recommend(chunk, k)
        recommended.update(columns[columns >= 0].ravel().tolist())
        for row, user in enumerate(chunk):
            truth = relevant[int(user)]
            hits = np.isin(columns[row], truth) & (columns[row] >= 0)
            n_hits = int(hits.sum())
            best = min(len(truth), k)
            sums["precision"] += n_hits / k
            sums["recall"] += n_hits / len(truth)
            sums["ndcg"] += float(discounts[: len(hits)][hits].sum() / discounts[:best].sum())
            ranks = np.flatnonzero(hits) + 1
            sums["map"] += float((np.arange(1, n_hits + 1) / ranks).sum() / best) if n_hits else 0.0
    result = {m: sums[m] / len(users) for m in sums}
    result["coverage"] = len(recommended) / model.n_products
    return {**result, "customers": int(len(users))}
