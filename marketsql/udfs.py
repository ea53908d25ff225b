"""Python UDFs: the ``@udf`` decorator, discovery of ``udfs/*.py`` and registration into DuckDB.

A UDF is a plain function over Arrow arrays (DuckDB calls it once per vector of ~2,048 rows,
possibly from several threads at once, so it must not mutate shared state)::

    from marketsql import udf

    @udf(params=["VARCHAR"], returns="VARCHAR")
    def shout(text):
        return pyarrow.compute.utf8_upper(text)
"""

from __future__ import annotations

import hashlib
import importlib.util
import sys
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import duckdb
from duckdb.func import ARROW

from .errors import UdfError
from .sqltext import is_simple_name

MARK = "__marketsql_udf__"


@dataclass(frozen=True)
class Udf:
    """A function to register in DuckDB with its declared SQL signature."""

    name: str
    func: Callable[..., Any]
    params: tuple[str, ...]
    returns: str
    origin: str = ""  # the file it came from, for messages


def udf(
    *, params: Sequence[str], returns: str, name: str | None = None
) -> Callable[[Callable[..., Any]], Callable[..., Any]]:
    """Mark a function as a vectorised (Arrow) DuckDB UDF with SQL parameter and return types."""

    def mark(func: Callable[..., Any]) -> Callable[..., Any]:
        setattr(func, MARK, Udf(name or func.__name__, func, tuple(params), returns))
        return func

    return mark


def discover(roots: Iterable[Path]) -> dict[str, Udf]:
    """Import ``udfs/*.py`` under each project root and collect the marked functions.

    Later roots override earlier ones by function name. A module that fails to import raises
    UdfError naming the file.
    """
    found: dict[str, Udf] = {}
    for root in roots:
        for path in sorted((root / "udfs").glob("*.py")):
            label = str(path.relative_to(root))
            for item in vars(_import(path, label)).values():
                mark = getattr(item, MARK, None)
                if isinstance(mark, Udf):
                    found[mark.name.lower()] = _checked(mark, label)
    return found


def register(con: duckdb.DuckDBPyConnection, udfs: Iterable[Udf]) -> None:
    """Register every UDF into the connection as an Arrow function."""
    for item in udfs:
        try:
            con.create_function(
                item.name,
                item.func,
                [duckdb.sqltype(p) for p in item.params],
                duckdb.sqltype(item.returns),
                type=ARROW,
            )
        except duckdb.Error as exc:
            raise UdfError(
                f"{item.origin}: cannot register {item.name}(): {exc} — check its @udf types"
            ) from exc


def _import(path: Path, label: str) -> Any:
    digest = hashlib.sha1(str(path).encode()).hexdigest()[:10]
    module_name = f"marketsql_udfs_{digest}_{path.stem}"
    spec = importlib.util.spec_from_file_location(module_name, path)
    if spec is None or spec.loader is None:
        raise UdfError(f"{label}: cannot be imported as a Python module — rename it to a valid name")
    module = importlib.util.module_from_spec(spec)
    sys.modules[module_name] = module
    try:
        spec.loader.exec_module(module)
    except BaseException as exc:  # sys.exit(), raise SystemExit/KeyboardInterrupt too: never a silent exit
        sys.modules.pop(module_name, None)
        line = _error_line(exc, path)
        raise UdfError(
            f"{label}{line}: failed to import: {_described(exc)} — fix the module"
            " (--debug shows the traceback)"
        ) from exc
    return module


def _described(exc: BaseException) -> str:
    name = type(exc).__name__
    if isinstance(exc, SystemExit):
        return f"{name}({exc.code!r}): the module exits at import (sys.exit() or raise SystemExit)"
    return f"{name}: {exc}" if str(exc) else name


def _error_line(exc: BaseException, path: Path) -> str:
    if isinstance(exc, SyntaxError) and exc.lineno:
        return f", line {exc.lineno}"
    tb = exc.__traceback__
    line = None
    while tb is not None:
        if Path(tb.tb_frame.f_code.co_filename) == path:
            line = tb.tb_lineno
        tb = tb.tb_next
    return f", line {line}" if line else ""


def _checked(item: Udf, label: str) -> Udf:
    if not is_simple_name(item.name):
        raise UdfError(f"{label}: UDF name {item.name!r} is not a valid SQL name — use letters, digits and _")
    for type_name in (*item.params, item.returns):
        try:
            duckdb.sqltype(type_name)
        except Exception as exc:
            raise UdfError(
                f"{label}: {item.name}(): {type_name!r} is not a DuckDB type — fix the @udf declaration"
            ) from exc
    return Udf(item.name, item.func, item.params, item.returns, label)
