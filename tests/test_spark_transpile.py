"""The Spark engine without a JVM: every module's doctests, a doctest on every rewrite, the rendering of the
model functions, and the static check on every view of the standard pipeline and of Online Retail."""

from __future__ import annotations

import doctest

import pytest
from conftest import REPO

import marketsql
from marketsql.engines.plan import static_problems
from marketsql.engines.spark import functions, load, session, transpile
from marketsql.engines.spark.mirror import DIALECT


@pytest.mark.parametrize("module", [transpile, functions, load])
def test_doctests(module):
    failed, tried = doctest.testmod(module)
    assert tried > 0 and failed == 0


def test_every_rewrite_has_a_doctest():
    for rewrite in transpile.REWRITES:
        assert rewrite.__doc__ and ">>>" in rewrite.__doc__, rewrite.__name__


def test_exact_percentile_replaces_sqlglots_estimate():
    sql = transpile.to_spark("SELECT c, percentile_cont(0.5) WITHIN GROUP (ORDER BY p) AS m, error('x') AS e"
                             " FROM raw.t GROUP BY ALL", {"raw.t": ("s_raw", "t")})
    assert sql == "SELECT c, PERCENTILE(p, 0.5) AS m, RAISE_ERROR('x') AS e FROM `s_raw`.`t` AS t GROUP BY ALL"
    assert "APPROX" not in sql


def test_stand_in_functions_raise_duckdbs_message():
    (made,) = functions.translate(["CREATE FUNCTION \"m\".churn_risk(customer_id text) RETURNS double precision"
                                   " LANGUAGE plpgsql AS $body$ BEGIN RAISE EXCEPTION '%', 'no model — train it';"
                                   " END $body$"], "m")
    assert made.statement == ("CREATE FUNCTION `m`.`churn_risk`(customer_id STRING) RETURNS DOUBLE RETURN"
                              " CAST(raise_error('no model — train it') AS DOUBLE)")


def test_resolve_reads_arguments_environment_then_config(monkeypatch, tmp_path):
    config = {"spark": {"master": "local[4]", "warehouse": str(tmp_path / "cfg"), "schema": "cfg"}}
    assert session.resolve(config) == session.Target("local[4]", str(tmp_path / "cfg"), "cfg")
    monkeypatch.setenv(session.ENV_MASTER, "local[*]")
    assert session.resolve(config).master == "local[*]"
    assert session.resolve(config, "spark://h:7077", "mine").master == "spark://h:7077"
    assert session.resolve({}).warehouse == "" and session.resolve({}).with_default_warehouse(tmp_path).warehouse \
        == str(tmp_path / "spark-warehouse")


@pytest.mark.parametrize("root", [REPO, REPO / "examples" / "online_retail"])
def test_standard_pipeline_has_no_view_that_cannot_be_mirrored(root):
    project = marketsql.Project.load(root)
    assert static_problems(project.views, project.order, set(project.udfs), DIALECT) == []
