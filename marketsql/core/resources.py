"""Out of memory or disk space during a build: said as such, with what to change, not "fix the SQL".

DuckDB reports both as ordinary errors (``OutOfMemoryException``, ``IOException`` "No space left on
device"); :func:`resource_error` recognises them and names the limit, the file and its mount.
"""

from __future__ import annotations

import errno
import os
import re
import shutil
from pathlib import Path

import duckdb

from marketsql.errors import ResourceError

_USED_RE = re.compile(r"\(([\d.]+ ?\w+)/([\d.]+ ?\w+) used\)")
_FILE_RE = re.compile(r'"([^"]+)"')
_BUILDING_RE = re.compile(r"\.building-\d+$")
_NO_SPACE = ("no space left on device", "disk is full", "disk full", "enospc")
MB = 1 << 20


def resource_error(exc: BaseException, doing: str) -> ResourceError | None:
    """A ResourceError if ``exc`` means memory or disk ran out while ``doing`` (e.g. "building x"), else None."""
    if isinstance(exc, duckdb.OutOfMemoryException | MemoryError):
        used = _USED_RE.search(str(exc))
        limit = used.group(2) if used else "default (80% of RAM)"
        return ResourceError(
            f"out of memory while {doing} (memory_limit={limit}) — raise memory_limit in marketsql.toml"
            " or free memory"
        )
    if _is_disk_full(exc):
        return disk_full(_written_file(exc), doing)
    return None


def disk_full(path: Path | None, doing: str) -> ResourceError:
    """The message for a write to ``path`` that found no space left."""
    if path is None:
        return ResourceError(f"disk full while {doing} — free space where the database and its .tmp folder live")
    mount = mount_point(path)
    written = _size(path)
    temporary = bool(_BUILDING_RE.search(path.name))  # a build's new file: discarded after the failure
    previous = _size(path.with_name(_BUILDING_RE.sub("", path.name))) if temporary else 0
    available = shutil.disk_usage(mount).free + (written if temporary else 0)
    need = f"about {_mb(previous)}" if previous > written else f"more than {_mb(written)}"
    return ResourceError(
        f"disk full writing {path} while {doing} — free space on {mount} (needs {need} MB,"
        f" {_mb(available)} MB available)"
    )


def mount_point(path: Path) -> Path:
    """The mount point of the file system holding ``path`` (or its nearest existing parent)."""
    current = Path(os.path.abspath(path))
    while not current.exists() and current != current.parent:
        current = current.parent
    while not os.path.ismount(current):
        current = current.parent
    return current


def _is_disk_full(exc: BaseException) -> bool:
    if isinstance(exc, OSError) and exc.errno == errno.ENOSPC:
        return True
    return isinstance(exc, duckdb.Error) and any(mark in str(exc).lower() for mark in _NO_SPACE)


def _written_file(exc: BaseException) -> Path | None:
    if isinstance(exc, OSError) and exc.filename:
        return Path(exc.filename)
    match = _FILE_RE.search(str(exc))
    return Path(match.group(1)) if match else None


def _size(path: Path) -> int:
    try:
        return path.stat().st_size if path.is_file() else sum(p.stat().st_size for p in path.rglob("*"))
    except OSError:
        return 0


def _mb(size: int) -> str:
    return f"{size / MB:,.1f}"
