"""One error hierarchy. The library raises these; only the CLI prints them.

Every message reads as ``<what went wrong> — <how to fix it>`` and names the file, column or
value involved, so the CLI can print it on one line.
"""

from __future__ import annotations


class MarketsqlError(Exception):
    """Base class of every error marketsql raises on purpose."""


class ConfigError(MarketsqlError):
    """The project configuration (marketsql.toml / [tool.marketsql]) is missing or wrong."""


class SourceError(MarketsqlError):
    """A raw source cannot be loaded: missing file, missing column, unparseable value, empty."""


class SqlError(MarketsqlError):
    """A SQL file is invalid or fails in the database; names the file and line."""


class DependencyError(SqlError):
    """The views' dependencies cannot be ordered: a cycle or an unknown table."""


class UnsafeSqlError(SqlError):
    """A name or value cannot be put into SQL safely (not a plain name, not a finite number, a NUL)."""


class UdfError(MarketsqlError):
    """A UDF module fails to import or declares a function wrongly."""


class DatabaseLockedError(MarketsqlError):
    """Another process holds the project database open."""


class ModelError(MarketsqlError):
    """A model is missing, cannot be trained, or its stored artifact fails verification."""


class ResourceError(MarketsqlError):
    """The machine ran out of something (memory, disk space) — not a fault of the SQL or the data."""


class UsageError(MarketsqlError):
    """The command line is wrong: an unknown command or option, a missing argument, a bad value."""


class CorruptDatabaseError(MarketsqlError):
    """The project database file (or its write-ahead log) is not a valid DuckDB file."""
