"""Attacks on overlapping writers: every command that writes the database takes one lock, and a second
writer is refused with one line naming the holder's PID and what it is doing; readers are never blocked."""

from __future__ import annotations

import signal
import subprocess
import time
from pathlib import Path

import pytest
from conftest import run_cli, sha256

from .shop import assert_consistent, finish, kill, leftovers, start_cli, versions, wait_for

DB = "marketsql.duckdb"


def _start_build(shop: Path) -> subprocess.Popen[str]:
    """A real build, returned once it is writing its new file (it holds the writer lock then)."""
    build = start_cli("build", "-p", str(shop))
    wait_for(build, lambda: any(p.name.startswith(f"{DB}.building-") for p in shop.iterdir()))
    return build


@pytest.mark.parametrize("attacker", [
    ["train", "segmentation", "--k-min", "2", "--k-max", "2"],
    ["activate", "segmentation", "1"],
    ["sql", "--write", "CREATE TABLE intruder AS SELECT 1 AS x"],
    ["build"],
], ids=["train", "activate", "sql-write", "build"])
def test_writer_while_another_writes_is_refused_with_the_holders_pid(shop, attacker):
    """The holder is a `sql --write` whose query runs until interrupted, so the lock is held for sure."""
    before, digest = versions(shop), sha256(shop / DB)
    holder = start_cli("sql", "--write", "-p", str(shop), "SELECT sum(range * range % 7) FROM range(1000000000000)")
    wait_for(holder, lambda: (shop / f"{DB}.lock").exists() and (shop / f"{DB}.lock").read_text().strip() != "")
    refused = run_cli(*attacker, "-p", str(shop))
    code, _, holder_err = kill(holder, signal.SIGINT)
    assert (code, holder_err) == (130, "Interrupted — the previous database is unchanged\n")
    assert refused.returncode == 1, refused.stdout + refused.stderr
    assert refused.stderr.strip() == (f"Error: {shop / DB} is being written by PID {holder.pid} (sql --write)"
                                      " — wait for it to finish, then retry")
    assert versions(shop) == before
    assert sha256(shop / DB) == digest
    assert leftovers(shop) == []


def test_readers_are_not_blocked_by_a_build(shop):
    build = _start_build(shop)
    read = run_cli("sql", "-p", str(shop), "--format", "csv", "SELECT count(*) AS n FROM customer_segments")
    assert finish(build)[0] == 0
    assert read.returncode == 0, read.stderr
    assert read.stdout.splitlines()[0] == "n" and int(read.stdout.splitlines()[1]) > 0


@pytest.mark.slow
@pytest.mark.parametrize("first,delay", [("build", 0.0), ("build", 1.0), ("build", 2.5), ("train", 1.0),
                                         ("train", 3.0)])
def test_build_and_train_started_together_never_lose_the_model(shop, first, delay):
    """Either both land (the trained version is in the final registry) or the second is refused with the
    first one's PID; never "Registered" with the model missing."""
    before = versions(shop)
    commands = {"build": ["build", "-p", str(shop)],
                "train": ["train", "segmentation", "-p", str(shop), "--k-min", "2", "--k-max", "2"]}
    second = "train" if first == "build" else "build"
    started = {first: start_cli(*commands[first])}
    time.sleep(delay)
    started[second] = start_cli(*commands[second])
    done = {name: finish(process) for name, process in started.items()}
    (build_code, _, build_err), (train_code, train_out, train_err) = done["build"], done["train"]
    after = versions(shop)
    assert assert_consistent(shop) == [v for v, s in after if s == "active"][0]
    if train_code == 0:
        assert f"Registered segmentation v{len(before) + 1}" in train_out
        assert after[-1] == (len(before) + 1, "active"), (train_out, after)
    else:
        assert train_err.strip().startswith("Error:") and f"PID {started['build'].pid} (build)" in train_err
        assert after == before
    if build_code != 0:
        assert f"PID {started['train'].pid} (train segmentation)" in build_err, build_err
    assert 0 in (build_code, train_code), (build_err, train_err)
    assert leftovers(shop) == []
