"""The uplift model in the database: train per arm, register the trees as arrays, score them with numpy.

SQL once trained: the Arrow UDF ``uplift_score(arm, feature_names, feature_values)`` (numpy over the exported
trees, marketsql connections), the table macro ``uplift_arms()`` (arm, served method, version), the mart
``campaign_uplift`` (materialised at build, so any client reads it) and, once it is built, the macro
``uplift(customer_id, treatment)`` reading it (any client; an unknown treatment fails naming the known ones).
"""

from __future__ import annotations

from typing import Any

import duckdb
import numpy as np
import pyarrow as pa

from marketsql.core.sqltext import literal
from marketsql.core.tablemacro import failing_table_macro, table_macro
from marketsql.core.udfs import Udf
from marketsql.models.kind import ModelKind, TrainContext, fingerprint, mirrored_id_type
from marketsql.models.registry import ModelRecord, Registry

from .data import CONTRACT, VIEW, check
from .trees import Forest

NAME = "uplift"
ALGORITHM = "uplift: T-learner / class transformation (gradient boosting) vs response propensity"
ARM_COLUMNS = [("arm", "VARCHAR"), ("method", "VARCHAR"), ("model_version", "INTEGER")]
FORESTS = {"t_learner": ("treated", "control"), "class_transformation": ("z",), "response": ("treated",)}


def scorer(record: ModelRecord, arrays: dict[str, np.ndarray]) -> Any:
    """``score(arm, x)``: the served method's score for rows ``x`` (columns in the record's feature order)."""
    from .train import score

    served = {arm: (method, {name: Forest.from_arrays(arrays, f"a{i}_{name}_") for name in FORESTS[method]})
              for i, (arm, method) in enumerate(zip(record.params["arms"], record.params["served"], strict=True))}

    def score_arm(arm: str, x: np.ndarray) -> np.ndarray:
        if arm not in served:
            raise ValueError(f"unknown treatment {arm!r} — the uplift model knows: {', '.join(served)}")
        method, forests = served[arm]
        return score(method, forests, x)

    return score_arm


def _untrained_uplift(message: str) -> str:
    return f"CREATE OR REPLACE MACRO uplift(customer_key, treatment_arm) AS error({literal(message)})"


class Uplift(ModelKind):
    """Whom a randomised campaign moves, per treatment arm against control (view campaign_customers)."""

    name = NAME
    reads = (VIEW,)
    options = ("outcome", "seed")

    def train(self, context: TrainContext, outcome: str = "visit", seed: int = 0) -> tuple[list[Any], ModelRecord]:
        """Judge the uplift candidates per arm on a stratified holdout, refit the served one, register."""
        campaign = check(context.read(VIEW), outcome)
        from .train import fit_arm

        results = []
        for arm in campaign.arms:
            context.progress(f"uplift of {arm!r} vs control")
            results.append(fit_arm(campaign, arm, seed, len(campaign.frame)))
        arrays: dict[str, np.ndarray] = {}
        for i, r in enumerate(results):
            for name, forest in r.forests.items():
                arrays |= forest.arrays(f"a{i}_{name}_")
        params = {"arms": campaign.arms, "served": [r.served for r in results], "outcome": outcome, "seed": seed,
                  "customers": len(campaign.frame)}
        metrics = {"outcome": outcome,
                   "qini": {r.arm: r.scores[r.served]["qini"] for r in results},
                   "auuc": {r.arm: r.scores[r.served]["auuc"] for r in results},
                   "winner": {r.arm: r.served if r.beats_baseline else "baseline served (response propensity)"
                              for r in results},
                   "arms": {r.arm: {"scores": r.scores, "served": r.served, "best_uplift": r.best_uplift,
                                    "train_rows": r.train_rows, "holdout_rows": r.holdout_rows,
                                    "deciles": r.deciles, "top": r.top} for r in results}}
        frame = campaign.frame[list(CONTRACT) + campaign.features]
        record = context.register(self, ALGORITHM, params, campaign.features, metrics, arrays, fingerprint(frame))
        return results, record

    def compile(self, con: duckdb.DuckDBPyConnection, record: ModelRecord) -> None:
        """``uplift_arms()``, and ``uplift(…)`` saying the mart is not built until compile_after_views."""
        rows = [[arm, method, record.version] for arm, method in zip(record.params["arms"], record.params["served"],
                                                                      strict=True)]
        con.execute(table_macro("uplift_arms", ARM_COLUMNS, rows))
        con.execute(_untrained_uplift("campaign_uplift is not built yet — run `marketsql build`"))

    def compile_untrained(self, con: duckdb.DuckDBPyConnection) -> None:
        """Stand-ins that say to train."""
        con.execute(failing_table_macro("uplift_arms", self.untrained))
        con.execute(_untrained_uplift(self.untrained))

    def compile_after_views(self, con: duckdb.DuckDBPyConnection, record: ModelRecord) -> None:
        """``uplift(customer_id, treatment)`` as a lookup in the built mart campaign_uplift."""
        built = {row[0] for row in con.execute("SELECT table_name FROM duckdb_tables() WHERE schema_name = 'main'"
                                               " AND database_name = current_database()").fetchall()}
        if "campaign_uplift" not in built:
            return
        arms = record.params["arms"]
        unknown = literal(f"unknown treatment — the uplift model knows: {', '.join(arms)}")
        known = ", ".join(literal(a) for a in arms)
        # parameter names unlike campaign_uplift's columns (a column would win over a parameter of the same name)
        con.execute(f"CREATE OR REPLACE MACRO uplift(customer_key, treatment_arm) AS CASE WHEN treatment_arm NOT IN"
                    f" ({known}) THEN error({unknown}) ELSE (SELECT max(u.uplift) FROM campaign_uplift AS u"
                    " WHERE u.customer_id = customer_key AND u.arm = treatment_arm) END")

    def postgres(self, con: duckdb.DuckDBPyConnection, record: ModelRecord | None, schema: str) -> list[str]:
        """A stand-in ``uplift`` raising what to do while untrained or while campaign_uplift is not built."""
        from .postgres import standin_statements

        if record is None:
            return standin_statements(schema, self.untrained)
        if mirrored_id_type(con, "campaign_uplift", "customer_id") is None:
            return standin_statements(schema, "campaign_uplift is not built yet — run `marketsql build`")
        return []

    def postgres_after_tables(self, con: duckdb.DuckDBPyConnection, record: ModelRecord, schema: str) -> list[str]:
        """``uplift(customer_id, treatment)`` reading the mirrored campaign_uplift."""
        from .postgres import lookup_statements

        id_type = mirrored_id_type(con, "campaign_uplift", "customer_id")
        return [] if id_type is None else lookup_statements(schema, list(record.params["arms"]), id_type)

    def udfs(self, con: duckdb.DuckDBPyConnection, record: ModelRecord) -> list[Udf]:
        """``uplift_score(arm, feature_names, feature_values)``: the served method's score, numpy over the trees."""
        score_arm = scorer(record, Registry(con).arrays(record))
        features = list(record.features)

        def uplift_score(arm: pa.Array, names: pa.Array, values: pa.Array) -> pa.Array:
            x = _matrix(names, values, features)
            arm_values = np.asarray(arm.to_pylist(), dtype=object)
            out = np.empty(len(arm_values))
            for a in set(arm_values.tolist()):
                rows = arm_values == a
                out[rows] = score_arm(a, x[rows])
            return pa.array(out, type=pa.float64())

        return [Udf("uplift_score", uplift_score, ("VARCHAR", "VARCHAR[]", "DOUBLE[]"), "DOUBLE", "uplift model")]

    def sql_and_python(self, con: duckdb.DuckDBPyConnection, record: ModelRecord) -> tuple[np.ndarray, np.ndarray]:
        """``uplift(customer_id, arm)`` for every customer and arm, and the numpy trees on campaign_customers."""
        frame = con.execute(f"SELECT * FROM {VIEW} ORDER BY customer_id").df()
        score_arm = scorer(record, Registry(con).arrays(record))
        x = frame[list(record.features)].astype("float64").to_numpy(np.float64, na_value=np.nan)
        sql, python = [], []
        for arm in record.params["arms"]:
            got = con.execute(f"SELECT uplift(customer_id, {literal(arm)}) FROM {VIEW} ORDER BY customer_id").fetchall()
            sql.append(np.array([g[0] for g in got], dtype=np.float64))
            python.append(score_arm(arm, x))
        return np.concatenate(sql), np.concatenate(python)

    def training_lines(self, result: list[Any], record: ModelRecord) -> list[str]:
        """Per arm: Qini and AUUC of each ranking on the holdout, the served one, the top 10 % increment."""
        out = [f"Outcome {record.params['outcome']}; holdout: a stratified 30 % of each arm and control",
               f"{'arm':<12} {'ranking':<22} {'Qini':>8} {'AUUC':>8}"]
        for r in result:
            for method, s in r.scores.items():
                mark = "  <- served" if method == r.served else ""
                out.append(f"{r.arm[:12]:<12} {method:<22} {s['qini']:>8.4f} {s['auuc']:>8.4f}{mark}")
            if not r.beats_baseline:
                out.append(f"{r.arm}: no uplift model beats response propensity on the holdout — baseline served")
            top = r.top[0]
            out.append(f"{r.arm}: top {top['share']:.0%} ({top['customers']:,} customers): "
                       f"+{top['incremental_visit']:,.0f} visits, +{top['incremental_conversion']:,.1f} conversions,"
                       f" {top['incremental_spend']:+,.0f} spend (observed on the holdout, scaled)")
        out.append(f"Registered {record.name} v{record.version} as active; marts updated")
        return out


def _matrix(names: Any, values: Any, features: list[str]) -> np.ndarray:
    """Rows of (names, values) lists as a matrix in the model's feature order (missing = NaN)."""
    names, values = (a.combine_chunks() if isinstance(a, pa.ChunkedArray) else a for a in (names, values))
    x = np.full((len(names), len(features)), np.nan)
    position = {f: j for j, f in enumerate(features)}
    flat_names = names.flatten().to_pylist()
    flat_values = values.flatten().to_numpy(zero_copy_only=False).astype(np.float64)
    offsets = names.offsets.to_numpy()
    row = np.repeat(np.arange(len(names)), np.diff(offsets))
    col = np.array([position.get(n, -1) for n in flat_names], dtype=np.int64)
    known = col >= 0
    x[row[known], col[known]] = flat_values[known]
    return x
