"""A real, private PostgreSQL server for the tests: initdb in a temp dir, 127.0.0.1 on a free port.

The binaries come from ``$MARKETSQL_PG_BIN`` or ``/usr/lib/postgresql/<version>/bin`` (Debian's
``postgresql`` package). As root, the server runs as the ``postgres`` user (initdb refuses root).
Without binaries the tests FAIL, unless ``MARKETSQL_SKIP_POSTGRES=1`` says to skip them.
"""

from __future__ import annotations

import contextlib
import glob
import os
import pwd
import shutil
import socket
import subprocess
import tempfile
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import psycopg
import pytest

SUPERUSER = "postgres"
PASSWORD = "s3cret-Pw!"  # the tests check that it never shows in output


@dataclass(frozen=True)
class Server:
    """A running test server."""

    port: int
    folder: Path

    def dsn(self, user: str = SUPERUSER, password: str = PASSWORD, dbname: str = "postgres") -> str:
        """A URI DSN for ``user`` (password included, on purpose)."""
        return f"postgresql://{user}:{password}@127.0.0.1:{self.port}/{dbname}"

    def admin(self) -> psycopg.Connection:
        """An autocommit superuser connection."""
        return psycopg.connect(self.dsn(), autocommit=True)


def _binaries() -> Path | None:
    given = os.environ.get("MARKETSQL_PG_BIN")
    candidates = [given] if given else sorted(glob.glob("/usr/lib/postgresql/*/bin"), reverse=True)
    for folder in candidates:
        if folder and (Path(folder) / "initdb").exists():
            return Path(folder)
    found = shutil.which("initdb")
    return Path(found).parent if found else None


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _run_as_owner(args: list[str], as_postgres: bool) -> None:
    command = ["runuser", "-u", "postgres", "--", *args] if as_postgres else args
    done = subprocess.run(command, capture_output=True, text=True, timeout=120)
    if done.returncode != 0:
        raise RuntimeError(f"{' '.join(args[:2])} failed: {done.stderr.strip() or done.stdout.strip()}")


@contextlib.contextmanager
def running_server() -> Iterator[Server]:
    """A private cluster, started now and stopped (and deleted) on exit; RuntimeError without binaries."""
    binaries = _binaries()
    if binaries is None:
        raise RuntimeError("no PostgreSQL server binaries (initdb, pg_ctl): install the postgresql package or set"
                           " MARKETSQL_PG_BIN")
    as_postgres = os.geteuid() == 0
    folder = Path(tempfile.mkdtemp(prefix="marketsql-pg-"))
    if as_postgres:
        entry = pwd.getpwnam("postgres")
        os.chown(folder, entry.pw_uid, entry.pw_gid)
    folder.chmod(0o700)
    pwfile = folder / "pw"
    pwfile.write_text(PASSWORD + "\n")
    if as_postgres:
        os.chown(pwfile, pwd.getpwnam("postgres").pw_uid, -1)
    data, port = folder / "data", _free_port()
    try:
        _run_as_owner([str(binaries / "initdb"), "-D", str(data), "-U", SUPERUSER, f"--pwfile={pwfile}",
                       "--auth-host=scram-sha-256", "--auth-local=trust", "--no-sync", "-E", "UTF8",
                       "--locale=C"], as_postgres)
        options = f"-p {port} -k {folder} -c listen_addresses=127.0.0.1 -c fsync=off -c full_page_writes=off"
        _run_as_owner([str(binaries / "pg_ctl"), "-D", str(data), "-o", options, "-l", str(folder / "log"),
                       "-w", "start"], as_postgres)
        yield Server(port, folder)
    finally:
        if (data / "postmaster.pid").exists():
            _run_as_owner([str(binaries / "pg_ctl"), "-D", str(data), "-m", "immediate", "-w", "stop"], as_postgres)
        shutil.rmtree(folder, ignore_errors=True)


@pytest.fixture(scope="session")
def postgres_server() -> Iterator[Server]:
    """Start a private PostgreSQL cluster for the session and stop it at the end."""
    if os.environ.get("MARKETSQL_SKIP_POSTGRES") == "1":
        pytest.skip("MARKETSQL_SKIP_POSTGRES=1: PostgreSQL tests skipped on request")
    if _binaries() is None:
        pytest.fail("no PostgreSQL server binaries (initdb, pg_ctl): install the postgresql package, set "
                    "MARKETSQL_PG_BIN, or set MARKETSQL_SKIP_POSTGRES=1 to skip these tests explicitly")
    with running_server() as server:
        yield server
