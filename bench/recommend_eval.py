"""The recommendation evaluation table of the README, on real data (one command, ~3 minutes):

    python bench/recommend_eval.py

- Online Retail: the project in examples/online_retail is built into a temporary database, the
  segmentation is trained, then `train recommendation` compares the candidates on the last 30 days
  (purchases from 2011-11-10 to 2011-12-09 by customers seen before, of products new to them).
- MovieLens 100k: the standard ua and ub splits (exactly 10 test ratings per user). Every rating is an
  interaction (weight 1). Relevant: the user's test items (all of them, or only those rated >= 4);
  candidates: every item not in the user's training ratings. Segments for the segment baseline and the
  Keras customer tower: gender x age band (u.user); product attributes: genres and release year (u.item).
- MovieLens 100k, random 80/20: the protocol of the published figures. The 100,000 ratings of u.data are
  shuffled with numpy.random.default_rng(0).permutation; the first 20,000 are the test ratings, the
  other 80,000 the training ratings (per rating, not per user: ~21 test ratings per user on average).
  Everything else as for ua/ub. One seed only.
The hyper-parameters are the library defaults; nothing is tuned on a test split.
"""

from __future__ import annotations

import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import pandas as pd

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

import marketsql  # noqa: E402
from marketsql.models.recommendation import data  # noqa: E402
from marketsql.models.recommendation.train import compare  # noqa: E402

MOVIELENS = ROOT.parent / "shared" / "data" / "movielens_100k"
COLUMNS = ("precision", "recall", "ndcg", "map", "coverage")


def online_retail() -> pd.DataFrame:
    with tempfile.TemporaryDirectory() as folder:
        project = marketsql.Project.load(ROOT / "examples" / "online_retail", database=Path(folder) / "r.duckdb")
        project.build()
        project.train("segmentation", k_min=3, k_max=6)
        started = time.perf_counter()
        trained = project.train("recommendation", holdout_days=30)
        print(f"Online Retail: training took {time.perf_counter() - started:.1f} s (with the rebuild);"
              f" {trained.result.selection}")
        table = trained.result.candidates.copy()
    table.insert(0, "dataset", "Online Retail, last 30 days")
    return table


def movielens_catalogue() -> tuple[list[str], np.ndarray]:
    items = pd.read_csv(MOVIELENS / "u.item", sep="|", header=None, encoding="latin-1")
    genres = items.iloc[:, 5:24].to_numpy(dtype=np.float32)
    year = pd.to_datetime(items[2], format="%d-%b-%Y", errors="coerce").dt.year.astype("float64").to_numpy()
    year = np.nan_to_num((year - np.nanmean(year)) / np.nanstd(year))[:, None].astype(np.float32)
    return items[0].astype(str).tolist(), np.hstack([genres, year])


def movielens_segments() -> dict[str, int]:
    users = pd.read_csv(MOVIELENS / "u.user", sep="|", header=None, names=["user", "age", "gender", "job", "zip"])
    band = np.digitize(users["age"], [25, 35, 50])
    return {str(u): int(b * 2 + (g == "F")) for u, b, g in zip(users["user"], band, users["gender"])}


def movielens_split(split: str) -> tuple[np.ndarray, np.ndarray]:
    """(train, test) rating rows (user, item, rating, timestamp): a standard split, or "80/20" (random, seed 0)."""
    if split != "80/20":
        return (np.loadtxt(MOVIELENS / f"{split}.base", dtype=np.int64),
                np.loadtxt(MOVIELENS / f"{split}.test", dtype=np.int64))
    rows = np.loadtxt(MOVIELENS / "u.data", dtype=np.int64)
    order = np.random.default_rng(0).permutation(len(rows))
    n_test = len(rows) // 5
    return rows[order[n_test:]], rows[order[:n_test]]


def movielens(split: str, min_rating: int) -> pd.DataFrame:
    train_rows, test_rows = movielens_split(split)
    test_rows = test_rows[test_rows[:, 2] >= min_rating]
    products, attributes = movielens_catalogue()
    train = data.from_pairs(train_rows[:, 0].astype(str), train_rows[:, 1].astype(str), np.ones(len(train_rows)),
                            products=products, segments=movielens_segments(), attributes=attributes)
    relevant = data.relevant_items(train, test_rows[:, 0].astype(str), test_rows[:, 1].astype(str))
    table, _ = compare(train, relevant, k=10)
    label = "all test ratings" if min_rating <= 1 else f"test ratings >= {min_rating}"
    table.insert(0, "dataset", f"MovieLens 100k {split}, {label}")
    return table


def main() -> None:
    tables = [online_retail()]
    for split in ("ua", "ub", "80/20"):
        for min_rating in (1, 4):
            tables.append(movielens(split, min_rating))
    table = pd.concat(tables, ignore_index=True)
    print("| data | candidate | P@10 | R@10 | NDCG@10 | MAP@10 | coverage | customers | fit s | s/epoch |")
    print("|---|---|---|---|---|---|---|---|---|---|")
    for row in table.itertuples(index=False):
        epoch = f"{row.epoch_seconds:.2f}" if isinstance(row.epoch_seconds, float) and row.epoch_seconds == \
            row.epoch_seconds else ""
        values = " | ".join(f"{getattr(row, c):.3f}" for c in COLUMNS)
        print(f"| {row.dataset} | {row.candidate} | {values} | {row.customers} | {row.fit_seconds:.1f} | {epoch} |")


if __name__ == "__main__":
    main()
