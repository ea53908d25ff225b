"""The Apache Spark mirror: the built project as a Spark catalog (Hive metastore) over Parquet, for data past one
machine.

- ``session``: where it goes (``--master``, ``--warehouse``, the database), checked before a JVM starts, and the one
  SparkSession a process holds (local[2] by default, few shuffle partitions, bounded driver memory, no UI, quiet);
- ``transpile``: DuckDB view SQL to Spark SQL — sqlglot plus one pure rewrite per known gap;
- ``load``: DuckDB tables written as Parquet by DuckDB, registered as Spark tables over those files;
- ``functions``: the model kinds' compiled functions as Spark SQL functions (``CREATE FUNCTION … RETURN``);
- ``mirror``: the check and the all-or-nothing mirror, switched in by pointer views (see ``swap``).

pyspark is imported only inside this package (``pip install 'marketsql[spark]'``).
"""
