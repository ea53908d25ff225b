"""The propensity model in the database: train and register, compile to macros, serve trees and reasons as UDFs.

SQL once trained: ``propensity_targets()``; per linear target a plain macro ``propensity_<algorithm>_<target>(…
features)`` any DuckDB client runs; ``propensity_score(target_index, … features)``; after the views are built
``propensity(customer_id, target)``, ``propensity_reasons(customer_id, target)`` and ``churn_risk(customer_id)``
reading the mart ``customer_propensity`` (materialised at build, so any client reads it).
"""

from __future__ import annotations

import inspect
from collections.abc import Callable, Iterable

import duckdb
import numpy as np
import pyarrow as pa

from marketsql.core.udfs import Udf
from marketsql.errors import ModelError
from marketsql.models.kind import ModelKind, TrainContext, fingerprint, mirrored_id_type
from marketsql.models.registry import ModelRecord

from . import sql
from .candidates import parse_candidates
from .data import check_targets, cutoffs
from .network import SequenceNet, net_of
from .scoring import Linear, Model, Trees, model_of, reasons
from .sequences import SequenceIndex, Vocabulary, as_lists
from .targets import FEATURES, Target, parse_targets
from .train import PropensityTraining, train_targets

NAME = "propensity"


def targets_of(record: ModelRecord) -> list[Target]:
    """The targets of a stored version, in index order."""
    return [Target(t["kind"], t["value"]) for t in record.params["targets"]]


def models_of(con: duckdb.DuckDBPyConnection, record: ModelRecord) -> list[Model | SequenceNet]:
    """The numpy scorer of every target of a stored version."""
    from marketsql.models.registry import Registry

    shapes = [t["shape"] for t in record.params["targets"]]
    arrays = Registry(con).arrays(record) if set(shapes) - {"linear"} else {}
    return [net_of(record.params, arrays, i) if shape == "sequence" else model_of(record.params, arrays, i)
            for i, shape in enumerate(shapes)]


def vocabulary_of(record: ModelRecord, index: int) -> Vocabulary:
    """The product and category tokens of a sequence target."""
    p = record.params["targets"][index]
    return Vocabulary(tuple(p["products"]), tuple(p["categories"]))


def _columns(arrays: tuple[pa.Array, ...]) -> np.ndarray:
    return np.column_stack([np.asarray(a.to_numpy(zero_copy_only=False), dtype=np.float64) for a in arrays])


def _fixed_arity(func: Callable[..., pa.Array], count: int) -> Callable[..., pa.Array]:
    """``func`` (target index, *features) with a signature of exactly ``count`` parameters: DuckDB registers a
    function by its signature and has no varargs."""
    func.__signature__ = inspect.Signature(  # type: ignore[attr-defined]
        [inspect.Parameter(f"p{i}", inspect.Parameter.POSITIONAL_ONLY) for i in range(count)])
    return func


def _by_target(index: pa.Array) -> Iterable[tuple[int, np.ndarray]]:
    idx = np.asarray(index.to_numpy(zero_copy_only=False), dtype=np.int64)
    for value in np.unique(idx):
        yield int(value), np.flatnonzero(idx == value)


class Propensity(ModelKind):
    """Who will buy again, buy a category or a product within a horizon: baseline, logistic, trees, judged on a
    rolling-origin time holdout; the winner by PR AUC is served (the baseline when no model beats it)."""

    name = NAME
    reads = ("customer_features", "stg_order_lines", "stg_products")
    options = ("target", "horizon_days", "seed", "candidates")

    def train(self, context: TrainContext, target: str | list[str] | None = None, horizon_days: int = 30,
              seed: int = 0, candidates: str | list[str] | None = None,
              serve: str | None = None) -> tuple[PropensityTraining, ModelRecord]:
        """Examples at rolling cutoffs, candidates per target (default baseline, logistic, hgb; add ``keras`` for
        the sequence network), the winner (or the baseline) registered; ``serve`` forces a candidate (tests)."""
        targets = parse_targets(target)
        chosen = parse_candidates(candidates)
        if serve is not None and serve not in chosen:
            raise ModelError(f"serve={serve!r} is not among the candidates fitted ({', '.join(chosen)})")
        if not 1 <= int(horizon_days) <= 3650:
            raise ModelError(f"--horizon-days {horizon_days}: give 1 to 3650 days")
        con = context.con
        check_targets(con, targets)
        cuts = cutoffs(con, int(horizon_days))
        result = train_targets(con, context.views, targets, cuts, seed, context.progress, chosen, serve)
        params = {"horizon_days": int(horizon_days), "cutoffs": cuts.as_dict(), "features": list(FEATURES),
                  "targets": [{"kind": r.target.kind, "value": r.target.value, "name": r.target.name,
                               "algorithm": r.served.name, **r.served.params} for r in result.results]}
        metrics = {"targets": {r.target.name: {"served": r.served.name, "baseline_served": r.baseline_served,
                                               "candidates": r.metrics, "positives": r.positives, "rows": r.rows}
                               for r in result.results},
                   "cutoffs": cuts.as_dict(), "candidates": list(chosen)}
        first = result.results[0]
        metrics |= {"pr_auc": first.metrics[first.served.name]["pr_auc"],
                    "lift_top_10": first.metrics[first.served.name]["lift_top_10"]}
        arrays = {k: v for r in result.results for k, v in r.served.arrays.items()}
        frame = result.frames["evaluation"]
        record = context.register(self, "+".join(sorted({r.served.name for r in result.results})), params,
                                  FEATURES, metrics, arrays, fingerprint(frame[["customer_id", "target", *FEATURES]]))
        return result, record

    def training_lines(self, result: PropensityTraining, record: ModelRecord) -> list[str]:
        """The cutoffs, every candidate beside the baseline per target, what was registered."""
        return [*result.lines(), f"Registered {record.name} v{record.version} as active; marts updated"]

    def compile(self, con: duckdb.DuckDBPyConnection, record: ModelRecord) -> None:
        """``propensity_targets()``, the linear macros and ``propensity_score`` (UDFs registered first)."""
        linear = {i: m for i, m in enumerate(models_of(con, record)) if isinstance(m, Linear)}
        for statement in sql.duckdb_macros(targets_of(record), linear, record.params, record.version):
            con.execute(statement)

    def compile_untrained(self, con: duckdb.DuckDBPyConnection) -> None:
        """Stand-ins that fail with what to run."""
        for statement in sql.duckdb_untrained():
            con.execute(statement)

    def compile_after_views(self, con: duckdb.DuckDBPyConnection, record: ModelRecord) -> None:
        """The customer-id lookups, once ``customer_propensity`` exists."""
        present = con.execute("SELECT count(*) FROM duckdb_tables() WHERE schema_name = 'main'"
                              " AND database_name = current_database() AND table_name = 'customer_propensity'")
        if present.fetchall()[0][0]:
            has_repeat = any(t.kind == "repeat" for t in targets_of(record))
            for statement in sql.customer_macros(has_repeat):
                con.execute(statement)

    def postgres(self, con: duckdb.DuckDBPyConnection, record: ModelRecord | None, schema: str) -> list[str]:
        """The compiled linear targets as plain PostgreSQL functions, and the lookup stand-ins while untrained or
        unbuilt (see :mod:`.postgres`)."""
        from .postgres import function_statements

        if record is None:
            return function_statements(schema, None, None, {}, built=False)
        linear = {i: m for i, m in enumerate(models_of(con, record)) if isinstance(m, Linear)}
        built = mirrored_id_type(con, "customer_propensity", "customer_id") is not None
        return function_statements(schema, targets_of(record), record.params, linear, built)

    def postgres_after_tables(self, con: duckdb.DuckDBPyConnection, record: ModelRecord, schema: str) -> list[str]:
        """``propensity``, ``propensity_reasons`` and ``churn_risk`` reading the mirrored customer_propensity."""
        from .postgres import lookup_statements

        id_type = mirrored_id_type(con, "customer_propensity", "customer_id")
        if id_type is None:
            return []
        return lookup_statements(schema, any(t.kind == "repeat" for t in targets_of(record)), id_type)

    def udfs(self, con: duckdb.DuckDBPyConnection, record: ModelRecord) -> list[Udf]:
        """``propensity_trees(target_index, … features)`` (the calibrated probability of a tree target) and
        ``propensity_reasons_at(target_index, … features)`` (the three largest contributions, any target)."""
        models = models_of(con, record)

        def propensity_trees(index: pa.Array, *features: pa.Array) -> pa.Array:
            x, out = _columns(features), np.full(len(index), np.nan)
            for i, rows in _by_target(index):
                model = models[i]
                if not isinstance(model, Trees):
                    raise ModelError(f"target {i} of propensity v{record.version} is not served by trees")
                out[rows] = model.probability(x[rows])
            return pa.array(out, type=pa.float64())

        def propensity_reasons_at(index: pa.Array, *features: pa.Array) -> pa.Array:
            x = _columns(features)
            out: list[list[str] | None] = [None] * len(index)
            for i, rows in _by_target(index):
                model = models[i]
                if isinstance(model, SequenceNet):  # needs the sequence: propensity_keras_reasons
                    continue
                for row, why in zip(rows, reasons(model, x[rows], FEATURES), strict=True):
                    out[row] = why
            return pa.array(out, type=pa.list_(pa.string()))

        params = ("INTEGER", *("DOUBLE",) * len(FEATURES))
        udfs = [Udf("propensity_trees", _fixed_arity(propensity_trees, len(params)), params, "DOUBLE",
                    "propensity model"),
                Udf("propensity_reasons_at", _fixed_arity(propensity_reasons_at, len(params)), params, "VARCHAR[]",
                    "propensity model")]
        if any(isinstance(m, SequenceNet) for m in models):
            udfs += self._keras_udfs(models, record)
        return udfs

    def _keras_udfs(self, models: list[Model | SequenceNet], record: ModelRecord) -> list[Udf]:
        """``propensity_keras`` / ``propensity_keras_reasons(target_index, seq_products, seq_categories, seq_days,
        … features)``: the sequence network in numpy."""
        vocabularies = {i: vocabulary_of(record, i) for i, m in enumerate(models) if isinstance(m, SequenceNet)}

        def inputs(index: pa.Array, lists: tuple[pa.Array, ...], features: tuple[pa.Array, ...]):  # noqa: ANN202
            x = _columns(features)
            for i, rows in _by_target(index):
                net = models[i]
                if not isinstance(net, SequenceNet):
                    raise ModelError(f"target {i} of propensity v{record.version} is not served by the Keras network")
                picked = pa.array(rows)
                products, categories, days = (a.take(picked) for a in lists)
                steps = vocabularies[i].encode(products, categories, days,
                                               steps=int(record.params["targets"][i]["steps"]))
                yield net, rows, x[rows], steps

        def propensity_keras(index: pa.Array, *args: pa.Array) -> pa.Array:
            out = np.full(len(index), np.nan)
            for net, rows, x, steps in inputs(index, args[:3], args[3:]):
                out[rows] = net.probability(x, steps)
            return pa.array(out, type=pa.float64())

        def propensity_keras_reasons(index: pa.Array, *args: pa.Array) -> pa.Array:
            out: list[list[str] | None] = [None] * len(index)
            for net, rows, x, steps in inputs(index, args[:3], args[3:]):
                for row, why in zip(rows, net.reasons(x, steps, FEATURES), strict=True):
                    out[row] = why
            return pa.array(out, type=pa.list_(pa.string()))

        params = ("INTEGER", "VARCHAR[]", "VARCHAR[]", "DOUBLE[]", *("DOUBLE",) * len(FEATURES))
        return [Udf("propensity_keras", _fixed_arity(propensity_keras, len(params)), params, "DOUBLE",
                    "propensity model"),
                Udf("propensity_keras_reasons", _fixed_arity(propensity_keras_reasons, len(params)), params,
                    "VARCHAR[]", "propensity model")]

    def sql_and_python(self, con: duckdb.DuckDBPyConnection, record: ModelRecord) -> tuple[np.ndarray, np.ndarray]:
        """``propensity(customer_id, target)`` for every row of propensity_features, and the numpy scorer of the
        stored version on the same rows."""
        frame = con.execute("SELECT *, propensity(customer_id, target) AS sql_p FROM propensity_features"
                            " ORDER BY target_index, customer_id").df()
        models = models_of(con, record)
        table = con.sql(as_lists("SELECT * FROM propensity_sequences")).to_arrow_table() if any(
            isinstance(m, SequenceNet) for m in models) else None
        python = np.empty(len(frame))
        for i, model in enumerate(models):
            rows = np.flatnonzero(frame["target_index"].to_numpy() == i)
            x = frame.loc[rows, list(FEATURES)].to_numpy(np.float64)
            if isinstance(model, SequenceNet):
                found = SequenceIndex(vocabulary_of(record, i), {None: table},
                                      int(record.params["targets"][i]["steps"]))
                python[rows] = model.probability(x, found.steps(frame.loc[rows, "customer_id"], [None] * len(rows)))
            else:
                python[rows] = model.probability(x)
        return frame["sql_p"].to_numpy(np.float64), python
