"""Positioning at catalogue scale (``python bench/position.py --catalogue 3000,10000,100000 --skip-small``).

A synthetic catalogue of N phones drawn from the real 980 (each attribute resampled from another phone with
probability 0.3, the price scattered by a log-normal factor, sd 0.15; ids SP000001…), built in one child process,
then ``train positioning`` in another: its seconds split into reading the data, the price candidates, the served
price model (holdout, band, final fit), the sales model, the competitor search, and registering + refreshing the
views — and, alternating with it (best of --train-repeat), the same training with the full rebuild that `train` ran
before the refresh (marketsql/refresh.py); the peak RSS of each child; R² on price of each price candidate. Then, in
a third child on the trained catalogue's competitor space, the same process times the competitor search (``auto``:
blocks where they prune, see blocks.py) against the previous one (SciPy's k-d tree, ``method="tree"``; and
scikit-learn's dual-tree ``KDTree`` queries, the one before, up to --old-search-up-to products), checks both against the
stored competitors, and times the ridge's leave-one-out against scikit-learn's ``RidgeCV`` on the same rows (best of
3 / of 1 at the largest sizes).
Beside it, up to --all-pairs-up-to, the all-pairs SQL (competitors.ALL_PAIRS_SQL, what product_competitors ran
before) in a child of its own, and whether both give the same competitors.
"""

from __future__ import annotations

import os
import tempfile
import time
from pathlib import Path

import numpy as np
from processes import alternating, child  # bench/processes.py
from timing import best_and_result  # bench/timing.py

REPO = Path(__file__).resolve().parents[1]
CSV = REPO.parent / "shared" / "data" / "smartphones" / "smartphones_cleaned_v6.csv"
SCRIPT = str(Path(__file__).resolve().parent / "position.py")


def phones_project(root: Path):
    """A project like examples/smartphones over the real catalogue, in ``root``."""
    import marketsql

    example = REPO / "examples" / "smartphones"
    text = (example / "marketsql.toml").read_text(encoding="utf-8")
    text = text.replace('extends = "../.."', f'extends = "{example}"').replace(
        "../../../shared/data/smartphones/smartphones_cleaned_v6.csv", str(CSV))
    root.mkdir(parents=True)
    (root / "marketsql.toml").write_text(text, encoding="utf-8")
    return marketsql.Project.load(root)


def candidates_line(metrics: dict) -> str:
    """The price candidates' R² on price (not log price) on the holdout, and what is served."""
    parts = [f"{c['candidate']} {c['r2_price']:.3f}" if "r2_price" in c else f"{c['candidate']} left out"
             for c in metrics["price_candidates"]]
    return (f"price candidates, R² on price (holdout): {', '.join(parts)}; best {metrics['price_best']},"
            f" served (SQL and Python) {metrics['price_served']}")


def synthetic_project(root: Path, size: int, seed: int = 0, memory_limit: str = "") -> Path:
    """A project like examples/smartphones over ``size`` phones drawn from the real catalogue (ids SP000001…)."""
    import pandas as pd

    real = pd.read_csv(CSV)
    rng = np.random.default_rng(seed)
    frame = real.iloc[rng.integers(len(real), size=size)].reset_index(drop=True)
    for column in real.columns:
        if column in ("brand_name", "model", "price") or not pd.api.types.is_numeric_dtype(real[column]):
            continue
        swap = rng.random(size) < 0.3  # mix attributes across phones: new combinations, same distributions
        frame.loc[swap, column] = real[column].to_numpy()[rng.integers(len(real), size=int(swap.sum()))]
    frame["price"] = np.round(frame["price"] * rng.lognormal(0.0, 0.15, size))
    frame["model"] = frame["model"] + " #" + pd.Series(np.arange(size)).astype(str)
    root.mkdir(parents=True)
    frame.to_csv(root / "phones.csv", index=False)
    phones_project(root / "project")
    toml = root / "project" / "marketsql.toml"
    text = toml.read_text(encoding="utf-8").replace(str(CSV), str(root / "phones.csv"))
    toml.write_text((f"memory_limit = {memory_limit!r}\n" if memory_limit else "") + text, encoding="utf-8")
    staging = root / "project" / "sql" / "staging"
    staging.mkdir(parents=True)
    for name in ("stg_products.sql", "stg_product_attributes.sql"):  # six-digit ids
        text = (REPO / "examples" / "smartphones" / "sql" / "staging" / name).read_text(encoding="utf-8")
        (staging / name).write_text(text.replace("VARCHAR), 4, '0')", "VARCHAR), 6, '0')"), encoding="utf-8")
    return root / "project"


def build_child(root: str) -> dict:
    import marketsql

    started = time.perf_counter()
    marketsql.Project.load(root).build()
    return {"build_seconds": time.perf_counter() - started}


def train_child(root: str, full: bool = False) -> dict:
    """``train positioning`` with the refresh, or (``full``) with the full rebuild it replaced: the project loaded
    with its configuration given explicitly, which rebuilds from the sources (marketsql/refresh.py)."""
    import marketsql
    from marketsql.core.config import load_config

    started = time.perf_counter()
    trained = marketsql.Project(load_config(root), overridden=full).train("positioning")
    metrics = trained.record.metrics
    assert trained.build is not None and (trained.build.recreated is None) == full
    return {"train_seconds": time.perf_counter() - started, "fit_seconds": trained.result.seconds,
            "parts": metrics["seconds"], "products": metrics["products"], "candidates": candidates_line(metrics)}


def search_child(root: str, old: bool) -> dict:
    """The competitor search and the ridge against what they replaced, on the trained catalogue's space."""
    from threadpoolctl import threadpool_limits

    import marketsql
    from marketsql.models.positioning import blocks
    from marketsql.models.positioning.competitors import nearest
    from marketsql.models.positioning.ridge import ALPHAS, ridge_cv
    from marketsql.models.positioning.serve import load

    con = marketsql.Project.load(root).connect(read_only=True)
    try:
        model = load(con)
    finally:
        con.close()
    space, ids = model.reference_space, model.reference_ids
    repeat = 1 if len(ids) > 20_000 else 3
    with threadpool_limits(limits=1):  # as when training
        new_seconds, (rows, _) = best_and_result(lambda: nearest(space, ids), repeat)
        tree_seconds, (tree_rows, _) = best_and_result(lambda: nearest(space, ids, method="tree"), repeat)
    ordered = np.ascontiguousarray(space[np.argsort(np.asarray(ids, dtype=object), kind="stable")])
    dims = blocks.block_dimensions(ordered)
    out = {"search_seconds": new_seconds, "same_as_stored": bool(np.array_equal(rows, model.competitors)),
           "tree_seconds": tree_seconds, "tree_same": bool(np.array_equal(tree_rows, model.competitors)),
           "method": "blocks" if blocks.pays(ordered, dims, 5) else "tree",
           "blocks": len(blocks.block_keys(ordered, dims)[0])}
    if old:
        from sklearn.neighbors import KDTree

        def previous() -> None:  # the previous search's tree queries (16 extra candidates, dual tree, blocks of 8,192)
            tree = KDTree(space)
            for start in range(0, len(space), 8192):
                tree.query(space[start:start + 8192], k=min(22, len(space)), dualtree=True)

        out["old_search_seconds"] = best_and_result(previous, repeat)[0]
    from sklearn.linear_model import RidgeCV

    x, y = space[:, :-1], space[:, -1]  # the standardised attributes -> the standardised log price
    out["ridge_seconds"], mine = best_and_result(lambda: ridge_cv(x, y), repeat)
    out["ridgecv_seconds"], theirs = best_and_result(lambda: RidgeCV(alphas=ALPHAS).fit(x, y), repeat)
    out["ridge_same"] = bool(mine.alpha == theirs.alpha_ and np.allclose(mine.coef, theirs.coef_, atol=1e-9))
    return out


def all_pairs_child(root: str) -> dict:
    import marketsql
    from marketsql.models.positioning.competitors import ALL_PAIRS_SQL

    con = marketsql.Project.load(root).connect(read_only=True)
    try:
        started = time.perf_counter()
        pairs = con.execute(f"SELECT product_id, competitor_rank, competitor_id FROM ({ALL_PAIRS_SQL})"
                            " ORDER BY ALL").fetchall()
        seconds = time.perf_counter() - started
        stored = con.execute("SELECT product_id, competitor_rank, competitor_id FROM product_competitors"
                             " ORDER BY ALL").fetchall()
    finally:
        con.close()
    return {"all_pairs_seconds": seconds, "same": pairs == stored, "rows": len(pairs)}


def scale(sizes: list[int], all_pairs_up_to: int, old_search_up_to: int, memory_limit: str = "",
          repeat: int = 2) -> None:
    """Build and train each synthetic catalogue size in children of their own; print the figures."""
    print(f"catalogue scale (load average {os.getloadavg()[0]:.2f} on {os.cpu_count()} cores; DuckDB memory_limit"
          f" {memory_limit or 'default'}):")
    with tempfile.TemporaryDirectory(prefix="marketsql-bench-") as tmp:
        for size in sizes:
            root = str(synthetic_project(Path(tmp) / f"c{size}", size, memory_limit=memory_limit))
            built = child(SCRIPT, "build", root=root)
            full, trained = alternating(SCRIPT, "train", repeat, "train_seconds", root=root)
            parts = trained["parts"]
            rest = trained["train_seconds"] - trained["fit_seconds"]
            print(f"  {trained['products']:>7,} products: build {built['build_seconds']:.1f} s, peak RSS"
                  f" {built['peak_rss_mb']:,.0f} MB; train positioning {trained['train_seconds']:.1f} s, peak RSS"
                  f" {trained['peak_rss_mb']:,.0f} MB\n           of it: price candidates {parts['candidates']:.1f} s,"
                  f" served price model {parts['price']:.1f} s, sales model {parts['sales']:.1f} s, competitors"
                  f" {parts['competitors']:.1f} s, the rest of the fit"
                  f" {trained['fit_seconds'] - sum(parts.values()):.1f} s; read + register + refresh {rest:.1f} s"
                  f"\n           {trained['candidates']}", flush=True)
            full_rest = full["train_seconds"] - full["fit_seconds"]
            print(f"           best of {repeat}: with the full rebuild (before) train {full['train_seconds']:.1f} s,"
                  f" read + register + rebuild {full_rest:.1f} s, peak RSS {full['peak_rss_mb']:,.0f} MB;"
                  f" with the refresh {trained['train_seconds']:.1f} s"
                  f" ({full['train_seconds'] / trained['train_seconds']:.2f}x), after the fit {full_rest / rest:.1f}x;"
                  f" load average {os.getloadavg()[0]:.2f}", flush=True)
            search = child(SCRIPT, "search", root=root, old=size <= old_search_up_to)
            line = (f"           competitor search ({search['method']}, {search['blocks']:,} blocks)"
                    f" {search['search_seconds']:.2f} s vs the k-d tree {search['tree_seconds']:.2f} s"
                    f" ({search['tree_seconds'] / search['search_seconds']:.1f}x; same as stored:"
                    f" {search['same_as_stored']}, {search['tree_same']})")
            if "old_search_seconds" in search:
                line += (f", previous KDTree queries {search['old_search_seconds']:.2f} s"
                         f" ({search['old_search_seconds'] / search['search_seconds']:.1f}x)")
            line += (f"; ridge LOO {search['ridge_seconds']:.3f} s vs RidgeCV {search['ridgecv_seconds']:.3f} s"
                     f" ({search['ridgecv_seconds'] / search['ridge_seconds']:.1f}x, same fit: {search['ridge_same']})")
            print(line, flush=True)
            if size <= all_pairs_up_to:
                pairs = child(SCRIPT, "all_pairs", root=root)
                print(f"           all pairs in SQL (before): {pairs['all_pairs_seconds']:.1f} s, peak RSS"
                      f" {pairs['peak_rss_mb']:,.0f} MB; same competitors: {pairs['same']}", flush=True)
            print(f"  load average {os.getloadavg()[0]:.2f}", flush=True)


CHILDREN = {"build": build_child, "train": train_child, "search": search_child, "all_pairs": all_pairs_child}
