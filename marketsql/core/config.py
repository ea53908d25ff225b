"""Reading a project's configuration: ``marketsql.toml`` or ``[tool.marketsql]`` in pyproject.toml."""

from __future__ import annotations

import tomllib
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import Any

from marketsql.errors import ConfigError

from .config_schema import validate
from .dbsources import ENGINES, DatabaseSource, parse
from .sqltext import is_simple_name, is_type_name

CONFIG_FILE = "marketsql.toml"
RESERVED_SOURCES = {"settings"}


@dataclass(frozen=True)
class SourceConfig:
    """One raw input, loaded into ``raw.<name>`` at build."""

    name: str
    paths: tuple[str, ...]
    format: str  # "csv" or "parquet"
    columns: Mapping[str, str] = field(default_factory=dict)  # required columns and their SQL types
    options: Mapping[str, Any] = field(default_factory=dict)  # extra read_csv options
    grain: str | None = None  # "day" or "month": how finely the rows are dated (None: detected from the dates)
    database: DatabaseSource | None = None  # read from an operational database instead of files (paths empty)


@dataclass(frozen=True)
class ProjectConfig:
    """Everything a project's TOML declares, with paths made absolute."""

    root: Path
    config_file: Path
    database: Path
    sources: Mapping[str, SourceConfig]
    settings: Mapping[str, str]
    extends: Path | None = None
    memory_limit: str | None = None
    targets: Mapping[str, Any] = field(default_factory=dict)  # [targets.postgres] dsn / schema / readers


def find_config(root: Path) -> tuple[Path, dict[str, Any]] | None:
    """Return (file, table) of the project config in ``root``, or None if there is none."""
    toml_file = root / CONFIG_FILE
    if toml_file.is_file():
        return toml_file, _read_toml(toml_file)
    pyproject = root / "pyproject.toml"
    if pyproject.is_file():
        tool = _read_toml(pyproject).get("tool")
        table = tool.get("marketsql") if isinstance(tool, dict) else None
        if table is not None:
            return pyproject, table
    return None


def config_label(config_file: Path) -> str:
    """How messages name the config: ``marketsql.toml`` or ``pyproject.toml [tool.marketsql]``."""
    return config_file.name if config_file.name == CONFIG_FILE else f"{config_file.name} [tool.marketsql]"


def load_config(
    root: str | Path,
    source_overrides: Mapping[str, str] | None = None,
    setting_overrides: Mapping[str, str] | None = None,
    database: str | Path | None = None,
) -> ProjectConfig:
    """Read and validate the configuration of the project in ``root``.

    ``source_overrides`` maps a source name to a path (relative to the current directory) that
    replaces the configured one, as ``--source name=PATH`` does on the command line;
    ``database`` replaces the configured database file.
    """
    root = _resolved(Path(root), "the project folder")
    if not root.is_dir():
        state = "is a file, not a folder" if root.exists() else "does not exist"
        raise ConfigError(f"project folder {root} {state} — pass the project folder with -p DIR,"
                          " or run `marketsql init DIR` to start one")
    found = find_config(root)
    if found is None:
        raise ConfigError(
            f"{root} is not a marketsql project: no {CONFIG_FILE} and no [tool.marketsql] in pyproject.toml"
            " — run `marketsql init DIR` to start one"
        )
    config_file, table = found
    where = config_label(config_file)
    validate(table, where)
    sources = {name: _source(name, spec, root, where) for name, spec in table.get("sources", {}).items()}
    for name, path in (source_overrides or {}).items():
        if name not in sources:
            known = ", ".join(sorted(sources)) or "none"
            raise ConfigError(f"--source {name}=…: no source named {name!r} in {where} (known: {known})")
        sources[name] = _with_path(sources[name], str(_resolved(Path(path), f"--source {name}")))
    settings = {str(k): str(v) for k, v in table.get("settings", {}).items()}
    settings.update({str(k): str(v) for k, v in (setting_overrides or {}).items()})
    _check_settings(settings, where)
    extends = table.get("extends")
    return ProjectConfig(
        root=root,
        config_file=config_file,
        database=_resolved(Path(database or root / str(table.get("database", "marketsql.duckdb"))), "the database"),
        sources=sources,
        settings=settings,
        extends=_extends(root, extends, where) if extends else None,
        memory_limit=table.get("memory_limit"),
        targets=dict(table.get("targets", {})),
    )


def _resolved(path: Path, what: str) -> Path:
    """``path`` made absolute with symlinks resolved; a symlink loop is a ConfigError naming it."""
    try:
        return path.resolve()
    except (RuntimeError, OSError) as exc:  # RuntimeError: "Symlink loop from …"
        raise ConfigError(f"{what} {path.absolute()} is a symlink loop ({exc}) — remove the link"
                          f" (rm {path.absolute()}) or point it at a real path") from exc


def _extends(root: Path, extends: str, where: str) -> Path:
    """The base project folder named by ``extends``, which must be another marketsql project."""
    base = _resolved(root / extends, f"{where}: extends =")
    if base == root:
        raise ConfigError(f"{where}: extends = {extends!r} is this project itself — point it at the base project's"
                          " folder, or remove the line")
    if not base.is_dir():
        state = "is a file, not a folder" if base.exists() else "does not exist"
        raise ConfigError(f"{where}: extends = {extends!r} points to {base}, which {state}"
                          " — fix the path (it is relative to this project's folder)")
    if find_config(base) is None:
        raise ConfigError(f"{where}: extends = {extends!r} points to {base}, which is not a marketsql project"
                          f" (no {CONFIG_FILE}) — point it at the base project's folder")
    return base


def _check_settings(settings: Mapping[str, str], where: str) -> None:
    value = settings.get("analysis_date")
    if value is not None:
        try:
            date.fromisoformat(value)
        except ValueError as exc:
            raise ConfigError(
                f"{where}: settings.analysis_date {value!r} is not a date — write it as YYYY-MM-DD"
            ) from exc


def _read_toml(path: Path) -> dict[str, Any]:
    try:
        return tomllib.loads(path.read_text(encoding="utf-8"))
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"{path}: invalid TOML ({exc}) — fix the syntax") from exc
    except UnicodeDecodeError as exc:
        raise ConfigError(f"{path}: not UTF-8 text ({exc.reason} at byte {exc.start}) — save it as UTF-8") from exc


def _source(name: str, spec: Any, root: Path, where: str) -> SourceConfig:
    if not is_simple_name(name) or name in RESERVED_SOURCES:
        raise ConfigError(
            f"{where}: source name {name!r} is not allowed — use letters, digits and _ (not 'settings')"
        )
    if isinstance(spec, str):
        spec = {"path": spec}
    if isinstance(spec, dict) and any(engine in spec for engine in ENGINES):
        return SourceConfig(name=name, paths=(), format="database", columns=_declared(spec, name, where),
                            grain=spec.get("grain"), database=parse(name, spec, where))
    if not isinstance(spec, dict) or "path" not in spec:
        raise ConfigError(f"{where}: [sources.{name}] needs a path — e.g. path = \"data/{name}.csv\"")
    raw_paths = spec["path"] if isinstance(spec["path"], list) else [spec["path"]]
    paths = tuple(str(_resolved(root / p, f"{where}: sources.{name}.path")) if not Path(p).is_absolute() else p
                  for p in raw_paths)
    fmt = spec.get("format") or _infer_format(paths[0])
    if fmt not in ("csv", "parquet"):
        raise ConfigError(f"{where}: source {name}: format {fmt!r} unknown — use 'csv' or 'parquet'")
    columns = _declared(spec, name, where)
    options = {k: v for k, v in spec.items() if k not in ("path", "format", "columns", "grain")}
    if options and fmt == "parquet":
        raise ConfigError(f"{where}: sources.{name}.{sorted(options)[0]} applies to CSV files only, and this source"
                          " is Parquet — remove the option")
    return SourceConfig(name=name, paths=paths, format=fmt, columns=columns, options=options, grain=spec.get("grain"))


def _declared(spec: Mapping[str, Any], name: str, where: str) -> dict[str, str]:
    """The source's required columns and their types (``columns = { … }``)."""
    columns = {str(c): str(t) for c, t in spec.get("columns", {}).items()}
    for column, type_name in columns.items():
        if not is_type_name(type_name):
            raise ConfigError(f"{where}: source {name}, column {column}: {type_name!r} is not a SQL type"
                              " — use a DuckDB type such as VARCHAR, INTEGER, DOUBLE, DATE or TIMESTAMP")
    return columns


def _infer_format(path: str) -> str:
    lower = path.lower()
    if lower.endswith((".parquet", ".pq")):
        return "parquet"
    if lower.endswith((".csv", ".csv.gz", ".tsv", ".tsv.gz", ".txt", ".txt.gz")):
        return "csv"
    raise ConfigError(f"cannot tell the format of {path} — add format = 'csv' or 'parquet' to the source")


def _with_path(source: SourceConfig, path: str) -> SourceConfig:
    try:
        fmt = _infer_format(path)
    except ConfigError:
        fmt = source.format
    return SourceConfig(source.name, (path,), fmt, source.columns, source.options, source.grain)
