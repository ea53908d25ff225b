"""What the mirror of a built project on another engine holds, decided without touching the server.

The built DuckDB file is the source of truth. Its raw tables, its ``meta`` tables and every
table the build materialised (including views that call a Python UDF, which DuckDB already
materialised) are copied with their rows; every plain view is transpiled to the engine's dialect
(:class:`marketsql.engines.base.Dialect`) and created as a view. A view that uses a construct the
engine has no equivalent for (lists, lambdas, structs, ``* EXCLUDE`` … and whatever the dialect adds)
— or reads such a view — cannot be mirrored: it is listed with its file, line and reason.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

import duckdb
import sqlglot
from sqlglot import exp
from sqlglot.errors import SqlglotError

from marketsql.core.sqltext import quote_ident
from marketsql.core.views import ViewFile
from marketsql.errors import MarketsqlError

from .base import Dialect
from .postgres.copy import Column, columns

ROLES = ("main", "raw", "meta")
_FUNCTION_RE = re.compile(r"CREATE (?:OR REPLACE )?FUNCTION [\"`][^\"`]+[\"`]\.`?(\w+)`?\(")
_LIST_FUNCTION_RE = re.compile(r"^(list_|array_|struct_|map_|json_)")
_DUCKDB_ONLY_FUNCTIONS = {
    "list", "hash", "unnest", "flatten", "range", "generate_series", "regexp_extract_all", "string_split",
    "str_split", "read_csv", "read_parquet", "read_csv_auto", "epoch_ms", "epoch_us", "histogram",
}


@dataclass(frozen=True)
class Item:
    """One object of the mirror."""

    role: str  # "main" (views and marts), "raw" (sources) or "meta" (manifest, model registry)
    name: str
    kind: str  # "table" (rows copied) or "view" (transpiled SQL)
    label: str  # the file it comes from, or "raw source" / "build manifest"
    why: str  # why it is copied rather than transpiled (tables), or "" for views
    columns: tuple[Column, ...] = ()
    rows: int = 0  # rows in DuckDB
    view: ViewFile | None = None
    sql: str = ""  # the engine's SELECT of a view, names pointing at the building schemas

    @property
    def duckdb_name(self) -> str:
        """The qualified name in the DuckDB database."""
        return f"{self.role}.{quote_ident(self.name)}"


@dataclass(frozen=True)
class Problem:
    """Why a view cannot be mirrored, and where."""

    name: str
    where: str  # "sql/x.sql, line 3"
    reason: str

    def __str__(self) -> str:
        return f"{self.where}: {self.name} — {self.reason}"


@dataclass
class Plan:
    """Every object of the mirror in creation order, and the views that cannot be mirrored."""

    items: list[Item] = field(default_factory=list)
    problems: list[Problem] = field(default_factory=list)
    build_id: int = 0


@dataclass
class MirrorResult:
    """What a mirror run did (or, for a check, would do)."""

    target: str  # the DSN, password masked
    database: str  # the DuckDB file mirrored
    schemas: dict[str, str]
    plan: Plan
    functions: list[str] = field(default_factory=list)
    problems: list[Problem] = field(default_factory=list)
    seconds: dict[str, float] = field(default_factory=dict)  # transpile, copy, views, verify, total
    copied_rows: int = 0
    copied_bytes: int = 0
    checked: str = "database"  # how far a check went: "files", "database" or "server"
    lookups: list[str] = field(default_factory=list)  # model functions reading mirrored tables, created after them
    scored: dict[str, int] = field(default_factory=dict)  # model marts the target scored itself (Spark): their rows

    @property
    def function_names(self) -> list[str]:
        """The model functions created in the mirror (``segment``, ``segment_name``, ``propensity`` …)."""
        return list(dict.fromkeys(_FUNCTION_RE.findall(" ".join(self.functions + self.lookups))))

    @property
    def items(self) -> list[Item]:
        """Every object mirrored."""
        return self.plan.items


def schema_names(schema: str, suffix: str = "") -> dict[str, str]:
    """The schema (MySQL: database) of each role: ``marketsql``, ``marketsql_raw``, ``marketsql_meta``."""
    return {"main": schema + suffix, "raw": f"{schema}_raw{suffix}", "meta": f"{schema}_meta{suffix}"}


def make_plan(duck: duckdb.DuckDBPyConnection, views: Mapping[str, ViewFile], schemas: Mapping[str, str],
              functions: Mapping[str, str], python_functions: set[str], dialect: Dialect) -> Plan:
    """Decide, for every object of the built database, how it reaches the engine of ``dialect``."""
    plan = Plan()
    built = duck.execute(
        "SELECT build_id, name, kind, rows FROM meta.build_objects"
        " WHERE build_id = (SELECT max(build_id) FROM meta.builds) ORDER BY position"
    ).fetchall()
    plan.build_id = int(built[0][0]) if built else 0
    for role, label in (("raw", "raw source"), ("meta", "build manifest and model registry")):
        for (table,) in duck.execute(
            "SELECT table_name FROM duckdb_tables() WHERE schema_name = ? AND database_name = current_database()"
            " ORDER BY table_name", [role]
        ).fetchall():
            rows = int(duck.execute(f"SELECT count(*) FROM {role}.{quote_ident(table)}").fetchall()[0][0])
            plan.items.append(Item(role, table, "table", label, "copied", tuple(columns(duck, role, table)), rows))
    tables = {f"{r.role}.{r.name}": (schemas[r.role], r.name) for r in plan.items}
    tables.update({name: (schemas["main"], name) for _, name, _, _ in built})
    blocked: dict[str, str] = {}
    for _, name, kind, rows in built:
        view = views.get(name)
        if view is None:
            raise MarketsqlError(f"the database holds {name!r}, which no SQL file of the project defines"
                                 " — run `marketsql build` again before mirroring")
        copy_instead = dialect.copy_instead(sqlglot.parse_one(view.sql, read="duckdb")) if kind == "view" else None
        if kind == "table" or copy_instead:
            why = copy_instead or _copy_reason(view, python_functions)
            plan.items.append(Item("main", name, "table", view.label, why, tuple(columns(duck, "main", name)),
                                   int(rows), view))
            continue
        sql, problem = _transpiled(view, blocked, tables, functions, dialect)
        if problem is not None:
            plan.problems.append(problem)
            blocked[name] = problem.reason
            continue
        plan.items.append(Item("main", name, "view", view.label, "", (), int(rows), view, sql))
    return plan


def files_verdict(project: Any, shown: str, schema: str, static: list[Problem],
                  files_only: bool) -> MirrorResult | None:
    """Every engine's check begins here: a result from the SQL files alone when that is all there is to check (a
    view the files already rule out, ``files_only``, or no built database yet); None when the target must be asked."""
    if static or files_only or not project.database.exists():
        return MirrorResult(shown, str(project.database), schema_names(schema), Plan(problems=static),
                            problems=static, checked="files")
    return None


def rejected_message(problems: list[Problem], engine: str) -> str:
    """The one line of an engine's MirrorRejected."""
    return f"{len(problems)} view(s) cannot be mirrored onto {engine}; first: {problems[0]} — nothing was changed"


def static_problems(views: Mapping[str, ViewFile], order: list[str], python_functions: set[str],
                    dialect: Dialect) -> list[Problem]:
    """The views that cannot be mirrored, from the SQL files alone (no database, no server)."""
    problems: list[Problem] = []
    blocked: dict[str, str] = {}
    for name in order:
        view = views[name]
        if view.materialized or view.functions & python_functions:
            continue
        _, problem = _transpiled(view, blocked, {}, {}, dialect)
        if problem is not None:
            problems.append(problem)
            blocked[name] = problem.reason
    return problems


def _transpiled(view: ViewFile, blocked: Mapping[str, str], tables: Mapping[str, tuple[str, str]],
                functions: Mapping[str, str], dialect: Dialect) -> tuple[str, Problem | None]:
    problem = _blocked_by(view, blocked) or _duckdb_only(view, dialect)
    if problem is not None:
        return "", problem
    try:
        return dialect.transpile(view.sql, tables, functions), None
    except SqlglotError as exc:
        return "", Problem(view.name, view.label, f"sqlglot cannot transpile it: {str(exc).splitlines()[0]}")


def _copy_reason(view: ViewFile, python_functions: set[str]) -> str:
    udfs = sorted(view.functions & python_functions)
    if udfs:
        return f"calls Python UDF {udfs[0]}() (line {line_of(view, udfs[0]) or '?'}): rows copied"
    return "materialised: rows copied"


def _blocked_by(view: ViewFile, blocked: Mapping[str, str]) -> Problem | None:
    for dependency in sorted(view.dependencies):
        if dependency in blocked:
            return Problem(view.name, view.where(line_of(view, dependency)),
                           f"reads {dependency}, which cannot be mirrored")
    return None


def _duckdb_only(view: ViewFile, dialect: Dialect) -> Problem | None:
    """The first construct of the view that the engine cannot run and no rewrite mends."""
    tree = sqlglot.parse_one(view.sql, read="duckdb")
    for node in tree.walk():
        what = _describe(node) or dialect.unsupported(node)
        if what:
            token = _written_name(view, node) if isinstance(node, exp.Func) else ""
            what = what.replace(f" {_name(node)}()", f" {token}()") if token else what
            line = line_of(view, token) if token else _node_line(node)
            return Problem(view.name, view.where(line),
                           f"{what} has no {dialect.title} equivalent — rewrite it in portable SQL, or mark the file"
                           " `-- marketsql: materialized` so its rows are copied")
    return None


def _describe(node: exp.Expr) -> str | None:
    if isinstance(node, exp.Lambda):
        return "a lambda"
    if isinstance(node, exp.Struct):
        return "a struct"
    if isinstance(node, exp.Array) and not isinstance(node.parent, exp.Func):
        return "a list literal [...]"
    if isinstance(node, exp.Star) and (node.args.get("except") or node.args.get("replace")):
        return "SELECT * EXCLUDE/REPLACE"
    if isinstance(node, exp.IgnoreNulls) and not isinstance(node.this, exp.AnyValue):
        return "IGNORE NULLS"
    if isinstance(node, exp.Func):
        name = _name(node)
        if name in _DUCKDB_ONLY_FUNCTIONS or _LIST_FUNCTION_RE.match(name):
            return f"DuckDB function {name}()"
    if isinstance(node, exp.Explode | exp.Unnest):
        return "unnest"
    return None


def _name(node: exp.Expr) -> str:
    if isinstance(node, exp.Func) and not isinstance(node, exp.Anonymous):
        return node.sql_name().lower()
    return node.name.lower()


def _written_name(view: ViewFile, node: exp.Expr) -> str:
    """The function's name as the file spells it (sqlglot calls list_sort ARRAY_SORT)."""
    name = _name(node)
    if isinstance(node, exp.Anonymous):
        return name
    text = view.sql.lower()
    names = type(node).sql_names() if isinstance(node, exp.Func) else []
    aliases = [name, *(n.lower() for n in names), name.replace("array_", "list_")]
    return next((alias for alias in aliases if re.search(rf"\b{alias}\s*\(", text)), name)


def _node_line(node: exp.Expr) -> int | None:
    for child in node.walk():
        line = child.meta.get("line") if child._meta else None
        if line:
            return int(line)
    return None


def line_of(view: ViewFile, token: str) -> int | None:
    """The first line of the view's file that names ``token`` outside a comment."""
    pattern = re.compile(rf"\b{re.escape(token)}\b", re.IGNORECASE)
    for number, line in enumerate(view.path.read_text(encoding="utf-8").splitlines(), 1):
        if pattern.search(line.split("--", 1)[0]):
            return number
    return None
