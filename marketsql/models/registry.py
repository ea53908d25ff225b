"""The model registry, in the project database (schema ``meta``), shared by every kind of model.

A model version is a row of ``meta.models`` (parameters, features, metrics, fingerprint of its
training data, status) plus its numeric arrays in ``meta.model_arrays``, stored as raw bytes with
dtype and shape — never pickled. One sha256 digest covers the whole record (name, kind, params,
features, metrics, data fingerprint and every array), and every load checks it: a record edited in
the database (a parameter changed, a feature renamed) is refused, not silently served.
"""

from __future__ import annotations

import builtins
import hashlib
import json
from collections.abc import Mapping
from dataclasses import dataclass, replace
from datetime import datetime
from typing import Any

import duckdb
import numpy as np

from marketsql.errors import ModelError

DDL = [
    "CREATE SCHEMA IF NOT EXISTS meta",
    """CREATE TABLE IF NOT EXISTS meta.models (
        name VARCHAR, version INTEGER, kind VARCHAR, created_at TIMESTAMP, status VARCHAR,
        params JSON, features JSON, metrics JSON, data_fingerprint VARCHAR, checksum VARCHAR,
        PRIMARY KEY (name, version))""",
    """CREATE TABLE IF NOT EXISTS meta.model_arrays (
        name VARCHAR, version INTEGER, key VARCHAR, dtype VARCHAR, shape INTEGER[], data BLOB)""",
]
ALLOWED_DTYPES = {"float64", "float32", "int64", "int32", "bool"}
StoredArray = tuple[str, str, list[int], bytes]  # key, dtype, shape, raw bytes: one row of meta.model_arrays


@dataclass(frozen=True)
class ModelRecord:
    """One registered model version."""

    name: str
    version: int
    kind: str
    created_at: datetime
    status: str  # "active" or "inactive"
    params: dict[str, Any]
    features: list[str]
    metrics: dict[str, Any]
    data_fingerprint: str
    checksum: str

    def headline(self) -> str:
        """The metric that says how good this model is, in a few words (``silhouette 0.412, k=5``)."""
        from .summary import headline

        return headline(self.name, self.metrics)

    def baseline_note(self) -> str | None:
        """A sentence when a simple baseline did better than this model on held-out data, else None."""
        from .summary import baseline_note

        return baseline_note(self.name, self.kind, self.metrics)

    def __repr__(self) -> str:
        return (f"<ModelRecord {self.name} v{self.version} {self.status} {self.kind}"
                f" {self.created_at:%Y-%m-%d %H:%M}: {self.headline()}>")


def untrained(name: str) -> str:
    """What every function of model kind ``name`` says before a version is trained."""
    return f"no trained {name} model in this database — run `marketsql train {name}`"


class Registry:
    """Register, list, activate and load model versions in one DuckDB connection."""

    def __init__(self, con: duckdb.DuckDBPyConnection) -> None:
        self.con = con

    def ensure(self) -> Registry:
        """Create the registry tables if they are missing (needs a writable connection)."""
        for statement in DDL:
            self.con.execute(statement)
        return self

    def register(
        self,
        name: str,
        kind: str,
        params: Mapping[str, Any],
        features: list[str],
        metrics: Mapping[str, Any],
        arrays: Mapping[str, np.ndarray],
        data_fingerprint: str,
        activate: bool = True,
    ) -> ModelRecord:
        """Store a new version (one more than the last) and, by default, make it the active one."""
        self.ensure()
        params, features, metrics = _canonical(dict(params)), _canonical(list(features)), _canonical(dict(metrics))
        checksum = _checksum(name, kind, params, features, metrics, data_fingerprint, _array_digests(arrays))
        self.con.execute("BEGIN TRANSACTION")
        try:
            version = int(self.con.execute(
                "SELECT coalesce(max(version), 0) + 1 FROM meta.models WHERE name = ?", [name]).fetchall()[0][0])
            if activate:
                self.con.execute("UPDATE meta.models SET status = 'inactive' WHERE name = ?", [name])
            self.con.execute(
                "INSERT INTO meta.models VALUES (?, ?, ?, now()::TIMESTAMP, ?, ?, ?, ?, ?, ?)",
                [name, version, kind, "active" if activate else "inactive", json.dumps(params),
                 json.dumps(features), json.dumps(metrics), data_fingerprint, checksum],
            )
            for key, array in sorted(arrays.items()):
                array = _checked_array(key, array)
                self.con.execute(
                    "INSERT INTO meta.model_arrays VALUES (?, ?, ?, ?, ?, ?)",
                    [name, version, key, array.dtype.name, list(array.shape), array.tobytes()],
                )
            self.con.execute("COMMIT")
        except BaseException:
            self.con.execute("ROLLBACK")
            raise
        return self.get(name, version)

    def list(self, name: str | None = None) -> list[ModelRecord]:
        """Every version, newest first (of one model name, or of all)."""
        if not self._exists():
            return []
        where, args = ("WHERE name = ?", [name]) if name else ("", [])
        rows = self.con.execute(
            f"SELECT * FROM meta.models {where} ORDER BY name, version DESC", args).fetchall()
        return [_record(row) for row in rows]

    def get(self, name: str, version: int) -> ModelRecord:
        """One version, verified against its checksum; ModelError if there is no such version."""
        found = [r for r in self.list(name) if r.version == version]
        if not found:
            known = ", ".join(str(r.version) for r in self.list(name)) or "none"
            raise ModelError(f"model {name} has no version {version} (versions: {known}) — see `marketsql models`")
        return self.verify(found[0])

    def active(self, name: str) -> ModelRecord:
        """The active version, verified against its checksum; ModelError saying what to run if there is none."""
        found = [r for r in self.list(name) if r.status == "active"]
        if not found:
            raise ModelError(untrained(name))
        return self.verify(found[0])

    def verify(self, record: ModelRecord) -> ModelRecord:
        """``record`` if its stored checksum matches the whole record (arrays hashed in the database);
        ModelError saying it was altered otherwise."""
        rows = self.con.execute(
            "SELECT key, dtype, shape, sha256(data) FROM meta.model_arrays WHERE name = ? AND version = ?"
            " ORDER BY key", [record.name, record.version]).fetchall()
        digests = {key: _array_entry(dtype, shape, digest) for key, dtype, shape, digest in rows}
        _check(record, digests)
        return record

    def activate(self, name: str, version: int) -> ModelRecord:
        """Make ``version`` the active one (roll back or forward)."""
        self.get(name, version)
        self.con.execute("BEGIN TRANSACTION")
        self.con.execute(
            "UPDATE meta.models SET status = CASE WHEN version = ? THEN 'active' ELSE 'inactive' END WHERE name = ?",
            [version, name],
        )
        self.con.execute("COMMIT")
        return self.get(name, version)

    def arrays(self, record: ModelRecord) -> dict[str, np.ndarray]:
        """The version's arrays, after checking them against the stored checksum."""
        return verified_arrays(record, self.stored_arrays(record))

    def stored_arrays(self, record: ModelRecord) -> builtins.list[StoredArray]:
        """The version's arrays as stored (key, dtype, shape, raw bytes), unchecked: for a process that checks
        them itself with :func:`verified_arrays` (a Spark executor scoring the model)."""
        rows = self.con.execute(
            "SELECT key, dtype, shape, data FROM meta.model_arrays WHERE name = ? AND version = ? ORDER BY key",
            [record.name, record.version],
        ).fetchall()
        return [(str(key), str(dtype), [int(n) for n in shape], bytes(data)) for key, dtype, shape, data in rows]

    def _exists(self) -> bool:
        found = self.con.execute(
            "SELECT count(*) FROM duckdb_tables() WHERE schema_name = 'meta' AND table_name = 'models'"
            " AND database_name = current_database()"
        ).fetchall()
        return bool(found[0][0])


@dataclass(frozen=True)
class Registration:
    """A model version to store, held until the atomic step (the build of the new file) commits it."""

    name: str
    kind: str
    params: Mapping[str, Any]
    features: list[str]
    metrics: Mapping[str, Any]
    arrays: Mapping[str, np.ndarray]
    data_fingerprint: str
    activate: bool = True

    def apply(self, registry: Registry) -> ModelRecord:
        """Write this version into ``registry``."""
        return registry.register(self.name, self.kind, self.params, self.features, self.metrics, self.arrays,
                                 self.data_fingerprint, self.activate)


@dataclass(frozen=True)
class Activation:
    """A version to make active, held until the atomic step commits it."""

    name: str
    version: int

    def apply(self, registry: Registry) -> ModelRecord:
        """Make the version active in ``registry``."""
        return registry.activate(self.name, self.version)


Change = Registration | Activation


class PendingRegistry(Registry):
    """A registry that reads the current database but only records ``register``/``activate`` in ``changes``.

    The build applies the changes to the new file before compiling the models, so registering a model
    and rebuilding what uses it happen in one atomic step. The records returned are previews of what
    the build will store (same version numbers, as long as the writer lock is held throughout).
    """

    def __init__(self, con: duckdb.DuckDBPyConnection) -> None:
        super().__init__(con)
        self.changes: list[Change] = []

    def register(
        self,
        name: str,
        kind: str,
        params: Mapping[str, Any],
        features: list[str],
        metrics: Mapping[str, Any],
        arrays: Mapping[str, np.ndarray],
        data_fingerprint: str,
        activate: bool = True,
    ) -> ModelRecord:
        """Record a new version (checked now: arrays that cannot be stored fail before anything is written)."""
        params, features, metrics = _canonical(dict(params)), _canonical(list(features)), _canonical(dict(metrics))
        checksum = _checksum(name, kind, params, features, metrics, data_fingerprint, _array_digests(arrays))
        self.changes.append(Registration(name, kind, params, features, metrics, arrays, data_fingerprint, activate))
        version = max((r.version for r in self.list(name)), default=0) + 1
        pending = sum(isinstance(c, Registration) and c.name == name for c in self.changes) - 1
        return ModelRecord(name, version + pending, kind, datetime.now(), "active" if activate else "inactive",
                           dict(params), list(features), dict(metrics), data_fingerprint, checksum)

    def activate(self, name: str, version: int) -> ModelRecord:
        """Record that ``version`` becomes the active one (ModelError now if there is no such version)."""
        record = self.get(name, version)
        self.changes.append(Activation(name, version))
        return replace(record, status="active")


def _checked_array(key: str, array: np.ndarray) -> np.ndarray:
    array = np.ascontiguousarray(array)
    if array.dtype.name not in ALLOWED_DTYPES:
        raise ModelError(f"array {key}: dtype {array.dtype} cannot be stored — use float64, int64 or bool")
    return array


def _canonical(value: Any) -> Any:
    """``value`` as it reads back from the database (through JSON), so both sides hash the same thing."""
    return json.loads(json.dumps(value))


def _array_entry(dtype: str, shape: Any, digest: str) -> dict[str, Any]:
    return {"dtype": str(dtype), "shape": [int(n) for n in shape], "sha256": str(digest)}


def _array_digests(arrays: Mapping[str, np.ndarray]) -> dict[str, dict[str, Any]]:
    checked = {key: _checked_array(key, array) for key, array in arrays.items()}
    return {key: _array_entry(a.dtype.name, a.shape, hashlib.sha256(a.tobytes()).hexdigest())
            for key, a in checked.items()}


def _checksum(name: str, kind: str, params: Any, features: Any, metrics: Any, data_fingerprint: str,
              arrays: Mapping[str, dict[str, Any]]) -> str:
    """One sha256 over the whole record: canonical JSON (sorted keys), arrays by dtype, shape and sha256."""
    record = {"name": name, "kind": kind, "params": params, "features": features, "metrics": metrics,
              "data_fingerprint": data_fingerprint, "arrays": dict(arrays)}
    text = json.dumps(record, sort_keys=True, separators=(",", ":"), ensure_ascii=True)
    return "sha256:" + hashlib.sha256(text.encode()).hexdigest()


def _check(record: ModelRecord, arrays: Mapping[str, dict[str, Any]]) -> None:
    expected = _checksum(record.name, record.kind, record.params, record.features, record.metrics,
                         record.data_fingerprint, arrays)
    if expected != record.checksum:
        raise ModelError(
            f"model {record.name} v{record.version} failed its checksum — the stored record (parameters, features,"
            f" metrics or arrays) was altered since it was registered, or registered by an older marketsql;"
            f" retrain (`marketsql train {record.name}`) or activate another version (`marketsql models`)"
        )


def verified_arrays(record: ModelRecord, rows: list[StoredArray]) -> dict[str, np.ndarray]:
    """The arrays of ``rows`` (as :meth:`Registry.stored_arrays` returns them) once they match ``record``'s checksum;
    ModelError if anything was altered. Raw bytes with dtype and shape: nothing is unpickled."""
    digests = {key: _array_entry(dtype, shape, hashlib.sha256(data).hexdigest()) for key, dtype, shape, data in rows}
    _check(record, digests)
    arrays = {}
    for key, dtype, shape, data in rows:
        if dtype not in ALLOWED_DTYPES:
            raise ModelError(f"model {record.name} v{record.version}: array {key} has dtype {dtype} — retrain")
        arrays[key] = np.frombuffer(data, dtype=np.dtype(dtype)).reshape(shape).copy()
    return arrays


def _record(row: tuple[Any, ...]) -> ModelRecord:
    name, version, kind, created_at, status, params, features, metrics, fingerprint, checksum = row
    try:
        params, features, metrics = (json.loads(text) for text in (params, features, metrics))
    except (TypeError, ValueError) as exc:
        raise ModelError(f"model {name} v{version}: its stored parameters are not JSON ({exc}) — the record was"
                         f" altered; retrain (`marketsql train {name}`) or activate another version") from None
    return ModelRecord(name, int(version), kind, created_at, status, params, features, metrics, fingerprint, checksum)


def json_safe(value: Any) -> Any:
    """Plain JSON values for a model's params and metrics: numpy scalars to Python, non-finite floats
    to None (JSON has no NaN), dict keys to text."""
    if isinstance(value, dict):
        return {str(k): json_safe(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [json_safe(v) for v in value]
    if isinstance(value, np.generic):
        value = value.item()
    if isinstance(value, float) and not np.isfinite(value):
        return None
    return value
