"""Hostile: raw sources that cannot be read. Each error names the file, the line or row, keeps DuckDB's
reason and says what to change."""

from __future__ import annotations

import gzip
import os
import textwrap
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq
import pytest

import marketsql
from marketsql.errors import SourceError

TOML = """\
    database = "project.duckdb"
    [sources.orders]
    path = "{path}"
    columns = {{ order_id = "VARCHAR", quantity = "INTEGER" }}
    {extra}
    """
GOOD = b"order_id,customer_id,quantity\nO1,C1,2\nO2,C2,1\n"


def project(write_project, path: str, extra: str = "") -> Path:
    toml = textwrap.dedent(TOML).format(path=path, extra=extra)
    return write_project({"marketsql.toml": toml, "sql/n.sql": "SELECT count(*) AS n FROM raw.orders"}, base=None)


def build_error(root: Path) -> str:
    with pytest.raises(SourceError) as caught:
        marketsql.Project.load(root).build()
    return str(caught.value)


def write(path: Path, data: bytes) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(data)
    return path


def test_invalid_utf8_names_line_and_byte_and_suggests_latin1(write_project, tmp_path):
    data = write(tmp_path / "in" / "orders.csv", GOOD + b"O3,Caf\xe9 Lyon,1\n")
    root = project(write_project, str(data))
    assert build_error(root) == (
        f"source orders ({data}): line 4, byte offset 52: not valid UTF-8 (Invalid unicode (byte sequence mismatch)"
        " detected. This file is not utf-8 encoded) — set encoding = \"latin-1\" (or the file's real encoding)"
        " under [sources.orders], or re-export the file as UTF-8"
    )
    fixed = project(write_project, str(data), extra='encoding = "latin-1"')
    assert marketsql.Project.load(fixed).build().sources[0].rows == 3


def test_line_longer_than_duckdb_limit_says_to_raise_max_line_size(write_project, tmp_path):
    data = write(tmp_path / "in" / "orders.csv", GOOD + b"O3,C" + b"x" * 2_100_000 + b",1\n")
    root = project(write_project, str(data))
    assert build_error(root) == (
        f"source orders ({data}): line 4: Maximum line size of 2000000 bytes exceeded. Actual Size:2100007 bytes"
        " — set max_line_size = 2101031 under [sources.orders], or fix that line"
    )
    fixed = project(write_project, str(data), extra="max_line_size = 3000000")
    assert marketsql.Project.load(fixed).build().sources[0].rows == 3


@pytest.mark.parametrize(
    ("line", "found", "fix"),
    [
        (b"O3,C3\n", 2, "fix that line, or set null_padding = true under [sources.orders] to read the missing"
                        " fields as NULL"),
        (b"O3,C3,1,extra\n", 4, "fix that line (a delimiter inside an unquoted value?)"),
    ],
)
def test_ragged_row_reports_line_and_field_counts_not_missing_columns(write_project, tmp_path, line, found, fix):
    data = write(tmp_path / "in" / "orders.csv", GOOD + line + b"O4,C4,5\n")
    root = project(write_project, str(data))
    assert build_error(root) == f"source orders ({data}): line 4 has {found} field(s), the header has 3 — {fix}"


def test_null_padding_reads_a_short_row(write_project, tmp_path):
    data = write(tmp_path / "in" / "orders.csv", GOOD + b"O3,C3\n")
    root = project(write_project, str(data), extra="null_padding = true")
    assert marketsql.Project.load(root).build().sources[0].rows == 3


def test_bad_value_deep_in_a_glob_names_its_file_and_row(write_project, tmp_path):
    for i in range(3):
        rows = "".join(f"O{i}-{n},C{n},{n}\n" for n in range(1000))
        if i == 2:
            rows += "O2-bad,C9,lots\n"
        write(tmp_path / "in" / f"part{i}.csv.gz", gzip.compress(b"order_id,customer_id,quantity\n" + rows.encode()))
    root = project(write_project, f"{tmp_path}/in/*.csv.gz")
    assert build_error(root) == (
        f"source orders ({tmp_path}/in/part2.csv.gz): data row 1001, column quantity: 'lots' is not a valid INTEGER"
        " — fix the value, or declare the column VARCHAR and clean it in staging"
    )


def test_header_only_file(write_project, tmp_path):
    data = write(tmp_path / "in" / "orders.csv", b"order_id,customer_id,quantity\n")
    root = project(write_project, str(data))
    assert build_error(root) == f"source orders: {data} has no data rows — re-export the file"


def test_binary_file_is_not_a_csv(write_project, tmp_path):
    data = write(tmp_path / "in" / "orders.csv", bytes(range(256)) * 40)
    root = project(write_project, str(data))
    assert build_error(root) == (
        f"source orders ({data}): not a CSV file, it holds binary data (Error when sniffing file \"{data}\")"
        " — point the source at the CSV export of the data"
    )


def test_parquet_named_csv_says_to_set_the_format(write_project, tmp_path):
    pq.write_table(pa.table({"order_id": ["O1"], "quantity": [1]}), tmp_path / "orders.csv")
    root = project(write_project, str(tmp_path / "orders.csv"))
    message = build_error(root)
    assert message.startswith(f"source orders ({tmp_path}/orders.csv): not a CSV file, it holds Parquet data (")
    assert message.endswith(") — set format = \"parquet\" under [sources.orders]")


def test_truncated_gzip(write_project, tmp_path):
    whole = gzip.compress(GOOD + b"".join(b"O%d,C%d,1\n" % (n, n) for n in range(50_000)))
    data = write(tmp_path / "in" / "orders.csv.gz", whole[: len(whole) // 2])
    root = project(write_project, str(data))
    assert build_error(root) == (
        f"source orders ({data}): Unexpected end of GZIP stream: {data}"
        " — the gzip file is truncated or corrupt: copy or export it again"
    )


def test_csv_gz_that_is_not_gzip(write_project, tmp_path):
    data = write(tmp_path / "in" / "orders.csv.gz", GOOD)
    root = project(write_project, str(data))
    assert build_error(root) == (
        f"source orders ({data}): Input is not a GZIP stream: {data}"
        " — the gzip file is truncated or corrupt: copy or export it again"
    )


def test_parquet_missing_a_declared_column(write_project, tmp_path):
    pq.write_table(pa.table({"order_id": ["O1"], "qty": [1]}), tmp_path / "orders.parquet")
    root = project(write_project, str(tmp_path / "orders.parquet"))
    assert build_error(root) == (
        f"source orders ({tmp_path}/orders.parquet): missing required column(s) quantity — the file has: order_id, qty"
    )


def test_parquet_column_of_a_type_that_cannot_be_cast(write_project, tmp_path):
    table = pa.table({"order_id": ["O1"], "quantity": pa.array([pa.scalar(0, pa.date32()).as_py()], pa.date32())})
    pq.write_table(table, tmp_path / "orders.parquet")
    root = project(write_project, str(tmp_path / "orders.parquet"))
    assert build_error(root) == (
        f"source orders ({tmp_path}/orders.parquet): column quantity is DATE in the file, declared INTEGER"
        " (Conversion Error: Unimplemented type for cast (DATE -> INTEGER) when casting from source column quantity)"
        " — declare it as DATE and convert it in staging"
    )


def test_parquet_value_that_does_not_parse(write_project, tmp_path):
    pq.write_table(pa.table({"order_id": ["O1", "O2"], "quantity": ["1", "two"]}), tmp_path / "orders.parquet")
    root = project(write_project, str(tmp_path / "orders.parquet"))
    assert build_error(root) == (
        f"source orders ({tmp_path}/orders.parquet): data row 2, column quantity: 'two' is not a valid INTEGER"
        " — fix the value, or declare the column VARCHAR and clean it in staging"
    )


def test_good_sources_still_load(write_project, tmp_path):
    data = write(tmp_path / "in" / "orders.csv", GOOD)
    assert marketsql.Project.load(project(write_project, str(data))).build().sources[0].rows == 2
    assert os.path.exists(tmp_path / "project" / "project.duckdb")
