"""Benchmark of segmentation: training time, and scoring rows/s in three ways on >= 1 M customers.

    python bench/segment.py                      # demo with 1,000,000 customers (~10 M order lines)
    python bench/segment.py --customers 200000   # quicker

Scoring the same customer_features rows: (a) the segment_py() Python UDF (numpy inside an Arrow
UDF), (b) the compiled segment() SQL macro stored in the database, (c) the limit — predict on an
in-memory numpy array, both scikit-learn's estimator and the exported numpy model. Best of 3.
"""

from __future__ import annotations

import argparse
import tempfile
import time
from pathlib import Path

import numpy as np
from timing import best  # bench/timing.py (the script's folder is on sys.path)

from marketsql.models.segmentation import FEATURES

REPO = Path(__file__).resolve().parents[1]
ARGS = ", ".join(FEATURES)  # the segment() macro's arguments, in the model's order


def train_timed(project) -> tuple[float, object]:
    started = time.perf_counter()
    trained = project.train("segmentation")
    return time.perf_counter() - started, (trained.result, trained.record)


def main() -> None:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--customers", type=int, default=1_000_000)
    args = parser.parse_args()

    import marketsql
    from marketsql.demo.generate import generate_demo_data
    from marketsql.models.segmentation import FEATURES
    from marketsql.models.segmentation.serve import load

    with tempfile.TemporaryDirectory(prefix="marketsql-bench-") as tmp:
        retail = marketsql.Project.load(REPO / "examples" / "online_retail", database=Path(tmp) / "retail.duckdb")
        retail.build()
        seconds, (result, record) = train_timed(retail)
        print(f"Online Retail: train + register + rebuild {seconds:.1f} s (fit and selection {result.seconds:.1f} s);"
              f" chosen {record.kind} k={record.metrics.get('k')}, {len(result.candidates)} candidates")

        started = time.perf_counter()
        demo = marketsql.init(Path(tmp) / "demo")
        generate_demo_data(demo.root / "data" / "demo", customers=args.customers, seed=7)
        demo.build()
        print(f"Demo with {args.customers:,} customers generated and built in {time.perf_counter() - started:.0f} s")
        seconds, (result, record) = train_timed(demo)
        print(f"Demo: train + register + rebuild {seconds:.1f} s (fit and selection {result.seconds:.1f} s);"
              f" chosen {record.kind} k={record.metrics.get('k')}")

        con = demo.connect(read_only=True)
        try:
            rows = con.execute("SELECT count(*) FROM customer_features").fetchall()[0][0]
            frame = con.execute(f"SELECT {ARGS} FROM customer_features").df()
            matrix = frame[list(FEATURES)].to_numpy(dtype=np.float64)
            model = load(con)
            con.execute("SET threads = 2")
            udf = best(lambda: con.execute(f"SELECT sum(segment_py({ARGS})) FROM customer_features").fetchall())
            macro = best(lambda: con.execute(f"SELECT sum(segment({ARGS})) FROM customer_features").fetchall())
            agree = con.execute(
                f"SELECT count(*) FILTER (WHERE segment({ARGS}) IS DISTINCT FROM segment_py({ARGS}))"
                " FROM customer_features").fetchall()[0][0]
        finally:
            con.close()
        numpy_limit = best(lambda: model.predict(matrix))
        estimator = _sklearn_estimator(model, matrix)
        z = model.transform(matrix)
        sklearn_limit = best(lambda: estimator.predict(z))

    print(f"\nScoring {rows:,} customers ({model.kind}, k={model.k}, {len(model.kept)} features kept); best of 3:")
    table = [("(a) segment_py() Python Arrow UDF", udf), ("(b) segment() compiled SQL macro", macro),
             ("(c) scikit-learn predict, in-memory numpy", sklearn_limit),
             ("(c') exported numpy model predict, in-memory", numpy_limit)]
    for label, seconds in table:
        print(f"  {label:<48} {seconds:7.3f} s {rows / seconds / 1e6:8.2f} M rows/s")
    print(f"  ratios: macro / sklearn {sklearn_limit / macro:.2f}x, UDF / sklearn {sklearn_limit / udf:.2f}x,"
          f" macro / UDF {udf / macro:.2f}x")
    print(f"  rows where macro and UDF disagree: {agree}")


def _sklearn_estimator(model, matrix):
    """A scikit-learn estimator with the model's parameters (same predict maths) for the limit."""
    if model.kind == "kmeans":
        from sklearn.cluster import KMeans

        estimator = KMeans(n_clusters=model.k, n_init=1, init=model.means, max_iter=1)
        return estimator.fit(model.means)  # centres stay the given ones
    from sklearn.mixture import GaussianMixture

    estimator = GaussianMixture(n_components=model.k, covariance_type="full")
    estimator.fit(model.transform(matrix[: max(1000, 20 * model.k)]))
    estimator.means_, estimator.weights_ = model.means, model.weights
    estimator.precisions_cholesky_ = model.precisions_cholesky
    return estimator


if __name__ == "__main__":
    main()
