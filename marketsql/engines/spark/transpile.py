"""DuckDB view SQL to Spark SQL: sqlglot's transpiler (duckdb -> spark) plus project-owned syntax-tree rewrites.

Each gap sqlglot leaves (measured on Spark 4 with the project's own views) is mended by one pure function
``Expression -> Expression`` below, applied in ``REWRITES`` order; ``unsupported`` names what no rewrite mends.
Tables and model functions are then pointed at the generation's databases by the PostgreSQL module's ``qualify``.
"""

from __future__ import annotations

from collections.abc import Mapping

from sqlglot import exp

from ..postgres.transpile import _replace_all, parse, qualify

HELPERS: tuple[str, ...] = ()  # Spark has raise_error(): no helper function is created


def _sp(tree: exp.Expr) -> str:
    return tree.sql(dialect="spark")


def error_to_raise_error(tree: exp.Expr) -> exp.Expr:
    """error(message) -> raise_error(message): DuckDB's error() is Spark's raise_error().

    >>> _sp(error_to_raise_error(parse("SELECT CASE WHEN x < 0 THEN error('negative') END")))
    "SELECT CASE WHEN x < 0 THEN RAISE_ERROR('negative') END"
    """
    return _replace_all(tree, exp.Anonymous, lambda n: exp.Anonymous(this="RAISE_ERROR", expressions=[
        e.copy() for e in n.expressions]) if n.name.lower() == "error" else None)


def exact_percentile(tree: exp.Expr) -> exp.Expr:
    """percentile_cont(p) WITHIN GROUP (ORDER BY v) and quantile_cont(v, p) -> percentile(v, p): sqlglot writes
    Spark's percentile_approx, an estimate; Spark's percentile() interpolates exactly as DuckDB does.

    >>> _sp(exact_percentile(parse("SELECT percentile_cont(0.5) WITHIN GROUP (ORDER BY price), quantile_cont(x, 0.9)")))
    'SELECT PERCENTILE(price, 0.5), PERCENTILE(x, 0.9)'
    >>> _sp(exact_percentile(parse("SELECT percentile_cont(0.25) WITHIN GROUP (ORDER BY v DESC)")))
    'SELECT PERCENTILE(v, 1 - 0.25)'
    """

    def within(node: exp.Expr) -> exp.Expr | None:
        order = node.expression
        if not isinstance(node.this, exp.PercentileCont) or not isinstance(order, exp.Order) \
                or len(order.expressions) != 1:
            return None
        ordered, fraction = order.expressions[0], node.this.this.copy()
        if ordered.args.get("desc"):
            fraction = exp.Sub(this=exp.Literal.number(1), expression=fraction)
        return exp.Anonymous(this="PERCENTILE", expressions=[ordered.this.copy(), fraction])

    def two_arguments(node: exp.Expr) -> exp.Expr | None:
        if isinstance(node.parent, exp.WithinGroup) or node.expression is None:
            return None
        return exp.Anonymous(this="PERCENTILE", expressions=[node.this.copy(), node.expression.copy()])

    return _replace_all(_replace_all(tree, exp.WithinGroup, within), exp.PercentileCont, two_arguments)


REWRITES = (error_to_raise_error, exact_percentile)


def unsupported(node: exp.Expr) -> str | None:
    """What Spark cannot run and no rewrite above mends (beyond what no engine has: lists, lambdas …).

    >>> unsupported(parse("SELECT percentile_disc(0.5) WITHIN GROUP (ORDER BY v) FROM t").expressions[0])
    'an ordered-set aggregate other than percentile_cont (WITHIN GROUP)'
    """
    if isinstance(node, exp.WithinGroup) and not isinstance(node.this, exp.PercentileCont):
        return "an ordered-set aggregate other than percentile_cont (WITHIN GROUP)"
    if isinstance(node, exp.PercentileDisc | exp.Quantile | exp.ApproxQuantile):
        return f"aggregate {node.sql_name().lower()}()"
    return None


def to_spark(sql: str, tables: Mapping[str, tuple[str, str]] | None = None,
             functions: Mapping[str, str] | None = None) -> str:
    """The Spark SQL text of a DuckDB SELECT: every rewrite, then qualified names.

    >>> to_spark("SELECT x, count(*) FROM raw.t GROUP BY ALL", {"raw.t": ("s_raw", "t")})
    'SELECT x, COUNT(*) FROM `s_raw`.`t` AS t GROUP BY ALL'
    """
    tree = parse(sql)
    for rewrite in REWRITES:
        tree = rewrite(tree)
    tree = qualify(tree, tables or {}, functions or {})
    return tree.sql(dialect="spark", comments=False)
