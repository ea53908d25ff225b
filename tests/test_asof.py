"""Features as of a date (marketsql.models.asof): the view's SQL rerun against a temporary analysis_date gives
exactly what a build with that analysis_date gives — the mechanism every holdout uses to avoid the future."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pandas as pd

import marketsql
from marketsql.models.asof import features_as_of, segments_as_of

CUTOFF = date(2024, 9, 1)


def _built_as_of(root: Path, view: str) -> pd.DataFrame:
    project = marketsql.Project.load(root, settings={"analysis_date": CUTOFF.isoformat()})
    project.build()
    con = project.connect(read_only=True)
    try:
        return con.execute(f"SELECT * FROM {view}").df()
    finally:
        con.close()


def _sorted(frame: pd.DataFrame) -> pd.DataFrame:
    return frame.sort_values("customer_id").reset_index(drop=True)


def test_features_as_of_equal_a_build_as_of_that_day(demo_copy: Path):
    project = marketsql.Project.load(demo_copy)
    con = project.connect(read_only=True)
    try:
        latest = con.execute("SELECT max(order_ts) FROM stg_order_lines").fetchall()[0][0]
        as_of = features_as_of(con, project.views["customer_features"].sql, CUTOFF)
        segments = segments_as_of(con, project.views["customer_features"].sql, CUTOFF)
    finally:
        con.close()
    assert latest.date() > CUTOFF  # there is a future to hide
    assert as_of["last_order_ts"].max() < pd.Timestamp(CUTOFF)  # nothing on or after the cutoff is seen
    built = _built_as_of(demo_copy, "customer_features")
    pd.testing.assert_frame_equal(_sorted(as_of), _sorted(built), check_dtype=False)
    assert len(segments) == len(built) and set(segments.values()) <= set(range(10))
