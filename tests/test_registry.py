"""The model registry: versions, activation, safe storage with a checksum, survival across builds."""

from __future__ import annotations

import duckdb
import numpy as np
import pytest

import marketsql
from marketsql.models.registry import Registry


@pytest.fixture
def registry():
    con = duckdb.connect()
    yield Registry(con).ensure()
    con.close()


def register(registry: Registry, k: int, name: str = "segmentation"):
    return registry.register(name, "kmeans", {"k": k}, ["a", "b"], {"silhouette": 0.1 * k},
                             {"means": np.arange(2.0 * k).reshape(k, 2)}, "fingerprint")


def test_versions_activate_and_roll_back(registry):
    register(registry, 3)
    register(registry, 4)
    assert [(r.version, r.status) for r in registry.list("segmentation")] == [(2, "active"), (1, "inactive")]
    registry.activate("segmentation", 1)
    active = registry.active("segmentation")
    assert (active.version, active.params, active.metrics) == (1, {"k": 3}, {"silhouette": pytest.approx(0.3)})
    np.testing.assert_array_equal(registry.arrays(active)["means"], np.arange(6.0).reshape(3, 2))
    registry.activate("segmentation", 2)
    assert registry.active("segmentation").version == 2


def test_tampered_arrays_fail_the_checksum(registry):
    record = register(registry, 3)
    registry.con.execute("UPDATE meta.model_arrays SET data = ?", [np.zeros(6).tobytes()])
    with pytest.raises(marketsql.ModelError, match="failed its checksum"):
        registry.arrays(record)


def test_object_arrays_are_refused(registry):
    with pytest.raises(marketsql.ModelError, match="cannot be stored"):
        registry.register("m", "x", {}, [], {}, {"bad": np.array(["a", object()], dtype=object)}, "fp")


def test_missing_model_and_version_say_what_to_do(registry):
    expected = r"no trained segmentation model .* run `marketsql train segmentation`"
    with pytest.raises(marketsql.ModelError, match=expected):
        registry.active("segmentation")
    register(registry, 3)
    with pytest.raises(marketsql.ModelError, match=r"has no version 7 \(versions: 1\)"):
        registry.activate("segmentation", 7)


def test_registry_survives_rebuilds(built_project):
    con = duckdb.connect(str(built_project.database))
    register(Registry(con).ensure(), 3, name="experiment")  # a name no model kind compiles
    con.close()
    built_project.build()
    assert [(r.name, r.version, r.status) for r in built_project.models()] == [("experiment", 1, "active")]
