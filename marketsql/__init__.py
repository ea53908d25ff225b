"""marketsql: marketing analytics inside the database.

    import marketsql
    project = marketsql.Project.load(".")
    project.build()
    con = project.connect()
"""

from typing import TYPE_CHECKING, Any

from marketsql.errors import (
    ConfigError,
    CorruptDatabaseError,
    DatabaseLockedError,
    DependencyError,
    MarketsqlError,
    ModelError,
    SourceError,
    SqlError,
    UdfError,
)
from marketsql.version import __version__

if TYPE_CHECKING:
    from marketsql.core.udfs import udf
    from marketsql.project import Project, connect, init

# imported on first use, so that `import marketsql.cli` (and `marketsql --help`) does not pay for DuckDB,
# pyarrow and pandas: name -> module that defines it
_LAZY = {"udf": "marketsql.core.udfs", "Project": "marketsql.project", "connect": "marketsql.project",
         "init": "marketsql.project"}


def __getattr__(name: str) -> Any:
    """``marketsql.Project``, ``marketsql.connect``, ``marketsql.init``, ``marketsql.udf``, imported on first use."""
    if name in _LAZY:
        from importlib import import_module

        value = getattr(import_module(_LAZY[name]), name)
        globals()[name] = value
        return value
    raise AttributeError(f"module 'marketsql' has no attribute {name!r}")


__all__ = [
    "ConfigError",
    "CorruptDatabaseError",
    "DatabaseLockedError",
    "DependencyError",
    "MarketsqlError",
    "ModelError",
    "Project",
    "SourceError",
    "SqlError",
    "UdfError",
    "__version__",
    "connect",
    "init",
    "udf",
]
