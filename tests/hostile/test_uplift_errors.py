"""Hostile: the uplift model on campaigns it cannot learn from, and a treatment it does not know. Each is one
`Error:` line; nothing is registered. The campaigns are the real Hillstrom file with one thing broken."""

from __future__ import annotations

import textwrap
from pathlib import Path

import duckdb
import pytest
from conftest import DATA

import marketsql

from .clirun import error_line

HILLSTROM = DATA / "hillstrom_email" / "hillstrom.csv.gz"
MAPPING = """\
    SELECT 'H' || CAST(_source_row AS VARCHAR) AS customer_id,
           CASE segment WHEN 'Mens E-Mail' THEN 'mens' WHEN 'Womens E-Mail' THEN 'womens' ELSE 'control' END
               AS treatment,
           {visit} AS visit, conversion, spend, CAST(recency AS DOUBLE) AS recency, history
    FROM raw.hillstrom
    {where}
    """


def _campaign(tmp_path: Path, visit: str = "visit", where: str = "") -> Path:
    root = tmp_path / "campaign"
    (root / "sql").mkdir(parents=True)
    (root / "marketsql.toml").write_text(textwrap.dedent(f"""\
        database = "campaign.duckdb"
        [sources.hillstrom]
        path = "{HILLSTROM}"
        columns = {{ segment = "VARCHAR", visit = "INTEGER", conversion = "INTEGER", spend = "DOUBLE", \
recency = "INTEGER", history = "DOUBLE" }}
        """))
    (root / "sql" / "campaign_customers.sql").write_text(textwrap.dedent(MAPPING.format(visit=visit, where=where)))
    marketsql.Project.load(root).build()
    return root


def _registered(root: Path) -> int:
    con = duckdb.connect(str(root / "campaign.duckdb"), read_only=True)
    try:
        if not con.execute("SELECT count(*) FROM duckdb_tables() WHERE schema_name = 'meta' AND table_name = 'models'"
                           ).fetchall()[0][0]:
            return 0  # no model was ever registered in this database
        return len(con.execute("SELECT * FROM meta.models WHERE name = 'uplift'").fetchall())
    finally:
        con.close()


def test_a_campaign_without_a_control_group(tmp_path: Path) -> None:
    root = _campaign(tmp_path, where="WHERE segment <> 'No E-Mail'")
    assert error_line("train", "uplift", "-p", str(root)) == (
        "Error: campaign_customers has no control group (treatment = 'control'; arms: mens, womens) — uplift needs"
        " customers randomly left out of the campaign; map them to 'control'")
    assert _registered(root) == 0


def test_a_treatment_with_no_responders(tmp_path: Path) -> None:
    root = _campaign(tmp_path, visit="CASE WHEN segment = 'Womens E-Mail' THEN 0 ELSE visit END")
    assert error_line("train", "uplift", "-p", str(root)) == (
        "Error: treatment 'womens' has no responders (visit = 1 for 0 of 21,387), need at least 10 — choose another"
        " --outcome or a longer window")
    assert _registered(root) == 0


def test_an_unknown_outcome(tmp_path: Path) -> None:
    root = _campaign(tmp_path)
    assert error_line("train", "uplift", "-p", str(root), "--outcome", "spend") == (
        "Error: --outcome 'spend': give one of visit, conversion")
    assert _registered(root) == 0


@pytest.mark.parametrize("query", ["SELECT uplift(customer_id, 'sms') FROM campaign_customers",
                                   "SELECT uplift(customer_id, 'control') FROM campaign_customers"])
def test_an_unknown_treatment_in_sql(small_shop: Path, query: str) -> None:
    line = error_line("sql", "-p", str(small_shop), query)
    assert "unknown treatment — the uplift model knows: email" in line, line
