"""Hostile: the Spark mirror on bad input — a master or warehouse it cannot use (refused before anything is built,
no JVM started), a view Spark rejects (named, with Spark's message in one line), a database marketsql did not
create, and a mirror killed half-way — each one clear error, and the previous mirror untouched."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from conftest import REPO, WriteProject

import marketsql
from marketsql.engines.spark.session import SparkError

from .clirun import error_line, invoke


@pytest.fixture
def root(write_project: WriteProject, tmp_path: Path) -> Path:
    (tmp_path / "file").write_text("not a folder\n")
    return write_project()


@pytest.mark.parametrize(("options", "line"), [
    (["--master", "bogus"], "Error: Spark master 'bogus' is not understood — use local[2], local[*],"
                            " spark://host:7077, yarn or k8s://…"),
    (["--master", "spark://127.0.0.1:1"], "Error: cannot reach Spark master spark://127.0.0.1:1: Connection refused"
                                          " — start the master or give another (--master local[2] runs Spark in this"
                                          " process)"),
    (["--warehouse", "{tmp}/file/wh"], "Error: Spark warehouse {tmp}/file/wh cannot be a folder: {tmp}/file is a file"
                                       " — give a folder (--warehouse)"),
    (["--warehouse", "s3a://bucket/wh"], "Error: Spark warehouse s3a://bucket/wh is a URI — DuckDB writes the tables'"
                                         " Parquet files into the warehouse: give a local or mounted folder that"
                                         " Spark's executors also read"),
    (["--dsn", "postgresql://x@h/db"], "Error: --dsn is for a database server — Spark takes --master (local[2],"
                                       " spark://host:7077)"),
    (["--schema", "Bad-Name"], "Error: database 'Bad-Name' is not allowed for the mirror — use lower-case letters,"
                               " digits and _"),
], ids=["master", "unreachable", "warehouse-under-file", "uri", "dsn", "schema"])
def test_unusable_master_or_warehouse_fails_before_anything_is_built(root: Path, tmp_path: Path, options, line):
    args = [o.format(tmp=tmp_path) for o in options]
    assert error_line("build", "-p", str(root), "--target", "spark", *args) == line.format(tmp=tmp_path)
    assert not (root / "project.duckdb").exists() and not (root / "spark-warehouse").exists()


def test_duckdb_only_construct_is_listed_before_anything_is_written(write_project: WriteProject):
    root = write_project({"sql/lists.sql": "SELECT customer_id,\n  list_sort(list(order_id)) AS orders\n"
                                           "FROM raw.orders GROUP BY customer_id\n",
                          "sql/reads_lists.sql": "SELECT * FROM lists\n"})
    checked = invoke("check", "-p", str(root), "--target", "spark")
    assert checked.code == 1
    assert "cannot mirror sql/lists.sql, line 2: lists — DuckDB function list_sort() has no Spark equivalent" \
        in checked.stderr
    assert "cannot mirror sql/reads_lists.sql, line 1: reads_lists — reads lists, which cannot be mirrored" \
        in checked.stderr
    built = invoke("build", "-p", str(root), "--target", "spark")
    assert built.code == 1 and "2 view(s) cannot be mirrored onto Spark" in built.stderr
    assert not (root / "project.duckdb").exists()  # stopped before the DuckDB build, and before any JVM


@pytest.fixture
def small(write_project: WriteProject) -> marketsql.Project:
    project = marketsql.Project.load(write_project())
    project.build()
    return project


def _state(spark: Any, name: str) -> tuple[list[str], list[tuple[str, str]], list[tuple[Any, ...]]]:
    """(databases named like the mirror, the objects readers see, the mirror row)."""
    databases = sorted(str(r[0]) for r in spark.sql("SHOW DATABASES").collect() if str(r[0]).startswith(name))
    objects = sorted((db, str(r.tableName)) for db in (name, f"{name}_raw", f"{name}_meta") if db in databases
                     for r in spark.sql(f"SHOW TABLES IN {db}").collect())
    row = [tuple(r) for r in spark.sql(f"SELECT * FROM {name}_meta.mirror").collect()] \
        if f"{name}_meta" in databases else []
    return databases, objects, row


def test_view_spark_rejects_is_named_and_the_old_mirror_kept(small, spark_target):
    from marketsql.engines.spark.session import session

    def mirror() -> Any:
        return small.mirror_to("spark", spark_target.master, "small_rej", warehouse=spark_target.warehouse)

    mirror()
    before = _state(session(spark_target), "small_rej")
    (small.root / "sql" / "ends.sql").write_text(
        "-- orders whose id ends in 1\nSELECT order_id,\n       suffix(order_id, '1') AS ends_in_one\n"
        "FROM raw.orders\n")
    project = marketsql.Project.load(small.root)
    project.build()
    report = project.check_target("spark", spark_target.master, "small_rej", warehouse=spark_target.warehouse)
    assert len(report.problems) == 1 and report.checked == "server"
    problem = str(report.problems[0])
    assert problem.startswith("sql/ends.sql, line 3: ends — Spark rejects the view: [UNRESOLVED_ROUTINE] Cannot"
                              " resolve routine `SUFFIX` on search path")
    assert "\n" not in problem and "SQLSTATE" not in problem
    ran = invoke("build", "-p", str(project.root), "--target", "spark", "--schema", "small_rej",
                 "--warehouse", spark_target.warehouse)
    assert ran.code == 1
    assert ran.stderr.splitlines() == [f"  cannot mirror {problem}",
                                       f"Error: 1 view(s) cannot be mirrored onto Spark (listed above); first:"
                                       f" {problem}"]
    assert _state(session(spark_target), "small_rej") == before  # no generation left behind either


def test_refuses_a_database_it_did_not_create(small, spark_target):
    from marketsql.engines.spark.session import session

    spark = session(spark_target)
    spark.sql("CREATE DATABASE IF NOT EXISTS accounting")
    spark.sql("CREATE TABLE IF NOT EXISTS accounting.ledger (x INT) USING parquet")
    with pytest.raises(SparkError, match="database accounting exists and was not created by marketsql"):
        small.mirror_to("spark", spark_target.master, "accounting", warehouse=spark_target.warehouse)
    assert [str(r.tableName) for r in spark.sql("SHOW TABLES IN accounting").collect()] == ["ledger"]


# A process of its own (the test run's JVM holds its own warehouse's metastore): "first" mirrors and prints the
# state, then mirrors again printing its progress (the test kills it); "state" prints the state, mirrors, prints it.
SCRIPT = """
import json, sys
sys.path.insert(0, sys.argv[4])
import marketsql
from marketsql.engines.spark.session import resolve, session
from hostile.test_spark_errors import _state
project, warehouse, mode = marketsql.Project.load(sys.argv[1]), sys.argv[2], sys.argv[3]
def mirror(say=None):
    return project.mirror_to("spark", "local[2]", "killed", progress=say, warehouse=warehouse)
spark = lambda: session(resolve({}, "local[2]", "killed", warehouse))
if mode == "first":
    mirror()
print("STATE " + json.dumps(_state(spark(), "killed"), default=str), flush=True)
mirror(lambda message: print(message, flush=True))
if mode == "state":
    print("STATE " + json.dumps(_state(spark(), "killed"), default=str), flush=True)
"""


def _run(*args: str, kill_at: str | None = None) -> list[Any]:
    process = subprocess.Popen([sys.executable, "-c", SCRIPT, *args, str(REPO / "tests")], stdout=subprocess.PIPE,
                               stderr=subprocess.PIPE, text=True, start_new_session=True, cwd=REPO,
                               env={**os.environ, "PYTHONPATH": str(REPO)})
    assert process.stdout is not None
    states = []
    for line in process.stdout:
        if line.startswith("STATE "):
            states.append(json.loads(line[len("STATE "):]))
        if kill_at and line.startswith(kill_at):
            os.killpg(process.pid, signal.SIGKILL)  # the Python process and its JVM, as a machine would lose them
            break
    process.communicate(timeout=300)
    assert process.returncode == (-signal.SIGKILL if kill_at else 0), process.stderr
    return states


@pytest.mark.slow  # two JVMs of its own (8-20 s each to start)
def test_a_killed_mirror_leaves_the_previous_one_untouched(small, tmp_path: Path):
    warehouse = str(tmp_path / "killed-warehouse")
    (before,) = _run(str(small.root), warehouse, "first", kill_at="checking rows")
    after_kill, after_again = _run(str(small.root), warehouse, "state")
    assert after_kill[1:] == before[1:]  # readers see the old mirror, whole (pointers and the mirror row)
    assert set(after_kill[0]) > set(before[0])  # plus the half-built generation
    assert after_again[1] == before[1] and after_again[2] != before[2]
    assert len(after_again[0]) == 6  # the old generation and the half-built one dropped by the next mirror
