"""Opening, creating and atomically replacing the project's DuckDB file.

Files are written with ``STORAGE_VERSION 'v1.4.0'`` so that the DuckDB command-line tool from
PyPI (duckdb-cli 1.5.x) opens them too.
"""

from __future__ import annotations

import contextlib
import fcntl
import os
import re
import stat
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import duckdb

from marketsql.errors import CorruptDatabaseError, DatabaseLockedError, MarketsqlError

from .locations import special_kind

STORAGE_VERSION = "v1.4.0"
_PID_RE = re.compile(r"\(PID (\d+)\)")
_HEADER_BYTES = 3 * 4096  # DuckDB's file header and its two database headers come before the first block
_DAMAGE_MARKS = ("not a valid DuckDB database file", "Could not read enough bytes", "Corrupt database file",
                 "does not match stored checksum", "WAL does not match", "Failure while replaying WAL")
_DAMAGED_FILE_RE = re.compile(r'(?:from|to|in) file "([^"]+)"')


def connect(path: Path, read_only: bool = False) -> duckdb.DuckDBPyConnection:
    """Open an existing database file, turning a lock conflict into DatabaseLockedError."""
    if not path.exists():
        raise MarketsqlError(f"no database at {path} — run `marketsql build` (or `marketsql demo`) first")
    if not path.is_file():  # a folder or a named pipe: DuckDB would fail, or wait forever on the pipe
        raise unreadable(path, OSError("not a regular file"))
    try:
        con = duckdb.connect(str(path), read_only=read_only)
    except duckdb.Error as exc:
        raise _locked(path, exc) from exc
    try:
        _progress_bar_only_on_a_terminal(con)
        check_intact(con, path)
    except BaseException:
        con.close()
        raise
    return con


def _progress_bar_only_on_a_terminal(con: duckdb.DuckDBPyConnection) -> None:
    """DuckDB draws a progress bar for queries over 2 s; piped into a log or a file it is a screen of junk."""
    if not sys.stderr.isatty():
        con.execute("SET enable_progress_bar = false")


def create(path: Path) -> duckdb.DuckDBPyConnection:
    """Create a new database file readable by older DuckDB clients and return a connection to it."""
    return attach(path, f" (STORAGE_VERSION '{STORAGE_VERSION}')")


def attach(path: Path, options: str = "") -> duckdb.DuckDBPyConnection:
    """A connection to the database file ``path`` (created if missing) under the catalog name every build uses
    (``project``; the file's own name, e.g. ``marketsql.duckdb.building-42``, would be another each time)."""
    con = duckdb.connect(":memory:")
    try:
        _progress_bar_only_on_a_terminal(con)
        con.execute(f"ATTACH '{_escape(path)}' AS project{options}")
        con.execute("USE project")
    except BaseException:
        con.close()
        raise
    return con


def ensure_unlocked(path: Path) -> None:
    """Fail early if another process holds the database; fold a left-over WAL into the file.

    After this the file has no WAL, so replacing it cannot pair the new file with a stale log.
    """
    if not path.exists():
        return
    wal = Path(str(path) + ".wal")
    try:
        con = duckdb.connect(str(path), read_only=not wal.exists())
    except duckdb.Error as exc:
        raise _locked(path, exc) from exc
    try:
        check_intact(con, path)
        if wal.exists():
            con.execute("CHECKPOINT")
    finally:
        con.close()


replaced: list[Path] = []  # databases this process has replaced (an interrupt after that must not say "unchanged")
_HELD: dict[Path, int] = {}  # lock files this process holds, with how many nested holders


@contextlib.contextmanager
def writer_lock(path: Path, doing: str = "build") -> Iterator[None]:
    """The one lock every writer of the database takes (build, train, activate, ``sql --write``, demo).

    An flock on ``<db>.lock``, which holds the holder's PID and what it is doing; a second writer is
    refused at once with that line. Re-entrant within one process (train holds it across its rebuild).
    """
    lock_path = path.with_name(path.name + ".lock")
    if _HELD.get(lock_path):
        _HELD[lock_path] += 1
        try:
            yield
        finally:
            _HELD[lock_path] -= 1
        return
    fd = os.open(lock_path, os.O_RDWR | os.O_CREAT, 0o644)
    try:
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError as exc:
            raise DatabaseLockedError(
                f"{path} is being written by {_holder(fd)} — wait for it to finish, then retry"
            ) from exc
        os.ftruncate(fd, 0)
        os.pwrite(fd, f"{os.getpid()} {doing}\n".encode(), 0)
        _HELD[lock_path] = 1
        try:
            yield
        finally:
            del _HELD[lock_path]
            os.ftruncate(fd, 0)
            fcntl.flock(fd, fcntl.LOCK_UN)
    finally:
        os.close(fd)


build_lock = writer_lock  # the name older callers use


def _holder(fd: int) -> str:
    """``PID 123 (train segmentation)`` from a held lock file, or a vaguer phrase while it is being written."""
    for _ in range(20):  # the holder writes its line right after taking the lock
        pid, _, doing = os.pread(fd, 4096, 0).decode(errors="replace").strip().partition(" ")
        if pid.isdigit():
            return f"PID {pid} ({doing or 'marketsql'})"
        time.sleep(0.05)
    return "another marketsql process"


def temp_path(path: Path) -> Path:
    """The file a build writes before it replaces ``path``."""
    return path.with_name(f"{path.name}.building-{os.getpid()}")


def remove_stale_temps(path: Path) -> None:
    """Delete what killed builds left behind (their process is gone)."""
    for leftover in path.parent.glob(f"{path.name}.building-*"):
        pid = leftover.name.rsplit("-", 1)[-1].removesuffix(".wal")
        if pid.isdigit() and not process_alive(int(pid)):
            leftover.unlink(missing_ok=True)


def discard(temp: Path) -> None:
    """Remove a build's temporary file and its WAL."""
    temp.unlink(missing_ok=True)
    Path(str(temp) + ".wal").unlink(missing_ok=True)


def replace(temp: Path, path: Path) -> None:
    """Atomically put the finished build in place of the previous database."""
    if Path(str(temp) + ".wal").exists():
        raise MarketsqlError(f"internal: {temp} still has a WAL after CHECKPOINT; not replacing {path}")
    keep_owner_and_mode(path, temp)
    os.replace(temp, path)
    replaced.append(path)


def keep_owner_and_mode(previous: Path, new: Path) -> None:
    """Give ``new`` the permission bits, owner and group of ``previous`` (if it exists)."""
    try:
        status = previous.stat()
    except FileNotFoundError:
        return
    os.chmod(new, stat.S_IMODE(status.st_mode))
    with contextlib.suppress(PermissionError):  # only root may give a file away; a group we belong to is fine
        os.chown(new, status.st_uid, status.st_gid)


def process_alive(pid: int) -> bool:
    """Whether process ``pid`` still runs (a temporary file named after a gone process is stale)."""
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def _locked(path: Path, exc: Exception) -> MarketsqlError:
    text = str(exc)
    if "lock" not in text.lower():
        return unreadable(path, exc)
    match = _PID_RE.search(text)
    holder = f" (PID {match.group(1)})" if match else ""
    return DatabaseLockedError(
        f"{path} is locked by another process{holder} — close that program (DuckDB CLI, notebook, BI tool)"
        " and retry"
    )


def unreadable(path: Path, exc: BaseException) -> MarketsqlError:
    """Why DuckDB cannot open or read ``path``: a folder, a damaged file, a stray WAL, or its own reason."""
    reason = _reason(exc)
    wal = Path(str(path) + ".wal")
    if path.is_dir() or special_kind(path):
        what = "a folder — remove or rename the folder, or" if path.is_dir() else f"{special_kind(path)}, not a file —"
        return MarketsqlError(f"the database path {path} is {what} set database = \"NAME.duckdb\""
                              " in the project config")
    if "WAL" in reason and wal.exists():
        return CorruptDatabaseError(f"the write-ahead log {wal} does not belong to the database {path} ({reason})"
                                    f" — move it aside (mv {wal} {wal}.corrupt) and build again")
    if any(mark in reason for mark in _DAMAGE_MARKS):
        return corrupt(path, reason)
    return MarketsqlError(f"cannot open the database {path}: {reason} — check the file and its folder,"
                          f" or move it aside (mv {path} {path}.corrupt) and build again")


def corrupt(path: Path | str, reason: str) -> CorruptDatabaseError:
    """The one message for a damaged database file: what DuckDB said and how to get past it."""
    return CorruptDatabaseError(f"the database {path} is not a valid DuckDB file ({reason})"
                                f" — move it aside (mv {path} {path}.corrupt) and build again")


def damaged(exc: duckdb.Error, path: Path | None = None) -> CorruptDatabaseError | None:
    """A query failed on a damaged block (checksum, short read): the error to show instead, else None."""
    reason = _reason(exc)
    if not any(mark in reason for mark in _DAMAGE_MARKS):
        return None
    named = _DAMAGED_FILE_RE.search(reason)
    where = path if path is not None else named.group(1) if named else None
    if where is not None:
        return corrupt(where, reason)
    return CorruptDatabaseError(f"the project's database file is damaged ({reason}) — move it aside"
                                " (mv FILE FILE.corrupt, FILE: the database in the project config) and build again")


def check_intact(con: duckdb.DuckDBPyConnection, path: Path, catalog: str | None = None) -> None:
    """Raise CorruptDatabaseError if ``path`` is too short to hold the blocks in use (a truncated copy).

    DuckDB reads blocks lazily, so a truncated file opens and fails only on the query that reaches its end.
    """
    if Path(str(path) + ".wal").exists():  # blocks in a WAL are not in the file yet
        return
    rows = con.execute("SELECT block_size, used_blocks FROM pragma_database_size()"  # free blocks at the end
                       " WHERE database_name = coalesce(?, current_database())", [catalog]).fetchall()  # get cut off
    if not rows:
        return
    needed = _HEADER_BYTES + int(rows[0][0]) * int(rows[0][1])
    size = path.stat().st_size
    if size < needed:
        raise corrupt(path, f"{size:,} bytes, but the blocks in use need {needed:,}: a truncated copy")


def _reason(exc: BaseException) -> str:
    text = str(exc).strip()
    return (text.splitlines()[0] if text else type(exc).__name__).removeprefix("IO Error: ")


def _escape(path: Path) -> str:
    return str(path).replace("'", "''")
