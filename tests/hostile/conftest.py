"""Fixtures of the hostile suite: one small demo shop (800 customers) per session, copied per test."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from conftest import run_cli

SMALL_CUSTOMERS = 800


@pytest.fixture(scope="session")
def small_shop(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """`marketsql demo --customers 800` once: every model trained, segmentation v1 active."""
    root = tmp_path_factory.mktemp("small") / "shop"
    result = run_cli("demo", str(root), "--customers", str(SMALL_CUSTOMERS))
    assert result.returncode == 0, result.stderr
    return root


@pytest.fixture
def shop(small_shop: Path, tmp_path: Path) -> Path:
    """A private copy of the small shop, free to rebuild, retrain or break."""
    return Path(shutil.copytree(small_shop, tmp_path / "shop"))
