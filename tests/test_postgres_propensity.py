"""propensity, propensity_reasons, churn_risk and uplift in the PostgreSQL mirror, on a real server: the same values
as DuckDB's for every customer, the logistic candidate compiled to a plain PostgreSQL function, stand-ins before
training, a tampered model refused, and names with quotes kept as data."""

from __future__ import annotations

import json
from pathlib import Path

import duckdb
import numpy as np
import psycopg
import pytest
from postgres_server import Server, postgres_server  # noqa: F401  (fixture)

import marketsql
from marketsql.demo.generate import generate_demo_data
from marketsql.errors import MarketsqlError
from marketsql.models.propensity import FEATURES, Target
from marketsql.models.propensity import postgres as pg_propensity
from marketsql.models.propensity.scoring import Linear
from marketsql.models.propensity.sql import UNTRAINED, macro_names
from marketsql.models.registry import Registry
from marketsql.models.uplift import postgres as pg_uplift

ARGS = ", ".join(FEATURES)


@pytest.fixture(scope="module")
def shop(tmp_path_factory, postgres_server: Server) -> dict:  # noqa: F811
    """The demo built and mirrored untrained (schema ``untrained``), then propensity (baseline vs logistic, so a
    linear model is served) and uplift trained and mirrored again (schema ``shop``)."""
    project = marketsql.init(tmp_path_factory.mktemp("pgprop") / "demo")
    generate_demo_data(project.root / "data" / "demo", customers=1_500, seed=11)
    project.build()
    untrained = project.mirror_postgres(postgres_server.dsn(), "untrained")
    project.train("propensity", rebuild=False, target=["repeat", "category:Phones"], candidates=("logistic",))
    project.train("uplift")
    return {"project": project, "untrained": untrained, "mirror": project.mirror_postgres(postgres_server.dsn(),
                                                                                          "shop")}


def _duck(project: marketsql.Project, sql: str) -> list[tuple]:
    con = project.connect(read_only=True)
    try:
        return con.execute(sql).fetchall()
    finally:
        con.close()


def test_lookups_equal_duckdb_for_every_customer(shop, postgres_server: Server):  # noqa: F811
    sql = ("SELECT customer_id, target, propensity(customer_id, target), propensity_reasons(customer_id, target),"
           " churn_risk(customer_id) FROM {s}customer_propensity ORDER BY customer_id, target")
    expected = _duck(shop["project"], sql.format(s=""))
    assert {"propensity", "propensity_reasons", "churn_risk", "uplift"} <= set(shop["mirror"].function_names)
    with postgres_server.admin() as pg:
        pg.execute("SET search_path = shop")
        got = pg.execute(sql.format(s="shop.")).fetchall()
        assert pg.execute("SELECT propensity('nobody', 'repeat'), propensity(customer_id, 'category:Nothing')"
                          " FROM customer_propensity LIMIT 1").fetchall() == [(None, None)]
    assert len(got) == len(expected) == 2 * _duck(shop["project"], "SELECT count(*) FROM customer_features")[0][0]
    for (cid, target, p, why, churn), (g_cid, g_target, g_p, g_why, g_churn) in zip(expected, got, strict=True):
        assert (cid, target, why) == (g_cid, g_target, g_why) and len(why) == 3
        assert abs(p - g_p) <= 1e-9 and abs(churn - g_churn) <= 1e-9 and 0 < p < 1


def test_logistic_compiled_to_a_plain_postgres_function(shop, postgres_server: Server):  # noqa: F811
    project = shop["project"]
    con = project.connect(read_only=True)
    try:
        record = Registry(con).active("propensity")
    finally:
        con.close()
    assert [t["algorithm"] for t in record.params["targets"]] == ["logistic", "logistic"]  # served: linear
    names = macro_names([Target(t["kind"], t["value"]) for t in record.params["targets"]], record.params)
    for index, name in names.items():
        target = record.params["targets"][index]["name"]
        sql = (f"SELECT customer_id, {{s}}{name}({ARGS}), probability FROM {{s}}propensity_features"
               f" JOIN {{s}}customer_propensity USING (customer_id, target) WHERE target = '{target}'"
               " ORDER BY customer_id")
        expected = _duck(project, sql.format(s=""))
        with postgres_server.admin() as pg:
            got = pg.execute(sql.format(s="shop.")).fetchall()
            plan = "\n".join(r[0] for r in pg.execute(
                f"EXPLAIN VERBOSE SELECT shop.{name}({ARGS}) FROM shop.propensity_features").fetchall())
        assert len(got) == len(expected) > 1_000
        for (cid, p, mart), (g_cid, g_p, g_mart) in zip(expected, got, strict=True):
            assert cid == g_cid and abs(p - g_p) <= 1e-9 and abs(p - mart) <= 1e-9 and abs(g_p - g_mart) <= 1e-9
        assert f"{name}(" not in plan.split("Output:")[1]  # inlined: plain arithmetic, no call per row


def test_uplift_equals_duckdb_and_refuses_an_unknown_treatment(shop, postgres_server: Server):  # noqa: F811
    project = shop["project"]
    arms = [a for (a,) in _duck(project, "SELECT arm FROM uplift_arms() ORDER BY arm")]
    sql = "SELECT customer_id, {a}, {s}uplift(customer_id, {a}) FROM {s}campaign_customers ORDER BY customer_id"
    with postgres_server.admin() as pg:
        for arm in arms:
            expected = _duck(project, sql.format(a=f"'{arm}'", s=""))
            got = pg.execute(sql.format(a=f"'{arm}'", s="shop.")).fetchall()
            assert len(got) == len(expected) > 1_000
            assert all(e[0] == g[0] and abs(e[2] - g[2]) <= 1e-9 for e, g in zip(expected, got, strict=True))
        with pytest.raises(psycopg.errors.RaiseException, match="unknown treatment — the uplift model knows: "):
            pg.execute("SELECT shop.uplift(customer_id, 'sms') FROM shop.campaign_customers LIMIT 1")


def test_untrained_functions_say_what_to_run(shop, postgres_server: Server):  # noqa: F811
    assert {"propensity", "propensity_reasons", "churn_risk", "uplift"} <= set(shop["untrained"].function_names)
    with postgres_server.admin() as pg:
        for call in ("propensity('C1', 'repeat')", "propensity_reasons('C1', 'repeat')", "churn_risk('C1')"):
            with pytest.raises(psycopg.errors.RaiseException) as caught:
                pg.execute(f"SELECT untrained.{call}")
            assert str(caught.value).splitlines()[0] == UNTRAINED
        with pytest.raises(psycopg.errors.RaiseException, match="run `marketsql train uplift`"):
            pg.execute("SELECT untrained.uplift('C1', 'email')")


def _mirrored_at(server: Server) -> list[tuple]:
    with server.admin() as pg:
        return pg.execute("SELECT mirrored_at FROM shop_meta.mirror").fetchall()


def test_tampered_model_is_refused_and_the_mirror_kept(shop, postgres_server: Server, tmp_path: Path):  # noqa: F811
    project = marketsql.Project.load(shop["project"].root, database=tmp_path / "copy.duckdb")
    Path(project.database).write_bytes(Path(shop["project"].database).read_bytes())
    before = _mirrored_at(postgres_server)
    con = duckdb.connect(str(project.database))
    try:  # an attacker who knows the checksum: a coefficient that is SQL text
        registry = Registry(con)
        record = registry.active("propensity")
        params = json.loads(json.dumps(record.params))
        params["targets"][1]["coef"][0] = "1) + (SELECT 1 FROM pg_sleep(5)"
        registry.register("propensity", record.kind, params, record.features, record.metrics,
                          registry.arrays(record), record.data_fingerprint)
    finally:
        con.close()
    with pytest.raises(MarketsqlError) as caught:
        project.mirror_postgres(postgres_server.dsn(), "shop")
    message = str(caught.value)
    assert message.startswith("propensity v2: a stored value cannot be read")
    assert "`marketsql train propensity`" in message
    assert "\n" not in message and _mirrored_at(postgres_server) == before
    with postgres_server.admin() as pg:  # the previous mirror still serves
        assert pg.execute("SELECT count(shop.propensity(customer_id, target)) > 0 FROM shop.customer_propensity"
                          ).fetchone() == (True,)


def test_quotes_in_target_and_treatment_names_stay_data(postgres_server: Server):  # noqa: F811
    """A category and an arm named with quotes and SQL: function names are plain, values are literals."""
    evil = "Kid's Phones'); DROP SCHEMA quoted CASCADE; --"
    targets = [Target("repeat"), Target("category", evil)]
    params = {"targets": [{"shape": "linear", "algorithm": "logistic"}] * 2, "horizon_days": 30}
    n = len(FEATURES)
    linear = {i: Linear(np.zeros(n), np.ones(n), np.linspace(-1, 1, n), 0.25 * i) for i in range(2)}
    statements = pg_propensity.function_statements("quoted", targets, params, linear, built=True)
    statements += pg_propensity.lookup_statements("quoted", True, "text")
    statements += pg_uplift.lookup_statements("quoted", ["men's e-mail", evil], "bigint")
    name = macro_names(targets, params)[1]
    with postgres_server.admin() as pg:
        pg.execute("DROP SCHEMA IF EXISTS quoted CASCADE")
        pg.execute("CREATE SCHEMA quoted")
        pg.execute("CREATE FUNCTION quoted.error(message text) RETURNS text LANGUAGE plpgsql AS"
                   " $body$ BEGIN RAISE EXCEPTION '%', message; END $body$")
        pg.execute("CREATE TABLE quoted.customer_propensity (customer_id text, target text, probability double"
                   " precision, reason_1 text, reason_2 text, reason_3 text)")
        pg.execute("INSERT INTO quoted.customer_propensity VALUES ('C1', %s, 0.25, 'a', 'b', 'c'),"
                   " ('C1', 'repeat', 0.75, 'x', 'y', 'z')", [f"category:{evil}"])
        pg.execute("CREATE TABLE quoted.campaign_uplift (customer_id bigint, arm text, uplift double precision)")
        pg.execute("INSERT INTO quoted.campaign_uplift VALUES (1, %s, 0.5)", [evil])
        for statement in statements:
            pg.execute(statement.encode())
        got = pg.execute("SELECT quoted.propensity('C1', %s), quoted.propensity_reasons('C1', %s),"
                         " quoted.churn_risk('C1'), quoted.uplift(1, %s), quoted.uplift(1, 'men''s e-mail')",
                         [f"category:{evil}"] * 2 + [evil]).fetchone()
        x = np.arange(n, dtype=float)
        compiled = pg.execute(f"SELECT quoted.{name}({', '.join(['%s'] * n)})", x.tolist()).fetchone()[0]
        with pytest.raises(psycopg.errors.RaiseException, match="knows: men's e-mail, Kid's Phones'\\); DROP"):
            pg.execute("SELECT quoted.uplift(1, 'sms')")
        assert pg.execute("SELECT count(*) FROM pg_namespace WHERE nspname = 'quoted'").fetchone() == (1,)
        pg.execute("DROP SCHEMA quoted CASCADE")
    assert name == "propensity_logistic_category_kid_s_phones_drop_schema_quoted"
    assert got == (0.25, ["a", "b", "c"], 0.25, 0.5, None)
    assert abs(compiled - float(linear[1].probability(x[None, :])[0])) <= 1e-12


def test_check_dry_runs_the_lookups_and_writes_nothing(shop, postgres_server: Server):  # noqa: F811
    before = _mirrored_at(postgres_server)
    result = shop["project"].check_postgres(postgres_server.dsn(), "shop")
    assert result.checked == "server" and result.problems == []
    assert {"propensity", "churn_risk", "uplift"} <= set(result.function_names) and result.lookups
    assert _mirrored_at(postgres_server) == before
