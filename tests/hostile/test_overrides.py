"""Attacks on one-off overrides: a build made with ``--source``/``--set`` must not be silently undone by
the rebuild that train and activate run; explicit overrides given to them win."""

from __future__ import annotations

from pathlib import Path

import duckdb
import pytest
from conftest import run_cli

import marketsql

from .shop import assert_consistent, scalar

TRAIN = ["train", "segmentation", "--k-min", "2", "--k-max", "2"]


def _inputs(root: Path) -> tuple[int, str | None]:
    """Rows of raw.order_lines and the analysis_date setting the database was built with."""
    con = marketsql.connect(root, read_only=True)
    try:
        rows = con.execute("SELECT count(*) FROM raw.order_lines").fetchall()[0][0]
        setting = con.execute("SELECT value FROM raw.settings WHERE key = 'analysis_date'").fetchall()
        return int(rows), setting[0][0] if setting else None
    finally:
        con.close()


def _last_build(root: Path) -> int:
    return scalar(root, "SELECT max(build_id) FROM meta.builds")


@pytest.fixture
def overridden(shop: Path, tmp_path: Path) -> tuple[Path, Path, int]:
    """The shop built once from the orders of 2023 only (``--source``) as of 2024-01-01 (``--set``)."""
    subset = tmp_path / "orders_2023.parquet"
    con = duckdb.connect()
    try:
        con.execute(f"COPY (SELECT * FROM read_parquet('{shop}/data/demo/order_lines/*.parquet')"
                    f" WHERE order_ts < DATE '2024-01-01') TO '{subset}' (FORMAT parquet)")
        rows = int(con.execute(f"SELECT count(*) FROM '{subset}'").fetchall()[0][0])
    finally:
        con.close()
    result = run_cli("build", "-p", str(shop), "--source", f"order_lines={subset}", "--set", "analysis_date=2024-01-01")
    assert result.returncode == 0, result.stderr
    assert _inputs(shop) == (rows, "2024-01-01")
    return shop, subset, rows


@pytest.mark.parametrize("command", [TRAIN, ["activate", "segmentation", "1"]], ids=["train", "activate"])
def test_rebuild_inside_train_or_activate_keeps_the_last_builds_overrides(overridden, command):
    shop, subset, rows = overridden
    last = _last_build(shop)
    result = run_cli(*command, "-p", str(shop))
    assert result.returncode == 0, result.stderr
    assert _inputs(shop) == (rows, "2024-01-01")
    assert _last_build(shop) == last + 1
    assert (f"Note: rebuilt with the sources and settings of build {last}, which differ from marketsql.toml:"
            f" --source order_lines={subset} --set analysis_date=2024-01-01") in result.stdout
    assert_consistent(shop)


def test_explicit_overrides_given_to_train_win(overridden):
    shop, _, _ = overridden
    result = run_cli(*TRAIN, "-p", str(shop), "--set", "analysis_date=2024-06-01")
    assert result.returncode == 0, result.stderr
    assert _inputs(shop)[1] == "2024-06-01"
    assert _inputs(shop)[0] > overridden[2]  # the configured sources again: only --set was given
    assert "Note: rebuilt with" not in result.stdout


def test_a_plain_build_goes_back_to_the_config(overridden):
    shop, _, rows = overridden
    assert run_cli("build", "-p", str(shop)).returncode == 0
    assert _inputs(shop)[0] > rows and _inputs(shop)[1] is None
    result = run_cli(*TRAIN, "-p", str(shop))
    assert result.returncode == 0 and "Note: rebuilt with" not in result.stdout, result.stdout + result.stderr
