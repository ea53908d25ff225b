"""Attacks by Ctrl-C and SIGTERM: one line, exit 130 / 143, the previous database intact, no temporary
files left, and the next build succeeds."""

from __future__ import annotations

import signal
import time
from collections.abc import Callable
from pathlib import Path

import pytest
from conftest import sha256

import marketsql

from .shop import assert_consistent, kill, leftovers, start_cli, versions

DB = "marketsql.duckdb"
TRAIN = ["train", "segmentation", "--k-min", "2", "--k-max", "2"]


def _rebuilding(root: Path) -> bool:
    """The command is writing its new database file."""
    return any(p.name.startswith(f"{DB}.building-") for p in root.iterdir())


def _holding_lock(root: Path) -> bool:
    """The command has taken the writer lock (train: it is reading and fitting now)."""
    lock = root / f"{DB}.lock"
    return lock.exists() and lock.read_text().strip() != ""


@pytest.mark.parametrize("command,when,signum", [
    (["build"], _rebuilding, signal.SIGINT),
    (["build"], _rebuilding, signal.SIGTERM),
    (TRAIN, _holding_lock, signal.SIGINT),
    (TRAIN, _rebuilding, signal.SIGTERM),
    (["activate", "segmentation", "1"], _rebuilding, signal.SIGINT),
], ids=["build-SIGINT", "build-SIGTERM", "train-fitting-SIGINT", "train-rebuilding-SIGTERM",
        "activate-rebuilding-SIGINT"])
def test_interrupt_prints_one_line_and_leaves_the_database(shop: Path, command: list[str],
                                                           when: Callable[[Path], bool], signum: int) -> None:
    digest, before = sha256(shop / DB), versions(shop)
    process = start_cli(*command, "-p", str(shop))
    deadline = time.monotonic() + 120
    while not when(shop):
        assert process.poll() is None, process.communicate()
        assert time.monotonic() < deadline
        time.sleep(0.01)
    code, _, stderr = kill(process, signum)
    assert (code, stderr) == (128 + signum, "Interrupted — the previous database is unchanged\n")
    assert sha256(shop / DB) == digest
    assert versions(shop) == before
    assert leftovers(shop) == []
    marketsql.Project.load(shop).build()
    assert_consistent(shop)
