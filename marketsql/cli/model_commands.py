"""Commands on models: train, activate, models, and the ones that use a trained model (budget, position)."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Any

import typer

from .app import MasterOpt, ProjectDir, SchemaOpt, SetOpt, SourceOpt, WarehouseOpt, amounts, app, out, pairs, status
from .render import print_models, print_table, print_trained


@app.command()
def train(
    model: Annotated[
        str, typer.Argument(help="Model to train: segmentation, recommendation, positioning, forecast, budget, clv,"
                                 " propensity or uplift.")
    ],
    project: ProjectDir = Path("."),
    k_min: Annotated[int, typer.Option(help="segmentation: smallest number of segments tried.")] = 3,
    k_max: Annotated[int, typer.Option(help="segmentation: largest number of segments tried.")] = 8,
    seed: Annotated[int, typer.Option(help="Random seed of the fits.")] = 0,
    horizon: Annotated[int, typer.Option(help="forecast: months to forecast.")] = 6,
    holdout: Annotated[
        int | None, typer.Option(help="forecast, budget: months held out to test (default: horizon / 6).")
    ] = None,
    measures: Annotated[str | None, typer.Option(
        help="forecast: comma-separated measures, from revenue, orders, customers (default: all three).")] = None,
    dimensions: Annotated[str | None, typer.Option(
        help="forecast: comma-separated cuts of the total, from category, country, segment (default: all three;"
             " '' for the total alone).")] = None,
    library: Annotated[str | None, typer.Option(
        help="forecast: the candidate models, statsmodels (default) or statsforecast (faster; pip install"
             " 'marketsql[statsforecast]').")] = None,
    holdout_days: Annotated[int | None, typer.Option(
        help="recommendation: days held out (default 30); clv: days held out (default: setting clv_calibration_end,"
             " else the last 25 %).")] = None,
    calibration_end: Annotated[str | None, typer.Option(help="clv: last day of the calibration period.")] = None,
    horizon_days: Annotated[int | None, typer.Option(
        help="clv: horizon of clv_horizon and the value tiers (default 365); propensity: days after a cutoff a"
             " purchase counts in (default 30).")] = None,
    target: Annotated[list[str] | None, typer.Option(
        help="propensity: what to predict — repeat, category:NAME or product:ID (repeatable; default repeat).")] = None,
    discount: Annotated[float, typer.Option(help="clv: annual discount rate of the CLV.")] = 0.1,
    k: Annotated[int, typer.Option("--k", help="Recommendation: list length the candidates are judged at.")] = 10,
    epochs: Annotated[int | None, typer.Option(help="Recommendation: Keras epochs (default: 10-30).")] = None,
    candidates: Annotated[str | None, typer.Option(
        help="Recommendation, propensity: comma-separated candidates (propensity: logistic,hgb by default; add keras"
             " for the Keras sequence network); clv: purchase models tried, from bgnbd, mbgnbd (default: both) and"
             " pareto_nbd"
             " (the better on the holdout is served).")] = None,
    outcome: Annotated[str | None, typer.Option(help="uplift: outcome of campaign_customers, visit (default) or"
                                                     " conversion.")] = None,
    sample: Annotated[int | None, typer.Option(
        help="Train on this many customers (each with its whole history), not on the whole data.")] = None,
    sample_from: Annotated[str | None, typer.Option(
        help="Where --sample is read: duckdb (the project database, default) or spark (its Spark mirror, see"
             " --master/--warehouse/--schema).")] = None,
    master: MasterOpt = None,
    warehouse: WarehouseOpt = None,
    schema: SchemaOpt = None,
    source: SourceOpt = None,
    set_: SetOpt = None,
) -> None:
    """Train a model on the built database (the data the last build read), compare it with its baseline, register
    it and refresh the objects that read it, all in one atomic step (a full rebuild when --source/--set are given,
    or the database or the project changed since the last build)."""
    from marketsql import models
    from marketsql.project import Project

    given = {"k_min": k_min, "k_max": k_max, "seed": seed, "horizon": horizon, "holdout": holdout,
             "holdout_days": holdout_days, "calibration_end": calibration_end, "horizon_days": horizon_days,
             "discount": discount, "k": k, "epochs": epochs, "candidates": candidates, "target": target,
             "outcome": outcome, "measures": measures, "dimensions": dimensions,
             "library": library}
    options: dict[str, Any] = {name: given[name] for name in models.kind(model).options if given[name] is not None}
    with status(f"training {model}") as update:
        loaded = Project.load(project, pairs(source, "--source"), pairs(set_, "--set"))
        spark = {"master": master, "warehouse": warehouse, "schema": schema}
        trained = loaded.train(model, progress=update, sample=sample, sample_from=sample_from, spark=spark, **options)
    print_trained(trained)
    note = trained.record.baseline_note()
    if note:
        out.print(f"Note: a baseline beats the model — {note}", markup=False)


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
    from marketsql.project import Project

    allocation = Project.load(project).allocate_budget(
        total, amounts(minimum, "--min"), amounts(maximum, "--max"), objective, cap)
    table = allocation.table[["channel", "spend", "predicted_customers", "predicted_revenue", "predicted_cac",
                              "marginal_revenue_per_unit", "at_bound", "beyond_observed"]]
    print_table([str(c) for c in table.columns], [tuple(r) for r in table.itertuples(index=False)], len(table))
    out.print(f"Predicted {allocation.objective}: {allocation.predicted_return:,.2f} a month"
              f" from {allocation.total - allocation.unallocated:,.2f} spent"
              + (f" ({allocation.unallocated:,.2f} left unallocated)" if allocation.unallocated > 0.005 else ""))
    for note in allocation.assumptions:
        out.print(f"Assumes: {note}")


@app.command(context_settings={"allow_extra_args": True, "ignore_unknown_options": True, "help_option_names": []})
def position(
    ctx: typer.Context,
    brand: Annotated[str | None, typer.Option(help="Brand of the new product (or 'other').")] = None,
    price: Annotated[str | None, typer.Option(help="Intended price (optional).")] = None,
    top: Annotated[int, typer.Option(help="Nearest competitors shown.")] = 5,
    fill_missing: Annotated[bool, typer.Option(help="Set attributes not given to the category median.")] = False,
    buyers: Annotated[int, typer.Option(help="Customers most likely to buy it shown (needs a propensity model for"
                                             " its category).")] = 10,
    output: Annotated[Path | None, typer.Option("--output", "-o", help="Write those customers: FILE.csv or"
                                                                      " FILE.parquet.")] = None,
    project: ProjectDir = Path("."),
    show_help: Annotated[bool, typer.Option("--help", help="Show this message and the attributes of the project's"
                                            " positioning model, then exit.")] = False,
) -> None:
    """Place a new product: --brand B [--price P] then one --ATTRIBUTE VALUE per attribute (e.g. --storage 256
    --5g); prints map position, expected price band, tier, nearest competitors, who buys them and (with a propensity
    model for its category) the customers most likely to buy it."""
    if show_help:
        _position_help(ctx, project)
        return
    from marketsql.models.positioning.place import options_to_attributes
    from marketsql.project import Project

    attributes = {**options_to_attributes(ctx.args), "brand": brand, "price": price}
    placement = Project.load(project).position(attributes, k=top, fill_missing=fill_missing, buyers=buyers,
                                               output=output)
    for line in placement.lines():
        out.print(line, markup=False)
    if output is not None:
        out.print(f"Wrote the {len(placement.buyers or [])} customers to {output}", markup=False)


def _position_help(ctx: typer.Context, project: Path) -> None:
    """The command's help, then the attributes the project's active positioning model takes (when there is one)."""
    from marketsql.errors import MarketsqlError
    from marketsql.models.positioning.place import describe_attributes
    from marketsql.project import Project

    out.print(ctx.get_help())
    try:
        con = Project.load(project).connect(read_only=True)
        try:
            lines = describe_attributes(con)
        finally:
            con.close()
    except MarketsqlError as exc:
        lines = [f"(No attributes to list for {project}: {exc})"]
    for line in lines:
        out.print(line)


@app.command("models")
def list_models(
    project: ProjectDir = Path("."),
    verbose: Annotated[bool, typer.Option("--verbose", "-v", help="Every stored metric of every version.")] = False,
) -> None:
    """List every registered model version: status, kind, when, and its headline metric (--verbose: all)."""
    from marketsql.project import Project

    print_models(Project.load(project).models(), verbose)


@app.command()
def activate(
    model: Annotated[str, typer.Argument(help="Model name, e.g. segmentation.")],
    version: Annotated[int, typer.Argument(help="Version to make active (see `marketsql models`).")],
    project: ProjectDir = Path("."),
    source: SourceOpt = None,
    set_: SetOpt = None,
) -> None:
    """Make another version of a model the active one (roll back or forward) and refresh the marts that read it,
    atomically (a full rebuild when --source/--set are given, or the database or the project changed since the
    last build)."""
    from marketsql.project import Project

    with status(f"activating {model} v{version}") as update:
        loaded = Project.load(project, pairs(source, "--source"), pairs(set_, "--set"))
        activated = loaded.activate(model, version, progress=update)
    for note in activated.build.notes:
        out.print(f"Note: {note}", markup=False)
    done = "rebuilt" if activated.build.recreated is None else "refreshed"
    out.print(f"{activated.record.name} v{activated.record.version} is active; marts {done}")



@app.command()
def target(
    project: ProjectDir = Path("."),
    model: Annotated[str, typer.Option(help="Scores to rank: propensity or uplift.")] = "propensity",
    target_: Annotated[str | None, typer.Option(
        "--target", help="propensity: a target of the model (repeat, category:NAME, product:ID); uplift: its"
                         " outcome (optional).")] = None,
    treatment: Annotated[str | None, typer.Option(help="uplift: the campaign arm (optional with one arm).")] = None,
    budget: Annotated[float | None, typer.Option(help="Most to spend on contacts.")] = None,
    cost_per_contact: Annotated[float | None, typer.Option(help="Cost of one contact.")] = None,
    value: Annotated[float | None, typer.Option(
        help="Revenue one conversion brings (default: the clv model's expected order value per customer).")] = None,
    min_profit: Annotated[float, typer.Option(help="Keep customers whose expected profit is above this.")] = 0.0,
    output: Annotated[Path | None, typer.Option("--output", "-o", help="Also write the list: FILE.csv or"
                                                                      " FILE.parquet.")] = None,
    name: Annotated[str | None, typer.Option(help="Name of the list (default: model-target-time).")] = None,
    list_: Annotated[bool, typer.Option("--list", help="Show the saved lists instead.")] = False,
) -> None:
    """Turn scores into a contact list under a budget: expected profit = p x value - cost per contact, ranked,
    kept while positive until the budget is spent; saved in table target_lists (and -o FILE)."""
    from marketsql.errors import UsageError
    from marketsql.project import Project

    loaded = Project.load(project)
    if list_:
        table = loaded.target_lists()
        print_table([str(c) for c in table.columns], [tuple(r) for r in table.itertuples(index=False)], len(table))
        return
    if budget is None or cost_per_contact is None:
        missing = "--budget" if budget is None else "--cost-per-contact"
        raise UsageError(f"Missing option '{missing}' — see marketsql target --help")
    made = loaded.target(model, target_, budget, cost_per_contact, treatment, value, min_profit, output, name)
    for line in made.lines():
        out.print(line, markup=False)
