"""segment() compiled to PostgreSQL functions equals the numpy model for both model kinds (k-means
and Gaussian mixture), on random models and customers, on the real server."""

from __future__ import annotations

import numpy as np
import pytest
from postgres_server import Server, postgres_server  # noqa: F401  (fixture)

from marketsql.models.segmentation import FEATURES, SegmentationModel
from marketsql.models.segmentation.postgres import function_statements

DESCRIPTIONS = ["buys 3.0× as often as average", "last purchase 25 days ago", "it's €120 per order", "bought once"]


def random_model(kind: str, rng: np.random.Generator, k: int = 4) -> SegmentationModel:
    kept = ["recency_days", "frequency", "monetary", "avg_basket_value", "return_rate"]
    m = len(kept)
    precisions = None
    weights = None
    if kind == "gmm":
        precisions = np.triu(rng.normal(0, 0.4, (k, m, m)), 1) + np.eye(m) * rng.uniform(0.5, 2.0, (k, 1, m))
        weights = rng.dirichlet(np.ones(k))
    return SegmentationModel(
        features=list(FEATURES), log_features=["frequency", "monetary", "avg_basket_value"],
        center=rng.normal(0, 1, len(FEATURES)), scale=rng.uniform(0.5, 3.0, len(FEATURES)), kept=kept, kind=kind,
        means=rng.normal(0, 1, (k, m)), precisions_cholesky=precisions, weights=weights,
        names=[f"Segment {i}" for i in range(k)], medians=rng.uniform(0, 5, len(FEATURES)))


@pytest.mark.parametrize("kind", ["kmeans", "gmm"])
def test_postgres_segment_equals_numpy_model(kind, postgres_server: Server):  # noqa: F811
    rng = np.random.default_rng(3)
    model = random_model(kind, rng)
    matrix = rng.lognormal(0.5, 1.2, (3_000, len(FEATURES)))
    expected = model.predict(matrix)
    schema = f"seg_{kind}"
    columns = ", ".join(f"{name} double precision" for name in FEATURES)
    with postgres_server.admin() as pg:
        pg.execute(f"DROP SCHEMA IF EXISTS {schema} CASCADE")
        pg.execute(f"CREATE SCHEMA {schema}")
        for statement in function_statements(model, schema, DESCRIPTIONS):
            pg.execute(statement.encode())
        pg.execute(f"CREATE TABLE {schema}.x (id integer, {columns})")
        with pg.cursor().copy(f"COPY {schema}.x FROM STDIN") as copy:
            for i, row in enumerate(matrix):
                copy.write_row([i, *row.tolist()])
        got = [r[0] for r in pg.execute(
            f"SELECT {schema}.segment({', '.join(FEATURES)}) FROM {schema}.x ORDER BY id").fetchall()]
        names = pg.execute(f"SELECT {schema}.segment_name(s) FROM generate_series(0, 3) AS s").fetchall()
        described = pg.execute(f"SELECT {schema}.segment_description(s) FROM generate_series(0, 4) AS s").fetchall()
        defaults = pg.execute(f"SELECT {schema}.segment()").fetchone()
        pg.execute(f"DROP SCHEMA {schema} CASCADE")
    assert len(set(expected.tolist())) >= 3  # the random model uses several segments
    assert got == expected.tolist()
    assert [n[0] for n in names] == model.names
    assert [d[0] for d in described] == [*DESCRIPTIONS, None]  # quotes and non-ASCII survive; unknown id: NULL
    assert defaults == (int(model.predict(model.medians[None, :])[0]),)  # every argument defaults to the median
