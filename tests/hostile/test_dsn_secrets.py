"""Hostile: the PostgreSQL password must never show — not in the success line, not in psycopg's error
text, not in the `check` listing, not in a --debug traceback — whatever form the DSN takes.

Every form is tried against a real server (tests/postgres_server.py) with the right password (the
mirror succeeds) and a wrong one (it fails), through the real CLI, and stdout + stderr are searched
for any piece of the password.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from pathlib import Path
from urllib.parse import quote

import pytest
from conftest import WriteProject, run_cli
from postgres_server import Server, postgres_server  # noqa: F401  (fixture)
from psycopg import sql
from psycopg.conninfo import make_conninfo

from marketsql.engines.postgres.connection import mask

ROLE = "hostile"
# pieces that must never show, around every character that needs escaping somewhere
PIECES = ("Hid3en", "Tr4ce", "K3yz")
PASSWORD = "Hid3en@Tr4ce:/ '\"%K3yz"
WRONG_PIECES = ("Wr0ngA", "Wr0ngB", "Wr0ngC")
WRONG = "Wr0ngA@Wr0ngB:/ '\"%Wr0ngC"
PLAIN = "Hid3enTr4ceK3yz"  # for the key=value form without quotes
PLAIN_WRONG = "Wr0ngAWr0ngBWr0ngC"


@pytest.fixture(scope="module")
def server(postgres_server: Server) -> Server:  # noqa: F811
    with postgres_server.admin() as pg:
        for role, password in ((ROLE, PASSWORD), (f"{ROLE}_plain", PLAIN)):
            pg.execute(sql.SQL("DROP ROLE IF EXISTS {}").format(sql.Identifier(role)))
            pg.execute(sql.SQL("CREATE ROLE {} LOGIN PASSWORD {}").format(sql.Identifier(role), sql.Literal(password)))
            pg.execute(sql.SQL("GRANT CREATE ON DATABASE postgres TO {}").format(sql.Identifier(role)))
    return postgres_server


Form = Callable[[Server, str], str]
FORMS: dict[str, Form] = {
    "uri-userinfo": lambda s, pw: f"postgresql://{ROLE}:{quote(pw, safe='')}@127.0.0.1:{s.port}/postgres",
    "uri-query": lambda s, pw: f"postgresql://{ROLE}@127.0.0.1:{s.port}/postgres?password={quote(pw, safe='')}",
    "uri-both": lambda s, pw: (f"postgresql://{ROLE}:{quote(pw, safe='')}@127.0.0.1:{s.port}/postgres"
                               f"?sslmode=disable&password={quote(pw, safe='')}"),
    "keyvalue-quoted": lambda s, pw: make_conninfo("", host="127.0.0.1", port=s.port, user=ROLE, password=pw,
                                                   dbname="postgres"),
    "keyvalue-spaces": lambda s, pw: ("host = 127.0.0.1  port=" + str(s.port) + f" user={ROLE} dbname=postgres"
                                      " password = '" + pw.replace("\\", "\\\\").replace("'", "\\'") + "'"),
    "keyvalue-plain": lambda s, pw: (f"host=127.0.0.1 port={s.port} user={ROLE}_plain dbname=postgres"
                                     f" password={PLAIN if pw == PASSWORD else PLAIN_WRONG}"),
}


def _leaks(text: str) -> list[str]:
    return [p for p in (*PIECES, *WRONG_PIECES) if p in text]


def _mirror(root: Path, schema: str, dsn: str | None, *extra: str, env: dict[str, str] | None = None):
    args = ["build", "-p", str(root), "--target", "postgres", "--schema", schema, *extra]
    if dsn is not None:
        args += ["--dsn", dsn]
    if env is None:
        return run_cli(*args)
    saved = {k: os.environ.get(k) for k in env}
    os.environ.update(env)
    try:
        return run_cli(*args)
    finally:
        for key, value in saved.items():
            if value is None:
                os.environ.pop(key, None)
            else:
                os.environ[key] = value


@pytest.mark.parametrize("form", sorted(FORMS))
def test_dsn_form_never_shows_the_password(form: str, server: Server, write_project: WriteProject):
    root = write_project()
    schema = f"dsn_{form.replace('-', '_')}"
    good = _mirror(root, schema, FORMS[form](server, PASSWORD))
    assert good.returncode == 0, good.stderr
    assert "Mirrored onto PostgreSQL at " in good.stdout and "***" in good.stdout
    listing = run_cli("check", "-p", str(root), "--target", "postgres", "--schema", schema,
                      "--dsn", FORMS[form](server, PASSWORD))
    assert listing.returncode == 0, listing.stderr
    assert "Checked against PostgreSQL at " in listing.stdout
    bad = _mirror(root, schema, FORMS[form](server, WRONG))
    assert bad.returncode == 1
    assert bad.stderr.startswith("Error: cannot connect to PostgreSQL at ") and "password authentication failed" \
        in bad.stderr
    debug = _mirror(root, schema, FORMS[form](server, WRONG), "--debug")
    assert debug.returncode == 1 and "Traceback" in debug.stderr
    for done in (good, listing, bad, debug):
        assert _leaks(done.stdout + done.stderr) == []


def test_dsn_from_the_environment_never_shows_the_password(server: Server, write_project: WriteProject):
    root = write_project()
    for password, code in ((PASSWORD, 0), (WRONG, 1)):
        done = _mirror(root, "dsn_env", None, env={"MARKETSQL_PG_DSN": FORMS["uri-query"](server, password)})
        assert done.returncode == code, done.stderr
        assert _leaks(done.stdout + done.stderr) == []


def test_dsn_from_the_toml_never_shows_the_password(server: Server, write_project: WriteProject):
    root = write_project()
    config = (root / "marketsql.toml").read_text()
    for password, code in ((PASSWORD, 0), (WRONG, 1)):
        dsn = FORMS["uri-query"](server, password)  # percent-encoded: nothing to escape in TOML
        (root / "marketsql.toml").write_text(config + f'\n[targets.postgres]\ndsn = "{dsn}"\nschema = "dsn_toml"\n')
        for command in (("build", "-p", str(root), "--target", "postgres"),
                        ("check", "-p", str(root), "--target", "postgres")):
            done = run_cli(*command)
            assert done.returncode == code, done.stderr
            assert _leaks(done.stdout + done.stderr) == []


@pytest.mark.parametrize("dsn", [
    "postgresql://hostile:Hid3en@Tr4ce@127.0.0.1:{port}/postgres",        # unencoded @: libpq's host would be Tr4ce
    "postgresql://hostile:Hid3en:Tr4ce/K3yz@127.0.0.1:{port}/postgres",   # unencoded /: libpq's port would be a secret
    "postgresql://hostile:Hid3en%zzTr4ce@127.0.0.1:{port}/postgres",      # a bad %-escape, quoted back by psycopg
    "host=127.0.0.1 port={port} password='Hid3en Tr4ce",                  # unterminated quote
    "host=127.0.0.1 port={port} password=Hid3en Tr4ce K3yz",              # spaces without quotes
], ids=["at-sign", "slash", "bad-percent", "unterminated", "unquoted-spaces"])
def test_malformed_dsn_is_refused_without_showing_it(dsn: str, server: Server, write_project: WriteProject):
    root = write_project()
    for command in ("build", "check"):
        done = run_cli(command, "-p", str(root), "--target", "postgres", "--dsn", dsn.format(port=server.port))
        assert done.returncode == 1
        assert done.stderr.startswith("Error: invalid PostgreSQL DSN "), done.stderr
        assert len(done.stderr.strip().splitlines()) == 1
        assert _leaks(done.stdout + done.stderr) == []
    assert not (root / "project.duckdb").exists()


def test_mask_parses_instead_of_guessing():
    assert mask("postgresql://ann@db/shop?sslmode=require&password=s3cret") == \
        "postgresql://ann@db/shop?sslmode=require&password=***"
    assert mask("postgresql://ann:p%40ss@db:5432/shop") == "postgresql://ann:***@db:5432/shop"
    assert mask("host=db password='s3 cret' user=ann") == "user=ann password=*** host=db"
    assert "s3cret" not in mask("postgresql://ann:s3cret@x@db/shop")
