"""The ``marketsql`` command: a thin typer layer over the library.

Each command parses its options, makes one library call and prints the result. Library errors
become one ``Error: …`` line and exit code 1; ``--debug`` shows the traceback instead.
"""

from __future__ import annotations

import csv
import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer
from rich.console import Console

if TYPE_CHECKING:  # the CLI imports the library lazily, command by command
    from .build import BuildResult
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
) -> None:
    """marketsql: marketing analytics inside the database."""


@app.command()
def init(directory: Annotated[Path, typer.Argument(help="New project folder.")]) -> None:
    """Start a new project from the standard pipeline (sql/, udfs/, marketsql.toml)."""
    from .project import init as init_project

    project = init_project(directory)
    out.print(f"Created project {project.root} — put your data in place, edit sql/staging/, then `marketsql build`")


@app.command()
def build(project: ProjectDir = Path("."), source: SourceOpt = None, set_: SetOpt = None) -> None:
    """Load the sources and build every view in dependency order (atomically)."""
    from .project import Project

    loaded = Project.load(project, _pairs(source, "--source"), _pairs(set_, "--set"))
    with _status("building") as update:
        result = loaded.build(progress=update)
    _print_build(result)


@app.command()
def check(project: ProjectDir = Path(".")) -> None:
    """Parse every SQL file and UDF module and print the build order, without touching the database."""
    from .project import Project

    loaded = Project.load(project)
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
    """Generate the demo smartphone retailer, build the standard pipeline on it, print a summary."""
    from .demo_project import run_demo, summary
    from .project import Project

    with _status("demo") as update:
        result = run_demo(directory, customers=customers, seed=seed, progress=update)
    _print_build(result)
    for line in summary(Project.load(directory)):
        out.print(f"  {line}")
    out.print(f'Next: marketsql sql -p {directory} "SELECT * FROM customer_features LIMIT 5"')


@app.command()
def train(
    model: Annotated[str, typer.Argument(help="Model to train: segmentation or recommendation.")],
    project: ProjectDir = Path("."),
    k_min: Annotated[int, typer.Option(help="Segmentation: smallest number of segments tried.")] = 3,
    k_max: Annotated[int, typer.Option(help="Segmentation: largest number of segments tried.")] = 8,
    seed: Annotated[int, typer.Option(help="Random seed of the fits.")] = 0,
    holdout_days: Annotated[int, typer.Option(help="Recommendation: days held out to compare candidates.")] = 30,
    k: Annotated[int, typer.Option("--k", help="Recommendation: list length the candidates are judged at.")] = 10,
    epochs: Annotated[int | None, typer.Option(help="Recommendation: Keras epochs (default: 10-30).")] = None,
    candidates: Annotated[str | None, typer.Option(help="Recommendation: comma-separated candidates.")] = None,
) -> None:
    """Train a model on the built database, compare candidates, register the chosen one, rebuild."""
    from .project import Project

    options: dict[str, Any] = {"k_min": k_min, "k_max": k_max, "seed": seed}
    if model == "recommendation":
        options = {"seed": seed, "holdout_days": holdout_days, "k": k, "epochs": epochs, "candidates": candidates}
    with _status(f"training {model}") as update:
        trained = Project.load(project).train(model, progress=update, **options)
    if model == "recommendation":
        from .recommendation.report import training_lines

        for line in training_lines(trained.result, trained.record):
            out.print(line)
        return
    _print_training(trained.result, trained.record)


HEADLINE_METRICS = ("algorithm", "feature_set", "k", "silhouette", "davies_bouldin", "stability",
                    "ndcg_at_k", "precision_at_k", "ndcg_lift_over_popularity")


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
) -> None:
    """Make another version of a model the active one (roll back or forward) and rebuild the marts."""
    from .project import Project

    with _status(f"activating {model} v{version}") as update:
        record = Project.load(project).activate(model, version, progress=update)
    out.print(f"{record.name} v{record.version} is active; marts rebuilt")


@app.command()
def sql(
    query: Annotated[str, typer.Argument(help="SQL to run on the project database.")],
    project: ProjectDir = Path("."),
    fmt: Annotated[str, typer.Option("--format", "-f", help="table or csv.")] = "table",
    max_rows: Annotated[int, typer.Option(help="Rows shown in table format.")] = 40,
    write: Annotated[bool, typer.Option(help="Open the database read-write.")] = False,
) -> None:
    """Run SQL on the project database with every UDF registered."""
    from .project import Project

    if fmt not in ("table", "csv"):
        raise typer.BadParameter("use table or csv", param_hint="--format")
    con = Project.load(project).connect(read_only=not write)
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


def main() -> None:
    """Console-script entry point: run the app, turning errors into one line and exit code 1."""
    import duckdb

    from .errors import MarketsqlError

    debug = "--debug" in sys.argv[1:]
    args = [a for a in sys.argv[1:] if a != "--debug"]
    try:
        app(args=args, prog_name="marketsql")
    except (MarketsqlError, duckdb.Error) as exc:
        if debug:
            raise
        text = str(exc).strip()
        err.print(f"Error: {text.splitlines()[0] if text else type(exc).__name__}", markup=False, soft_wrap=True)
        sys.exit(1)
