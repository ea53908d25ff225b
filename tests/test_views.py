"""Parsing SQL files and ordering them by the dependencies read from the SQL."""

from __future__ import annotations

import pytest

import marketsql
from marketsql.core.dag import build_order
from marketsql.core.views import parse_view_file


def test_dependencies_exclude_ctes_and_table_functions(tmp_path):
    path = tmp_path / "sql" / "v.sql"
    path.parent.mkdir()
    path.write_text(
        "WITH recent AS (SELECT * FROM stg_orders)\n"
        "SELECT * FROM recent JOIN raw.customers USING (id), range(3) AS r(x)\n"
    )
    view = parse_view_file(path, tmp_path)
    assert view.name == "v"
    assert view.dependencies == {"stg_orders", "raw.customers"}
    assert not view.materialized


def test_materialized_comment_and_trailing_semicolon(tmp_path):
    path = tmp_path / "sql" / "m.sql"
    path.parent.mkdir()
    path.write_text("-- marketsql: materialized\nSELECT 1 AS one;\n")
    view = parse_view_file(path, tmp_path)
    assert view.materialized
    assert view.sql.endswith("SELECT 1 AS one")


def test_build_order_puts_dependencies_first(write_project):
    project = marketsql.Project.load(write_project())
    assert project.check() == ["order_revenue", "customer_revenue"]


def test_syntax_error_names_file_and_line(write_project):
    root = write_project({"sql/broken.sql": "SELECT a,\n  b\nFROM (\n  SELECT 1 AS a\n"})
    with pytest.raises(marketsql.SqlError) as info:
        marketsql.Project.load(root).check()
    assert str(info.value).startswith("sql/broken.sql, line 4: syntax error")


def test_cycle_is_reported_with_its_path(write_project):
    root = write_project(
        {"sql/a.sql": "SELECT * FROM b", "sql/b.sql": "SELECT * FROM c", "sql/c.sql": "SELECT * FROM a"}
    )
    with pytest.raises(marketsql.DependencyError) as info:
        marketsql.Project.load(root).check()
    message = str(info.value)
    assert message.startswith("dependency cycle: ")
    cycle = message.split(": ", 1)[1].split(" — ")[0].split(" reads ")
    assert cycle[0] == cycle[-1] and set(cycle) == {"a", "b", "c"}
    # each view named reads the next one
    reads = {"a": "b", "b": "c", "c": "a"}
    assert all(reads[x] == y for x, y in zip(cycle, cycle[1:]))


def test_unknown_table_names_file_line_and_table(write_project):
    root = write_project({"sql/x.sql": "SELECT *\nFROM order_revenue\nJOIN nowhere USING (order_id)\n"})
    with pytest.raises(marketsql.DependencyError) as info:
        marketsql.Project.load(root).check()
    assert str(info.value) == (
        "sql/x.sql, line 3: unknown table 'nowhere' — add sql/nowhere.sql or read a source as raw.<name>"
    )


def test_unknown_raw_source_suggests_declaring_it(write_project):
    root = write_project({"sql/x.sql": "SELECT * FROM raw.missing"})
    with pytest.raises(marketsql.DependencyError, match="declare a source named 'missing'"):
        marketsql.Project.load(root).check()


def test_two_files_with_the_same_view_name(write_project):
    root = write_project({"sql/a/order_revenue.sql": "SELECT 1 AS x"})
    with pytest.raises(marketsql.SqlError, match="both define view 'order_revenue'"):
        marketsql.Project.load(root).check()


def test_more_than_one_statement_is_rejected(write_project):
    root = write_project({"sql/two.sql": "SELECT 1; SELECT 2;"})
    with pytest.raises(marketsql.SqlError, match="exactly one SELECT statement"):
        marketsql.Project.load(root).check()


def test_order_is_deterministic_for_independent_views(tmp_path):
    views = {}
    for name in ("zeta", "alpha", "mid"):
        path = tmp_path / "sql" / f"{name}.sql"
        path.parent.mkdir(exist_ok=True)
        path.write_text("SELECT 1 AS x")
        views[name] = parse_view_file(path, tmp_path)
    assert build_order(views, []) == ["alpha", "mid", "zeta"]
