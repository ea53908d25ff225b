"""Where the Spark mirror goes, and the one SparkSession of a process.

Precedence: ``--master`` / ``--warehouse`` / ``--schema``, then ``MARKETSQL_SPARK_MASTER`` /
``MARKETSQL_SPARK_WAREHOUSE`` / ``MARKETSQL_SPARK_SCHEMA``, then ``[targets.spark] master = … / warehouse = … /
schema = …``; the master defaults to ``local[2]``, the warehouse to ``spark-warehouse`` in the project folder, the
database to ``marketsql``. The catalog is a Hive metastore (embedded Derby in the warehouse folder), so the databases,
tables, views and functions outlive the session and any Spark session pointed at the same warehouse sees them.

Both are checked before a JVM starts: a master that is not ``local``, ``local[N]``, ``spark://host:port``, ``yarn``
or ``k8s://…`` is refused, a ``spark://`` master must answer a TCP connect within 5 s, and the warehouse must be a
writable folder that DuckDB writes the Parquet files into (local, or a mount the executors share; not an
object-store URI).
"""

from __future__ import annotations

import os
import re
import socket
import sys
import warnings
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from marketsql.errors import ConfigError, MarketsqlError

ENV_MASTER, ENV_WAREHOUSE, ENV_SCHEMA = "MARKETSQL_SPARK_MASTER", "MARKETSQL_SPARK_WAREHOUSE", "MARKETSQL_SPARK_SCHEMA"
DEFAULT_MASTER, DEFAULT_SCHEMA = "local[2]", "marketsql"
SETTINGS = {  # small-machine defaults: a local[2] JVM within ~1.5 GB, no UI, 4 shuffle partitions
    "spark.ui.enabled": "false", "spark.sql.shuffle.partitions": "4", "spark.driver.memory": "1g",
    "spark.sql.adaptive.enabled": "true", "spark.sql.session.timeZone": "UTC",
    "spark.sql.legacy.createHiveTableByDefault": "false", "spark.sql.ansi.enabled": "false",
    "spark.ui.showConsoleProgress": "false", "spark.driver.host": "127.0.0.1", "spark.driver.bindAddress": "127.0.0.1",
}
LOG4J = Path(__file__).with_name("log4j2.properties")  # errors reach us as exceptions: the JVM logs nothing
_MASTER_RE = re.compile(r"^(local(\[(\d+|\*)(,\d+)?\])?|spark://[\w.-]+:\d+(,[\w.-]+:\d+)*|yarn|k8s://\S+)$")
_SCHEMA_RE = re.compile(r"^[a-z_][a-z0-9_]{0,40}$")
_URI_RE = re.compile(r"^[a-z][a-z0-9+.-]*://", re.I)
_session: Any = None
_session_key: tuple[str, str] | None = None


class SparkError(MarketsqlError):
    """Spark cannot be started, reached, or rejects what we send."""


@dataclass(frozen=True)
class Target:
    """A Spark master, the warehouse folder (tables and metastore) and the database the mirror lives in."""

    master: str = DEFAULT_MASTER
    warehouse: str = ""  # "" until the project gives its default
    schema: str = DEFAULT_SCHEMA

    @property
    def shown(self) -> str:
        """The master and warehouse, for messages."""
        return f"{self.master} (warehouse {self.warehouse})"

    def scrub(self, text: str) -> str:
        """Spark targets carry no password: ``text`` unchanged."""
        return text

    def with_default_warehouse(self, root: Path) -> Target:
        """This target, its warehouse defaulting to ``spark-warehouse`` in the project folder."""
        return self if self.warehouse else Target(self.master, str(root / "spark-warehouse"), self.schema)


def resolve(config_targets: Mapping[str, Any] | None, master: str | None = None, schema: str | None = None,
            warehouse: str | None = None) -> Target:
    """The target from the arguments, the environment and ``[targets.spark]``, in that order; checked (no JVM)."""
    table = dict((config_targets or {}).get("spark") or {})
    chosen = str(master or os.environ.get(ENV_MASTER) or table.get("master") or DEFAULT_MASTER)
    if not _MASTER_RE.match(chosen):
        raise ConfigError(f"Spark master {chosen!r} is not understood — use local[2], local[*], spark://host:7077,"
                          " yarn or k8s://…")
    name = str(schema or os.environ.get(ENV_SCHEMA) or table.get("schema") or DEFAULT_SCHEMA)
    if not _SCHEMA_RE.match(name):
        raise ConfigError(f"database {name!r} is not allowed for the mirror — use lower-case letters, digits and _")
    where = str(warehouse or os.environ.get(ENV_WAREHOUSE) or table.get("warehouse") or "")
    if _URI_RE.match(where):
        raise ConfigError(f"Spark warehouse {where} is a URI — DuckDB writes the tables' Parquet files into the"
                          " warehouse: give a local or mounted folder that Spark's executors also read")
    if where:
        where = str(Path(where).expanduser().absolute())
    return Target(chosen, where, name)


def preflight(target: Target) -> None:
    """Refuse a warehouse that cannot be written and a standalone master that does not answer (no JVM started)."""
    if target.warehouse:
        folder = Path(target.warehouse)
        existing = next((p for p in (folder, *folder.parents) if p.exists()), None)
        if existing is not None and not existing.is_dir():
            raise ConfigError(f"Spark warehouse {folder} cannot be a folder: {existing} is a file — give a folder"
                              " (--warehouse)")
        if existing is None or not os.access(existing, os.W_OK | os.X_OK):
            raise ConfigError(f"Spark warehouse {folder} cannot be written (no write access to {existing}) — give"
                              " a folder you can write (--warehouse)")
    if target.master.startswith("spark://"):
        for hostport in target.master[len("spark://"):].split(","):
            host, _, port = hostport.rpartition(":")
            try:
                socket.create_connection((host, int(port)), timeout=5).close()
                return
            except OSError as exc:
                reason = exc.strerror or str(exc)
        raise SparkError(f"cannot reach Spark master {target.master}: {reason} — start the master or give another"
                         " (--master local[2] runs Spark in this process)")


def session(target: Target) -> Any:
    """The process's SparkSession for ``target`` (started on first use, 8–20 s); SparkError if the process already
    runs Spark against another master or warehouse (one metastore per JVM)."""
    global _session, _session_key
    key = (target.master, target.warehouse)
    if _session is not None and _session_key == key and not _session.sparkContext._jsc.sc().isStopped():
        return _session
    if _session is not None and _session_key is not None and _session_key != key:
        master, warehouse = _session_key
        raise SparkError(f"this process already runs Spark on {master} with warehouse {warehouse} — one warehouse"
                         f" per process: mirror onto {warehouse} or use a new process")
    preflight(target)
    os.environ.setdefault("SPARK_LOCAL_IP", "127.0.0.1")
    if target.master.startswith("local"):  # the workers scoring model marts run this Python (numpy, marketsql)
        os.environ.setdefault("PYSPARK_PYTHON", sys.executable)
    # pyspark 4 warns (on import and later) that pandas >= 3 is not fully supported: the mirror uses no pandas path
    warnings.filterwarnings("ignore", message="PySpark does not yet fully support pandas", category=FutureWarning)
    from pyspark import SparkConf, SparkContext
    from pyspark.java_gateway import launch_gateway
    from pyspark.logger import PySparkLogger
    from pyspark.sql import SparkSession

    for name in ("SQLQueryContextLogger", "DataFrameQueryContextLogger"):  # errors reach us as exceptions
        PySparkLogger.getLogger(name).disabled = True
    Path(target.warehouse).mkdir(parents=True, exist_ok=True)
    log = Path(target.warehouse) / "spark-driver.log"  # the JVM's own output, kept out of the terminal
    conf = SparkConf().setMaster(target.master).setAppName("marketsql mirror").setAll(list(SETTINGS.items()) + [
        ("spark.sql.warehouse.dir", target.warehouse), ("spark.sql.catalogImplementation", "hive"),
        ("spark.hadoop.javax.jdo.option.ConnectionURL",
         f"jdbc:derby:;databaseName={target.warehouse}/metastore_db;create=true"),
        ("spark.driver.extraJavaOptions", f"-Dderby.system.home={target.warehouse} -Dderby.stream.error.file="
                                          f"/dev/null -Dlog4j2.configurationFile=file:{LOG4J}")])
    try:
        if SparkContext._gateway is None:
            with log.open("ab") as output:
                SparkContext._ensure_initialized(gateway=launch_gateway(conf, {"stdout": output, "stderr": output}))
        started = SparkSession.builder.config(conf=conf).enableHiveSupport().getOrCreate()
    except Exception as exc:  # the JVM's own message: Java missing, a metastore locked by another process …
        raise SparkError(f"cannot start Spark on {target.master} with warehouse {target.warehouse}:"
                         f" {first_line(exc)} (the JVM's output is in {log}) — check Java 17 (java -version) and"
                         " that no other process uses the warehouse's metastore") from None
    started.sparkContext.setLogLevel("OFF")
    _session, _session_key = started, key
    return started


def first_line(exc: BaseException) -> str:
    """Spark's message in one line, without the JVM stack and the SQLSTATE suffix."""
    text = getattr(exc, "getMessage", None)
    message = str(text() if callable(text) else exc).strip()
    lines = [line.strip() for line in message.splitlines() if line.strip()]
    if lines and "Traceback (most recent call last)" in message:  # a Python worker failed: its exception line
        raised = [line for line in lines if re.match(r"^[\w.]+(Error|Exception): ", line)]
        lines = [f"{lines[0].split(':', 1)[0]}: {raised[0] if raised else lines[-1]}"]
    line = lines[0] if lines else type(exc).__name__
    return re.sub(r"\s*SQLSTATE: \w+\s*$", "", line)[:400]
