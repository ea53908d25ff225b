"""``marketsql demo``: generate the demo retailer into a project and build the standard pipeline."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import duckdb

from marketsql.build import BuildResult, Progress
from marketsql.core.config import find_config
from marketsql.errors import ConfigError
from marketsql.models.clv.report import LABELS_MODEL
from marketsql.models.registry import Registry
from marketsql.project import Project, init

DATA_DIR = Path("data") / "demo"
DEMO_OPTIONS: dict[str, dict[str, Any]] = {
    "propensity": {"target": ["repeat", "category:Phones"], "horizon_days": 30},
    # revenue by category and by segment (reconciled); every measure and cut is ~5× the fits
    "forecast": {"measures": ("revenue",), "dimensions": ("category", "segment")}}


def run_demo(
    directory: str | Path = ".",
    customers: int = 20_000,
    seed: int = 7,
    progress: Progress | None = None,
) -> BuildResult:
    """Make ``directory`` a project if it is new or empty, (re)generate its demo data, build it,
    train every model on it (positioning, forecast, budget, segmentation, clv, propensity for repeat purchases
    and the phone category, uplift, then recommendation, which uses the segments; again whenever the data was
    regenerated) and write ``report.html`` in it.

    Data already generated with the same customers and seed is reused.
    """
    from .generate import generate_demo_data

    say = progress or (lambda message: None)
    root = Path(directory).resolve()
    if customers < 1:  # before anything is created
        raise ConfigError(f"--customers {customers}: give at least 1 customer")
    if find_config(root) is None:
        if root.is_dir() and any(root.iterdir()):  # a file in the way: init says so
            raise ConfigError(
                f"{root} is neither a marketsql project nor empty — run `marketsql demo NEW_FOLDER` instead"
            )
        say(f"creating project {root}")
        init(root)
    data = root / DATA_DIR
    generated = not _already_generated(data, customers, seed)
    if generated:
        say(f"generating {customers:,} demo customers (seed {seed})")
        generate_demo_data(data, customers=customers, seed=seed)
    project = Project.load(root)
    with project.writing("demo"):  # one writer lock across the builds and trainings
        result = project.build(progress)
        skipped = {name for name, _ in result.skipped}
        if generated or skipped & {"position_map", "sales_forecast", "budget_allocation", "customer_segments",
                                   "customer_value", "customer_propensity", "campaign_uplift"}:
            for name in ("positioning", "segmentation", "forecast", "budget", "clv", "propensity", "uplift"):
                say(f"training the {name} model")
                project.train(name, progress, rebuild=False, **DEMO_OPTIONS.get(name, {}))
            result = project.build(progress)  # one rebuild compiles them all into the marts
        if generated or "customer_recommendations" in {name for name, _ in result.skipped}:
            say("training the recommendation model")  # after that rebuild: it reads the segments
            project.train("recommendation", progress, rebuild=False)
            result = project.build(progress)
    say("writing the report")
    project.report()
    return result


def summary(project: Project) -> list[str]:
    """A few lines about the built demo business: period, customers, revenue, categories, segments."""
    con = project.connect(read_only=True)
    try:
        first, last, customers, orders, revenue = con.execute(
            "SELECT CAST(min(order_ts) AS DATE), CAST(max(order_ts) AS DATE), count(DISTINCT customer_id),"
            " count(DISTINCT order_id), sum(revenue) FROM stg_order_lines"
        ).fetchall()[0]
        categories = con.execute(
            "SELECT category, sum(revenue) / ? FROM monthly_sales_category GROUP BY 1 ORDER BY 2 DESC LIMIT 3",
            [revenue],
        ).fetchall()
        model = con.execute(
            "SELECT version, kind, metrics->>'k', metrics->>'silhouette' FROM meta.models"
            " WHERE name = 'segmentation' AND status = 'active'"
        ).fetchall() if Registry(con).list() else []
        positioning = con.execute(
            "SELECT version, metrics->>'price_r2', metrics->>'price_r2_brand_mean', metrics->>'sales_r2'"
            " FROM meta.models WHERE name = 'positioning' AND status = 'active'"
        ).fetchall() if Registry(con).list() else []
        segments = con.execute(
            "SELECT segment_name, share_of_customers, share_of_revenue, distinguishing_features, description"
            " FROM segment_profiles ORDER BY share_of_revenue DESC"
        ).fetchall() if model else []
    finally:
        con.close()
    shares = ", ".join(f"{name} {share:.0%}" for name, share in categories)
    lines = [
        f"{first} … {last}: {customers:,} buying customers, {orders:,} orders, revenue {revenue:,.0f}",
        f"revenue by category: {shares}",
    ]
    if model:
        version, kind, k, silhouette = model[0]
        lines.append(f"segments (segmentation v{version}, {kind}, k={k}, silhouette {float(silhouette):.3f}):")
        for name, people, revenue_share, why, description in segments:
            lines.append(f"  {name:<32} {people:6.1%} of customers {revenue_share:6.1%} of revenue   {why}")
            if description:
                lines.append(f"  {'':<32} {description}")
    if positioning:
        version, price_r2, baseline_r2, sales_r2 = positioning[0]
        sales = f", sales R² {float(sales_r2):.2f}" if sales_r2 is not None else ""
        lines.append(f"positioning v{version}: price R² {float(price_r2):.2f} on held-out phones (brand mean"
                     f" {float(baseline_r2):.2f}){sales} — see position_map, position_drivers, `marketsql position`")
    lines += _recommendation_lines(project)
    lines += _clv_lines(project)
    lines += _propensity_lines(project)
    return lines


def _propensity_lines(project: Project) -> list[str]:
    """Per target of the active propensity model: the served candidate's top-decile lift beside the baseline's."""
    con = project.connect(read_only=True)
    try:
        active = [r for r in Registry(con).list("propensity") if r.status == "active"]
    finally:
        con.close()
    if not active:
        return []
    m = active[0].metrics
    lines = [f"propensity (propensity v{active[0].version}, horizon {m['cutoffs']['horizon_days']} days, judged at"
             f" {m['cutoffs']['evaluation']}) — top-10 % lift, served vs baseline:"]
    for target, t in m["targets"].items():
        served, base = t["candidates"][t["served"]], t["candidates"]["baseline"]
        lines.append(f"  {target}: {t['served']} lift {served['lift_top_10']:.2f} vs baseline {base['lift_top_10']:.2f}"
                     f" (PR AUC {served['pr_auc']:.3f} vs {base['pr_auc']:.3f})"
                     + (" — baseline served" if t["baseline_served"] else ""))
    return lines


def _clv_lines(project: Project) -> list[str]:
    """The customer-value model's holdout verdict, its five most valuable customers and p_alive by segment."""
    con = project.connect(read_only=True)
    try:
        active = [r for r in Registry(con).list("clv") if r.status == "active"]
        if not active:
            return []
        m = active[0].metrics
        top = con.execute("SELECT customer_id, clv_12m, p_alive, expected_purchases_365d, expected_order_value"
                          " FROM customer_value ORDER BY clv_12m DESC, customer_id LIMIT 5").fetchall()
        segments = con.execute(
            "SELECT segment_name, mean_p_alive, mean_clv_12m FROM segment_profiles ORDER BY mean_clv_12m DESC"
        ).fetchall() if _has(con, "segment_profiles") else []
    finally:
        con.close()
    model, own = m["holdout"]["model"], m["holdout"]["own_rate"]
    verdict = "beats the baselines" if not m["loses_to"] else "loses on " + ", ".join(m["loses_to"])
    served = LABELS_MODEL[m.get("purchase_model", "bgnbd")]
    lines = [f"customer value (clv v{active[0].version}, {served} + Gamma-Gamma; holdout {m['calibration_customers']:,}"
             f" customers: MAE {model['mae']:.3f} vs own rate {own['mae']:.3f}, top-10 % capture"
             f" {model['top_decile_capture']:.0%} — {verdict}), five most valuable:"]
    lines += [f"  {cid}: clv 12 months {value:,.0f}, p_alive {alive:.2f}, {purchases:.1f} purchases/year x"
              f" {order:,.0f}" for cid, value, alive, purchases, order in top]
    lines += [f"  p_alive {alive:.2f}, mean clv 12 months {value:,.0f}: {name}"
              for name, alive, value in segments if alive is not None]
    return lines


def _has(con: duckdb.DuckDBPyConnection, table: str) -> bool:
    return bool(con.execute("SELECT count(*) FROM duckdb_tables() WHERE table_name = ?", [table]).fetchall()[0][0])


def _recommendation_lines(project: Project) -> list[str]:
    """The active recommender's holdout result and a few of its recommendations (if one is trained)."""
    from marketsql.models.recommendation.report import served_lines

    con = project.connect(read_only=True)
    try:
        active = [r for r in Registry(con).list("recommendation") if r.status == "active"]
        if not active:
            return []
        m = active[0].metrics
        lift = m.get("ndcg_lift_over_popularity")
        lines = [f"recommendations (recommendation v{active[0].version}, {active[0].kind}; holdout from"
                 f" {m['cutoff']}: NDCG@{m['k']} {m['ndcg_at_k']:.3f} vs popularity {m['baseline']['ndcg_at_k']:.3f}"
                 + (f", {lift:+.0%}" if lift is not None else "") + "), top 3:"]
        return lines + served_lines(con)
    finally:
        con.close()


def _already_generated(data: Path, customers: int, seed: int) -> bool:
    truth = data / "truth" / "truth.json"
    if not truth.is_file() or not (data / "campaign.parquet").is_file():
        return False
    arguments = json.loads(truth.read_text(encoding="utf-8")).get("arguments", {})
    return arguments.get("seed") == seed and arguments.get("customers") == customers
