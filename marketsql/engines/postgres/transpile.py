"""DuckDB view SQL to PostgreSQL: sqlglot's transpiler plus project-owned syntax-tree rewrites.

sqlglot gets most of the way; each gap it leaves (measured on PostgreSQL 15, see FACTS.md) is
mended by one pure function ``Expression -> Expression`` below, applied in ``REWRITES`` order.
Calls to helper functions (``try_cast``, ``error``) are left unqualified here; ``qualify``
points them, the model functions and every table at the mirror's schemas.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping

import sqlglot
from sqlglot import exp

Rewrite = Callable[[exp.Expr], exp.Expr]
HELPERS = ("try_cast", "error")  # created in the mirror schema by marketsql.engines.postgres.helpers


def parse(sql: str) -> exp.Expr:
    """Parse one DuckDB statement."""
    return sqlglot.parse_one(sql, read="duckdb")


def _pg(tree: exp.Expr) -> str:
    return tree.sql(dialect="postgres")


def _replace_all(tree: exp.Expr, kind: type[exp.Expr] | tuple[type[exp.Expr], ...],
                 make: Callable[[exp.Expr], exp.Expr | None]) -> exp.Expr:
    """Replace every ``kind`` node (innermost first, so nested ones are mended too)."""
    tree = tree.copy()
    kinds = kind if isinstance(kind, tuple) else (kind,)
    for node in reversed(list(tree.find_all(*kinds, bfs=False))):
        new = make(node)
        if new is not None and new is not node:
            if node is tree:
                tree = new
            else:
                node.replace(new)
    return tree


def expand_group_by_all(tree: exp.Expr) -> exp.Expr:
    """GROUP BY ALL -> the ordinals of the select items that are not aggregates.

    >>> _pg(expand_group_by_all(parse("SELECT a, b + 1, count(*) FROM t GROUP BY ALL")))
    'SELECT a, b + 1, COUNT(*) FROM t GROUP BY 1, 2'
    """

    def make(group: exp.Expr) -> exp.Expr | None:
        select = group.parent
        if not group.args.get("all") or not isinstance(select, exp.Select):
            return None
        ordinals = [exp.Literal.number(i) for i, item in enumerate(select.expressions, 1)
                    if not item.find(exp.AggFunc, exp.Window)]
        return exp.Group(expressions=ordinals)

    return _replace_all(tree, exp.Group, make)


def alias_subqueries(tree: exp.Expr) -> exp.Expr:
    """PostgreSQL 15 needs an alias on every subquery in FROM/JOIN.

    >>> _pg(alias_subqueries(parse("SELECT * FROM (SELECT 1 AS x) JOIN (SELECT 1 AS y) ON TRUE")))
    'SELECT * FROM (SELECT 1 AS x) AS _subquery_1 JOIN (SELECT 1 AS y) AS _subquery_2 ON TRUE'
    """
    tree = tree.copy()
    count = 0
    for subquery in tree.find_all(exp.Subquery, bfs=False):
        if isinstance(subquery.parent, exp.From | exp.Join) and not subquery.alias:
            count += 1
            subquery.set("alias", exp.TableAlias(this=exp.to_identifier(f"_subquery_{count}")))
    return tree


def try_cast_helper(tree: exp.Expr) -> exp.Expr:
    """TRY_CAST(x AS T) -> try_cast(x, NULL::T): sqlglot would make it a CAST that fails on bad input.

    >>> _pg(try_cast_helper(parse("SELECT TRY_CAST(s AS DOUBLE)")))
    'SELECT TRY_CAST(s, CAST(NULL AS DOUBLE PRECISION))'
    """

    def make(node: exp.Expr) -> exp.Expr:
        target = exp.Cast(this=exp.Null(), to=node.args["to"].copy())
        return exp.Anonymous(this="try_cast", expressions=[node.this.copy(), target])

    return _replace_all(tree, exp.TryCast, make)


def round_half_away(tree: exp.Expr) -> exp.Expr:
    """round(x, n) on a double rounds half away from zero in DuckDB; PostgreSQL has that only for numeric
    (its round(double precision) rounds half to even and takes no digits).

    >>> _pg(round_half_away(parse("SELECT round(x, 2)")))
    'SELECT CAST(ROUND(CAST(x AS DECIMAL), 2) AS DOUBLE PRECISION)'
    """

    def make(node: exp.Expr) -> exp.Expr:
        value = exp.cast(node.this.copy(), exp.DataType.build("DECIMAL"))
        decimals = node.args.get("decimals")
        rounded = exp.Round(this=value, decimals=decimals.copy() if decimals else None)
        return exp.cast(rounded, exp.DataType.build("DOUBLE"))

    return _replace_all(tree, exp.Round, make)


def date_parts_as_bigint(tree: exp.Expr) -> exp.Expr:
    """year(d), month(d) … return BIGINT in DuckDB; PostgreSQL's EXTRACT returns numeric.

    >>> _pg(date_parts_as_bigint(parse("SELECT year(d) * 12 + month(d)")))
    'SELECT CAST(EXTRACT(YEAR FROM d) AS BIGINT) * 12 + CAST(EXTRACT(MONTH FROM d) AS BIGINT)'
    """
    parts = (exp.Year, exp.Month, exp.Day, exp.Quarter, exp.DayOfWeek, exp.DayOfYear)

    def make(node: exp.Expr) -> exp.Expr | None:
        if isinstance(node.parent, exp.Cast):
            return None
        return exp.Cast(this=node.copy(), to=exp.DataType.build("BIGINT"))

    return _replace_all(tree, parts, make)


def make_date(tree: exp.Expr) -> exp.Expr:
    """make_date(y, m, d): sqlglot writes DATE_FROM_PARTS, which PostgreSQL lacks; its make_date takes integers.

    >>> _pg(make_date(parse("SELECT make_date(2024, m, 1)")))
    'SELECT MAKE_DATE(CAST(2024 AS INT), CAST(m AS INT), CAST(1 AS INT))'
    """

    def make(node: exp.Expr) -> exp.Expr:
        args = [exp.cast(node.args[k].copy(), exp.DataType.build("INT")) for k in ("year", "month", "day")]
        return exp.Anonymous(this="MAKE_DATE", expressions=args)

    return _replace_all(tree, exp.DateFromParts, make)


def arg_max_min(tree: exp.Expr) -> exp.Expr:
    """arg_max(x, y) / arg_min(x, y) -> the first x of x ordered by y, skipping NULLs as DuckDB does.

    >>> _pg(arg_max_min(parse("SELECT arg_max(p, n) FROM t")))
    'SELECT (ARRAY_AGG(p ORDER BY n DESC NULLS LAST) FILTER(WHERE NOT p IS NULL AND NOT n IS NULL))[1] FROM t'
    """

    def make(node: exp.Expr) -> exp.Expr:
        value, key = node.this.copy(), node.expression.copy()
        ordered = exp.Ordered(this=key.copy(), desc=isinstance(node, exp.ArgMax), nulls_first=False)
        agg = exp.ArrayAgg(this=exp.Order(this=value.copy(), expressions=[ordered]))
        both = exp.and_(exp.not_(exp.Is(this=value, expression=exp.Null())),
                        exp.not_(exp.Is(this=key, expression=exp.Null())))
        filtered = exp.Filter(this=agg, expression=exp.Where(this=both))
        return exp.Bracket(this=exp.Paren(this=filtered), expressions=[exp.Literal.number(1)], offset=1)

    return _replace_all(tree, (exp.ArgMax, exp.ArgMin), make)


def any_value(tree: exp.Expr) -> exp.Expr:
    """any_value(x) (PostgreSQL 16+ only) -> some non-NULL x of the group.

    >>> _pg(any_value(parse("SELECT any_value(c) FROM t")))
    'SELECT MIN(c) FROM t'
    """

    def make(node: exp.Expr) -> exp.Expr:
        inner = node.this.this if isinstance(node, exp.IgnoreNulls) else node.this
        return exp.Min(this=inner.copy())

    tree = _replace_all(tree, exp.IgnoreNulls, lambda n: make(n) if isinstance(n.this, exp.AnyValue) else None)
    return _replace_all(tree, exp.AnyValue, make)


REWRITES: tuple[Rewrite, ...] = (
    expand_group_by_all, alias_subqueries, try_cast_helper, round_half_away, date_parts_as_bigint, make_date,
    arg_max_min, any_value,
)


def qualify(tree: exp.Expr, tables: Mapping[str, tuple[str, str]], functions: Mapping[str, str]
            ) -> exp.Expr:
    """Point table names (``raw.x``, ``meta.x`` or a view) and function calls at the mirror's schemas.

    ``tables`` maps ``"raw.order_lines"`` / ``"stg_order_lines"`` to (schema, name); ``functions``
    maps a function name (``segment``, ``try_cast``) to its schema. CTE names are left alone.

    >>> _pg(qualify(parse("WITH c AS (SELECT 1) SELECT segment(x) FROM raw.t, v, c"),
    ...             {"raw.t": ("m_raw", "t"), "v": ("m", "v")}, {"segment": "m"}))
    'WITH c AS (SELECT 1) SELECT "m".segment(x) FROM "m_raw"."t" AS t, "m"."v" AS v, c'
    """
    tree = tree.copy()
    ctes = {cte.alias_or_name.lower() for cte in tree.find_all(exp.CTE)}
    for table in list(tree.find_all(exp.Table)):
        if not isinstance(table.this, exp.Identifier):
            continue
        schema, name = table.db.lower(), table.name.lower()
        key = f"{schema}.{name}" if schema and schema != "main" else name
        if not schema and name in ctes:
            continue
        if key in tables:
            target_schema, target_name = tables[key]
            if not table.alias:
                table.set("alias", exp.TableAlias(this=exp.to_identifier(name)))
            table.set("db", exp.to_identifier(target_schema, quoted=True))
            table.set("this", exp.to_identifier(target_name, quoted=True))
            table.set("catalog", None)
    for call in list(tree.find_all(exp.Anonymous)):
        name = str(call.this).lower()
        if name in functions and not isinstance(call.parent, exp.Dot):
            call.replace(exp.Dot(this=exp.to_identifier(functions[name], quoted=True),
                                 expression=exp.Anonymous(this=name, expressions=call.expressions)))
    return tree


def to_postgres(sql: str, tables: Mapping[str, tuple[str, str]] | None = None,
                functions: Mapping[str, str] | None = None) -> str:
    """The PostgreSQL text of a DuckDB SELECT: every rewrite, then qualified names.

    >>> to_postgres("SELECT x, TRY_CAST(v AS INTEGER) FROM (SELECT * FROM raw.t) GROUP BY ALL",
    ...             {"raw.t": ("s_raw", "t")}, {"try_cast": "s"})
    'SELECT x, "s".try_cast(v, CAST(NULL AS INT)) FROM (SELECT * FROM "s_raw"."t" AS t) AS _subquery_1 GROUP BY 1, 2'
    """
    tree = parse(sql)
    for rewrite in REWRITES:
        tree = rewrite(tree)
    tree = qualify(tree, tables or {}, functions or {})
    return tree.sql(dialect="postgres", comments=False)
