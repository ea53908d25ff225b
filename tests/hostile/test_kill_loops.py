"""Hostile: SIGKILL `marketsql build` and the PostgreSQL mirror at random moments, a fixed number of times.

After every kill the previous result must be whole: the DuckDB file opens and agrees with its registry
(build), or the mirror schema holds every object of one complete mirror and no half-made schema is visible
(mirror); and the next run succeeds. (The train and activate loops are in test_atomic_models.py.)
"""

from __future__ import annotations

import random
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from postgres_server import Server, postgres_server  # noqa: F401  (fixture)

import marketsql

from .shop import assert_consistent, finish, kill, leftovers, start_cli

TRIALS = 10
MIRROR_TRIALS = 6
SCHEMA = "killed"


@pytest.mark.slow
def test_sigkill_during_build_keeps_the_previous_database_whole(small_shop: Path, tmp_path: Path):
    timed = Path(shutil.copytree(small_shop, tmp_path / "timed"))
    started = time.monotonic()
    assert finish(start_cli("build", "-p", str(timed)))[0] == 0
    duration = time.monotonic() - started
    rng = random.Random(3)
    for trial in range(TRIALS):
        root = Path(shutil.copytree(small_shop, tmp_path / f"trial{trial}"))
        process = start_cli("build", "-p", str(root))
        time.sleep(rng.uniform(0.1, duration))
        kill(process, signal.SIGKILL)
        assert assert_consistent(root) == 1
        marketsql.Project.load(root).build()  # the next build cleans up and lands
        assert assert_consistent(root) == 1
        assert leftovers(root) == []
        shutil.rmtree(root)


MIRROR = "import sys, marketsql; marketsql.Project.load(sys.argv[1]).mirror_postgres(sys.argv[2], sys.argv[3])"


def _mirror(root: Path, dsn: str) -> subprocess.Popen[str]:
    return subprocess.Popen([sys.executable, "-c", MIRROR, str(root), dsn, SCHEMA],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)


def _mirror_state(server: Server) -> tuple[list[str], list[str], int]:
    """(schemas named like the mirror, tables and views in the mirror schema, mirror rows in its meta)."""
    with server.admin() as pg:
        schemas = [r[0] for r in pg.execute(
            "SELECT nspname FROM pg_namespace WHERE nspname LIKE %s ORDER BY 1", [f"{SCHEMA}%"]).fetchall()]
        objects = [r[0] for r in pg.execute(
            "SELECT table_name FROM information_schema.tables WHERE table_schema = %s ORDER BY 1",
            [SCHEMA]).fetchall()]
        mirrored = pg.execute(f'SELECT count(*) FROM "{SCHEMA}_meta".mirror').fetchone()
    return schemas, objects, int(mirrored[0]) if mirrored else 0


def _wait_for_rollback(server: Server) -> None:
    """A killed client's transaction ends when the server notices the closed socket."""
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        with server.admin() as pg:
            busy = pg.execute("SELECT count(*) FROM pg_stat_activity WHERE application_name = 'marketsql'"
                              " AND pid <> pg_backend_pid()").fetchone()
        if busy == (0,):
            return
        time.sleep(0.1)


@pytest.mark.slow
def test_sigkill_during_mirror_keeps_the_previous_mirror_whole(small_shop: Path, postgres_server: Server):  # noqa: F811
    dsn = postgres_server.dsn()
    started = time.monotonic()
    done = _mirror(small_shop, dsn)
    assert finish(done)[0] == 0, done.stderr
    duration = time.monotonic() - started
    whole = _mirror_state(postgres_server)
    assert whole[1] and all(not s.endswith("__new") for s in whole[0])
    rng = random.Random(4)
    for _ in range(MIRROR_TRIALS):
        process = _mirror(small_shop, dsn)
        time.sleep(rng.uniform(0.5, duration))
        kill(process, signal.SIGKILL)
        _wait_for_rollback(postgres_server)
        schemas, objects, _ = _mirror_state(postgres_server)
        assert (schemas, objects) == (whole[0], whole[1]), "a killed mirror left a partial or half-swapped mirror"
    again = _mirror(small_shop, dsn)
    code, _, stderr = finish(again)
    assert code == 0, stderr
    assert _mirror_state(postgres_server)[:2] == whole[:2]
