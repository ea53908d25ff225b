"""Onboarding a user's own file: ``marketsql init DIR --from FILE`` (inspect → propose a mapping → write SQL)."""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path

from .generate import source_name, staging_files, toml_text
from .inspect import Shape, inspect
from .mapping import KINDS, Mapping_, propose

__all__ = ["KINDS", "Onboarding", "plan"]


@dataclass(frozen=True)
class Onboarding:
    """What ``init --from`` found and will write: the file's shape, the mapping and the generated text."""

    shape: Shape
    mapping: Mapping_
    config: str  # marketsql.toml
    staging: dict[str, str] = field(default_factory=dict)  # sql/staging/<file> → SQL

    def summary(self) -> list[str]:
        """Lines to print: the read options, the kind, the mapping and the files written."""
        opts = ", ".join(f"{k}={v!r}" for k, v in self.shape.options.items())
        return [f"{self.shape.path.name}: {self.mapping.kind}, {len(self.shape.columns)} columns ({opts})",
                f"source raw.{source_name(self.mapping.kind)}; mapping (contract ← column):", *self.mapping.lines(),
                "wrote marketsql.toml, " + ", ".join(f"sql/staging/{name}" for name in self.staging)]


def plan(directory: Path, from_file: str | Path, kind: str | None = None,
         columns: Mapping[str, str] | None = None) -> Onboarding:
    """Inspect ``from_file`` and generate the config and staging SQL for a project in ``directory``.

    ``columns`` maps contract fields to column names (``{"customer": "CustNo"}``) where the guess is wrong
    or missing. Raises ConfigError/SourceError (one line, with the flag to use) when it cannot.
    """
    shape = inspect(Path(from_file).resolve())
    mapping = propose(shape, kind, dict(columns or {}))
    path = os.path.relpath(shape.path, directory.resolve())
    return Onboarding(shape, mapping, toml_text(shape, mapping, path), staging_files(shape, mapping))
