"""Hostile: someone edits a stored model in the database (``meta.models``) instead of training it.

An edit without the checksum must be refused on the next build and connect, with one line saying
the record was altered. An edit WITH a valid checksum (re-registered through the registry, as an
attacker who knows the algorithm would) must still never run SQL smuggled in a name: the names that
stay bare in SQL are validated, everything else is quoted.
"""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import duckdb
import pytest
from conftest import run_cli

from marketsql.models.registry import Registry

DATABASE = "marketsql.duckdb"


def _update(root: Path, name: str, column: str, change: Any) -> None:
    """Rewrite one JSON column of the active ``name`` record in place (checksum left as it was)."""
    con = duckdb.connect(str(root / DATABASE))
    try:
        (text,) = con.execute(f"SELECT {column} FROM meta.models WHERE name = ? AND status = 'active'",
                              [name]).fetchall()[0]
        value = change(json.loads(text))
        con.execute(f"UPDATE meta.models SET {column} = ? WHERE name = ? AND status = 'active'",
                    [json.dumps(value), name])
    finally:
        con.close()


def _reregister(root: Path, name: str, change: Any, arrays_change: Any = None) -> int:
    """Register a tampered copy of the active ``name`` model through the registry (valid checksum)."""
    con = duckdb.connect(str(root / DATABASE))
    try:
        registry = Registry(con)
        record = registry.active(name)
        arrays = registry.arrays(record)
        if arrays_change is not None:
            arrays_change(arrays)
        params = change(json.loads(json.dumps(record.params)))
        new = registry.register(name, record.kind, params, record.features, record.metrics, arrays,
                                record.data_fingerprint)
        return new.version
    finally:
        con.close()


def _set(path: list[Any], value: Any) -> Any:
    def change(document: Any) -> Any:
        target = document
        for key in path[:-1]:
            target = target[key]
        target[path[-1]] = value
        return document
    return change


TAMPERING = [  # (model, column, change): each one changes what the model means
    ("segmentation", "params", _set(["distinguishing", 0], "edited by hand")),
    ("segmentation", "metrics", _set(["silhouette"], 0.99)),
    ("forecast", "params", _set(["level"], 0.5)),
    ("budget", "params", _set(["extrapolation"], 9.0)),
    ("positioning", "features", lambda features: list(reversed(features))),
    ("positioning", "params", _set(["model", "brands", 0], "edited")),
    ("recommendation", "params", _set(["chosen"], "popularity")),  # a kind whose compile reads params only
    ("clv", "params", _set(["r"], 5.0)),  # a kind without arrays: params are all it stores
]


@pytest.mark.parametrize(("model", "column", "change"), TAMPERING,
                         ids=[f"{m}-{c}-{i}" for i, (m, c, _) in enumerate(TAMPERING)])
def test_edited_model_record_is_refused_on_build_and_connect(demo_copy: Path, model, column, change):
    _update(demo_copy, model, column, change)
    for command in (("build", "-p", str(demo_copy)), ("sql", "-p", str(demo_copy), "SELECT 1")):
        done = run_cli(*command)
        assert done.returncode == 1, done.stdout
        lines = done.stderr.strip().splitlines()
        assert lines[-1].startswith(f"Error: model {model} v1 failed its checksum — the stored record"), done.stderr
        assert "retrain (`marketsql train" in lines[-1] and "activate another version" in lines[-1]
        assert "Traceback" not in done.stderr


def test_edited_array_is_refused(demo_copy: Path):
    con = duckdb.connect(str(demo_copy / DATABASE))
    con.execute("UPDATE meta.model_arrays SET data = data || '\\x00'::BLOB WHERE name = 'forecast' AND key = 'forecast'"
                " AND version = 1")
    con.close()
    done = run_cli("build", "-p", str(demo_copy))
    assert done.returncode == 1
    assert done.stderr.strip().startswith("Error: model forecast v1 failed its checksum")


def test_another_version_can_still_be_activated_after_tampering(demo_copy: Path):
    version = _reregister(demo_copy, "forecast", _set(["level"], 0.8))
    _update(demo_copy, "forecast", "params", _set(["level"], 0.1))  # the new active version is altered
    assert run_cli("build", "-p", str(demo_copy)).returncode == 1
    done = run_cli("activate", "forecast", "1", "-p", str(demo_copy))
    assert done.returncode == 0, done.stderr
    assert version == 2


def _payload(tmp_path: Path) -> tuple[str, Path]:
    target = tmp_path / "pwned.csv"
    return f"x) AS (SELECT 1); COPY (SELECT 1) TO '{target}'; --", target


def _rename_feature(old: str, new: str) -> Any:
    def change(params: Any) -> Any:
        model = params["model"]
        for key in ("features", "kept", "log_features"):
            model[key] = [new if f == old else f for f in model[key]]
        return params
    return change


def _rename_attribute(old: str, new: str) -> Any:
    def change(params: Any) -> Any:
        params["model"]["attributes"] = [new if a == old else a for a in params["model"]["attributes"]]
        return params
    return change


def test_feature_name_payload_in_segmentation_never_runs(demo_copy: Path, tmp_path: Path):
    payload, pwned = _payload(tmp_path)
    _reregister(demo_copy, "segmentation", _rename_feature("recency_days", payload))
    done = run_cli("build", "-p", str(demo_copy))
    assert not pwned.exists()
    assert done.returncode == 1
    assert done.stderr.strip() == (
        f"Error: segmentation v2: segmentation feature name {payload!r} is not a plain lower-case name (a-z, 0-9, _)"
        " — the stored model cannot be compiled to SQL; retrain (`marketsql train segmentation`) or activate"
        " another version")


def test_attribute_name_payload_in_positioning_never_runs(demo_copy: Path, tmp_path: Path):
    payload, pwned = _payload(tmp_path)
    _reregister(demo_copy, "positioning", _rename_attribute("storage_gb", payload))
    done = run_cli("build", "-p", str(demo_copy))
    assert not pwned.exists()
    assert done.returncode == 1
    assert done.stderr.strip().startswith(f"Error: positioning v2: positioning attribute name {payload!r} is not a"
                                          " plain lower-case name")


def test_feature_name_payload_never_reaches_the_postgres_functions(demo_copy: Path, tmp_path: Path):
    payload, _ = _payload(tmp_path)
    _reregister(demo_copy, "segmentation", _rename_feature("frequency", payload))
    done = run_cli("check", "-p", str(demo_copy), "--target", "postgres")
    assert done.returncode == 1
    assert "segmentation feature name" in done.stderr and "is not a plain lower-case name" in done.stderr


@pytest.mark.parametrize(("model", "array", "label"), [("segmentation", "medians", "segmentation"),
                                                       ("budget", "alpha", "budget"),
                                                       ("positioning", "price_coef", "positioning")])
def test_non_finite_number_is_refused_not_written_as_an_identifier(demo_copy: Path, model, array, label):
    def poison(arrays: dict[str, Any]) -> None:
        arrays[array] = arrays[array].copy()
        arrays[array].flat[0] = float("inf")

    _reregister(demo_copy, model, lambda params: params, poison)
    done = run_cli("build", "-p", str(demo_copy))
    assert done.returncode == 1
    assert re.match(rf"Error: {label} v2: -?inf is not a finite number — ", done.stderr.strip()), done.stderr


def test_text_payload_in_clv_parameters_never_runs(demo_copy: Path, tmp_path: Path):
    """clv compiles its fitted numbers into p_alive(): a string where a number was stored is refused."""
    payload, pwned = _payload(tmp_path)
    _reregister(demo_copy, "clv", _set(["a"], payload))
    done = run_cli("build", "-p", str(demo_copy))
    assert not pwned.exists()
    assert done.returncode == 1
    assert done.stderr.strip().startswith(f"Error: clv v2: {payload!r} is not a number"), done.stderr
