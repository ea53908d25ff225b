"""``uplift(customer_id, treatment)`` as a PostgreSQL function, for the mirror.

Before the model is trained (or its mart built) a stand-in raising the DuckDB message; once the mirrored
``campaign_uplift`` exists, the DuckDB macro's lookup with a SQL-standard body (``RETURN …``), which PostgreSQL
binds to the table itself, so it survives the rename of the mirror's schema. Treatment names are SQL literals
(``literal``), never spliced.
"""

from __future__ import annotations

from marketsql.core.sqltext import literal, quote_ident, type_name

COMMENT = ("Estimated uplift of treating a customer with the given treatment arm (the served method's"
           " P(outcome | arm) - P(outcome | control)), from campaign_uplift; an unknown treatment fails naming the"
           " known ones")


def standin_statements(schema: str, message: str) -> list[str]:
    """``uplift(customer_id text, treatment text)`` raising ``message`` (untrained, or campaign_uplift not built)."""
    s = quote_ident(schema)
    return [f"CREATE FUNCTION {s}.uplift(customer_id text, treatment text) RETURNS double precision LANGUAGE plpgsql"
            f" AS $body$ BEGIN RAISE EXCEPTION '%', {literal(message)}; END $body$",
            f"COMMENT ON FUNCTION {s}.uplift(text, text) IS {literal(COMMENT)}"]


def lookup_statements(schema: str, arms: list[str], id_type: str) -> list[str]:
    """``uplift(customer_id, treatment)`` reading ``campaign_uplift`` in ``schema`` (created after it)."""
    s, t = quote_ident(schema), type_name(id_type)
    unknown = literal(f"unknown treatment — the uplift model knows: {', '.join(arms)}")
    known = ", ".join(literal(a) for a in arms)
    return [f"CREATE FUNCTION {s}.uplift(customer_id {t}, treatment text) RETURNS double precision LANGUAGE sql"
            f" STABLE RETURN CASE WHEN $2 NOT IN ({known}) THEN CAST({s}.error({unknown}) AS double precision)"
            f" ELSE (SELECT max(u.uplift) FROM {s}.campaign_uplift AS u WHERE u.customer_id = $1 AND u.arm = $2)"
            " END",
            f"COMMENT ON FUNCTION {s}.uplift({t}, text) IS {literal(COMMENT)}"]
