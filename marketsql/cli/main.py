"""The console-script entry point: run the app; errors, usage errors and interrupts become one line."""

from __future__ import annotations

import signal
import sys
from collections.abc import Sequence
from types import FrameType

import typer

from .app import app, err


class _Interrupted(BaseException):
    """Raised by the SIGINT/SIGTERM handler: not an Exception, so only cleanup code (finally) sees it."""


_signals: list[int] = []


def _on_signal(signum: int, frame: FrameType | None) -> None:
    if not _signals:  # the first one interrupts; later ones must not break the cleanup it runs
        _signals.append(signum)
        raise _Interrupted(signal.Signals(signum).name)


def main(argv: Sequence[str] | None = None) -> None:
    """Console-script entry point: run the app, turning errors into one line and exit code 1, and Ctrl-C
    or SIGTERM into one line and exit code 130 / 143 (the build's cleanup runs first)."""
    given = list(sys.argv[1:] if argv is None else argv)
    debug = "--debug" in given
    args = [a for a in given if a != "--debug"]
    previous = {signum: signal.signal(signum, _on_signal) for signum in (signal.SIGINT, signal.SIGTERM)}
    _signals.clear()
    try:
        _run(args)
    except BaseException as exc:  # noqa: BLE001 - a signal can surface as any exception (DuckDB: RuntimeError)
        import duckdb  # only now: `marketsql --help` must not pay for it

        from marketsql.core.database import replaced
        from marketsql.errors import MarketsqlError

        if _signals or isinstance(exc, KeyboardInterrupt):
            if debug:
                raise
            done = f"{replaced[-1]} was already replaced" if replaced else "the previous database is unchanged"
            err.print(f"Interrupted — {done}", markup=False, soft_wrap=True)
            sys.exit(128 + (_signals[0] if _signals else signal.SIGINT))
        if debug or not isinstance(exc, MarketsqlError | duckdb.Error | OSError):
            raise
        text = str(_explained(exc)).strip()
        err.print(f"Error: {text.splitlines()[0] if text else type(exc).__name__}", markup=False, soft_wrap=True)
        sys.exit(1)
    finally:
        for signum, handler in previous.items():  # main() may run in-process (tests): leave no handler behind
            signal.signal(signum, handler)


def _explained(exc: Exception) -> Exception:
    """A DuckDB error that means a damaged database file, or a bare OSError, as a line that says what to do."""
    import duckdb

    from marketsql.core.database import damaged

    if isinstance(exc, OSError) and not isinstance(exc, duckdb.Error):  # a file operation nothing checked first
        where = f" {exc.filename}" if exc.filename else ""
        return OSError(f"cannot use{where}: {exc.strerror or exc} — check the path and its permissions"
                       " (--debug shows where it happened)")
    return (damaged(exc) or exc) if isinstance(exc, duckdb.Error) else exc


def _run(args: list[str]) -> None:
    """Run the app without click's own error panels: a usage error raises UsageError (one line)."""
    from marketsql.errors import UsageError

    try:
        code = app(args=args or ["--help"], prog_name="marketsql", standalone_mode=False)
    except typer.TyperException as exc:  # click's UsageError, BadParameter, NoSuchOption, FileError …
        raise UsageError(_usage_line(exc, args)) from exc
    except typer.Abort as exc:  # click turns Ctrl-C (KeyboardInterrupt) into Abort
        if isinstance(exc.__cause__ or exc.__context__, KeyboardInterrupt):
            raise KeyboardInterrupt from exc
        sys.exit(1)
    if isinstance(code, int) and code:
        sys.exit(code)


def _usage_line(exc: typer.TyperException, args: Sequence[str]) -> str:
    """``<what> — see marketsql CMD --help`` for a click usage error, on one line."""
    ctx = getattr(exc, "ctx", None)
    command = ctx.command_path if ctx is not None else "marketsql"
    named = next((a for a in args if not a.startswith("-")), None)
    if command == "marketsql" and named in command_names():
        command = f"marketsql {named}"  # an option of the command failed before its context existed
    what = " ".join(exc.format_message().split()).rstrip(".")
    param, hint = getattr(exc, "param", None), getattr(exc, "param_hint", None)
    opts = getattr(param, "opts", None) or ([hint] if isinstance(hint, str) else [])
    value = _given_value(opts, args)
    if value is not None and what.startswith("Invalid value for "):
        what = f"Invalid value {value!r} for {what.removeprefix('Invalid value for ')}"
    return f"{what} — see {command} --help"


def command_names() -> list[str]:
    """The name of every ``marketsql`` command, as typed."""
    return [c.name or c.callback.__name__ for c in app.registered_commands if c.callback is not None]


def _given_value(opts: Sequence[str], args: Sequence[str]) -> str | None:
    """The value given on the command line to an option spelt one of ``opts`` (last one wins)."""
    value = None
    for position, arg in enumerate(args):
        name, sep, attached = arg.partition("=")
        if name in opts:
            value = attached if sep else (args[position + 1] if position + 1 < len(args) else None)
    return value
