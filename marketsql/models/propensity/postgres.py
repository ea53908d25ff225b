"""The propensity model as PostgreSQL functions, for the mirror.

Created before the mirrored tables (:func:`function_statements`): per linear target (logistic, or the baseline
rule) the plain function ``propensity_<algorithm>_<target>(… features)`` — the DuckDB macro's expression
(:func:`.sql.linear_probability`, constants written by ``number``) as an inlinable ``LANGUAGE sql`` function — and,
while the model is untrained or its mart is not built, ``propensity``/``propensity_reasons``/``churn_risk``
stand-ins raising the DuckDB message. Created after them (:func:`lookup_statements`): the lookups by customer id
reading the mirrored ``customer_propensity``, with SQL-standard bodies (``RETURN …``) that PostgreSQL parses once
and binds to the table itself, so they keep working when the mirror's schema is renamed into place.
"""

from __future__ import annotations

from typing import Any

from marketsql.core.sqltext import literal, quote_ident, type_name

from .scoring import Linear
from .sql import UNTRAINED, linear_probability, macro_names
from .targets import FEATURES, Target

NOT_BUILT = "customer_propensity is not built yet — run `marketsql build`"
NO_REPEAT = "churn_risk needs the repeat target — run `marketsql train propensity --target repeat`"
LOOKUPS = {  # name: (parameters, return type, comment)
    "propensity": ("customer_id text, target text", "double precision",
                   "Calibrated probability that a customer buys the target (repeat, category:NAME, product:ID)"
                   " within the propensity model's horizon, from customer_propensity; NULL for an unknown"
                   " customer or target"),
    "propensity_reasons": ("customer_id text, target text", "text[]",
                           "The three largest contributions to propensity(customer_id, target), as 'feature +0.42'"
                           " on the log-odds scale"),
    "churn_risk": ("customer_id text", "double precision",
                   "1 - propensity(customer_id, 'repeat'): the chance the customer buys nothing within the"
                   " horizon"),
}


def _raising(schema: str, name: str, message: str, id_type: str = "text") -> str:
    params, returns, _ = LOOKUPS[name]
    params = params.replace("customer_id text", f"customer_id {id_type}")
    return (f"CREATE FUNCTION {quote_ident(schema)}.{name}({params}) RETURNS {returns} LANGUAGE plpgsql"
            f" AS $body$ BEGIN RAISE EXCEPTION '%', {literal(message)}; END $body$")


def _comment(schema: str, name: str, id_type: str = "text") -> str:
    params, _, text = LOOKUPS[name]
    params = params.replace("customer_id text", f"customer_id {id_type}")
    types = ", ".join(p.split(" ", 1)[1] for p in params.split(", "))
    return f"COMMENT ON FUNCTION {quote_ident(schema)}.{name}({types}) IS {literal(text)}"


def function_statements(schema: str, targets: list[Target] | None, params: dict[str, Any] | None,
                        linear: dict[int, Linear], built: bool) -> list[str]:
    """The statements that need no mirrored table: the compiled linear functions of a trained version, and the
    lookup stand-ins when ``targets`` is None (untrained: "run train") or the mart is not ``built``."""
    s = quote_ident(schema)
    statements: list[str] = []
    if targets is not None and params is not None:
        names = macro_names(targets, params)
        args = ", ".join(f"{quote_ident(f)} double precision" for f in FEATURES)
        for i, model in linear.items():
            statements += [
                f"CREATE FUNCTION {s}.{names[i]}({args}) RETURNS double precision LANGUAGE sql IMMUTABLE"
                f" PARALLEL SAFE AS $body$ SELECT {linear_probability(model)} $body$",
                f"COMMENT ON FUNCTION {s}.{names[i]}({', '.join(['double precision'] * len(FEATURES))}) IS "
                + literal(f"{params['targets'][i]['algorithm']} propensity of {targets[i].name} from the"
                          f" propensity_features columns ({', '.join(FEATURES)})")]
    if targets is None or not built:
        message = UNTRAINED if targets is None else NOT_BUILT
        statements += [_raising(schema, name, message) for name in LOOKUPS]
        statements += [_comment(schema, name) for name in LOOKUPS]
    return statements


def lookup_statements(schema: str, has_repeat: bool, id_type: str = "text") -> list[str]:
    """``propensity``, ``propensity_reasons`` and ``churn_risk`` reading ``customer_propensity`` in ``schema``
    (created after it; ``id_type`` the PostgreSQL type of its customer_id): the DuckDB macros' lookups, NULL for a
    customer or target the mart does not hold."""
    s, t = quote_ident(schema), type_name(id_type)
    mart = f"FROM {s}.customer_propensity AS p WHERE p.customer_id = $1"
    statements = [
        f"CREATE FUNCTION {s}.propensity(customer_id {t}, target text) RETURNS double precision LANGUAGE sql"
        f" STABLE PARALLEL SAFE RETURN (SELECT p.probability {mart} AND p.target = $2)",
        f"CREATE FUNCTION {s}.propensity_reasons(customer_id {t}, target text) RETURNS text[] LANGUAGE sql"
        f" STABLE PARALLEL SAFE RETURN (SELECT ARRAY[p.reason_1, p.reason_2, p.reason_3] {mart} AND p.target = $2)",
        (f"CREATE FUNCTION {s}.churn_risk(customer_id {t}) RETURNS double precision LANGUAGE sql STABLE"
         f" PARALLEL SAFE RETURN 1 - (SELECT p.probability {mart} AND p.target = 'repeat')") if has_repeat
        else _raising(schema, "churn_risk", NO_REPEAT, t),
    ]
    return statements + [_comment(schema, name, t) for name in LOOKUPS]
