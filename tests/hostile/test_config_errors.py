"""Hostile configs: wrong types, unknown keys, impossible `extends` — each one Error: line, no traceback."""

from __future__ import annotations

import textwrap
from pathlib import Path

import pytest

from .clirun import error_line

ORDERS = "order_id,quantity\nO1,2\n"
BASE = 'database = "p.duckdb"\n[sources.orders]\npath = "orders.csv"\ncolumns = { order_id = "VARCHAR" }\n'


def project(tmp_path: Path, toml: str, name: str = "marketsql.toml") -> Path:
    root = tmp_path / "p"
    (root / "sql").mkdir(parents=True)
    (root / "orders.csv").write_text(ORDERS)
    (root / name).write_text(textwrap.dedent(toml))
    return root


WRONG_TYPES = {
    "path = 5": (
        '[sources.orders]\npath = 5\n',
        'marketsql.toml: sources.orders.path must be a string or a list of strings, not 5'
        ' — e.g. path = "data/orders/*.csv.gz"'),
    "path = []": (
        '[sources.orders]\npath = []\n',
        'marketsql.toml: sources.orders.path must be a string or a list of strings, not []'
        ' — e.g. path = "data/orders/*.csv.gz"'),
    'columns = "x"': (
        '[sources.orders]\npath = "orders.csv"\ncolumns = "x"\n',
        'marketsql.toml: sources.orders.columns must be a table, not "x"'
        ' — e.g. columns = { order_id = "VARCHAR", quantity = "INTEGER" }'),
    "column type 5": (
        '[sources.orders]\npath = "orders.csv"\ncolumns = { quantity = 5 }\n',
        'marketsql.toml: sources.orders.columns.quantity must be a SQL type name as a string, not 5'
        ' — e.g. columns = { order_id = "VARCHAR" }'),
    "memory_limit = 5": (
        'memory_limit = 5\n',
        'marketsql.toml: memory_limit must be a size with its unit (KB, MB, GB, TB, KiB … or %), not 5'
        ' — e.g. memory_limit = "4GB"'),
    'memory_limit = "lots"': (
        'memory_limit = "lots"\n',
        'marketsql.toml: memory_limit must be a size with its unit (KB, MB, GB, TB, KiB … or %), not "lots"'
        ' — e.g. memory_limit = "4GB"'),
    'memory_limit = "4096"': (
        'memory_limit = "4096"\n',
        'marketsql.toml: memory_limit must be a size with its unit (KB, MB, GB, TB, KiB … or %), not "4096"'
        ' — e.g. memory_limit = "4GB"'),
    'database = ""': (
        'database = ""\n',
        'marketsql.toml: database must be a file name, not "" — e.g. database = "marketsql.duckdb"'),
    "database = []": (
        'database = []\n',
        'marketsql.toml: database must be a file name, not [] — e.g. database = "marketsql.duckdb"'),
    "settings = 3": (
        'settings = 3\n',
        'marketsql.toml: settings must be a table, not 3 — e.g. [settings] then lines such as'
        ' analysis_date = "2011-12-01"'),
    "setting is a table": (
        '[settings.analysis_date]\nday = 1\n',
        'marketsql.toml: settings.analysis_date must be a string, number, boolean or date, not a table'
        ' — e.g. analysis_date = "2011-12-01"'),
    'header = "maybe"': (
        '[sources.orders]\npath = "orders.csv"\nheader = "maybe"\n',
        'marketsql.toml: sources.orders.header must be true or false, not "maybe" — e.g. header = true'),
    "skip = -1": (
        '[sources.orders]\npath = "orders.csv"\nskip = -1\n',
        'marketsql.toml: sources.orders.skip must be a whole number ≥ 0, not -1 — e.g. skip = 1'),
    'format = "xlsx"': (
        '[sources.orders]\npath = "orders.csv"\nformat = "xlsx"\n',
        'marketsql.toml: sources.orders.format must be \'csv\' or \'parquet\', not "xlsx" — e.g. format = "csv"'),
    "extends = 5": (
        'extends = 5\n',
        'marketsql.toml: extends must be a folder name, not 5 — e.g. extends = "../base"'),
    "sources = 5": (
        'sources = 5\n',
        'marketsql.toml: sources must be a table, not 5 — e.g. [sources.orders] then path = "data/orders.csv"'),
    "sources.orders = 5": (
        'sources.orders = 5\n',
        'marketsql.toml: sources.orders must be a string or a table, not 5'
        ' — e.g. [sources.orders] then path = "data/orders.csv"'),
    "targets = 1": (
        'targets = 1\n',
        'marketsql.toml: targets must be a table, not 1 — e.g. [targets]'),
    "targets.postgres = \"dsn\"": (
        'targets.postgres = "postgresql://x"\n',
        'marketsql.toml: targets.postgres must be a table, not "postgresql://x" — e.g. [targets.postgres]'),
    "targets.postgres.dsn = 5": (
        '[targets.postgres]\ndsn = 5\n',
        'marketsql.toml: targets.postgres.dsn must be a string, not 5 — e.g. dsn = "postgresql://user@host:5432/db"'),
    "targets.postgres.readers = [1]": (
        '[targets.postgres]\nreaders = [1]\n',
        'marketsql.toml: targets.postgres.readers must be a string or a list of strings, not [1]'
        ' — e.g. readers = ["bi_reader"]'),
}


@pytest.mark.parametrize("toml, line", WRONG_TYPES.values(), ids=list(WRONG_TYPES))
def test_wrong_type_is_one_line_naming_key_and_value(tmp_path, toml, line):
    root = project(tmp_path, toml)
    assert error_line("check", "-p", str(root)) == f"Error: {line}"


UNKNOWN_KEYS = {
    "databse": (
        'databse = "x.duckdb"\n',
        "unknown key 'databse' in marketsql.toml (did you mean 'database'?)"
        " — allowed: database, extends, memory_limit, settings, sources, targets"),
    "[setings]": (
        '[setings]\nanalysis_date = "2011-12-01"\n',
        "unknown key 'setings' in marketsql.toml (did you mean 'settings'?)"
        " — allowed: database, extends, memory_limit, settings, sources, targets"),
    "misspelt source option": (
        BASE + 'delimiter = ";"\n',
        "unknown key 'sources.orders.delimiter' in marketsql.toml (did you mean 'sources.orders.delim'?)"
        " — allowed: columns, dateformat, delim, encoding, escape, format, grain, header, incremental, key,"
        " max_line_size, mysql, null_padding, path, postgres, query, quote, skip, table, timestampformat"),
    "unknown target": (
        '[targets.postgress]\ndsn = "postgresql://x"\n',
        "unknown key 'targets.postgress' in marketsql.toml (did you mean 'targets.postgres'?) — allowed: postgres"),
    "nothing close": (
        'colour = "blue"\n',
        "unknown key 'colour' in marketsql.toml — allowed: database, extends, memory_limit, settings, sources,"
        " targets"),
}


@pytest.mark.parametrize("toml, line", UNKNOWN_KEYS.values(), ids=list(UNKNOWN_KEYS))
def test_unknown_key_is_rejected_with_a_suggestion(tmp_path, toml, line):
    root = project(tmp_path, toml)
    assert error_line("check", "-p", str(root)) == f"Error: {line}"


def test_pyproject_tool_marketsql_is_validated_too(tmp_path):
    root = project(tmp_path, '[project]\nname = "x"\n[tool.marketsql]\ndatabse = "x.duckdb"\n', "pyproject.toml")
    assert error_line("check", "-p", str(root)) == (
        "Error: unknown key 'databse' in pyproject.toml [tool.marketsql] (did you mean 'database'?)"
        " — allowed: database, extends, memory_limit, settings, sources, targets")
    (root / "pyproject.toml").write_text('[tool.marketsql]\nmemory_limit = 5\n')
    assert error_line("check", "-p", str(root)) == (
        'Error: pyproject.toml [tool.marketsql]: memory_limit must be a size with its unit (KB, MB, GB, TB, KiB … or'
        ' %), not 5 — e.g. memory_limit = "4GB"')
    (root / "pyproject.toml").write_text('[tool]\nmarketsql = 5\n')
    assert error_line("check", "-p", str(root)) == (
        "Error: pyproject.toml [tool.marketsql]: the configuration must be a table, not 5 — e.g. [tool.marketsql]")


def test_csv_option_on_a_parquet_source(tmp_path):
    root = project(tmp_path, '[sources.orders]\npath = "orders.parquet"\ndelim = ";"\n')
    assert error_line("check", "-p", str(root)) == (
        "Error: marketsql.toml: sources.orders.delim applies to CSV files only, and this source is Parquet"
        " — remove the option")


def test_valid_config_still_loads(tmp_path):
    root = project(tmp_path, 'memory_limit = "1.5 GiB"\n' + BASE
                   + 'header = true\nskip = 0\ndelim = ","\n[settings]\nanalysis_date = 2024-01-01\n'
                   'flag = true\n[targets.postgres]\ndsn = "postgresql://x@h/db"\nreaders = "bi"\n')
    import marketsql

    config = marketsql.Project.load(root).config
    assert config.sources["orders"].options == {"header": True, "skip": 0, "delim": ","}
    assert config.settings == {"analysis_date": "2024-01-01", "flag": "True"}
    assert config.memory_limit == "1.5 GiB"


def test_extends_itself(tmp_path):
    root = project(tmp_path, 'extends = "."\n' + BASE)
    assert error_line("check", "-p", str(root)) == (
        "Error: marketsql.toml: extends = '.' is this project itself — point it at the base project's folder,"
        " or remove the line")


def test_extends_a_missing_folder_or_a_non_project(tmp_path):
    root = project(tmp_path, 'extends = "../base"\n' + BASE)
    assert error_line("check", "-p", str(root)) == (
        f"Error: marketsql.toml: extends = '../base' points to {tmp_path / 'base'}, which does not exist"
        " — fix the path (it is relative to this project's folder)")
    (tmp_path / "base").mkdir()
    assert error_line("check", "-p", str(root)) == (
        f"Error: marketsql.toml: extends = '../base' points to {tmp_path / 'base'}, which is not a marketsql"
        " project (no marketsql.toml) — point it at the base project's folder")


def test_extends_loop_through_two_projects(tmp_path):
    root = project(tmp_path, 'extends = "../base"\n' + BASE)
    base = tmp_path / "base"
    base.mkdir()
    (base / "marketsql.toml").write_text('extends = "../p"\n')
    assert error_line("check", "-p", str(root)) == (
        f"Error: {base / 'marketsql.toml'}: `extends` loops back to {root} — remove `extends` from one of"
        " the projects in the loop")


def test_project_folder_missing_or_a_file(tmp_path):
    missing = tmp_path / "nowhere"
    assert error_line("check", "-p", str(missing)) == (
        f"Error: project folder {missing} does not exist — pass the project folder with -p DIR,"
        " or run `marketsql init DIR` to start one")
    (tmp_path / "file").write_text("x")
    assert error_line("check", "-p", str(tmp_path / "file")) == (
        f"Error: project folder {tmp_path / 'file'} is a file, not a folder — pass the project folder with -p DIR,"
        " or run `marketsql init DIR` to start one")


def test_project_folder_is_a_symlink_loop(tmp_path):
    loop = tmp_path / "loop"
    loop.symlink_to(loop)
    assert error_line("check", "-p", str(loop)) == (
        f"Error: the project folder {loop} is a symlink loop (Symlink loop from '{loop}') — remove the link"
        f" (rm {loop}) or point it at a real path")


def test_config_that_is_not_utf8(tmp_path):
    root = project(tmp_path, "")
    (root / "marketsql.toml").write_bytes('database = "café.duckdb"\n'.encode("latin-1"))
    assert error_line("check", "-p", str(root)) == (
        f"Error: {root / 'marketsql.toml'}: not UTF-8 text (invalid continuation byte at byte 15) — save it as UTF-8")


def test_error_in_an_extended_base_names_the_base(tmp_path):
    root = project(tmp_path, 'extends = "../base"\n' + BASE)
    base = tmp_path / "base"
    base.mkdir()
    (base / "marketsql.toml").write_text('databse = "x.duckdb"\n')
    assert error_line("check", "-p", str(root)) == (
        f"Error: in the base project {base} (extends): unknown key 'databse' in marketsql.toml (did you mean"
        " 'database'?) — allowed: database, extends, memory_limit, settings, sources, targets")
