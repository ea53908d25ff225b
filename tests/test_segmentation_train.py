"""Segmentation training on real data: the demo (planted groups) and UCI Online Retail."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import duckdb
import numpy as np
import pandas as pd
import pytest

import marketsql
from marketsql.demo.generate import generate_demo_data
from marketsql.errors import MarketsqlError
from marketsql.models.segmentation import FEATURES, SegmentationModel
from marketsql.models.segmentation.rfm import RFM_SEGMENTS, rfm_scores
from marketsql.models.segmentation.train import TrainingError, train_segmentation

REPO = Path(__file__).resolve().parents[1]
SAMPLE = 2_000  # silhouette sample: keeps the file fast


def _features(database: Path) -> pd.DataFrame:
    con = duckdb.connect(str(database), read_only=True)
    try:
        return con.execute("SELECT * FROM customer_features").df()
    finally:
        con.close()


def _raw(frame: pd.DataFrame) -> np.ndarray:
    return frame[list(FEATURES)].to_numpy(dtype=np.float64, na_value=np.nan)


@pytest.fixture(scope="module")
def demo(tmp_path_factory: pytest.TempPathFactory) -> tuple[pd.DataFrame, pd.DataFrame]:
    root = tmp_path_factory.mktemp("seg_demo") / "demo"
    marketsql.init(root)
    generate_demo_data(root / "data" / "demo", customers=5000, seed=7)
    marketsql.Project.load(root).build()  # features only: the test trains
    truth = pd.read_parquet(root / "data" / "demo" / "truth" / "customer_groups.parquet")
    return _features(root / "marketsql.duckdb"), truth


@pytest.fixture(scope="module")
def retail(tmp_path_factory: pytest.TempPathFactory) -> pd.DataFrame:
    database = tmp_path_factory.mktemp("seg_retail") / "retail.duckdb"
    marketsql.Project.load(REPO / "examples" / "online_retail", database=database).build()
    return _features(database)


@pytest.fixture(scope="module")
def demo_result(demo):
    return train_segmentation(demo[0], sample_size=SAMPLE)


@pytest.fixture(scope="module")
def retail_result(retail):
    return train_segmentation(retail, sample_size=SAMPLE)


def test_package_import_does_not_load_sklearn() -> None:
    code = "import sys, marketsql.models.segmentation as s; print('sklearn' in sys.modules, s.FEATURES[0])"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout.split()
    assert out == ["False", "recency_days"]


def test_demo_recovers_planted_groups(demo, demo_result) -> None:
    from sklearn.metrics import adjusted_rand_score

    _, truth = demo
    truth = truth.set_index("customer_id").loc[demo_result.customer_ids]
    ari = adjusted_rand_score(truth["group_id"], demo_result.labels)
    print(
        f"\ndemo: ARI vs planted groups {ari:.3f}; {demo_result.selection}; kept {demo_result.model.kept}; "
        f"{demo_result.seconds:.1f}s"
    )
    assert ari >= 0.8


def test_result_does_not_depend_on_row_order(demo, demo_result) -> None:
    shuffled = demo[0].sample(frac=1.0, random_state=3)
    again = train_segmentation(shuffled, k_range=range(3, 5), sample_size=500)
    first = train_segmentation(demo[0], k_range=range(3, 5), sample_size=500)
    assert again.customer_ids == first.customer_ids
    assert (again.labels == first.labels).all()
    assert again.candidates.equals(first.candidates)


def test_predict_matches_sklearn_and_round_trips(demo, demo_result) -> None:
    X = _raw(demo[0].set_index("customer_id").loc[demo_result.customer_ids])  # rows in the result's order
    assert (demo_result.model.predict(X) == demo_result.estimator.predict(X)).all()
    assert (demo_result.model.predict(X) == demo_result.labels).all()
    k = int(demo_result.candidates.loc[demo_result.candidates["selected"], "k"].iloc[0])
    for algorithm in ("kmeans", "minibatch_kmeans", "gmm"):
        for kk in sorted({3, k}):
            model, pipeline = demo_result.candidate_model(algorithm, kk)
            assert model.kind == ("gmm" if algorithm == "gmm" else "kmeans")
            expected = pipeline.predict(X)
            got = model.predict(X)
            assert got.dtype == np.int64
            assert (got == expected).all(), f"{algorithm} k={kk}"
            arrays, meta = model.to_arrays()
            json.dumps(meta)
            again = SegmentationModel.from_arrays(
                {n: a.copy() for n, a in arrays.items()}, json.loads(json.dumps(meta))
            )
            assert (again.predict(X) == got).all()
            assert again.names == model.names and again.kept == model.kept


def test_predict_missing_kept_input_is_minus_one(demo_result) -> None:
    model = demo_result.model
    X = np.tile(model.medians, (3, 1))
    X[1, model.features.index(model.kept[0])] = np.nan
    dropped = [f for f in model.features if f not in model.kept]
    if dropped:
        X[2, model.features.index(dropped[0])] = np.nan  # not used by the model: still scored
    labels = model.predict(X)
    assert labels[1] == -1 and labels[0] >= 0 and labels[2] == labels[0]


def test_training_report(demo_result) -> None:
    r = demo_result
    sets = r.candidates["features"].nunique()
    assert 1 <= sets <= 4 and len(r.candidates) == sets * 3 * 6 and r.candidates["selected"].sum() == 1
    # stability is measured lazily, in selection order: the chosen one always has it
    assert r.candidates.loc[r.candidates["selected"], "stability"].notna().all()
    columns = {"features", "algorithm", "k", "silhouette", "davies_bouldin", "calinski_harabasz", "bic", "stability"}
    assert columns <= set(r.candidates.columns)
    assert "stability >= 0.8" in r.selection
    report = {entry["feature"]: entry for entry in r.feature_report}
    assert list(report) == list(FEATURES)
    assert report["recency_days"]["log"] is True
    assert all(entry["reason"] for entry in r.feature_report)
    assert set(r.model.kept) <= {f for f in FEATURES if report[f]["kept"]}
    assert r.metrics()["feature_set"] == r.chosen()["features"]
    assert len(set(r.model.names)) == len(r.model.names) == r.model.k
    assert r.profiles["share_customers"].sum() == pytest.approx(1.0)
    assert r.profiles["share_revenue"].sum() == pytest.approx(1.0)
    assert r.profiles["size"].sum() == len(r.customer_ids) == len(r.labels)
    json.dumps(r.metrics())


def test_online_retail_metrics_against_baselines(retail_result) -> None:
    m = retail_result.metrics()
    rows = {
        f"chosen ({m['algorithm']} k={m['k']})": (m["silhouette"], m["davies_bouldin"]),
        "KMeans raw RFM": (
            m["baseline"]["kmeans_raw_rfm"]["silhouette"],
            m["baseline"]["kmeans_raw_rfm"]["davies_bouldin"],
        ),
        "RFM quintiles": (
            m["baseline"]["rfm_quintiles"]["silhouette"],
            m["baseline"]["rfm_quintiles"]["davies_bouldin"],
        ),
    }
    print(f"\nOnline Retail ({m['customers']} customers, {retail_result.seconds:.1f}s, kept {m['features_kept']}):")
    for name, (sil, db) in rows.items():
        print(f"  {name:28s} silhouette {sil:.3f}  Davies-Bouldin {db:.3f}")
    for sil, db in rows.values():
        assert sil is not None and np.isfinite(sil)
        assert db is not None and np.isfinite(db)
    assert len(set(retail_result.model.names)) == retail_result.model.k
    assert retail_result.profiles["share_customers"].sum() == pytest.approx(1.0)


def test_rfm_scores(retail) -> None:
    scores = rfm_scores(retail)
    assert list(scores.columns) == ["customer_id", "r_score", "f_score", "m_score", "rfm_segment"]
    for column in ("r_score", "f_score", "m_score"):
        assert scores[column].between(1, 5).all()
    assert set(scores["rfm_segment"]) <= set(RFM_SEGMENTS)
    # lower recency -> higher R score
    merged = scores.assign(recency=retail["recency_days"].to_numpy())
    assert merged.groupby("r_score")["recency"].max().is_monotonic_decreasing
    assert merged.loc[merged["r_score"] == 5, "recency"].max() <= merged.loc[merged["r_score"] == 1, "recency"].min()


# --- bad input -------------------------------------------------------------------------------------


def _small(demo, n: int = 300) -> pd.DataFrame:
    return demo[0].head(n).copy()


def test_too_few_customers(demo) -> None:
    with pytest.raises(TrainingError, match="has 12 customers; segmentation needs at least 50") as info:
        train_segmentation(_small(demo, 12))
    assert isinstance(info.value, MarketsqlError)


def test_missing_and_all_null_columns(demo) -> None:
    frame = _small(demo).drop(columns=["return_rate"])
    with pytest.raises(TrainingError, match="no column return_rate"):
        train_segmentation(frame)
    frame = _small(demo)
    frame["monetary"] = None
    with pytest.raises(TrainingError, match="customer_features.monetary is NULL for all 300 customers"):
        train_segmentation(frame)


def test_constant_features(demo) -> None:
    frame = _small(demo)
    for name in FEATURES:
        frame[name] = 1.0
    with pytest.raises(TrainingError, match="constant"):
        train_segmentation(frame)
    frame = _small(demo)
    frame["return_rate"] = 0.0
    r = train_segmentation(frame, k_range=range(3, 5), sample_size=300)
    entry = next(e for e in r.feature_report if e["feature"] == "return_rate")
    assert entry["kept"] is False and "constant" in entry["reason"]
    assert "return_rate" not in r.model.kept


def test_nan_and_inf_rows_are_dropped_and_counted(demo) -> None:
    frame = _small(demo)
    frame.loc[frame.index[:5], "monetary"] = np.nan
    frame.loc[frame.index[5:8], "avg_basket_value"] = np.inf
    r = train_segmentation(frame, k_range=range(3, 5), sample_size=300)
    assert r.dropped_rows == 8 and r.metrics()["dropped_rows"] == 8
    assert len(r.customer_ids) == len(r.labels) == 292
    assert r.customer_ids == sorted(frame["customer_id"].iloc[8:].tolist())
    assert len(set(r.model.names)) == r.model.k
    assert r.profiles["share_customers"].sum() == pytest.approx(1.0)
    frame = _small(demo, 60)
    frame.loc[frame.index[:20], "frequency"] = np.nan
    with pytest.raises(TrainingError, match="40 customers with finite values.*frequency"):
        train_segmentation(frame)
