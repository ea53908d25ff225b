"""Market-basket association rules in SQL (sql/baskets/): checked against arules on Groceries,
run on Online Retail, and on bad settings."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest
from conftest import DATA, ONLINE_RETAIL_CSV, REPO

import marketsql
from marketsql.errors import MarketsqlError

GROCERIES_CSV = DATA / "groceries" / "groceries.csv"
BASKETS = REPO / "sql" / "baskets"
SHARED_BASKET_FILES = ("basket_settings.sql", "frequent_itemsets.sql", "association_rules.sql")

# One basket per line of the ragged CSV, read as one text column; items are comma-separated.
GROCERIES_LINES = """\
SELECT DISTINCT basket_id, item
FROM (
    SELECT _source_row AS basket_id, unnest(string_split(column0, ',')) AS item
    FROM raw.groceries
) AS lines
"""


def groceries_files(min_support: str = "0.006", min_confidence: str = "0.25") -> dict[str, str]:
    """A project with the Groceries source, its own basket_lines and the repo's other basket views."""
    config = f"""\
database = "groceries.duckdb"
[settings]
basket_min_support = "{min_support}"
basket_min_confidence = "{min_confidence}"
[sources.groceries]
path = "{GROCERIES_CSV}"
format = "csv"
delim = "\\t"
header = false
"""
    files = {"marketsql.toml": config, "sql/baskets/basket_lines.sql": GROCERIES_LINES}
    for name in SHARED_BASKET_FILES:
        files[f"sql/baskets/{name}"] = (BASKETS / name).read_text(encoding="utf-8")
    files["udfs/baskets.py"] = (REPO / "udfs" / "baskets.py").read_text(encoding="utf-8")  # frequent_itemsets calls it
    return files


def read_groceries() -> list[frozenset[str]]:
    """The baskets, read as PROVENANCE.md says (no pandas: the rows are ragged)."""
    with open(GROCERIES_CSV, encoding="utf-8") as handle:
        return [frozenset(line.rstrip("\n").split(",")) for line in handle]


def query(project: marketsql.Project, sql: str) -> pd.DataFrame:
    con = project.connect(read_only=True)
    try:
        return con.execute(sql).df()
    finally:
        con.close()


@pytest.fixture(scope="module")
def groceries(tmp_path_factory) -> marketsql.Project:
    root = write_files(tmp_path_factory.mktemp("groceries"), groceries_files())
    project = marketsql.Project.load(root)
    project.build()
    return project


def write_files(root: Path, files: dict[str, str]) -> Path:
    """Like conftest's write_project, for module-scoped fixtures."""
    for name, text in files.items():
        path = root / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
    return root


# --- Groceries: the published arules result -------------------------------------------------------------

def test_groceries_matches_arules(groceries):
    """apriori(Groceries, support = 0.006, confidence = 0.25, minlen = 2): 463 rules, 747 itemsets."""
    sizes = query(groceries, "SELECT itemset_size, count(*) AS n FROM frequent_itemsets GROUP BY 1 ORDER BY 1")
    assert sizes["n"].sum() == 747
    assert dict(zip(sizes["itemset_size"], sizes["n"], strict=True)) == {1: 109, 2: 478, 3: 156, 4: 4}
    rules = query(groceries, "SELECT itemset_size, count(*) AS n FROM association_rules GROUP BY 1 ORDER BY 1")
    assert rules["n"].sum() == 463
    # arules' "rule length distribution (lhs + rhs)" for this run: 150 of 2 items, 297 of 3, 16 of 4.
    assert dict(zip(rules["itemset_size"], rules["n"], strict=True)) == {2: 150, 3: 297, 4: 16}
    top = query(groceries, "SELECT antecedent, consequent FROM association_rules ORDER BY lift DESC LIMIT 1")
    assert (top["antecedent"][0], top["consequent"][0]) == ("herbs", "root vegetables")


@pytest.mark.parametrize(
    ("antecedent", "consequent", "published"),
    [
        # Lantz, Machine Learning with R, ch. 8: inspect(sort(groceryrules, by = "lift")[1:5])
        (("herbs",), "root vegetables", (0.007015760, 0.4312500, 3.956477)),
        (("other vegetables", "root vegetables"), "whole milk", None),
        (("citrus fruit", "root vegetables"), "other vegetables", None),
    ],
)
def test_groceries_rule_matches_an_independent_count(groceries, antecedent, consequent, published):
    baskets = read_groceries()
    lhs = frozenset(antecedent)
    n_lhs = sum(lhs <= b for b in baskets)
    n_all = sum(lhs | {consequent} <= b for b in baskets)
    n_rhs = sum(consequent in b for b in baskets)
    support, confidence = n_all / len(baskets), n_all / n_lhs
    lift = confidence / (n_rhs / len(baskets))

    row = query(
        groceries,
        f"SELECT baskets, support, confidence, lift, antecedent_support, consequent_support FROM association_rules"
        f" WHERE antecedent = '{', '.join(sorted(antecedent))}' AND consequent = '{consequent}'",
    )
    assert len(row) == 1
    assert row["baskets"][0] == n_all
    assert row["support"][0] == pytest.approx(support, rel=1e-12)
    assert row["confidence"][0] == pytest.approx(confidence, rel=1e-12)
    assert row["lift"][0] == pytest.approx(lift, rel=1e-12)
    assert row["antecedent_support"][0] == pytest.approx(n_lhs / len(baskets), rel=1e-12)
    assert row["consequent_support"][0] == pytest.approx(n_rhs / len(baskets), rel=1e-12)
    if published:
        assert (support, confidence, lift) == pytest.approx(published, rel=1e-6)


def test_itemsets_are_ordered_and_padded(groceries):
    bad = query(
        groceries,
        """SELECT count(*) AS n FROM frequent_itemsets WHERE NOT (
             (itemset_size = 1 AND item_2 IS NULL AND item_3 IS NULL AND item_4 IS NULL)
          OR (itemset_size = 2 AND item_1 < item_2 AND item_3 IS NULL AND item_4 IS NULL)
          OR (itemset_size = 3 AND item_1 < item_2 AND item_2 < item_3 AND item_4 IS NULL)
          OR (itemset_size = 4 AND item_1 < item_2 AND item_2 < item_3 AND item_3 < item_4))""",
    )
    assert bad["n"][0] == 0
    types = query(groceries, "DESCRIBE association_rules").set_index("column_name")["column_type"].to_dict()
    assert types["antecedent"] == "VARCHAR" and types["itemset_size"] == "INTEGER"
    assert types["baskets"] == "BIGINT" and types["lift"] == "DOUBLE"


# --- bad and extreme settings ---------------------------------------------------------------------------

def test_a_support_that_is_not_a_number_is_a_clear_error(write_project):
    project = marketsql.Project.load(write_project(groceries_files(min_support="1%"), base=None))
    with pytest.raises(MarketsqlError, match=r'settings\.basket_min_support must be a number.*got "1%"'):
        project.build()


def test_a_confidence_out_of_range_is_a_clear_error(write_project):
    project = marketsql.Project.load(write_project(groceries_files(min_confidence="25"), base=None))
    with pytest.raises(MarketsqlError, match=r"settings\.basket_min_confidence must be a number in \[0, 1\]"):
        project.build()


def test_nothing_frequent_gives_no_rules(write_project):
    project = marketsql.Project.load(write_project(groceries_files(min_support="0.9"), base=None))
    project.build()
    counts = query(
        project, "SELECT (SELECT count(*) FROM frequent_itemsets) AS i, (SELECT count(*) FROM association_rules) AS r"
    )
    assert (counts["i"][0], counts["r"][0]) == (0, 0)


def test_defaults_apply_without_settings(write_project):
    files = groceries_files()
    files["marketsql.toml"] = "\n".join(
        line for line in files["marketsql.toml"].splitlines() if not line.startswith("basket_min")
    )
    project = marketsql.Project.load(write_project(files, base=None))
    project.build()
    settings = query(project, "SELECT min_support, min_confidence FROM basket_settings")
    assert (settings["min_support"][0], settings["min_confidence"][0]) == (0.01, 0.25)


# --- Online Retail ---------------------------------------------------------------------------------------

@pytest.fixture(scope="module")
def retail(tmp_path_factory) -> marketsql.Project:
    project = marketsql.Project.load(
        REPO / "examples" / "online_retail", database=tmp_path_factory.mktemp("retail") / "r.duckdb"
    )
    project.build()
    return project


def test_online_retail_rules(retail):
    rules = query(retail, "SELECT * FROM association_rules ORDER BY lift DESC, confidence DESC, antecedent, consequent")
    assert len(rules) > 100
    assert (rules["support"] >= 0.01).all()
    assert (rules["confidence"] >= 0.25).all()
    assert rules["lift"].to_numpy() == pytest.approx((rules["confidence"] / rules["consequent_support"]).to_numpy())
    assert set(rules["itemset_size"]) >= {2, 3}

    # the top rule, counted independently with pandas from the CSV (the notebook cleaning)
    df = pd.read_csv(ONLINE_RETAIL_CSV, dtype={"InvoiceNo": str, "StockCode": str, "CustomerID": str})
    df = df.drop_duplicates()
    df = df[df["CustomerID"].notna() & ~df["InvoiceNo"].str.startswith("C")]
    df = df[(df["Quantity"] > 0) & (df["UnitPrice"] > 0)]
    baskets = df.groupby(df["InvoiceNo"].str.strip())["StockCode"].agg(lambda s: frozenset(s.str.strip()))
    top = rules.iloc[0]
    lhs = frozenset(a for a in (top["antecedent_1"], top["antecedent_2"], top["antecedent_3"]) if isinstance(a, str))
    has_lhs = baskets.map(lambda b: lhs <= b)
    has_all = baskets.map(lambda b: lhs <= b and top["consequent"] in b)
    assert top["baskets"] == has_all.sum()
    assert top["confidence"] == pytest.approx(has_all.sum() / has_lhs.sum(), rel=1e-12)
    assert top["support"] == pytest.approx(has_all.sum() / len(baskets), rel=1e-12)


@pytest.mark.slow
def test_online_retail_itemsets_and_rules_equal_mlxtend(retail):
    """The same itemsets (with counts) and rules as mlxtend's apriori + association_rules."""
    mlxtend = pytest.importorskip("mlxtend.frequent_patterns")
    lines = query(retail, "SELECT basket_id, item FROM basket_lines")
    onehot = pd.crosstab(lines["basket_id"], lines["item"]).astype(bool)
    sets = mlxtend.apriori(onehot, min_support=0.01, use_colnames=True, low_memory=True, max_len=4)
    rules = mlxtend.association_rules(sets, num_itemsets=len(onehot), metric="confidence", min_threshold=0.25)
    rules = rules[rules["consequents"].map(len) == 1]
    expected_sets = {tuple(sorted(s)): round(v * len(onehot)) for s, v in zip(sets["itemsets"], sets["support"],
                                                                              strict=True)}
    ours = query(retail, "SELECT item_1, item_2, item_3, item_4, baskets FROM frequent_itemsets")
    got_sets = {tuple(i for i in row[:4] if isinstance(i, str)): row[4] for row in ours.itertuples(index=False)}
    assert got_sets == expected_sets
    expected_rules = {(", ".join(sorted(r.antecedents)), next(iter(r.consequents))): r.confidence
                      for r in rules.itertuples()}
    got = query(retail, "SELECT antecedent, consequent, confidence FROM association_rules")
    got_rules = dict(zip(zip(got["antecedent"], got["consequent"], strict=True), got["confidence"], strict=True))
    assert got_rules.keys() == expected_rules.keys()
    assert [got_rules[k] for k in expected_rules] == pytest.approx(list(expected_rules.values()), rel=1e-12)
