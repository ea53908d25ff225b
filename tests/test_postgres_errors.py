"""The PostgreSQL mirror on bad input: unreachable or wrong server, missing privileges, views the
server rejects or that have no PostgreSQL equivalent — each a clear error that changes nothing —
and the atomic replacement a concurrent reader sees."""

from __future__ import annotations

import threading
import time

import psycopg
import pytest
from conftest import WriteProject, run_cli
from postgres_server import PASSWORD, Server, postgres_server  # noqa: F401  (fixture)

import marketsql
from marketsql.engines.postgres.connection import PostgresError, mask, resolve
from marketsql.errors import ConfigError


def _mirrored_at(server: Server, schema: str) -> list[tuple[object, ...]]:
    with server.admin() as pg:
        return pg.execute(f'SELECT mirrored_at FROM "{schema}_meta".mirror').fetchall()


@pytest.fixture
def small(write_project: WriteProject) -> marketsql.Project:
    project = marketsql.Project.load(write_project())
    project.build()
    return project


def test_small_project_mirrors_and_reads_back(small, postgres_server: Server):  # noqa: F811
    result = small.mirror_postgres(postgres_server.dsn(), "small_ok")
    assert result.target == postgres_server.dsn(password="***")
    with postgres_server.admin() as pg:
        rows = pg.execute("SELECT customer_id, revenue FROM small_ok.customer_revenue ORDER BY 1").fetchall()
        view = pg.execute("SELECT count(*) FROM small_ok.order_revenue").fetchone()
    assert rows == [("C1", 45.0), ("C2", 10.0)] and view == (3,)


def test_unreachable_server_fails_before_anything_is_built(write_project: WriteProject):
    root = write_project()
    done = run_cli("build", "-p", str(root), "--target", "postgres",
                   "--dsn", f"postgresql://ann:{PASSWORD}@127.0.0.1:1/shop")
    assert done.returncode == 1
    assert done.stderr.startswith("Error: cannot connect to PostgreSQL at postgresql://ann:***@127.0.0.1:1/shop:")
    assert "check host, port, database, user and password" in done.stderr
    assert PASSWORD not in done.stdout + done.stderr
    assert not (root / "project.duckdb").exists()


def test_wrong_password_is_masked(small, postgres_server: Server):  # noqa: F811
    wrong = "not-the-" + PASSWORD
    with pytest.raises(PostgresError) as caught:
        small.mirror_postgres(postgres_server.dsn(password=wrong), "small_pw")
    message = str(caught.value)
    assert "password authentication failed" in message and wrong not in message and "***" in message


def test_missing_privileges_say_what_to_grant(small, postgres_server: Server):  # noqa: F811
    with postgres_server.admin() as pg:
        pg.execute("DROP ROLE IF EXISTS analyst")
        pg.execute("CREATE ROLE analyst LOGIN PASSWORD 'analyst-pw'")
        pg.execute("REVOKE CREATE ON DATABASE postgres FROM PUBLIC")
    with pytest.raises(PostgresError) as caught:
        small.mirror_postgres(postgres_server.dsn("analyst", "analyst-pw"), "small_priv")
    message = str(caught.value)
    assert "role 'analyst' may not do this (creating the mirror's schemas): permission denied" in message
    assert "GRANT CREATE ON DATABASE postgres TO analyst" in message and "nothing was changed" in message
    with postgres_server.admin() as pg:
        assert pg.execute("SELECT count(*) FROM pg_namespace WHERE nspname LIKE 'small_priv%%'").fetchone() == (0,)


def test_view_the_server_rejects_rolls_back_and_keeps_the_old_mirror(small, postgres_server: Server):  # noqa: F811
    small.mirror_postgres(postgres_server.dsn(), "small_rej")
    before = _mirrored_at(postgres_server, "small_rej")
    (small.root / "sql" / "fuzzy.sql").write_text(
        "-- names that look alike\nSELECT order_id,\n       levenshtein(order_id, customer_id) AS distance\n"
        "FROM raw.orders\n")
    project = marketsql.Project.load(small.root)
    project.build()
    report = project.check_postgres(postgres_server.dsn(), "small_rej")
    assert [str(p) for p in report.problems] == [
        "sql/fuzzy.sql, line 3: fuzzy — PostgreSQL rejects the view: function levenshtein(text, text) does not exist"]
    with pytest.raises(PostgresError) as caught:
        project.mirror_postgres(postgres_server.dsn(), "small_rej")
    assert "sql/fuzzy.sql, line 3: fuzzy — PostgreSQL rejects the view: function levenshtein" in str(caught.value)
    assert _mirrored_at(postgres_server, "small_rej") == before


def test_view_failing_when_run_rolls_back(small, postgres_server: Server):  # noqa: F811
    small.mirror_postgres(postgres_server.dsn(), "small_run")
    before = _mirrored_at(postgres_server, "small_run")
    (small.root / "sql" / "per_unit.sql").write_text(
        # DuckDB 2.0 gives inf; PostgreSQL raises division by zero
        "SELECT order_id, unit_price / (quantity - quantity) AS odd FROM raw.orders\n")
    project = marketsql.Project.load(small.root)
    project.build()
    with pytest.raises(PostgresError) as caught:
        project.mirror_postgres(postgres_server.dsn(), "small_run")
    assert str(caught.value) == ("sql/per_unit.sql: PostgreSQL rejects view per_unit when running it: division by"
                                 " zero; the mirror was rolled back, nothing was changed")
    assert _mirrored_at(postgres_server, "small_run") == before
    with postgres_server.admin() as pg:
        assert pg.execute("SELECT to_regclass('small_run.per_unit')").fetchone() == (None,)


def test_duckdb_only_construct_is_listed_before_anything_is_written(write_project: WriteProject):
    root = write_project({"sql/lists.sql": "SELECT customer_id,\n  list_sort(list(order_id)) AS orders\n"
                                           "FROM raw.orders GROUP BY customer_id\n",
                          "sql/reads_lists.sql": "SELECT * FROM lists\n"})
    done = run_cli("check", "-p", str(root), "--target", "postgres")
    assert done.returncode == 1
    assert "cannot mirror sql/lists.sql, line 2: lists — DuckDB function list_sort() has no PostgreSQL equivalent" \
        in done.stderr
    assert "cannot mirror sql/reads_lists.sql, line 1: reads_lists — reads lists, which cannot be mirrored" \
        in done.stderr
    built = run_cli("build", "-p", str(root), "--target", "postgres", "--dsn", "postgresql://x@127.0.0.1:1/db")
    assert built.returncode == 1 and "2 view(s) cannot be mirrored" in built.stderr
    assert not (root / "project.duckdb").exists()  # stopped before the DuckDB build too


def test_refuses_to_replace_a_schema_it_did_not_create(small, postgres_server: Server):  # noqa: F811
    with postgres_server.admin() as pg:
        pg.execute("CREATE SCHEMA IF NOT EXISTS accounting")
        pg.execute("CREATE TABLE IF NOT EXISTS accounting.ledger (x int)")
    with pytest.raises(PostgresError, match="schema accounting exists and was not created by marketsql"):
        small.mirror_postgres(postgres_server.dsn(), "accounting")
    with postgres_server.admin() as pg:
        assert pg.execute("SELECT to_regclass('accounting.ledger')").fetchone() != (None,)


def test_refuses_to_drop_a_view_of_another_schema_reading_the_mirror(small, postgres_server: Server):  # noqa: F811
    small.mirror_postgres(postgres_server.dsn(), "small_dep")
    with postgres_server.admin() as pg:
        pg.execute("CREATE SCHEMA IF NOT EXISTS reports")
        pg.execute("CREATE OR REPLACE VIEW reports.top AS SELECT * FROM small_dep.customer_revenue")
    with pytest.raises(PostgresError, match="view reports.top reads small_dep.customer_revenue"):
        small.mirror_postgres(postgres_server.dsn(), "small_dep")
    with postgres_server.admin() as pg:
        assert pg.execute("SELECT count(*) FROM reports.top").fetchone() == (2,)


def test_readers_get_select_and_a_reader_never_sees_a_half_mirror(small, postgres_server: Server):  # noqa: F811
    with postgres_server.admin() as pg:
        pg.execute("DROP ROLE IF EXISTS bi")
        pg.execute("CREATE ROLE bi LOGIN PASSWORD 'bi-pw'")
    small.mirror_postgres(postgres_server.dsn(), "small_swap", readers=["bi"])
    seen: set[tuple[int, int]] = set()
    stop = threading.Event()

    def watch() -> None:
        with psycopg.connect(postgres_server.dsn("bi", "bi-pw"), autocommit=True) as reader:
            while not stop.is_set():
                row = reader.execute(
                    "SELECT (SELECT count(*) FROM information_schema.tables WHERE table_schema = 'small_swap'),"
                    " (SELECT count(*) FROM pg_namespace WHERE nspname LIKE 'small_swap%%')").fetchone()
                seen.add((int(row[0]), int(row[1])) if row else (-1, -1))
                time.sleep(0.005)

    watcher = threading.Thread(target=watch)
    watcher.start()
    try:
        for _ in range(3):
            small.mirror_postgres(postgres_server.dsn(), "small_swap", readers=["bi"])
    finally:
        stop.set()
        watcher.join()
    assert seen == {(2, 3)}  # always the whole mirror: 2 objects, 3 schemas (no __new ones visible)
    with psycopg.connect(postgres_server.dsn("bi", "bi-pw")) as reader:
        assert reader.execute("SELECT count(*) FROM small_swap.customer_revenue").fetchone() == (2,)


def test_dsn_and_schema_precedence_and_masking(monkeypatch):
    config = {"postgres": {"dsn": "host=cfg password=c0nfig", "schema": "from_config"}}
    monkeypatch.delenv("MARKETSQL_PG_DSN", raising=False)
    monkeypatch.delenv("MARKETSQL_PG_SCHEMA", raising=False)
    assert resolve(config).dsn == "host=cfg password=c0nfig" and resolve(config).schema == "from_config"
    monkeypatch.setenv("MARKETSQL_PG_DSN", "postgresql://env:pw@envhost/db")
    assert resolve(config).dsn == "postgresql://env:pw@envhost/db"
    assert resolve(config, dsn="host=cli", schema="cli_schema").dsn == "host=cli"
    assert resolve(config, dsn="host=cli", schema="cli_schema").schema == "cli_schema"
    assert mask("host=cfg password=c0nfig") == "password=*** host=cfg"
    monkeypatch.delenv("MARKETSQL_PG_DSN")
    with pytest.raises(ConfigError, match="no PostgreSQL server given — pass --dsn"):
        resolve({})
    with pytest.raises(ConfigError, match="schema 'Bad-Name' is not allowed"):
        resolve(config, schema="Bad-Name")


def test_config_target_is_read_from_marketsql_toml(write_project: WriteProject, monkeypatch):
    monkeypatch.delenv("MARKETSQL_PG_DSN", raising=False)
    monkeypatch.delenv("MARKETSQL_PG_SCHEMA", raising=False)
    root = write_project({"marketsql.toml": """\
        database = "project.duckdb"
        [sources.orders]
        path = "data/orders.csv"
        columns = { order_id = "VARCHAR" }
        [targets.postgres]
        dsn = "postgresql://ann@db.example/shop"
        schema = "shop_mirror"
        readers = ["metabase"]
        """})
    target = resolve(marketsql.Project.load(root).config.targets)
    assert (target.dsn, target.schema, target.readers) == ("postgresql://ann@db.example/shop", "shop_mirror",
                                                           ("metabase",))


def test_cli_build_target_postgres_end_to_end(write_project: WriteProject, postgres_server: Server,  # noqa: F811
                                              monkeypatch):
    root = write_project({"sql/fuzzy.sql": "SELECT order_id,\n  levenshtein(order_id, customer_id) AS d\n"
                                           "FROM raw.orders\n"})
    monkeypatch.setenv("MARKETSQL_PG_DSN", postgres_server.dsn())  # the environment gives the server
    rejected = run_cli("build", "-p", str(root), "--target", "postgres", "--schema", "small_cli")
    assert rejected.returncode == 1
    assert ("cannot mirror sql/fuzzy.sql, line 2: fuzzy — PostgreSQL rejects the view: function"
            " levenshtein(text, text) does not exist") in rejected.stderr
    (root / "sql" / "fuzzy.sql").unlink()
    done = run_cli("build", "-p", str(root), "--target", "postgres", "--schema", "small_cli")
    assert done.returncode == 0, done.stderr
    assert f"Mirrored onto PostgreSQL at {postgres_server.dsn(password='***')}, schema small_cli" in done.stdout
    assert "1 views created and run" in done.stdout and "functions segment(...), segment_name(...)" in done.stdout
    assert PASSWORD not in done.stdout + done.stderr
    with postgres_server.admin() as pg:
        assert pg.execute("SELECT count(*) FROM small_cli.customer_revenue").fetchone() == (2,)
        untrained = pg.execute("SELECT prosrc FROM pg_proc WHERE proname = 'segment'"
                               " AND pronamespace = 'small_cli'::regnamespace").fetchone()
    assert untrained and "run `marketsql train segmentation`" in untrained[0]


def test_rows_postgresql_cannot_store_name_the_table(small, postgres_server: Server):  # noqa: F811
    small.mirror_postgres(postgres_server.dsn(), "small_nul")
    before = _mirrored_at(postgres_server, "small_nul")
    (small.root / "sql" / "nul.sql").write_text("-- marketsql: materialized\nSELECT 'a' || chr(0) || 'b' AS s\n")
    project = marketsql.Project.load(small.root)
    project.build()
    with pytest.raises(PostgresError) as caught:
        project.mirror_postgres(postgres_server.dsn(), "small_nul")
    assert str(caught.value).startswith("sql/nul.sql: PostgreSQL rejects the rows of main.nul: invalid byte sequence")
    assert str(caught.value).endswith("the mirror was rolled back, nothing was changed")
    assert _mirrored_at(postgres_server, "small_nul") == before
