"""DuckDB view SQL to MySQL (MariaDB 10.11): sqlglot's transpiler plus project-owned syntax-tree rewrites.

Each gap sqlglot leaves (measured on MariaDB 10.11, see FACTS.md) is mended by one pure function
``Expression -> Expression`` below, applied in ``REWRITES`` order; what no rewrite mends is named by
:func:`unsupported` so the view is listed as cannot-run with its file, line and reason. The rewrites shared with
PostgreSQL (``GROUP BY ALL``, subquery aliases, ``any_value``) and ``qualify`` come from the PostgreSQL module.
"""

from __future__ import annotations

from collections.abc import Mapping

from sqlglot import exp

from ..postgres.transpile import _replace_all, alias_subqueries, any_value, expand_group_by_all, parse, qualify

HELPERS = ("error",)  # stored functions created in the mirror's database by the mirror


def _my(tree: exp.Expr) -> str:
    return tree.sql(dialect="mysql")


def filter_to_case(tree: exp.Expr) -> exp.Expr:
    """agg(x) FILTER (WHERE c) -> agg(CASE WHEN c THEN x END): MySQL has no FILTER clause.

    >>> _my(filter_to_case(parse("SELECT count(*) FILTER (WHERE a > 1), sum(x) FILTER (WHERE b) FROM t")))
    'SELECT COUNT(CASE WHEN a > 1 THEN 1 END), SUM(CASE WHEN b THEN x END) FROM t'
    """

    def make(node: exp.Expr) -> exp.Expr | None:
        agg, where = node.this, node.expression
        if not isinstance(agg, exp.AggFunc) or not isinstance(where, exp.Where):
            return None
        agg = agg.copy()
        value = agg.this
        inner = exp.Literal.number(1) if value is None or isinstance(value, exp.Star) else value.copy()
        agg.set("this", exp.Case(ifs=[exp.If(this=where.this.copy(), true=inner)]))
        return agg

    return _replace_all(tree, exp.Filter, make)


def float_division(tree: exp.Expr) -> exp.Expr:
    """a / b is a DOUBLE in DuckDB; MySQL divides integers and decimals into a DECIMAL of 4 more digits.

    >>> _my(float_division(parse("SELECT count(*) / 3 FROM t")))
    'SELECT CAST(COUNT(*) AS DOUBLE) / 3 FROM t'
    """

    def make(node: exp.Expr) -> exp.Expr:
        left = node.this
        if isinstance(left, exp.Cast) and left.to.this == exp.DataType.Type.DOUBLE:
            return node
        return exp.Div(this=exp.cast(left.copy(), exp.DataType.build("DOUBLE")), expression=node.expression.copy())

    return _replace_all(tree, exp.Div, make)


def avg_as_double(tree: exp.Expr) -> exp.Expr:
    """avg(x) of integers is a DOUBLE in DuckDB; MySQL gives a DECIMAL rounded to 4 more digits.

    >>> _my(avg_as_double(parse("SELECT avg(n) FROM t")))
    'SELECT AVG(CAST(n AS DOUBLE)) FROM t'
    """

    def make(node: exp.Expr) -> exp.Expr:
        return exp.Avg(this=exp.cast(node.this.copy(), exp.DataType.build("DOUBLE")))

    return _replace_all(tree, exp.Avg, make)


def round_half_away(tree: exp.Expr) -> exp.Expr:
    """round(x, n) on a double rounds half away from zero in DuckDB; MySQL's double ROUND rounds half to even.

    >>> _my(round_half_away(parse("SELECT round(x, 2)")))
    'SELECT CAST(ROUND(CAST(x AS DECIMAL(65, 30)), 2) AS DOUBLE)'
    """

    def make(node: exp.Expr) -> exp.Expr:
        value = exp.cast(node.this.copy(), exp.DataType.build("DECIMAL(65, 30)"))
        decimals = node.args.get("decimals")
        return exp.cast(exp.Round(this=value, decimals=decimals.copy() if decimals else None),
                        exp.DataType.build("DOUBLE"))

    return _replace_all(tree, exp.Round, make)


def null_skipping_greatest(tree: exp.Expr) -> exp.Expr:
    """greatest/least skip NULLs in DuckDB; MySQL's return NULL if any argument is NULL.

    >>> _my(null_skipping_greatest(parse("SELECT greatest(a, b)")))
    'SELECT GREATEST(COALESCE(a, b), COALESCE(b, a))'
    """

    def make(node: exp.Expr) -> exp.Expr | None:
        args = [node.this, *node.expressions]
        if len(args) < 2 or node.meta.get("nulls_mended"):
            return None
        mended = [exp.Coalesce(this=a.copy(), expressions=[b.copy() for b in args if b is not a]) for a in args]
        new = type(node)(this=mended[0], expressions=mended[1:])
        new.meta["nulls_mended"] = True
        return new

    return _replace_all(tree, (exp.Greatest, exp.Least), make)


def isfinite_not_null(tree: exp.Expr) -> exp.Expr:
    """isfinite(x) -> x IS NOT NULL: MySQL stores no infinities or NaN (they fail to load).

    >>> _my(isfinite_not_null(parse("SELECT isfinite(x)")))
    'SELECT NOT x IS NULL'
    """
    return _replace_all(tree, exp.Anonymous, lambda n: exp.not_(exp.Is(this=n.expressions[0].copy(),
                        expression=exp.Null())) if n.name.lower() == "isfinite" and len(n.expressions) == 1 else None)


def infinity_literals(tree: exp.Expr) -> exp.Expr:
    """CAST('Infinity' AS DOUBLE) -> the largest double (MySQL has no infinity; its CAST gives 0); 'NaN' -> NULL.

    >>> _my(infinity_literals(parse("SELECT abs(x) < CAST('Infinity' AS DOUBLE)")))
    'SELECT ABS(x) < 1.7976931348623157e+308'
    """
    values = {"infinity": "1.7976931348623157e+308", "inf": "1.7976931348623157e+308",
              "-infinity": "-1.7976931348623157e+308", "-inf": "-1.7976931348623157e+308"}

    def make(node: exp.Expr) -> exp.Expr | None:
        text = node.this
        if not (isinstance(node, exp.Cast) and isinstance(text, exp.Literal) and text.is_string
                and node.to.is_type("double", "float")):
            return None
        word = text.name.strip().lower()
        if word == "nan":
            return exp.Null()
        return exp.Literal.number(values[word]) if word in values else None

    return _replace_all(tree, exp.Cast, make)


def _is_date(node: exp.Expr) -> bool:
    while isinstance(node, exp.Paren):
        node = node.this
    return (isinstance(node, exp.Cast) and node.to.is_type("date")) or isinstance(
        node, exp.DateAdd | exp.DateSub | exp.CurrentDate) or (
        isinstance(node, exp.Anonymous) and node.name == "DATE_ADD")


def date_arithmetic(tree: exp.Expr) -> exp.Expr:
    """date ± n days and date - date: DuckDB's date arithmetic; MySQL would add to the number 20240131.

    A date is a CAST(… AS DATE) (or a result of this rewrite); inside CAST(a ± n AS DATE) ``a`` counts as one.

    >>> _my(date_arithmetic(parse("SELECT CAST(t AS DATE) + 1, CAST(a AS DATE) - CAST(b AS DATE)")))
    'SELECT DATE_ADD(CAST(t AS DATE), INTERVAL 1 DAY), DATEDIFF(CAST(a AS DATE), CAST(b AS DATE))'
    >>> _my(date_arithmetic(parse("SELECT CAST(d - k AS DATE)")))
    'SELECT CAST(DATE_ADD(d, INTERVAL (-k) DAY) AS DATE)'
    """

    def make(node: exp.Expr) -> exp.Expr | None:
        left, right = node.this, node.expression
        if isinstance(left, exp.Interval) or isinstance(right, exp.Interval):
            return None
        into_date = isinstance(node.parent, exp.Cast) and node.parent.to.is_type("date")
        if isinstance(node, exp.Sub) and _is_date(left) and _is_date(right):
            return exp.Anonymous(this="DATEDIFF", expressions=[left.copy(), right.copy()])
        if isinstance(node, exp.Add) and _is_date(right) and not _is_date(left):
            left, right = right, left
        if not (_is_date(left) or (into_date and not _is_date(right))):
            return None
        days = right.copy() if isinstance(node, exp.Add) else exp.Paren(this=exp.Neg(this=right.copy()))
        return exp.Anonymous(this="DATE_ADD", expressions=[left.copy(), exp.Interval(this=days, unit=exp.var("DAY"))])

    return _replace_all(tree, (exp.Add, exp.Sub), make)


def make_date(tree: exp.Expr) -> exp.Expr:
    """make_date(y, m, d) -> the date from its ISO text (MySQL has no three-part constructor).

    >>> _my(make_date(parse("SELECT make_date(2024, m, 1)")))
    "SELECT CAST(CONCAT_WS('-', 2024, m, 1) AS DATE)"
    """

    def make(node: exp.Expr) -> exp.Expr:
        parts = [node.args[k].copy() for k in ("year", "month", "day")]
        return exp.cast(exp.Anonymous(this="CONCAT_WS", expressions=[exp.Literal.string("-"), *parts]),
                        exp.DataType.build("DATE"))

    return _replace_all(tree, exp.DateFromParts, make)


def percentile_by_position(tree: exp.Expr) -> exp.Expr:
    """median(v) / percentile_cont(p) WITHIN GROUP (ORDER BY v) as an aggregate (MariaDB has them only as window
    functions) -> interpolated between the two values around position 1 + p·(n-1) of the sorted group, picked from a
    GROUP_CONCAT (bounded by the session's group_concat_max_len: 1 MB holds ~50,000 values).

    >>> _my(percentile_by_position(parse("SELECT median(v) FROM t")))[:90]
    'SELECT CASE WHEN COUNT(v) > 0 THEN CAST(SUBSTRING_INDEX(SUBSTRING_INDEX(GROUP_CONCAT(v ORD'
    """

    def make(node: exp.Expr) -> exp.Expr | None:
        if isinstance(node.parent, exp.Window) or isinstance(node, exp.PercentileCont):
            return None
        if isinstance(node, exp.Median):
            value, fraction = node.this, exp.Literal.number("0.5")
        elif isinstance(node.this, exp.PercentileCont) and isinstance(node.expression, exp.Order) \
                and len(node.expression.expressions) == 1 and not node.expression.expressions[0].args.get("desc"):
            value, fraction = node.expression.expressions[0].this, node.this.this
        else:
            return None
        n = exp.Count(this=value.copy())
        ordered = exp.Ordered(this=value.copy(), nulls_first=True)
        listed = exp.GroupConcat(this=exp.Order(this=value.copy(), expressions=[ordered]),
                                 separator=exp.Literal.string(","))
        position = exp.Add(this=exp.Literal.number(1), expression=exp.Mul(this=fraction.copy(), expression=exp.Paren(
            this=exp.Sub(this=n.copy(), expression=exp.Literal.number(1)))))

        def nth(k: exp.Expr) -> exp.Expr:
            inner = exp.Anonymous(this="SUBSTRING_INDEX", expressions=[listed.copy(), exp.Literal.string(","), k])
            outer = exp.Anonymous(this="SUBSTRING_INDEX", expressions=[inner, exp.Literal.string(","),
                                                                       exp.Literal.number(-1)])
            return exp.cast(outer, exp.DataType.build("DOUBLE"))

        low, high = exp.Floor(this=position.copy()), exp.Ceil(this=position.copy())
        between = exp.Mul(this=exp.Paren(this=exp.Sub(this=position.copy(), expression=low.copy())),
                          expression=exp.Paren(this=exp.Sub(this=nth(high), expression=nth(low.copy()))))
        return exp.Case(ifs=[exp.If(this=exp.GT(this=n, expression=exp.Literal.number(0)),
                                    true=exp.Add(this=nth(low), expression=between))])

    return _replace_all(tree, (exp.Median, exp.WithinGroup), make)


def full_join_union(tree: exp.Expr) -> exp.Expr:
    """a FULL JOIN b ON c -> a LEFT JOIN b ON c UNION ALL the b rows no a row matches (MySQL has no FULL JOIN).

    Only for a SELECT with one join and no grouping, DISTINCT or LIMIT; :func:`unsupported` names the others.

    >>> _my(full_join_union(parse("SELECT a.k, b.v FROM a FULL JOIN b ON a.k = b.k")))  # doctest: +NORMALIZE_WHITESPACE
    'SELECT a.k, b.v FROM a LEFT JOIN b ON a.k = b.k UNION ALL
     SELECT a.k, b.v FROM a RIGHT JOIN b ON a.k = b.k WHERE NOT EXISTS(SELECT 1 FROM a WHERE a.k = b.k)'
    """

    def make(select: exp.Expr) -> exp.Expr | None:
        if not _simple_full_join(select):
            return None
        join = select.args["joins"][0]
        left, right = select.copy(), select.copy()
        left.args["joins"][0].set("side", "LEFT")
        left.args["joins"][0].set("kind", None)
        right.args["joins"][0].set("side", "RIGHT")
        right.args["joins"][0].set("kind", None)
        source = select.args["from_"].this.copy()
        matched = exp.Exists(this=exp.select("1").from_(source).where(join.args["on"].copy()))
        assert isinstance(right, exp.Select)
        return exp.union(left, right.where(exp.not_(matched)), distinct=False)

    return _replace_all(tree, exp.Select, make)


def _simple_full_join(select: exp.Expr) -> bool:
    joins = select.args.get("joins") or []
    full = [j for j in joins if j.side == "FULL"]
    return bool(full) and len(joins) == 1 and bool(joins[0].args.get("on")) and not any(
        select.args.get(k) for k in ("group", "distinct", "limit", "having", "order")) and not any(
        e.find(exp.AggFunc) for e in select.expressions)


def unsupported(node: exp.Expr) -> str | None:
    """What MySQL cannot run and no rewrite above mends (beyond what no engine has: lists, lambdas …).

    >>> unsupported(parse("SELECT arg_max(x, y) FROM t").expressions[0])
    'DuckDB function arg_max()'
    """
    if isinstance(node, exp.PercentileDisc | exp.Quantile) and not isinstance(node.parent, exp.Window):
        return f"aggregate {node.sql_name().lower()}()"
    if isinstance(node, exp.WithinGroup) and not isinstance(node.this, exp.PercentileCont):
        return "an ordered-set aggregate (WITHIN GROUP)"
    if isinstance(node, exp.Select) and any(j.side == "FULL" for j in node.args.get("joins") or []) \
            and not _simple_full_join(node):
        return "a FULL OUTER JOIN beside grouping or other joins"
    if isinstance(node, exp.Qualify):
        return "QUALIFY"
    if isinstance(node, exp.ArgMax | exp.ArgMin):
        return f"DuckDB function {node.sql_name().lower()}()"
    return None


MAX_WINDOWS = 3


def copy_instead(tree: exp.Expr) -> str | None:
    """Why the view's rows are copied rather than its SQL transpiled: MariaDB 10.11 computes some SELECTs with many
    differently-windowed functions wrongly (measured: rfm_segments on Online Retail, where
    ``count(*) OVER (PARTITION BY recency_days)`` gave 1 for a group of 8 beside ranks and counts over other windows).

    >>> copy_instead(parse("SELECT rank() OVER (ORDER BY a), count(*) OVER (PARTITION BY a), count(*) OVER (),"
    ...                    " rank() OVER (ORDER BY b) FROM t"))
    'MariaDB miscomputes a SELECT with more than 3 distinct windows (4 here): rows copied'
    """
    for select in tree.find_all(exp.Select):
        windows = {_window_key(w) for w in select.find_all(exp.Window) if w.parent_select is select}
        if len(windows) > MAX_WINDOWS:
            return (f"MariaDB miscomputes a SELECT with more than {MAX_WINDOWS} distinct windows"
                    f" ({len(windows)} here): rows copied")
    return None


def _window_key(window: exp.Window) -> str:
    spec = window.copy()
    spec.set("this", exp.Anonymous(this="f"))
    return spec.sql()


REWRITES = (
    expand_group_by_all, alias_subqueries, any_value, filter_to_case, float_division, avg_as_double, round_half_away,
    null_skipping_greatest, isfinite_not_null, infinity_literals, date_arithmetic, make_date, percentile_by_position,
    full_join_union,
)


def to_mysql(sql: str, tables: Mapping[str, tuple[str, str]] | None = None,
             functions: Mapping[str, str] | None = None) -> str:
    """The MySQL text of a DuckDB SELECT: every rewrite, then qualified names.

    >>> to_mysql("SELECT x, count(*) FILTER (WHERE y) FROM raw.t GROUP BY ALL", {"raw.t": ("s_raw", "t")})
    'SELECT x, COUNT(CASE WHEN y THEN 1 END) FROM `s_raw`.`t` AS t GROUP BY 1'
    """
    tree = parse(sql)
    for rewrite in REWRITES:
        tree = rewrite(tree)
    tree = qualify(tree, tables or {}, functions or {})
    return tree.sql(dialect="mysql", comments=False)
