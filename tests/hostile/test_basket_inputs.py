"""Hostile basket inputs: a support of 0 or above 1 is one Error: line; baskets of one item and an
empty basket table build, with no itemsets beyond single items and no rules."""

from __future__ import annotations

from pathlib import Path

import pytest

import marketsql

from .clirun import error_line

REPO = Path(__file__).resolve().parents[2]
BASKET_FILES = ("basket_settings.sql", "frequent_itemsets.sql", "association_rules.sql")


LINES = "SELECT DISTINCT basket AS basket_id, item FROM raw.baskets"


def project(write_project, csv: str, support: str = "0.1", lines: str = LINES) -> Path:
    files = {
        "marketsql.toml": f'database = "b.duckdb"\n[settings]\nbasket_min_support = "{support}"\n'
                          '[sources.baskets]\npath = "baskets.csv"\n'
                          'columns = { basket = "VARCHAR", item = "VARCHAR" }\n',
        "baskets.csv": csv,
        "sql/baskets/basket_lines.sql": lines,
        "udfs/baskets.py": (REPO / "udfs" / "baskets.py").read_text(encoding="utf-8"),
    }
    for name in BASKET_FILES:
        files[f"sql/baskets/{name}"] = (REPO / "sql" / "baskets" / name).read_text(encoding="utf-8")
    return write_project(files, base=None)


def counts(root: Path) -> tuple[int, int, int]:
    """Itemsets, itemsets of 2 or more items, rules."""
    con = marketsql.Project.load(root).connect(read_only=True)
    try:
        return con.execute("SELECT (SELECT count(*) FROM frequent_itemsets),"
                           " (SELECT count(*) FROM frequent_itemsets WHERE itemset_size > 1),"
                           " (SELECT count(*) FROM association_rules)").fetchall()[0]
    finally:
        con.close()


@pytest.mark.parametrize("support", ["0", "1.5", "-0.1"])
def test_a_support_out_of_range_is_one_error_line(write_project, support):
    root = project(write_project, "basket,item\nB1,a\nB1,b\n", support)
    assert error_line("build", "-p", str(root)) == (
        "Error: sql/baskets/basket_settings.sql: Invalid Input Error: settings.basket_min_support must be a number"
        f' in (0, 1], e.g. "0.01" (got "{support}")')


def test_baskets_of_one_item_give_single_items_and_no_rules(write_project):
    root = project(write_project, "basket,item\nB1,a\nB2,a\nB3,b\nB4,c\n")
    marketsql.Project.load(root).build()
    assert counts(root) == (3, 0, 0)


def test_an_empty_basket_table_gives_nothing(write_project):
    """basket_lines with no rows (an empty source file is refused earlier, by the source check)."""
    root = project(write_project, "basket,item\nB1,a\nB1,b\n", lines=LINES + " WHERE item IS NULL")
    marketsql.Project.load(root).build()
    assert counts(root) == (0, 0, 0)


def test_one_basket_with_many_items_among_single_item_ones(write_project):
    """Only the one basket holds pairs: at support 0.2 of 5 baskets, each of its pairs (1 basket) is frequent."""
    root = project(write_project, "basket,item\n" + "".join(f"B1,{i}\n" for i in "abcde") + "B2,a\nB3,b\nB4,c\nB5,d\n",
                   support="0.2")
    marketsql.Project.load(root).build()
    # 5 singles, C(5,2) = 10 pairs, C(5,3) = 10 triples, C(5,4) = 5 quadruples (sets stop at 4 items)
    assert counts(root)[:2] == (30, 25)
