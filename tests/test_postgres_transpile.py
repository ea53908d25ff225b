"""The project-owned rewrites from DuckDB to PostgreSQL SQL (no server needed): each rewrite's
doctest, and the static check on every view of the standard pipeline."""

from __future__ import annotations

import doctest

import pytest
from conftest import REPO

import marketsql
from marketsql.engines.postgres import connection, copy, transpile
from marketsql.engines.postgres.plan import static_problems


@pytest.mark.parametrize("module", [transpile, connection, copy])
def test_doctests(module):
    failed, tried = doctest.testmod(module)
    assert tried > 0 and failed == 0


def test_every_rewrite_has_a_doctest():
    for rewrite in transpile.REWRITES:
        assert rewrite.__doc__ and ">>>" in rewrite.__doc__, rewrite.__name__


def test_transpiled_views_keep_no_duckdb_only_syntax():
    sql = transpile.to_postgres(
        "SELECT c, TRY_CAST(v AS DOUBLE) AS x, round(avg(y), 2) AS r, arg_max(p, n) AS best"
        " FROM (SELECT * FROM raw.t) GROUP BY ALL",
        {"raw.t": ("s_raw", "t")}, {"try_cast": "s"})
    assert sql == ('SELECT c, "s".try_cast(v, CAST(NULL AS DOUBLE PRECISION)) AS x,'
                   " CAST(ROUND(CAST(AVG(y) AS DECIMAL), 2) AS DOUBLE PRECISION) AS r,"
                   " (ARRAY_AGG(p ORDER BY n DESC NULLS LAST) FILTER(WHERE NOT p IS NULL AND NOT n IS NULL))[1]"
                   ' AS best FROM (SELECT * FROM "s_raw"."t" AS t) AS _subquery_1 GROUP BY 1, 2')


@pytest.mark.parametrize("root", [REPO, REPO / "examples" / "online_retail"])
def test_standard_pipeline_has_no_view_that_cannot_be_mirrored(root):
    project = marketsql.Project.load(root)
    assert static_problems(project.views, project.order, set(project.udfs)) == []
