"""The architecture, checked from the source (AST, no imports run): imports point one way — cli → project →
sampling → refresh → build / engines / report → targeting → trends → models → core — with no circle, lazy imports
included."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parents[1] / "marketsql"
# a layer may import the layers after it, never one before it (errors and version are shared leaves)
LAYERS = ["cli", "demo", "project", "sampling", "refresh", "onboard", "build", "engines", "report", "targeting",
          "trends", "models", "core"]
LEAVES = {"errors", "version"}


def _modules() -> dict[str, Path]:
    found = {}
    for path in PACKAGE.rglob("*.py"):
        parts = path.relative_to(PACKAGE.parent).with_suffix("").parts
        found[".".join(parts[:-1] if parts[-1] == "__init__" else parts)] = path
    return found


def _imports(name: str, path: Path, modules: dict[str, Path]) -> set[str]:
    """The marketsql modules ``name`` imports, anywhere in the file (TYPE_CHECKING blocks excepted)."""
    package = name if path.name == "__init__.py" else name.rpartition(".")[0]
    found: set[str] = set()

    def visit(node: ast.AST) -> None:
        for child in ast.iter_child_nodes(node):
            if isinstance(child, ast.If) and "TYPE_CHECKING" in ast.unparse(child.test):
                continue
            if isinstance(child, ast.ImportFrom):
                base = child.module or ""
                if child.level:
                    anchor = package.split(".")[: len(package.split(".")) - child.level + 1]
                    base = ".".join([*anchor, base] if base else anchor)
                subs = [f"{base}.{a.name}" for a in child.names if f"{base}.{a.name}" in modules]
                found.update(subs if len(subs) == len(child.names) else [base, *subs])
            elif isinstance(child, ast.Import):
                found.update(a.name for a in child.names)
            visit(child)

    visit(ast.parse(path.read_text(encoding="utf-8")))
    return {m for m in found if m in modules and m != name and m != "marketsql"}


def _layer(module: str) -> str:
    return module.split(".")[1] if module.count(".") else ""


GRAPH = {name: _imports(name, path, _modules()) for name, path in _modules().items()}


def test_no_import_circle() -> None:
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    circles: list[list[str]] = []

    def strong(v: str) -> None:  # Tarjan's strongly connected components
        index[v] = low[v] = len(index)
        stack.append(v)
        for w in GRAPH[v]:
            if w not in index:
                strong(w)
                low[v] = min(low[v], low[w])
            elif w in stack:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            component = []
            while True:
                w = stack.pop()
                component.append(w)
                if w == v:
                    break
            if len(component) > 1:
                circles.append(sorted(component))

    for v in GRAPH:
        if v not in index:
            strong(v)
    assert circles == []


@pytest.mark.parametrize("layer", LAYERS)
def test_imports_point_one_way(layer: str) -> None:
    allowed = set(LAYERS[LAYERS.index(layer):]) | LEAVES
    wrong = sorted(f"{m} imports {t}" for m, targets in GRAPH.items() if _layer(m) == layer
                   for t in targets if _layer(t) not in allowed)
    assert wrong == []


def test_no_module_over_400_lines() -> None:
    """One concept per module: ~300 lines, 400 at most (split along the concepts, not by line count)."""
    long = sorted(f"{name}: {n}" for name, path in _modules().items()
                  if (n := len(path.read_text(encoding="utf-8").splitlines())) > 400)
    assert long == []
