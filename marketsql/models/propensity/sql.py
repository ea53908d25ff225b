"""The propensity model as SQL: a plain macro per linear target (logistic or baseline: usable from any DuckDB
client), ``propensity_score`` dispatching on the target (trees go to the Arrow UDF ``propensity_trees``),
``propensity_targets()`` and, once ``customer_propensity`` is built, the lookups by customer id.

The Keras sequence network also reads the purchase sequence: the mart joins the view ``propensity_sequences`` and
calls ``propensity_score_seq`` /
``propensity_reasons_seq``, which send those targets to the UDFs ``propensity_keras`` / ``propensity_keras_reasons``
and the others to ``propensity_score`` / ``propensity_reasons_at``. ``propensity_score`` alone gives NULL for them."""

from __future__ import annotations

from typing import Any

from marketsql.core.sqltext import bare_name, literal, number, quote_ident

from .scoring import CLAMP, Linear
from .sequences import COLUMNS
from .targets import FEATURES, Target

UNTRAINED = "no trained propensity model in this database — run `marketsql train propensity`"
ARGS = ", ".join(FEATURES)
SEQ_ARGS = ", ".join(COLUMNS)
EMPTY = {"seq_products": "CAST([] AS VARCHAR[])", "seq_categories": "CAST([] AS VARCHAR[])",
         "seq_days": "CAST([] AS DOUBLE[])"}


def linear_probability(model: Linear) -> str:
    """The calibrated probability of a linear scorer as one SQL expression over the feature parameters."""
    terms = " + ".join(f"{number(float(c))} * ({quote_ident(f)} - {number(float(m))}) / {number(float(s))}"
                       for f, m, s, c in zip(FEATURES, model.mean, model.scale, model.coef, strict=True) if c != 0)
    logit = f"{number(model.intercept)}" + (f" + {terms}" if terms else "")
    return f"1.0 / (1.0 + exp(-least(greatest({logit}, {number(-CLAMP)}), {number(CLAMP)})))"


def macro_names(targets: list[Target], params: dict[str, Any]) -> dict[int, str]:
    """``propensity_logistic_category_phones``: the plain SQL macro of each linear target (index appended when two
    targets would share a name)."""
    names: dict[int, str] = {}
    for i, target in enumerate(targets):
        if params["targets"][i]["shape"] == "linear":
            name = f"propensity_{params['targets'][i]['algorithm']}_{target.slug[:40]}"
            names[i] = bare_name(name if name not in names.values() else f"{name}_{i}", "macro name")
    return names


def targets_table(targets: list[Target], params: dict[str, Any], version: int) -> str:
    """``propensity_targets()`` with what serves each target, the horizon and the model version."""
    columns = "target, target_index, target_kind, target_value, algorithm, horizon_days, model_version"
    rows = ",\n  ".join(
        f"({literal(t.name)}, {number(i)}, {literal(t.kind)}, {'NULL' if t.value is None else literal(t.value)},"
        f" {literal(params['targets'][i]['algorithm'])}, {number(params['horizon_days'])}, {number(version)})"
        for i, t in enumerate(targets))
    return (f"CREATE OR REPLACE MACRO propensity_targets() AS TABLE SELECT CAST(target AS VARCHAR) AS target,"
            " CAST(target_index AS INTEGER) AS target_index, CAST(target_kind AS VARCHAR) AS target_kind,"
            " CAST(target_value AS VARCHAR) AS target_value, CAST(algorithm AS VARCHAR) AS algorithm,"
            " CAST(horizon_days AS INTEGER) AS horizon_days, CAST(model_version AS INTEGER) AS model_version"
            f" FROM (VALUES\n  {rows}) AS t({columns})")


def duckdb_macros(targets: list[Target], linear: dict[int, Linear], params: dict[str, Any],
                  version: int) -> list[str]:
    """Every macro of a trained version (the UDF ``propensity_trees`` must be registered first if a target uses
    trees); the customer-id lookups fail with "build first" until :func:`customer_macros` replaces them."""
    statements = [targets_table(targets, params, version)]
    cases, names = [], macro_names(targets, params)
    shapes = [t["shape"] for t in params["targets"]]
    for i in range(len(targets)):
        if i in linear:
            name = names[i]
            statements.append(f"CREATE OR REPLACE MACRO {name}({ARGS}) AS {linear_probability(linear[i])}")
            cases.append(f"WHEN {number(i)} THEN {name}({ARGS})")
        elif shapes[i] == "trees":
            cases.append(f"WHEN {number(i)} THEN propensity_trees(target_index, {ARGS})")
        else:
            cases.append(f"WHEN {number(i)} THEN CAST(NULL AS DOUBLE)")
    statements.append(f"CREATE OR REPLACE MACRO propensity_score(target_index, {ARGS}) AS"
                      f" CASE target_index {' '.join(cases)} END")
    statements += sequence_macros(shapes)
    build_first = f"error({literal('customer_propensity is not built yet — run `marketsql build`')})"
    statements += _lookups(build_first, build_first, build_first)
    return statements


def sequence_macros(shapes: list[str]) -> list[str]:
    """The two ``*_seq`` dispatchers the mart calls (see the module docstring)."""
    keras = [i for i, shape in enumerate(shapes) if shape == "sequence"]
    lists = ", ".join(f"coalesce({c}, {EMPTY[c]})" for c in COLUMNS)
    when = " OR ".join(f"target_index = {number(i)}" for i in keras) or "false"
    both = f"target_index, {SEQ_ARGS}, {ARGS}"
    return [f"CREATE OR REPLACE MACRO propensity_score_seq({both}) AS CASE WHEN {when} THEN"
            f" propensity_keras(target_index, {lists}, {ARGS}) ELSE propensity_score(target_index, {ARGS}) END"
            if keras else f"CREATE OR REPLACE MACRO propensity_score_seq({both}) AS"
            f" propensity_score(target_index, {ARGS})",
            f"CREATE OR REPLACE MACRO propensity_reasons_seq({both}) AS CASE WHEN {when} THEN"
            f" propensity_keras_reasons(target_index, {lists}, {ARGS}) ELSE propensity_reasons_at(target_index, {ARGS})"
            " END" if keras else f"CREATE OR REPLACE MACRO propensity_reasons_seq({both}) AS"
            f" propensity_reasons_at(target_index, {ARGS})"]


def customer_macros(has_repeat: bool) -> list[str]:
    """``propensity(customer_id, target)``, ``propensity_reasons(customer_id, target)`` and ``churn_risk``
    (1 − P(repeat)) reading ``customer_propensity``; NULL for a customer or target it does not hold."""
    lookup = "FROM customer_propensity AS p WHERE p.customer_id = CAST(cid AS VARCHAR) AND p.target = tgt"
    churn = ("1 - (SELECT p.probability FROM customer_propensity AS p WHERE p.customer_id = CAST(cid AS VARCHAR)"
             " AND p.target = 'repeat')") if has_repeat else \
        f"error({literal('churn_risk needs the repeat target — run `marketsql train propensity --target repeat`')})"
    return _lookups(f"(SELECT p.probability {lookup})", f"(SELECT [p.reason_1, p.reason_2, p.reason_3] {lookup})",
                    churn)


def _lookups(probability: str, reasons: str, churn: str) -> list[str]:
    return [f"CREATE OR REPLACE MACRO propensity(cid, tgt) AS {probability}",
            f"CREATE OR REPLACE MACRO propensity_reasons(cid, tgt) AS {reasons}",
            f"CREATE OR REPLACE MACRO churn_risk(cid) AS {churn}"]


def duckdb_untrained() -> list[str]:
    """Stand-ins of every name that fail with what to run."""
    fail = f"error({literal(UNTRAINED)})"
    return [*_lookups(fail, fail, fail),
            f"CREATE OR REPLACE MACRO propensity_score(target_index, {ARGS}) AS {fail}",
            f"CREATE OR REPLACE MACRO propensity_score_seq(target_index, {SEQ_ARGS}, {ARGS}) AS {fail}",
            f"CREATE OR REPLACE MACRO propensity_reasons_seq(target_index, {SEQ_ARGS}, {ARGS}) AS {fail}",
            f"CREATE OR REPLACE MACRO propensity_targets() AS TABLE SELECT {fail} AS error"]
