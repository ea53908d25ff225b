"""The ``marketsql`` command as a user runs it: help, errors, exit codes."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest
from conftest import REPO, run_cli

import marketsql

COMMANDS = ["init", "build", "check", "demo", "sql"]


def test_every_command_has_help_and_is_in_the_readme():
    readme = (REPO / "README.md").read_text()
    listed = run_cli("--help")
    assert listed.returncode == 0
    found = set(re.findall(r"│ (\w+)\s{2,}", listed.stdout))
    assert set(COMMANDS) <= found, listed.stdout
    for command in COMMANDS:
        result = run_cli(command, "--help")
        assert result.returncode == 0, result.stderr
        assert "Usage: marketsql " + command in result.stdout
        assert f"marketsql {command}" in readme, f"README does not document `marketsql {command}`"


def test_cli_import_and_help_pull_in_no_heavy_library():
    """`marketsql --help` must start fast (bench/cli_start.py measures it): no pandas, sklearn, TensorFlow."""
    heavy = ('pandas', 'sklearn', 'tensorflow', 'keras', 'statsmodels', 'plotly')
    code = (
        "import sys; import marketsql.cli\n"
        f"print(sorted(m for m in {heavy!r} if m in sys.modules))\n"
        "from marketsql.cli import main\n"
        "try:\n    main(['--help'])\nexcept SystemExit:\n    pass\n"
        f"print(sorted(m for m in {heavy!r} + ('duckdb', 'pyarrow') if m in sys.modules))"
    )
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip().splitlines()[0] == "[]"
    assert result.stdout.strip().splitlines()[-1] == "[]"
    assert "Usage: marketsql" in result.stdout


def test_build_check_and_sql(write_project):
    root = write_project()
    build = run_cli("build", "-p", str(root))
    assert build.returncode == 0, build.stderr
    assert "source orders: 3 rows from 1 file(s)" in build.stdout
    assert "1 views, 1 tables" in build.stdout
    check = run_cli("check", "-p", str(root))
    assert [line.split()[:3] for line in check.stdout.splitlines()] == [
        ["1", "view", "order_revenue"], ["2", "table", "customer_revenue"]
    ]
    query = run_cli("sql", "-p", str(root), "-f", "csv", "SELECT * FROM customer_revenue ORDER BY 1")
    assert query.returncode == 0, query.stderr
    assert query.stdout.splitlines() == ["customer_id,revenue", "C1,45.0", "C2,10.0"]


WIDE = ("SELECT 2500000.0::DOUBLE AS revenue_this_year, 1234567 AS orders, 0.0000123::DOUBLE AS tiny,"
        " 'a very long text value that a narrow terminal would cut: ' || repeat('x', 60) AS note,"
        " DATE '2024-01-31' AS day, NULL AS nothing FROM range(3)")


def test_sql_shows_whole_columns_with_thousands_separators(built_project):
    root = str(built_project.root)
    table = run_cli("sql", "-p", root, WIDE, "--max-rows", "2")
    assert table.returncode == 0, table.stderr
    lines = table.stdout.splitlines()
    assert lines[0].split() == ["revenue_this_year", "orders", "tiny", "note", "day", "nothing"]
    assert lines[2].split()[:3] == ["2,500,000.00", "1,234,567", "0.00001230"]
    assert lines[2].split()[-2:] == ["2024-01-31", "NULL"] and ("x" * 60) in lines[2]   # no column cut
    assert "e+" not in table.stdout and "…" not in table.stdout
    assert len(lines) == 5 and lines[-1].startswith("(first 2 rows shown")           # rows are cut, not columns
    markdown = run_cli("sql", "-p", root, WIDE, "--format", "markdown").stdout.splitlines()
    assert markdown[0] == "| revenue_this_year | orders | tiny | note | day | nothing |"
    assert markdown[1] == "| --- | --- | --- | --- | --- | --- |" and len(markdown) == 5
    assert markdown[2].startswith("| 2,500,000.00 | 1,234,567 | 0.00001230 | a very long")
    rows = json.loads(run_cli("sql", "-p", root, WIDE, "--format", "json").stdout)
    assert len(rows) == 3 and rows[0]["orders"] == 1234567 and rows[0]["day"] == "2024-01-31"
    assert rows[0]["revenue_this_year"] == 2500000.0 and rows[0]["nothing"] is None
    bad = run_cli("sql", "-p", root, "SELECT 1", "--format", "xml")
    assert bad.returncode == 1
    assert bad.stderr.strip() == ("Error: Invalid value 'xml' for --format: use table, csv, json or markdown"
                                  " — see marketsql sql --help")


def test_no_progress_bar_when_piped(built_project):
    """DuckDB's progress bar (queries over 2 s) is off when stderr is not a terminal: a log stays readable."""
    shown = run_cli("sql", "-p", str(built_project.root), "SELECT current_setting('enable_progress_bar') AS bar",
                    "--format", "json")
    assert shown.returncode == 0, shown.stderr
    assert json.loads(shown.stdout) == [{"bar": False}]


def test_user_error_is_one_line_with_exit_code_1(write_project):
    root = write_project({"sql/x.sql": "SELECT * FROM nowhere"})
    result = run_cli("build", "-p", str(root))
    assert result.returncode == 1
    assert result.stderr == (
        "Error: sql/x.sql, line 1: unknown table 'nowhere' — add sql/nowhere.sql or read a source as raw.<name>\n"
    )
    assert result.stdout == ""


def test_debug_shows_the_traceback(write_project):
    root = write_project({"sql/x.sql": "SELECT * FROM nowhere"})
    result = run_cli("build", "--debug", "-p", str(root))
    assert result.returncode == 1
    assert "Traceback (most recent call last)" in result.stderr
    assert "DependencyError" in result.stderr


def test_sql_error_and_missing_database(write_project):
    root = write_project()
    missing = run_cli("sql", "-p", str(root), "SELECT 1")
    assert missing.returncode == 1
    assert missing.stderr.startswith(f"Error: no database at {root}/project.duckdb — run `marketsql build`")
    run_cli("build", "-p", str(root))
    bad = run_cli("sql", "-p", str(root), "SELECT * FROM no_such_table")
    assert bad.returncode == 1
    assert bad.stderr.startswith("Error: Catalog Error: Table with name no_such_table does not exist")
    assert len(bad.stderr.splitlines()) == 1


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--source", "nosuch=/tmp/x.csv"], "Error: --source nosuch=…: no source named 'nosuch' in marketsql.toml"),
        (["--set", "analysis_date=yesterday"], "Error: marketsql.toml: settings.analysis_date 'yesterday' is not"),
    ],
)
def test_bad_overrides(write_project, args, message):
    result = run_cli("build", "-p", str(write_project()), *args)
    assert result.returncode == 1
    assert result.stderr.startswith(message)


def test_not_a_project(tmp_path):
    result = run_cli("build", "-p", str(tmp_path))
    assert result.returncode == 1
    assert result.stderr.startswith(f"Error: {tmp_path} is not a marketsql project")


def test_init_copies_the_standard_pipeline(tmp_path):
    target = tmp_path / "new"
    result = run_cli("init", str(target))
    assert result.returncode == 0, result.stderr
    copied = sorted(p.relative_to(target).as_posix() for p in (target / "sql").rglob("*.sql"))
    original = sorted(p.relative_to(REPO).as_posix() for p in (REPO / "sql").rglob("*.sql"))
    assert copied == original
    assert (target / "marketsql.toml").read_text() == (REPO / "marketsql.toml").read_text()
    again = run_cli("init", str(target))
    assert again.returncode == 1 and "already a marketsql project" in again.stderr


def test_models_fits_80_columns_and_names_a_losing_model(demo_shop):
    listed = subprocess.run([str(Path(sys.executable).with_name("marketsql")), "models", "-p", str(demo_shop.root)],
                            capture_output=True, text=True, env={**os.environ, "COLUMNS": "80"})
    assert listed.returncode == 0, listed.stderr
    lines = listed.stdout.splitlines()
    assert max(len(line) for line in lines) <= 80, listed.stdout
    assert lines[0].split() == ["model", "ver", "status", "created", "headline"]
    records = marketsql.Project.load(demo_shop.root).models()
    by_name = {line.split()[0]: line for line in lines[2:2 + len(records)]}
    assert set(by_name) == {r.name for r in records}
    for record in records:
        assert by_name[record.name].endswith(record.headline()) and record.headline()
        note = record.baseline_note()
        assert (note is not None) == (f"Note: {record.name} v{record.version}:" in listed.stdout), record.name
    segmentation = next(r for r in records if r.name == "segmentation")
    assert re.fullmatch(r"<ModelRecord segmentation v1 active \w+ \d{4}-\d\d-\d\d \d\d:\d\d: silhouette 0\.\d{3},"
                        r" k=\d+>", repr(segmentation))
    verbose = run_cli("models", "-p", str(demo_shop.root), "--verbose").stdout
    assert "\n  silhouette = 0." in verbose and "\n  davies_bouldin = " in verbose


def test_train_says_when_a_baseline_beats_the_model(demo_copy):
    # revenue by category alone: the message is what is tested, not the whole hierarchy (all cuts: ~5x the time)
    trained = run_cli("train", "forecast", "-p", str(demo_copy), "--measures", "revenue", "--dimensions", "category")
    assert trained.returncode == 0, trained.stderr
    record = next(r for r in marketsql.Project.load(demo_copy).models()
                  if r.name == "forecast" and r.status == "active")
    assert record.metrics["baseline_wins"] > 0              # the demo's naive forecasts win some series …
    assert f"Note: a baseline beats the model — {record.baseline_note()}" in trained.stdout  # … and training says so
    assert record.baseline_note().startswith(f"the seasonal-naive baseline beat the model on"
                                             f" {record.metrics['baseline_wins']} of {record.metrics['series']} series")
