"""What Spark's Python workers run to score a model mart (marketsql/engines/spark/batches.py), without a JVM: a
model read from a real registry as stored scores Arrow batches as the DuckDB UDF's numpy code does, a NULL input
gives NULL, and stored bytes altered on the way are refused by the checksum before anything is scored."""

from __future__ import annotations

import duckdb
import numpy as np
import pyarrow as pa
import pytest

from marketsql.engines.spark import batches
from marketsql.errors import ModelError
from marketsql.models.propensity.scoring import model_of, reasons
from marketsql.models.registry import Registry

FEATURES = ("x", "y")
ARRAYS = {  # one tree: x <= 0.5 -> leaf 1 (-1.0), else leaf 2 (+2.0)
    "t0_feature": np.array([0, 0, 0], dtype=np.int64), "t0_threshold": np.array([0.5, 0.0, 0.0]),
    "t0_left": np.array([1, -1, -1], dtype=np.int64), "t0_right": np.array([2, -1, -1], dtype=np.int64),
    "t0_leaf": np.array([False, True, True]), "t0_value": np.array([0.0, -1.0, 2.0]),
    "t0_roots": np.array([0], dtype=np.int64)}
PARAMS = {"targets": [{"shape": "trees", "base": 0.25, "a": 1.5, "b": -0.1, "mean": [0.4, 3.0]},
                      {"shape": "linear", "mean": [1.0, 2.0], "scale": [2.0, 4.0], "coef": [0.5, -1.0],
                       "intercept": 0.2}]}


@pytest.fixture
def stored(tmp_path) -> batches.Stored:
    con = duckdb.connect(str(tmp_path / "registry.duckdb"))
    registry = Registry(con)
    record = registry.register("propensity", "hgb+logistic", PARAMS, list(FEATURES), {}, ARRAYS, "fingerprint")
    batches._loaded.clear()  # the workers' cache of verified models
    return batches.Stored(record, registry.stored_arrays(record))


def test_propensity_batches_score_as_the_numpy_scorers(stored):
    rows = {"customer_id": ["a", "b", "c", "d", "e", "f"], "target": ["repeat", "repeat", "cases", "cases", "cases",
                                                                       "gone"],
            "target_index": [0, 0, 1, 1, None, 7], "x": [0.1, 0.9, 3.0, None, 1.0, 1.0],
            "y": [1.0, 2.0, -1.0, 0.0, 0.0, 0.0]}
    out = list(batches.propensity(stored, FEATURES)(iter([pa.RecordBatch.from_pydict(rows)])))
    assert len(out) == 1 and out[0].schema.names == ["customer_id", "target", "probability", "reasons"]
    got = out[0].to_pydict()
    x = np.array([[0.1, 1.0], [0.9, 2.0], [3.0, -1.0]])
    trees, linear = model_of(PARAMS, ARRAYS, 0), model_of(PARAMS, ARRAYS, 1)
    expected = [*trees.probability(x[:2]), *linear.probability(x[2:])]
    assert got["probability"][:3] == pytest.approx(expected, rel=1e-15)
    assert got["probability"][3:] == [None] * 3  # a NULL feature or target index, no such target: NULL, as in DuckDB
    assert got["reasons"][:3] == [*reasons(trees, x[:2], FEATURES), *reasons(linear, x[2:], FEATURES)]
    assert got["reasons"][3:] == [None] * 3 and got["customer_id"] == rows["customer_id"]


def test_altered_model_bytes_are_refused_before_scoring(stored):
    key, dtype, shape, data = stored.arrays[-1]
    altered = batches.Stored(stored.record, [*stored.arrays[:-1], (key, dtype, shape, data[:-1] + b"\x01")])
    batch = pa.RecordBatch.from_pydict({"customer_id": ["a"], "target": ["repeat"], "target_index": [0],
                                        "x": [0.1], "y": [1.0]})
    with pytest.raises(ModelError, match="failed its checksum"):
        list(batches.propensity(altered, FEATURES)(iter([batch])))
