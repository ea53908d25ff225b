"""Hostile `marketsql explain-change`: a month that is not one, a month without sales, a dimension that does not
exist or that the project's data lacks — each one `Error:` line and exit 1, nothing printed on stdout."""

from __future__ import annotations

from pathlib import Path

from conftest import run_cli

from .clirun import error_line


def test_a_period_that_is_not_a_month(small_shop: Path) -> None:
    for flag, value in (("--from", "2024-13"), ("--to", "Dec 2024"), ("--from", "2024-1"), ("--to", "")):
        args = {"--from": "2024-11", "--to": "2024-12", flag: value}
        line = error_line("explain-change", "-p", str(small_shop), "--from", args["--from"], "--to", args["--to"])
        assert line == f"Error: {flag} {value!r} is not a month — give it as YYYY-MM, e.g. 2011-10"


def test_a_month_without_sales(small_shop: Path) -> None:
    line = error_line("explain-change", "-p", str(small_shop), "--from", "2024-11", "--to", "2031-01")
    assert line == "Error: --to 2031-01: no sales that month — give a month with sales (2023-01 to 2024-12)"
    line = error_line("explain-change", "-p", str(small_shop), "--from", "2022-12", "--to", "2024-12")
    assert line.startswith("Error: --from 2022-12: no sales that month")


def test_an_unknown_dimension(small_shop: Path) -> None:
    line = error_line("explain-change", "-p", str(small_shop), "--from", "2024-11", "--to", "2024-12",
                      "--by", "country,brand")
    assert line == ("Error: --by 'brand' is not a dimension — use any of segment, category, country, channel,"
                    " customer_type")


def test_a_dimension_the_data_lacks(shop: Path) -> None:
    """A project without acquisition data (stg_acquisitions empty) has no channel to cut by."""
    (shop / "sql" / "staging" / "stg_acquisitions.sql").write_text(
        "SELECT customer_id, acquisition_channel AS channel, CAST(signup_date AS DATE) AS acquired_on\n"
        "FROM stg_customers WHERE false\n", encoding="utf-8")
    built = run_cli("build", "-p", str(shop))
    assert built.returncode == 0, built.stderr
    line = error_line("explain-change", "-p", str(shop), "--from", "2024-11", "--to", "2024-12", "--by", "channel")
    assert line == ("Error: --by channel: this project's data has no channel — use any of segment, category,"
                    " country, customer_type")
    ran = run_cli("explain-change", "-p", str(shop), "--from", "2024-11", "--to", "2024-12")
    assert ran.returncode == 0 and "\nchannel:" not in ran.stdout and "\ncountry:" in ran.stdout


def test_an_unbuilt_project(tmp_path: Path) -> None:
    import marketsql

    marketsql.init(tmp_path / "fresh")
    line = error_line("explain-change", "-p", str(tmp_path / "fresh"), "--from", "2024-11", "--to", "2024-12")
    assert "marketsql build" in line
