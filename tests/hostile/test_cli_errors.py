"""Hostile command lines: typos, missing arguments, bad values, and every command run where it cannot work.
Each gives one ``Error: …`` line and exit code 1; --help, --version and no arguments still exit 0."""

from __future__ import annotations

from pathlib import Path

import pytest
from conftest import WriteProject, run_cli

from marketsql.cli import app
from marketsql.models import KINDS

from .clirun import error_line, invoke

USAGE = {
    "unknown option": (["build", "--bogus"], "No such option: --bogus — see marketsql build --help"),
    "misspelt option": (["build", "--sorce", "x=y"],
                        "No such option: --sorce (Possible options: --schema, --set, --source)"
                        " — see marketsql build --help"),
    "unknown command": (["biuld"], "No such command 'biuld'. Did you mean 'build'? — see marketsql --help"),
    "missing argument": (["train"], "Missing argument 'model' — see marketsql train --help"),
    "bad int": (["demo", "x", "--customers", "abc"],
                "Invalid value 'abc' for '--customers': Input should be a valid integer, unable to parse string as"
                " an integer — see marketsql demo --help"),
    "bad int, attached": (["demo", "x", "--customers=1e9x"],
                          "Invalid value '1e9x' for '--customers': Input should be a valid integer, unable to parse"
                          " string as an integer — see marketsql demo --help"),
    "option without its value": (["build", "-p"], "Option '-p' requires an argument — see marketsql build --help"),
    "bad choice": (["check", "--target", "oracle"],
                   "Invalid value 'oracle' for --target: use duckdb, postgres, mysql or spark — see marketsql check"
                   " --help"),
    "bad int argument": (["activate", "segmentation", "latest"],
                         "Invalid value for 'version': Input should be a valid integer, unable to parse string as an"
                         " integer — see marketsql activate --help"),
    "out of range": (["sql", "--max-rows", "0", "SELECT 1"],
                     "Invalid value '0' for '--max-rows': Input should be greater than or equal to 1"
                     " — see marketsql sql --help"),
    "extra argument": (["models", "extra"], "Got unexpected extra argument(s) (extra) — see marketsql models --help"),
}


@pytest.mark.parametrize("args, line", USAGE.values(), ids=list(USAGE))
def test_usage_error_is_one_line_with_exit_code_1(args, line):
    assert error_line(*args) == f"Error: {line}"


def test_usage_error_with_debug_shows_the_traceback(tmp_path):
    ran = run_cli("--debug", "build", "--bogus", cwd=tmp_path)
    assert ran.returncode == 1 and "Traceback (most recent call last)" in ran.stderr
    assert ran.stderr.rstrip().endswith(
        "marketsql.errors.UsageError: No such option: --bogus — see marketsql build --help")


@pytest.mark.parametrize("args", [[], ["--help"], ["build", "--help"], ["train", "--help"]], ids=" ".join)
def test_help_still_exits_0(args):
    ran = invoke(*args)
    assert ran.code == 0 and ran.stderr == ""
    assert "Usage: marketsql" in ran.stdout


def test_version_exits_0():
    from importlib.metadata import version

    ran = invoke("--version")
    assert (ran.code, ran.stdout, ran.stderr) == (0, f"marketsql {version('marketsql')}\n", "")


def test_usage_errors_through_the_real_console_script(tmp_path):
    ran = run_cli("build", "--bogus", cwd=tmp_path)
    assert (ran.returncode, ran.stdout, ran.stderr) == (
        1, "", "Error: No such option: --bogus — see marketsql build --help\n")
    ran = run_cli("activate", "segmentation", "latest", cwd=tmp_path)
    assert ran.returncode == 1 and ran.stderr.count("\n") == 1 and "╭" not in ran.stderr
    ran = run_cli(cwd=tmp_path)
    assert ran.returncode == 0 and "Usage: marketsql [OPTIONS] COMMAND [ARGS]..." in ran.stdout
    ran = run_cli("--version", cwd=tmp_path)
    assert ran.returncode == 0 and ran.stdout.startswith("marketsql ")


# Every command, run on: a project folder that does not exist, an empty folder, a project never built, and a
# bad option value. Where the situation is what the command is for (build or check a never-built project, init
# into a new or empty folder), the case says OK; demo, which also takes a new or empty folder, is given a file
# instead (running a whole demo here would take minutes).
MISSING = ("Error: project folder {missing} does not exist — pass the project folder with -p DIR, or run"
           " `marketsql init DIR` to start one")
EMPTY = ("Error: {empty} is not a marketsql project: no marketsql.toml and no [tool.marketsql] in pyproject.toml"
         " — run `marketsql init DIR` to start one")
UNBUILT = "Error: no database at {unbuilt}/project.duckdb — run `marketsql build` (or `marketsql demo`) first"
OK = None
AS_FILE = "Error: cannot create the folder {file}: {file} is a file, not a folder — choose another folder"
UNDER_FILE = ("Error: cannot create the folder {file}/new: {file} is a file, not a folder — choose another"
              " folder")


def not_an_int(option: str, value: str, command: str) -> str:
    return (f"Error: Invalid value '{value}' for '{option}': Input should be a valid integer, unable to parse"
            f" string as an integer — see marketsql {command} --help")


def standard(command: list[str], bad: tuple[list[str], str]) -> dict[str, tuple[list[str], str | None]]:
    """The four situations for a command that takes ``-p``: the same error lines everywhere."""
    return {"missing project": ([*command, "-p", "{missing}"], MISSING),
            "empty folder": ([*command, "-p", "{empty}"], EMPTY),
            "never built": ([*command, "-p", "{unbuilt}"], UNBUILT),
            "bad option value": ([*command, "-p", "{unbuilt}", *bad[0]], bad[1])}


CASES: dict[str, dict[str, tuple[list[str], str | None]]] = {
    "init": {"missing project": (["init", "{missing}"], OK),
             "empty folder": (["init", "{empty}"], OK),
             "never built": (["init", "{unbuilt}"],
                             "Error: {unbuilt} is already a marketsql project — edit it, or choose another folder"),
             "bad option value": (["init", "{file}/new"], UNDER_FILE)},
    "demo": {"missing project": (["demo", "{file}/new"], UNDER_FILE),
             "empty folder": (["demo", "{file}"], AS_FILE),
             "never built": (["demo", "{unbuilt}", "--customers", "0"],
                             "Error: --customers 0: give at least 1 customer"),
             "bad option value": (["demo", "{missing}", "--customers", "many"],
                                  not_an_int("--customers", "many", "demo"))},
    "build": {**standard(["build"], (["--target", "oracle"], "Error: Invalid value 'oracle' for --target: use duckdb"
                                     ", postgres, mysql or spark — see marketsql build --help")),
              "never built": (["build", "-p", "{unbuilt}"], OK)},
    "check": {**standard(["check"], (["--target", "oracle"], "Error: Invalid value 'oracle' for --target: use duckdb"
                                     ", postgres, mysql or spark — see marketsql check --help")),
              "never built": (["check", "-p", "{unbuilt}"], OK)},
    "sql": standard(["sql", "SELECT 1"], (["--format", "xml"], "Error: Invalid value 'xml' for --format: use table,"
                                          " csv, json or markdown — see marketsql sql --help")),
    "train segmentation": standard(["train", "segmentation"], (["--k-min", "few"],
                                                               not_an_int("--k-min", "few", "train"))),
    "train recommendation": standard(["train", "recommendation"], (["--holdout-days", "30d"],
                                                                   not_an_int("--holdout-days", "30d", "train"))),
    "train positioning": standard(["train", "positioning"], (["--seed", "x"], not_an_int("--seed", "x", "train"))),
    "train forecast": standard(["train", "forecast"], (["--horizon", "6m"], not_an_int("--horizon", "6m", "train"))),
    "train budget": standard(["train", "budget"], (["--holdout", "all"], not_an_int("--holdout", "all", "train"))),
    "train clv": standard(["train", "clv"], (["--horizon-days", "1y"], not_an_int("--horizon-days", "1y", "train"))),
    "train propensity": standard(["train", "propensity"], (["--horizon-days", "1m"],
                                                           not_an_int("--horizon-days", "1m", "train"))),
    "train uplift": standard(["train", "uplift"], (["--seed", "x"], not_an_int("--seed", "x", "train"))),
    "models": standard(["models"], (["--bogus"], "Error: No such option: --bogus (Possible options: --verbose)"
                                                 " — see marketsql models --help")),
    "activate": standard(["activate", "segmentation", "1"], (["--bogus"], "Error: No such option: --bogus — see"
                                                             " marketsql activate --help")),
    "report": standard(["report"], (["-o", "{unbuilt}"], "Error: {unbuilt} is a folder — give a file name such as"
                                    " {unbuilt}/report.html")),
    "budget": standard(["budget", "--total", "1000"], (["--min", "tv"], "Error: Invalid value 'tv' for --min: 'tv'"
                                                       " is not NAME=VALUE — see marketsql budget --help")),
    "position": standard(["position", "--brand", "acme"], (["--top", "five"], not_an_int("--top", "five", "position"))),
    "explain-change": standard(["explain-change", "--from", "2024-10", "--to", "2024-11"],
                               (["--top", "few"], not_an_int("--top", "few", "explain-change"))),
    "target": standard(["target", "--target", "repeat", "--budget", "10", "--cost-per-contact", "1"],
                       (["--budget", "lots"], "Error: Invalid value 'lots' for '--budget': Input should be a valid"
                                              " number, unable to parse string as a number — see marketsql target"
                                              " --help")),
}


def test_every_command_and_model_kind_has_cases():
    commands = [c.name or c.callback.__name__ for c in app.registered_commands if c.callback is not None]
    assert sorted({name.split()[0] for name in CASES}) == sorted(commands)
    assert sorted(name.split()[1] for name in CASES if name.startswith("train ")) == sorted(KINDS)


@pytest.fixture
def places(tmp_path: Path, write_project: WriteProject) -> dict[str, str]:
    (tmp_path / "empty").mkdir()
    (tmp_path / "file").write_text("not a folder\n")
    return {"missing": str(tmp_path / "missing"), "empty": str(tmp_path / "empty"),
            "unbuilt": str(write_project()), "file": str(tmp_path / "file")}


@pytest.mark.parametrize("situation", ["missing project", "empty folder", "never built", "bad option value"])
@pytest.mark.parametrize("command", list(CASES))
def test_every_command_where_it_cannot_work(places, command, situation):
    args, line = CASES[command][situation]
    args = [arg.format(**places) for arg in args]
    if line is OK:
        ran = invoke(*args)
        assert ran.code == 0 and ran.stderr == "", ran.stderr
    else:
        assert error_line(*args) == line.format(**places)
