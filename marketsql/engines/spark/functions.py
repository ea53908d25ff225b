"""The model kinds' compiled functions as Spark SQL functions (``CREATE FUNCTION … RETURN expr``, Spark 4).

Each kind states its functions once, as the PostgreSQL mirror's statements (``ModelKind.postgres`` and
``postgres_after_tables``). This module renders them for Spark expression by expression through sqlglot
(postgres -> spark), so the arithmetic is the same term for term, as the MySQL mirror does:

- ``LANGUAGE sql … AS $body$ SELECT expr $body$`` -> ``DETERMINISTIC RETURN expr`` (parameter defaults kept:
  Spark functions take ``DEFAULT``, so ``segment()`` with no argument is the training medians' segment);
- a SQL-standard body ``RETURN expr`` (lookups reading a mirrored table; ``$1`` … the parameters) ->
  ``READS SQL DATA RETURN expr``;
- ``plpgsql`` stand-ins raising a message -> ``RETURN CAST(raise_error(message) AS type)``;
- ``COMMENT ON FUNCTION … IS '…'`` -> the function's ``COMMENT``.
"""

from __future__ import annotations

import re

import sqlglot

from ..pgfunctions import CREATE_RE, Function, UntranslatableFunction, split_params
from .load import q, text

_COMMENT_RE = re.compile(r'^COMMENT ON FUNCTION "[^"]+"\.(?P<name>\w+)\(.*?\) IS \'(?P<text>(?:[^\']|\'\')*)\'$', re.S)
_RAISE_RE = re.compile(r"RAISE EXCEPTION (?:'%', )?'(?P<message>(?:[^']|'')*)'")
_TYPES = {"double precision": "DOUBLE", "integer": "INT", "bigint": "BIGINT", "text": "STRING",
          "text[]": "ARRAY<STRING>", "boolean": "BOOLEAN", "date": "DATE", "numeric": "DECIMAL(38,18)"}


def _type(pg: str) -> str:
    kind = pg.strip().lower()
    if kind not in _TYPES:
        raise UntranslatableFunction(f"no Spark type for {pg!r}")
    return _TYPES[kind]


def _expression(sql: str, params: list[str]) -> str:
    """A PostgreSQL expression rendered for Spark, ``$n`` replaced by the parameter names."""
    for i, name in reversed(list(enumerate(params, 1))):
        sql = sql.replace(f"${i}", name)
    return sqlglot.transpile(sql, read="postgres", write="spark")[0]


def translate(statements: list[str], database: str) -> list[Function]:
    """The Spark functions of PostgreSQL ``statements`` (``CREATE FUNCTION`` and ``COMMENT ON FUNCTION``) written
    for schema ``database`` (the names already point there).

    >>> [f.statement for f in translate(['CREATE FUNCTION "m".half(x double precision DEFAULT 1.0) RETURNS double'
    ...     ' precision LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $body$ SELECT greatest(x, 0) / 2 $body$'], "m")]
    ['CREATE FUNCTION `m`.`half`(x DOUBLE DEFAULT 1.0) RETURNS DOUBLE DETERMINISTIC RETURN GREATEST(x, 0) / 2']
    """
    comments: dict[str, str] = {}
    created: list[tuple[str, re.Match[str]]] = []
    for statement in statements:
        comment = _COMMENT_RE.match(statement)
        if comment:
            comments[comment.group("name")] = comment.group("text").replace("''", "'")
            continue
        match = CREATE_RE.match(statement)
        if match is None:
            raise UntranslatableFunction(f"cannot render for Spark: {statement[:80]}")
        created.append((match.group("name"), match))
    return [Function(name, _render(match, database, comments.get(name))) for name, match in created]


def _render(match: re.Match[str], database: str, comment: str | None) -> str:
    name, rest = match.group("name"), match.group("rest")
    params: list[tuple[str, str, str]] = []
    for part in filter(None, (p.strip() for p in split_params(match.group("params")))):
        default = re.search(r"\s+DEFAULT\s+(.*)$", part)
        words = re.sub(r"\s+DEFAULT\s+.*$", "", part).split(" ", 1)
        params.append((words[0].strip('"'), _type(words[1]), f" DEFAULT {default.group(1)}" if default else ""))
    returns = _type(match.group("returns"))
    head = (f"CREATE FUNCTION {q(database)}.{q(name)}({', '.join(f'{p} {t}{d}' for p, t, d in params)})"
            f" RETURNS {returns}")
    about = f" COMMENT {text(comment)}" if comment else ""
    names = [p for p, _, _ in params]
    raised = _RAISE_RE.search(rest)
    if "LANGUAGE plpgsql" in rest and raised:
        message = raised.group("message").replace("''", "'")
        return f"{head}{about} RETURN CAST(raise_error({text(message)}) AS {returns})"
    body = re.search(r"\$body\$\s*SELECT (?P<expr>.*?)\s*\$body\$", rest, re.S)
    if body:
        return f"{head}{about} DETERMINISTIC RETURN {_expression(body.group('expr'), names)}"
    standard = re.search(r" RETURN (?P<expr>.*)$", rest, re.S)
    if standard:
        return f"{head}{about} READS SQL DATA RETURN {_expression(standard.group('expr'), names)}"
    raise UntranslatableFunction(f"cannot render the body of {name}() for Spark")
