"""Small fixtures: a temp project written from a dict of files, and the real datasets."""

from __future__ import annotations

import hashlib
import os
import shutil
import subprocess
import sys
import textwrap
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

import marketsql

REPO = Path(__file__).resolve().parents[1]
DATA = REPO.parent / "shared" / "data"
ONLINE_RETAIL_CSV = DATA / "online_retail" / "online_retail.csv.gz"

ORDERS_CSV = """\
order_id,order_ts,customer_id,product_id,quantity,unit_price
O1,2024-01-05 10:00:00,C1,P1,2,10.0
O2,2024-02-10 11:00:00,C1,P2,1,25.0
O3,2024-03-01 12:00:00,C2,P1,1,10.0
"""

SMALL_PROJECT = {
    "marketsql.toml": """\
        database = "project.duckdb"
        [sources.orders]
        path = "data/orders.csv"
        columns = { order_id = "VARCHAR", order_ts = "TIMESTAMP", customer_id = "VARCHAR", quantity = "INTEGER", \
unit_price = "DOUBLE" }
        """,
    "data/orders.csv": ORDERS_CSV,
    "sql/order_revenue.sql": """\
        SELECT order_id, customer_id, quantity * unit_price AS revenue FROM raw.orders
        """,
    "sql/marts/customer_revenue.sql": """\
        -- marketsql: materialized
        WITH r AS (SELECT * FROM order_revenue)
        SELECT customer_id, sum(revenue) AS revenue FROM r GROUP BY customer_id
        """,
}

WriteProject = Callable[..., Path]

DEMO_CUSTOMERS = 3_000
DEMO_SEED = 7
SMALL_CUSTOMERS = 800  # the small shop of the hostile suite and the common test of the kinds
# A whole `marketsql demo` (generate, build, train every kind, report) takes 2-4 min on 2 quiet cores and twice that
# on a shared, loaded machine: the shared demo fixtures wait this long before calling it hung.
DEMO_TIMEOUT = 900


@dataclass(frozen=True)
class Shop:
    """The demo project made once by `marketsql demo` (every model trained, report written)."""

    root: Path
    stdout: str

    @property
    def project(self) -> marketsql.Project:
        return marketsql.Project.load(self.root)


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Mark tests by the real server they start: every test using ``postgres_server`` is ``postgres`` (and
    ``mariadb_server``: ``mysql``), so ``-m "not postgres and not mysql"`` leaves the engine tests out and
    ``-m postgres`` runs only them."""
    for item in items:
        if "postgres_server" in getattr(item, "fixturenames", ()):
            item.add_marker(pytest.mark.postgres)
        if "mariadb_server" in getattr(item, "fixturenames", ()):
            item.add_marker(pytest.mark.mysql)
        if "spark_target" in getattr(item, "fixturenames", ()):
            item.add_marker(pytest.mark.spark)


@pytest.fixture(scope="session")
def spark_target(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Any]:
    """The Spark target of the whole test run: local[2] with one warehouse, so ONE SparkSession (8-20 s to start)
    serves every Spark test; started here, stopped at the end."""
    from marketsql.engines.spark import session

    target = session.resolve({}, "local[2]", "marketsql", str(tmp_path_factory.mktemp("spark") / "warehouse"))
    spark = session.session(target)
    yield target
    spark.stop()


@pytest.fixture(scope="session")
def demo_shop(tmp_path_factory: pytest.TempPathFactory) -> Shop:
    """`marketsql demo` through the real CLI, once per session. Tests only read it; a test that
    changes a demo project takes ``demo_copy``."""
    root = tmp_path_factory.mktemp("shop") / "shop"
    result = run_cli("demo", str(root), "--customers", str(DEMO_CUSTOMERS), "--seed", str(DEMO_SEED),
                     timeout=DEMO_TIMEOUT)
    assert result.returncode == 0, result.stderr
    return Shop(root, result.stdout)


@pytest.fixture
def demo_copy(demo_shop: Shop, tmp_path: Path) -> Path:
    """A private copy of the demo project, free to rebuild or retrain."""
    return Path(shutil.copytree(demo_shop.root, tmp_path / "shop"))


@pytest.fixture(scope="session")
def small_shop(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """`marketsql demo --customers 800` once: every model trained, segmentation v1 active."""
    root = tmp_path_factory.mktemp("small") / "shop"
    result = run_cli("demo", str(root), "--customers", str(SMALL_CUSTOMERS), timeout=DEMO_TIMEOUT)
    assert result.returncode == 0, result.stderr
    return root


@pytest.fixture
def shop(small_shop: Path, tmp_path: Path) -> Path:
    """A private copy of the small shop, free to rebuild, retrain or break."""
    return Path(shutil.copytree(small_shop, tmp_path / "shop"))


@pytest.fixture
def write_project(tmp_path: Path) -> WriteProject:
    """Write ``{relative path: text}`` into a fresh project folder (SMALL_PROJECT by default)."""

    def write(files: dict[str, str] | None = None, base: dict[str, str] | None = SMALL_PROJECT) -> Path:
        root = tmp_path / "project"
        for name, text in {**(base or {}), **(files or {})}.items():
            path = root / name
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text(textwrap.dedent(text), encoding="utf-8")
        (root / "sql").mkdir(parents=True, exist_ok=True)
        return root

    return write


@pytest.fixture
def built_project(write_project: WriteProject) -> marketsql.Project:
    """The small project, built once."""
    project = marketsql.Project.load(write_project())
    project.build()
    return project


def sha256(path: Path) -> str:
    """Hash of a file's bytes, to prove a database was left untouched."""
    return hashlib.sha256(path.read_bytes()).hexdigest()


def run_cli(*args: str, cwd: Path | None = None, timeout: float = 300) -> subprocess.CompletedProcess[str]:
    """Run the real ``marketsql`` console command in a subprocess."""
    command = [str(Path(sys.executable).with_name("marketsql")), *args]
    env = {**os.environ, "COLUMNS": "200"}
    return subprocess.run(command, cwd=cwd, capture_output=True, text=True, timeout=timeout, env=env)


def duckdb_cli(database: Path, sql: str) -> subprocess.CompletedProcess[str]:
    """Run SQL in the DuckDB command-line tool from PyPI (duckdb-cli), as a client without Python UDFs."""
    cli = Path(sys.executable).with_name("duckdb")
    return subprocess.run(
        [str(cli), "-readonly", "-csv", str(database), "-c", sql], capture_output=True, text=True, timeout=120
    )


def example_project(name: str, folder: Path) -> marketsql.Project:
    """A project in ``folder`` that extends ``examples/<name>`` and reads its data from ../shared/data."""
    example = REPO / "examples" / name
    text = (example / "marketsql.toml").read_text(encoding="utf-8")
    text = text.replace('extends = "../.."', f'extends = "{example}"').replace("../../../shared/data", str(DATA))
    (folder / "marketsql.toml").write_text(text, encoding="utf-8")
    return marketsql.Project.load(folder)
