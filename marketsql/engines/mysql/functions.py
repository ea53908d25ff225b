"""The model kinds' compiled functions as MySQL stored functions.

Each kind states its functions once, as the PostgreSQL mirror's statements (``ModelKind.postgres`` and
``postgres_after_tables``: one expression per function, constants written by ``number``). This module renders
those statements for MySQL, expression by expression through sqlglot (postgres -> mysql), so the arithmetic is the
same term for term and no kind has a second copy of it:

- ``LANGUAGE sql … AS $body$ SELECT expr $body$`` -> ``DETERMINISTIC RETURN expr``;
- a SQL-standard body ``RETURN expr`` (lookups reading a mirrored table; ``$1`` … the parameters) ->
  ``READS SQL DATA RETURN expr`` (``ARRAY[…]`` becomes ``JSON_ARRAY(…)``, a ``text[]`` result JSON);
- ``plpgsql`` stand-ins raising a message -> ``SIGNAL SQLSTATE '45000'`` with the same message;
- ``COMMENT ON FUNCTION … IS '…'`` -> the function's ``COMMENT``.

MySQL functions have no parameter defaults: ``segment(...)`` takes every feature.
"""

from __future__ import annotations

import re

import sqlglot
from sqlglot import exp

from marketsql.core.sqltext import literal

from ..pgfunctions import CREATE_RE, Function, UntranslatableFunction, split_params

_COMMENT_RE = re.compile(r'^COMMENT ON FUNCTION "[^"]+"\.(?P<name>\w+)\(.*?\) IS (?P<text>\'.*\')$', re.S)
_RAISE_RE = re.compile(r"RAISE EXCEPTION (?:'%', )?(?P<message>'(?:[^']|'')*')")
_TYPES = {"double precision": "DOUBLE", "integer": "INT", "bigint": "BIGINT", "text": "VARCHAR(255)",
          "text[]": "JSON", "boolean": "BOOLEAN", "date": "DATE", "numeric": "DECIMAL(65,30)"}


def _type(pg: str, returned: bool = False) -> str:
    kind = pg.strip().lower()
    if kind not in _TYPES:
        raise UntranslatableFunction(f"no MySQL type for {pg!r}")
    return "LONGTEXT" if returned and kind == "text" else _TYPES[kind]


def _expression(sql: str, schema: str, database: str, params: list[str]) -> str:
    """A PostgreSQL expression rendered for MySQL, ``$n`` replaced by the parameter names."""
    for i, name in reversed(list(enumerate(params, 1))):
        sql = sql.replace(f"${i}", name)
    tree = sqlglot.parse_one(sql, read="postgres")
    for array in list(tree.find_all(exp.Array)):
        array.replace(exp.Anonymous(this="JSON_ARRAY", expressions=[e.copy() for e in array.expressions]))
    for node in list(tree.find_all(exp.Table, exp.Column, exp.Dot)):
        for key in ("db", "table", "this"):
            value = node.args.get(key)
            if isinstance(value, exp.Identifier) and value.name == schema:
                node.set(key, exp.to_identifier(database, quoted=True))
    text = tree.sql(dialect="mysql")
    return text.replace(f"`{schema}`.", f"`{database}`.")


def translate(statements: list[str], database: str) -> list[Function]:
    """The MySQL functions of PostgreSQL ``statements`` (``CREATE FUNCTION`` and ``COMMENT ON FUNCTION``),
    created in ``database``.

    >>> [f.statement for f in translate(['CREATE FUNCTION "s".half(x double precision DEFAULT 1.0) RETURNS double'
    ...     ' precision LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $body$ SELECT greatest(x, 0) / 2 $body$'], "m")]
    ['CREATE FUNCTION `m`.`half`(`x` DOUBLE) RETURNS DOUBLE DETERMINISTIC RETURN GREATEST(x, 0) / 2']
    """
    comments: dict[str, str] = {}
    created: list[tuple[str, str]] = []
    for statement in statements:
        comment = _COMMENT_RE.match(statement)
        if comment:
            comments[comment.group("name")] = comment.group("text")
            continue
        match = CREATE_RE.match(statement)
        if match is None:
            raise UntranslatableFunction(f"cannot render for MySQL: {statement[:80]}")
        created.append((match.group("name"), _render(match, database)))
    return [Function(name, text.replace("\0COMMENT\0", f" COMMENT {comments[name]}" if name in comments else ""))
            for name, text in created]


def _render(match: re.Match[str], database: str) -> str:
    schema, name, rest = match.group("schema"), match.group("name"), match.group("rest")
    params: list[tuple[str, str]] = []
    for part in filter(None, (p.strip() for p in split_params(match.group("params")))):
        words = re.sub(r"\s+DEFAULT\s+.*$", "", part).split(" ", 1)
        params.append((words[0].strip('"'), _type(words[1])))
    head = (f"CREATE FUNCTION `{database}`.`{name}`({', '.join(f'`{p}` {t}' for p, t in params)})"
            f" RETURNS {_type(match.group('returns'), returned=True)}")
    names = [p for p, _ in params]
    raised = _RAISE_RE.search(rest)
    if "LANGUAGE plpgsql" in rest and raised:
        message = raised.group("message")[1:-1].replace("''", "'")
        return (f"{head} NOT DETERMINISTIC NO SQL\0COMMENT\0 BEGIN SIGNAL SQLSTATE '45000' SET MESSAGE_TEXT ="
                f" {literal(message[:512])}; RETURN NULL; END")
    body = re.search(r"\$body\$\s*SELECT (?P<expr>.*?)\s*\$body\$", rest, re.S)
    if body:
        expression = _expression(body.group("expr"), schema, database, names)
        return f"{head} DETERMINISTIC\0COMMENT\0 RETURN {expression}"
    standard = re.search(r" RETURN (?P<expr>.*)$", rest, re.S)
    if standard:
        expression = _expression(standard.group("expr"), schema, database, names)
        return f"{head} NOT DETERMINISTIC READS SQL DATA\0COMMENT\0 RETURN {expression}"
    raise UntranslatableFunction(f"cannot render the body of {name}() for MySQL")


def helper_statements(database: str) -> list[Function]:
    """``error(message)``: DuckDB's error(), which the rewrites and the lookups call."""
    return [Function("error", f"CREATE FUNCTION `{database}`.`error`(`message` TEXT) RETURNS LONGTEXT"
                              " NOT DETERMINISTIC NO SQL BEGIN SIGNAL SQLSTATE '45000' SET MESSAGE_TEXT = message;"
                              " RETURN NULL; END")]
