"""Positioning on the real smartphone catalogue (980 phones, 14 attributes, no sales): percentiles,
tiers, the PCA map, the price model, the macros and the placement of a new phone, each checked
against an independent pandas / numpy / scikit-learn computation from the CSV."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from conftest import DATA, REPO, duckdb_cli, run_cli
from sklearn.decomposition import PCA

import marketsql
from marketsql.models.positioning.serve import load

CSV = DATA / "smartphones" / "smartphones_cleaned_v6.csv"
NEW_PHONE = {"brand": "samsung", "price": 29999, "screen_size": 6.6, "storage_gb": 256, "ram_gb": 8,
             "camera_mp": 50, "front_camera_mp": 32, "rear_cameras": 3, "battery_mah": 5000, "fast_charging_w": 25,
             "refresh_rate_hz": 120, "processor_ghz": 2.4, "pixels_m": 2.6, "has_5g": 1, "has_nfc": 0,
             "memory_card": 1}


def example_copy(root: Path) -> Path:
    """A project in ``root`` that is examples/smartphones with its own database (so the CLI can use it)."""
    example = REPO / "examples" / "smartphones"
    text = (example / "marketsql.toml").read_text(encoding="utf-8")
    text = text.replace('extends = "../.."', f'extends = "{example}"').replace(
        'database = "smartphones.duckdb"', 'database = "phones.duckdb"').replace(
        "../../../shared/data/smartphones/smartphones_cleaned_v6.csv", str(CSV))
    root.mkdir(parents=True, exist_ok=True)
    (root / "marketsql.toml").write_text(text, encoding="utf-8")
    return root


@pytest.fixture(scope="module")
def phones(tmp_path_factory) -> marketsql.Project:
    project = marketsql.Project.load(example_copy(tmp_path_factory.mktemp("phones") / "project"))
    project.build()
    project.train("positioning", seed=0)
    return project


@pytest.fixture(scope="module")
def catalogue() -> pd.DataFrame:
    """The attributes straight from the CSV, mapped as the example's README describes, by pandas."""
    csv = pd.read_csv(CSV)
    frame = pd.DataFrame({
        "product_id": [f"SP{i:04d}" for i in range(1, len(csv) + 1)], "brand": csv["brand_name"],
        "price": csv["price"].astype(float), "screen_size": csv["screen_size"], "storage_gb": csv["internal_memory"],
        "ram_gb": csv["ram_capacity"], "camera_mp": csv["primary_camera_rear"],
        "front_camera_mp": csv["primary_camera_front"], "rear_cameras": csv["num_rear_cameras"],
        "battery_mah": csv["battery_capacity"],
        "fast_charging_w": np.where(csv["fast_charging_available"] == 0, 0.0, csv["fast_charging"]),
        "refresh_rate_hz": csv["refresh_rate"], "processor_ghz": csv["processor_speed"],
        "pixels_m": csv["resolution_width"] * csv["resolution_height"] / 1e6,
        "has_5g": csv["has_5g"].astype(float), "has_nfc": csv["has_nfc"].astype(float),
        "memory_card": csv["extended_memory_available"].astype(float)})
    return frame.set_index("product_id")


def query(project: marketsql.Project, sql: str, *args: object) -> pd.DataFrame:
    con = project.connect(read_only=True)
    try:
        return con.execute(sql, list(args)).df()
    finally:
        con.close()


def independent_z(catalogue: pd.DataFrame, attributes: list[str]) -> np.ndarray:
    """Median fill, log1p of skewed (> 1) non-negative non-binary attributes, standardise (ddof 0)."""
    columns = []
    for name in attributes:
        values = catalogue[name].astype(float)
        present = values.dropna()
        if present.min() >= 0 and not set(present.unique()) <= {0.0, 1.0} and present.skew() > 1:
            values = np.log1p(values.fillna(present.median()))
        else:
            values = values.fillna(present.median())
        columns.append(((values - values.mean()) / values.std(ddof=0)).to_numpy())
    return np.column_stack(columns)


def test_percentiles_within_category_and_brand_match_pandas(phones, catalogue):
    got = query(phones, "SELECT * FROM attribute_percentiles").set_index(["product_id", "attribute"])
    assert len(got) == int(catalogue.drop(columns="brand").notna().sum().sum())
    for attribute in ("price", "storage_gb", "processor_ghz", "has_5g"):
        values = catalogue[[attribute, "brand"]].dropna()
        n = len(values)
        in_category = (values[attribute].rank(method="min") - 1) / (n - 1)
        by_brand = values.groupby("brand")[attribute]
        in_brand = ((by_brand.rank(method="min") - 1) / (by_brand.transform("count") - 1)).fillna(0.0)
        mine = got.xs(attribute, level="attribute").loc[values.index]
        assert np.allclose(mine["percentile_in_category"], in_category, atol=1e-12), attribute
        assert np.allclose(mine["percentile_in_brand"], in_brand, atol=1e-12), attribute
        assert np.allclose(mine["category_median"], values[attribute].median())
        assert np.allclose(mine["brand_median"], by_brand.transform("median"))


def test_price_tiers_are_price_quartiles(phones, catalogue):
    tiers = query(phones, "SELECT product_id, price_tier FROM price_tiers").set_index("product_id")["price_tier"]
    cume = catalogue["price"].rank(method="max") / len(catalogue)
    expected = pd.cut(cume, [0, 0.25, 0.5, 0.75, 1.0], labels=["budget", "mid-range", "upper mid-range", "premium"])
    assert (tiers.loc[catalogue.index] == expected.astype(str)).all()
    bounds = query(phones, "SELECT price_tier, products, min_price, max_price FROM price_tier_bounds"
                           " ORDER BY tier_rank")
    assert bounds["products"].sum() == 980
    assert (bounds["min_price"].to_numpy()[1:] > bounds["max_price"].to_numpy()[:-1]).all()
    # the model's price_tier() macro puts every listed price in the tier the view gives it
    con = phones.connect(read_only=True)
    try:
        agree = con.execute("SELECT count(*) FROM price_tiers WHERE price_tier(price) = price_tier").fetchall()[0][0]
    finally:
        con.close()
    assert agree == 980


def test_map_coordinates_match_sklearn_pca_and_numpy_svd(phones, catalogue):
    con = phones.connect(read_only=True)
    try:
        model = load(con)
    finally:
        con.close()
    z = independent_z(catalogue, model.attributes)
    expected = PCA(n_components=2, svd_solver="full").fit(z)
    coordinates = expected.transform(z)
    got = query(phones, "SELECT product_id, x, y FROM position_map").set_index("product_id").loc[catalogue.index]
    assert np.allclose(got[["x", "y"]].to_numpy(), coordinates, atol=1e-9)
    # and, without scikit-learn, the first two right singular vectors (sign aside)
    _, _, vt = np.linalg.svd(z - z.mean(axis=0), full_matrices=False)
    plain = (z - z.mean(axis=0)) @ vt[:2].T
    assert np.allclose(np.abs(got[["x", "y"]].to_numpy()), np.abs(plain), atol=1e-9)
    axes = query(phones, "SELECT axis, explained_variance FROM position_axes WHERE loading_rank = 1 ORDER BY axis")
    assert np.allclose(axes["explained_variance"], expected.explained_variance_ratio_)


def test_macros_equal_the_map_and_the_numpy_model(phones, catalogue):
    con = phones.connect(read_only=True)
    try:
        model = load(con)
        pivot = ", ".join(f"max(CASE WHEN dimension = '{a}' THEN value END) AS {a}" for a in model.attributes)
        named = ", ".join(f"{a} := v.{a}" for a in model.attributes)
        rows = con.execute(
            f"WITH v AS (SELECT product_id, {pivot} FROM position_space GROUP BY product_id)"
            f" SELECT m.product_id, position_x({named}), position_y({named}),"
            f" expected_price({named}, brand := m.brand), m.x, m.y, m.expected_price, m.brand"
            " FROM v JOIN position_map AS m USING (product_id) ORDER BY m.product_id").fetchall()
    finally:
        con.close()
    frame = pd.DataFrame(rows, columns=["id", "mx", "my", "mprice", "x", "y", "price", "brand"]).set_index("id")
    assert len(frame) == 980
    assert np.allclose(frame[["mx", "my"]], frame[["x", "y"]], atol=1e-9)
    assert np.allclose(frame["mprice"], frame["price"], rtol=1e-9)
    raw = catalogue.loc[frame.index, model.attributes].to_numpy(float)
    z = model.transform(raw)
    assert np.allclose(model.xy(z), frame[["x", "y"]], atol=1e-9)
    numpy_price = np.exp(model.expected_log_price(raw, model.brand_index(list(frame["brand"]))))
    assert np.allclose(numpy_price, frame["price"], rtol=1e-9)


def test_price_model_beats_the_brand_mean_and_says_so(phones, catalogue):
    quality = query(phones, "SELECT * FROM position_model_quality").set_index("predictor")
    assert set(quality["model"]) == {"price"}  # no sales in a catalogue: no sales model, stated below
    assert quality.loc["model", "r2_holdout"] > quality.loc["brand_mean", "r2_holdout"] + 0.3
    assert bool(quality.loc["model", "beats_brand_mean"]) and quality.loc["model", "n_test"] == 245
    # independently of the stored metrics: in-sample fit of the expected prices against a brand-mean guess
    mapped = query(phones, "SELECT product_id, expected_price FROM position_map").set_index("product_id")
    log_price = np.log(catalogue["price"])
    brand_guess = log_price.groupby(catalogue["brand"]).transform("mean")
    total = ((log_price - log_price.mean()) ** 2).sum()
    r2_model = 1 - ((log_price - np.log(mapped["expected_price"].loc[catalogue.index])) ** 2).sum() / total
    r2_brand = 1 - ((log_price - brand_guess) ** 2).sum() / total
    assert r2_model > 0.8 and r2_model > r2_brand
    drivers = query(phones, "SELECT * FROM position_drivers WHERE model = 'price' AND term = 'apple'")
    assert drivers["effect_pct"].iloc[0] > 50  # the Apple premium, against the average brand


def test_placement_matches_sql_and_brute_force(phones, catalogue):
    placement = phones.position(NEW_PHONE, k=5)
    con = phones.connect(read_only=True)
    try:
        model = load(con)
        args = ", ".join(f"{k} := {v!r}" for k, v in NEW_PHONE.items())
        sql_neighbours = con.execute(
            f"SELECT product_id, distance, product_name, price_tier FROM nearest_products({args})").fetchall()
        x, y, price, low, high, tier = con.execute(
            f"SELECT position_x({_attrs(args)}), position_y({_attrs(args)}), expected_price({_attrs(args)}, brand :="
            f" 'samsung'), expected_price_low({_attrs(args)}, brand := 'samsung'),"
            f" expected_price_high({_attrs(args)}, brand := 'samsung'), price_tier(29999)").fetchall()[0]
        space = con.execute("SELECT product_id, dimension, z FROM position_space").df()
    finally:
        con.close()
    assert [c.product_id for c in placement.competitors] == [r[0] for r in sql_neighbours]
    assert np.allclose([c.distance for c in placement.competitors], [r[1] for r in sql_neighbours])
    assert [(c.product_name, c.price_tier) for c in placement.competitors] == [r[2:] for r in sql_neighbours]
    wide = space.pivot(index="product_id", columns="dimension", values="z")[model.dimensions()]
    point = [*independent_z_point(catalogue, model, NEW_PHONE), (np.log(29999) - np.log(catalogue["price"]).mean())
             / np.log(catalogue["price"]).std(ddof=0)]
    brute = np.sqrt(((wide.to_numpy() - np.array(point)) ** 2).sum(axis=1))
    assert list(wide.index[np.argsort(brute, kind="stable")[:5]]) == [c.product_id for c in placement.competitors]
    assert (placement.x, placement.y) == pytest.approx((x, y), abs=1e-9)
    assert (placement.expected_price, placement.price_low, placement.price_high) == pytest.approx((price, low, high))
    assert placement.price_low < placement.expected_price < placement.price_high
    assert placement.price_tier == tier == "upper mid-range"
    assert placement.percentiles["price"] == pytest.approx((catalogue["price"] < 29999).mean())
    assert placement.percentiles["storage_gb"] == pytest.approx((catalogue["storage_gb"] < 256).mean())
    assert placement.expected_units_per_month is None and placement.segments is None
    assert "sales model skipped: the project has no sales (order lines) — only price drivers are modelled" \
        in placement.notes
    assert "segments unknown: the project has no sales, so no buyers" in placement.notes


def _attrs(args: str) -> str:
    return ", ".join(a for a in args.split(", ") if not a.startswith(("brand", "price")))


def independent_z_point(catalogue: pd.DataFrame, model, phone: dict) -> list[float]:
    out = []
    for name in model.attributes:
        values = catalogue[name].astype(float)
        present = values.dropna()
        logged = present.min() >= 0 and not set(present.unique()) <= {0.0, 1.0} and present.skew() > 1
        filled = values.fillna(present.median())
        column, value = (np.log1p(filled), np.log1p(phone[name])) if logged else (filled, phone[name])
        out.append((value - column.mean()) / column.std(ddof=0))
    return out


def test_competitor_view_is_the_brute_force_top_five(phones):
    space = query(phones, "SELECT product_id, dimension, z FROM position_space")
    wide = space.pivot(index="product_id", columns="dimension", values="z")
    competitors = query(phones, "SELECT * FROM product_competitors ORDER BY product_id, competitor_rank")
    assert len(competitors) == 5 * 980
    for product in ("SP0001", "SP0500", "SP0980"):
        d = np.sqrt(((wide.to_numpy() - wide.loc[product].to_numpy()) ** 2).sum(axis=1))
        ranked = pd.Series(d, index=wide.index).drop(product).sort_values(kind="stable")
        got = competitors[competitors["product_id"] == product]
        assert list(got["competitor_id"]) == list(ranked.index[:5])
        assert np.allclose(got["distance"], ranked.to_numpy()[:5])


def test_catalogue_without_sales_reports_sales_as_null(phones):
    products = query(phones, "SELECT count(*) AS n, count(units) AS with_units FROM position_products")
    assert products.iloc[0].tolist() == [980, 0]
    con = phones.connect(read_only=True)
    try:
        with pytest.raises(Exception, match="has no sales model"):
            con.execute("SELECT expected_units_per_month(storage_gb := 128)").fetchall()
    finally:
        con.close()


def test_duckdb_cli_places_a_phone_without_python(phones):
    sql = ("SELECT round(expected_price(storage_gb := 256, ram_gb := 8, brand := 'apple')) AS p;"
           " SELECT product_id FROM nearest_products(storage_gb := 256, ram_gb := 8, brand := 'apple', k := 2);")
    cli = duckdb_cli(phones.database, sql)
    assert cli.returncode == 0, cli.stderr
    con = phones.connect(read_only=True)
    try:
        price = con.execute(sql.split(";")[0]).fetchall()[0][0]
        ids = [r[0] for r in con.execute(sql.split(";")[1]).fetchall()]
    finally:
        con.close()
    assert cli.stdout.split() == ["p", f"{price}", "product_id", *ids]


def test_cli_position_prints_the_same_placement(phones):
    args = [f"--{k.replace('_', '-')}={v}" for k, v in NEW_PHONE.items() if k not in ("has_5g", "has_nfc")]
    result = run_cli("position", "-p", str(phones.root), *args, "--5g", "--no-nfc", "--top", "3")
    assert result.returncode == 0, result.stderr
    assert result.stdout.splitlines() == phones.position(NEW_PHONE, k=3).lines()


def test_untrained_model_and_bad_input_are_one_clear_line(phones, tmp_path):
    bare = marketsql.Project.load(example_copy(tmp_path / "bare"))
    bare.build()
    untrained = "no trained positioning model in this database — run `marketsql train positioning`"
    with pytest.raises(marketsql.ModelError, match=untrained):
        bare.position(NEW_PHONE)
    con = bare.connect(read_only=True)
    try:
        with pytest.raises(Exception, match=untrained):
            con.execute("SELECT expected_price(storage_gb := 128)").fetchall()
    finally:
        con.close()
    root = str(phones.root)
    cases = {
        ("--brand", "samsung", "--price", "cheap", "--storage", "128"):
            "Error: price 'cheap' is not a number — give a number such as 128 (yes/no for a feature)",
        ("--brand", "samsung", "--storage", "128", "--weight", "180"):
            "Error: unknown attribute 'weight' — the positioning model knows: brand, price, " + ", ".join(
                sorted(a for a in NEW_PHONE if a not in ("brand", "price"))),
        ("--brand", "samsung", "--storage", "128"):
            "Error: missing attribute(s) battery_mah, camera_mp, fast_charging_w, front_camera_mp, has_5g, has_nfc,"
            " memory_card, pixels_m, processor_ghz, ram_gb, rear_cameras, refresh_rate_hz, screen_size — give them,"
            " or fill them with the category median (--fill-missing / fill_missing=True)",
        ("--brand", "nokiaa", "--storage", "128", "--fill-missing"):
            "Error: unknown brand 'nokiaa' — known: ",
        ("--storage", "128", "--fill-missing"):
            "Error: missing brand — give the brand (one of the category's brands, or 'other')",
        ("--brand", "apple", "--storage", "lots", "--fill-missing"):
            "Error: storage_gb 'lots' is not a number — give a number such as 128 (yes/no for a feature)",
    }
    for args, message in cases.items():
        result = run_cli("position", "-p", root, *args)
        assert result.returncode == 1, args
        assert result.stderr.startswith(message) and result.stderr.count("\n") == 1, result.stderr
    untrained_cli = run_cli("position", "-p", str(bare.root), "--brand", "apple", "--storage", "128")
    assert untrained_cli.returncode == 1 and untrained_cli.stderr == f"Error: {untrained}\n"
    # then train it from the command line: the printed quality is the registered one
    trained = run_cli("train", "positioning", "-p", str(bare.root))
    assert trained.returncode == 0, trained.stderr
    record = bare.models()[0]
    price = record.metrics["price"]
    lines = trained.stdout.splitlines()
    assert lines[0].startswith("Registered positioning v1 on 980 Phones products, 14 attributes")
    assert lines[1].startswith(f"  price model (holdout 245 of 980): R² {price['model']['r2']:.3f}")
    assert "beats brand-mean baseline" in lines[1]
    assert "  note: sales model skipped: the project has no sales (order lines) — only price drivers are modelled" \
        in lines


def test_other_brand_and_filled_attributes_are_said(phones):
    placement = phones.position({"brand": "other", "storage": 512, "ram": 12}, fill_missing=True)
    assert placement.brand is None and "storage_gb" not in placement.filled and "ram_gb" not in placement.filled
    assert any("not given: set to the median" in n for n in placement.notes)
    assert placement.price is None and placement.price_gap is None
    assert placement.attributes["storage_gb"] == 512
