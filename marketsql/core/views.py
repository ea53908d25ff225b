"""SQL view files: discovery, parsing with sqlglot, and the dependencies read from the SQL.

Every ``sql/**/*.sql`` file holds one plain DuckDB ``SELECT`` and becomes one view named after
the file. A comment line ``-- marketsql: materialized`` makes it a table instead.
"""

from __future__ import annotations

import difflib
import errno
import functools
import re
from collections.abc import Collection, Iterable
from dataclasses import dataclass
from pathlib import Path

import duckdb
import sqlglot
from sqlglot import exp
from sqlglot.errors import ParseError, TokenError

from marketsql.errors import SqlError

from .sqltext import is_simple_name

_LINE_RE = re.compile(r"LINE (\d+):")
MATERIALIZED_RE = re.compile(r"^\s*--\s*marketsql:\s*materiali[sz]ed\b", re.IGNORECASE | re.MULTILINE)
REQUIRES_RE = re.compile(r"^\s*--\s*marketsql:\s*requires\b(.*)$", re.IGNORECASE | re.MULTILINE)
OPTIONAL_RE = re.compile(r"^\s*--\s*marketsql:\s*optional\b(.*)$", re.IGNORECASE | re.MULTILINE)
_STAND_IN_RE = re.compile(r"^raw\.(\w+)\s*\((.*)\)\s*$", re.IGNORECASE)
_COLUMN_RE = re.compile(r"^\s*(\w+)\s+([A-Za-z][A-Za-z0-9_ ]*(?:\(\s*\d+(?:\s*,\s*\d+)?\s*\))?)\s*$")


@dataclass(frozen=True)
class Reference:
    """A table named in a view's SQL: ``raw.orders`` or ``stg_order_lines``, and where."""

    name: str
    line: int


@dataclass(frozen=True)
class ViewFile:
    """One parsed SQL file."""

    name: str
    path: Path
    label: str  # the path shown in messages, relative to its project
    sql: str  # the SELECT, without a trailing semicolon
    materialized: bool
    references: tuple[Reference, ...]
    functions: frozenset[str]  # lower-case names of the functions the SQL calls
    requires: frozenset[str] = frozenset()  # models that must be trained before this view can be built
    # sources this view reads that may be left undeclared: (source, ((column, type), ...)); the build then
    # stands in an empty raw.<source> with these columns, so the view yields its contract with no rows
    optional: tuple[tuple[str, tuple[tuple[str, str], ...]], ...] = ()

    @property
    def dependencies(self) -> frozenset[str]:
        """Names of the tables and views this view reads."""
        return frozenset(ref.name for ref in self.references)

    def where(self, line: int | None = None) -> str:
        """``sql/x.sql`` or ``sql/x.sql, line 3`` for messages."""
        return f"{self.label}, line {line}" if line else self.label


def discover(roots: Iterable[Path], models: Collection[str] = ()) -> dict[str, ViewFile]:
    """Parse ``sql/**/*.sql`` under each project root; later roots override earlier ones by view name.
    ``models`` are the model kinds a ``-- marketsql: requires`` line may name."""
    views: dict[str, ViewFile] = {}
    for root in roots:
        seen: dict[str, ViewFile] = {}
        for path in sorted((root / "sql").rglob("*.sql")):
            view = parse_view_file(path, root, models)
            if view.name in seen:
                raise SqlError(
                    f"{seen[view.name].label} and {view.label} both define view {view.name!r}"
                    " — rename one of the files"
                )
            seen[view.name] = view
        views.update(seen)
    return views


def parse_view_file(path: Path, root: Path, models: Collection[str] = ()) -> ViewFile:
    """Parse one SQL file; raise SqlError naming the file and line if it is not one valid SELECT."""
    label = str(path.relative_to(root))
    name = path.stem.lower()
    if not is_simple_name(name):
        raise SqlError(f"{label}: {path.stem!r} cannot be a view name — use letters, digits and _ only")
    text = _read(path, label)
    _check_duckdb_syntax(text, label)
    try:
        statements = [s for s in sqlglot.parse(text, read="duckdb") if s is not None]
    except RecursionError as exc:
        raise _too_deep(label) from exc
    except ParseError as exc:
        first = exc.errors[0] if exc.errors else {}
        near = (first.get("highlight") or "").strip()
        raise SqlError(
            f"{label}, line {first.get('line', '?')}: syntax error: {first.get('description', exc)}"
            + (f" near {near!r}" if near else "")
            + " — fix the SQL"
        ) from exc
    except TokenError as exc:
        raise SqlError(f"{label}: syntax error: {exc} — fix the SQL") from exc
    if len(statements) != 1 or not isinstance(statements[0], exp.Query):
        raise SqlError(f"{label}: must hold exactly one SELECT statement (found {len(statements)} statements)")
    query = statements[0]
    try:
        references, functions = tuple(_references(query)), frozenset(_functions(query))
    except RecursionError as exc:
        raise _too_deep(label) from exc
    return ViewFile(
        name=name,
        path=path,
        label=label,
        sql=_strip_semicolon(text),
        materialized=bool(MATERIALIZED_RE.search(text)),
        requires=_requires(text, label, models),
        optional=_optional(text, label),
        references=references,
        functions=functions,
    )


def _requires(text: str, label: str, kinds: Collection[str]) -> frozenset[str]:
    """The models named by ``-- marketsql: requires a, b`` lines; SqlError on a name that is not in ``kinds``."""
    names: set[str] = set()
    known = ", ".join(sorted(kinds))
    for match in REQUIRES_RE.finditer(text):
        line = text.count("\n", 0, match.start(1)) + 1
        given = [n for n in re.split(r"[\s,]+", match.group(1).strip()) if n]
        if not given:
            raise SqlError(
                f"{label}, line {line}: `-- marketsql: requires` names no model — add one of: {known}"
            )
        for name in given:
            if name.lower() not in kinds:
                close = difflib.get_close_matches(name.lower(), list(kinds), n=1)
                hint = f"did you mean {close[0]!r}? " if close else ""
                raise SqlError(
                    f"{label}, line {line}: requires unknown model {name!r} — {hint}known models: {known}"
                )
            names.add(name.lower())
    return frozenset(names)


def _optional(text: str, label: str) -> tuple[tuple[str, tuple[tuple[str, str], ...]], ...]:
    """The stand-ins of ``-- marketsql: optional raw.spend(date DATE, spend DOUBLE)`` lines."""
    found = []
    for match in OPTIONAL_RE.finditer(text):
        line = text.count("\n", 0, match.start(1)) + 1
        stand_in = _STAND_IN_RE.match(match.group(1).strip())
        columns = [_COLUMN_RE.match(c) for c in stand_in.group(2).split(",")] if stand_in else []
        if not stand_in or not columns or not all(columns):
            raise SqlError(f"{label}, line {line}: `-- marketsql: optional` must read like"
                           " `-- marketsql: optional raw.spend(date DATE, spend DOUBLE)` — fix the comment")
        found.append((stand_in.group(1).lower(),
                      tuple((c.group(1), c.group(2).strip().upper()) for c in columns if c is not None)))
    return tuple(found)


def _read(path: Path, label: str) -> str:
    """The file's text; a symlink loop, a dangling link or bad bytes name the file."""
    try:
        return path.read_text(encoding="utf-8")
    except UnicodeDecodeError as exc:
        raise SqlError(f"{label}: not UTF-8 text ({exc.reason} at byte {exc.start}) — save the file as UTF-8") from exc
    except OSError as exc:
        what = "is a symlink loop" if path.is_symlink() and exc.errno == errno.ELOOP else f"cannot be read: {exc}"
        raise SqlError(f"{label} {what} — fix or remove {path}") from exc


def _too_deep(label: str) -> SqlError:
    return SqlError(f"{label}: the query is nested too deeply for marketsql's SQL parser (Python recursion limit)"
                    " — flatten it with WITH … AS (…) steps")


def _check_duckdb_syntax(text: str, label: str) -> None:
    """DuckDB's own parser is the judge of DuckDB SQL; sqlglot is more lenient."""
    try:
        _parser().extract_statements(text)
    except duckdb.ParserException as exc:
        message = str(exc)
        match = _LINE_RE.search(message)
        where = f"{label}, line {match.group(1)}" if match else label
        first = message.splitlines()[0].removeprefix("Parser Error: ")
        raise SqlError(f"{where}: {first} — fix the SQL") from exc


@functools.cache
def _parser() -> duckdb.DuckDBPyConnection:
    return duckdb.connect(":memory:")


def _references(query: exp.Query) -> list[Reference]:
    cte_names = {cte.alias_or_name.lower() for cte in query.find_all(exp.CTE)}
    refs: dict[str, Reference] = {}
    for table in query.find_all(exp.Table):
        if not isinstance(table.this, exp.Identifier):
            continue  # a table function such as read_csv(...) or unnest(...)
        name, schema = table.name.lower(), table.db.lower()
        if not schema and name in cte_names:
            continue
        key = f"{schema}.{name}" if schema else name
        line = table.this.meta.get("line", 0)
        if key not in refs:
            refs[key] = Reference(key, int(line))
    return list(refs.values())


def _functions(query: exp.Query) -> set[str]:
    names = set()
    for func in query.find_all(exp.Func):
        names.add(func.name.lower() if isinstance(func, exp.Anonymous) else func.sql_name().lower())
    return names


def _strip_semicolon(text: str) -> str:
    body = text.rstrip()
    while body.endswith(";"):
        body = body[:-1].rstrip()
    return body
