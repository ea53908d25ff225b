"""Features as they were on a date: a project view rerun against a temporary ``analysis_date``.

Every honest evaluation needs features computed as of a cutoff — from purchases strictly before it, never
the future. The standard pipeline's features read their date from the view ``analysis_date``; shadowing
that view with a temporary one of the same name and running a feature view's SQL gives the features as
of any day, without rebuilding anything (a temporary view works in a read-only connection too).
"""

from __future__ import annotations

from datetime import date
from typing import TYPE_CHECKING

import duckdb
import numpy as np

from marketsql.core.sqltext import literal

if TYPE_CHECKING:
    import pandas as pd


def features_as_of(con: duckdb.DuckDBPyConnection, view_sql: str, cutoff: date) -> pd.DataFrame:
    """The rows of a feature view's SQL (e.g. ``customer_features``) computed as of ``cutoff``."""
    day = literal(cutoff.isoformat())
    con.execute(f"CREATE OR REPLACE TEMP VIEW analysis_date AS SELECT DATE {day} AS analysis_date")
    try:
        return con.execute(f"SELECT * FROM ({view_sql})").df()
    finally:
        con.execute("DROP VIEW IF EXISTS temp.analysis_date")


def segments_as_of(con: duckdb.DuckDBPyConnection, features_sql: str, cutoff: date) -> dict[str, int]:
    """customer id -> segment id of the active segmentation model, scored on ``customer_features`` as they
    were at ``cutoff``, so a holdout's segments know nothing of the holdout period. Empty without an active
    segmentation model."""
    from marketsql.models.segmentation.serve import load as load_segmentation

    from .registry import Registry
    from .segmentation import FEATURES

    active = [r for r in Registry(con).list("segmentation") if r.status == "active"]
    if not active:
        return {}
    model = load_segmentation(con, active[0])
    frame = features_as_of(con, features_sql, cutoff)
    labels = model.predict(frame[list(FEATURES)].to_numpy(dtype=np.float64))
    return {str(c): int(s) for c, s in zip(frame["customer_id"], labels) if s >= 0}
