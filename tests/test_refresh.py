"""`train` and `activate` refresh the database (marketsql/refresh.py): a copy where only what reads the model is made
again. For every model kind the demo trains, the refreshed database must equal a full rebuild of the same registry on
every object, row by row; and whatever the refresh cannot vouch for falls back to the full rebuild."""

from __future__ import annotations

import shutil
from pathlib import Path
from typing import Any

import pytest
from conftest import run_cli
from refresh_parity import assert_same_database, contents

import marketsql

DB = "marketsql.duckdb"
# options that make each retrained model differ from the demo's, so that an object left unrefreshed shows
RETRAIN: dict[str, dict[str, Any]] = {
    "segmentation": {"k_min": 2, "k_max": 2},
    "clv": {"discount": 0.3},
    "propensity": {"target": "repeat", "horizon_days": 60},
    "recommendation": {"candidates": "popularity,item_cosine"},  # the demo serves segment_popularity
    "forecast": {"horizon": 3, "measures": ("revenue",), "dimensions": ("category",)},
    "positioning": {"seed": 1},
    "budget": {"holdout": 4},
    "uplift": {"seed": 1},
}


# marts of the project's own that require no model but read one's marts: only the DAG says they must be made again
DOWNSTREAM = {
    "zz_segment_sizes.sql": "-- marketsql: materialized\nSELECT segment_id, segment_name, count(*) AS customers"
                            " FROM customer_segments GROUP BY ALL\n",
    "zz_value_by_segment.sql": "-- marketsql: materialized\nSELECT z.segment_name, z.customers, sum(v.clv_12m) AS clv"
                               " FROM zz_segment_sizes AS z JOIN customer_segments AS s USING (segment_id)"
                               " JOIN customer_value AS v USING (customer_id) GROUP BY ALL\n",
}


@pytest.fixture(scope="module")
def marts_shop(small_shop: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The small shop with the DOWNSTREAM marts, built (and so sealed) with them."""
    root = Path(shutil.copytree(small_shop, tmp_path_factory.mktemp("marts") / "shop"))
    for name, text in DOWNSTREAM.items():
        (root / "sql" / name).write_text(text, encoding="utf-8")
    marketsql.Project.load(root).build()
    return root


@pytest.fixture
def shop(marts_shop: Path, tmp_path: Path) -> Path:
    """A private copy of the shop with the downstream marts."""
    return Path(shutil.copytree(marts_shop, tmp_path / "shop"))


def _rebuilt(root: Path, tmp_path: Path) -> Path:
    """A copy of the project at ``root`` built in full from its sources (the same registry): its database."""
    copy = Path(shutil.copytree(root, tmp_path / "rebuilt"))
    result = marketsql.Project.load(copy).build()
    assert result.recreated is None
    return copy / DB


def _differing(before: dict[str, Any], after: dict[str, Any]) -> list[str]:
    return sorted(key for key in after if key != "kinds" and before.get(key) != after[key])


@pytest.mark.slow
@pytest.mark.parametrize("kind", list(RETRAIN))
def test_train_refreshes_what_reads_the_model_and_equals_a_full_rebuild(shop: Path, tmp_path: Path, kind: str):
    project = marketsql.Project.load(shop)
    before = contents(project, shop / DB)
    trained = project.train(kind, **RETRAIN[kind])
    assert trained.build is not None and trained.build.recreated is not None, trained.build and trained.build.notes
    requiring = {name for name, view in project.views.items() if kind in view.requires}
    assert requiring and requiring <= set(trained.build.recreated)
    if kind in ("segmentation", "clv"):
        assert "zz_value_by_segment" in trained.build.recreated
    assert len(trained.build.recreated) < len(trained.build.objects)  # not everything again
    after = contents(project, shop / DB)
    changed = _differing(before, after)  # what the retrained model changed: left stale, the comparison fails
    assert set(changed) - {"meta.models", "meta.model_arrays"}, changed
    assert assert_same_database(project, shop / DB, _rebuilt(shop, tmp_path)) > 50
    con = project.connect(read_only=True)
    try:
        row = con.execute("SELECT after, reused_build, recreated FROM meta.build_refreshes"
                          " WHERE build_id = (SELECT max(build_id) FROM meta.builds)").fetchall()
        objects = con.execute("SELECT count(*) FROM meta.build_objects"
                              " WHERE build_id = (SELECT max(build_id) FROM meta.builds)").fetchall()[0][0]
    finally:
        con.close()
    assert row[0][0] == f"train {kind}" and row[0][2] == ", ".join(trained.build.recreated)
    assert objects == len(trained.build.objects)  # the manifest lists every object, as a build's does


@pytest.mark.slow
def test_activate_rolls_back_through_the_refresh(shop: Path, tmp_path: Path):
    project = marketsql.Project.load(shop)
    original = contents(project, shop / DB)
    project.train("segmentation", k_min=2, k_max=2)
    activated = project.activate("segmentation", 1)
    assert activated.build.recreated is not None and "customer_segments" in activated.build.recreated
    assert assert_same_database(project, shop / DB, _rebuilt(shop, tmp_path)) > 50
    rolled_back = contents(project, shop / DB)  # v1 again: all but the registry (v2 kept) as the demo built it
    registry = {"meta.models", "meta.model_arrays"}
    assert {k: v for k, v in rolled_back.items() if k not in registry} == \
        {k: v for k, v in original.items() if k not in registry}


def test_a_database_written_after_its_build_is_rebuilt_in_full(shop: Path):
    assert run_cli("sql", "--write", "-p", str(shop), "CREATE TABLE main.intruder AS SELECT 1 AS x").returncode == 0
    trained = marketsql.Project.load(shop).train("segmentation", k_min=2, k_max=2)
    assert trained.build is not None and trained.build.recreated is None
    assert trained.build.notes[-1] == ("rebuilt from the sources, not refreshed: the database was written after its"
                                       " last build (e.g. `sql --write`, `target`, `train --no-rebuild`)")
    con = marketsql.connect(shop, read_only=True)
    try:  # the full rebuild made a new file: the intruder is gone, as after any build
        assert con.execute("SELECT count(*) FROM duckdb_tables() WHERE table_name = 'intruder'").fetchall() == [(0,)]
    finally:
        con.close()


def test_a_changed_sql_file_is_rebuilt_in_full_and_sealed_again(shop: Path):
    (shop / "sql" / "zz_extra.sql").write_text("SELECT count(*) AS n FROM customer_segments\n", encoding="utf-8")
    first = marketsql.Project.load(shop).train("segmentation", k_min=2, k_max=2)
    assert first.build is not None and first.build.recreated is None
    assert first.build.notes[-1].endswith("the project's SQL, UDFs, sources or settings changed since the last build")
    again = marketsql.Project.load(shop).activate("segmentation", 1)  # that rebuild sealed the file: refreshed
    assert again.build.recreated is not None and "zz_extra" in again.build.recreated


def test_explicit_sources_are_read_again(shop: Path):
    customers = str(shop / "data" / "demo" / "customers.parquet")
    trained = marketsql.Project.load(shop, sources={"customers": customers}).train("segmentation", k_min=2, k_max=2)
    assert trained.build is not None and trained.build.recreated is None
    assert trained.build.notes[-1] == ("rebuilt from the sources, not refreshed: sources or settings were given"
                                       " (--source/--set)")
