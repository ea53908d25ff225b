"""marketsql: marketing analytics inside the database.

    import marketsql
    project = marketsql.Project.load(".")
    project.build()
    con = project.connect()
"""

from marketsql.core.udfs import udf
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
from marketsql.project import Project, connect, init
from marketsql.version import __version__

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
