"""The MySQL (MariaDB) mirror on a real server: every view and mart of the demo (and of Online Retail, slow) equals
DuckDB's row by row, the stored functions give DuckDB's segment and p_alive for every customer, and a second mirror
replaces the first through the pointer views."""

from __future__ import annotations

import datetime
import json
from typing import Any

import pytest
from conftest import REPO
from mariadb_server import Server, mariadb_server  # noqa: F401  (fixture)
from parity import assert_same_rows, rounded

import marketsql
from marketsql.demo.generate import generate_demo_data
from marketsql.engines.plan import Item, MirrorResult
from marketsql.models.segmentation import FEATURES

ARGS = ", ".join(f"`{f}`" for f in FEATURES)


@pytest.fixture(scope="module")
def demo(tmp_path_factory, mariadb_server: Server) -> tuple[marketsql.Project, MirrorResult]:  # noqa: F811
    project = marketsql.init(tmp_path_factory.mktemp("mydemo") / "demo")
    generate_demo_data(project.root / "data" / "demo", customers=2_000, seed=11)
    project.build()
    project.train("segmentation", k_min=5, k_max=5, rebuild=False)
    project.train("clv")
    return project, project.mirror_to("mysql", mariadb_server.dsn(), "demo")


@pytest.fixture(scope="module")
def retail(tmp_path_factory, mariadb_server: Server) -> tuple[marketsql.Project, MirrorResult]:  # noqa: F811
    project = marketsql.Project.load(
        REPO / "examples" / "online_retail", database=tmp_path_factory.mktemp("myretail") / "retail.duckdb")
    project.build()
    project.train("segmentation", k_min=3, k_max=3, rebuild=False)
    project.train("clv")
    return project, project.mirror_to("mysql", mariadb_server.dsn(), "retail")


def _value(value: Any, kind: str) -> Any:
    """One value as both engines can agree on it: numbers to 8 significant digits, JSON parsed, TIME as time."""
    if value is None:
        return None
    if kind == "JSON" or "[" in kind or kind.startswith(("STRUCT", "MAP")):
        return json.dumps(json.loads(value) if isinstance(value, str) else value, sort_keys=True, default=str)
    if isinstance(value, datetime.timedelta):  # pymysql reads TIME as a duration
        return (datetime.datetime.min + value).time()
    return rounded(value)


def compare(duck: Any, my: Any, item: Item, database: str) -> None:
    """Assert the MySQL object holds DuckDB's rows: the same multiset after rounding, then the rows left over (a
    float on a rounding boundary) matched pairwise within a relative 1e-7."""
    described = duck.execute(f"DESCRIBE SELECT * FROM {item.duckdb_name}").fetchall()
    names, kinds = [str(r[0]) for r in described], [str(r[1]) for r in described]
    ours = [tuple(_value(v, k) for v, k in zip(row, kinds)) for row in
            duck.execute(f"SELECT * FROM {item.duckdb_name}").fetchall()]
    with my.cursor() as cur:
        cur.execute(f"SELECT {', '.join(f'`{n}`' for n in names)} FROM `{database}`.`{item.name}`")
        theirs = [tuple(_value(v, k) for v, k in zip(row, kinds)) for row in cur.fetchall()]
    assert_same_rows(item.name, "MySQL", names, ours, theirs)


def assert_parity(project: marketsql.Project, mirrored: MirrorResult, server: Server) -> list[str]:
    """Every object of the mirror, read through the pointer views readers use, compared with DuckDB."""
    compared = []
    duck = project.connect(read_only=True)
    try:
        with server.admin() as my:
            for item in mirrored.items:
                compare(duck, my, item, mirrored.schemas[item.role])
                compared.append(item.name)
    finally:
        duck.close()
    return compared


@pytest.mark.parametrize("which", ["demo", pytest.param("retail", marks=pytest.mark.slow)])
def test_every_view_and_mart_equals_duckdb(which, request, mariadb_server: Server):  # noqa: F811
    project, mirrored = request.getfixturevalue(which)
    views = {i.name for i in mirrored.items if i.kind == "view"}
    assert {"stg_order_lines", "customer_product_interactions", "product_features", "cohort_retention",
            "basket_settings", "data_quality"} <= views
    rfm = next(i for i in mirrored.items if i.name == "rfm_segments")  # 7 windows: MariaDB would miscompute it
    assert (rfm.kind, rfm.why) == ("table", "MariaDB miscomputes a SELECT with more than 3 distinct windows (7 here):"
                                            " rows copied")
    compared = assert_parity(project, mirrored, mariadb_server)
    assert {"customer_segments", "segment_profiles", "association_rules", "order_lines", "model_arrays"
            } <= set(compared)
    assert len(compared) == len(mirrored.items)


@pytest.mark.parametrize("which", ["demo", pytest.param("retail", marks=pytest.mark.slow)])
def test_stored_segment_and_p_alive_match_duckdb_for_every_customer(which, request,
                                                                   mariadb_server: Server):  # noqa: F811
    project, mirrored = request.getfixturevalue(which)
    db = mirrored.schemas["main"]
    duck = project.connect(read_only=True)
    try:
        segments = duck.execute("SELECT customer_id, segment_id, segment_name, segment_description(segment_id)"
                                " FROM customer_segments ORDER BY customer_id").fetchall()
        alive = duck.execute("SELECT customer_id, p_alive(frequency, recency_days, age_days),"
                             " expected_order_value(frequency, monetary_value) FROM clv_summary"
                             " ORDER BY customer_id").fetchall()
    finally:
        duck.close()
    with mariadb_server.admin() as my, my.cursor() as cur:
        cur.execute(f"SELECT customer_id, `{db}`.segment({ARGS}), `{db}`.segment_name(`{db}`.segment({ARGS})),"
                    f" `{db}`.segment_description(`{db}`.segment({ARGS})) FROM `{db}`.customer_features"
                    " ORDER BY customer_id")
        got_segments = [tuple(r) for r in cur.fetchall()]
        cur.execute(f"SELECT customer_id, `{db}`.p_alive(frequency, recency_days, age_days),"
                    f" `{db}`.expected_order_value(frequency, monetary_value) FROM `{db}`.clv_summary"
                    " ORDER BY customer_id")
        got_alive = cur.fetchall()
        cur.execute(f"SELECT `{db}`.segment(NULL, 3, 450, 1, 1, 1, 1, 1, 1, 0, 1)")
        assert cur.fetchone() == (None,)
    assert len(got_segments) == len(segments) > 1_000
    differ = [(e, g) for e, g in zip(segments, got_segments) if e != g]
    assert not differ, f"{len(differ)} customers differ, e.g. {differ[:3]}"
    assert len(got_alive) == len(alive) > 1_000
    for (cid, p, value), (my_cid, my_p, my_value) in zip(alive, got_alive, strict=True):
        assert (cid, p, value) == (my_cid, pytest.approx(my_p, rel=1e-12), pytest.approx(my_value, rel=1e-12))


def test_a_second_mirror_replaces_the_first_through_the_pointers(demo, mariadb_server: Server):  # noqa: F811
    project, first = demo
    second = project.mirror_to("mysql", mariadb_server.dsn(), "demo")
    with mariadb_server.admin() as my, my.cursor() as cur:
        cur.execute("SELECT SCHEMA_NAME FROM information_schema.SCHEMATA WHERE SCHEMA_NAME LIKE 'demo%'"
                    " ORDER BY 1")
        databases = sorted(r[0] for r in cur.fetchall())
        cur.execute("SELECT generation, objects FROM demo_meta.mirror")
        generation, objects = cur.fetchone()
        cur.execute("SELECT count(*) FROM information_schema.VIEWS WHERE TABLE_SCHEMA IN ('demo', 'demo_raw',"
                    " 'demo_meta')")
        pointers = cur.fetchone()[0]
        cur.execute("SELECT count(*) FROM demo.customer_segments")
        rows = cur.fetchone()[0]
    assert databases == sorted(["demo", "demo__g" + generation, "demo_meta", "demo_meta__g" + generation,
                                "demo_raw", "demo_raw__g" + generation])  # the first generation is gone
    assert objects == len(second.items) == len(first.items) and pointers == objects + 1  # + the mirror row
    assert rows == next(i.rows for i in second.items if i.name == "customer_segments") > 1_000
    assert second.seconds["total"] > 0 and set(second.function_names) >= {"segment", "segment_name", "p_alive"}
