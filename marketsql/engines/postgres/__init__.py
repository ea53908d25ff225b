"""The PostgreSQL mirror: the built project on a PostgreSQL server, for BI tools.

- ``connection``: where it goes (DSN and schema from --dsn, MARKETSQL_PG_DSN or [targets.postgres]),
  with the password masked in every message;
- ``transpile``: DuckDB view SQL to PostgreSQL — sqlglot plus one pure rewrite per known gap;
- ``plan``: what is copied (raw, meta, materialised tables) and what is transpiled (views), and
  which views cannot be mirrored (file, line, reason) — decided without the server;
- ``copy``: DuckDB types to PostgreSQL types, rows streamed through COPY;
- ``mirror``: the check (a rolled-back dry run) and the all-or-nothing mirror with its schema swap.

The models' SQL functions come from each model kind's ``postgres`` (created before the tables) and
``postgres_after_tables`` (lookups reading mirrored marts, created after them); see ``marketsql.models``.
"""
