"""Hostile: propensity asked for what it cannot learn — a target nobody bought in a horizon, a horizon longer than
the data, a category or product the data does not know, a malformed --target. One `Error:` line each, through the
real CLI, and nothing registered (the demo's version 1 stays the only one, still active)."""

from __future__ import annotations

from pathlib import Path

import duckdb
import pytest

from marketsql.models.registry import Registry

from .clirun import error_line

NOT_A_TARGET = ("Error: --target {!r} is not a target — give --target repeat, --target category:NAME or"
                " --target product:ID")
CASES = {
    # P0100 is a rare buy on the 800-customer demo (seed 7): 6 buyers in the fit horizons
    "no positives": (["--target", "repeat", "--target", "product:P0100"],
                     "Error: --target product:P0100: only 6 customer(s) bought it in the fit horizon — need at least"
                     " 10 buyers and 10 non-buyers: give a longer --horizon-days, more customers or another target"),
    "never sold": (["--target", "product:P0009"],
                   "Error: --target product:P0009: no customer bought it in the fit horizon — need at least 10"
                   " buyers and 10 non-buyers: give a longer --horizon-days, more customers or another target"),
    "horizon longer than the data": (["--horizon-days", "400"],
                                     "Error: --horizon-days 400 is too long for 731 days of purchases (2023-01-01 …"
                                     " 2024-12-31): training needs four horizons (history, fit, validation,"
                                     " evaluation) — give at most 182 days"),
    "horizon not a length": (["--horizon-days", "0"], "Error: --horizon-days 0: give 1 to 3650 days"),
    "unknown category": (["--target", "category:Toasters"],
                         "Error: --target category:Toasters: no category 'Toasters' in stg_products — known"
                         " categories include: Phones, Cases, Audio, Chargers, Screen protectors"),
    "unknown product": (["--target", "product:NOPE"], "Error: --target product:NOPE: no product 'NOPE' in"
                        " stg_products — known products include: "),
    "malformed target": (["--target", "colour:red"], NOT_A_TARGET.format("colour:red")),
    "empty category": (["--target", "category:"], NOT_A_TARGET.format("category:")),
    "twice": (["--target", "repeat", "--target", "repeat"],
              "Error: --target repeat is given twice — give each target once"),
}


def _versions(root: Path) -> list[tuple[int, str]]:
    con = duckdb.connect(str(root / "marketsql.duckdb"), read_only=True)
    try:
        return [(r.version, r.status) for r in Registry(con).list("propensity")]
    finally:
        con.close()


@pytest.mark.parametrize("case", sorted(CASES))
def test_bad_propensity_training_is_one_line_and_registers_nothing(case: str, shop: Path) -> None:
    args, expected = CASES[case]
    before = _versions(shop)
    line = error_line("train", "propensity", "-p", str(shop), *args)
    if expected.endswith("include: "):
        assert line.startswith(expected) and line.count(",") == 4, line
    else:
        assert line == expected
    assert _versions(shop) == before == [(1, "active")]
