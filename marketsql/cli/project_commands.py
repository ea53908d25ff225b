"""Commands on a project folder: init, build, check, demo, report, sql."""

from __future__ import annotations

from contextlib import nullcontext
from pathlib import Path
from typing import Annotated

import typer

from marketsql.errors import ConfigError

from .app import (
    DsnOpt,
    MasterOpt,
    ProjectDir,
    SchemaOpt,
    SetOpt,
    SourceOpt,
    TargetOpt,
    WarehouseOpt,
    app,
    out,
    pairs,
    status,
)
from .render import fail_on_problems, print_build, print_mirror, print_postgres_check, run_sql

TARGETS = ("duckdb", "postgres", "mysql", "spark")


@app.command()
def init(
    directory: Annotated[Path, typer.Argument(help="New project folder.")],
    from_file: Annotated[Path | None, typer.Option(
        "--from", help="Your own file (CSV, TSV, whitespace-separated, optionally .gz): sniff it, map it,"
                       " write its staging SQL.")] = None,
    kind: Annotated[str | None, typer.Option(
        "--kind", help="What the file holds: transactions, catalogue, campaign or monthly (default: guessed).")] = None,
    map_: Annotated[list[str] | None, typer.Option(
        "--map", help="FIELD=COLUMN where the guess is wrong or missing, e.g. --map customer=CustNo"
                      " (repeatable).")] = None,
) -> None:
    """Start a new project from the standard pipeline (sql/, udfs/, marketsql.toml), or on your own file (--from)."""
    from marketsql.project import init as init_project

    if from_file is None and (kind or map_):
        raise ConfigError("--kind and --map describe a file — add --from FILE")
    project = init_project(directory, from_file, kind, pairs(map_, "--map"))
    if project.onboarding is not None:
        for line in project.onboarding.summary():
            out.print(line)
        out.print(f"Created project {project.root} — check the mapping in sql/staging/,"
                  f" then `marketsql build -p {directory}`")
        return
    out.print(f"Created project {project.root} — put your data in place, edit sql/staging/, then `marketsql build`")


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
    master: MasterOpt = None,
    warehouse: WarehouseOpt = None,
) -> None:
    """Load the sources and build every view in dependency order (atomically); --target postgres, mysql or spark
    also mirrors the result onto that engine (views, marts and model functions, all or nothing)."""
    from marketsql.project import Project

    if target not in TARGETS:
        raise typer.BadParameter("use duckdb, postgres, mysql or spark", param_hint="--target")
    loaded = Project.load(project, pairs(source, "--source"), pairs(set_, "--set"))
    if target == "spark":
        from .spark import mirror_spark, spark_target

        sp = spark_target(loaded, dsn, master, schema, warehouse, preflight=True)
    if target == "mysql":
        from marketsql.engines.base import engine

        mysql = engine("mysql")
        my = mysql.resolve(loaded.config.targets, dsn, schema)
        fail_on_problems(loaded.check_target("mysql", server=False).problems, "MySQL")
        mysql.ping(my)  # an unreachable server or a wrong password fails here, before the DuckDB build
    if target == "postgres":
        from marketsql.engines.postgres import connection

        pg = connection.resolve(loaded.config.targets, dsn, schema, tuple(reader or ()))
        fail_on_problems(loaded.check_postgres(server=False).problems)  # before anything is written
        pg.connect().close()  # an unreachable server fails here, before the DuckDB build
    with status("building") as update:
        result = loaded.build(progress=update)
    print_build(result)
    for note in result.notes:
        out.print(f"  note: {note}")
    if target == "postgres":
        from marketsql.engines.postgres.mirror import MirrorRejected

        try:
            with status("mirroring onto PostgreSQL") as update:
                mirrored = loaded.mirror_postgres(pg.dsn, pg.schema, pg.readers, progress=update)
        except MirrorRejected as rejected:
            fail_on_problems(rejected.problems)
        print_mirror(mirrored)
    if target == "mysql":
        from marketsql.engines.mysql.mirror import MirrorRejected as MysqlRejected

        try:
            with status("mirroring onto MySQL") as update:
                mirrored = loaded.mirror_to("mysql", my.dsn, my.schema, progress=update)
        except MysqlRejected as rejected:
            fail_on_problems(rejected.problems, "MySQL")
        print_mirror(mirrored, "MySQL")
    if target == "spark":
        mirror_spark(loaded, sp)


@app.command()
def check(
    project: ProjectDir = Path("."), target: TargetOpt = "duckdb", dsn: DsnOpt = None, schema: SchemaOpt = None,
    master: MasterOpt = None, warehouse: WarehouseOpt = None,
) -> None:
    """Parse every SQL file and UDF module and print the build order, without touching the database;
    --target postgres, mysql or spark lists, per object, how it is mirrored (copied / transpiled) and every view
    that cannot run there (file, line, reason)."""
    from marketsql.project import Project

    if target not in TARGETS:
        raise typer.BadParameter("use duckdb, postgres, mysql or spark", param_hint="--target")
    loaded = Project.load(project)
    if target == "spark":
        from .spark import check_spark

        check_spark(loaded, dsn, master, schema, warehouse)
        return
    if target == "postgres":
        print_postgres_check(loaded.check_postgres(dsn, schema))
        return
    if target == "mysql":
        print_postgres_check(loaded.check_target("mysql", dsn, schema), "MySQL")
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
    from marketsql.demo.project import run_demo, summary
    from marketsql.project import Project

    with status("demo") as update:
        result = run_demo(directory, customers=customers, seed=seed, progress=update)
    print_build(result)
    for line in summary(Project.load(directory)):
        out.print(f"  {line}")
    out.print(f"Report: {(directory / 'report.html').resolve()} (open it in a browser)")
    out.print(f'Next: marketsql sql -p {directory} "SELECT * FROM customer_features LIMIT 5"')


@app.command()
def report(
    project: ProjectDir = Path("."),
    output: Annotated[
        Path | None, typer.Option("--output", "-o", help="HTML file [default: report.html in the project].")
    ] = None,
) -> None:
    """Write one self-contained HTML report (segments, RFM, trends, baskets, …) of the built project."""
    from marketsql.project import Project

    result = Project.load(project).report(output)
    size = f"{result.bytes / 1e6:.1f} MB, {len(result.sections)} sections"
    out.print(f"Wrote {result.path} ({size}) in {result.seconds:.1f} s")
    for title in result.missing:
        out.print(f"  {title}: not complete yet — see the note in that section")


@app.command()
def sql(
    query: Annotated[str, typer.Argument(help="SQL to run on the project database.")],
    project: ProjectDir = Path("."),
    fmt: Annotated[str, typer.Option("--format", "-f", help="table, csv, json or markdown.")] = "table",
    max_rows: Annotated[int, typer.Option(min=1, help="Rows shown in table format (the others print every row).")] = 40,
    write: Annotated[bool, typer.Option(help="Open the database read-write (takes the writer lock).")] = False,
) -> None:
    """Run SQL on the project database with every UDF registered."""
    from marketsql.project import Project

    if fmt not in ("table", "csv", "json", "markdown"):
        raise typer.BadParameter("use table, csv, json or markdown", param_hint="--format")
    loaded = Project.load(project)
    with loaded.writing("sql --write") if write else nullcontext():
        run_sql(loaded.connect(read_only=not write), query, fmt, max_rows)



@app.command("explain-change")
def explain_change(
    period_from: Annotated[str, typer.Option("--from", help="The earlier month, YYYY-MM.")],
    period_to: Annotated[str, typer.Option("--to", help="The later month, YYYY-MM.")],
    project: ProjectDir = Path("."),
    by: Annotated[str | None, typer.Option(
        help="Comma-separated dimensions: segment,category,country,channel,customer_type (default: all the data has).")
    ] = None,
    top: Annotated[int, typer.Option(help="Contributors shown per dimension.")] = 5,
) -> None:
    """What drove the revenue change between two months: the largest contributors per dimension, with volume,
    mix and rate effects (table macro revenue_drivers)."""
    from marketsql.project import Project

    dimensions = [d.strip() for d in by.split(",") if d.strip()] if by is not None else None
    explained = Project.load(project).explain_change(period_from, period_to, dimensions, top)
    for line in explained.lines():
        out.print(line)
