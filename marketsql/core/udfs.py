"""Python UDFs: the ``@udf`` decorator, discovery of ``udfs/*.py`` and registration into DuckDB.

A UDF is a plain function over Arrow arrays (DuckDB calls it once per vector of ~2,048 rows,
possibly from several threads at once, so it must not mutate shared state)::

    from marketsql import udf

    @udf(params=["VARCHAR"], returns="VARCHAR")
    def shout(text):
        return pyarrow.compute.utf8_upper(text)
"""

from __future__ import annotations

import functools
import hashlib
import importlib.util
import sys
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import duckdb
import pyarrow as pa
from duckdb.func import ARROW

from marketsql.errors import UdfError

from .blas import blas_threads_setter
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
    """Register every UDF into the connection as an Arrow function, guarded by :func:`guarded`."""
    for item in udfs:
        try:
            con.create_function(
                item.name,
                guarded(item),
                [duckdb.sqltype(p) for p in item.params],
                duckdb.sqltype(item.returns),
                type=ARROW,
            )
        except duckdb.Error as exc:
            raise UdfError(
                f"{item.origin}: cannot register {item.name}(): {exc} — check its @udf types"
            ) from exc


def guarded(item: Udf) -> Callable[..., Any]:
    """``item.func`` checked on every call: an exception, a result of the wrong length or type, or a NULL
    becomes a UdfError naming the function and its file (DuckDB alone reports none of them)."""
    func = item.func
    where = f"{item.name}() in {item.origin or func.__module__}"
    expected = _arrow_type(item.returns)
    fast_class: Any = _array_class(expected) if item.params else None
    blas_threads = blas_threads_setter()  # DuckDB's threads already split the rows: one BLAS thread per call

    def call(*args: Any) -> Any:
        previous = blas_threads(1) if blas_threads is not None else 0
        try:
            result: Any = func(*args)
        except Exception as exc:
            message = _one_line(exc)
            fix = "" if " — " in message else " — fix the function or the values passed to it"
            raise UdfError(f"{where} raised {type(exc).__name__}: {message}{fix}") from exc
        finally:
            if blas_threads is not None:
                blas_threads(previous)
        # the fast path, one expression (~0.3 µs a call): an array of the declared type, no NULL, one value per row
        if type(result) is fast_class and not result.null_count and len(result) == len(args[0]):
            return result
        return _slow_path(result, args, expected, where, item.returns)

    return functools.update_wrapper(call, func)  # keeps the signature, which DuckDB checks against the SQL one


def _slow_path(result: Any, args: tuple[Any, ...], expected: pa.DataType | None, where: str, returns: str) -> Any:
    """The slow path of :func:`guarded`: say what is wrong with ``result``, or cast it to ``expected``."""
    if args and len(result) != len(args[0]):
        raise UdfError(f"{where} returned {len(result):,} values for {len(args[0]):,} rows — return one per row")
    nulls = getattr(result, "null_count", 0)
    if nulls:
        raise UdfError(
            f"{where} returned NULL for {nulls:,} of {len(result):,} rows — return a value for every non-NULL input"
        )
    if expected is not None and isinstance(result, pa.Array | pa.ChunkedArray) and result.type != expected:
        try:
            return result.cast(expected)
        except (pa.ArrowInvalid, pa.ArrowNotImplementedError) as exc:
            raise UdfError(
                f"{where} returned {result.type} where {returns} was declared ({_one_line(exc)})"
                " — return that type or fix the @udf declaration"
            ) from exc
    return result


@functools.cache
def _arrow_type(type_name: str) -> pa.DataType | None:
    """The Arrow type DuckDB gives a scalar SQL type; None for nested types (left to DuckDB to check)."""
    sql_type = duckdb.sqltype(type_name)
    if sql_type.id in ("list", "struct", "map", "union", "array"):
        return None
    con = duckdb.connect(":memory:")
    try:
        return con.sql(f"SELECT CAST(NULL AS {sql_type}) AS x").to_arrow_table().schema.field(0).type
    finally:
        con.close()


def _array_class(arrow_type: pa.DataType | None) -> type | None:
    """The pyarrow array class that holds only ``arrow_type`` (Int64Array …), or None when a class is shared
    by several types (timestamps of any unit, decimals, nested types)."""
    if arrow_type is None or not (
        pa.types.is_integer(arrow_type) or pa.types.is_floating(arrow_type) or pa.types.is_boolean(arrow_type)
        or arrow_type in (pa.string(), pa.large_string(), pa.date32(), pa.date64())
    ):
        return None
    return type(pa.array([], arrow_type))


def _one_line(exc: BaseException) -> str:
    text = " ".join(str(exc).split())
    return text or "(no message)"


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
