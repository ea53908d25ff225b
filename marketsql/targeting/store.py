"""Where contact lists go: the table ``meta.target_lists`` (carried over by every build; the view
``main.target_lists`` shows it) and a CSV or Parquet file, each written all or nothing.

The file is written to a temporary name next to it first; the rows are inserted in one transaction; only then is
the file renamed into place. A failure (or a kill) before the commit leaves neither; a kill between the commit and
the rename leaves the list saved and no file (``Project.target_lists(name)`` has its rows); the temporary file of a
killed run is removed by the next run writing the same file.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING

import duckdb
import pandas as pd

from marketsql.core import locations
from marketsql.core.database import process_alive
from marketsql.core.manifest import DDL, SCHEMA, create_user_views
from marketsql.errors import MarketsqlError, ModelError

if TYPE_CHECKING:
    from .lists import TargetList

FORMATS = {".csv": "CSV", ".parquet": "Parquet"}
TABLE = f"{SCHEMA}.target_lists"
_TABLE_DDL = next(statement for statement in DDL if "target_lists" in statement)


def check_output(path: Path) -> None:
    """ModelError/MarketsqlError before any work when the list cannot be written at ``path``."""
    if path.suffix.lower() not in FORMATS:
        raise ModelError(f"-o {path}: unknown file type {path.suffix or '(none)'!r} — give a name ending in .csv or"
                         " .parquet")
    if path.is_dir():
        raise MarketsqlError(f"{path} is a folder — give a file name such as {path / 'list.csv'}")
    locations.check_output_file(path, "-o")


@contextmanager
def staged_file(rows: pd.DataFrame, path: Path | None) -> Iterator[Path | None]:
    """Write ``rows`` to a temporary file next to ``path``; rename it into place if the block succeeds."""
    if path is None:
        yield None
        return
    for stale in path.parent.glob(f".{path.name}.tmp-*"):  # left by a killed run whose process is gone
        pid = stale.name.rsplit("-", 1)[-1]
        if pid.isdigit() and not process_alive(int(pid)):
            stale.unlink(missing_ok=True)
    temp = path.with_name(f".{path.name}.tmp-{os.getpid()}")
    try:
        if path.suffix.lower() == ".csv":
            rows.to_csv(temp, index=False, float_format="%.6g")
        else:
            rows.to_parquet(temp, index=False)
        yield path
        os.replace(temp, path)
    except OSError as exc:
        raise MarketsqlError(f"cannot write {path}: {exc.strerror or exc} — choose another -o") from exc
    finally:
        temp.unlink(missing_ok=True)


def write_file(rows: pd.DataFrame, path: Path) -> None:
    """Write ``rows`` to ``path`` (CSV or Parquet by extension) through a temporary file and a rename."""
    with staged_file(rows, path):
        pass


def exists(con: duckdb.DuckDBPyConnection, name: str) -> bool:
    """True when a list called ``name`` is saved."""
    present = con.execute("SELECT count(*) FROM duckdb_tables() WHERE schema_name = ? AND table_name ="
                          " 'target_lists' AND database_name = current_database()", [SCHEMA]).fetchall()[0][0]
    return bool(present) and bool(con.execute(f"SELECT count(*) FROM {TABLE} WHERE list_name = ?",
                                              [name]).fetchall()[0][0])


def save(con: duckdb.DuckDBPyConnection, made: TargetList) -> None:
    """Insert every row of the list in one transaction (a name already saved is refused)."""
    s = made.scores
    frame = made.rows.assign(list_name=made.name, created_at=made.created_at, model=s.model,
                             model_version=s.model_version, algorithm=s.algorithm, target=s.target,
                             treatment=s.treatment, budget=made.budget, cost_per_contact=made.cost_per_contact,
                             min_profit=made.min_profit, value_source=s.value_source)
    con.execute("BEGIN TRANSACTION")
    try:
        con.execute(f"CREATE SCHEMA IF NOT EXISTS {SCHEMA}")
        con.execute(_TABLE_DDL)
        create_user_views(con)
        if exists(con, made.name):
            raise ModelError(f"a list called {made.name!r} is saved already — give another --name")
        con.register("_marketsql_list", frame)
        con.execute(f"INSERT INTO {TABLE} SELECT list_name, created_at, model, model_version, algorithm, target,"
                    " treatment, budget, cost_per_contact, min_profit, value_source, rank, customer_id, p, value,"
                    " expected_profit FROM _marketsql_list")
        con.unregister("_marketsql_list")
        con.execute("COMMIT")
    except BaseException:
        con.execute("ROLLBACK")
        raise


def saved(con: duckdb.DuckDBPyConnection) -> pd.DataFrame:
    """One row per saved list, newest first: its assumptions, contacts, spend and expected profit."""
    present = con.execute("SELECT count(*) FROM duckdb_tables() WHERE schema_name = ? AND table_name ="
                          " 'target_lists' AND database_name = current_database()", [SCHEMA]).fetchall()[0][0]
    if not present:
        return pd.DataFrame(columns=["list_name", "created_at", "model", "target", "contacts", "spend",
                                     "expected_profit", "value_source"])
    return con.execute(
        f"SELECT list_name, min(created_at) AS created_at, any_value(model || ' v' || model_version) AS model,"
        " any_value(target || coalesce(' / ' || treatment, '')) AS target, count(*) AS contacts,"
        " sum(cost_per_contact) AS spend, sum(expected_profit) AS expected_profit,"
        f" any_value(value_source) AS value_source FROM {TABLE} GROUP BY list_name"
        " ORDER BY created_at DESC, list_name").df()


def rows_of(con: duckdb.DuckDBPyConnection, name: str) -> pd.DataFrame:
    """The rows of the saved list ``name`` (rank 1 first); ModelError when there is none."""
    if not exists(con, name):
        raise ModelError(f"no list called {name!r} — see `marketsql target --list`")
    return con.execute(f"SELECT * FROM {TABLE} WHERE list_name = ? ORDER BY rank", [name]).df()
