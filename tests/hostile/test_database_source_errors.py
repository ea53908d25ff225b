"""Hostile: sources read from PostgreSQL on bad input — a config that mixes a file and a database, a missing
environment variable, an unreachable server, a wrong password in every DSN form, a table or query the server
rejects, a key column it does not return, a value that does not fit the declared type. Each is one line,
exit 1, the password never shown, and the previous database untouched."""

from __future__ import annotations

import socket
from pathlib import Path
from urllib.parse import quote

import pytest
from conftest import WriteProject, run_cli, sha256
from postgres_server import Server, postgres_server  # noqa: F401  (fixture)
from psycopg import sql
from psycopg.conninfo import make_conninfo

from hostile.clirun import error_line, invoke

ROLE = "source_reader"
PIECES = ("Sh0pA", "Sh0pB", "Sh0pC")
PASSWORD = "Sh0pA@Sh0pB:/ '\"%Sh0pC"
WRONG = "Wr0ngA@Wr0ngB:/ '\"%Wr0ngC"
LEAKS = (*PIECES, "Wr0ngA", "Wr0ngB", "Wr0ngC")
BASE = 'database = "project.duckdb"\n[sources.orders]\n'
VIEW = {"sql/order_count.sql": "SELECT count(*) AS n FROM raw.orders\n"}


@pytest.fixture(scope="module")
def server(postgres_server: Server) -> Server:  # noqa: F811
    with postgres_server.admin() as pg:
        pg.execute(sql.SQL("DROP ROLE IF EXISTS {}").format(sql.Identifier(ROLE)))
        pg.execute(sql.SQL("CREATE ROLE {} LOGIN PASSWORD {}").format(sql.Identifier(ROLE), sql.Literal(PASSWORD)))
        pg.execute("DROP SCHEMA IF EXISTS bad CASCADE")
        pg.execute("CREATE SCHEMA bad")
        pg.execute("CREATE TABLE bad.orders (order_id text, quantity text)")
        pg.execute("INSERT INTO bad.orders VALUES ('O1', '2'), ('O2', 'two')")
        pg.execute(sql.SQL("GRANT USAGE ON SCHEMA bad TO {}").format(sql.Identifier(ROLE)))
        pg.execute(sql.SQL("GRANT SELECT ON bad.orders TO {}").format(sql.Identifier(ROLE)))
    return postgres_server


def _project(write_project: WriteProject, source: str) -> Path:
    return write_project({"marketsql.toml": BASE + source, **VIEW}, base=None)


def _leaks(text: str) -> list[str]:
    return [p for p in LEAKS if p in text]


@pytest.mark.parametrize("source, expected", [
    ('path = "x.csv"\npostgres = "$X"\ntable = "t"\n', "has both path and postgres — keep one"),
    ('postgres = "$X"\n', 'needs table = "schema.table" or query = "SELECT …"'),
    ('postgres = "$X"\ntable = "t"\nquery = "SELECT 1"\n', "(one of them)"),
    ('postgres = "$X"\ntable = "t"\ndelim = ";"\n', "delim applies to files only"),
    ('postgres = "$X"\ntable = "a..b"\n', "write it as schema.table"),
    ('postgres = "$X"\ntable = "t"\nkey = 3\n', "key must be a column name or a list of them"),
], ids=["path-and-db", "no-table", "table-and-query", "csv-option", "bad-table", "bad-key"])
def test_config_mistakes(source: str, expected: str, write_project: WriteProject):
    root = _project(write_project, source)
    line = error_line("build", "-p", str(root))
    assert expected in line
    assert not (root / "project.duckdb").exists()


def test_missing_environment_variable_names_it(write_project: WriteProject, monkeypatch):
    monkeypatch.delenv("MSQL_NOT_SET_DSN", raising=False)
    root = _project(write_project, 'postgres = "$MSQL_NOT_SET_DSN"\ntable = "bad.orders"\n')
    line = error_line("build", "-p", str(root))
    assert line == ("Error: source orders: environment variable MSQL_NOT_SET_DSN is not set — export"
                    " MSQL_NOT_SET_DSN=… (the DSN or its password stays out of the project config)")


def test_unreachable_server_masks_the_password(write_project: WriteProject, monkeypatch):
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]  # closed again at once: nobody listens there
    monkeypatch.setenv("MSQL_SRC_DSN", f"postgresql://{ROLE}:{quote(PASSWORD, safe='')}@127.0.0.1:{port}/postgres")
    root = _project(write_project, 'postgres = "$MSQL_SRC_DSN"\ntable = "bad.orders"\n')
    line = error_line("build", "-p", str(root))
    assert line.startswith(f"Error: source orders: cannot connect to PostgreSQL at postgresql://{ROLE}:***@127.0.0.1:")
    assert _leaks(line) == []


FORMS = {
    "uri": lambda s, pw: f"postgresql://{ROLE}:{quote(pw, safe='')}@127.0.0.1:{s.port}/postgres",
    "uri-query": lambda s, pw: f"postgresql://{ROLE}@127.0.0.1:{s.port}/postgres?password={quote(pw, safe='')}",
    "keyvalue": lambda s, pw: make_conninfo("", host="127.0.0.1", port=s.port, user=ROLE, password=pw,
                                            dbname="postgres"),
}


@pytest.mark.parametrize("form", sorted(FORMS))
def test_wrong_password_in_any_form_is_one_line_without_it(form: str, server: Server, write_project: WriteProject,
                                                          monkeypatch):
    root = _project(write_project, 'postgres = "$MSQL_SRC_DSN"\ntable = "bad.orders"\nkey = "order_id"\n')
    monkeypatch.setenv("MSQL_SRC_DSN", FORMS[form](server, PASSWORD))
    good = invoke("build", "-p", str(root))
    assert good.code == 0, good.stderr
    before = sha256(root / "project.duckdb")
    monkeypatch.setenv("MSQL_SRC_DSN", FORMS[form](server, WRONG))
    line = error_line("build", "-p", str(root))
    assert "password authentication failed" in line
    debug = run_cli("build", "-p", str(root), "--debug")
    assert debug.returncode == 1 and "Traceback" in debug.stderr
    assert _leaks(good.stdout + good.stderr + line + debug.stdout + debug.stderr) == []
    assert sha256(root / "project.duckdb") == before


@pytest.mark.parametrize("source, expected", [
    ('table = "bad.missing"\n', 'PostgreSQL refused to read the table bad.missing: relation "bad.missing" does not'),
    ('query = "SELECT order_id FROM bad.orders WHERE"\n', "refused to read the query: syntax error at or near"),
    ('table = "bad.orders"\nkey = "id"\n', "key column 'id' is not in what the server returns (order_id, quantity)"),
    ('table = "bad.orders"\nincremental = "updated_at"\n', "incremental column 'updated_at' is not in what the"),
    ('table = "bad.orders"\ncolumns = { quantity = "INTEGER" }\n', "declare the column VARCHAR"),
    ('table = "bad.orders"\ncolumns = { amount = "DOUBLE" }\n', "missing required column(s) amount — the server"),
    ('query = "SELECT * FROM bad.orders WHERE false"\n', "the server returned no rows"),
], ids=["no-table", "bad-query", "no-key", "no-incremental", "bad-value", "no-column", "no-rows"])
def test_what_the_server_says_no_to(source: str, expected: str, server: Server, write_project: WriteProject,
                                    monkeypatch):
    monkeypatch.setenv("MSQL_SRC_DSN", FORMS["uri"](server, PASSWORD))
    root = _project(write_project, 'postgres = "$MSQL_SRC_DSN"\n' + source)
    line = error_line("build", "-p", str(root))
    assert expected in line, line
    assert line.startswith("Error: source orders") and _leaks(line) == []
    assert not (root / "project.duckdb").exists()


def test_a_query_is_read_as_one_subquery(server: Server, write_project: WriteProject, monkeypatch):
    """A trailing semicolon is fine; a second statement is not run (the query is a subquery of COPY)."""
    monkeypatch.setenv("MSQL_SRC_DSN", FORMS["uri"](server, PASSWORD))
    root = _project(write_project, 'postgres = "$MSQL_SRC_DSN"\nquery = "SELECT * FROM bad.orders ;"\n')
    assert invoke("build", "-p", str(root)).code == 0
    root2 = _project(write_project, 'postgres = "$MSQL_SRC_DSN"\n'
                                    'query = "SELECT * FROM bad.orders; DROP TABLE bad.orders"\n')
    assert "refused to read the query: syntax error" in error_line("build", "-p", str(root2))
    with server.admin() as pg:
        assert pg.execute("SELECT count(*) FROM bad.orders").fetchone() == (2,)


def test_a_value_that_fails_deep_in_a_large_read_stops_cleanly(server: Server, write_project: WriteProject,
                                                               monkeypatch):
    """DuckDB stops reading mid-COPY: the COPY is cancelled, one line is printed (no psycopg warning), no hang."""
    with server.admin() as pg:
        pg.execute("DROP TABLE IF EXISTS bad.big")
        pg.execute("CREATE TABLE bad.big AS SELECT i AS line_no, CASE WHEN i = 400000 THEN 'x' ELSE i::text END"
                   " AS quantity, repeat('y', 40) AS pad FROM generate_series(1, 400000) AS i")
        pg.execute(sql.SQL("GRANT SELECT ON bad.big TO {}").format(sql.Identifier(ROLE)))
    monkeypatch.setenv("MSQL_SRC_DSN", FORMS["uri"](server, PASSWORD))
    root = _project(write_project, 'postgres = "$MSQL_SRC_DSN"\ntable = "bad.big"\nkey = "line_no"\n'
                                   'columns = { quantity = "INTEGER" }\n')
    done = run_cli("build", "-p", str(root), timeout=120)
    assert done.returncode == 1 and done.stderr.count("\n") == 1, done.stderr
    assert "Could not convert string 'x' to INT32" in done.stderr and "declare the column VARCHAR" in done.stderr
    assert not (root / "project.duckdb").exists()
