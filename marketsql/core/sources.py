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

from marketsql.errors import SourceError

from .config import SourceConfig
from .resources import resource_error
from .source_errors import ragged_error, read_error
from .sqltext import literal, quote_ident

FILE_COLUMN = "_marketsql_file"  # the file of each row, when locating a bad value


@dataclass(frozen=True)
class SourceLoad:
    """What loading one source did, for the build manifest."""

    name: str
    files: tuple[str, ...]
    bytes: int
    sha256: str
    rows: int
    seconds: float
    note: str | None = None  # e.g. why an incremental database source was read whole
    origin: str | None = None  # a database source: where it was read, as the build prints it

    @property
    def shown(self) -> str:
        """Where the rows came from, for the build's output."""
        return self.origin or f"{len(self.files)} file(s)"


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
        raise _resource_or(exc, source) or _parse_error(con, source, files, exc) from exc
    except duckdb.Error as exc:
        raise _resource_or(exc, source) or _type_error(con, source, files) or read_error(source, files, exc) from exc
    rows = _count(con, table)
    if rows == 0:
        raise SourceError(f"source {source.name}: {', '.join(files)} has no data rows — re-export the file")
    return SourceLoad(source.name, tuple(files), size, sha, rows, time.perf_counter() - started)


def _reader(source: SourceConfig, files: list[str], filename: bool = False) -> str:
    """The read_csv/read_parquet call; with ``filename``, each row also carries its file in FILE_COLUMN."""
    file_list = "[" + ", ".join(literal(f) for f in files) + "]"
    extra = {"filename": FILE_COLUMN} if filename else {}
    if source.format == "parquet":
        return f"read_parquet({file_list}{''.join(f', {k} = {_option(v)}' for k, v in extra.items())})"
    if source.options.get("delim") == "whitespace":
        return whitespace_reader(files, bool(source.options.get("header", True)), extra.get("filename"))
    options = {"header": True, **source.options, **extra}
    rendered = "".join(f", {key} = {_option(value)}" for key, value in options.items())
    return f"read_csv({file_list}, all_varchar = true{rendered})"


def whitespace_reader(files: list[str], header: bool, filename: str | None = None) -> str:
    """A table expression for files whose fields are separated by runs of spaces or tabs (which DuckDB's
    CSV sniffer cannot split): each line read whole, trimmed and split on whitespace. Columns are named
    by the first line when ``header``, else column0, column1, …; blank lines are left out."""
    first = _first_line(files[0])
    names = first.split() if header else [f"column{i}" for i in range(len(first.split()))]
    paths = "[" + ", ".join(literal(f) for f in files) + "]"
    fields = ", ".join(f"_f[{i + 1}] AS {quote_ident(name)}" for i, name in enumerate(names))
    keep = f", filename AS {quote_ident(filename)}" if filename else ""
    lines = (f"SELECT regexp_split_to_array(trim(line), '\\s+') AS _f, filename FROM read_csv({paths},"
             " columns = {'line': 'VARCHAR'}, delim = '\x1f', quote = '', escape = '', header = false,"
             " filename = true, auto_detect = false) WHERE trim(line) <> ''")
    numbered = f"SELECT *, row_number() OVER (PARTITION BY filename) AS _n FROM ({lines})" if header else lines
    skip = " WHERE _n > 1" if header else ""
    return f"(SELECT {fields}{keep} FROM ({numbered}){skip})"


def _first_line(name: str) -> str:
    import gzip

    opener = gzip.open if name.lower().endswith(".gz") else open
    with opener(name, "rt", encoding="utf-8", errors="replace") as handle:
        for line in handle:
            if line.strip():
                return line.strip()
    return ""


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
        raise _resource_or(exc, source) or read_error(source, files, exc) from exc
    return [row[0] for row in described]


def _check_required(source: SourceConfig, columns: list[str], files: list[str]) -> None:
    missing = [c for c in source.columns if c not in columns]
    if missing:
        ragged = ragged_error(source, files) if source.format == "csv" else None
        if ragged is not None:
            raise ragged
        raise SourceError(
            f"source {source.name} ({files[0]}): missing required column(s) {', '.join(missing)}"
            f" — the file has: {', '.join(columns)}"
        )


def _resource_or(exc: Exception, source: SourceConfig) -> Exception | None:
    return resource_error(exc, f"loading source {source.name}")


def _cast(column: str, type_name: str | None) -> str:
    name = quote_ident(column)
    return f"CAST({name} AS {type_name}) AS {name}" if type_name else name


def _parse_error(
    con: duckdb.DuckDBPyConnection, source: SourceConfig, files: list[str], exc: Exception
) -> SourceError:
    """Find the first value that does not parse as its declared type, to name its file, row and column."""
    type_error = _type_error(con, source, files)
    if type_error is not None:
        return type_error
    reader = _reader(source, files, filename=True)
    file_rows = dict(con.execute(f"SELECT {FILE_COLUMN}, count(*) FROM {reader} GROUP BY ALL").fetchall())
    for column, type_name in source.columns.items():
        name = quote_ident(column)
        bad = con.execute(
            f"SELECT _source_row, {FILE_COLUMN}, {name} FROM (SELECT row_number() OVER () AS _source_row,"
            f" {FILE_COLUMN}, {name} FROM {reader})"
            f" WHERE {name} IS NOT NULL AND TRY_CAST({name} AS {type_name}) IS NULL ORDER BY 1 LIMIT 1"
        ).fetchall()
        if bad:
            row, path, value = bad[0]
            before = sum(int(file_rows.get(f, 0)) for f in files[: files.index(path)]) if path in files else 0
            return SourceError(
                f"source {source.name} ({path}): data row {row - before}, column {column}: {value!r} is not a"
                f" valid {type_name} — fix the value, or declare the column VARCHAR and clean it in staging"
            )
    return read_error(source, files, exc)


def _type_error(con: duckdb.DuckDBPyConnection, source: SourceConfig, files: list[str]) -> SourceError | None:
    """A declared type the file's column cannot be cast to at all (Parquet DATE declared INTEGER …), or None."""
    if source.format != "parquet":
        return None
    reader = _reader(source, files, filename=True)
    for column, type_name in source.columns.items():
        name = quote_ident(column)
        try:
            con.execute(f"SELECT CAST({name} AS {type_name}) FROM {reader} WHERE {name} IS NOT NULL LIMIT 1").fetchall()
        except duckdb.Error as exc:
            if "Unimplemented type for cast" not in str(exc):
                continue  # a value that does not parse: _parse_error names it
            actual = con.execute(f"SELECT typeof({name}) FROM {reader} LIMIT 1").fetchall()
            found = actual[0][0] if actual else "another type"
            return SourceError(
                f"source {source.name} ({', '.join(files)}): column {column} is {found} in the file, declared"
                f" {type_name} ({str(exc).splitlines()[0]}) — declare it as {found} and convert it in staging"
            )
    return None


def _count(con: duckdb.DuckDBPyConnection, table: str) -> int:
    result = con.execute(f"SELECT count(*) FROM {table}").fetchall()
    return int(result[0][0])
