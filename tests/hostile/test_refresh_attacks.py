"""Attacks on the refresh after `train` (marketsql/refresh.py): a SIGKILL while it writes its copy leaves the old
database byte for byte, and the next command works (and refreshes again); a `build` started meanwhile is refused
with the PID of the training that holds the lock."""

from __future__ import annotations

import random
import shutil
import signal
import time
from collections.abc import Callable
from pathlib import Path

import pytest
from conftest import run_cli, sha256

import marketsql

from .shop import assert_consistent, finish, kill, leftovers, scalar, start_cli, wait_for

DB = "marketsql.duckdb"
TRAIN = ["train", "segmentation", "--k-min", "2", "--k-max", "2"]
# a mart that reads the segments and takes seconds (~6 s on 2 idle cores; 200,000 rows were 0.6 s, and the kill,
# up to 2 s into the refresh, landed after it had swapped the file in): the refresh makes it again, which keeps it
# busy past the kill
SLOW = ("-- marketsql: requires segmentation\n-- marketsql: materialized\n"
        "SELECT count(*) AS n FROM customer_segments AS s CROSS JOIN range(2000000) AS r"
        " WHERE hash(s.customer_id, r.range) % 7 = 0\n")
TRIALS = 3


@pytest.fixture(scope="module")
def slow_shop(small_shop: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The small shop with the slow mart, built (and so sealed) with it."""
    root = Path(shutil.copytree(small_shop, tmp_path_factory.mktemp("slow") / "shop"))
    (root / "sql" / "zz_slow.sql").write_text(SLOW, encoding="utf-8")
    marketsql.Project.load(root).build()
    return root


def _refreshing(root: Path) -> Callable[[], bool]:
    """Whether the refresh's copy of the database exists (the training is over, the refresh under way)."""
    return lambda: any(p.name.startswith(f"{DB}.building-") for p in root.iterdir())


def _refreshes(root: Path) -> int:
    return scalar(root, "SELECT count(*) FROM meta.build_refreshes")


@pytest.mark.slow
def test_sigkill_during_the_refresh_leaves_the_old_file_and_the_next_train_works(slow_shop: Path, tmp_path: Path):
    rng = random.Random(5)
    for trial in range(TRIALS):
        root = Path(shutil.copytree(slow_shop, tmp_path / f"trial{trial}"))
        digest = sha256(root / DB)
        process = start_cli(*TRAIN, "-p", str(root))
        wait_for(process, _refreshing(root), 300)
        time.sleep(rng.uniform(0.0, 2.0))
        code, _, _ = kill(process, signal.SIGKILL)
        assert code == -signal.SIGKILL, "the refresh ended before the kill: make SLOW slower"
        assert sha256(root / DB) == digest
        assert assert_consistent(root) == 1
        again = run_cli(*TRAIN, "-p", str(root))  # cleans up the killed copy, and the file is still sealed
        assert again.returncode == 0, again.stderr
        assert "not refreshed" not in again.stdout
        assert assert_consistent(root) == 2
        assert _refreshes(root) == 1
        assert leftovers(root) == []
        shutil.rmtree(root)


@pytest.mark.slow
def test_a_build_during_the_refresh_is_refused_with_the_trainings_pid(slow_shop: Path, tmp_path: Path):
    root = Path(shutil.copytree(slow_shop, tmp_path / "shop"))
    process = start_cli(*TRAIN, "-p", str(root))
    wait_for(process, _refreshing(root), 300)
    refused = run_cli("build", "-p", str(root))
    assert _refreshing(root)(), "the refresh ended before the build tried: make SLOW slower"
    code, _, stderr = finish(process)
    assert code == 0, stderr
    assert refused.returncode == 1, refused.stdout + refused.stderr
    assert refused.stderr.strip() == (f"Error: {root / DB} is being written by PID {process.pid} (train segmentation)"
                                      " — wait for it to finish, then retry")
    assert assert_consistent(root) == 2
    assert _refreshes(root) == 1
    assert leftovers(root) == []
