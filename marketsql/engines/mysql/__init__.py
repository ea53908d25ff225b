"""The MySQL (MariaDB) mirror: the built project on a MySQL-compatible server, for BI tools.

- ``connection``: where it goes (``--dsn mysql://…``, ``MARKETSQL_MYSQL_DSN`` or ``[targets.mysql]``), with the
  password masked by the PostgreSQL mirror's DSN masking;
- ``transpile``: DuckDB view SQL to MySQL — sqlglot plus one pure rewrite per known gap;
- ``load``: DuckDB types to MySQL types, rows in bulk through ``LOAD DATA LOCAL INFILE``;
- ``functions``: the model kinds' compiled functions as MySQL stored functions;
- ``mirror``: the check (objects created without rows in a scratch generation, then dropped) and the
  all-or-nothing mirror, swapped in by one ``RENAME TABLE`` of the pointer views (see ``swap``).
"""
