"""The Spark mirror on a real local[2] SparkSession (one for the whole run: tests/conftest.py spark_target): every
view and mart of a small demo equals DuckDB's row by row, the Spark SQL functions give DuckDB's segment and p_alive
for every customer, `check --target spark` lists every object, and a second mirror replaces the first through the
pointer views."""

from __future__ import annotations

import datetime
import json
import shutil
from pathlib import Path
from typing import Any

import pytest
from conftest import WriteProject
from parity import assert_same_rows, rounded

import marketsql
from marketsql.demo.generate import generate_demo_data
from marketsql.engines.plan import Item, MirrorResult
from marketsql.models.segmentation import FEATURES


@pytest.fixture(scope="module")
def demo(tmp_path_factory, spark_target) -> tuple[marketsql.Project, MirrorResult]:
    project = marketsql.init(tmp_path_factory.mktemp("sparkdemo") / "demo")
    generate_demo_data(project.root / "data" / "demo", customers=300, seed=11)
    project.build()
    project.train("segmentation", k_min=4, k_max=4, rebuild=False)
    project.train("clv", rebuild=False)
    # trees (the Arrow-UDF path in DuckDB) for two targets; recommendation without the Keras candidate (speed)
    project.train("propensity", target=["repeat", "category:Cases"], candidates="hgb", serve="hgb", rebuild=False)
    project.train("recommendation", candidates="popularity,item_cosine,ease")
    return project, project.mirror_to("spark", spark_target.master, "demo", warehouse=spark_target.warehouse)


def _plain(value: Any) -> Any:
    """Spark's Rows (structs) as dicts, recursively, so nested values compare with DuckDB's."""
    if hasattr(value, "asDict"):
        return {k: _plain(v) for k, v in value.asDict().items()}
    if isinstance(value, list | tuple):
        return [_plain(v) for v in value]
    if isinstance(value, dict):
        return {str(k): _plain(v) for k, v in value.items()}
    return value


def _value(value: Any) -> Any:
    """One value as both engines can agree on it: numbers to 8 significant digits, nested values as JSON."""
    if value is None:
        return None
    if isinstance(value, list | dict) or hasattr(value, "asDict"):
        return json.dumps(_plain(value), sort_keys=True, default=str)
    if isinstance(value, datetime.datetime) and value.tzinfo is not None:
        return value.astimezone(datetime.UTC).replace(tzinfo=None)
    return rounded(value)


def compare(duck: Any, spark: Any, item: Item, database: str) -> None:
    """Assert the Spark object holds DuckDB's rows: the same multiset after rounding, then the rows left over (a
    float on a rounding boundary) matched pairwise within a relative 1e-7."""
    names = [str(r[0]) for r in duck.execute(f"DESCRIBE SELECT * FROM {item.duckdb_name}").fetchall()]
    ours = [tuple(_value(v) for v in row) for row in duck.execute(f"SELECT * FROM {item.duckdb_name}").fetchall()]
    columns = ", ".join(f"`{n}`" for n in names)
    theirs = [tuple(_value(v) for v in row) for row in spark.sql(
        f"SELECT {columns} FROM `{database}`.`{item.name}`").collect()]
    assert_same_rows(item.name, "Spark", names, ours, theirs)


def test_every_view_and_mart_equals_duckdb(demo, spark_target):
    from marketsql.engines.spark.session import session

    project, mirrored = demo
    views = {i.name for i in mirrored.items if i.kind == "view"}
    assert {"stg_order_lines", "customer_product_interactions", "product_features", "cohort_retention",
            "rfm_segments", "data_quality"} <= views
    spark = session(spark_target)
    duck = project.connect(read_only=True)
    failed = []
    try:
        for item in mirrored.items:
            try:
                compare(duck, spark, item, mirrored.schemas[item.role])
            except AssertionError as exc:
                failed.append(str(exc)[:300])
    finally:
        duck.close()
    assert not failed, "\n".join(failed)


def test_model_marts_are_scored_in_spark_with_duckdbs_rows(demo):
    """customer_propensity and customer_recommendations are not copied: Spark scores them from the mirrored features
    (their rows equal DuckDB's in test_every_view_and_mart_equals_duckdb); every other materialised mart is copied."""
    project, mirrored = demo
    items = {i.name: i for i in mirrored.items}
    assert mirrored.scored == {"customer_propensity": 600, "customer_recommendations": 3000}
    assert items["customer_propensity"].why.startswith("scored in Spark from its features (propensity v")
    assert items["customer_recommendations"].why.startswith("scored in Spark from its features (recommendation v")
    assert items["customer_segments"].why.endswith("rows copied") and "customer_segments" not in mirrored.scored
    assert mirrored.copied_rows == sum(i.rows for i in mirrored.items if i.kind == "table" and i.name not in
                                       mirrored.scored)
    assert mirrored.seconds["score"] > 0


def test_a_mart_whose_sql_is_not_marketsqls_own_is_copied_not_scored(demo, tmp_path):
    """Spark re-implements the mart's SQL around the scorers, so an edited mart file is copied as DuckDB built it."""
    from marketsql.engines.spark import mirror

    project, _ = demo
    copy = marketsql.Project.load(shutil.copytree(project.root, tmp_path / "edited"))
    mart = copy.root / "sql" / "marts" / "customer_propensity.sql"
    mart.write_text(mart.read_text(encoding="utf-8") + "-- edited\n", encoding="utf-8")
    planned = {i.name: i.why for i in mirror.check(marketsql.Project.load(copy.root), None).items}
    assert planned["customer_propensity"] == ("rows copied (sql/marts/customer_propensity.sql is not marketsql's"
                                              " own, which Spark scores)")
    assert planned["customer_recommendations"].startswith("scored in Spark from its features (recommendation v")


def test_spark_functions_give_duckdbs_segment_and_p_alive_for_every_customer(demo, spark_target):
    from marketsql.engines.spark.session import session

    project, mirrored = demo
    db, spark = mirrored.schemas["main"], session(spark_target)
    args = ", ".join(f"`{f}`" for f in FEATURES)
    duck = project.connect(read_only=True)
    try:
        segments = duck.execute("SELECT customer_id, segment_id, segment_name, segment_description(segment_id)"
                                " FROM customer_segments ORDER BY customer_id").fetchall()
        alive = duck.execute("SELECT customer_id, p_alive(frequency, recency_days, age_days),"
                             " expected_order_value(frequency, monetary_value) FROM clv_summary"
                             " ORDER BY customer_id").fetchall()
    finally:
        duck.close()
    got_segments = [tuple(r) for r in spark.sql(
        f"SELECT customer_id, {db}.segment({args}), {db}.segment_name({db}.segment({args})),"
        f" {db}.segment_description({db}.segment({args})) FROM {db}.customer_features ORDER BY customer_id").collect()]
    got_alive = [tuple(r) for r in spark.sql(
        f"SELECT customer_id, {db}.p_alive(frequency, recency_days, age_days),"
        f" {db}.expected_order_value(frequency, monetary_value) FROM {db}.clv_summary ORDER BY customer_id").collect()]
    assert len(got_segments) == len(segments) > 250
    differ = [(e, g) for e, g in zip(segments, got_segments) if e != g]
    assert not differ, f"{len(differ)} customers differ, e.g. {differ[:3]}"
    assert len(got_alive) == len(alive) > 250
    for (cid, p, value), (sp_cid, sp_p, sp_value) in zip(alive, got_alive, strict=True):
        assert (cid, p, value) == (sp_cid, pytest.approx(sp_p, rel=1e-12), pytest.approx(sp_value, rel=1e-12))
    defaults = spark.sql(f"SELECT {db}.segment(), {db}.segment(NULL)").collect()[0]  # defaults: training medians
    assert defaults[0] in {r[1] for r in segments} and defaults[1] is None
    assert set(mirrored.function_names) >= {"segment", "segment_name", "segment_description", "p_alive",
                                            "expected_order_value", "propensity"}


def test_check_target_spark_lists_every_object(demo, spark_target):
    from hostile.clirun import invoke

    project, mirrored = demo
    ran = invoke("check", "-p", str(project.root), "--target", "spark", "--schema", "demo",
                 "--warehouse", spark_target.warehouse)
    assert ran.code == 0, ran.stderr
    lines = ran.stdout.splitlines()
    assert "  view   demo.rfm_segments" in "\n".join(lines) and "transpiled to a Spark view" in ran.stdout
    segments = next(line for line in lines if line.startswith("  table  demo.customer_segments "))
    assert segments.endswith(": rows copied")  # materialised by DuckDB (Python UDF or marked): its rows, not its SQL
    assert "  table  demo_raw.order_lines" in ran.stdout and "raw source: copied" in ran.stdout
    assert f"Checked against Spark at local[2] (warehouse {spark_target.warehouse}) (dry run, in a scratch database," \
           " dropped)" in ran.stdout
    assert lines[-1] == f"All {len(mirrored.items)} objects can be mirrored"


def _pointers(spark: Any, name: str) -> tuple[list[str], list[tuple[str, str]], tuple[Any, ...]]:
    """(databases named like the mirror, the objects readers see, the mirror row)."""
    databases = sorted(str(r[0]) for r in spark.sql("SHOW DATABASES").collect() if str(r[0]).startswith(name))
    objects = sorted((db, str(r.tableName)) for db in (name, f"{name}_raw", f"{name}_meta") if db in databases
                     for r in spark.sql(f"SHOW TABLES IN {db}").collect())
    row = tuple(spark.sql(f"SELECT generation, objects FROM {name}_meta.mirror").collect()[0]) \
        if f"{name}_meta" in databases else ()
    return databases, objects, row


def test_a_second_mirror_replaces_the_first_through_the_pointers(write_project: WriteProject, spark_target):
    from marketsql.engines.spark.session import session

    project = marketsql.Project.load(write_project())
    project.build()
    first = project.mirror_to("spark", spark_target.master, "twice", warehouse=spark_target.warehouse)
    spark = session(spark_target)
    old = _pointers(spark, "twice")[2][0]
    second = project.mirror_to("spark", spark_target.master, "twice", warehouse=spark_target.warehouse)
    databases, objects, (generation, count) = _pointers(spark, "twice")
    assert databases == sorted(["twice", "twice_raw", "twice_meta", f"twice__g{generation}",
                                f"twice_raw__g{generation}", f"twice_meta__g{generation}"])  # the first is gone
    assert count == len(second.items) == len(first.items) and len(objects) == count + 1  # + the mirror row
    assert spark.sql("SELECT customer_id, revenue FROM twice.customer_revenue ORDER BY 1").collect() == [
        ("C1", 45.0), ("C2", 10.0)]
    assert spark.sql("SELECT count(*) FROM twice.order_revenue").collect()[0][0] == 3
    assert generation != old and not (Path(spark_target.warehouse) / f"twice__g{old}.db").exists()


def test_a_sample_from_spark_is_duckdbs_sample_and_trains(demo, spark_target, tmp_path):
    """`train --sample N --sample-from spark` reads the same customers and rows from the mirror as from DuckDB (the
    md5 rule computed by each engine), and the version trained on them says so in its params."""
    import dataclasses

    import duckdb

    from marketsql.engines.spark import sample as spark_sample
    from marketsql.engines.spark.session import session
    from marketsql.errors import ConfigError
    from marketsql.sampling import draw

    project, _ = demo
    spark = session(spark_target)
    words = ["C00042", "Zoë", "", "12345.0"]  # both engines: md5 of the UTF-8 bytes, as lower-case hex
    spark_md5 = [r[0] for r in spark.sql("SELECT md5(w) FROM VALUES " + ", ".join(f"('{w}')" for w in words)
                                         + " AS t(w)").collect()]
    assert spark_md5 == [duckdb.sql(f"SELECT md5('{w}')").fetchall()[0][0] for w in words]
    tables = list(project.config.sources)
    target = spark_sample.target({}, project.root, spark_target.master, spark_target.warehouse, "demo")
    with pytest.raises(ConfigError, match="^--sample-from spark: no mirror 'nosuch' in the warehouse "):
        spark_sample.draw(dataclasses.replace(target, schema="nosuch"), tables, {}, 120)
    (tmp_path / "duck").mkdir()
    (tmp_path / "spark").mkdir()
    from_duck = draw.from_duckdb(project.database, tables, {}, 120, tmp_path / "duck")
    pulled = spark_sample.draw(target, tables, {}, 120)
    from_spark = draw.from_arrow(project.database, pulled.tables, pulled.population, pulled.keys, tmp_path / "spark")
    assert from_spark.population == from_duck.population == 300 and from_spark.keys == from_duck.keys
    assert from_spark.rows == from_duck.rows and from_duck.rows["customers"] == 120
    assert 0 < from_duck.rows["order_lines"] < project.connect(read_only=True).execute(
        "SELECT count(*) FROM raw.order_lines").fetchall()[0][0]
    for table in tables:  # row for row, in _source_row order, every column with DuckDB's type
        read = [duckdb.sql(f"SELECT * FROM read_parquet('{f.files[table]}')") for f in (from_duck, from_spark)]
        assert read[0].types == read[1].types, table
        assert read[0].fetchall() == read[1].fetchall(), table
    copy = marketsql.Project.load(shutil.copytree(project.root, tmp_path / "copy"))
    trained = copy.train("segmentation", k_min=4, k_max=4, sample=120, sample_from="spark",
                         spark={"master": spark_target.master, "warehouse": spark_target.warehouse, "schema": "demo"})
    sample = trained.record.params["sample"]
    assert (sample["customers"], sample["of"], sample["source"]) == (120, 300, "spark")
    assert sample["cut_by"] == {"campaign": "customer_id", "customers": "customer_id", "order_lines": "customer_id"}
    assert sample["rows"] == dict(sorted(from_duck.rows.items()))
    stored = next(r for r in copy.models() if r.name == "segmentation")
    assert stored.params["sample"] == sample and stored.status == "active" and stored.version == trained.record.version
