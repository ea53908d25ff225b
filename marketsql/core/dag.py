"""Ordering views by the dependencies read from their SQL."""

from __future__ import annotations

import graphlib
from collections.abc import Collection, Mapping

from marketsql.errors import DependencyError

from .views import ViewFile

ALWAYS_KNOWN_SCHEMAS = {"information_schema", "pg_catalog", "meta"}


def build_order(views: Mapping[str, ViewFile], sources: Collection[str]) -> list[str]:
    """View names in an order where each comes after everything it reads.

    Raises DependencyError for a reference to an unknown table (naming file and line) or a cycle
    (printing the cycle's path).
    """
    known_raw = {f"raw.{name}" for name in sources} | {"raw.settings"}
    known_raw |= {f"raw.{source}" for view in views.values() for source, _ in view.optional}
    graph: dict[str, set[str]] = {}
    for view in views.values():
        deps = set()
        for ref in view.references:
            schema, _, table = ref.name.rpartition(".")
            if schema in ("", "main") and table in views:
                deps.add(table)
            elif ref.name in known_raw or schema in ALWAYS_KNOWN_SCHEMAS:
                continue
            else:
                raise DependencyError(f"{view.where(ref.line)}: unknown table {ref.name!r} — {_hint(ref.name)}")
        graph[view.name] = deps
    sorter = graphlib.TopologicalSorter(graph)
    try:
        sorter.prepare()
    except graphlib.CycleError as exc:
        cycle = exc.args[1]
        path = " reads ".join(reversed(cycle))  # graphlib lists each node before the one that reads it
        files = ", ".join(views[name].label for name in sorted(set(cycle)))
        raise DependencyError(f"dependency cycle: {path} — break the loop in one of {files}") from exc
    order: list[str] = []
    while sorter.is_active():
        ready = sorted(sorter.get_ready())
        order.extend(ready)
        sorter.done(*ready)
    return order


def _hint(name: str) -> str:
    schema, _, table = name.rpartition(".")
    if schema == "raw":
        return (f"declare a source named {table!r} in the project config (or, in staging, mark it"
                f" `-- marketsql: optional raw.{table}(column TYPE, …)`)")
    return f"add sql/{table}.sql or read a source as raw.<name>"
