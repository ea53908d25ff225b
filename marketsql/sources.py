"""Loading raw sources (CSV, gzipped CSV, Parquet, globs) into schema ``raw``.

Each table gets a ``_source_row`` column (1-based, in file order) so that every cleaned or
quarantined row can be traced back to its line. CSV columns are read as text; the columns a
source declares are required and cast to their declared types, and a value that does not parse
stops the build with its file, column, row and value. The happy path reads the files once.
"""

from __future__ import annotations

import glob
import hashlib
import time
from dataclasses import dataclass
from pathlib import Path

import duckdb

from .config import SourceConfig
from .errors import SourceError
from .sqltext import literal, quote_ident


@dataclass(frozen=True)
class SourceLoad:
    """What loading one source did, for the build manifest."""

    name: str
    files: tuple[str, ...]
    bytes: int
    sha256: str
    rows: int
    seconds: float


def resolve_files(source: SourceConfig) -> list[str]:
    """Expand the source's paths and globs; raise SourceError if nothing matches."""
    files: list[str] = []
    for pattern in source.paths:
        matches = sorted(glob.glob(pattern)) if glob.has_magic(pattern) else [pattern]
        matches = [m for m in matches if Path(m).is_file()]
        if not matches:
            raise SourceError(
                f"source {source.name}: no file at {pattern} — check the path in the project config"
                f" or pass --source {source.name}=PATH"
            )
        files.extend(matches)
    return files


def fingerprint(files: list[str]) -> tuple[int, str]:
    """Total size and sha256 over the contents of the files, in order."""
    digest = hashlib.sha256()
    size = 0
    for name in files:
        with open(name, "rb") as handle:
            while block := handle.read(1 << 20):
                digest.update(block)
                size += len(block)
    return size, digest.hexdigest()


def load_source(con: duckdb.DuckDBPyConnection, source: SourceConfig) -> SourceLoad:
    """Create ``raw.<name>`` from the source's files and return what was loaded."""
    started = time.perf_counter()
    files = resolve_files(source)
    size, sha = fingerprint(files)
    for name in files:
        if Path(name).stat().st_size == 0:
            raise SourceError(f"source {source.name}: {name} is empty (0 bytes) — re-export the file")
    reader = _reader(source, files)
    columns = _columns(con, source, reader, files)
    _check_required(source, columns, files)
    table = f"raw.{quote_ident(source.name)}"
    select = ", ".join(_cast(c, source.columns.get(c)) for c in columns)
    try:
        con.execute(f"CREATE TABLE {table} AS SELECT row_number() OVER () AS _source_row, {select} FROM {reader}")
    except duckdb.ConversionException as exc:
        raise _parse_error(con, source, reader, files, exc) from exc
    rows = _count(con, table)
    if rows == 0:
        raise SourceError(f"source {source.name}: {', '.join(files)} has no data rows — re-export the file")
    return SourceLoad(source.name, tuple(files), size, sha, rows, time.perf_counter() - started)


def _reader(source: SourceConfig, files: list[str]) -> str:
    file_list = "[" + ", ".join(literal(f) for f in files) + "]"
    if source.format == "parquet":
        return f"read_parquet({file_list})"
    options = {"header": True, **source.options}
    rendered = "".join(f", {key} = {_option(value)}" for key, value in options.items())
    return f"read_csv({file_list}, all_varchar = true{rendered})"


def _option(value: object) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int | float):
        return str(value)
    return literal(str(value))


def _columns(con: duckdb.DuckDBPyConnection, source: SourceConfig, reader: str, files: list[str]) -> list[str]:
    try:
        described = con.execute(f"DESCRIBE SELECT * FROM {reader}").fetchall()
    except duckdb.Error as exc:
        raise SourceError(
            f"source {source.name}: cannot read {', '.join(files)}: {str(exc).splitlines()[0]}"
            " — check that the file is a valid " + source.format.upper()
        ) from exc
    return [row[0] for row in described]


def _check_required(source: SourceConfig, columns: list[str], files: list[str]) -> None:
    missing = [c for c in source.columns if c not in columns]
    if missing:
        raise SourceError(
            f"source {source.name} ({files[0]}): missing required column(s) {', '.join(missing)}"
            f" — the file has: {', '.join(columns)}"
        )


def _cast(column: str, type_name: str | None) -> str:
    name = quote_ident(column)
    return f"CAST({name} AS {type_name}) AS {name}" if type_name else name


def _parse_error(
    con: duckdb.DuckDBPyConnection, source: SourceConfig, reader: str, files: list[str], exc: Exception
) -> SourceError:
    """Find the first value that does not parse as its declared type, to name it exactly."""
    where = files[0] if len(files) == 1 else f"{', '.join(files)} (combined)"
    if source.format == "csv":  # text columns: find the first bad value
        for column, type_name in source.columns.items():
            name = quote_ident(column)
            bad = con.execute(
                f"SELECT _source_row, {name} FROM (SELECT row_number() OVER () AS _source_row, {name} FROM {reader})"
                f" WHERE {name} IS NOT NULL AND TRY_CAST({name} AS {type_name}) IS NULL ORDER BY 1 LIMIT 1"
            ).fetchall()
            if bad:
                row, value = bad[0]
                return SourceError(
                    f"source {source.name} ({where}): data row {row}, column {column}: {value!r} is not a valid"
                    f" {type_name} — fix the value, or declare the column VARCHAR and clean it in staging"
                )
    return SourceError(
        f"source {source.name} ({where}): {str(exc).splitlines()[0]} — fix the file or the declared column type"
    )


def _count(con: duckdb.DuckDBPyConnection, table: str) -> int:
    result = con.execute(f"SELECT count(*) FROM {table}").fetchall()
    return int(result[0][0])
