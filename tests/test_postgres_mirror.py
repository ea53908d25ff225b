"""The PostgreSQL mirror on a real server: every view and mart of Online Retail and of the demo
equals DuckDB's row by row, and the compiled segment() gives DuckDB's segment for every customer."""

from __future__ import annotations

import decimal
import json
import math
from pathlib import Path
from typing import Any

import pytest
from conftest import REPO
from postgres_server import PASSWORD, Server, postgres_server  # noqa: F401  (fixture)

import marketsql
from marketsql.demo.generate import generate_demo_data
from marketsql.engines.postgres.mirror import MirrorResult
from marketsql.models.segmentation import FEATURES

ARGS = ", ".join(FEATURES)


@pytest.fixture(scope="module")
def retail(tmp_path_factory, postgres_server: Server) -> tuple[marketsql.Project, MirrorResult]:  # noqa: F811
    project = marketsql.Project.load(
        REPO / "examples" / "online_retail", database=tmp_path_factory.mktemp("pgretail") / "retail.duckdb"
    )
    project.build()
    project.train("segmentation", k_min=3, k_max=3, rebuild=False)
    project.train("clv")
    return project, project.mirror_postgres(postgres_server.dsn(), "retail")


@pytest.fixture(scope="module")
def demo(tmp_path_factory, postgres_server: Server) -> tuple[marketsql.Project, MirrorResult]:  # noqa: F811
    project = marketsql.init(tmp_path_factory.mktemp("pgdemo") / "demo")
    generate_demo_data(project.root / "data" / "demo", customers=2_000, seed=11)
    project.build()
    project.train("segmentation", k_min=5, k_max=5, rebuild=False)  # the five planted groups suffice here
    project.train("clv")
    return project, project.mirror_postgres(postgres_server.dsn(), "demo")


# ranks over floating-point sums: engines add in different orders, so values equal up to the last bit may
# tie in one and not the other; such a rank may differ only between rows whose ordering values are equal
FLOAT_TIES = {("product_features", "revenue_rank_in_category"): ("category", "revenue")}


def _rounded(name: str, kind: str, side: str) -> str:
    """A DuckDB expression of column ``name`` that two engines agree on exactly (floats to 8 digits)."""
    col = f'"{name}"'
    if kind == "BLOB":
        return f"lower(hex({col}))" if side == "duckdb" else col
    if kind in ("DOUBLE", "FLOAT") or kind.startswith("DECIMAL") or kind == "HUGEINT":
        col = f"CAST({col} AS DOUBLE)"
        return (f"CASE WHEN {col} = 0 OR NOT isfinite({col}) THEN {col}"
                f" ELSE round({col}, 8 - CAST(ceil(log10(abs({col}))) AS INTEGER)) END")
    if kind == "JSON" or "[" in kind or kind.startswith(("STRUCT", "MAP")):
        text = f"CAST(to_json({col}) AS VARCHAR)" if side == "duckdb" else col  # PostgreSQL: jsonb as text
        return f"CAST(json({text}) AS VARCHAR)"
    return col


def _pg_type_for_csv(kind: str) -> str:
    nested = kind in ("JSON", "BLOB") or "[" in kind or kind.startswith(("STRUCT", "MAP"))
    return "VARCHAR" if nested else kind


def _pg_select(name: str, kind: str) -> str:
    return f"encode(\"{name}\", 'hex')" if kind == "BLOB" else f'"{name}"'


def _close(a: Any, b: Any) -> bool:
    if isinstance(a, float | int | decimal.Decimal) and isinstance(b, float | int | decimal.Decimal):
        return math.isclose(float(a), float(b), rel_tol=1e-7, abs_tol=1e-12)  # both already at 8 digits
    if isinstance(a, str) and isinstance(b, str) and a[:1] in "[{" and a != b:
        return bool(json.loads(a) == json.loads(b))  # jsonb keeps keys in its own order
    return bool(a == b)


def compare(duck: Any, pg: Any, item: Any, schema: str, folder: Path) -> None:
    """Assert the PostgreSQL object holds DuckDB's rows: exact after rounding floats, then the few rows
    left over (a float on a rounding boundary) matched pairwise within a relative tolerance of 1e-7."""
    described = duck.execute(f"DESCRIBE SELECT * FROM {item.duckdb_name}").fetchall()
    names, kinds = [str(r[0]) for r in described], [str(r[1]) for r in described]
    cols = ", ".join(_pg_select(n, k) for n, k in zip(names, kinds))
    path = folder / f"{schema}.{item.name}.csv"
    with open(path, "wb") as handle, pg.cursor().copy(
            f'COPY (SELECT {cols} FROM "{schema}"."{item.name}") TO STDOUT (FORMAT csv)') as copy:
        for chunk in copy:
            handle.write(chunk)
    types = ", ".join(f"'{n}': '{_pg_type_for_csv(k)}'" for n, k in zip(names, kinds))
    duck.execute(f"CREATE OR REPLACE TEMP TABLE pg_side AS SELECT * FROM read_csv('{path}', header = false,"
                 f" columns = {{{types}}}, auto_detect = false, delim = ',', quote = '\"', escape = '\"',"
                 " nullstr = '', allow_quoted_nulls = false)")
    mine = ", ".join(f"{_rounded(n, k, 'duckdb')} AS \"{n}\"" for n, k in zip(names, kinds))
    other = ", ".join(f"{_rounded(n, k, 'pg')} AS \"{n}\"" for n, k in zip(names, kinds))
    # once: a DuckDB view over floating-point sums need not give the same last bits twice
    duck.execute(f"CREATE OR REPLACE TEMP TABLE duck_side AS SELECT * FROM {item.duckdb_name}")
    counts = duck.execute("SELECT (SELECT count(*) FROM duck_side), (SELECT count(*) FROM pg_side)").fetchall()[0]
    assert counts[0] == counts[1], f"{item.name}: {counts[0]} rows in DuckDB, {counts[1]} on PostgreSQL"
    duck_rows, pg_rows = f"SELECT {mine} FROM duck_side", f"SELECT {other} FROM pg_side"
    ours = duck.execute(f"{duck_rows} EXCEPT ALL {pg_rows}").fetchall()
    theirs = duck.execute(f"{pg_rows} EXCEPT ALL {duck_rows}").fetchall()
    assert len(ours) == len(theirs), f"{item.name}: {len(ours)} DuckDB rows unmatched, {len(theirs)} PostgreSQL rows"
    ties = {names.index(c): by for (v, c), by in FLOAT_TIES.items() if v == item.name}
    left = list(theirs)
    for row in ours:
        match = next((candidate for candidate in left if all(
            _close(a, b) or (i in ties and _tied(duck, dict(zip(names, row)), ties[i]))
            for i, (a, b) in enumerate(zip(row, candidate)))), None)
        assert match is not None, f"{item.name}: DuckDB row {row} has no PostgreSQL counterpart; left: {left[:3]}"
        left.remove(match)


def _tied(duck: Any, row: dict[str, Any], by: tuple[str, str]) -> bool:
    """Another row of the same partition has an ordering value equal to this one's within 1e-9."""
    part, value = by
    found = duck.execute(f'SELECT count(*) FROM duck_side WHERE "{part}" IS NOT DISTINCT FROM ?'
                         f' AND abs("{value}" - ?) <= 1e-9 * abs(?)', [row[part], row[value], row[value]]).fetchall()
    return int(found[0][0]) >= 2


def assert_parity(project: marketsql.Project, mirrored: MirrorResult, server: Server, folder: Path) -> list[str]:
    """Every object of the mirror compared with DuckDB; returns the names compared."""
    compared = []
    duck = project.connect(read_only=True)
    try:
        with server.admin() as pg:
            for item in mirrored.items:
                compare(duck, pg, item, mirrored.schemas[item.role], folder)
                compared.append(item.name)
    finally:
        duck.close()
    return compared


@pytest.mark.parametrize("which", ["retail", "demo"])
def test_every_view_and_mart_equals_duckdb(which, request, postgres_server: Server, tmp_path: Path):  # noqa: F811
    project, mirrored = request.getfixturevalue(which)
    views = {i.name for i in mirrored.items if i.kind == "view"}
    assert {"stg_order_lines", "customer_product_interactions", "product_features", "rfm_segments",
            "cohort_retention", "basket_settings", "data_quality"} <= views
    compared = assert_parity(project, mirrored, postgres_server, tmp_path)
    assert {"customer_segments", "segment_profiles", "association_rules", "order_lines", "model_arrays"
            } <= set(compared)
    assert len(compared) == len(mirrored.items)


@pytest.mark.parametrize("which", ["retail", "demo"])
def test_compiled_p_alive_matches_duckdb_for_every_customer(which, request, postgres_server: Server):  # noqa: F811
    project, mirrored = request.getfixturevalue(which)
    schema = mirrored.schemas["main"]
    duck = project.connect(read_only=True)
    try:
        expected = duck.execute("SELECT customer_id, p_alive(frequency, recency_days, age_days),"
                                " expected_order_value(frequency, monetary_value) FROM clv_summary"
                                " ORDER BY customer_id").fetchall()
    finally:
        duck.close()
    with postgres_server.admin() as pg:
        got = pg.execute(f'SELECT customer_id, "{schema}".p_alive(frequency, recency_days, age_days),'
                         f' "{schema}".expected_order_value(frequency, monetary_value) FROM "{schema}".clv_summary'
                         " ORDER BY customer_id").fetchall()
        mart = pg.execute(f'SELECT count(*), count(p_alive) FROM "{schema}".customer_value').fetchone()
    assert len(got) == len(expected) > 1_000 and mart == (len(expected), len(expected))
    for (cid, alive, value), (pg_cid, pg_alive, pg_value) in zip(expected, got, strict=True):
        assert (cid, alive, value) == (pg_cid, pytest.approx(pg_alive, rel=1e-12), pytest.approx(pg_value, rel=1e-12))


@pytest.mark.parametrize("which", ["retail", "demo"])
def test_compiled_segment_function_matches_duckdb_for_every_customer(which, request, postgres_server: Server):  # noqa: F811
    project, mirrored = request.getfixturevalue(which)
    schema = mirrored.schemas["main"]
    duck = project.connect(read_only=True)
    try:
        expected = duck.execute("SELECT customer_id, segment_id, segment_name, segment_description(segment_id)"
                                " FROM customer_segments ORDER BY customer_id").fetchall()
        what_if = duck.execute("SELECT segment(12, 3, 450.0), segment_name(segment(12, 3, 450.0))").fetchall()
    finally:
        duck.close()
    with postgres_server.admin() as pg:
        got = pg.execute(f'SELECT customer_id, "{schema}".segment({ARGS}), "{schema}".segment_name("{schema}".segment('
                         f'{ARGS})), "{schema}".segment_description("{schema}".segment({ARGS}))'
                         f' FROM "{schema}".customer_features ORDER BY customer_id').fetchall()
        assert pg.execute(f'SELECT "{schema}".segment(12, 3, 450.0), '
                          f'"{schema}".segment_name("{schema}".segment(12, 3, 450.0))').fetchall() == what_if
        assert pg.execute(f'SELECT "{schema}".segment(NULL, 3, 450.0)').fetchone() == (None,)
        plan = "\n".join(r[0] for r in pg.execute(
            f'EXPLAIN VERBOSE SELECT "{schema}".segment({ARGS}) FROM "{schema}".customer_features').fetchall())
    assert len(got) == len(expected) > 1_000
    assert all(row[3] and "last purchase" in row[3] for row in expected)  # described in both engines
    differ = [(e, g) for e, g in zip(expected, got) if e != g]
    assert not differ, f"{len(differ)} customers differ, e.g. {differ[:3]}"
    assert "segment(" not in plan.split("Output:")[1]  # inlined: plain arithmetic, no function call per row


def test_mirror_tables_carry_the_build_and_comments(retail, postgres_server: Server):  # noqa: F811
    _, mirrored = retail
    with postgres_server.admin() as pg:
        info = pg.execute('SELECT build_id, objects, copied_rows FROM "retail_meta".mirror').fetchall()
        comment = pg.execute("SELECT obj_description('retail.customer_segments'::regclass)").fetchone()
        schema_comment = pg.execute("SELECT obj_description('retail'::regnamespace)").fetchone()
    assert info == [(mirrored.plan.build_id, len(mirrored.items), mirrored.copied_rows)]
    assert comment and comment[0].startswith("sql/marts/customer_segments.sql")
    assert schema_comment and schema_comment[0].startswith("marketsql mirror")


def test_check_dry_runs_on_the_server_and_writes_nothing(retail, postgres_server: Server):  # noqa: F811
    project, _ = retail
    with postgres_server.admin() as pg:
        before = pg.execute("SELECT mirrored_at FROM retail_meta.mirror").fetchall()
    result = project.check_postgres(postgres_server.dsn(), "retail")
    assert result.checked == "server" and result.problems == []
    reasons = {i.name: i.why for i in result.items}
    assert reasons["stg_products"] == "calls Python UDF product_category() (line 24): rows copied"
    assert reasons["dq_order_lines"] == "materialised: rows copied"
    with postgres_server.admin() as pg:
        assert pg.execute("SELECT mirrored_at FROM retail_meta.mirror").fetchall() == before
        assert pg.execute("SELECT count(*) FROM pg_namespace WHERE nspname LIKE '%%__new'").fetchone() == (0,)
