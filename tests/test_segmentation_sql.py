"""Segmentation in SQL: the compiled macro, the Python UDF and the numpy model agree on every
customer of the real Online Retail data and of the demo; marts, rollback and bad calls."""

from __future__ import annotations

import numpy as np
import pytest
from conftest import REPO, duckdb_cli

import marketsql
from marketsql.models.segmentation import FEATURES
from marketsql.models.segmentation.serve import load

ARGS = ", ".join(FEATURES)


@pytest.fixture(scope="module")
def retail(tmp_path_factory):
    project = marketsql.Project.load(
        REPO / "examples" / "online_retail", database=tmp_path_factory.mktemp("seg") / "retail.duckdb"
    )
    project.build()
    project.train("segmentation", k_min=3, k_max=6)
    return project


@pytest.fixture
def demo(demo_shop):
    return demo_shop.project  # `marketsql demo`: generated, built, every model trained


def scores(project: marketsql.Project) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    con = project.connect(read_only=True)
    try:
        rows = con.execute(
            f"SELECT segment({ARGS}), segment_py({ARGS}), {ARGS} FROM customer_features ORDER BY customer_id"
        ).fetchall()
        mart = con.execute("SELECT segment_id FROM customer_segments ORDER BY customer_id").fetchall()
        model = load(con)
    finally:
        con.close()
    macro = np.array([r[0] for r in rows], dtype=float)
    udf = np.array([r[1] for r in rows], dtype=float)
    matrix = np.array([r[2:] for r in rows], dtype=float)
    return macro, udf, model.predict(matrix).astype(float), np.array([r[0] for r in mart], dtype=float)


@pytest.mark.parametrize("which", ["retail", "demo"])
def test_macro_udf_and_model_agree_on_every_customer(which, request):
    project = request.getfixturevalue(which)
    macro, udf, python, mart = scores(project)
    assert len(macro) > 2_000
    assert np.array_equal(macro, python), f"{int((macro != python).sum())} customers differ"
    assert np.array_equal(udf, python)
    assert np.array_equal(mart, python)


def test_same_analyst_query_in_python_and_duckdb_cli(retail):
    query = ("SELECT segment_name, count(*) AS n FROM customer_segments GROUP BY ALL ORDER BY segment_name;"
             " SELECT segment(12, 3, 450.0) AS what_if, segment_name(segment(12, 3, 450.0)) AS name;")
    cli = duckdb_cli(retail.database, query)
    assert cli.returncode == 0, cli.stderr
    con = retail.connect(read_only=True)
    try:
        groups = con.execute(query.split(";")[0]).fetchall()
        what_if = con.execute(query.split(";")[1]).fetchall()
    finally:
        con.close()
    expected = ["segment_name,n", *[f"{name},{n}" for name, n in groups],
                "what_if,name", f"{what_if[0][0]},{what_if[0][1]}"]
    assert cli.stdout.strip().splitlines() == expected


def test_profiles_mart_describes_every_segment(retail):
    con = retail.connect(read_only=True)
    try:
        k = load(con).k
        rows = con.execute(
            "SELECT count(*), sum(share_of_customers), sum(share_of_revenue), count(distinguishing_features),"
            " count(top_categories) FROM segment_profiles").fetchall()[0]
        rfm = con.execute("SELECT count(DISTINCT rfm_segment), count(*) FILTER (WHERE rfm_segment IS NULL)"
                          " FROM customer_segments").fetchall()[0]
        described = [r[0] for r in con.execute(
            "SELECT distinguishing_features FROM segment_profiles ORDER BY segment_id").fetchall()]
    finally:
        con.close()
    assert rows[0] == k and rows[1] == pytest.approx(1) and rows[2] == pytest.approx(1)
    assert rows[3] == k and rows[4] == k
    active = next(r for r in retail.models() if r.status == "active")
    assert described == active.params["distinguishing"]  # the same words as the training output
    assert rfm[0] >= 8 and rfm[1] == 0


def test_nulls_give_null_and_bad_calls_fail_clearly(retail):
    con = retail.connect(read_only=True)
    try:
        assert con.execute("SELECT segment(NULL, 3, 450.0), segment_py(NULL, 3, 450.0, 100, 50, 2, 10, 5, 2, 0,"
                           " 0.5)").fetchall() == [(None, None)]
        with pytest.raises(Exception, match="segment"):
            con.execute(f"SELECT segment({', '.join(['1'] * (len(FEATURES) + 1))})").fetchall()
        with pytest.raises(Exception, match="Could not convert string 'many' to DOUBLE|Conversion Error"):
            con.execute("SELECT segment(12, 'many', 450.0)").fetchall()
    finally:
        con.close()


def test_rollback_to_an_earlier_version_rebuilds_the_marts(tmp_path):
    project = marketsql.Project.load(REPO / "examples" / "online_retail", database=tmp_path / "r.duckdb")
    project.build()
    project.train("segmentation", k_min=3, k_max=3)
    project.train("segmentation", k_min=5, k_max=5)

    def segments() -> int:
        con = project.connect(read_only=True)
        try:
            return con.execute("SELECT count(DISTINCT segment_id) FROM customer_segments").fetchall()[0][0]
        finally:
            con.close()

    assert segments() == 5
    assert [(r.version, r.status) for r in project.models()] == [(2, "active"), (1, "inactive")]
    project.activate("segmentation", 1)
    assert segments() == 3


def test_untrained_database_says_what_to_run(built_project):
    con = built_project.connect(read_only=True)
    try:
        with pytest.raises(Exception, match=r"no trained segmentation model .* run `marketsql train segmentation`"):
            con.execute("SELECT segment(1, 2, 3)").fetchall()
    finally:
        con.close()


def test_rfm_segments_view_matches_the_python_baseline(retail):
    from marketsql.models.segmentation import rfm_scores

    con = retail.connect(read_only=True)
    try:
        frame = con.execute("SELECT * FROM customer_features").df()
        sql = con.execute("SELECT customer_id, r_score, f_score, m_score, rfm_segment FROM rfm_segments").df()
    finally:
        con.close()
    python = rfm_scores(frame)
    merged = sql.merge(python, on="customer_id", suffixes=("_sql", "_py"))
    assert len(merged) == len(frame) == 4_338
    for column in ("r_score", "f_score", "m_score", "rfm_segment"):
        assert (merged[f"{column}_sql"] == merged[f"{column}_py"]).all(), column
    assert merged["rfm_segment_sql"].nunique() == 11


def test_view_calling_the_model_udf_is_materialised(tmp_path):
    example = REPO / "examples" / "online_retail"
    root = tmp_path / "extended"
    (root / "sql").mkdir(parents=True)
    config = (example / "marketsql.toml").read_text()
    config = config.replace('extends = "../.."', f'extends = "{example}"').replace(
        "../../../shared/data", str(REPO.parent / "shared" / "data"))
    (root / "marketsql.toml").write_text(config)
    (root / "sql" / "python_scored.sql").write_text(
        f"-- marketsql: requires segmentation\nSELECT customer_id, segment_py({ARGS}) AS s FROM customer_features")
    project = marketsql.Project.load(root)
    first = project.build()
    assert ("python_scored", "needs a trained segmentation model — run `marketsql train segmentation`") in [
        (name, why) for name, why in first.skipped]
    trained = project.train("segmentation", k_min=3, k_max=3)
    kinds = {o.name: o.kind for o in trained.build.objects}
    assert kinds["python_scored"] == "table"  # readable by clients without Python
    cli = duckdb_cli(project.database, "SELECT count(*) AS n FROM python_scored WHERE s IS NOT NULL")
    assert cli.returncode == 0, cli.stderr
    assert cli.stdout.split() == ["n", "4338"]
