"""Why a raw source could not be read: the file, the line or byte, DuckDB's own reason, and the fix.

DuckDB's CSV errors are long (a dozen lines of sniffer settings) and sometimes misleading (a
ragged file is sniffed as one column, so every declared column looks missing). These functions
turn them into one line: ``source <name> (<file>): <where>: <DuckDB's reason> — <how to fix>``.
"""

from __future__ import annotations

import codecs
import csv
import gzip
import re
from collections.abc import Sequence
from typing import IO, cast

from marketsql.errors import SourceError

from .config import SourceConfig

_CSV_LINE_RE = re.compile(r"CSV Error on Line: (\d+)")
_FILE_RE = re.compile(r'^\s*file = (.+)$|sniffing file "([^"]+)"|GZIP stream: (\S+)$', re.MULTILINE)
_MAX_LINE_RE = re.compile(r"Maximum line size of (\d+) bytes exceeded\. Actual Size:\s*(\d+)")
_NOISE = ("CSV Error on Line", "Original Line", "LINE ")
DELIMITERS = (",", ";", "\t", "|")
SNIFF_BYTES = 8192


def read_error(source: SourceConfig, files: Sequence[str], exc: Exception) -> SourceError:
    """One line for a failure of ``read_csv``/``read_parquet``, naming the file and keeping DuckDB's reason."""
    text = str(exc)
    path = _file_named(text, files)
    head = f"source {source.name} ({path or ', '.join(files)})"
    reason = _reason(text)
    option = f"under [sources.{source.name}]"
    line = _CSV_LINE_RE.search(text)
    kind = binary_kind(path) if path and source.format == "csv" else None
    if kind is not None:
        return SourceError(f"{head}: not a CSV file, it holds {kind} ({reason}) — {_binary_fix(kind, source.name)}")
    if "utf-8" in text.lower() and ("invalid unicode" in text.lower() or "not utf-8" in text.lower()):
        found = first_invalid_utf8(path) if path else None
        at = f"line {found[0]}, byte offset {found[1]:,}: " if found else (f"line {line.group(1)}: " if line else "")
        return SourceError(
            f"{head}: {at}not valid UTF-8 ({reason}) — set encoding = \"latin-1\" (or the file's real"
            f" encoding) {option}, or re-export the file as UTF-8"
        )
    too_long = _MAX_LINE_RE.search(text)
    if too_long:
        limit, size = int(too_long.group(1)), int(too_long.group(2))
        number = first_long_line(path, limit) if path else None  # DuckDB's own line number can be off
        at = f"line {number}: " if number else ""
        return SourceError(f"{head}: {at}{reason} — set max_line_size = {size + 1024} {option}, or fix that line")
    if "gzip" in text.lower():
        return SourceError(f"{head}: {reason} — the gzip file is truncated or corrupt: copy or export it again")
    if "sniffing" in text:
        return SourceError(f"{head}: {reason} — set delim, quote and escape {option}")
    return SourceError(f"{head}: {reason} — check that the file is a valid {source.format.upper()}")


def ragged_error(source: SourceConfig, files: Sequence[str]) -> SourceError | None:
    """A SourceError naming the first line whose field count differs from its header, if a file has one.

    DuckDB's sniffer reads such a file as a single column, so without this the build would report
    every declared column as missing.
    """
    for path in files:
        found = _ragged_line(source, path)
        if found is not None:
            line, expected, actual = found
            fix = (
                f"fix that line, or set null_padding = true under [sources.{source.name}] to read the missing"
                " fields as NULL" if actual < expected else "fix that line (a delimiter inside an unquoted value?)"
            )
            return SourceError(
                f"source {source.name} ({path}): line {line} has {actual} field(s), the header has {expected} — {fix}"
            )
    return None


def first_invalid_utf8(path: str) -> tuple[int, int] | None:
    """(line, byte offset) of the first byte that is not valid UTF-8 in the (decompressed) file, or None."""
    decoder = codecs.getincrementaldecoder("utf-8")()
    offset, line = 0, 1
    with _open_binary(path) as handle:
        while block := handle.read(1 << 20):
            try:
                decoder.decode(block)
            except UnicodeDecodeError as exc:
                pending = len(exc.object) - len(block)  # bytes carried over from the previous block
                bad = offset - pending + exc.start
                return line + exc.object.count(b"\n", 0, exc.start), bad
            offset += len(block)
            line += block.count(b"\n")
    return None


def first_long_line(path: str, limit: int) -> int | None:
    """The number of the first line of the (decompressed) file longer than ``limit`` bytes, or None."""
    with _open_binary(path) as handle:
        for number, line in enumerate(handle, 1):
            if len(line.rstrip(b"\r\n")) > limit:
                return number
    return None


def binary_kind(path: str) -> str | None:
    """What a file that is not text holds ("Parquet data", "gzip data", "binary data"), or None if text."""
    with _open_binary(path, decompress=False) as handle:
        start = handle.read(SNIFF_BYTES)
    if start.startswith(b"PAR1"):
        return "Parquet data"
    if start.startswith(b"\x1f\x8b") and not path.lower().endswith(".gz"):
        return "gzip data"
    if path.lower().endswith(".gz"):
        try:
            with _open_binary(path) as handle:
                start = handle.read(SNIFF_BYTES)
        except (OSError, EOFError):
            return None
    if b"\x00" in start:
        return "binary data"
    printable = sum(1 for byte in start if byte >= 32 or byte in b"\t\r\n")
    return "binary data" if start and printable / len(start) < 0.9 else None


def _binary_fix(kind: str, name: str) -> str:
    if kind == "Parquet data":
        return f"set format = \"parquet\" under [sources.{name}]"
    if kind == "gzip data":
        return "give the file a .csv.gz name so it is decompressed"
    return "point the source at the CSV export of the data"


def _ragged_line(source: SourceConfig, path: str) -> tuple[int, int, int] | None:
    options = source.options
    delimiters = [str(options["delim"])] if "delim" in options else list(DELIMITERS)
    encoding = str(options.get("encoding", "utf-8"))
    for delim in delimiters:
        if len(delim) != 1:
            return None
        with _open_text(path, encoding) as handle:
            for _ in range(int(options.get("skip", 0))):
                handle.readline()
            reader = csv.reader(handle, delimiter=delim, quotechar=str(options.get("quote", '"')) or '"')
            header = next(reader, [])
            if not all(column in header for column in source.columns) or len(header) < 2:
                continue
            for row in reader:
                if row and len(row) != len(header):
                    return reader.line_num + int(options.get("skip", 0)), len(header), len(row)
            return None
    return None


def _file_named(text: str, files: Sequence[str]) -> str | None:
    for match in _FILE_RE.finditer(text):
        named = next(group for group in match.groups() if group).strip()
        return next((f for f in files if f == named or f.endswith("/" + named.lstrip("./"))), named)
    return files[0] if len(files) == 1 else None


def _reason(text: str) -> str:
    """DuckDB's own reason: the first line of its message that is not a location or a quoted input line."""
    lines = [line.strip() for line in text.splitlines() if line.strip()]
    for line in lines:
        body = line.split(" Error: ", 1)[1] if " Error: " in line else line
        if body and not body.startswith(_NOISE):
            return body.rstrip(".")
    return lines[0] if lines else "unknown error"


def _open_binary(path: str, decompress: bool = True) -> IO[bytes]:
    if decompress and path.lower().endswith(".gz"):
        return cast(IO[bytes], gzip.open(path, "rb"))
    return open(path, "rb")


def _open_text(path: str, encoding: str) -> IO[str]:
    if path.lower().endswith(".gz"):
        return gzip.open(path, "rt", encoding=encoding, errors="replace", newline="")
    return open(path, encoding=encoding, errors="replace", newline="")
