"""The rebuild (a refresh, marketsql/refresh.py) that follows a positioning training runs with DuckDB memory_limit
400MB when the project sets none (at 100 k products DuckDB's cache of the tables it writes took the process over
1 GB, bench/position.py), and with the project's own limit when it sets one."""

from __future__ import annotations

from pathlib import Path

import duckdb
import pandas as pd
import pytest
from conftest import DATA, REPO

import marketsql
import marketsql.build
import marketsql.refresh

CSV = DATA / "smartphones" / "smartphones_cleaned_v6.csv"


def small_project(root: Path, memory_limit: str | None) -> marketsql.Project:
    """60 real phones in a project like examples/smartphones (with ``memory_limit`` when given), built."""
    pd.read_csv(CSV).head(60).to_csv(root / "phones.csv", index=False)
    example = REPO / "examples" / "smartphones"
    text = (example / "marketsql.toml").read_text(encoding="utf-8")
    text = text.replace('extends = "../.."', f'extends = "{example}"').replace(
        "../../../shared/data/smartphones/smartphones_cleaned_v6.csv", str(root / "phones.csv"))
    (root / "project").mkdir()
    (root / "project" / "marketsql.toml").write_text(
        (f'memory_limit = "{memory_limit}"\n' if memory_limit else "") + text, encoding="utf-8")
    project = marketsql.Project.load(root / "project")
    project.build()
    return project


def _as_duckdb_reports(limit: str | None) -> str:
    """DuckDB's own reading of a memory_limit (e.g. '400MB' -> '381.4 MiB'); None: its default."""
    con = duckdb.connect()
    try:
        if limit:
            con.execute(f"SET memory_limit = '{limit}'")
        return str(con.execute("SELECT current_setting('memory_limit')").fetchall()[0][0])
    finally:
        con.close()


@pytest.mark.parametrize(("configured", "used"), [(None, "400MB"), ("2GB", "2GB")])
def test_rebuild_after_training_caps_duckdb_memory_unless_the_project_sets_it(tmp_path, monkeypatch, configured, used):
    project = small_project(tmp_path, configured)
    limits: list[str] = []

    def recording(real):  # the real build (or refresh), then the memory_limit its connection ran with
        def run(con, *args, **kwargs):
            result = real(con, *args, **kwargs)
            limits.append(str(con.execute("SELECT current_setting('memory_limit')").fetchall()[0][0]))
            return result
        return run

    monkeypatch.setattr(marketsql.build, "_build_into", recording(marketsql.build._build_into))
    monkeypatch.setattr(marketsql.refresh, "_refresh_into", recording(marketsql.refresh._refresh_into))
    trained = project.train("positioning")
    assert limits == [_as_duckdb_reports(used)]
    assert trained.build is not None and trained.record.status == "active"
    assert trained.build.recreated is not None and "product_competitors" in trained.build.recreated  # refreshed
    con = project.connect(read_only=True)
    try:
        assert con.execute("SELECT count(*) FROM product_competitors").fetchall()[0][0] == 5 * 60
    finally:
        con.close()
    project.build()  # a plain build keeps DuckDB's default (None) or the project's limit
    assert limits == [_as_duckdb_reports(used), _as_duckdb_reports(configured)]
