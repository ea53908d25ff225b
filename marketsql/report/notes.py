"""The report's note, in a section, when a simple baseline beat the model the section shows."""

from __future__ import annotations

from typing import TYPE_CHECKING

from marketsql.models.summary import baseline_note

if TYPE_CHECKING:
    from .data import Data
    from .page import Section


def add_baseline_note(db: Data, section: Section, name: str) -> str | None:
    """Add a highlighted paragraph to ``section`` when the active ``name`` model lost to its baseline on
    held-out data (as stored in its metrics); return the note, or None when the model won or is absent."""
    record = db.active_model(name)
    if record is None:
        return None
    note = baseline_note(name, record.kind, record.metrics)
    if note:
        section.text(f"Baseline beats the model: {note}.", css="baseline")
    return note
