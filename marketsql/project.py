"""The library's entry point: a marketsql project folder (config, ``sql/``, ``udfs/``).

    project = marketsql.Project.load(".")
    result = project.build()
    con = project.connect()
"""

from __future__ import annotations

import contextlib
import dataclasses
import inspect
import shutil
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from functools import cached_property
from pathlib import Path
from typing import TYPE_CHECKING, Any

import duckdb

from marketsql import models, sampling
from marketsql.build import BuildResult, Progress, build
from marketsql.core import database, locations, manifest, memory
from marketsql.core.config import ProjectConfig, find_config, load_config
from marketsql.core.dag import build_order
from marketsql.core.locations import standard_pipeline  # noqa: F401  (public here before core had it)
from marketsql.core.udfs import Udf, register
from marketsql.core.udfs import discover as discover_udfs
from marketsql.core.views import ViewFile
from marketsql.core.views import discover as discover_views
from marketsql.errors import ConfigError, ModelError
from marketsql.models.budget.allocate import Allocation
from marketsql.models.kind import fit_kind
from marketsql.models.registry import Change, ModelRecord, PendingRegistry, Registry
from marketsql.refresh import rebuild

if TYPE_CHECKING:
    import pandas as pd

    from marketsql.engines.plan import MirrorResult
    from marketsql.models.positioning.place import Placement
    from marketsql.report import ReportResult
    from marketsql.targeting import TargetList
    from marketsql.trends.drivers import ChangeExplained


@dataclass(frozen=True)
class Trained:
    """What ``Project.train`` did: the training result (candidates, metrics, profiles), the
    registered version, and the rebuild that put it into the marts (None when not rebuilt)."""

    result: Any
    record: ModelRecord
    build: BuildResult | None


@dataclass(frozen=True)
class Activated:
    """What ``Project.activate`` did: the version now active and the rebuild that put it into the marts."""

    record: ModelRecord
    build: BuildResult


class Project:
    """A marketsql project: what its config, SQL files and UDF modules declare.

    ``overridden`` says the caller gave source paths or settings explicitly (``--source``/``--set``);
    otherwise the rebuild inside train/activate reuses those of the last build.
    """

    def __init__(self, config: ProjectConfig, overridden: bool = False) -> None:
        self.config = config
        self.overridden = overridden
        self.onboarding: Any = None  # set by init(from_file=...): what was inspected, mapped and written

    @classmethod
    def load(
        cls,
        root: str | Path = ".",
        sources: Mapping[str, str] | None = None,
        settings: Mapping[str, str] | None = None,
        database: str | Path | None = None,
    ) -> Project:
        """Read the project in ``root``; the other arguments override its config (see load_config)."""
        return cls(load_config(root, sources, settings, database), overridden=bool(sources or settings))

    @property
    def root(self) -> Path:
        """The project folder."""
        return self.config.root

    @property
    def database(self) -> Path:
        """The DuckDB file the project builds."""
        return self.config.database

    @cached_property
    def roots(self) -> list[Path]:
        """Project folders whose sql/ and udfs/ make up this project: bases first, this one last."""
        chain = [self.root]
        config = self.config
        while config.extends is not None:
            if config.extends in chain:
                raise ConfigError(f"{config.config_file}: `extends` loops back to {config.extends}"
                                  " — remove `extends` from one of the projects in the loop")
            chain.append(config.extends)
            try:
                config = load_config(config.extends)
            except ConfigError as exc:  # name the base project: its file is also called marketsql.toml
                raise ConfigError(f"in the base project {config.extends} (extends): {exc}") from exc
        return list(reversed(chain))

    @cached_property
    def views(self) -> dict[str, ViewFile]:
        """Every SQL view of the project, by name (parsed, not yet built)."""
        return discover_views(self.roots, models.KINDS)

    @cached_property
    def order(self) -> list[str]:
        """View names in dependency order."""
        return build_order(self.views, self.config.sources)

    @cached_property
    def udfs(self) -> dict[str, Udf]:
        """Every Python UDF of the project, by lower-case name."""
        return discover_udfs(self.roots)

    def check(self) -> list[str]:
        """Parse everything and resolve the dependency order without touching the database."""
        _ = self.udfs
        return self.order

    def build(self, progress: Progress | None = None) -> BuildResult:
        """Load every source and build every view, atomically; see :mod:`marketsql.build`."""
        order = self.check()
        return build(self.config, self.views, order, self.udfs, progress)

    @contextlib.contextmanager
    def writing(self, doing: str) -> Iterator[None]:
        """Hold the database's writer lock (see :func:`marketsql.core.database.writer_lock`), e.g. around
        ``connect(read_only=False)``; another writer is refused with this process's PID and ``doing``."""
        with database.writer_lock(self.database, doing):
            yield

    def connect(self, read_only: bool = False) -> duckdb.DuckDBPyConnection:
        """A connection to the built database with every UDF registered (the project's and the models')."""
        con = database.connect(self.database, read_only=read_only)
        try:
            register(con, self.udfs.values())
            register(con, models.model_udfs(con))
        except BaseException:
            con.close()
            raise
        return con

    def train(self, name: str, progress: Progress | None = None, rebuild: bool = True, sample: int | None = None,
              sample_from: str | None = None, spark: Mapping[str, str | None] | None = None, **options: Any) -> Trained:
        """Train model ``name`` on the built database, register it as active, refresh so marts use it.

        One atomic step under the writer lock: the database is only read while fitting; the new version
        is written by the refresh (:mod:`marketsql.refresh`: a copy of the database where only what reads the
        model is made again, on the data the last build read) into the new file, which replaces the old one
        only if all succeeded. With ``rebuild=False`` the version is registered in place in one transaction,
        and the next build compiles it (to train several models with one rebuild). With ``sample`` it is trained
        on that many customers, cut from the project database or (``sample_from="spark"``, ``spark`` = master /
        warehouse / schema) from its Spark mirror; see :mod:`marketsql.sampling`.
        """
        kind = models.kind(name)
        accepted = [option for option in inspect.signature(kind.train).parameters if option != "context"]
        for option in options:
            if option not in accepted:
                raise ModelError(f"{name} has no option {option} — its options: {', '.join(accepted)}")
        sampled = sampling.plan(self.config, sample, sample_from, spark) if sample is not None or sample_from else None
        say = progress or (lambda message: None)
        with self.writing(f"train {name}"):
            if sampled is not None:
                result, changes = sampling.train(self, kind, sampled, say, options)
            else:
                result, changes = fit_kind(self.database, kind, self.views, say, options)
            memory.give_back()  # the training's frames and the connection's cache, before the rebuild's own
            if not rebuild:
                return Trained(result, self._commit_in_place(changes)[-1], None)
            built = self._rebuild(changes, progress, f"train {name}", kind.rebuild_memory_limit)
        return Trained(result, built.models[-1], built)

    def _commit_in_place(self, changes: Sequence[Change]) -> list[ModelRecord]:
        """Write registry changes into the database itself; each change is one transaction (all or none)."""
        con = database.connect(self.database)
        try:
            registry = Registry(con)
            return [change.apply(registry) for change in changes]
        finally:
            con.close()

    def _rebuild(self, changes: Sequence[Change], progress: Progress | None, after: str,
                 limit: str | None = None) -> BuildResult:
        """Refresh with ``changes`` applied, or build in full, from :meth:`rebuild_inputs` (the notes say why not
        refreshed); ``after``: what asked ("train clv"); ``limit``: DuckDB's memory_limit if the project sets none."""
        config, notes = self.rebuild_inputs()
        result = rebuild(config, self.views, self.check(), self.udfs, progress, changes, limit, after, self.overridden)
        return dataclasses.replace(result, notes=[*notes, *result.notes])

    def rebuild_inputs(self) -> tuple[ProjectConfig, list[str]]:
        """The config a rebuild (or a sampled training) reads: the last build's source paths and settings, unless
        the project was loaded with explicit overrides; and notes saying which were reused."""
        if self.overridden:
            return self.config, []
        con = database.connect(self.database, read_only=True)
        try:
            last = manifest.last_inputs(con)
        finally:
            con.close()
        return last.applied_to(self.config) if last else (self.config, [])

    def models(self) -> list[ModelRecord]:
        """Every registered model version, newest first (read without loading any: a version that cannot be
        loaded must not block the command that lists it, to roll it back)."""
        con = database.connect(self.database, read_only=True)
        try:
            return Registry(con).list()
        finally:
            con.close()

    def allocate_budget(
        self,
        total: float,
        minimum: Mapping[str, float] | None = None,
        maximum: Mapping[str, float] | None = None,
        objective: str = "revenue",
        extrapolation: float | None = None,
    ) -> Allocation:
        """Split a monthly budget ``total`` across channels with the active budget model's curves,
        maximising predicted attributed revenue (or new customers); see :mod:`marketsql.models.budget.allocate`."""
        from marketsql.models.budget.serve import allocate_budget

        con = self.connect(read_only=True)
        try:
            return allocate_budget(con, total, minimum, maximum, objective, extrapolation)
        finally:
            con.close()

    def explain_change(self, period_a: str, period_b: str, by: Sequence[str] | None = None,
                       top: int = 5) -> ChangeExplained:
        """What drove the revenue change from month ``period_a`` to ``period_b`` ('YYYY-MM'), by dimension: the
        largest contributors with volume, mix and rate effects (see :mod:`marketsql.trends.drivers`)."""
        from marketsql.trends.drivers import explain_change

        con = database.connect(self.database, read_only=True)
        try:
            return explain_change(con, period_a, period_b, by, top)
        finally:
            con.close()

    def position(self, attributes: Mapping[str, Any], k: int = 5, fill_missing: bool = False, buyers: int = 10,
                 output: str | Path | None = None) -> Placement:
        """Place a hypothetical product (brand, price, attributes) against the active positioning model, with the
        ``buyers`` customers most likely to buy it; ``output`` (.csv/.parquet) also gets those customers."""
        from marketsql.models.positioning.place import place
        from marketsql.targeting import store

        path = Path(output).resolve() if output is not None else None
        if path is not None:
            if buyers < 1:
                raise ModelError(f"--buyers {buyers} with -o {output}: nothing to write — give --buyers 1 or more")
            store.check_output(path)
        con = self.connect(read_only=True)
        try:
            placement = place(con, attributes, k=k, fill_missing=fill_missing, buyers=buyers)
        finally:
            con.close()
        if path is not None:
            if placement.buyers is None:
                raise ModelError(f"nothing written to {path}: {placement.notes[-1]}")
            import pandas as pd

            rows = pd.DataFrame([dataclasses.asdict(b) for b in placement.buyers],
                                columns=["customer_id", "segment_name", "probability"])
            store.write_file(rows, path)
        return placement

    def target(self, model: str, target: str | None, budget: float, cost_per_contact: float,
               treatment: str | None = None, value: float | None = None, min_profit: float = 0.0,
               output: str | Path | None = None, name: str | None = None) -> TargetList:
        """A contact list from the served propensity or uplift scores under ``budget`` (expected profit = p × value
        − cost), saved in ``target_lists`` and, if given, ``output`` (.csv/.parquet); see :mod:`marketsql.targeting`."""
        from marketsql.targeting import make_list

        return make_list(self, model, target, budget, cost_per_contact, treatment, value, min_profit, output, name)

    def target_lists(self, name: str | None = None) -> pd.DataFrame:
        """The saved contact lists, one row each (newest first), or with ``name`` that list's rows."""
        from marketsql.targeting import store

        con = database.connect(self.database, read_only=True)
        try:
            return store.saved(con) if name is None else store.rows_of(con, name)
        finally:
            con.close()

    def activate(self, name: str, version: int, progress: Progress | None = None) -> Activated:
        """Make another version of a model the active one (roll back or forward) and refresh, atomically."""
        models.kind(name)
        with self.writing(f"activate {name} v{version}"):
            con = database.connect(self.database, read_only=True)
            try:
                registry = PendingRegistry(con)
                registry.activate(name, version)
            finally:
                con.close()
            built = self._rebuild(registry.changes, progress, f"activate {name} v{version}")
        return Activated(built.models[-1], built)

    def report(self, path: str | Path | None = None) -> ReportResult:
        """Write the HTML report of the built database (default: report.html in the project folder)."""
        from marketsql.report import write_report

        return write_report(self, path)

    def mirror_postgres(self, dsn: str | None = None, schema: str | None = None, readers: Sequence[str] = (),
                        progress: Progress | None = None) -> MirrorResult:
        """Mirror the built database onto PostgreSQL, atomically (see :mod:`marketsql.engines.postgres.mirror`).

        ``dsn``/``schema`` default to ``MARKETSQL_PG_DSN``/``MARKETSQL_PG_SCHEMA``, then ``[targets.postgres]``.
        """
        from marketsql.engines.postgres import connection, mirror

        target = connection.resolve(self.config.targets, dsn, schema, tuple(readers))
        return mirror.mirror(self, target, progress)

    def check_postgres(self, dsn: str | None = None, schema: str | None = None,
                       server: bool = True) -> MirrorResult:
        """Every view that cannot be mirrored onto PostgreSQL, with file, line and reason; writes nothing
        (``check_target("postgres", …)``: with ``server`` and a DSN, also dry-run on the server, rolled back)."""
        return self.check_target("postgres", dsn, schema, server)

    def mirror_to(self, target: str, dsn: str | None = None, schema: str | None = None,
                  progress: Progress | None = None, **options: str | None) -> MirrorResult:
        """Mirror the built database onto engine ``target`` (``postgres``, ``mysql`` or ``spark``), atomically; see
        :mod:`marketsql.engines.base`. ``dsn``/``schema`` default to the engine's environment variable, then
        ``[targets.<target>]``; for Spark ``dsn`` is the master and ``warehouse=`` the folder."""
        from marketsql.engines.base import engine

        chosen = engine(target)
        return chosen.mirror(self, chosen.resolve(self.config.targets, dsn, schema, **options), progress)

    def check_target(self, target: str, dsn: str | None = None, schema: str | None = None,
                     server: bool = True, **options: str | None) -> MirrorResult:
        """Every view that cannot be mirrored onto engine ``target``, with file, line and reason; writes nothing
        readers see (with ``server`` and a DSN configured, the objects are also created on the server, without
        rows, and dropped or rolled back)."""
        from marketsql.engines.base import engine
        from marketsql.errors import ConfigError

        chosen = engine(target)
        resolved = None
        if server:
            try:
                resolved = chosen.resolve(self.config.targets, dsn, schema, **options)
            except ConfigError:
                if dsn:
                    raise
        return chosen.check(self, resolved, files_only=not server)


def connect(root: str | Path = ".", read_only: bool = False) -> duckdb.DuckDBPyConnection:
    """Shortcut for ``Project.load(root).connect()``."""
    return Project.load(root).connect(read_only=read_only)


def init(directory: str | Path, from_file: str | Path | None = None, kind: str | None = None,
         columns: Mapping[str, str] | None = None) -> Project:
    """Start a new project in ``directory`` from the standard pipeline (demo sources configured), or,
    with ``from_file``, on that file: its shape sniffed, its columns mapped to the staging contract
    (``kind`` and ``columns`` — contract field → column — where the guess needs help) and
    ``marketsql.toml`` and ``sql/staging/*.sql`` written for it (``Project.onboarding`` says what)."""
    target = Path(directory).resolve()
    onboarding = None
    if from_file is not None:  # inspect and map before writing anything: a bad file leaves no folder behind
        from marketsql.onboard import plan

        onboarding = plan(target, from_file, kind, columns)
    if find_config(target) is not None:
        raise ConfigError(f"{target} is already a marketsql project — edit it, or choose another folder")
    locations.prepare_folder(target, "choose another folder")
    if any(target.iterdir()):
        raise ConfigError(f"{target} is not empty — choose a new or empty folder")
    source = locations.standard_pipeline()
    shutil.copytree(source / "sql", target / "sql")
    shutil.copytree(source / "udfs", target / "udfs", ignore=shutil.ignore_patterns("__pycache__"))
    shutil.copyfile(source / "marketsql.toml", target / "marketsql.toml")
    if onboarding is not None:
        (target / "marketsql.toml").write_text(onboarding.config, encoding="utf-8")
        for name, text in onboarding.staging.items():
            (target / "sql" / "staging" / name).write_text(text, encoding="utf-8")
    (target / ".gitignore").write_text("*.duckdb\n*.duckdb.wal\n*.lock\ndata/\nreport.html\n", encoding="utf-8")
    project = Project.load(target)
    project.onboarding = onboarding
    return project
