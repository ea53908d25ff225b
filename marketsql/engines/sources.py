"""Reading a database source (``marketsql.core.dbsources``) into ``raw.<name>``: full or incremental, checksummed.

The engine-specific part is each engine's ``source`` module (PostgreSQL: COPY into a file; MySQL: text batches);
this module decides what to read (the previous build's rows and watermark when incremental), writes the rows into
DuckDB with the server's types (or the declared ones) and records ``meta.source_state``.
"""

from __future__ import annotations

import hashlib
import tempfile
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import duckdb

from marketsql.core.config import SourceConfig
from marketsql.core.dbsources import _VAR_RE, STATE_DDL, DatabaseSource, expand
from marketsql.core.sources import SourceLoad
from marketsql.core.sqltext import literal, quote_ident, type_name
from marketsql.errors import SourceError


def load_database_source(con: duckdb.DuckDBPyConnection, source: SourceConfig, previous: Path,
                         build_id: int) -> SourceLoad:
    """Create ``raw.<name>`` from an operational database; what was loaded, for the build manifest."""
    assert source.database is not None
    started = time.perf_counter()
    read = load(con, source.name, source.database, source.columns, previous, build_id)
    where = shown(source.database)
    appended = f", {read.new_rows:,} new" if source.database.incremental else ""
    return SourceLoad(source.name, tuple(where), read.bytes, read.sha256, read.rows, time.perf_counter() - started,
                      read.note, f"{' '.join(where)}{appended}")


def shown(source: DatabaseSource) -> list[str]:
    """How the manifest and messages name the source: the DSN as written when it reads the environment, else
    masked; then the table or query."""
    from .mysql.connection import mask as mysql_mask
    from .postgres.connection import mask

    where = source.dsn if _VAR_RE.search(source.dsn) else (mask if source.engine == "postgres" else mysql_mask)(
        source.dsn)
    what = f"table {source.table}" if source.table else f"query {source.query}"
    return [f"{source.engine}: {where}", what]


@dataclass(frozen=True)
class Read:
    """What reading one database source did."""

    rows: int  # in raw.<name> after the read (previous rows included)
    new_rows: int
    bytes: int
    sha256: str
    note: str | None  # e.g. why an incremental source was read whole


def load(con: duckdb.DuckDBPyConnection, name: str, source: DatabaseSource, columns: Mapping[str, str],
         previous: Path, build_id: int) -> Read:
    """Create ``raw.<name>`` from the database (or append to the previous build's rows, when incremental)."""
    from .mysql import source as mysql
    from .postgres import source as postgres

    snapshot = postgres.snapshot if source.engine == "postgres" else mysql.snapshot
    label = f"source {name}"
    con.execute(STATE_DDL)
    state = _last_state(con, name)
    offset, after, chain, note = 0, None, None, None
    table = f"raw.{quote_ident(name)}"
    if source.incremental and state is not None:
        note = _reuse(con, name, source, state, previous)
        if note is None:
            offset, after, chain = int(state["rows"]), state["watermark"], str(state["sha256"])
    dsn = expand(source.dsn, label)
    with snapshot(dsn, label, source.table, source.query, source.key, source.incremental, after) as snap:
        names = [c.name for c in snap.columns]
        roles = [*(("key", k) for k in source.key), *((("incremental", source.incremental),) if source.incremental
                                                       else ())]
        for role, column in roles:
            if column not in names:
                raise SourceError(f"{label}: {role} column {column!r} is not in what the server returns"
                                  f" ({', '.join(names)}) — fix {role} = … in the project config")
        if offset and _columns(con, name) != ["_source_row", *names]:
            con.execute(f"DROP TABLE {table}")
            offset, chain, snap.after = 0, None, None
            note = f"source {name}: the server's columns changed since the last build — read whole"
        missing = [c for c in columns if c not in names]
        if missing:
            raise SourceError(f"{label} ({' '.join(shown(source))}): missing required column(s) {', '.join(missing)}"
                              f" — the server returns: {', '.join(names)}")
        casts = ", ".join(f"CAST({quote_ident(c.name)} AS {type_name(columns.get(c.name, c.duckdb_type))})"
                          f" AS {quote_ident(c.name)}" for c in snap.columns)

        def write(reader: str, before: int) -> None:
            select = f"SELECT row_number() OVER () + {offset + before} AS _source_row, {casts} FROM {reader}"
            try:
                append = offset or before
                con.execute(f"INSERT INTO {table} {select}" if append else f"CREATE TABLE {table} AS {select}")
            except duckdb.ConversionException as exc:
                raise SourceError(f"{label}: {str(exc).splitlines()[0]} — declare the column VARCHAR in"
                                  f" [sources.{name}] columns and clean it in staging") from None

        size, digest = (_via_file if source.engine == "postgres" else _via_batches)(con, snap, name, write, offset)
        watermark = snap.watermark(after)
    # chained over the reads, so that the same rows read in the same steps give the same checksum
    sha = digest if not chain else chain if not size else _sha(f"{chain}:{digest}")
    rows = int(con.execute(f"SELECT count(*) FROM {table}").fetchall()[0][0])
    if rows == 0:
        raise SourceError(f"{label} ({' '.join(shown(source))}): the server returned no rows — check the table or"
                          " query, and that the user may read it")
    con.execute("INSERT INTO meta.source_state VALUES (?, ?, ?, ?, ?, ?)",
                [build_id, name, source.spec, watermark, rows, sha])
    return Read(rows, rows - offset, size, sha, note)


Write = Callable[[str, int], None]  # (a table expression over the read rows, rows written before) → into raw


def _via_file(con: duckdb.DuckDBPyConnection, snap: Any, name: str, write: Write, offset: int) -> tuple[int, str]:
    """PostgreSQL: COPY into a temporary CSV file, read by DuckDB as text; its bytes and sha256."""
    with tempfile.TemporaryDirectory(prefix="marketsql-source-") as folder:
        path = Path(folder) / f"{name}.csv"
        size, digest = snap.copy_to(path)
        text = ", ".join(f"{literal(c.name)}: 'VARCHAR'" for c in snap.columns)
        write(f"read_csv({literal(str(path))}, columns = {{{text}}}, header = false, auto_detect = false,"
              " delim = ',', quote = '\"', escape = '\"', allow_quoted_nulls = false)", 0)
    return size, digest


def _via_batches(con: duckdb.DuckDBPyConnection, snap: Any, name: str, write: Write, offset: int) -> tuple[int, str]:
    """MySQL: Arrow batches of the rows as text, each written as it comes; bytes and sha256 of their IPC form."""
    import itertools

    import pyarrow as pa

    digest, size, before, view = hashlib.sha256(), 0, 0, f"_marketsql_rows_{name}"
    batches = iter(snap.batches())
    first = next(batches, None)
    if first is None and offset:
        return 0, digest.hexdigest()  # nothing new past the watermark
    if first is None:  # nothing at all: an empty table, and the caller says the source has no rows
        first = pa.table({c.name: pa.array([], pa.string()) for c in snap.columns})
    for batch in itertools.chain([first], batches):
        sink = pa.BufferOutputStream()
        with pa.ipc.new_stream(sink, batch.schema) as ipc:
            ipc.write_table(batch)
        block = sink.getvalue()
        digest.update(block)
        size += block.size
        con.register(view, batch)
        try:
            write(quote_ident(view), before)
        finally:
            con.unregister(view)
        before += batch.num_rows
    return size, digest.hexdigest()


def _sha(text: str) -> str:
    return hashlib.sha256(text.encode()).hexdigest()


def _columns(con: duckdb.DuckDBPyConnection, name: str) -> list[str]:
    rows = con.execute("SELECT column_name FROM information_schema.columns WHERE table_schema = 'raw'"
                       " AND table_name = ? ORDER BY ordinal_position", [name]).fetchall()
    return [str(r[0]) for r in rows]


def _last_state(con: duckdb.DuckDBPyConnection, name: str) -> dict[str, Any] | None:
    found = con.execute("SELECT spec, watermark, rows, sha256 FROM meta.source_state WHERE source = ?"
                        " ORDER BY build_id DESC LIMIT 1", [name]).fetchall()
    return dict(zip(("spec", "watermark", "rows", "sha256"), found[0], strict=True)) if found else None


def _reuse(con: duckdb.DuckDBPyConnection, name: str, source: DatabaseSource, state: Mapping[str, Any],
           previous: Path) -> str | None:
    """Copy the previous build's raw rows into this build; None when done, else why the source is read whole."""
    if state["spec"] != source.spec:
        return f"source {name}: its database, table, query, key or incremental column changed — read whole"
    if state["watermark"] is None:
        return f"source {name}: the last read had no {source.incremental} values — read whole"
    if not previous.exists():
        return f"source {name}: no previous database to append to — read whole"
    con.execute(f"ATTACH {literal(str(previous))} AS previous_source (READ_ONLY)")
    try:
        con.execute("CREATE SCHEMA IF NOT EXISTS raw")
        con.execute(f"CREATE TABLE raw.{quote_ident(name)} AS SELECT * FROM previous_source.raw.{quote_ident(name)}"
                    " ORDER BY _source_row")
    except duckdb.CatalogException:
        return f"source {name}: the previous database has no raw.{name} — read whole"
    finally:
        con.execute("DETACH previous_source")
    kept = int(con.execute(f"SELECT count(*) FROM raw.{quote_ident(name)}").fetchall()[0][0])
    if kept != int(state["rows"]):
        con.execute(f"DROP TABLE raw.{quote_ident(name)}")
        return f"source {name}: the previous raw.{name} has {kept:,} rows, its record {state['rows']:,} — read whole"
    return None

