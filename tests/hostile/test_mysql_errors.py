"""Hostile: the MySQL mirror on bad input — an unreachable server, a wrong password (never shown, in any DSN form),
a view the server rejects (named, with the server's message), a value MySQL cannot store, a database marketsql did
not create, and a mirror killed half-way — each one clear error, and the previous mirror untouched."""

from __future__ import annotations

import signal
import subprocess
import sys
from pathlib import Path

import pytest
from conftest import WriteProject, run_cli
from mariadb_server import PASSWORD, SUPERUSER, Server, mariadb_server  # noqa: F401  (fixture)

import marketsql
from marketsql.engines.mysql.connection import MysqlError, mask

from .shop import kill


def _state(server: Server, name: str) -> tuple[list[str], list[tuple[str, str]], tuple[object, ...] | None]:
    """(databases named like the mirror, the objects readers see, the mirror row)."""
    with server.admin() as my, my.cursor() as cur:
        cur.execute("SELECT SCHEMA_NAME FROM information_schema.SCHEMATA WHERE SCHEMA_NAME LIKE %s", [f"{name}%"])
        databases = sorted(r[0] for r in cur.fetchall())
        cur.execute("SELECT TABLE_SCHEMA, TABLE_NAME FROM information_schema.TABLES WHERE TABLE_SCHEMA IN (%s, %s, %s)",
                    [name, f"{name}_raw", f"{name}_meta"])
        objects = sorted(cur.fetchall())
        row = None
        if f"{name}_meta" in databases:
            cur.execute(f"SELECT mirrored_at, generation FROM `{name}_meta`.mirror")
            row = cur.fetchone()
    return databases, objects, row


@pytest.fixture
def small(write_project: WriteProject) -> marketsql.Project:
    project = marketsql.Project.load(write_project())
    project.build()
    return project


def test_small_project_mirrors_and_reads_back(small, mariadb_server: Server):  # noqa: F811
    result = small.mirror_to("mysql", mariadb_server.dsn(), "small_ok")
    assert result.target == mariadb_server.dsn(password="***")
    with mariadb_server.admin() as my, my.cursor() as cur:
        cur.execute("SELECT customer_id, revenue FROM small_ok.customer_revenue ORDER BY 1")
        rows = cur.fetchall()
        cur.execute("SELECT count(*) FROM small_ok.order_revenue")
        view = cur.fetchone()
    assert rows == (("C1", 45.0), ("C2", 10.0)) and view == (3,)


def test_unreachable_server_fails_before_anything_is_built(write_project: WriteProject):
    root = write_project()
    done = run_cli("build", "-p", str(root), "--target", "mysql", "--dsn", f"mysql://ann:{PASSWORD}@127.0.0.1:1/shop")
    assert done.returncode == 1
    assert done.stderr.startswith("Error: cannot connect to MySQL at mysql://ann:***@127.0.0.1:1/shop: (2003)")
    assert "check host, port, user and password" in done.stderr and done.stderr.count("\n") == 1
    assert PASSWORD not in done.stdout + done.stderr
    assert not (root / "project.duckdb").exists()


@pytest.mark.parametrize("form", ["uri", "encoded", "keyvalue"])
def test_wrong_password_is_never_shown(form, small, mariadb_server: Server):  # noqa: F811
    wrong = {"uri": "not-the-" + PASSWORD, "encoded": "p@ss/w%rd", "keyvalue": "s3 cret"}[form]
    dsn = {"uri": mariadb_server.dsn(password=wrong),
           "encoded": mariadb_server.dsn(password="p%40ss%2Fw%25rd"),
           "keyvalue": f"host=127.0.0.1 port={mariadb_server.port} user={SUPERUSER} password='{wrong}'"}[form]
    with pytest.raises(MysqlError) as caught:
        small.mirror_to("mysql", dsn, "small_pw")
    message = str(caught.value)
    assert "(1045) Access denied for user" in message and "***" in message
    assert wrong not in message and "p%40ss" not in message
    done = run_cli("check", "-p", str(small.root), "--target", "mysql", "--dsn", dsn)
    assert done.returncode == 1 and done.stderr.startswith("Error: cannot connect to MySQL at ")
    assert wrong not in done.stdout + done.stderr and "p%40ss" not in done.stdout + done.stderr
    assert mask(dsn) in done.stderr


def test_view_the_server_rejects_is_named_and_the_old_mirror_kept(small, mariadb_server: Server):  # noqa: F811
    small.mirror_to("mysql", mariadb_server.dsn(), "small_rej")
    before = _state(mariadb_server, "small_rej")
    (small.root / "sql" / "fuzzy.sql").write_text(
        "-- names that look alike\nSELECT order_id,\n       levenshtein(order_id, customer_id) AS distance\n"
        "FROM raw.orders\n")
    project = marketsql.Project.load(small.root)
    project.build()
    report = project.check_target("mysql", mariadb_server.dsn(), "small_rej")
    assert len(report.problems) == 1 and report.checked == "server"
    problem = str(report.problems[0])
    assert problem == ("sql/fuzzy.sql, line 3: fuzzy — MySQL rejects the view: (1305) FUNCTION LEVENSHTEIN does"
                       " not exist")
    with pytest.raises(MysqlError) as caught:
        project.mirror_to("mysql", mariadb_server.dsn(), "small_rej")
    assert "sql/fuzzy.sql, line 3: fuzzy — MySQL rejects the view: (1305)" in str(caught.value)
    assert _state(mariadb_server, "small_rej") == before  # no generation left behind either


def test_a_value_mysql_cannot_store_names_the_table(small, mariadb_server: Server):  # noqa: F811
    small.mirror_to("mysql", mariadb_server.dsn(), "small_inf")
    before = _state(mariadb_server, "small_inf")
    (small.root / "sql" / "per_unit.sql").write_text(
        "-- marketsql: materialized\nSELECT order_id, unit_price / (quantity - quantity) AS odd FROM raw.orders\n")
    project = marketsql.Project.load(small.root)
    project.build()
    with pytest.raises(MysqlError) as caught:
        project.mirror_to("mysql", mariadb_server.dsn(), "small_inf")
    assert str(caught.value).startswith("sql/per_unit.sql: main.per_unit holds a value MySQL cannot store (")
    assert "MySQL has no infinities or NaN" in str(caught.value)
    assert _state(mariadb_server, "small_inf") == before


def test_refuses_a_database_it_did_not_create(small, mariadb_server: Server):  # noqa: F811
    with mariadb_server.admin() as my, my.cursor() as cur:
        cur.execute("CREATE DATABASE IF NOT EXISTS accounting")
        cur.execute("CREATE TABLE IF NOT EXISTS accounting.ledger (x int)")
    with pytest.raises(MysqlError, match="database accounting exists and was not created by marketsql"):
        small.mirror_to("mysql", mariadb_server.dsn(), "accounting")
    with mariadb_server.admin() as my, my.cursor() as cur:
        cur.execute("SELECT count(*) FROM information_schema.TABLES WHERE TABLE_SCHEMA = 'accounting'")
        assert cur.fetchone() == (1,)


MIRROR = ("import sys, marketsql; marketsql.Project.load(sys.argv[1]).mirror_to('mysql', sys.argv[2], sys.argv[3],"
          " progress=lambda m: print(m, flush=True))")


@pytest.mark.parametrize("moment", [pytest.param("loading", marks=pytest.mark.slow),
                                    pytest.param("creating view", marks=pytest.mark.slow), "checking rows",
                                    pytest.param("swapping", marks=pytest.mark.slow)])
def test_a_killed_mirror_leaves_the_previous_one_untouched(moment, small_shop: Path,
                                                          mariadb_server: Server):  # noqa: F811
    name = "killed_" + moment.split()[0]
    marketsql.Project.load(small_shop).mirror_to("mysql", mariadb_server.dsn(), name)
    before = _state(mariadb_server, name)
    process = subprocess.Popen([sys.executable, "-c", MIRROR, str(small_shop), mariadb_server.dsn(), name],
                               stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    assert process.stdout is not None
    for line in process.stdout:
        if line.startswith(moment):
            break
    kill(process, signal.SIGKILL)
    databases, objects, row = _state(mariadb_server, name)
    assert (objects, row) == before[1:]  # readers see the old mirror, whole
    assert set(databases) >= set(before[0])  # plus, at most, the half-built generation
    again = marketsql.Project.load(small_shop).mirror_to("mysql", mariadb_server.dsn(), name)
    after = _state(mariadb_server, name)
    assert after[1] == before[1] and after[2] != before[2] and len(after[0]) == 6  # orphan generation dropped
    assert again.copied_rows > 0


def test_duckdb_only_construct_is_listed_before_anything_is_written(write_project: WriteProject):
    root = write_project({"sql/lists.sql": "SELECT customer_id,\n  list_sort(list(order_id)) AS orders\n"
                                           "FROM raw.orders GROUP BY customer_id\n",
                          "sql/reads_lists.sql": "SELECT * FROM lists\n"})
    done = run_cli("check", "-p", str(root), "--target", "mysql")
    assert done.returncode == 1
    assert "cannot mirror sql/lists.sql, line 2: lists — DuckDB function list_sort() has no MySQL equivalent" \
        in done.stderr
    assert "cannot mirror sql/reads_lists.sql, line 1: reads_lists — reads lists, which cannot be mirrored" \
        in done.stderr
    built = run_cli("build", "-p", str(root), "--target", "mysql", "--dsn", "mysql://x@127.0.0.1:1/db")
    assert built.returncode == 1 and "2 view(s) cannot be mirrored onto MySQL" in built.stderr
    assert not (root / "project.duckdb").exists()  # stopped before the DuckDB build too


def test_cli_check_and_build_target_mysql_end_to_end(write_project: WriteProject,
                                                     mariadb_server: Server):  # noqa: F811
    root = write_project()
    built = run_cli("build", "-p", str(root), "--target", "mysql", "--dsn", mariadb_server.dsn(), "--schema", "cli")
    assert built.returncode == 0, built.stderr
    assert f"Mirrored onto MySQL at {mariadb_server.dsn(password='***')}, database cli" in built.stdout
    assert PASSWORD not in built.stdout + built.stderr
    checked = run_cli("check", "-p", str(root), "--target", "mysql", "--dsn", mariadb_server.dsn())
    assert checked.returncode == 0, checked.stderr
    assert "view   marketsql.order_revenue" in checked.stdout and "transpiled to a MySQL view" in checked.stdout
    assert "table  marketsql.customer_revenue" in checked.stdout and "materialised: rows copied" in checked.stdout
    assert "(dry run, in a scratch database, dropped)" in checked.stdout and "All 12 objects can be mirrored" \
        in checked.stdout
