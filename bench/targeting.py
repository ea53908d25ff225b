"""Benchmark of the propensity model: training time and peak memory per candidate, and scoring through the SQL
serving paths against the same model's scikit-learn ``predict_proba`` on an in-memory numpy array.

    python bench/targeting.py                          # 20 k and 200 k demo customers
    python bench/targeting.py --sizes 20000 --repeat 5
    python bench/targeting.py --sizes 1000000 --no-keras --no-fits  # scoring only (fits not timed)

For each size: the demo data is generated and built in a temporary project (not timed here), the examples of the
targets repeat and category:Phones are computed at the five rolling-origin cutoffs of a 30-day horizon (timed:
``examples``), then each candidate is fitted in a child process of its own (its seconds and peak RSS; ``load`` is a
child that only reads the examples, the floor every fit starts from). Scoring runs over every row of
``propensity_features`` (customers × 2 targets), best of ``--repeat``:

- ``logistic macro``: the plain SQL macro (``linear_probability``) in DuckDB vs ``predict_proba`` of the fitted
  StandardScaler + LogisticRegression on the same rows as a numpy array (target ≥ 0.25×);
- ``trees UDF``: the exported trees scored in numpy inside an Arrow UDF vs ``predict_proba`` of the fitted
  HistGradientBoostingClassifier (target ≥ 0.5×);
- ``keras UDF`` (unless ``--no-keras``): the Keras sequence network fitted in its child (``--keras-epochs``, default
  5, no early stop: seconds per epoch is the figure), served by an Arrow UDF over the features and the purchase
  sequences of ``propensity_sequences`` (tokens looked up per batch) vs the same numpy network on arrays already
  encoded in memory (the Keras model itself is not loaded in this process: no TensorFlow here).
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute  # noqa: F401 - pa.compute in the Keras child
from processes import child, run_child  # bench/processes.py

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))
TARGETS = ["repeat", "category:Phones"]


def _xy(path: str) -> tuple[np.ndarray, np.ndarray]:
    from marketsql.models.propensity import FEATURES

    frame = pd.read_parquet(path)
    frame = frame[frame["target"] == "category:Phones"]
    return frame[list(FEATURES)].to_numpy(np.float64), frame["label"].to_numpy(np.int64)


def keras_child(path: str, sequences: str, weights: str, epochs: int) -> dict:
    """Fit the Keras network on the fit examples (the Phones target; the validation cutoff for the loss it reports) and
    save its weights for the parent's scoring."""
    import pyarrow.parquet as pq

    from marketsql.models.propensity.keras_candidate import KerasSettings, fit_network
    from marketsql.models.propensity.sequences import SequenceIndex, Vocabulary

    frames = {name: pd.read_parquet(Path(path).with_name(f"{name}.parquet")) for name in ("fit", "validation")}
    frames = {k: f[f["target"] == "category:Phones"] for k, f in frames.items()}
    table = pq.read_table(sequences)
    days = sorted(set(table["cutoff"].to_pylist()))
    tables = {day: table.filter(pa.compute.equal(table["cutoff"], day)) for day in days}
    validation_day = str(frames["validation"]["cutoff"].iloc[0])
    index = SequenceIndex(Vocabulary.of(t for d, t in tables.items() if d != validation_day), tables)
    (x, y), (xv, yv) = ((f[list(_features())].to_numpy(np.float64), f["label"].to_numpy(np.int64))
                        for f in frames.values())
    s, sv = (index.steps(f["customer_id"], f["cutoff"].astype(str)) for f in frames.values())
    net, _, info = fit_network(x, y, s, xv, yv, sv, len(index.vocabulary.products) + 2,
                               len(index.vocabulary.categories) + 2, seed=0,
                               settings=KerasSettings(epochs=epochs, patience=epochs))
    np.savez(weights, mean=net.mean, scale=net.scale, products=np.array(index.vocabulary.products, dtype=object),
             categories=np.array(index.vocabulary.categories, dtype=object), **net.weights)
    return {"fit_seconds": info["fit_seconds"], "rows": len(x), "epochs": info["epochs"], "batch": info["batch_size"]}


def _features() -> tuple[str, ...]:
    from marketsql.models.propensity import FEATURES

    return FEATURES


def fit_child(path: str, candidate: str) -> dict:
    """Fit one candidate on the fit examples (the Phones target) as training does."""
    x, y = _xy(path)
    start = time.perf_counter()
    if candidate == "logistic":
        from sklearn.linear_model import LogisticRegression

        mean, scale = x.mean(axis=0), np.where(x.std(axis=0) > 0, x.std(axis=0), 1.0)
        LogisticRegression(C=1.0, max_iter=2000).fit((x - mean) / scale, y)
    elif candidate == "hgb":
        from sklearn.ensemble import HistGradientBoostingClassifier

        HistGradientBoostingClassifier(max_iter=150, max_leaf_nodes=15, learning_rate=0.1, early_stopping=False,
                                       random_state=0).fit(x, y)
    return {"fit_seconds": time.perf_counter() - start, "rows": len(x)}


CHILDREN = {"fit": fit_child, "keras": keras_child}


def best(repeat: int, run) -> float:  # type: ignore[no-untyped-def]
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        run()
        times.append(time.perf_counter() - start)
    return min(times)


def measure(customers: int, repeat: int, keras_epochs: int, fits: bool = True) -> None:
    import duckdb
    from sklearn.ensemble import HistGradientBoostingClassifier
    from sklearn.linear_model import LogisticRegression

    import marketsql
    from marketsql.demo.generate import generate_demo_data
    from marketsql.models.propensity import FEATURES, parse_targets
    from marketsql.models.propensity.candidates import export_trees
    from marketsql.models.propensity.data import cutoffs, examples, targets_macro
    from marketsql.models.propensity.scoring import Linear, Trees
    from marketsql.models.propensity.sequences import sequences_as_of
    from marketsql.models.propensity.sql import linear_probability

    with tempfile.TemporaryDirectory() as folder:
        root = Path(folder) / "shop"
        marketsql.init(root)
        started = time.perf_counter()
        generate_demo_data(root / "data" / "demo", customers=customers, seed=7)
        project = marketsql.Project.load(root)
        project.build()
        print(f"\n{customers:,} demo customers (generated and built in {time.perf_counter() - started:.0f} s)")
        con = duckdb.connect(str(project.database), read_only=True)
        targets = parse_targets(TARGETS)
        cuts = cutoffs(con, 30)
        start = time.perf_counter()
        fit = pd.concat([examples(con, project.views, targets, day, 30) for day in cuts.fit], ignore_index=True)
        validation = examples(con, project.views, targets, cuts.validation, 30)
        examples(con, project.views, targets, cuts.evaluation, 30)
        print(f"  examples at 5 cutoffs x 2 targets: {time.perf_counter() - start:.1f} s ({len(fit):,} fit rows)")
        path = str(Path(folder) / "fit.parquet")
        for frame, name in ((fit, "fit"), (validation, "validation")):
            frame.assign(cutoff=frame["cutoff"].astype(str)).to_parquet(Path(path).with_name(f"{name}.parquet"))
        sequences = str(Path(folder) / "sequences.parquet")
        if keras_epochs:
            import pyarrow.parquet as pq

            start = time.perf_counter()
            parts = []
            for day in (*cuts.fit, cuts.validation):
                table = sequences_as_of(con, project.views, day)
                parts.append(table.append_column("cutoff", pa.array([str(day)] * table.num_rows)))
            print(f"  purchase sequences at 4 cutoffs: {time.perf_counter() - start:.1f} s")
            pq.write_table(pa.concat_tables(parts), sequences)
            del parts
        floor = child(__file__, "fit", path=path, candidate="load")
        print(f"  load only: peak RSS {floor['peak_rss_mb']:.0f} MB")
        for candidate in ("logistic", "hgb") if fits else ():
            got = child(__file__, "fit", path=path, candidate=candidate)
            print(f"  fit {candidate:<8} {got['fit_seconds']:6.2f} s on {got['rows']:,} rows, peak RSS"
                  f" {got['peak_rss_mb']:.0f} MB (+{got['peak_rss_mb'] - floor['peak_rss_mb']:.0f} MB over load)")
        weights = str(Path(folder) / "keras.npz")
        if keras_epochs:
            got = child(__file__, "keras", path=path, sequences=sequences, weights=weights, epochs=keras_epochs)
            print(f"  fit keras    {got['fit_seconds']:6.2f} s on {got['rows']:,} rows ({got['epochs']} epochs of"
                  f" batches of {got['batch']:,}: {got['fit_seconds'] / got['epochs']:.1f} s/epoch, plus the TensorFlow"
                  f" import), peak RSS {got['peak_rss_mb']:.0f} MB")
        # scoring: the models fitted here (on a sample with --no-fits: the trees keep ≤ 15 leaves whatever the rows),
        # served by the SQL paths, against predict_proba on numpy
        x, y = _xy(path)
        if not fits:
            keep = np.random.default_rng(0).permutation(len(x))[:200_000]
            x, y = x[keep], y[keep]
            print(f"  (fits not timed: --no-fits; the scoring models are fitted on {len(x):,} sampled rows)")
        mean, scale = x.mean(axis=0), np.where(x.std(axis=0) > 0, x.std(axis=0), 1.0)
        logistic = LogisticRegression(C=1.0, max_iter=2000).fit((x - mean) / scale, y)
        hgb = HistGradientBoostingClassifier(max_iter=150, max_leaf_nodes=15, learning_rate=0.1,
                                             early_stopping=False, random_state=0).fit(x, y)
        linear = Linear(mean, scale, logistic.coef_[0], float(logistic.intercept_[0]))
        a = export_trees(hgb)
        trees = Trees(a["feature"], a["threshold"], a["left"], a["right"], a["leaf"], a["value"], a["roots"],
                      float(np.ravel(hgb._baseline_prediction)[0]), 1.0, 0.0, mean)
        con.close()
        score = duckdb.connect()
        con = duckdb.connect(str(project.database), read_only=True)
        con.execute(targets_macro(targets, temporary=True))
        rows = con.execute(f"SELECT {', '.join(FEATURES)} FROM ({project.views['propensity_features'].sql})").df()
        con.close()
        score.register("frame", rows)
        score.execute("CREATE TABLE f AS SELECT * FROM frame")
        score.unregister("frame")
        matrix = rows.to_numpy(np.float64)
        args = ", ".join(FEATURES)
        score.execute(f"CREATE MACRO p_logistic({args}) AS {linear_probability(linear)}")

        def trees_udf(*cols: pa.Array) -> pa.Array:
            z = np.column_stack([c.to_numpy(zero_copy_only=False) for c in cols]).astype(np.float64)
            return pa.array(1.0 / (1.0 + np.exp(-trees.raw(z))), type=pa.float64())

        import inspect
        trees_udf.__signature__ = inspect.Signature(  # type: ignore[attr-defined]
            [inspect.Parameter(f"p{i}", inspect.Parameter.POSITIONAL_ONLY) for i in range(len(FEATURES))])
        score.create_function("p_trees", trees_udf, ["DOUBLE"] * len(FEATURES), "DOUBLE", type="arrow")
        check = np.array([r[0] for r in score.execute(f"SELECT p_trees({args}) FROM f").fetchall()])
        assert np.allclose(check, hgb.predict_proba(matrix)[:, 1], rtol=1e-9), "trees UDF != predict_proba"
        n = len(matrix)
        paths = {
            "logistic macro": (lambda: score.execute(f"SELECT sum(p_logistic({args})) FROM f").fetchall(),
                               lambda: logistic.predict_proba((matrix - mean) / scale)),
            "trees UDF": (lambda: score.execute(f"SELECT sum(p_trees({args})) FROM f").fetchall(),
                          lambda: hgb.predict_proba(matrix)),
        }
        for name, (sql_path, numpy_path) in paths.items():
            sql_s, np_s = best(repeat, sql_path), best(repeat, numpy_path)
            print(f"  {name:<15} {n / sql_s:>12,.0f} rows/s vs predict_proba on numpy {n / np_s:>12,.0f} rows/s:"
                  f" {np_s / sql_s:.2f}x")
        if keras_epochs:
            keras_scoring(project, weights, repeat)
        score.close()
        print(f"  load average {os.getloadavg()[0]:.2f}")


def keras_scoring(project, weights: str, repeat: int) -> None:  # type: ignore[no-untyped-def]
    """The exported network served by an Arrow UDF (sequences encoded per batch) vs numpy on encoded arrays."""
    import inspect

    import duckdb

    from marketsql.models.propensity import FEATURES, parse_targets
    from marketsql.models.propensity.data import targets_macro
    from marketsql.models.propensity.network import WEIGHTS, SequenceNet
    from marketsql.models.propensity.sequences import COLUMNS, SequenceIndex, Vocabulary, as_lists

    saved = np.load(weights, allow_pickle=True)
    net = SequenceNet({k: saved[k] for k in WEIGHTS}, saved["mean"], saved["scale"], 1.0, 0.0)
    vocabulary = Vocabulary(tuple(saved["products"]), tuple(saved["categories"]))
    con = duckdb.connect(str(project.database), read_only=True)
    con.execute(targets_macro(parse_targets(["category:Phones"]), temporary=True))
    views = project.views
    lists = as_lists(views["propensity_sequences"].sql)
    table = con.sql(f"SELECT f.customer_id, {', '.join(FEATURES)}, {', '.join(COLUMNS)} FROM"
                    f" ({views['propensity_features'].sql}) AS f LEFT JOIN ({lists}) AS q"
                    " ON q.customer_id = f.customer_id").to_arrow_table()
    con.close()
    score = duckdb.connect()
    score.register("frame", table)
    score.execute("CREATE TABLE f AS SELECT * FROM frame")
    score.unregister("frame")

    def keras_udf(*cols: pa.Array) -> pa.Array:
        x = np.column_stack([c.to_numpy(zero_copy_only=False) for c in cols[3:]]).astype(np.float64)
        return pa.array(net.probability(x, vocabulary.encode(*cols[:3])), type=pa.float64())

    keras_udf.__signature__ = inspect.Signature(  # type: ignore[attr-defined]
        [inspect.Parameter(f"p{i}", inspect.Parameter.POSITIONAL_ONLY) for i in range(3 + len(FEATURES))])
    score.create_function("p_keras", keras_udf, ["VARCHAR[]", "VARCHAR[]", "DOUBLE[]", *["DOUBLE"] * len(FEATURES)],
                          "DOUBLE", type="arrow")
    x = np.column_stack([table[f].to_numpy() for f in FEATURES]).astype(np.float64)
    steps = SequenceIndex(vocabulary, {None: table}).steps(table["customer_id"].to_pylist(), [None] * len(x))
    args = f"{', '.join(COLUMNS)}, {', '.join(FEATURES)}"
    check = np.array([r[0] for r in score.execute(f"SELECT p_keras({args}) FROM f").fetchall()])
    assert np.allclose(check, net.probability(x, steps), rtol=1e-9), "keras UDF != numpy"
    sql_s = best(repeat, lambda: score.execute(f"SELECT sum(p_keras({args})) FROM f").fetchall())
    np_s = best(repeat, lambda: net.probability(x, steps))
    n = len(x)
    print(f"  {'keras UDF':<15} {n / sql_s:>12,.0f} rows/s vs the numpy network on encoded arrays {n / np_s:>12,.0f}"
          f" rows/s: {np_s / sql_s:.2f}x (Phones rows)")
    score.close()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", default="20000,200000")
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--keras-epochs", type=int, default=5, help="epochs of the timed Keras fit")
    parser.add_argument("--no-keras", action="store_true", help="leave the Keras candidate out")
    parser.add_argument("--no-fits", action="store_true", help="time no fit (scoring models fitted on 200 k rows)")
    parser.add_argument("--child", nargs=2)
    args = parser.parse_args()
    if args.child:
        return run_child(CHILDREN, *args.child)
    print(f"load average {os.getloadavg()[0]:.2f} on {os.cpu_count()} cores")
    for size in (int(s) for s in args.sizes.split(",")):
        measure(size, args.repeat, 0 if args.no_keras else args.keras_epochs, not args.no_fits)


if __name__ == "__main__":
    main()
