"""Cheap checks before heavy work: a training that cannot succeed fails fast, with advice that can help,
before scikit-learn or TensorFlow is imported."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import duckdb

import marketsql

HEAVY = ("tensorflow", "keras", "sklearn", "statsmodels")


def _one_product_project(demo: Path, root: Path) -> Path:
    """A new project on the demo's data, whose order lines all hold one product (a one-product catalogue)."""
    marketsql.init(root)
    shutil.copytree(demo / "data", root / "data")
    lines = root / "data" / "demo" / "order_lines"
    con = duckdb.connect()
    try:
        con.execute(f"COPY (SELECT * REPLACE ((SELECT min(product_id) FROM '{lines}/*.parquet') AS product_id)"
                    f" FROM '{lines}/*.parquet') TO '{root / 'one_product.parquet'}' (FORMAT parquet)")
    finally:
        con.close()
    shutil.rmtree(lines)
    lines.mkdir()
    (root / "one_product.parquet").rename(lines / "all.parquet")
    marketsql.Project.load(root).build()
    return root


def _train(root: Path, model: str) -> subprocess.CompletedProcess[str]:
    """``marketsql train MODEL`` in a fresh interpreter that prints which heavy libraries it imported."""
    code = ("import sys\nfrom marketsql.cli import main\ntry:\n    main(['train', sys.argv[1], '-p', sys.argv[2]])\n"
            "except SystemExit as exc:\n    print('exit', exc.code)\n"
            f"print(sorted(m for m in {HEAVY!r} if m in sys.modules))")
    return subprocess.run([sys.executable, "-c", code, model, str(root)], capture_output=True, text=True, timeout=300)


def test_recommendation_on_a_one_product_catalogue_fails_before_tensorflow(demo_shop, tmp_path):
    root = _one_product_project(demo_shop.root, tmp_path / "one")
    result = _train(root, "recommendation")
    assert result.stdout.splitlines()[-2:] == ["exit 1", "[]"], result.stdout + result.stderr
    error = result.stderr.strip().splitlines()
    assert len(error) == 1
    assert error[0] == ("Error: recommendation chooses between products, and this data has 1 product(s) bought in all"
                        " — load order lines for at least 2 products (the whole catalogue's sales, not one"
                        " product's) and build")
    assert "--holdout-days" not in error[0]
