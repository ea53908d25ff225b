"""Checking, before any work, that a file marketsql will write can be written where it is asked to go.

Each check names the path and what to change, instead of a traceback halfway through a build.
"""

from __future__ import annotations

import tempfile
from pathlib import Path

from marketsql.errors import ConfigError, MarketsqlError


def prepare_database_folder(path: Path) -> None:
    """Make sure the database ``path`` can be created or replaced: not a folder, under a writable folder."""
    if path.is_dir():
        raise ConfigError(f"the database path {path} is a folder — remove or rename the folder, or set"
                          " database = \"NAME.duckdb\" in the project config")
    if special_kind(path):
        raise ConfigError(f"the database path {path} is {special_kind(path)}, not a file — set database ="
                          " \"NAME.duckdb\" in the project config")
    _writable_folder(path, "the database", "change database in the project config")


def prepare_folder(path: Path, fix: str) -> None:
    """Create the folder ``path`` (and its parents), or say which file is in the way or why it cannot be made."""
    blocker = next((p for p in (path, *path.parents) if p.exists() and not p.is_dir()), None)
    if blocker is not None:
        raise MarketsqlError(f"cannot create the folder {path}: {blocker} is a file, not a folder — {fix}")
    try:
        path.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise MarketsqlError(f"cannot create the folder {path}: {exc.strerror or exc} — {fix}") from exc


def check_output_file(path: Path, option: str) -> None:
    """Make sure an output file (e.g. the report) can be written at ``path``; ``option`` is how it was given."""
    if path.is_dir():
        raise MarketsqlError(f"{path} is a folder — give a file name such as {path / 'report.html'}")
    if special_kind(path):
        raise MarketsqlError(f"{path} is {special_kind(path)}, not a file — give a file name such as report.html")
    if not path.parent.exists() and not path.parent.is_symlink():
        raise MarketsqlError(f"{path.parent} does not exist — create the folder or choose another {option}")
    _writable_folder(path, "the output", f"choose another {option}", create=False)


def special_kind(path: Path) -> str | None:
    """What ``path`` is if it exists but is neither a regular file nor a folder, e.g. "a named pipe"."""
    kinds = {"a named pipe": path.is_fifo, "a device": lambda: path.is_char_device() or path.is_block_device(),
             "a socket": path.is_socket}
    return next((name for name, test in kinds.items() if test()), None)


def _writable_folder(path: Path, what: str, fix: str, create: bool = True) -> None:
    """The folder of ``path`` exists (created if ``create``) and a file can be written in it."""
    blocker = next((p for p in path.parents if p.exists() and not p.is_dir()), None)
    if blocker is not None:
        raise MarketsqlError(f"cannot write {what} {path}: {blocker} is a file, not a folder — {fix}")
    try:
        if create:
            path.parent.mkdir(parents=True, exist_ok=True)
        with tempfile.TemporaryFile(dir=path.parent, prefix=f".{path.name}.probe-"):
            pass
    except OSError as exc:
        raise MarketsqlError(f"cannot write {what} {path}: the folder {path.parent} is not writable"
                             f" ({exc.strerror or exc}) — {fix}, or make the folder writable") from exc


def standard_pipeline() -> Path:
    """The folder holding the standard pipeline's ``sql/`` and ``udfs/``."""
    package = Path(__file__).resolve().parents[1]
    for candidate in (package / "_pipeline", package.parent):
        if all((candidate / part).exists() for part in ("sql", "udfs", "marketsql.toml")):
            return candidate
    raise ConfigError("the standard pipeline (sql/, udfs/) is missing from this installation — reinstall marketsql")
