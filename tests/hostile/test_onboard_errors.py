"""`marketsql init DIR --from FILE` with bad input: one exact Error: line, exit 1, no folder left behind."""

from __future__ import annotations

from .clirun import error_line


def test_unknown_kind(tmp_path):
    (tmp_path / "f.csv").write_text("customer,date,amount\na,2023-01-01,5\n")
    assert error_line("init", str(tmp_path / "p"), "--from", str(tmp_path / "f.csv"), "--kind", "orders") == (
        "Error: --kind orders: unknown kind — use one of transactions, catalogue, campaign, monthly")
    assert not (tmp_path / "p").exists()


def test_unguessable_column_names_the_flag(tmp_path):
    (tmp_path / "f.csv").write_text("who,when,paid\na,2023-01-01,5\nb,2023-01-02,6\n")
    assert error_line("init", str(tmp_path / "p"), "--from", str(tmp_path / "f.csv"), "--kind", "transactions") == (
        "Error: no column of f.csv looks like the customer (transactions) — pass --map customer=COLUMN"
        " (columns: who, when, paid)")


def test_map_to_a_missing_column(tmp_path):
    (tmp_path / "f.csv").write_text("who,when,paid\na,2023-01-01,5\n")
    assert error_line("init", str(tmp_path / "p"), "--from", str(tmp_path / "f.csv"), "--map", "customer=CustNo") == (
        "Error: --map customer=CustNo: f.csv has no column 'CustNo' — its columns: who, when, paid")


def test_empty_file(tmp_path):
    (tmp_path / "f.csv").write_bytes(b"")
    assert error_line("init", str(tmp_path / "p"), "--from", str(tmp_path / "f.csv")) == (
        f"Error: {tmp_path / 'f.csv'} is empty (0 bytes) — export the table with its rows")


def test_header_only_file(tmp_path):
    (tmp_path / "f.csv").write_text("customer,date,amount\n")
    assert error_line("init", str(tmp_path / "p"), "--from", str(tmp_path / "f.csv")) == (
        f"Error: {tmp_path / 'f.csv'} has no data rows — export the table with its rows")


def test_binary_file(tmp_path):
    (tmp_path / "f.csv").write_bytes(bytes(range(256)) * 40)
    assert error_line("init", str(tmp_path / "p"), "--from", str(tmp_path / "f.csv")) == (
        f"Error: {tmp_path / 'f.csv'} is not a text file (binary bytes) — export the table as CSV")


def test_missing_file(tmp_path):
    assert error_line("init", str(tmp_path / "p"), "--from", str(tmp_path / "nope.csv")) == (
        f"Error: {tmp_path / 'nope.csv'}: no such file — check the path given to --from")


def test_map_without_from(tmp_path):
    assert error_line("init", str(tmp_path / "p"), "--map", "customer=x") == (
        "Error: --kind and --map describe a file — add --from FILE")
