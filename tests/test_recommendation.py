"""Recommendation: SQL functions == the numpy model, marts readable without Python, fallbacks, bad
input, registry rollback, no TensorFlow when scoring; metrics by hand; quality order on MovieLens."""

from __future__ import annotations

import subprocess
import sys

import duckdb
import numpy as np
import pytest
from conftest import DATA, DEMO_CUSTOMERS, duckdb_cli

import marketsql
from marketsql.errors import ModelError
from marketsql.models.recommendation import baselines, data
from marketsql.models.recommendation.metrics import evaluate
from marketsql.models.recommendation.model import RecommendationModel
from marketsql.models.recommendation.serve import load

MOVIELENS = DATA / "movielens_100k"


@pytest.fixture
def demo(demo_shop):
    return demo_shop.project  # `marketsql demo`: generated, built, every model trained


def test_recommend_udf_mart_and_model_agree_for_every_customer(demo):
    con = demo.connect(read_only=True)
    try:
        rows = con.execute("SELECT customer_id, recommend(customer_id, 10) FROM stg_customers"
                           " ORDER BY customer_id").fetchall()
        mart = con.execute("SELECT customer_id, product_id FROM customer_recommendations"
                           " ORDER BY customer_id, rank").fetchall()
        bought = con.execute("SELECT count(*) FROM customer_recommendations r JOIN customer_product_interactions i"
                             " ON i.customer_id = r.customer_id AND i.product_id = r.product_id").fetchall()[0][0]
        model = load(con)
    finally:
        con.close()
    assert len(rows) == DEMO_CUSTOMERS
    ids = [c for c, _ in rows]
    columns, scores = model.recommend(model.customer_index(ids), 10)
    for (customer, items), cols, values in zip(rows, columns, scores):
        expected = [model.products[c] for c in cols if c >= 0]
        assert [item["product_id"] for item in items] == expected, customer
        assert np.allclose([item["score"] for item in items], values[: len(expected)], rtol=1e-6)
    flat = [(c, item["product_id"]) for c, items in rows for item in items]
    assert mart == flat
    assert bought == 0  # already-bought products are never recommended


def test_recommend_in_sql_equals_a_row_by_row_reference_for_every_id_unknown_and_null(demo):
    """The UDFs (one BLAS thread per call, DuckDB's threads splitting the rows, shuffled vectors) give exactly
    what a plain per-row Python lookup gives: every demo customer, unknown ids (with and without a segment)
    and NULL, with and without bought products."""
    con = demo.connect(read_only=True)
    try:
        con.execute("SET threads = 2")
        con.execute("CREATE TEMP TABLE ids AS SELECT customer_id FROM stg_customers UNION ALL"
                    " SELECT * FROM (VALUES ('no-such-customer'), (''), (NULL)) AS v(customer_id)")
        query = ("SELECT customer_id, recommend(customer_id, 7), recommend_including_bought(customer_id, 3),"
                 " recommendation_source(customer_id) FROM (SELECT * FROM ids ORDER BY hash(customer_id))")
        rows = con.execute(query).fetchall()
        segments = dict(con.execute("SELECT customer_id, segment_id FROM customer_segments").fetchall())
        chosen = con.execute("SELECT source FROM meta.active_recommendation").fetchall()[0][0]
        model = load(con)
    finally:
        con.close()
    known = {c: i for i, c in enumerate(model.customers)}
    assert len(rows) == DEMO_CUSTOMERS + 3 and sum(c not in known for c, *_ in rows) >= 3
    for customer, top, with_bought, source in rows:
        if customer is None:
            assert (top, with_bought, source) == (None, None, None)
            continue
        user = known.get(customer, -1)
        segment = model.segment_index([segments.get(customer)]) if user < 0 else np.array([-1])
        for items, k, exclude in ((top, 7, True), (with_bought, 3, False)):
            columns, scores = model.recommend(np.array([user]), k, exclude, segment)
            expected = [(model.products[c], float(v)) for c, v in zip(columns[0], scores[0]) if c >= 0]
            assert [(i["product_id"], i["score"]) for i in items] == expected, customer
        assert source == (chosen if user >= 0 else "segment popularity" if segment[0] >= 0 else "popularity")


def test_fallbacks_and_bad_input(demo):
    con = demo.connect(read_only=True)
    try:
        model = load(con)
        unknown = con.execute("SELECT recommend('no-such-customer', 5)").fetchall()[0][0]
        null = con.execute("SELECT recommend(NULL, 5), similar_products(NULL, 3)").fetchall()[0]
        source = con.execute("SELECT recommendation_source('no-such-customer')").fetchall()[0][0]
        product = model.products[int(np.argmax(model.popularity))]
        similar = con.execute("SELECT similar_products(?, 3), similar_products('no-such-product', 3)",
                              [product]).fetchall()[0]
        segment = con.execute("SELECT recommend_for_segment(0, 3), recommend_for_segment(999, 3)").fetchall()[0]
        errors = {}
        for call in ("recommend('x', 0)", "recommend('x', 1000000000)", "similar_products('x', -1)"):
            with pytest.raises(duckdb.Error) as caught:
                con.execute(f"SELECT {call}").fetchall()
            errors[call] = str(caught.value)
    finally:
        con.close()
    top = np.argsort(-model.popularity, kind="stable")[:5]
    assert [i["product_id"] for i in unknown] == [model.products[c] for c in top]  # global popularity
    assert null == (None, None)
    assert source == "popularity"
    assert len(similar[0]) == 3 and product not in [i["product_id"] for i in similar[0]]
    assert similar[1] == [] and segment[1] == [] and len(segment[0]) == 3
    assert "recommend: k = 0 — give 1 <= k <= 1000" in errors["recommend('x', 0)"]
    assert "k = 1000000000" in errors["recommend('x', 1000000000)"]
    assert "similar_products: k = -1" in errors["similar_products('x', -1)"]


def test_marts_read_in_duckdb_cli_without_python(demo):
    query = ("SELECT count(DISTINCT customer_id), max(rank), count(*) FILTER (WHERE product_name IS NULL)"
             " FROM customer_recommendations; SELECT count(DISTINCT segment_id), min(share_of_customers) > 0"
             " FROM segment_recommendations;")
    cli = duckdb_cli(demo.database, query)
    assert cli.returncode == 0, cli.stderr
    lines = cli.stdout.strip().splitlines()
    customers, max_rank, unnamed = (int(v) for v in lines[1].split(","))
    assert customers == DEMO_CUSTOMERS and max_rank == 10 and unnamed == 0
    con = demo.connect(read_only=True)
    try:
        segments = con.execute("SELECT count(*) FROM meta.active_segments").fetchall()[0][0]
    finally:
        con.close()
    assert lines[3] == f"{segments},true"


def test_scoring_does_not_import_tensorflow(demo):
    code = ("import sys, marketsql; con = marketsql.connect(sys.argv[1], read_only=True);"
            " n = con.execute('SELECT count(*) FROM (SELECT unnest(recommend(customer_id, 10))"
            " FROM stg_customers)').fetchall()[0][0]; con.close();"
            " print(n, 'tensorflow' in sys.modules, 'keras' in sys.modules)")
    done = subprocess.run([sys.executable, "-c", code, str(demo.root)], capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    n, tf, keras = done.stdout.split()
    assert int(n) > 0 and tf == "False" and keras == "False"


def test_versions_metrics_and_rollback_through_the_registry(demo_copy):
    demo = marketsql.Project.load(demo_copy)
    first = [r for r in demo.models() if r.name == "recommendation"]
    assert len(first) == 1 and first[0].status == "active"
    metrics = first[0].metrics
    assert {c["candidate"] for c in metrics["candidates"]} == {
        "popularity", "segment_popularity", "item_cosine", "ease", "two_tower"}
    assert metrics["ndcg_at_k"] >= max(c["ndcg"] for c in metrics["candidates"]) - 1e-12
    demo.train("recommendation", candidates="popularity")
    con = demo.connect(read_only=True)
    try:
        sources = con.execute("SELECT DISTINCT source FROM customer_recommendations").fetchall()
    finally:
        con.close()
    assert sources == [("popularity",)]
    demo.activate("recommendation", 1)
    con = demo.connect(read_only=True)
    try:
        active = con.execute("SELECT version, candidate FROM meta.active_recommendation").fetchall()
    finally:
        con.close()
    assert active == [(1, first[0].kind)]


def test_untrained_and_empty(tmp_path):
    con = duckdb.connect(str(tmp_path / "x.duckdb"))
    try:
        from marketsql.models import kind

        kind("recommendation").compile_untrained(con)
        with pytest.raises(duckdb.Error, match="run `marketsql train recommendation`"):
            con.execute("SELECT recommend('c', 10)").fetchall()
        con.execute("CREATE VIEW customer_product_interactions AS SELECT 'c' AS customer_id, 'p' AS product_id,"
                    " 1 AS quantity, 0 AS days_since_last WHERE false")
        with pytest.raises(ModelError, match="no purchases in customer_product_interactions"):
            data.load_training(con)
    finally:
        con.close()


def test_metrics_by_hand():
    # two customers, five products; customer 0 bought product 0, customer 1 bought product 1
    train = data.from_pairs(["a", "b"], ["p0", "p1"], np.ones(2), products=["p0", "p1", "p2", "p3", "p4"])
    model = RecommendationModel("popularity", **{**baselines.common(train),
                                                "popularity": np.array([5.0, 4.0, 3.0, 2.0, 1.0])})
    # a's list (p0 excluded): p1, p2 ; b's list: p0, p2
    relevant = {0: np.array([2, 4]), 1: np.array([3])}
    result = evaluate(model, relevant, k=2)
    assert result["precision"] == pytest.approx((1 / 2 + 0) / 2)
    assert result["recall"] == pytest.approx((1 / 2 + 0) / 2)
    assert result["ndcg"] == pytest.approx(((1 / np.log2(3)) / (1 + 1 / np.log2(3)) + 0) / 2)
    assert result["map"] == pytest.approx(((1 / 2) / 2 + 0) / 2)
    assert result["coverage"] == pytest.approx(3 / 5)


def test_movielens_ua_candidates_rank_as_published():
    train_rows = np.loadtxt(MOVIELENS / "ua.base", dtype=np.int64)
    test_rows = np.loadtxt(MOVIELENS / "ua.test", dtype=np.int64)
    train = data.from_pairs(train_rows[:, 0].astype(str), train_rows[:, 1].astype(str), np.ones(len(train_rows)))
    relevant = data.relevant_items(train, test_rows[:, 0].astype(str), test_rows[:, 1].astype(str))
    assert len(relevant) == 943
    scores = {name: evaluate(fit(train), relevant)["precision"]
              for name, fit in [("popularity", baselines.popularity), ("cosine", baselines.item_cosine),
                                ("ease", baselines.ease)]}
    assert scores["popularity"] < scores["cosine"] < scores["ease"]
    assert scores["ease"] >= 2 * scores["popularity"]


def test_keras_two_tower_from_sparse_batches_beats_popularity(monkeypatch):
    from marketsql.models.recommendation import keras_model

    train_rows = np.loadtxt(MOVIELENS / "ua.base", dtype=np.int64)
    test_rows = np.loadtxt(MOVIELENS / "ua.test", dtype=np.int64)
    train = data.from_pairs(train_rows[:, 0].astype(str), train_rows[:, 1].astype(str), np.ones(len(train_rows)))
    relevant = data.relevant_items(train, test_rows[:, 0].astype(str), test_rows[:, 1].astype(str))
    monkeypatch.setattr(keras_model, "DENSE_LIMIT", 0)  # the path for catalogues too big for dense arrays
    result = keras_model.train_two_tower(train, keras_model.KerasSettings(epochs=20))
    assert len(result.epoch_seconds) == 20 and result.losses[-1] < result.losses[0]
    model = result.model
    assert model.scorer == "embedding" and model.user_factors is not None
    assert model.user_factors.shape == (943, 128)
    keras_p = evaluate(model, relevant)["precision"]
    assert keras_p > 1.3 * evaluate(baselines.popularity(train), relevant)["precision"]


def test_unknown_customer_with_a_segment_gets_the_segment_popularity():
    train = data.from_pairs(["a", "a", "b", "c"], ["p0", "p1", "p2", "p2"], np.ones(4),
                            products=["p0", "p1", "p2", "p3"], segments={"a": 1, "b": 2, "c": 2})
    model = baselines.ease(train)
    columns, _ = model.recommend(np.array([-1, -1, 0]), 2, segment_rows=model.segment_index([1, 2, None]))
    names = [[model.products[c] for c in row if c >= 0] for row in columns]
    assert sorted(names[0]) == ["p0", "p1"]  # segment 1's popularity (customer a bought p0 and p1)
    assert names[1][0] == "p2"  # segment 2's most popular
    assert "p0" not in names[2] and "p1" not in names[2]  # a known customer: bought products excluded
