"""The kinds of model marketsql trains, and what each gives the database once trained.

An explicit table, not discovery: each kind says how to train it, how to compile its active
version to SQL (macros stored in the database, usable by any client) and which Python UDFs it
adds to connections opened by marketsql. Heavy libraries are imported only when training.
"""

from __future__ import annotations

import importlib
from collections.abc import Iterator
from contextlib import contextmanager
from types import ModuleType

import duckdb

from marketsql.core.udfs import Udf
from marketsql.errors import ModelError, UnsafeSqlError
from marketsql.models.registry import ModelRecord, Registry

# model name -> module with train(con, **options), compile_sql(con, record), compile_untrained(con)
# and udfs(con, record); optionally compile_postgres(con, record_or_None, schema) -> list of statements
KINDS: dict[str, str] = {
    "segmentation": "marketsql.models.segmentation.serve",
    "forecast": "marketsql.models.forecast.serve",
    "budget": "marketsql.models.budget.serve",
    "positioning": "marketsql.models.positioning.serve",
    "recommendation": "marketsql.models.recommendation.serve",
    "clv": "marketsql.models.clv.serve",
}


def kind(name: str) -> ModuleType:
    """The module serving model ``name``; ModelError listing the known ones otherwise."""
    if name not in KINDS:
        raise ModelError(f"unknown model {name!r} — known models: {', '.join(sorted(KINDS))}")
    return importlib.import_module(KINDS[name])


def active_records(con: duckdb.DuckDBPyConnection) -> dict[str, ModelRecord]:
    """The active version of every known kind that has one, each verified against its checksum."""
    registry = Registry(con)
    return {r.name: registry.verify(r) for r in registry.list() if r.status == "active" and r.name in KINDS}


def compile_active(con: duckdb.DuckDBPyConnection) -> set[str]:
    """Create the SQL of every active model in the database; return the names of those models.

    A model that is not trained yet gets stand-in functions that fail with what to run, so that
    ``SELECT segment(…)`` says "run `marketsql train segmentation`" in every client.
    """
    active = active_records(con)
    for name in KINDS:
        if name in active:
            with _stored_version(active[name]):
                kind(name).compile_sql(con, active[name])
        else:
            kind(name).compile_untrained(con)
    return set(active)


def compile_after_views(con: duckdb.DuckDBPyConnection) -> None:
    """SQL of active models that reads built tables (e.g. a lookup by customer id), created once the views exist;
    kinds opt in with ``compile_after_views(con, record)``."""
    for name, record in active_records(con).items():
        late = getattr(kind(name), "compile_after_views", None)
        if late is not None:
            with _stored_version(record):
                late(con, record)


@contextmanager
def _stored_version(record: ModelRecord) -> Iterator[None]:
    """Turn a stored model this marketsql cannot read (made by another version) into one clear line."""
    try:
        yield
    except UnsafeSqlError as exc:
        raise ModelError(f"{record.name} v{record.version}: {exc} — the stored model cannot be compiled to SQL;"
                         f" retrain (`marketsql train {record.name}`) or activate another version") from None
    except (KeyError, IndexError, TypeError) as exc:
        raise ModelError(
            f"{record.name} v{record.version} was stored by another marketsql version ({type(exc).__name__}: "
            f"{exc}) — train it again: `marketsql train {record.name}`"
        ) from exc


def model_udfs(con: duckdb.DuckDBPyConnection) -> list[Udf]:
    """The Python UDFs of every active model."""
    udfs: list[Udf] = []
    for name, record in active_records(con).items():
        with _stored_version(record):
            udfs += kind(name).udfs(con, record)
    return udfs


def postgres_functions(con: duckdb.DuckDBPyConnection, schema: str) -> list[str]:
    """PostgreSQL statements creating every kind's SQL functions in ``schema`` (for the mirror).

    Kinds without ``compile_postgres`` are left out; an untrained kind gets its stand-ins.
    """
    active = active_records(con)
    statements: list[str] = []
    for name in KINDS:
        compile_postgres = getattr(kind(name), "compile_postgres", None)
        if compile_postgres is not None and name in active:
            with _stored_version(active[name]):
                statements.extend(compile_postgres(con, active[name], schema))
        elif compile_postgres is not None:
            statements.extend(compile_postgres(con, None, schema))
    return statements
