"""Hostile: `-- marketsql: requires <model>` lines that name no model kind, and accounting without a reason."""

from __future__ import annotations

from pathlib import Path

import pytest
from conftest import run_cli

import marketsql
from marketsql.build import BuildResult
from marketsql.core.manifest import QualityRow
from marketsql.core.sources import SourceLoad
from marketsql.errors import SqlError

HINT = "did you mean 'forecast'? "
KNOWN = "budget, clv, forecast, positioning, propensity, recommendation, segmentation, uplift"


@pytest.mark.parametrize(
    ("header", "message"),
    [
        ("-- marketsql: requires forcast", f"requires unknown model 'forcast' — {HINT}known models: {KNOWN}"),
        ("-- marketsql: requires segmentation, xyz", f"requires unknown model 'xyz' — known models: {KNOWN}"),
        ("-- marketsql: requires forecast-v2", f"requires unknown model 'forecast-v2' — {HINT}known models: {KNOWN}"),
        ("-- marketsql: requires", f"`-- marketsql: requires` names no model — add one of: {KNOWN}"),
    ],
)
def test_requires_an_unknown_model_names_file_line_and_known_models(write_project, header, message):
    root = write_project({"sql/late.sql": f"-- a view that waits for a model\n{header}\nSELECT 1 AS x\n"})
    with pytest.raises(SqlError) as caught:
        marketsql.Project.load(root).check()
    assert str(caught.value) == f"sql/late.sql, line 2: {message}"


def test_requires_typo_through_the_cli(write_project):
    root = write_project({"sql/late.sql": "-- marketsql: requires segmentaton\nSELECT 1 AS x\n"})
    result = run_cli("check", "-p", str(root))
    assert result.returncode == 1
    assert result.stderr.strip() == (
        "Error: sql/late.sql, line 1: requires unknown model 'segmentaton' — did you mean 'segmentation'?"
        f" known models: {KNOWN}"
    )


def test_requires_known_models_still_accepted(write_project):
    root = write_project({"sql/late.sql": "-- marketsql: requires Forecast, segmentation\nSELECT 1 AS x\n"})
    assert marketsql.Project.load(root).views["late"].requires == {"forecast", "segmentation"}


def test_accounting_never_prints_none_for_a_missing_reason():
    quality = [
        QualityRow("orders", "purchase", None, 5),
        QualityRow("orders", "quarantine", None, 1),
        QualityRow("orders", "quarantine", "missing customer", 2),
    ]
    source = SourceLoad("orders", ("orders.csv",), 10, "x", 8, 0.1)
    result = BuildResult(Path("db"), 1, 0.1, [source], [], quality)
    line = result.accounting()["orders"]
    assert line == "8 raw → 5 purchases, 0 returns, 3 quarantined (missing customer 2, (no reason) 1)"
    assert "None" not in line
