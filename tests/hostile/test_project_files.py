"""Hostile project files: a view nested 100 deep, a symlink loop or bad bytes in sql/, and UDF modules that
exit or interrupt at import — each one Error: line naming the file, never a traceback or a silent exit."""

from __future__ import annotations

import pytest

from .clirun import error_line


def nested(depth: int) -> str:
    sql = "SELECT 1 AS x"
    for level in range(depth):
        sql = f"SELECT x FROM ({sql}) AS t{level}"
    return sql


def test_view_nested_100_deep_names_the_file(write_project):
    root = write_project({"sql/deep.sql": nested(100)})
    assert error_line("check", "-p", str(root)) == (
        "Error: sql/deep.sql: the query is nested too deeply for marketsql's SQL parser (Python recursion limit)"
        " — flatten it with WITH … AS (…) steps")


def test_view_nested_40_deep_still_builds(write_project):
    root = write_project({"sql/deep.sql": nested(40)})
    from .clirun import invoke

    ran = invoke("build", "-p", str(root))
    assert ran.code == 0, ran.stderr


def test_symlink_loop_in_sql_folder(write_project):
    root = write_project()
    loop = root / "sql" / "loop.sql"
    loop.symlink_to(loop)
    assert error_line("build", "-p", str(root)) == f"Error: sql/loop.sql is a symlink loop — fix or remove {loop}"


def test_sql_file_that_is_not_utf8(write_project):
    root = write_project()
    (root / "sql" / "latin1.sql").write_bytes("SELECT 'café' AS x".encode("latin-1"))
    assert error_line("check", "-p", str(root)) == (
        "Error: sql/latin1.sql: not UTF-8 text (invalid continuation byte at byte 11) — save the file as UTF-8")


EXITS = {
    "sys.exit()": ("import sys\nsys.exit()\n", 2, "SystemExit(None): the module exits at import"
                   " (sys.exit() or raise SystemExit)"),
    "sys.exit(3)": ("import sys\n\nsys.exit(3)\n", 3, "SystemExit(3): the module exits at import"
                    " (sys.exit() or raise SystemExit)"),
    "raise SystemExit('bye')": ("raise SystemExit('bye')\n", 1, "SystemExit('bye'): the module exits at import"
                                " (sys.exit() or raise SystemExit)"),
    "raise KeyboardInterrupt": ("x = 1\nraise KeyboardInterrupt\n", 2, "KeyboardInterrupt"),
}


@pytest.mark.parametrize("code, line, what", EXITS.values(), ids=list(EXITS))
@pytest.mark.parametrize("command", [["check"], ["build"]], ids=" ".join)
def test_udf_module_that_exits_at_import(write_project, command, code, line, what):
    root = write_project({"udfs/quits.py": code})
    assert error_line(*command, "-p", str(root)) == (
        f"Error: udfs/quits.py, line {line}: failed to import: {what} — fix the module (--debug shows the traceback)")
