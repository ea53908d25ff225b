"""The ``marketsql`` command: a thin typer layer over the library.

Each command parses its options, makes one library call and prints the result (``render``). Library
errors become one ``Error: …`` line and exit code 1; ``--debug`` shows the traceback instead (``main``).
Modules: ``app`` (the typer app, consoles, shared options), ``project_commands`` (init, build, check,
demo, report, sql), ``model_commands`` (train, activate, models, budget, position, target), ``render``, ``main``.
"""

# importing registers the commands; this order is the order of `marketsql --help`
from . import project_commands  # noqa: F401, I001
from . import model_commands  # noqa: F401, I001
from .app import app
from .main import command_names, main

__all__ = ["app", "command_names", "main"]
