"""Compiling a segmentation model to PostgreSQL functions, for the PostgreSQL mirror.

``segment(...)``, ``segment_name(...)`` and ``segment_description(...)`` are plain ``LANGUAGE sql``
functions whose body is one expression, so the planner inlines them into the query (no per-row function call). They
repeat the DuckDB macro's arithmetic term for term — same constants, same order of operations —
so both give the same segment for every customer. ``LEAST``/``GREATEST`` replace DuckDB's
``list_min``/``list_max``; ``CASE least(s0, s1, …) WHEN s0 THEN 0 WHEN s1 THEN 1 …`` picks the
first index of the best score, as ``list_position`` does.
"""

from __future__ import annotations

from marketsql.core.sqltext import literal, number, quote_ident
from marketsql.models.registry import untrained

from .model import SegmentationModel
from .sql import describe_case, gmm_scores, kmeans_scores, parameter

UNTRAINED = untrained("segmentation")


def function_statements(model: SegmentationModel, schema: str, descriptions: list[str] | None = None) -> list[str]:
    """SQL that creates ``segment``, ``segment_name`` and ``segment_description`` in ``schema`` on PostgreSQL
    (``segment_description`` gives NULL without ``descriptions``, as the DuckDB macro does)."""
    s = quote_ident(schema)
    params = ", ".join(f"{quote_ident(parameter(name))} double precision DEFAULT {number(median)}"
                       for name, median in zip(model.features, model.medians))
    terms = [f"ln(1 + greatest({quote_ident(name)}, 0))" if name in model.log_features else quote_ident(name)
             for name in model.kept]
    if model.kind == "kmeans":
        scores, best = kmeans_scores(model, terms), "least"
    else:
        scores, best = gmm_scores(model, terms), "greatest"
    pick = " ".join(f"WHEN {score} THEN {i}" for i, score in enumerate(scores))
    any_null = " OR ".join(f"{quote_ident(name)} IS NULL" for name in model.features)
    names = " ".join(f"WHEN {i} THEN {literal(name)}" for i, name in enumerate(model.names))
    return [
        f"CREATE FUNCTION {s}.segment({params}) RETURNS integer LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $body$"
        f" SELECT CASE WHEN {any_null} THEN NULL ELSE (CASE {best}({', '.join(scores)}) {pick} END) END $body$",
        f"CREATE FUNCTION {s}.segment_name(segment_id integer) RETURNS text LANGUAGE sql IMMUTABLE PARALLEL SAFE"
        f" AS $body$ SELECT CASE segment_id {names} END $body$",
        f"CREATE FUNCTION {s}.segment_description(segment_id integer) RETURNS text LANGUAGE sql IMMUTABLE"
        f" PARALLEL SAFE AS $body$ SELECT {describe_case(descriptions).replace('VARCHAR', 'text')} $body$",
        *comments(schema, model.features),
    ]


def untrained_statements(schema: str, features: list[str]) -> list[str]:
    """Stand-in ``segment``/``segment_name``/``segment_description`` that fail with what to run, as in DuckDB."""
    s = quote_ident(schema)
    params = ", ".join(f"{quote_ident(parameter(name))} double precision DEFAULT NULL" for name in features)
    body = f"$body$ BEGIN RAISE EXCEPTION {literal(UNTRAINED)}; END $body$"
    return [
        f"CREATE FUNCTION {s}.segment({params}) RETURNS integer LANGUAGE plpgsql AS {body}",
        f"CREATE FUNCTION {s}.segment_name(segment_id integer) RETURNS text LANGUAGE plpgsql AS {body}",
        f"CREATE FUNCTION {s}.segment_description(segment_id integer) RETURNS text LANGUAGE plpgsql AS {body}",
        *comments(schema, features),
    ]


def comments(schema: str, features: list[str]) -> list[str]:
    """What a BI user sees when browsing the functions."""
    s = quote_ident(schema)
    signature = ", ".join(["double precision"] * len(features))
    return [
        f"COMMENT ON FUNCTION {s}.segment({signature}) IS "
        + literal("Segment id of a customer from the active segmentation model: segment("
                  f"{', '.join(map(parameter, features))}); every argument defaults to the training median"),
        f"COMMENT ON FUNCTION {s}.segment_name(integer) IS 'Name of a segment id returned by segment(...)'",
        f"COMMENT ON FUNCTION {s}.segment_description(integer) IS"
        " 'What a segment id returned by segment(...) buys, in plain words (from its training profile)'",
    ]
