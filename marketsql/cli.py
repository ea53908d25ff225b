"""The ``marketsql`` command: a thin typer layer over the library.

Each command parses its options, makes one library call and prints the result. Library errors
become one ``Error: …`` line and exit code 1; ``--debug`` shows the traceback instead.
"""

from __future__ import annotations

import csv
import signal
import sys
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager, nullcontext
from pathlib import Path
from types import FrameType
from typing import TYPE_CHECKING, Annotated, Any

import typer
from rich.console import Console

if TYPE_CHECKING:  # the CLI imports the library lazily, command by command
    from .build import BuildResult
    from .postgres.mirror import MirrorResult
    from .registry import ModelRecord

app = typer.Typer(
    help="marketsql: marketing analytics inside the database (DuckDB views, models and UDFs).",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
    add_completion=False,
)
out = Console(highlight=False, soft_wrap=True)
err = Console(stderr=True, highlight=False)

ProjectDir = Annotated[Path, typer.Option("--project", "-p", help="Project folder.", show_default=True)]
SourceOpt = Annotated[
    list[str] | None, typer.Option("--source", "-s", help="Override a source path: NAME=PATH (repeatable).")
]
SetOpt = Annotated[
    list[str] | None, typer.Option("--set", help="Override a setting: KEY=VALUE, e.g. analysis_date=2011-12-01.")
]


@app.callback()
def _root(
    debug: Annotated[bool, typer.Option("--debug", help="Show tracebacks instead of one-line errors.")] = False,
    version: Annotated[bool, typer.Option("--version", help="Print the version and exit.",
                                          callback=lambda v: _print_version(v), is_eager=True)] = False,
) -> None:
    """marketsql: marketing analytics inside the database."""


def _print_version(value: bool) -> None:
    if value:
        from importlib.metadata import version

        out.print(f"marketsql {version('marketsql')}")
        raise typer.Exit()


@app.command()
def init(directory: Annotated[Path, typer.Argument(help="New project folder.")]) -> None:
    """Start a new project from the standard pipeline (sql/, udfs/, marketsql.toml)."""
    from .project import init as init_project

    project = init_project(directory)
    out.print(f"Created project {project.root} — put your data in place, edit sql/staging/, then `marketsql build`")


TargetOpt = Annotated[str, typer.Option("--target", "-t", help="duckdb, or postgres to also mirror onto PostgreSQL.")]
DsnOpt = Annotated[str | None, typer.Option(
    "--dsn", help="PostgreSQL connection (default: $MARKETSQL_PG_DSN, then [targets.postgres] dsn).")]
SchemaOpt = Annotated[str | None, typer.Option(
    "--schema", help="PostgreSQL schema of the mirror (default: [targets.postgres] schema, else marketsql).")]


@app.command()
def build(
    project: ProjectDir = Path("."),
    source: SourceOpt = None,
    set_: SetOpt = None,
    target: TargetOpt = "duckdb",
    dsn: DsnOpt = None,
    schema: SchemaOpt = None,
    reader: Annotated[list[str] | None, typer.Option(
        "--reader", help="PostgreSQL role granted read access to the mirror (repeatable).")] = None,
) -> None:
    """Load the sources and build every view in dependency order (atomically); --target postgres also
    mirrors the result onto PostgreSQL (views, marts and model functions, all or nothing)."""
    from .project import Project

    if target not in ("duckdb", "postgres"):
        raise typer.BadParameter("use duckdb or postgres", param_hint="--target")
    loaded = Project.load(project, _pairs(source, "--source"), _pairs(set_, "--set"))
    if target == "postgres":
        from .postgres import connection

        pg = connection.resolve(loaded.config.targets, dsn, schema, tuple(reader or ()))
        _fail_on_problems(loaded.check_postgres(server=False).problems)  # before anything is written
        pg.connect().close()  # an unreachable server fails here, before the DuckDB build
    with _status("building") as update:
        result = loaded.build(progress=update)
    _print_build(result)
    if target == "postgres":
        from .postgres.mirror import MirrorRejected

        try:
            with _status("mirroring onto PostgreSQL") as update:
                mirrored = loaded.mirror_postgres(pg.dsn, pg.schema, pg.readers, progress=update)
        except MirrorRejected as rejected:
            _fail_on_problems(rejected.problems)
        _print_mirror(mirrored)


@app.command()
def check(
    project: ProjectDir = Path("."), target: TargetOpt = "duckdb", dsn: DsnOpt = None, schema: SchemaOpt = None
) -> None:
    """Parse every SQL file and UDF module and print the build order, without touching the database;
    --target postgres lists how each object is mirrored and every view that cannot be."""
    from .project import Project

    if target not in ("duckdb", "postgres"):
        raise typer.BadParameter("use duckdb or postgres", param_hint="--target")
    loaded = Project.load(project)
    if target == "postgres":
        _print_postgres_check(loaded.check_postgres(dsn, schema))
        return
    for position, name in enumerate(loaded.check(), 1):
        view = loaded.views[name]
        kind = "table" if view.materialized or view.functions & loaded.udfs.keys() else "view"
        out.print(f"{position:3d}  {kind:<5}  {name:<34} {view.label}", soft_wrap=True)


@app.command()
def demo(
    directory: Annotated[Path, typer.Argument(help="Project folder (created from the pipeline if new).")] = Path("."),
    customers: Annotated[int, typer.Option(help="Number of demo customers (~10 order lines each).")] = 20_000,
    seed: Annotated[int, typer.Option(help="Random seed; the same seed gives the same data.")] = 7,
) -> None:
    """Generate the demo smartphone retailer, build the standard pipeline, train, write report.html."""
    from .demo_project import run_demo, summary
    from .project import Project

    with _status("demo") as update:
        result = run_demo(directory, customers=customers, seed=seed, progress=update)
    _print_build(result)
    for line in summary(Project.load(directory)):
        out.print(f"  {line}")
    out.print(f"Report: {(directory / 'report.html').resolve()} (open it in a browser)")
    out.print(f'Next: marketsql sql -p {directory} "SELECT * FROM customer_features LIMIT 5"')


@app.command()
def train(
    model: Annotated[
        str, typer.Argument(help="Model to train: segmentation, recommendation, positioning, forecast, budget or clv.")
    ],
    project: ProjectDir = Path("."),
    k_min: Annotated[int, typer.Option(help="segmentation: smallest number of segments tried.")] = 3,
    k_max: Annotated[int, typer.Option(help="segmentation: largest number of segments tried.")] = 8,
    seed: Annotated[int, typer.Option(help="Random seed of the fits.")] = 0,
    horizon: Annotated[int, typer.Option(help="forecast: months to forecast.")] = 6,
    holdout: Annotated[
        int | None, typer.Option(help="forecast, budget: months held out to test (default: horizon / 6).")
    ] = None,
    holdout_days: Annotated[int | None, typer.Option(
        help="recommendation: days held out (default 30); clv: days held out (default: setting clv_calibration_end,"
             " else the last 25 %).")] = None,
    calibration_end: Annotated[str | None, typer.Option(help="clv: last day of the calibration period.")] = None,
    horizon_days: Annotated[int, typer.Option(help="clv: horizon of clv_horizon and the value tiers.")] = 365,
    discount: Annotated[float, typer.Option(help="clv: annual discount rate of the CLV.")] = 0.1,
    k: Annotated[int, typer.Option("--k", help="Recommendation: list length the candidates are judged at.")] = 10,
    epochs: Annotated[int | None, typer.Option(help="Recommendation: Keras epochs (default: 10-30).")] = None,
    candidates: Annotated[str | None, typer.Option(help="Recommendation: comma-separated candidates.")] = None,
    source: SourceOpt = None,
    set_: SetOpt = None,
) -> None:
    """Train a model on the built database, compare it with its baseline, register it, rebuild (with the
    last build's sources and settings unless --source/--set are given), all in one atomic step."""
    from .project import Project

    by_model: dict[str, dict[str, Any]] = {"segmentation": {"k_min": k_min, "k_max": k_max, "seed": seed},
                                           "forecast": {"horizon": horizon, "holdout": holdout},
                                           "budget": {} if holdout is None else {"holdout": holdout},
                                           "positioning": {"seed": seed},
                                           "recommendation": {"seed": seed, "k": k, "epochs": epochs,
                                                              "holdout_days": 30 if holdout_days is None
                                                              else holdout_days, "candidates": candidates},
                                           "clv": {"calibration_end": calibration_end, "holdout_days": holdout_days,
                                                   "horizon_days": horizon_days, "discount": discount}}
    options = by_model.get(model, {})
    with _status(f"training {model}") as update:
        loaded = Project.load(project, _pairs(source, "--source"), _pairs(set_, "--set"))
        trained = loaded.train(model, progress=update, **options)
    for note in trained.build.notes if trained.build else ():
        out.print(f"Note: {note}", markup=False)
    if model in ("positioning", "recommendation"):
        from importlib import import_module

        training_lines = import_module(f"marketsql.{model}.report").training_lines

        for line in training_lines(trained.result, trained.record):
            out.print(line)
        return
    if hasattr(trained.result, "lines"):
        for line in trained.result.lines():
            out.print(line)
        out.print(f"Registered {trained.record.name} v{trained.record.version} as active; views rebuilt")
    else:
        _print_training(trained.result, trained.record)


@app.command()
def budget(
    total: Annotated[float, typer.Option(help="Monthly budget to split across channels.")],
    project: ProjectDir = Path("."),
    minimum: Annotated[list[str] | None, typer.Option("--min", help="CHANNEL=AMOUNT floor (repeatable).")] = None,
    maximum: Annotated[list[str] | None, typer.Option("--max", help="CHANNEL=AMOUNT ceiling (repeatable).")] = None,
    objective: Annotated[str, typer.Option(help="revenue (attributed) or customers.")] = "revenue",
    cap: Annotated[
        float | None, typer.Option(help="Spend cap per channel, x its highest observed month (default: model's).")
    ] = None,
) -> None:
    """Split a monthly budget across channels to maximise predicted return (trained budget model)."""
    from .project import Project

    allocation = Project.load(project).allocate_budget(
        total, _amounts(minimum, "--min"), _amounts(maximum, "--max"), objective, cap)
    table = allocation.table[["channel", "spend", "predicted_customers", "predicted_revenue", "predicted_cac",
                              "marginal_revenue_per_unit", "at_bound", "beyond_observed"]]
    _print_table([str(c) for c in table.columns], [tuple(r) for r in table.itertuples(index=False)], len(table))
    out.print(f"Predicted {allocation.objective}: {allocation.predicted_return:,.2f} a month"
              f" from {allocation.total - allocation.unallocated:,.2f} spent"
              + (f" ({allocation.unallocated:,.2f} left unallocated)" if allocation.unallocated > 0.005 else ""))
    for note in allocation.assumptions:
        out.print(f"Assumes: {note}")


def _amounts(values: list[str] | None, option: str) -> dict[str, float]:
    amounts = {}
    for key, text in _pairs(values, option).items():
        try:
            amounts[key] = float(text)
        except ValueError:
            raise typer.BadParameter(f"{key}={text!r}: the amount is not a number", param_hint=option) from None
    return amounts


HEADLINE_METRICS = ("algorithm", "feature_set", "k", "silhouette", "davies_bouldin", "stability", "model_wins",
                    "baseline_wins", "winner", "price_r2", "price_r2_brand_mean", "sales_r2", "ndcg_at_k",
                    "precision_at_k", "ndcg_lift_over_popularity", "r", "alpha", "a", "b", "p", "q", "v",
                    "holdout_mae")


@app.command(context_settings={"allow_extra_args": True, "ignore_unknown_options": True})
def position(
    ctx: typer.Context,
    brand: Annotated[str | None, typer.Option(help="Brand of the new product (or 'other').")] = None,
    price: Annotated[str | None, typer.Option(help="Intended price (optional).")] = None,
    top: Annotated[int, typer.Option(help="Nearest competitors shown.")] = 5,
    fill_missing: Annotated[bool, typer.Option(help="Set attributes not given to the category median.")] = False,
    project: ProjectDir = Path("."),
) -> None:
    """Place a new product: --brand B [--price P] then one --ATTRIBUTE VALUE per attribute (e.g. --storage 256
    --5g); prints map position, expected price band, tier, nearest competitors and who buys them."""
    from .positioning.place import options_to_attributes
    from .project import Project

    attributes = {**options_to_attributes(ctx.args), "brand": brand, "price": price}
    placement = Project.load(project).position(attributes, k=top, fill_missing=fill_missing)
    for line in placement.lines():
        out.print(line)


@app.command("models")
def list_models(project: ProjectDir = Path(".")) -> None:
    """List every registered model version with its status and headline metrics."""
    from rich.table import Table

    from .project import Project

    table = Table("model", "version", "status", "kind", "created", "metrics")
    for record in Project.load(project).models():
        headline = ", ".join(f"{k}={v:.3f}" if isinstance(v, float) else f"{k}={v}"
                             for k, v in record.metrics.items() if k in HEADLINE_METRICS)
        table.add_row(record.name, str(record.version), record.status, record.kind,
                      f"{record.created_at:%Y-%m-%d %H:%M}", headline)
    out.print(table)


@app.command()
def activate(
    model: Annotated[str, typer.Argument(help="Model name, e.g. segmentation.")],
    version: Annotated[int, typer.Argument(help="Version to make active (see `marketsql models`).")],
    project: ProjectDir = Path("."),
    source: SourceOpt = None,
    set_: SetOpt = None,
) -> None:
    """Make another version of a model the active one (roll back or forward) and rebuild the marts, atomically
    (with the last build's sources and settings unless --source/--set are given)."""
    from .project import Project

    with _status(f"activating {model} v{version}") as update:
        loaded = Project.load(project, _pairs(source, "--source"), _pairs(set_, "--set"))
        activated = loaded.activate(model, version, progress=update)
    for note in activated.build.notes:
        out.print(f"Note: {note}", markup=False)
    out.print(f"{activated.record.name} v{activated.record.version} is active; marts rebuilt")


@app.command()
def report(
    project: ProjectDir = Path("."),
    output: Annotated[
        Path | None, typer.Option("--output", "-o", help="HTML file [default: report.html in the project].")
    ] = None,
) -> None:
    """Write one self-contained HTML report (segments, RFM, trends, baskets, …) of the built project."""
    from .project import Project

    result = Project.load(project).report(output)
    size = f"{result.bytes / 1e6:.1f} MB, {len(result.sections)} sections"
    out.print(f"Wrote {result.path} ({size}) in {result.seconds:.1f} s")
    for title in result.missing:
        out.print(f"  {title}: not complete yet — see the note in that section")


@app.command()
def sql(
    query: Annotated[str, typer.Argument(help="SQL to run on the project database.")],
    project: ProjectDir = Path("."),
    fmt: Annotated[str, typer.Option("--format", "-f", help="table or csv.")] = "table",
    max_rows: Annotated[int, typer.Option(min=1, help="Rows shown in table format.")] = 40,
    write: Annotated[bool, typer.Option(help="Open the database read-write (takes the writer lock).")] = False,
) -> None:
    """Run SQL on the project database with every UDF registered."""
    from .project import Project

    if fmt not in ("table", "csv"):
        raise typer.BadParameter("use table or csv", param_hint="--format")
    loaded = Project.load(project)
    with loaded.writing("sql --write") if write else nullcontext():
        _run_sql(loaded.connect(read_only=not write), query, fmt, max_rows)


def _run_sql(con: Any, query: str, fmt: str, max_rows: int) -> None:
    try:
        cursor = con.execute(query)
        if cursor.description is None:
            return
        header = [d[0] for d in cursor.description]
        if fmt == "csv":
            writer = csv.writer(sys.stdout)
            writer.writerow(header)
            writer.writerows(cursor.fetchall())
        else:
            _print_table(header, cursor.fetchmany(max_rows + 1), max_rows)
    finally:
        con.close()


def _print_table(header: list[str], rows: list[tuple[object, ...]], max_rows: int) -> None:
    from rich.table import Table

    table = Table(*header, show_lines=False)
    for row in rows[:max_rows]:
        table.add_row(*("NULL" if v is None else f"{v:,.4g}" if isinstance(v, float) else str(v) for v in row))
    out.print(table)
    if len(rows) > max_rows:
        out.print(f"(first {max_rows} rows shown; use --max-rows or --format csv)")


def _print_build(result: BuildResult) -> None:
    tables = sum(o.kind == "table" for o in result.objects)
    out.print(f"Built {result.database} in {result.seconds:.1f} s (build {result.build_id})")
    for load in result.sources:
        out.print(f"  source {load.name}: {load.rows:,} rows from {len(load.files)} file(s)")
    for source, line in result.accounting().items():
        out.print(f"  {source}: {line}")
    out.print(f"  {len(result.objects) - tables} views, {tables} tables")
    for name, why in result.skipped:
        out.print(f"  skipped {name}: {why}")


def _fail_on_problems(problems: Sequence[Any]) -> None:
    from .postgres.connection import PostgresError

    for problem in problems:
        err.print(f"  cannot mirror {problem}", markup=False, soft_wrap=True)
    if problems:
        raise PostgresError(f"{len(problems)} view(s) cannot be mirrored onto PostgreSQL (listed above);"
                            f" first: {problems[0]}")


def _print_postgres_check(result: MirrorResult) -> None:
    for item in result.items:
        how = item.why if item.kind == "table" else "transpiled to a PostgreSQL view"
        name = f"{result.schemas[item.role]}.{item.name}"
        out.print(f"  {item.kind:<5}  {name:<44} {item.label}: {how}", markup=False)
    where = {"files": "the SQL files only (build the project to check the database, give --dsn to check on a server)",
             "database": "the built database (give --dsn or MARKETSQL_PG_DSN to dry-run it on a server)",
             "server": f"PostgreSQL at {result.target} (dry run, rolled back)"}[result.checked]
    out.print(f"Checked against {where}", markup=False)
    _fail_on_problems(result.problems)
    out.print(f"All {len(result.items) or 'the'} objects can be mirrored", markup=False)


def _print_mirror(result: MirrorResult) -> None:
    views = sum(i.kind == "view" for i in result.items)
    seconds = result.seconds
    out.print(f"Mirrored onto PostgreSQL at {result.target}, schema {result.schemas['main']}"
              f" (raw sources in {result.schemas['raw']}, manifest in {result.schemas['meta']})"
              f" in {seconds.get('total', 0):.1f} s", markup=False)
    functions = ", ".join(f"{name}(...)" for name in result.function_names)
    out.print(f"  {len(result.items) - views} tables copied ({result.copied_rows:,} rows,"
              f" {seconds.get('copy', 0):.1f} s), {views} views created and run"
              f" ({seconds.get('views', 0) + seconds.get('verify', 0):.1f} s), functions {functions}", markup=False)


def _print_training(result: Any, record: ModelRecord) -> None:
    from rich.table import Table

    ranked = result.candidates.sort_values("silhouette", ascending=False)
    shown = ranked.head(8)
    if not shown["selected"].any():
        shown = ranked[ranked["selected"]].combine_first(shown)
    table = Table(*[str(c) for c in ranked.columns], title=f"best {len(shown)} of {len(ranked)} candidates")
    for row in shown.itertuples(index=False):
        table.add_row(*(f"{v:.3f}" if isinstance(v, float) else str(v) for v in row))
    out.print(table)
    out.print(result.selection)
    for item in result.feature_report:
        out.print(f"  feature {item['feature']}: {'kept' if item['kept'] else 'dropped'} — {item['reason']}")
    metrics = record.metrics
    out.print(f"Registered {record.name} v{record.version} ({record.kind}, k={metrics.get('k')}) as active:"
              f" silhouette {metrics.get('silhouette'):.3f}, Davies-Bouldin {metrics.get('davies_bouldin'):.3f},"
              f" stability {metrics.get('stability'):.3f}")
    for name, block in metrics.get("baseline", {}).items():
        out.print(f"  baseline {name}: silhouette {block.get('silhouette'):.3f},"
                  f" Davies-Bouldin {block.get('davies_bouldin'):.3f} ({block.get('segments')} segments)")
    profiles = result.profiles[["name", "size", "share_customers", "share_revenue", "distinguishing"]]
    out.print(profiles.to_string(index=False))


def _pairs(values: list[str] | None, option: str) -> dict[str, str]:
    pairs = {}
    for value in values or []:
        key, sep, rest = value.partition("=")
        if not sep or not key:
            raise typer.BadParameter(f"{value!r} is not NAME=VALUE", param_hint=option)
        pairs[key] = rest
    return pairs


@contextmanager
def _status(title: str) -> Iterator[Callable[[str], None]]:
    with err.status(title) as status:
        yield lambda message: status.update(message)


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
    import duckdb

    from .database import replaced
    from .errors import MarketsqlError

    given = list(sys.argv[1:] if argv is None else argv)
    debug = "--debug" in given
    args = [a for a in given if a != "--debug"]
    previous = {signum: signal.signal(signum, _on_signal) for signum in (signal.SIGINT, signal.SIGTERM)}
    _signals.clear()
    try:
        _run(args)
    except BaseException as exc:  # noqa: BLE001 - a signal can surface as any exception (DuckDB: RuntimeError)
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

    from .database import damaged

    if isinstance(exc, OSError) and not isinstance(exc, duckdb.Error):  # a file operation nothing checked first
        where = f" {exc.filename}" if exc.filename else ""
        return OSError(f"cannot use{where}: {exc.strerror or exc} — check the path and its permissions"
                       " (--debug shows where it happened)")
    return (damaged(exc) or exc) if isinstance(exc, duckdb.Error) else exc


def _run(args: list[str]) -> None:
    """Run the app without click's own error panels: a usage error raises UsageError (one line)."""
    from .errors import UsageError

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
