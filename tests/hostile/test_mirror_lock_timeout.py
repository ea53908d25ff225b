"""Hostile: a BI session keeps a transaction open on the mirror. The next mirror must not wait forever,
must not keep other readers waiting longer than the lock timeout, must fail naming that session and how
to fix it, and must leave the previous mirror exactly as it was."""

from __future__ import annotations

import subprocess
import sys
import time
from pathlib import Path

import psycopg
import pytest
from conftest import WriteProject
from postgres_server import Server, postgres_server  # noqa: F401  (fixture)

import marketsql
from marketsql.errors import ConfigError

SCHEMA = "lock_t"
TIMEOUT = 0.5


def _cli(root: Path, dsn: str) -> subprocess.Popen[str]:
    command = [str(Path(sys.executable).with_name("marketsql")), "build", "-p", str(root), "--target", "postgres",
               "--schema", SCHEMA, "--dsn", dsn]
    return subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)


def _mirrored_at(server: Server) -> list[tuple[object, ...]]:
    with server.admin() as pg:
        return pg.execute(f"SELECT mirrored_at FROM {SCHEMA}_meta.mirror").fetchall()


def test_swap_gives_up_on_a_session_holding_the_old_mirror(write_project: WriteProject,
                                                           postgres_server: Server):  # noqa: F811
    root = write_project()
    config = root / "marketsql.toml"
    config.write_text(config.read_text() + f"\n[targets.postgres]\nlock_timeout = {TIMEOUT}\n")
    project = marketsql.Project.load(root)
    project.build()
    project.mirror_postgres(postgres_server.dsn(), SCHEMA)
    before = _mirrored_at(postgres_server)
    bi = psycopg.connect(postgres_server.dsn(), application_name="bi-dashboard")
    try:
        bi.execute(f"SELECT * FROM {SCHEMA}.customer_revenue").fetchall()  # BEGIN implied: the transaction stays open
        bi_pid = bi.info.backend_pid
        started = time.perf_counter()
        run = _cli(root, postgres_server.dsn())
        # a reader arriving while the swap waits for the lock; it gives up after 10 s rather than hang the test
        with postgres_server.admin() as watcher, psycopg.connect(postgres_server.dsn(), autocommit=True,
                                                                 options="-c statement_timeout=10000") as reader:
            waited: list[float] = []
            while run.poll() is None and time.perf_counter() - started < 120:
                waiting = watcher.execute("SELECT count(*) FROM pg_stat_activity WHERE application_name = 'marketsql'"
                                          " AND wait_event_type = 'Lock'").fetchone()
                if waiting and waiting[0]:
                    clock = time.perf_counter()
                    try:
                        reader.execute(f"SELECT count(*) FROM {SCHEMA}.order_revenue").fetchone()
                    except psycopg.errors.QueryCanceled:
                        waited.append(float("inf"))
                        break
                    waited.append(time.perf_counter() - clock)
                time.sleep(0.05)
        try:
            stdout, stderr = run.communicate(timeout=max(1, 120 - (time.perf_counter() - started)))
        except subprocess.TimeoutExpired:
            run.kill()
            run.communicate()
            pytest.fail(f"the mirror waited for the BI session for 2 minutes; readers waited {waited} s")
    finally:
        bi.close()
    assert waited and max(waited) < TIMEOUT + 1.0, waited   # readers wait at most about one lock timeout
    assert run.returncode == 1, stdout
    lines = stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith(f"Error: session pid {bi_pid} (user postgres, application"
                                                   " 'bi-dashboard', idle in transaction in a transaction since")
    assert f"holds {SCHEMA}.customer_revenue" in lines[0]
    assert f"SELECT pg_terminate_backend({bi_pid})" in lines[0] and "lock_timeout" in lines[0]
    assert "3 tries of 0.5 s" in lines[0] and lines[0].endswith("the previous mirror is untouched")
    assert _mirrored_at(postgres_server) == before          # the old mirror, untouched
    project.mirror_postgres(postgres_server.dsn(), SCHEMA)  # the session gone, the mirror goes through
    assert _mirrored_at(postgres_server) != before


@pytest.mark.parametrize("value", ["5s", 0, -1, True])
def test_lock_timeout_must_be_a_number_of_seconds(write_project: WriteProject, value):
    root = write_project()
    config = root / "marketsql.toml"
    shown = f'"{value}"' if isinstance(value, str) else str(value).lower()
    config.write_text(config.read_text() + f"\n[targets.postgres]\ndsn = 'host=x'\nlock_timeout = {shown}\n")
    with pytest.raises(ConfigError, match=r"\[targets.postgres\] lock_timeout = .* — give the seconds"):
        marketsql.Project.load(root).mirror_postgres()
