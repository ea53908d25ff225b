"""marketsql: marketing analytics inside the database.

    import marketsql
    project = marketsql.Project.load(".")
    project.build()
    con = project.connect()
"""

from .errors import (
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
from .project import Project, connect, init
from .udfs import udf

__version__ = "0.1.0"

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
