"""Hostile: running out of memory or disk space is reported as such, not as "fix the SQL" or "check the CSV"."""

from __future__ import annotations

import os
import re
import subprocess
import textwrap
from collections.abc import Iterator
from pathlib import Path

import pytest
from conftest import ONLINE_RETAIL_CSV, sha256

import marketsql
from marketsql.errors import ResourceError

RETAIL_SOURCE = f"""\
    [sources.orders]
    path = "{ONLINE_RETAIL_CSV}"
    columns = {{ InvoiceNo = "VARCHAR", Quantity = "INTEGER" }}
    """
FIX_MEMORY = "raise memory_limit in marketsql.toml or free memory"


def retail_project(write_project, header: str, views: dict[str, str]) -> Path:
    toml = textwrap.dedent(header) + textwrap.dedent(RETAIL_SOURCE)
    return write_project({"marketsql.toml": toml, **views}, base=None)


def test_out_of_memory_loading_a_source(write_project):
    root = retail_project(write_project, 'database = "p.duckdb"\nmemory_limit = "10MB"\n', {})
    with pytest.raises(ResourceError) as caught:
        marketsql.Project.load(root).build()
    assert str(caught.value) == f"out of memory while loading source orders (memory_limit=9.5 MiB) — {FIX_MEMORY}"


def test_out_of_memory_building_a_view(write_project):
    everything = "-- marketsql: materialized\nSELECT list(o ORDER BY InvoiceNo) AS rows FROM raw.orders AS o\n"
    root = retail_project(write_project, 'database = "p.duckdb"\nmemory_limit = "100MB"\n',
                          {"sql/everything.sql": everything})
    with pytest.raises(ResourceError) as caught:
        marketsql.Project.load(root).build()
    assert str(caught.value) == (
        f"out of memory while building everything from sql/everything.sql (memory_limit=95.3 MiB) — {FIX_MEMORY}"
    )


@pytest.fixture
def small_disk(tmp_path: Path) -> Iterator[Path]:
    """A real 3 MB tmpfs, unmounted afterwards; the test is skipped where mounting is not permitted."""
    mount = tmp_path / "small_disk"
    mount.mkdir()
    command = ["mount", "-t", "tmpfs", "-o", "size=3m", "tmpfs", str(mount)]
    done = subprocess.run(command, capture_output=True, text=True)
    if done.returncode != 0:
        pytest.skip(f"cannot mount a tmpfs here ({done.stderr.strip() or 'not root'}): disk-full test needs it")
    try:
        yield mount
    finally:
        subprocess.run(["umount", "-l", str(mount)], check=True)


DISK_FULL = re.compile(
    r"disk full writing (?P<path>\S+) while (?P<doing>.+) — free space on (?P<mount>\S+)"
    r" \(needs (?:about|more than) (?P<need>[\d.]+) MB, (?P<available>[\d.]+) MB available\)"
)


def test_disk_full_loading_a_source(write_project, small_disk):
    root = retail_project(write_project, f'database = "{small_disk}/p.duckdb"\n', {})
    with pytest.raises(ResourceError) as caught:
        marketsql.Project.load(root).build()
    match = DISK_FULL.fullmatch(str(caught.value))
    assert match, str(caught.value)
    assert match["path"] == f"{small_disk}/p.duckdb.building-{os.getpid()}"
    assert match["doing"] == "loading source orders" and match["mount"] == str(small_disk)
    assert 1.0 < float(match["need"]) <= 3.0 and 1.0 < float(match["available"]) <= 3.0


def test_disk_full_building_a_view_keeps_the_previous_database(write_project, small_disk):
    root = write_project({"marketsql.toml": f'database = "{small_disk}/p.duckdb"\n[sources.orders]\npath = "o.csv"\n',
                          "o.csv": "a,b\n1,2\n", "sql/v.sql": "SELECT * FROM raw.orders"}, base=None)
    marketsql.Project.load(root).build()
    before = sha256(small_disk / "p.duckdb")
    big = "-- marketsql: materialized\nSELECT range AS i, md5(range::VARCHAR) AS h FROM range(2000000)\n"
    (root / "sql" / "big.sql").write_text(big)
    with pytest.raises(ResourceError) as caught:
        marketsql.Project.load(root).build()
    match = DISK_FULL.fullmatch(str(caught.value))
    assert match, str(caught.value)
    assert match["doing"] == "building big from sql/big.sql" and match["mount"] == str(small_disk)
    assert sha256(small_disk / "p.duckdb") == before
    assert sorted(p.name for p in small_disk.iterdir()) == ["p.duckdb", "p.duckdb.lock"]
