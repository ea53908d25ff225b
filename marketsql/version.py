"""The version of marketsql (read by the packaging too: [tool.hatch.version] in pyproject.toml)."""

__version__ = "0.1.0"
