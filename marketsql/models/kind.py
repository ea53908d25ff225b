"""The one shape of a model kind: what it reads, how it trains, what it gives the database once trained.

A kind is a subclass of :class:`ModelKind` in its own package (``marketsql/models/<kind>/serve.py``) plus one
line in :data:`marketsql.models.KINDS`. Everything the build, the mirror, the CLI and the report do with models
goes through these methods, so a new kind is served, mirrored, rolled back and listed like the others:

    class Churn(ModelKind):
        name = "churn"
        reads = ("customer_features",)
        options = ("horizon_days", "seed")           # CLI options `marketsql train churn` passes on

        def train(self, context, horizon_days=90, seed=0):
            frame = context.read("customer_features")
            ...                                      # fit the candidates and the baseline on a time holdout
            return result, context.register(self, "logistic", params, features, metrics, arrays,
                                            fingerprint(frame, ["customer_id", *features]))

        def compile(self, con, record):              # SQL macros any client can call
            con.execute(f"CREATE OR REPLACE MACRO churn_risk(...) AS ...")

        def compile_untrained(self, con):            # the same names, failing with what to run
            con.execute(f"CREATE OR REPLACE MACRO churn_risk(...) AS error({literal(self.untrained)})")

Heavy libraries (scikit-learn, TensorFlow) are imported inside ``train`` only: serving needs numpy at most.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, ClassVar

import duckdb

from marketsql.core import database
from marketsql.core.sqltext import quote_ident
from marketsql.errors import ModelError
from marketsql.models.registry import Change, ModelRecord, PendingRegistry, Registry, json_safe, untrained

if TYPE_CHECKING:
    from pathlib import Path

    import numpy as np
    import pandas as pd

    from marketsql.core.udfs import Udf
    from marketsql.core.views import ViewFile


@dataclass(frozen=True)
class TrainContext:
    """What a training gets: the built database (read-only), the registry the new version is recorded in
    (written by the rebuild that follows), the project's SQL views (to recompute features as of a cutoff,
    see :mod:`marketsql.models.asof`) and a progress callback."""

    con: duckdb.DuckDBPyConnection
    registry: Registry
    views: Mapping[str, ViewFile]
    progress: Callable[[str], None]

    def read(self, view: str, query: str | None = None) -> pd.DataFrame:
        """``SELECT * FROM view`` (or ``query``) as a frame; a missing view says to build first."""
        try:
            return self.con.execute(query or f"SELECT * FROM {quote_ident(view)}").df()
        except duckdb.CatalogException as exc:
            raise ModelError(f"no {view} view in this database — run `marketsql build` first") from exc

    def register(self, kind: ModelKind, algorithm: str, params: dict[str, Any], features: Sequence[str],
                 metrics: dict[str, Any], arrays: Mapping[str, Any], fingerprint: str) -> ModelRecord:
        """Record a new active version of ``kind`` (params and metrics made JSON-safe)."""
        return self.registry.register(kind.name, algorithm, json_safe(params), list(features), json_safe(metrics),
                                      dict(arrays), fingerprint)


class ModelKind:
    """Base class of every model kind; subclasses set the class attributes and implement the four methods
    marked abstract. Instances hold no state: one per kind, made by :func:`marketsql.models.kind`."""

    name: ClassVar[str]
    """The name users type: ``marketsql train <name>``, ``marketsql activate <name> 2``."""
    reads: ClassVar[tuple[str, ...]] = ()
    """Views the training reads; a database without them is refused before training ("build first")."""
    options: ClassVar[tuple[str, ...]] = ()
    """Keyword options of :meth:`train` that ``marketsql train`` passes on when given."""
    rebuild_memory_limit: ClassVar[str | None] = None
    """DuckDB ``memory_limit`` of the rebuild that follows a training when the project sets none (the training's
    libraries and model are still in the process); None: DuckDB's default (80 % of RAM)."""
    sql_python_rtol: ClassVar[float] = 1e-9
    """How closely :meth:`sql_and_python`'s two sides agree (float32 models: float32's precision)."""

    @property
    def untrained(self) -> str:
        """What a function of this kind says before any version is trained."""
        return untrained(self.name)

    def train(self, context: TrainContext, *args: Any, **options: Any) -> tuple[Any, ModelRecord]:
        """Fit on ``context`` (a time-based holdout against a baseline), register the version: (result, record)."""
        raise NotImplementedError

    def compile(self, con: duckdb.DuckDBPyConnection, record: ModelRecord) -> None:
        """Create the SQL (macros, tables) of the active version ``record`` in ``con``."""
        raise NotImplementedError

    def compile_untrained(self, con: duckdb.DuckDBPyConnection) -> None:
        """Create stand-ins of the same SQL names that fail with :attr:`untrained`."""
        raise NotImplementedError

    def compile_after_views(self, con: duckdb.DuckDBPyConnection, record: ModelRecord) -> None:
        """SQL that reads built views (e.g. a lookup by customer id), created once they exist. Default: none."""

    def udfs(self, con: duckdb.DuckDBPyConnection, record: ModelRecord) -> list[Udf]:
        """Python (Arrow) UDFs the active version adds to marketsql connections. Default: none."""
        return []

    def postgres(self, con: duckdb.DuckDBPyConnection, record: ModelRecord | None, schema: str) -> list[str] | None:
        """PostgreSQL statements creating this kind's functions in ``schema`` for the mirror (stand-ins when
        ``record`` is None); None when the kind has no PostgreSQL functions."""
        return None

    def postgres_after_tables(self, con: duckdb.DuckDBPyConnection, record: ModelRecord,
                              schema: str) -> list[str] | None:
        """PostgreSQL statements creating functions that read mirrored tables of ``schema`` (e.g. a lookup by
        customer id), run once the mirror's tables exist; like :meth:`compile_after_views`. Default: none."""
        return None

    def sql_and_python(self, con: duckdb.DuckDBPyConnection, record: ModelRecord) -> tuple[np.ndarray, np.ndarray]:
        """The active version's output for every row it serves, computed twice: by the SQL (or UDFs) clients call,
        and by the Python model from the stored version. The common test (tests/test_kinds.py) requires them
        equal; a new kind must say here what "the same answer in SQL" means for it."""
        raise NotImplementedError(f"{self.name}: sql_and_python")

    def training_lines(self, result: Any, record: ModelRecord) -> list[str]:
        """What ``marketsql train`` prints: the candidates beside the baseline, and what was registered."""
        return [f"Registered {record.name} v{record.version} ({record.kind}) as active"]

    def check_reads(self, con: duckdb.DuckDBPyConnection) -> None:
        """Refuse a database that lacks a view the training reads, naming it."""
        present = {row[0] for row in con.execute(
            "SELECT table_name FROM information_schema.tables WHERE table_schema = 'main'").fetchall()}
        missing = [view for view in self.reads if view not in present]
        if missing:
            raise ModelError(f"no {missing[0]} view in this database — run `marketsql build` first")


def fit_kind(path: Path, kind: ModelKind, views: Mapping[str, ViewFile], progress: Callable[[str], None],
             options: Mapping[str, Any]) -> tuple[Any, list[Change]]:
    """Train ``kind`` on the database at ``path`` (opened read-only): (the training's result, the registry changes
    the caller writes — the new version lands with the rebuild or refresh that follows)."""
    con = database.connect(path, read_only=True)
    try:
        kind.check_reads(con)
        registry = PendingRegistry(con)
        result, _ = kind.train(TrainContext(con, registry, views, progress), **options)
        return result, list(registry.changes)
    finally:
        con.close()


def fingerprint(*frames: pd.DataFrame) -> str:
    """SHA-256 of the rows a model was trained on (row order kept), stored with the version."""
    import pandas as pd

    digest = hashlib.sha256()
    for frame in frames:
        digest.update(pd.util.hash_pandas_object(frame, index=False).to_numpy().tobytes())
    return digest.hexdigest()


# DuckDB → PostgreSQL types of the id columns the kinds' PostgreSQL lookups take (the mirror copies them as these)
ID_TYPES = {"VARCHAR": "text", "BIGINT": "bigint", "INTEGER": "integer", "SMALLINT": "smallint",
            "TINYINT": "smallint", "UTINYINT": "smallint", "USMALLINT": "integer", "UINTEGER": "bigint",
            "DOUBLE": "double precision", "UUID": "uuid", "DATE": "date"}


def mirrored_id_type(con: duckdb.DuckDBPyConnection, table: str, column: str) -> str | None:
    """The PostgreSQL type of ``main.table.column`` once mirrored; None when the table is not built (or the column
    has a type that is not an id)."""
    rows = con.execute("SELECT data_type FROM information_schema.columns WHERE table_schema = 'main'"
                       " AND table_catalog = current_database() AND table_name = ? AND column_name = ?",
                       [table, column]).fetchall()
    return ID_TYPES.get(str(rows[0][0]).upper()) if rows else None
