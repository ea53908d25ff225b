"""Attacks on the file the rebuild swaps in: it must keep the old file's permission bits, owner and group."""

from __future__ import annotations

import os
import stat

import pytest
from conftest import run_cli

DB = "marketsql.duckdb"


@pytest.mark.parametrize("command", [["build"], ["activate", "segmentation", "1"]], ids=["build", "activate"])
def test_rebuild_keeps_mode_0600(shop, command):
    (shop / DB).chmod(0o600)
    result = run_cli(*command, "-p", str(shop))
    assert result.returncode == 0, result.stderr
    assert stat.S_IMODE((shop / DB).stat().st_mode) == 0o600


@pytest.mark.skipif(os.geteuid() != 0, reason="only root can give a file to another owner")
def test_rebuild_keeps_owner_and_group(shop):
    os.chown(shop / DB, 65534, 65534)
    result = run_cli("build", "-p", str(shop))
    assert result.returncode == 0, result.stderr
    found = (shop / DB).stat()
    assert (found.st_uid, found.st_gid) == (65534, 65534)
