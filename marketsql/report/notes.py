"""The report's note, in a section, when a simple baseline beat the model the section shows."""

from __future__ import annotations

import json
from typing import TYPE_CHECKING

from marketsql.models.summary import baseline_note

if TYPE_CHECKING:
    from .data import Data
    from .page import Section


def add_baseline_note(db: Data, section: Section, name: str) -> str | None:
    """Add a highlighted paragraph to ``section`` when the active ``name`` model lost to its baseline on
    held-out data (as stored in its metrics); return the note, or None when the model won or is absent."""
    found = db.rows("SELECT count(*) FROM information_schema.tables WHERE table_schema = 'meta'"
                    " AND table_name = 'models'")[0][0]
    active = db.rows("SELECT kind, metrics FROM meta.models WHERE name = ? AND status = 'active'", [name]) \
        if found else []
    if not active:
        return None
    kind, metrics = active[0]
    note = baseline_note(name, kind, json.loads(metrics) if isinstance(metrics, str) else metrics)
    if note:
        section.text(f"Baseline beats the model: {note}.", css="baseline")
    return note
