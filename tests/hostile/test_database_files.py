"""Hostile database files and places: a damaged previous database, a folder or a file in the way, a place
that cannot be written, a symlink loop — each is one Error: line naming the path and the fix, before any work."""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import duckdb
import pytest
from conftest import SMALL_PROJECT, WriteProject, run_cli

import marketsql

from .clirun import error_line, invoke

FIX = "— move it aside (mv {db} {db}.corrupt) and build again"


@pytest.fixture
def built(write_project: WriteProject) -> tuple[Path, Path]:
    """The small project, built: (root, database file)."""
    root = write_project()
    project = marketsql.Project.load(root)
    project.build()
    return root, project.database


def damage(db: Path, how: str) -> str:
    """Damage the database file ``how``; return DuckDB's (or marketsql's) reason it gives."""
    data = db.read_bytes()
    if how == "garbage":
        db.write_bytes(b"this is not a database\n" * 2000)
        return f'The file "{db}" exists, but it is not a valid DuckDB database file!'
    if how == "zero bytes":
        db.write_bytes(b"")
        return f'The file "{db}" exists, but it is not a valid DuckDB database file!'
    if how == "truncated copy":  # opens fine: DuckDB reads blocks lazily
        db.write_bytes(data[: len(data) // 2])
        return f"{len(data) // 2:,} bytes, but the blocks in use need {len(data):,}: a truncated copy"
    if how == "truncated to its headers":
        db.write_bytes(data[:4096])
        return f'Could not read enough bytes from file "{db}": attempted to read 4096 bytes from location 4096'
    raise AssertionError(how)


DAMAGE = ["garbage", "zero bytes", "truncated copy", "truncated to its headers"]
COMMANDS = {"build": ["build"], "sql": ["sql", "SELECT 1"], "models": ["models"], "report": ["report"],
            "train": ["train", "segmentation"], "activate": ["activate", "segmentation", "1"]}


@pytest.mark.parametrize("how", DAMAGE)
@pytest.mark.parametrize("command", COMMANDS.values(), ids=list(COMMANDS))
def test_damaged_database_says_how_to_move_it_aside(built, how, command):
    root, db = built
    reason = damage(db, how)
    expected = f"Error: the database {db} is not a valid DuckDB file ({reason}) {FIX.format(db=db)}"
    assert error_line(*command, "-p", str(root)) == expected


@pytest.mark.parametrize("how", DAMAGE)
def test_following_the_advice_builds_again(built, how):
    root, db = built
    damage(db, how)
    with pytest.raises(marketsql.CorruptDatabaseError):
        marketsql.connect(root).close()
    db.rename(f"{db}.corrupt")  # what the message says to do
    ran = invoke("build", "-p", str(root))
    assert ran.code == 0, ran.stderr
    con = marketsql.connect(root, read_only=True)
    assert con.execute("SELECT count(*) FROM customer_revenue").fetchall() == [(2,)]
    con.close()


def foreign_wal(tmp_path: Path) -> Path:
    """A write-ahead log written for another database file."""
    other = tmp_path / "other.duckdb"
    con = duckdb.connect(str(other))
    con.execute("CREATE TABLE t (x INTEGER)")
    con.execute("CHECKPOINT")
    con.execute("SET wal_autocheckpoint = '1TB'")
    con.execute("INSERT INTO t SELECT range FROM range(1000)")
    wal = tmp_path / "stolen.wal"
    shutil.copyfile(f"{other}.wal", wal)
    con.close()
    return wal


@pytest.mark.parametrize("command", COMMANDS.values(), ids=list(COMMANDS))
def test_wal_of_another_file(built, tmp_path, command):
    root, db = built
    wal = Path(f"{db}.wal")
    shutil.copyfile(foreign_wal(tmp_path), wal)
    assert error_line(*command, "-p", str(root)) == (
        f"Error: the write-ahead log {wal} does not belong to the database {db} (Failure while replaying WAL file"
        f' "{wal}": WAL does not match database file.) — move it aside (mv {wal} {wal}.corrupt) and build again')
    wal.rename(f"{wal}.corrupt")
    assert invoke("build", "-p", str(root)).code == 0


def test_database_path_is_a_folder(write_project):
    root = write_project()
    (root / "project.duckdb").mkdir()
    line = (f"Error: the database path {root / 'project.duckdb'} is a folder — remove or rename the folder, or set"
            ' database = "NAME.duckdb" in the project config')
    assert error_line("build", "-p", str(root)) == line
    assert error_line("sql", "-p", str(root), "SELECT 1") == line


def test_database_path_is_a_named_pipe(write_project):
    root = write_project()
    os.mkfifo(root / "project.duckdb")
    line = f"Error: the database path {root / 'project.duckdb'} is a named pipe, not a file — set database ="
    for command in (["build"], ["sql", "SELECT 1"]):  # a subprocess with a timeout: opening a pipe would block
        ran = run_cli(*command, "-p", str(root), timeout=60)
        assert ran.returncode == 1 and ran.stderr.startswith(line) and ran.stderr.count("\n") == 1, ran.stderr


def test_database_under_a_regular_file(write_project):
    root = write_project({"marketsql.toml": SMALL_PROJECT["marketsql.toml"].replace(
        '"project.duckdb"', '"data/orders.csv/project.duckdb"')})
    assert error_line("build", "-p", str(root)) == (
        f"Error: cannot write the database {root}/data/orders.csv/project.duckdb: {root}/data/orders.csv is a file,"
        " not a folder — change database in the project config")


@pytest.fixture
def unwritable_folder(tmp_path: Path) -> Path:
    """A folder this process cannot create files in (a chmod'ed folder, or /sys when running as root)."""
    if os.geteuid() != 0:
        folder = tmp_path / "read-only"
        folder.mkdir()
        folder.chmod(0o555)
        yield folder
        folder.chmod(0o755)
        return
    folder = Path("/sys")
    try:
        (folder / "marketsql-probe").touch()
    except OSError:
        yield folder
        return
    pytest.skip("no read-only folder available to root here")


def test_database_in_a_read_only_folder(write_project, unwritable_folder):
    db = unwritable_folder / "project.duckdb"
    root = write_project({"marketsql.toml": SMALL_PROJECT["marketsql.toml"].replace('"project.duckdb"', f'"{db}"')})
    assert error_line("build", "-p", str(root)) == (
        f"Error: cannot write the database {db}: the folder {unwritable_folder} is not writable (Permission denied)"
        " — change database in the project config, or make the folder writable")


def test_database_is_a_symlink_loop(write_project):
    root = write_project()
    loop = root / "project.duckdb"
    loop.symlink_to(loop)
    line = (f"Error: the database {loop} is a symlink loop (Symlink loop from '{loop}') — remove the link"
            f" (rm {loop}) or point it at a real path")
    assert error_line("build", "-p", str(root)) == line
    assert error_line("sql", "-p", str(root), "SELECT 1") == line


def test_report_to_a_folder_a_pipe_an_unwritable_place_or_under_a_file(built, unwritable_folder):
    root, _ = built
    assert error_line("report", "-p", str(root), "-o", str(root)) == (
        f"Error: {root} is a folder — give a file name such as {root / 'report.html'}")
    target = unwritable_folder / "report.html"
    assert error_line("report", "-p", str(root), "-o", str(target)) == (
        f"Error: cannot write the output {target}: the folder {unwritable_folder} is not writable (Permission"
        " denied) — choose another --output, or make the folder writable")
    pipe = root / "report.fifo"
    os.mkfifo(pipe)
    assert error_line("report", "-p", str(root), "-o", str(pipe)) == (
        f"Error: {pipe} is a named pipe, not a file — give a file name such as report.html")
    assert pipe.is_fifo()
    under = root / "data" / "orders.csv" / "report.html"
    assert error_line("report", "-p", str(root), "-o", str(under)) == (
        f"Error: cannot write the output {under}: {root}/data/orders.csv is a file, not a folder"
        " — choose another --output")
