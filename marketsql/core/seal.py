"""The seal a build leaves on its database file, so that a later refresh knows the file is still that build's.

A refresh (see :mod:`marketsql.refresh`) copies the database and recreates only what reads a model; that is only
the full rebuild's result if nothing wrote into the file since the build and the project's SQL, UDFs, sources and
settings are the ones it was built from. DuckDB counts checkpoints in its database header (the "iteration"): every
checkpoint that writes anything raises it, a read-only or idle connection leaves it. The build records the
iteration its final checkpoint will give the file, with a fingerprint of the project, in ``meta.build_seals``.
"""

from __future__ import annotations

import hashlib
import inspect
import struct
from collections.abc import Mapping
from pathlib import Path

import duckdb

from marketsql.version import __version__

from .config import ProjectConfig
from .udfs import Udf
from .views import ViewFile

_HEADERS = (4096, 8192)  # DuckDB's two database headers: checksum (8 bytes), then the iteration (8 bytes)


def iteration(path: Path) -> int | None:
    """The checkpoint count in the active database header of ``path`` (None: not a readable DuckDB file)."""
    try:
        with path.open("rb") as file:
            head = file.read(_HEADERS[-1] + 16)
    except OSError:
        return None
    if len(head) < _HEADERS[-1] + 16 or head[8:12] != b"DUCK":
        return None
    return max(struct.unpack_from("<Q", head, offset + 8)[0] for offset in _HEADERS)


def fingerprint(config: ProjectConfig, views: Mapping[str, ViewFile], udfs: Mapping[str, Udf]) -> str:
    """SHA-256 of what a build reads besides the data: marketsql's version, the sources' configuration and the
    settings, every view's SQL and markers, and the source file of every Python UDF."""
    digest = hashlib.sha256(__version__.encode())
    for name in sorted(config.sources):
        digest.update(f"\0source {name} {config.sources[name]!r}".encode())
    digest.update(f"\0settings {sorted(config.settings.items())!r}".encode())
    for name in sorted(views):
        view = views[name]
        digest.update(f"\0view {name} {view.materialized} {sorted(view.requires)} {view.optional!r}\n".encode())
        digest.update(view.sql.encode())
    for name in sorted(udfs):
        udf = udfs[name]
        digest.update(f"\0udf {name} {udf.params} {udf.returns}\n".encode())
        try:
            digest.update(Path(inspect.getfile(udf.func)).read_bytes())
        except (OSError, TypeError):
            digest.update(b"?")
    return digest.hexdigest()


def finish(con: duckdb.DuckDBPyConnection, path: Path, build_id: int, project: str) -> None:
    """CHECKPOINT the new database at ``path`` and seal it: the row written here is the final checkpoint's."""
    con.execute("CHECKPOINT")
    now = iteration(path)
    if now is not None:
        con.execute("INSERT INTO meta.build_seals VALUES (?, ?, ?)", [build_id, now + 1, project])
        con.execute("CHECKPOINT")


def broken(con: duckdb.DuckDBPyConnection, path: Path, project: str) -> str | None:
    """Why the database ``path`` (opened as ``con``) is not exactly what its last build left, or None."""
    try:
        rows = con.execute("SELECT s.iteration, s.project FROM meta.builds AS b LEFT JOIN meta.build_seals AS s"
                           " USING (build_id) ORDER BY b.build_id DESC LIMIT 1").fetchall()
    except duckdb.CatalogException:
        rows = []
    if not rows or rows[0][0] is None:
        return "the last build left no seal (it was made by an older marketsql)"
    if rows[0][0] != iteration(path):
        return "the database was written after its last build (e.g. `sql --write`, `target`, `train --no-rebuild`)"
    if rows[0][1] != project:
        return "the project's SQL, UDFs, sources or settings changed since the last build"
    return None
