"""The kinds of model marketsql trains, and what each gives the database once trained.

An explicit table, not discovery: one line per kind names the :class:`~marketsql.models.kind.ModelKind`
subclass that trains it, compiles its active version to SQL (macros stored in the database, usable by any
client) and adds its Python UDFs to connections opened by marketsql. A kind's module is imported only when
that kind is used, so heavy libraries stay out of commands that do not need them.
"""

from __future__ import annotations

import contextlib
import importlib
from collections.abc import Iterator
from contextlib import contextmanager
from functools import cache

import duckdb

from marketsql.core.udfs import Udf
from marketsql.errors import ModelError, UnsafeSqlError
from marketsql.models.kind import ModelKind
from marketsql.models.registry import ModelRecord, Registry

# model name -> "module:class" of its ModelKind
KINDS: dict[str, str] = {
    "segmentation": "marketsql.models.segmentation.serve:Segmentation",
    "forecast": "marketsql.models.forecast.serve:Forecast",
    "budget": "marketsql.models.budget.serve:Budget",
    "positioning": "marketsql.models.positioning.serve:Positioning",
    "recommendation": "marketsql.models.recommendation.serve:Recommendation",
    "clv": "marketsql.models.clv.serve:CustomerValue",
    "propensity": "marketsql.models.propensity.serve:Propensity",
    "uplift": "marketsql.models.uplift.serve:Uplift",
}


@cache
def kind(name: str) -> ModelKind:
    """The kind called ``name``; ModelError listing the known ones otherwise."""
    if name not in KINDS:
        raise ModelError(f"unknown model {name!r} — known models: {', '.join(sorted(KINDS))}")
    module, _, cls = KINDS[name].partition(":")
    made = getattr(importlib.import_module(module), cls)()
    assert isinstance(made, ModelKind) and made.name == name, f"{KINDS[name]} is not the ModelKind {name!r}"
    return made
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
        compile_kind(con, name, active.get(name))
    return set(active)


def compile_kind(con: duckdb.DuckDBPyConnection, name: str, record: ModelRecord | None) -> None:
    """Create the SQL of model ``name``: of its version ``record``, or its untrained stand-ins when None."""
    if record is None:
        kind(name).compile_untrained(con)
        return
    with _stored_version(record):
        kind(name).compile(con, record)


def udfs_of(con: duckdb.DuckDBPyConnection, name: str, record: ModelRecord) -> list[Udf]:
    """The Python UDFs version ``record`` of model ``name`` adds to connections."""
    with _stored_version(record):
        return kind(name).udfs(con, record)


def compile_after_views(con: duckdb.DuckDBPyConnection) -> None:
    """SQL of active models that reads built tables (e.g. a lookup by customer id), created once the views exist."""
    for name, record in active_records(con).items():
        with _stored_version(record):
            kind(name).compile_after_views(con, record)


@contextmanager
def _stored_version(record: ModelRecord) -> Iterator[None]:
    """Turn a stored model this marketsql cannot read (made by another version) into one clear line."""
    try:
        yield
    except UnsafeSqlError as exc:
        raise ModelError(f"{record.name} v{record.version}: {exc} — the stored model cannot be compiled to SQL;"
                         f" retrain (`marketsql train {record.name}`) or activate another version") from None
    except ValueError as exc:  # e.g. text where a number is stored (an edited record with a valid checksum)
        raise ModelError(f"{record.name} v{record.version}: a stored value cannot be read ({exc}) — retrain"
                         f" (`marketsql train {record.name}`) or activate another version") from None
    except (KeyError, IndexError, TypeError) as exc:
        raise ModelError(
            f"{record.name} v{record.version} was stored by another marketsql version ({type(exc).__name__}: "
            f"{exc}) — train it again: `marketsql train {record.name}`"
        ) from exc


def model_udfs(con: duckdb.DuckDBPyConnection) -> list[Udf]:
    """The Python UDFs of every active model."""
    return [udf for name, record in active_records(con).items() for udf in udfs_of(con, name, record)]


def postgres_functions(con: duckdb.DuckDBPyConnection, schema: str) -> list[str]:
    """PostgreSQL statements creating every kind's SQL functions in ``schema`` (for the mirror).

    Kinds without PostgreSQL functions are left out; an untrained kind gets its stand-ins.
    """
    active = active_records(con)
    statements: list[str] = []
    for name in KINDS:
        with _stored_version(active[name]) if name in active else contextlib.nullcontext():
            statements.extend(kind(name).postgres(con, active.get(name), schema) or [])
    return statements


def postgres_after_tables(con: duckdb.DuckDBPyConnection, schema: str) -> list[str]:
    """PostgreSQL statements of the active models' functions that read mirrored tables (run after the tables)."""
    statements: list[str] = []
    for name, record in active_records(con).items():
        with _stored_version(record):
            statements.extend(kind(name).postgres_after_tables(con, record, schema) or [])
    return statements
