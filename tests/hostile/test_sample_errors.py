"""Hostile: `train KIND --sample N [--sample-from duckdb|spark]` with a sample that cannot be drawn. Each fails in one
line saying what to do, before any training (and, for Spark, before any JVM starts), and the project database is
left byte for byte as it was; a SIGKILL in the middle of a sampled training leaves it byte-identical too."""

from __future__ import annotations

import random
import shutil
import signal
import time
from pathlib import Path

import pytest
from conftest import WriteProject, sha256

import marketsql
from marketsql.sampling import draw

from .clirun import error_line
from .shop import finish, kill, leftovers, start_cli, versions

DB = "project.duckdb"
NO_KEY = {  # the small project with its customer column called `buyer`: no column looks like a customer key
    "marketsql.toml": """\
        database = "project.duckdb"
        [sources.orders]
        path = "data/orders.csv"
        """,
    "data/orders.csv": "order_id,order_ts,buyer,quantity\nO1,2024-01-05 10:00:00,C1,2\nO2,2024-02-10 11:00:00,C2,1\n",
}


@pytest.fixture
def built(write_project: WriteProject) -> Path:
    """The small project (2 customers, C1 and C2), built."""
    root = write_project()
    marketsql.Project.load(root).build()
    return root


@pytest.mark.parametrize(("args", "expected"), [
    (["--sample", "0"], "Error: --sample 0: a sample needs at least one customer — give a positive number of"
                        " customers"),
    (["--sample", "-5"], "Error: --sample -5: a sample needs at least one customer"),
    (["--sample", "abc"], "Error: Invalid value 'abc' for '--sample'"),
    (["--sample", "1.5"], "Error: Invalid value '1.5' for '--sample'"),
    (["--sample", "2"], "Error: --sample 2 is not smaller than the 2 customers in the data — train without --sample"
                        " (on the whole data)"),
    (["--sample", "1000"], "Error: --sample 1,000 is not smaller than the 2 customers in the data"),
    (["--sample", "1", "--sample-from", "hive"], "Error: --sample-from hive is not a source of samples — use duckdb"
                                                 " (the project database) or spark (its Spark mirror)"),
    (["--sample-from", "duckdb"], "Error: --sample-from duckdb without --sample — give the number of customers"),
])
def test_a_sample_that_cannot_be_drawn_is_one_line_and_changes_nothing(built, args, expected):
    digest = sha256(built / DB)
    assert error_line("train", "segmentation", "-p", str(built), *args).startswith(expected)
    assert sha256(built / DB) == digest and leftovers(built) == []


def test_a_sample_from_spark_without_a_mirror_is_refused_before_spark_starts(built, tmp_path):
    digest, warehouse = sha256(built / DB), tmp_path / "empty-warehouse"
    line = error_line("train", "segmentation", "-p", str(built), "--sample", "1", "--sample-from", "spark",
                      "--warehouse", str(warehouse))
    assert line == (f"Error: --sample-from spark: no Spark mirror in the warehouse {warehouse} — mirror the project"
                    f" first (marketsql build --target spark --warehouse {warehouse}) or give its warehouse with"
                    " --warehouse")
    assert sha256(built / DB) == digest and not warehouse.exists()  # no JVM made its metastore there


def test_raw_tables_without_a_customer_key_say_how_to_declare_one(write_project: WriteProject, tmp_path):
    root = write_project(NO_KEY, base=None)
    marketsql.Project.load(root).build()
    digest = sha256(root / DB)
    assert error_line("train", "segmentation", "-p", str(root), "--sample", "1") == (
        "Error: no raw table has a customer key to sample by: looked for a column named customer_id (or CustomerID,"
        ' customerid) in orders — declare the key column with [settings] sample_key = "COLUMN" in the project config')
    assert sha256(root / DB) == digest
    drawn = draw.from_duckdb(root / DB, ["orders"], {"sample_key": "buyer"}, 1, tmp_path)  # declared: it is used
    assert (drawn.keys.keys, drawn.population, drawn.rows) == ({"orders": "buyer"}, 2, {"orders": 1})


@pytest.mark.slow
def test_sigkill_during_a_sampled_train_leaves_the_database_byte_identical(small_shop, tmp_path):
    """Killed at random moments of `train segmentation --sample 400` (sampling, scratch build, fit, rebuild): the
    project database is the one from before, byte for byte, or the new one whole (the kill came after the swap)."""
    command = ["train", "segmentation", "--k-min", "2", "--k-max", "2", "--sample", "400"]
    timed = Path(shutil.copytree(small_shop, tmp_path / "timed"))
    started = time.monotonic()
    code, stdout, stderr = finish(start_cli(*command, "-p", str(timed)))
    assert code == 0, stderr
    assert "\nTrained on a sample of 400 of 800 customers (each with its whole history), read from duckdb\n" in \
        f"\n{stdout}", stdout
    duration, rng = time.monotonic() - started, random.Random(3)
    before = sha256(small_shop / "marketsql.duckdb")
    for trial in range(3):
        root = Path(shutil.copytree(small_shop, tmp_path / f"trial{trial}"))
        process = start_cli(*command, "-p", str(root))
        time.sleep(rng.uniform(0.5, duration * 0.8))
        kill(process, signal.SIGKILL)
        if versions(root) == versions(small_shop):  # killed before the swap: untouched
            assert sha256(root / "marketsql.duckdb") == before
        else:
            assert versions(root)[-1] == (2, "active")
        shutil.rmtree(root)
