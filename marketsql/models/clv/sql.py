"""SQL text of the clv model: closed forms as expressions that DuckDB and PostgreSQL both run.

Pure functions of the fitted parameters; the constants are written with ``repr(float)`` so both engines
compute with the same doubles.
"""

from __future__ import annotations

from typing import Any

from marketsql.core.sqltext import literal, number, quote_ident
from marketsql.models.registry import untrained

UNTRAINED = untrained("clv")
PARETO_IN_POSTGRES = ("clv serves Pareto/NBD, whose P(alive) needs the Gauss hypergeometric function: read"
                      " customer_value.p_alive (computed at build) instead of p_alive(frequency, recency_days,"
                      " age_days)")


def p_alive_expression(r: float, alpha: float, a: float, b: float, modified: bool = False) -> str:
    """BG/NBD P(alive | frequency, recency_days, age_days): 1 for no repeat purchase, NULL for a NULL input; MBG/NBD's
    (``modified``) for any frequency, with b + frequency in place of b + frequency - 1."""
    nr, nalpha, na, nb = (number(x) for x in (r, alpha, a, b))  # stored values: finite numbers or UnsafeSqlError
    shift = "" if modified else " - 1"
    log_odds = (f"ln({na}) - ln({nb} + frequency{shift}) + ({nr} + frequency)"
                f" * ln(({nalpha} + age_days) / ({nalpha} + recency_days))")
    repeat_only = "" if modified else " WHEN frequency <= 0 THEN 1.0"
    return ("CASE WHEN frequency IS NULL OR recency_days IS NULL OR age_days IS NULL THEN NULL"
            f"{repeat_only}"
            f" ELSE 1.0 / (1.0 + exp(least(greatest({log_odds}, -700.0), 700.0))) END")


def served_p_alive(params: dict[str, Any]) -> str:
    """The closed-form P(alive) of a served BG/NBD or MBG/NBD."""
    modified = params.get("purchase_model", "bgnbd") == "mbgnbd"
    return p_alive_expression(params["r"], params["alpha"], params["a"], params["b"], modified)


def alive_sql(params: dict[str, Any]) -> str:
    """The parametric P(alive) of the served purchase model: BG/NBD's closed form, or under Pareto/NBD (whose P(alive)
    needs the Gauss hypergeometric function) a call of the Arrow UDF ``p_alive_at`` (a marketsql connection)."""
    if params.get("purchase_model", "bgnbd") == "pareto_nbd":
        return "p_alive_at(frequency, recency_days, age_days)"
    return served_p_alive(params)


def order_value_expression(p: float, q: float, v: float) -> str:
    """Gamma-Gamma E[spend per purchase | frequency, monetary_value] (the population mean at frequency 0)."""
    np_, nq, nv = (number(x) for x in (p, q, v))
    return f"{np_} * ({nv} + frequency * monetary_value) / ({np_} * frequency + {nq} - 1)"


def duckdb_macros(params: dict[str, float], discount: float) -> list[str]:
    """The parametric macros, created before the views (the customer-id forms come after them)."""
    alive = alive_sql(params)
    value = order_value_expression(params["p"], params["q"], params["v"])
    return [
        f"CREATE OR REPLACE MACRO p_alive(frequency, recency_days, age_days) AS {alive}",
        f"CREATE OR REPLACE MACRO expected_order_value(frequency, monetary_value) AS {value}",
        "CREATE OR REPLACE MACRO p_alive_if_trained(frequency, recency_days, age_days) AS"
        " p_alive(frequency, recency_days, age_days)",
        "CREATE OR REPLACE MACRO clv_12m_if_trained(frequency, recency_days, age_days, monetary_value) AS"
        f" clv_at(frequency, recency_days, age_days, monetary_value, 12, {number(discount)})",
    ]


def duckdb_customer_macros(params: dict[str, float], discount: float) -> list[str]:
    """Both forms of every function — by customer id (reading ``customer_value``/``clv_summary``) and parametric."""
    alive = alive_sql(params)
    value = order_value_expression(params["p"], params["q"], params["v"])
    summary = "FROM clv_summary AS s WHERE s.customer_id = cid"
    args = "s.frequency, s.recency_days, s.age_days"
    return [
        "CREATE OR REPLACE MACRO p_alive(cid) AS (SELECT c.p_alive FROM customer_value AS c WHERE c.customer_id = cid),"
        f" (frequency, recency_days, age_days) AS {alive}",
        "CREATE OR REPLACE MACRO expected_order_value(cid) AS"
        " (SELECT c.expected_order_value FROM customer_value AS c WHERE c.customer_id = cid),"
        f" (frequency, monetary_value) AS {value}",
        "CREATE OR REPLACE MACRO expected_purchases(cid, days) AS"
        f" (SELECT expected_purchases_at({args}, days) {summary})",
        f"CREATE OR REPLACE MACRO clv(cid, months, annual_discount := {number(discount)}) AS"
        f" (SELECT clv_at({args}, s.monetary_value, months, annual_discount) {summary})",
    ]


def duckdb_untrained() -> list[str]:
    """Stand-ins that fail with what to run; the segment_profiles helpers give NULL instead."""
    fail = f"error({literal(UNTRAINED)})"
    return [
        f"CREATE OR REPLACE MACRO p_alive(frequency, recency_days, age_days) AS {fail}",
        f"CREATE OR REPLACE MACRO expected_order_value(frequency, monetary_value) AS {fail}",
        f"CREATE OR REPLACE MACRO expected_purchases(cid, days) AS {fail}",
        f"CREATE OR REPLACE MACRO clv(cid, months, annual_discount := 0.1) AS {fail}",
        "CREATE OR REPLACE MACRO p_alive_if_trained(frequency, recency_days, age_days) AS CAST(NULL AS DOUBLE)",
        "CREATE OR REPLACE MACRO clv_12m_if_trained(frequency, recency_days, age_days, monetary_value) AS"
        " CAST(NULL AS DOUBLE)",
    ]


def postgres_functions(params: dict[str, Any] | None, schema: str) -> list[str]:
    """``p_alive(frequency, recency_days, age_days)`` and ``expected_order_value(frequency, monetary_value)`` as
    inlinable SQL functions in ``schema`` (stand-ins raising the DuckDB message when ``params`` is None; under a
    served Pareto/NBD, p_alive raises a message pointing to customer_value.p_alive, never BG/NBD's formula)."""
    s = quote_ident(schema)
    alive_args = "frequency double precision, recency_days double precision, age_days double precision"
    value_args = "frequency double precision, monetary_value double precision"
    pareto = params is not None and params.get("purchase_model", "bgnbd") == "pareto_nbd"
    if params is None or pareto:
        message = PARETO_IN_POSTGRES if pareto else UNTRAINED
        body = f"$body$ BEGIN RAISE EXCEPTION {literal(message)}; END $body$"
        created = [f"CREATE FUNCTION {s}.p_alive({alive_args}) RETURNS double precision LANGUAGE plpgsql AS {body}"]
        if params is None:
            created.append(f"CREATE FUNCTION {s}.expected_order_value({value_args}) RETURNS double precision"
                           f" LANGUAGE plpgsql AS {body}")
        else:
            created.append(f"CREATE FUNCTION {s}.expected_order_value({value_args}) RETURNS double precision LANGUAGE"
                           " sql IMMUTABLE PARALLEL SAFE AS $body$ SELECT "
                           f"{order_value_expression(params['p'], params['q'], params['v'])} $body$")
    else:
        alive = served_p_alive(params)
        value = order_value_expression(params["p"], params["q"], params["v"])
        created = [f"CREATE FUNCTION {s}.p_alive({alive_args}) RETURNS double precision LANGUAGE sql IMMUTABLE"
                   f" PARALLEL SAFE AS $body$ SELECT {alive} $body$",
                   f"CREATE FUNCTION {s}.expected_order_value({value_args}) RETURNS double precision LANGUAGE sql"
                   f" IMMUTABLE PARALLEL SAFE AS $body$ SELECT {value} $body$"]
    return created + [
        f"COMMENT ON FUNCTION {s}.p_alive(double precision, double precision, double precision) IS "
        + literal("BG/NBD probability that a customer is still active: p_alive(frequency, recency_days, age_days)"
                  " from clv_summary; per customer see customer_value.p_alive"),
        f"COMMENT ON FUNCTION {s}.expected_order_value(double precision, double precision) IS "
        + literal("Gamma-Gamma expected spend per purchase: expected_order_value(frequency, monetary_value)"),
    ]
