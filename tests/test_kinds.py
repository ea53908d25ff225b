"""The common test of every model kind, run over the table of kinds (like scikit-learn's
``parametrize_with_checks``): a kind added to ``marketsql.models.KINDS`` is checked here without a line of new
test code — its shape, its stand-ins before training, SQL equal to Python once trained, a second version and the
roll-back to the first, and options it does not have."""

from __future__ import annotations

import inspect
import shutil
from pathlib import Path

import duckdb
import numpy as np
import pytest

import marketsql
from marketsql.errors import ModelError
from marketsql.models import KINDS, kind
from marketsql.models.kind import ModelKind
from marketsql.models.registry import Registry

# options that keep a training short on the small shop (800 customers); every other kind trains on its defaults
QUICK = {"recommendation": {"candidates": "popularity,item_cosine"}}


def _versions(root: Path, name: str) -> list[tuple[int, str]]:
    con = duckdb.connect(str(marketsql.Project.load(root).database), read_only=True)
    try:
        return con.execute("SELECT version, status FROM meta.models WHERE name = ? ORDER BY version",
                           [name]).fetchall()
    finally:
        con.close()


@pytest.mark.parametrize("name", KINDS)
def test_shape(name: str) -> None:
    made = kind(name)
    assert isinstance(made, ModelKind) and made.name == name
    assert made.reads, f"{name}: say which views the training reads"
    accepted = inspect.signature(made.train).parameters
    assert list(accepted)[0] == "context"
    assert set(made.options) <= set(accepted), f"{name}: options the CLI passes but train() does not take"
    assert made.untrained == f"no trained {name} model in this database — run `marketsql train {name}`"


@pytest.mark.parametrize("name", KINDS)
def test_untrained_functions_say_what_to_run(name: str) -> None:
    con = duckdb.connect()
    try:
        before = {row[0] for row in con.execute("SELECT function_name FROM duckdb_functions()").fetchall()}
        kind(name).compile_untrained(con)
        made = con.execute("SELECT function_name, macro_definition FROM duckdb_functions()"
                           " WHERE function_type IN ('macro', 'table_macro')").fetchall()
    finally:
        con.close()
    new = {function: definition for function, definition in made if function not in before}
    assert new, f"{name}: compile_untrained created no function"
    saying = [function for function, definition in new.items() if f"marketsql train {name}" in (definition or "")]
    assert saying, f"{name}: no stand-in says `marketsql train {name}`: {sorted(new)}"


@pytest.mark.parametrize("name", KINDS)
def test_sql_equals_python_on_the_active_version(name: str, small_shop: Path) -> None:
    con = marketsql.connect(small_shop, read_only=True)
    try:
        record = Registry(con).active(name)
        from_sql, from_python = kind(name).sql_and_python(con, record)
    finally:
        con.close()
    assert len(from_sql) > 0 and from_sql.shape == from_python.shape
    np.testing.assert_allclose(from_sql, from_python, rtol=kind(name).sql_python_rtol, atol=1e-12, equal_nan=True)


@pytest.mark.slow
@pytest.mark.parametrize("name", KINDS)
def test_train_again_then_roll_back(name: str, small_shop: Path, tmp_path: Path) -> None:
    root = Path(shutil.copytree(small_shop, tmp_path / "shop"))
    project = marketsql.Project.load(root)
    first = [v for v, status in _versions(root, name) if status == "active"]
    trained = project.train(name, **QUICK.get(name, {}))
    assert trained.record.version == max(first) + 1 and trained.build is not None
    assert trained.record.metrics, f"{name}: no metrics stored with the version"
    lines = kind(name).training_lines(trained.result, trained.record)
    assert any(f"v{trained.record.version}" in line for line in lines), lines
    activated = project.activate(name, first[0])
    assert activated.record.version == first[0]
    assert [v for v, status in _versions(root, name) if status == "active"] == first
    con = project.connect(read_only=True)
    try:
        from_sql, from_python = kind(name).sql_and_python(con, Registry(con).active(name))
    finally:
        con.close()
    np.testing.assert_allclose(from_sql, from_python, rtol=kind(name).sql_python_rtol, atol=1e-12, equal_nan=True)


@pytest.mark.parametrize("name", KINDS)
def test_an_option_it_does_not_have_is_one_clear_error(name: str, shop: Path) -> None:
    before = _versions(shop, name)
    with pytest.raises(ModelError) as raised:
        marketsql.Project.load(shop).train(name, bogus_option=1)
    assert str(raised.value).startswith(f"{name} has no option bogus_option — its options:")
    assert _versions(shop, name) == before
