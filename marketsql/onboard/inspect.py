"""Looking at a user's file: its dialect (DuckDB's ``sniff_csv``, or runs of whitespace), columns and their types.

The types are inferred from the values read as text (a sample of rows), so that the generated staging
SQL can parse them itself and quarantine a value that does not parse instead of failing the build.
"""

from __future__ import annotations

import gzip
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import duckdb

from marketsql.core.sources import whitespace_reader
from marketsql.core.sqltext import literal, quote_ident
from marketsql.errors import SourceError

SAMPLE_ROWS = 5000
# tried in this order; the first that parses every value of the column wins (day-first before month-first)
DATE_FORMATS = ("%Y-%m-%d", "%Y-%m-%d %H:%M:%S", "%Y-%m-%d %H:%M", "%Y-%m-%dT%H:%M:%S", "%d/%m/%Y",
                "%d/%m/%Y %H:%M", "%d/%m/%Y %H:%M:%S", "%m/%d/%Y", "%m/%d/%Y %H:%M", "%m/%d/%Y %H:%M:%S",
                "%d.%m.%Y", "%d-%m-%Y", "%Y/%m/%d", "%Y-%m", "%b-%y", "%b %Y")


@dataclass(frozen=True)
class Column:
    """One column of the file: its name, what its values are, and how to parse them."""

    name: str
    kind: str  # "integer" | "number" | "date" | "boolean" | "text"
    date_format: str | None = None  # strptime format, for kind "date"
    decimal_comma: bool = False  # numbers written 9,95
    on_first: bool = False  # every date on the 1st of a month at midnight


@dataclass(frozen=True)
class Shape:
    """What ``inspect`` found: the read options to pass through to DuckDB and the columns."""

    path: Path
    options: dict[str, Any] = field(default_factory=dict)  # delim, header, quote, escape, skip
    columns: tuple[Column, ...] = ()
    rows: int = 0

    def reader(self) -> str:
        """The DuckDB table expression reading the file as text, with these options."""
        if self.options.get("delim") == "whitespace":
            return whitespace_reader([str(self.path)], bool(self.options.get("header", True)))
        opts = "".join(f", {k} = {literal(v) if isinstance(v, str) else str(v).lower()}"
                       for k, v in self.options.items())
        return f"read_csv([{literal(str(self.path))}], all_varchar = true{opts})"


def inspect(path: Path) -> Shape:
    """Sniff ``path`` (CSV/TSV/whitespace-separated, optionally gzipped) and infer each column's type."""
    _check_readable(path)
    con = duckdb.connect(":memory:")
    try:
        options = _dialect(con, path)
        shape = Shape(path, options)
        try:
            names = [r[0] for r in con.execute(f"DESCRIBE SELECT * FROM {shape.reader()}").fetchall()]
            sample = f"(SELECT * FROM {shape.reader()} LIMIT {SAMPLE_ROWS})"
            rows = int(con.execute(f"SELECT count(*) FROM {sample}").fetchall()[0][0])
        except duckdb.Error as exc:
            raise SourceError(f"{path}: DuckDB cannot read it as a table ({str(exc).splitlines()[0]})"
                              " — export it as CSV") from exc
        if rows == 0:
            raise SourceError(f"{path} has no data rows — export the table with its rows")
        columns = tuple(_column(con, sample, name) for name in names)
        return Shape(path, options, columns, rows)
    finally:
        con.close()


def _check_readable(path: Path) -> None:
    if not path.is_file():
        raise SourceError(f"{path}: no such file — check the path given to --from")
    if path.stat().st_size == 0:
        raise SourceError(f"{path} is empty (0 bytes) — export the table with its rows")
    if path.suffix.lower() in (".parquet", ".pq"):
        raise SourceError(f"{path}: init --from reads text files (CSV, TSV, whitespace-separated) — export it as CSV")
    head = _head(path)
    if b"\0" in head or _undecodable(head):
        raise SourceError(f"{path} is not a text file (binary bytes) — export the table as CSV")


def _head(path: Path, size: int = 65536) -> bytes:
    opener = gzip.open if path.suffix.lower() == ".gz" else open
    try:
        with opener(path, "rb") as handle:
            return handle.read(size)
    except OSError as exc:
        raise SourceError(f"{path} cannot be read ({exc}) — check the file") from exc


def _undecodable(head: bytes) -> bool:
    for encoding in ("utf-8", "latin-1"):
        try:
            text = head.decode(encoding)
        except UnicodeDecodeError:
            continue
        controls = sum(1 for ch in text if ord(ch) < 32 and ch not in "\r\n\t")
        return controls > len(text) // 100
    return True


def _dialect(con: duckdb.DuckDBPyConnection, path: Path) -> dict[str, Any]:
    """read_csv options from DuckDB's sniffer; runs of spaces (which the sniffer cannot split) → whitespace."""
    lines = [line for line in _head(path).decode("utf-8", "replace").splitlines()[:50] if line.strip()]
    try:
        sniffed = con.execute("SELECT Delimiter, Quote, Escape, HasHeader, SkipRows, Columns FROM sniff_csv(?)",
                              [str(path)]).fetchall()[0]
    except duckdb.Error:
        sniffed = None
    if sniffed is None or len(sniffed[5]) == 1:
        if _whitespace_table(lines):
            first = re.split(r"\s+", lines[0].strip())
            return {"delim": "whitespace", "header": not all(_looks_numeric_or_date(v) for v in first)}
        if sniffed is None:
            raise SourceError(f"{path}: DuckDB's sniffer cannot read it as a table — export it as CSV")
    delim, quote, escape, header, skip, _ = sniffed
    options: dict[str, Any] = {"delim": delim, "header": bool(header)}
    if quote and quote != "(empty)":
        options["quote"] = quote
    if escape and escape != "(empty)" and escape != quote:
        options["escape"] = escape
    if skip:
        options["skip"] = int(skip)
    return options


def _whitespace_table(lines: list[str]) -> bool:
    widths = {len(re.split(r"\s+", line.strip())) for line in lines}
    return len(lines) >= 2 and len(widths) == 1 and widths.pop() > 1


def _looks_numeric_or_date(value: str) -> bool:
    return bool(re.fullmatch(r"[-+]?[\d.,/:]+", value))


def _column(con: duckdb.DuckDBPyConnection, sample: str, name: str) -> Column:
    col = quote_ident(name)
    values = f"(SELECT trim({col}) AS v FROM {sample} WHERE nullif(trim({col}), '') IS NOT NULL)"

    def every(test: str) -> bool:
        total, ok = con.execute(f"SELECT count(*), count(*) FILTER ({test}) FROM {values}").fetchall()[0]
        return total > 0 and total == ok

    if every(r"regexp_full_match(v, '[-+]?\d+')"):
        return Column(name, "integer")
    if every("TRY_CAST(v AS DOUBLE) IS NOT NULL"):
        return Column(name, "number")
    if every(r"regexp_full_match(v, '[-+]?(\d{1,3}(\.\d{3})+|\d+),\d+')"):
        return Column(name, "number", decimal_comma=True)
    if every("lower(v) IN ('true', 'false', 'yes', 'no', 't', 'f')"):
        return Column(name, "boolean")
    for fmt in DATE_FORMATS:
        if every(f"try_strptime(v, {literal(fmt)}) IS NOT NULL"):
            first = every(f"day(strptime(v, {literal(fmt)})) = 1"
                          f" AND CAST(strptime(v, {literal(fmt)}) AS TIME) = TIME '00:00:00'")
            return Column(name, "date", date_format=fmt, on_first=first)
    return Column(name, "text")
