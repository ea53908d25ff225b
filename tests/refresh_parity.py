"""Everything a database holds that a build or refresh makes, to compare a refreshed database with a full rebuild:
every table and view of the main schema (row by row), the model tables in ``meta``, the registry, every macro, and
the views left waiting for a model. The manifest (builds, timings) naturally differs and is left out."""

from __future__ import annotations

import math
from collections import Counter
from pathlib import Path
from typing import Any

from parity import assert_same_rows, rounded

import marketsql
from marketsql import models
from marketsql.core import database
from marketsql.core.sqltext import quote_ident
from marketsql.core.udfs import register

MANIFEST = {"builds", "build_sources", "build_objects", "build_quality", "build_source_paths", "build_seals",
            "build_refreshes"}


def _value(value: Any) -> Any:
    """Comparable: numbers rounded (NaN as a string), lists and dicts element-wise."""
    if isinstance(value, float) and math.isnan(value):
        return "NaN"
    if isinstance(value, list | tuple):
        return tuple(_value(v) for v in value)
    if isinstance(value, dict):
        return tuple(sorted((k, _value(v)) for k, v in value.items()))
    return rounded(value)


def contents(project: marketsql.Project, path: Path) -> dict[str, Any]:
    """``{object: (columns, rows)}`` of the database at ``path`` (read with the project's and models' UDFs), plus
    its macros (``macro name``) and the objects that are tables (``kinds``)."""
    con = database.connect(path, read_only=True)
    try:
        register(con, project.udfs.values())
        register(con, models.model_udfs(con))
        objects = con.execute(
            "SELECT schema_name, table_name, 'table' FROM duckdb_tables() WHERE database_name = current_database()"
            " UNION ALL SELECT schema_name, view_name, 'view' FROM duckdb_views() WHERE NOT internal"
            " AND database_name = current_database() ORDER BY 1, 2").fetchall()
        found: dict[str, Any] = {"kinds": sorted((s, n, k) for s, n, k in objects)}
        for schema, name, _ in objects:
            if schema == "meta" and name in MANIFEST:
                continue
            cursor = con.execute(f"SELECT * FROM {quote_ident(schema)}.{quote_ident(name)}")
            columns = [d[0] for d in cursor.description]
            rows = [tuple(_value(v) for v in row) for row in cursor.fetchall()]
            found[f"{schema}.{name}"] = (columns, sorted(rows, key=repr))  # a view without ORDER BY has no order
        for name, kind, definition, parameters in con.execute(
                "SELECT function_name, function_type, macro_definition, parameters FROM duckdb_functions()"
                " WHERE NOT internal AND database_name = current_database() AND function_type LIKE '%macro'"
                " ORDER BY ALL").fetchall():
            found.setdefault(f"macro {name}", []).append((kind, definition, parameters))
        return found
    finally:
        con.close()


def assert_same_database(project: marketsql.Project, refreshed: Path, rebuilt: Path) -> int:
    """Every object of ``refreshed`` equals the full rebuild's; returns how many objects were compared."""
    ours, theirs = contents(project, refreshed), contents(project, rebuilt)
    assert sorted(ours) == sorted(theirs), set(ours) ^ set(theirs)
    assert ours["kinds"] == theirs["kinds"]
    for key in ours:
        if key == "kinds" or key.startswith("macro "):
            assert Counter(map(repr, ours[key])) == Counter(map(repr, theirs[key])), key
            continue
        columns, rows = ours[key]
        assert columns == theirs[key][0], key
        assert_same_rows(key.removeprefix("main."), "the full rebuild", columns, rows, theirs[key][1])
    return len(ours) - 1
