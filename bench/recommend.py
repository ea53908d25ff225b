"""Benchmark of recommendation: top-10 for every customer through SQL against numpy on the same embeddings.

    python bench/recommend.py                      # demo with 100,000 customers
    python bench/recommend.py --customers 20000    # quicker

The demo is generated and built, segmented (k = 5), then `train recommendation` runs in a child
process with the candidates popularity and the Keras two-tower model (so the embedding scorer is
served; its peak RSS and seconds per epoch are reported). Scoring, best of --repeat (5), same process:
(a) ``recommend(customer_id, 10)`` over every customer in SQL (Arrow UDF, numpy inside, bought
products excluded, ids mapped, lists built); (b) the limit: ``U @ V.T + b`` and ``argpartition`` per
2,048 customers on the exported arrays; (c) for reference, the model's own ``recommend`` in numpy.
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO / "bench"))

from processes import child, run_child  # noqa: E402
from timing import best  # noqa: E402


def train_child(root: str) -> dict:
    import marketsql

    project = marketsql.Project.load(root)
    started = time.perf_counter()
    trained = project.train("recommendation", candidates="popularity,two_tower")
    seconds = time.perf_counter() - started
    metrics = trained.record.metrics
    two_tower = next(c for c in metrics["candidates"] if c["candidate"] == "two_tower")
    return {"train_seconds": seconds, "chosen": trained.result.chosen, "holdout_epoch_seconds":
            two_tower["epoch_seconds"], "refit_epoch_seconds": metrics["epoch_seconds"],
            "ndcg": metrics["ndcg_at_k"], "popularity_ndcg": metrics["baseline"]["ndcg_at_k"]}


def main() -> None:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--customers", type=int, default=100_000)
    parser.add_argument("--repeat", type=int, default=5, help="best of this many runs of each")
    args = parser.parse_args()

    import marketsql
    from marketsql.demo.generate import generate_demo_data
    from marketsql.models.recommendation.serve import load

    with tempfile.TemporaryDirectory(prefix="marketsql-bench-") as tmp:
        demo = marketsql.init(Path(tmp) / "demo")
        generate_demo_data(demo.root / "data" / "demo", customers=args.customers, seed=7)
        demo.build()
        demo.train("segmentation", k_min=5, k_max=5)
        trained = child(__file__, "train", root=str(demo.root))
        epochs = trained["refit_epoch_seconds"] or trained["holdout_epoch_seconds"]
        epoch = float(np.mean(epochs)) if isinstance(epochs, list) else float(epochs)
        print(f"training ({args.customers:,} demo customers): {trained['train_seconds']:.1f} s with holdout,"
              f" refit and rebuild; {epoch:.2f} s per Keras epoch; peak RSS {trained['peak_rss_mb']:,.0f} MB;"
              f" chosen {trained['chosen']} (holdout NDCG@10 {trained['ndcg']:.4f},"
              f" popularity {trained['popularity_ndcg']:.4f})")

        con = demo.connect(read_only=True)
        try:
            model = load(con)
            n = len(model.customers)
            ids = con.execute("SELECT count(*) FROM stg_customers WHERE customer_id IN"
                              " (SELECT customer_id FROM customer_product_interactions)").fetchall()[0][0]
            sql = "SELECT sum(len(recommend(customer_id, 10))) FROM stg_customers"
            sql_seconds = best(lambda: con.execute(sql).fetchall(), args.repeat)
        finally:
            con.close()
        if model.scorer != "embedding":
            print(f"note: the served model is {model.scorer}, not the Keras embeddings")
        U, V, bias = model.user_factors, model.item_factors, model.item_bias
        assert U is not None and V is not None and bias is not None

        def limit() -> None:
            for start in range(0, n, 2048):
                scores = U[start:start + 2048] @ V.T + bias
                np.argpartition(-scores, 9, axis=1)[:, :10]

        def own() -> None:
            for start in range(0, n, 2048):
                model.recommend(np.arange(start, min(start + 2048, n)), 10)

        limit_seconds, own_seconds = best(limit, args.repeat), best(own, args.repeat)
        print(f"customers scored: {n:,} known to the model ({ids:,} of them in stg_customers)")
        print(f"(a) SQL recommend(customer_id, 10):  {ids / sql_seconds:>12,.0f} customers/s")
        print(f"(b) numpy matmul + argpartition:      {n / limit_seconds:>12,.0f} customers/s  (the limit)")
        print(f"(c) RecommendationModel.recommend:    {n / own_seconds:>12,.0f} customers/s")
        print(f"ratio SQL / limit: {(ids / sql_seconds) / (n / limit_seconds):.2f}x (best of {args.repeat};"
              f" load average {os.getloadavg()[0]:.2f} on {os.cpu_count()} cores)")


if __name__ == "__main__":
    if len(sys.argv) > 1 and sys.argv[1] == "--child":
        run_child({"train": train_child}, sys.argv[2], sys.argv[3])
    else:
        main()
