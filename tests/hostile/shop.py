"""What every hostile test checks after an attack: the database opens and agrees with itself."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path

import marketsql
from marketsql.models.segmentation import FEATURES

ARGS = ", ".join(f"f.{name}" for name in FEATURES)


def versions(root: Path, name: str = "segmentation") -> list[tuple[int, str]]:
    """(version, status) of every registered version of model ``name``, oldest first."""
    con = marketsql.connect(root, read_only=True)
    try:
        rows = con.execute("SELECT version, status FROM meta.models WHERE name = ? ORDER BY version", [name])
        return [(int(v), str(s)) for v, s in rows.fetchall()]
    finally:
        con.close()


def active_version(root: Path) -> int:
    """The active segmentation version (exactly one must be active)."""
    active = [v for v, status in versions(root) if status == "active"]
    assert len(active) == 1, versions(root)
    return active[0]


def assert_consistent(root: Path) -> int:
    """The database opens, and the active segmentation version is the one compiled into the file: the
    ``segment()`` macro equals the ``segment_py()`` UDF (loaded from the registry) for every customer, and
    the ``customer_segments`` mart holds that segment. Returns the active version."""
    version = active_version(root)
    con = marketsql.connect(root, read_only=True)
    try:
        customers, macro_vs_udf, mart_vs_udf = con.execute(
            f"SELECT count(*), count(*) FILTER (WHERE segment({ARGS}) IS DISTINCT FROM segment_py({ARGS})),"
            f" count(*) FILTER (WHERE s.segment_id IS DISTINCT FROM segment_py({ARGS}))"
            " FROM customer_features AS f LEFT JOIN customer_segments AS s USING (customer_id)"
        ).fetchall()[0]
    finally:
        con.close()
    assert customers > 0
    assert (macro_vs_udf, mart_vs_udf) == (0, 0), f"v{version} active, but {macro_vs_udf} of {customers} customers" \
        f" differ between segment() and segment_py(), {mart_vs_udf} between customer_segments and segment_py()"
    return version


def leftovers(root: Path) -> list[str]:
    """Temporary files a build or train left next to the database."""
    return sorted(p.name for p in root.iterdir() if ".building-" in p.name or p.name.endswith(".wal"))


def start_cli(*args: str) -> subprocess.Popen[str]:
    """Start the real ``marketsql`` command without waiting for it."""
    command = [str(Path(sys.executable).with_name("marketsql")), *args]
    return subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                            env={**os.environ, "COLUMNS": "200"})


def kill(process: subprocess.Popen[str], signum: int = signal.SIGKILL) -> tuple[int, str, str]:
    """Send ``signum`` (if still running), wait; return (exit code, stdout, stderr)."""
    if process.poll() is None:
        process.send_signal(signum)
    stdout, stderr = process.communicate(timeout=300)
    return process.returncode, stdout, stderr


def finish(process: subprocess.Popen[str]) -> tuple[int, str, str]:
    """Wait for a started command; return (exit code, stdout, stderr)."""
    stdout, stderr = process.communicate(timeout=300)
    return process.returncode, stdout, stderr


def wait_for(process: subprocess.Popen[str], ready: Callable[[], bool], seconds: float = 120) -> None:
    """Poll until ``ready()`` while ``process`` runs (its output if it ends first), at most ``seconds``."""
    deadline = time.monotonic() + seconds
    while not ready():
        assert process.poll() is None, process.communicate()
        assert time.monotonic() < deadline, "the command never got there"
        time.sleep(0.01)


def scalar(root: Path, sql: str) -> int:
    """The one integer ``sql`` gives on the project database of ``root`` (read-only)."""
    con = marketsql.connect(root, read_only=True)
    try:
        return int(con.execute(sql).fetchall()[0][0])
    finally:
        con.close()
