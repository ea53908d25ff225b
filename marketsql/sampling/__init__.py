"""Training a model on a customer sample: ``marketsql train KIND --sample N [--sample-from duckdb|spark]``.

The sample (:mod:`marketsql.core.customer_sample`: N customers by an md5 rule both engines compute, each with its
whole history) is cut from the project database's raw tables, or from the Spark mirror's and pulled to the driver
as Arrow (:mod:`marketsql.engines.spark.sample`); written as Parquet into a temporary folder; the project's SQL is
rebuilt over it there by the ordinary build (:mod:`.draw`: a scratch config whose sources are those files, the
project's model registry carried over, the whole data's analysis date kept); the kind is trained on that scratch
database exactly as ``train`` trains on the project's. The new version, its params saying the sample, is then
registered in the project by the caller's atomic rebuild. The temporary folder is removed whatever happens.
"""

from __future__ import annotations

import dataclasses
import tempfile
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from marketsql.build import build
from marketsql.core import customer_sample as rule
from marketsql.core.config import ProjectConfig
from marketsql.errors import ConfigError
from marketsql.models.kind import ModelKind, fit_kind
from marketsql.models.registry import Change, Registration

from . import draw


@dataclass(frozen=True)
class SamplePlan:
    """A checked request: how many customers, from which engine (and the Spark mirror's target)."""

    size: int
    source: str
    spark: Any = None  # engines.spark.session.Target for source "spark"


def plan(config: ProjectConfig, size: Any, source: str | None, spark: Mapping[str, str | None] | None) -> SamplePlan:
    """Check the request before anything is read (no JVM started): ConfigError in one line when it is wrong.
    ``spark``: ``master`` / ``warehouse`` / ``schema`` of the mirror, as ``build --target spark`` takes them."""
    chosen = rule.check_source(source or "duckdb")
    if size is None:
        raise ConfigError(f"--sample-from {chosen} without --sample — give the number of customers, e.g. --sample"
                          " 20000")
    rule.check_size(size)
    target = None
    if chosen == "spark":
        from marketsql.engines.spark import sample as spark_sample

        given = dict(spark or {})
        target = spark_sample.target(config.targets, config.root, given.get("master"), given.get("warehouse"),
                                     given.get("schema"))
    return SamplePlan(size, chosen, target)


def train(project: Any, kind: ModelKind, chosen: SamplePlan, progress: Callable[[str], None],
          options: Mapping[str, Any]) -> tuple[Any, list[Change]]:
    """Train ``kind`` on the sample of ``project`` (a Project, whose writer lock the caller holds): (the training's
    result, the registry changes with the sample in the params). The sources and settings are those of the last
    build, as the rebuild that follows uses them, unless the project was loaded with explicit overrides."""
    config = project.rebuild_inputs()[0]
    with tempfile.TemporaryDirectory(prefix="marketsql-sample-") as tmp:
        folder = Path(tmp)
        drawn = _draw(project.database, config, chosen, folder, progress)
        scratch = draw.scratch_config(config, drawn, folder, draw.analysis_date(project.database))
        draw.seed_registry(project.database, scratch.database)
        progress(f"building the project over the sample of {chosen.size:,} customers")
        build(scratch, project.views, project.check(), project.udfs, progress)
        result, trained = fit_kind(scratch.database, kind, project.views, progress, options)
    said = {"customers": chosen.size, "of": drawn.population, "source": chosen.source, "rule": rule.RULE,
            **drawn.keys.describe(), "rows": dict(sorted(drawn.rows.items()))}
    changes = [dataclasses.replace(c, params={**c.params, "sample": said}) if isinstance(c, Registration) else c
               for c in trained]
    return result, changes


def _draw(db: Path, config: ProjectConfig, chosen: SamplePlan, folder: Path,
          progress: Callable[[str], None]) -> draw.Drawn:
    tables = list(config.sources)
    if chosen.source == "duckdb":
        progress(f"sampling {chosen.size:,} customers from the project database")
        return draw.from_duckdb(db, tables, config.settings, chosen.size, folder)
    from marketsql.engines.spark import sample as spark_sample

    progress(f"sampling {chosen.size:,} customers from the Spark mirror ({chosen.spark.shown})")
    pulled = spark_sample.draw(chosen.spark, tables, config.settings, chosen.size)
    return draw.from_arrow(db, pulled.tables, pulled.population, pulled.keys, folder)
