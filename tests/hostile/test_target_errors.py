"""Hostile `marketsql target`: every input it cannot use gives one `Error:` line and exit 1 with nothing written
(database bytes, saved lists and the output file untouched); SIGKILL at any moment leaves the database and the
lists already saved whole; a second writer is refused with the holder's PID."""

from __future__ import annotations

import random
import signal
import time
from pathlib import Path

import pytest
from conftest import run_cli, sha256

import marketsql

from .clirun import error_line, invoke
from .shop import finish, kill, start_cli

DB = "marketsql.duckdb"
LIST = ["--target", "repeat", "--budget", "40", "--cost-per-contact", "0.5", "--value", "30"]


def _lists(root: Path) -> list[tuple[str, int, float]]:
    """(name, rows, total expected profit) of every saved list."""
    con = marketsql.connect(root, read_only=True)
    try:
        return [(str(n), int(c), round(float(p), 6)) for n, c, p in con.execute(
            "SELECT list_name, count(*), sum(expected_profit) FROM meta.target_lists GROUP BY 1 ORDER BY 1"
        ).fetchall()]
    finally:
        con.close()


@pytest.fixture
def listed(shop: Path) -> Path:
    """The small shop with one list saved (``first``)."""
    ran = invoke("target", "-p", str(shop), *LIST, "--name", "first")
    assert ran.code == 0, ran.stderr
    return shop


CASES = {
    "unknown target": (["--target", "category:Toys", "--budget", "10", "--cost-per-contact", "1"],
                       "Error: --target 'category:Toys': the propensity model was trained for category:Phones, repeat"
                       " — give one of them, or run `marketsql train propensity --target category:Toys`"),
    "no target": (["--budget", "10", "--cost-per-contact", "1"],
                  "Error: no --target — give one the propensity model was trained for: category:Phones, repeat"),
    "budget zero": (["--target", "repeat", "--budget", "0", "--cost-per-contact", "1"],
                    "Error: --budget 0: give a positive budget, e.g. --budget 5000"),
    "budget negative": (["--target", "repeat", "--budget", "-5", "--cost-per-contact", "1"],
                        "Error: --budget -5: give a positive budget, e.g. --budget 5000"),
    "cost zero": (["--target", "repeat", "--budget", "10", "--cost-per-contact", "0"],
                  "Error: --cost-per-contact 0: give the positive cost of one contact, e.g. 0.5"),
    "cost negative": (["--target", "repeat", "--budget", "10", "--cost-per-contact", "-1"],
                      "Error: --cost-per-contact -1: give the positive cost of one contact, e.g. 0.5"),
    "budget below one contact": (["--target", "repeat", "--budget", "0.4", "--cost-per-contact", "0.5"],
                                 "Error: --budget 0.4 is below one contact at 0.5 each — raise --budget to at least"
                                 " 0.5 or lower --cost-per-contact"),
    "not a finite budget": (["--target", "repeat", "--budget", "inf", "--cost-per-contact", "1"],
                            "Error: --budget inf: give a finite number"),
    "value zero": (["--target", "repeat", "--budget", "10", "--cost-per-contact", "1", "--value", "0"],
                   "Error: --value 0: give the positive revenue one conversion brings, e.g. 40"),
    "unknown model": (["--model", "clv", "--budget", "10", "--cost-per-contact", "1"],
                      "Error: --model 'clv': a contact list ranks propensity or uplift scores — give --model"
                      " propensity or --model uplift"),
    "unknown treatment": (["--model", "uplift", "--treatment", "sms", "--budget", "10", "--cost-per-contact", "1",
                           "--value", "10"],
                          "Error: --treatment 'sms': the uplift model scores the arms email — give --treatment ARM"),
    "missing budget": (["--target", "repeat", "--cost-per-contact", "1"],
                       "Error: Missing option '--budget' — see marketsql target --help"),
    "list name taken": (["--target", "repeat", "--budget", "10", "--cost-per-contact", "1", "--name", "first"],
                        "Error: a list called 'first' is saved already — give another --name"),
}


@pytest.mark.parametrize("case", list(CASES))
def test_bad_input_is_one_line_and_writes_nothing(listed, case):
    args, line = CASES[case]
    before, digest = _lists(listed), sha256(listed / DB)
    assert error_line("target", "-p", str(listed), *args, "-o", str(listed / "out.csv")) == line
    assert (_lists(listed), sha256(listed / DB)) == (before, digest)
    assert sorted(p.name for p in listed.iterdir() if "out.csv" in p.name) == []


def test_no_customer_with_a_positive_profit_writes_nothing(listed):
    before, digest = _lists(listed), sha256(listed / DB)
    line = error_line("target", "-p", str(listed), "--target", "repeat", "--budget", "1000", "--cost-per-contact",
                      "100", "--value", "1", "-o", str(listed / "out.csv"))
    assert line.startswith("Error: no customer has an expected profit above 0 (the best: ")
    assert line.endswith(" = p x value - 100) — nothing written; lower --cost-per-contact or --min-profit, or check"
                         " --value")
    assert (_lists(listed), sha256(listed / DB)) == (before, digest) and not (listed / "out.csv").exists()


def test_output_that_cannot_be_written(listed, tmp_path):
    (tmp_path / "afile").write_text("x")
    cases = {str(tmp_path / "list.txt"): f"Error: -o {tmp_path / 'list.txt'}: unknown file type '.txt' — give a name"
                                         " ending in .csv or .parquet",
             str(tmp_path / "list"): f"Error: -o {tmp_path / 'list'}: unknown file type '(none)' — give a name"
                                     " ending in .csv or .parquet",
             str(tmp_path / "afile" / "l.csv"): f"Error: cannot write the output {tmp_path / 'afile' / 'l.csv'}:"
                                                f" {tmp_path / 'afile'} is a file, not a folder — choose another -o",
             str(tmp_path / "nowhere" / "l.csv"): f"Error: {tmp_path / 'nowhere'} does not exist — create the folder"
                                                  " or choose another -o"}
    before, digest = _lists(listed), sha256(listed / DB)
    for path, line in cases.items():
        assert error_line("target", "-p", str(listed), *LIST, "-o", path) == line
    (tmp_path / "dir.csv").mkdir()
    assert error_line("target", "-p", str(listed), *LIST, "-o", str(tmp_path / "dir.csv")) == (
        f"Error: {tmp_path / 'dir.csv'} is a folder — give a file name such as {tmp_path / 'dir.csv' / 'list.csv'}")
    assert (_lists(listed), sha256(listed / DB)) == (before, digest)


def test_no_propensity_model_and_no_value(built_project: marketsql.Project, shop: Path):
    assert error_line("target", "-p", str(built_project.root), "--target", "repeat", "--budget", "10",
                      "--cost-per-contact", "1") == (
        "Error: no propensity scores in this database (customer_propensity is not built) — run `marketsql train"
        " propensity --target TARGET`")
    assert error_line("target", "-p", str(built_project.root), "--model", "uplift", "--budget", "10",
                      "--cost-per-contact", "1") == (
        "Error: no uplift scores in this database (campaign_uplift is not built) — run `marketsql train uplift`")
    assert invoke("sql", "--write", "-p", str(shop), "DROP TABLE customer_value").code == 0  # as if no clv model
    digest = sha256(shop / DB)
    assert error_line("target", "-p", str(shop), "--target", "repeat", "--budget", "10", "--cost-per-contact",
                      "1") == ("Error: no value per conversion: no clv model is trained — give --value AMOUNT (the"
                               " revenue one conversion brings), or run `marketsql train clv`")
    assert sha256(shop / DB) == digest


def test_a_second_writer_is_refused_with_the_holders_pid(listed):
    """The holder is a `sql --write` whose query runs until interrupted, so the lock is held for sure."""
    before, digest = _lists(listed), sha256(listed / DB)
    holder = start_cli("sql", "--write", "-p", str(listed), "SELECT sum(range * range % 7) FROM range(1000000000000)")
    deadline = time.monotonic() + 60
    while not (listed / f"{DB}.lock").exists() or not (listed / f"{DB}.lock").read_text().strip():
        assert holder.poll() is None and time.monotonic() < deadline
        time.sleep(0.02)
    refused = run_cli("target", "-p", str(listed), *LIST, "--name", "second", "-o", str(listed / "second.csv"))
    assert kill(holder, signal.SIGINT)[0] == 130
    assert refused.returncode == 1 and refused.stdout == ""
    assert refused.stderr.strip() == (f"Error: {listed / DB} is being written by PID {holder.pid} (sql --write)"
                                      " — wait for it to finish, then retry")
    assert (_lists(listed), sha256(listed / DB)) == (before, digest) and not (listed / "second.csv").exists()


def test_two_targets_at_once_each_land_whole_or_are_refused(listed):
    started = [start_cli("target", "-p", str(listed), *LIST, "--name", f"race{i}", "-o", str(listed / f"race{i}.csv"))
               for i in range(2)]
    done = [finish(p) for p in started]
    lists = dict((name, rows) for name, rows, _ in _lists(listed))
    for i, (code, _, err) in enumerate(done):
        if code == 0:
            assert lists[f"race{i}"] == 80 and len((listed / f"race{i}.csv").read_text().splitlines()) == 81
        else:
            assert err.startswith(f"Error: {listed / DB} is being written by PID ") and f"race{i}" not in lists
            assert not (listed / f"race{i}.csv").exists()
    assert any(code == 0 for code, _, _ in done)


@pytest.mark.slow
def test_sigkill_during_target_keeps_the_database_and_the_lists_whole(listed):
    out = listed / "killed.csv"
    started = time.monotonic()
    assert finish(start_cli("target", "-p", str(listed), *LIST, "--name", "timed"))[0] == 0
    duration = time.monotonic() - started
    rng = random.Random(5)
    for trial in range(8):
        before = _lists(listed)
        process = start_cli("target", "-p", str(listed), *LIST, "--name", f"k{trial}", "-o", str(out))
        time.sleep(rng.uniform(0.05, duration))
        kill(process, signal.SIGKILL)
        after = dict((name, (rows, profit)) for name, rows, profit in _lists(listed))
        assert {name: after[name] for name, _, _ in before} == {name: (r, p) for name, r, p in before}
        assert set(after) - {name for name, _, _ in before} <= {f"k{trial}"}
        if f"k{trial}" in after:
            assert after[f"k{trial}"][0] == 80  # the list landed whole (the file may still be in its temp name)
        if out.exists():
            assert len(out.read_text().splitlines()) == 81
        out.unlink(missing_ok=True)
    ran = invoke("target", "-p", str(listed), *LIST, "--name", "after", "-o", str(out))
    assert ran.code == 0, ran.stderr
    assert len(out.read_text().splitlines()) == 81
    assert [p.name for p in listed.iterdir() if ".tmp-" in p.name or p.name.endswith(".wal")] == []


def test_position_output_that_cannot_be_used(listed, tmp_path):
    tmp_path = tmp_path / "out"
    tmp_path.mkdir()
    place = ["position", "-p", str(listed), "--brand", "samsung", "--price", "799", "--fill-missing"]
    assert error_line(*place, "-o", str(tmp_path / "b.txt")) == (
        f"Error: -o {tmp_path / 'b.txt'}: unknown file type '.txt' — give a name ending in .csv or .parquet")
    assert error_line(*place, "--buyers", "0", "-o", str(tmp_path / "b.csv")) == (
        f"Error: --buyers 0 with -o {tmp_path / 'b.csv'}: nothing to write — give --buyers 1 or more")
    assert list(tmp_path.iterdir()) == []
    ran = invoke(*place, "--buyers", "3", "-o", str(tmp_path / "b.parquet"))
    assert ran.code == 0, ran.stderr
    assert ran.stdout.rstrip().endswith(f"Wrote the 3 customers to {tmp_path / 'b.parquet'}")
