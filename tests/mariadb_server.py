"""A real, private MariaDB server for the tests: mariadb-install-db in a temp dir, 127.0.0.1 on a free port.

The binaries come from Debian's ``mariadb-server`` package (``.ci/run`` installs it). As root, the server runs
as the ``mysql`` user. Without binaries the tests FAIL, unless ``MARKETSQL_SKIP_MYSQL=1`` says to skip them.
The server is stopped by its PID (SIGTERM, then SIGKILL), never by name.
"""

from __future__ import annotations

import contextlib
import os
import pwd
import shutil
import signal
import socket
import subprocess
import tempfile
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pymysql
import pytest

SUPERUSER = "marketsql_admin"
PASSWORD = "s3cret-My!"  # the tests check that it never shows in output


@dataclass(frozen=True)
class Server:
    """A running test server."""

    port: int
    folder: Path

    def dsn(self, user: str = SUPERUSER, password: str = PASSWORD, database: str = "") -> str:
        """A URI DSN for ``user`` (password included, on purpose)."""
        return f"mysql://{user}:{password}@127.0.0.1:{self.port}/{database}"

    def admin(self) -> pymysql.connections.Connection:
        """An autocommit superuser connection."""
        return pymysql.connect(host="127.0.0.1", port=self.port, user=SUPERUSER, password=PASSWORD,
                               autocommit=True, local_infile=True)


def binaries() -> tuple[str, str] | None:
    """``mariadb-install-db`` and ``mariadbd``, or None when MariaDB is not installed."""
    install, server = shutil.which("mariadb-install-db"), shutil.which("mariadbd") or (
        "/usr/sbin/mariadbd" if Path("/usr/sbin/mariadbd").exists() else None)
    return (install, server) if install and server else None


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@contextlib.contextmanager
def running_server() -> Iterator[Server]:
    """A private server, started now and stopped (and deleted) on exit; RuntimeError without binaries."""
    found = binaries()
    if found is None:
        raise RuntimeError("no MariaDB binaries (mariadb-install-db, mariadbd): apt-get install mariadb-server")
    install, mariadbd = found
    folder = Path(tempfile.mkdtemp(prefix="marketsql-mariadb-"))
    data, port = folder / "data", _free_port()
    user = ["--user=mysql"] if os.geteuid() == 0 else []
    if os.geteuid() == 0:
        entry = pwd.getpwnam("mysql")
        os.chown(folder, entry.pw_uid, entry.pw_gid)
    done = subprocess.run([install, *user, f"--datadir={data}", "--auth-root-authentication-method=normal",
                           "--skip-test-db"], capture_output=True, text=True, timeout=180)
    if done.returncode != 0:
        raise RuntimeError(f"mariadb-install-db failed: {done.stderr.strip() or done.stdout.strip()}")
    process = subprocess.Popen(
        [mariadbd, "--no-defaults", *user, f"--datadir={data}", f"--socket={folder / 'sock'}", f"--port={port}",
         "--bind-address=127.0.0.1", "--local-infile=1", "--skip-log-bin", "--innodb-flush-log-at-trx-commit=0",
         "--innodb-buffer-pool-size=256M", "--max-allowed-packet=64M", f"--pid-file={folder / 'pid'}",
         f"--log-error={folder / 'log'}"], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        _wait_and_create_admin(folder / "sock", process)
        yield Server(port, folder)
    finally:
        process.send_signal(signal.SIGTERM)
        try:
            process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
        shutil.rmtree(folder, ignore_errors=True)


def _wait_and_create_admin(sock: Path, process: subprocess.Popen[bytes]) -> None:
    deadline = time.monotonic() + 60
    while True:
        try:
            con = pymysql.connect(unix_socket=str(sock), user="root", autocommit=True)
            break
        except pymysql.err.OperationalError:
            if process.poll() is not None or time.monotonic() > deadline:
                log = (sock.parent / "log").read_text(errors="replace")[-800:] if (sock.parent / "log").exists() else ""
                raise RuntimeError(f"mariadbd did not start: {log}") from None
            time.sleep(0.2)
    with con.cursor() as cur:
        cur.execute(f"CREATE USER '{SUPERUSER}'@'127.0.0.1' IDENTIFIED BY '{PASSWORD}'")
        cur.execute(f"GRANT ALL ON *.* TO '{SUPERUSER}'@'127.0.0.1' WITH GRANT OPTION")
    con.close()


@pytest.fixture(scope="session")
def mariadb_server() -> Iterator[Server]:
    """Start a private MariaDB server for the session and stop it at the end."""
    if os.environ.get("MARKETSQL_SKIP_MYSQL") == "1":
        pytest.skip("MARKETSQL_SKIP_MYSQL=1: MySQL tests skipped on request")
    if binaries() is None:
        pytest.fail("no MariaDB binaries (mariadb-install-db, mariadbd): apt-get install mariadb-server, or set"
                    " MARKETSQL_SKIP_MYSQL=1 to skip these tests explicitly")
    with running_server() as server:
        yield server
