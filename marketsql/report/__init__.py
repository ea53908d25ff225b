"""``marketsql report``: one self-contained HTML page of the built project (charts embedded, no network)."""

from __future__ import annotations

import os
import time
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from marketsql.core import locations

if TYPE_CHECKING:
    from marketsql.project import Project


@dataclass(frozen=True)
class ReportResult:
    """Where the report was written, what it holds and how long it took."""

    path: Path
    sections: list[str]
    missing: list[str]
    bytes: int
    seconds: float
    section_seconds: dict[str, float]


def write_report(project: Project, path: str | Path | None = None) -> ReportResult:
    """Render the report of ``project``'s built database to ``path`` (default: report.html in the project).

    The file is written to a temporary name and renamed, so a reader never sees half a report.
    """
    from .data import Data
    from .page import render
    from .sections import SECTIONS

    started = time.perf_counter()
    target = Path(path) if path is not None else project.root / "report.html"
    locations.check_output_file(target, "--output")
    con = project.connect(read_only=True)
    try:
        db = Data(con)
        sections, section_seconds = [], {}
        for make in SECTIONS:
            clock = time.perf_counter()
            sections.append(make(db))
            section_seconds[sections[-1].title] = time.perf_counter() - clock
    finally:
        con.close()
    page = render(f"marketsql report — {project.root.name}", f"database {project.database.name}", sections)
    temporary = target.with_name(f".{target.name}.{os.getpid()}.tmp")
    temporary.write_text(page, encoding="utf-8")
    os.replace(temporary, target)
    missing = [s.title for s in sections if any('class="missing"' in b for b in s.blocks)]
    return ReportResult(target, [s.title for s in sections], missing, len(page.encode()),
                        time.perf_counter() - started, section_seconds)
