"""What every report section reads: the built database (read-only) and the colours the charts share."""

from __future__ import annotations

from typing import Any

import duckdb

from marketsql.models.registry import ModelRecord, Registry

PALETTE = ["#1f3a5f", "#e07a5f", "#3d9970", "#f2cc8f", "#81b29a", "#9b5de5", "#577590", "#f15bb5", "#00bbf9",
           "#fee440"]

TIER_COLOURS = {1: "#6baed6", 2: "#3d9970", 3: "#f2a541", 4: "#c0392b"}  # budget … premium


class Data:
    """Read-only access to the built database for the sections."""

    def __init__(self, con: duckdb.DuckDBPyConnection) -> None:
        self.con = con
        self._relations = {name for (name,) in con.execute(
            "SELECT table_name FROM information_schema.tables WHERE table_schema = 'main'").fetchall()}

    def has(self, *relations: str) -> bool:
        """True when every relation exists in the database."""
        return all(r in self._relations for r in relations)

    def rows(self, query: str, params: list[Any] | None = None) -> list[tuple[Any, ...]]:
        """All rows of a query."""
        return self.con.execute(query, params or []).fetchall()

    def active_model(self, name: str) -> ModelRecord | None:
        """The active version of model ``name`` as the registry records it (params and metrics parsed); None when
        there is none or no registry."""
        return next((r for r in Registry(self.con).list(name) if r.status == "active"), None)
