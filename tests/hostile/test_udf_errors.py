"""Hostile: Python UDFs that raise, return the wrong length or type, or NULL — each named with its file."""

from __future__ import annotations

import shutil

import pytest
from conftest import run_cli

import marketsql
from marketsql.errors import SqlError

BAD_UDFS = """\
    import pyarrow as pa
    import pyarrow.compute as pc

    from marketsql import udf


    @udf(params=["VARCHAR"], returns="VARCHAR")
    def explode(text):
        raise ValueError(f"cannot handle {len(text)} values")


    @udf(params=["VARCHAR"], returns="VARCHAR")
    def silent(text):
        raise KeyError()


    @udf(params=["VARCHAR"], returns="VARCHAR")
    def short(text):
        return pc.utf8_upper(text)[:-1]


    @udf(params=["VARCHAR"], returns="INTEGER")
    def wrong_type(text):
        return pa.array(["many"] * len(text))


    @udf(params=["VARCHAR"], returns="VARCHAR")
    def holes(text):
        return pa.nulls(len(text), pa.string())


    @udf(params=["VARCHAR"], returns="BIGINT")
    def narrow(text):
        return pa.array([1] * len(text), pa.int8())


    @udf(params=["VARCHAR", "VARCHAR"], returns="VARCHAR")
    def joined(first, second):
        return pc.binary_join_element_wise(first, second, "-")
    """

CASES = {
    "explode": "explode() in udfs/bad.py raised ValueError: cannot handle 3 values"
    " — fix the function or the values passed to it",
    "silent": "silent() in udfs/bad.py raised KeyError: (no message) — fix the function or the values passed to it",
    "short": "short() in udfs/bad.py returned 2 values for 3 rows — return one per row",
    "wrong_type": "wrong_type() in udfs/bad.py returned string where INTEGER was declared"
    " (Failed to parse string: 'many' as a scalar of type int32) — return that type or fix the @udf declaration",
    "holes": "holes() in udfs/bad.py returned NULL for 3 of 3 rows — return a value for every non-NULL input",
}


@pytest.mark.parametrize("function", sorted(CASES))
def test_failing_udf_names_the_view_the_function_and_its_file(write_project, function):
    root = write_project(
        {"udfs/bad.py": BAD_UDFS, "sql/shouted.sql": f"SELECT order_id, {function}(order_id) AS x FROM raw.orders\n"}
    )
    with pytest.raises(SqlError) as caught:
        marketsql.Project.load(root).build()
    assert str(caught.value) == f"sql/shouted.sql: {CASES[function]}"


def test_failing_udf_through_the_cli(write_project):
    root = write_project({"udfs/bad.py": BAD_UDFS, "sql/shouted.sql": "SELECT holes(order_id) AS x FROM raw.orders\n"})
    result = run_cli("build", "-p", str(root))
    assert result.returncode == 1
    assert result.stderr.strip().splitlines()[-1] == f"Error: sql/shouted.sql: {CASES['holes']}"


def test_guarded_udfs_keep_their_arity_and_castable_results_still_work(write_project):
    root = write_project({
        "udfs/bad.py": BAD_UDFS,
        "sql/ones.sql": "SELECT sum(narrow(order_id)) AS n, min(joined(order_id, customer_id)) AS j FROM raw.orders",
    })
    project = marketsql.Project.load(root)
    project.build()
    con = project.connect(read_only=True)
    try:
        assert con.execute("SELECT n, j FROM ones").fetchall() == [(3, "O1-C1")]
    finally:
        con.close()


def test_a_model_udf_that_raises_is_named_in_the_build(demo_shop, tmp_path):
    root = shutil.copytree(demo_shop.root, tmp_path / "shop")
    offers = "SELECT customer_id, recommend(customer_id, 0) AS r FROM stg_customers\n"
    (root / "sql" / "zero_offers.sql").write_text(offers)
    with pytest.raises(SqlError) as caught:
        marketsql.Project.load(root).build()
    assert str(caught.value) == (
        "sql/zero_offers.sql: recommend() in recommendation model raised ValueError: recommend: k = 0"
        " — give 1 <= k <= 1000"
    )
