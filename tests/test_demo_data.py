"""Tests for marketsql.demo.generate: the deterministic demo retailer generator."""
from __future__ import annotations

import hashlib
import json
from datetime import date, timedelta
from pathlib import Path

import duckdb
import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from marketsql.demo import generate as demo
from marketsql.demo.generate import generate_demo_data
from marketsql.demo.marketing import CHANNELS
from marketsql.demo.mess import DIRTY_RATES

N_CUSTOMERS = 2_000

SCHEMAS = {
    "order_lines": pa.schema([
        ("order_id", pa.string()), ("order_ts", pa.timestamp("us")), ("customer_id", pa.string()),
        ("product_id", pa.string()), ("quantity", pa.int32()), ("unit_price", pa.float64()),
        ("sales_channel", pa.string())]),
    "products.parquet": pa.schema([
        ("product_id", pa.string()), ("product_name", pa.string()), ("category", pa.string()),
        ("brand", pa.string()), ("list_price", pa.float64()), ("release_date", pa.date32()),
        ("screen_inches", pa.float64()), ("storage_gb", pa.int32()), ("ram_gb", pa.int32()),
        ("camera_mp", pa.float64()), ("battery_mah", pa.int32()), ("has_5g", pa.bool_())]),
    "customers.parquet": pa.schema([
        ("customer_id", pa.string()), ("signup_date", pa.date32()), ("country", pa.string()),
        ("age", pa.int32()), ("acquisition_channel", pa.string())]),
    "marketing_spend.parquet": pa.schema([
        ("date", pa.date32()), ("channel", pa.string()), ("spend", pa.float64()),
        ("impressions", pa.int64()), ("clicks", pa.int64())]),
    "truth/customer_groups.parquet": pa.schema([
        ("customer_id", pa.string()), ("group_id", pa.int32()), ("group_name", pa.string()),
        ("alive_at_end", pa.bool_()), ("purchase_rate", pa.float64())]),
}


@pytest.fixture(scope="module")
def data(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, dict]:
    out = tmp_path_factory.mktemp("demo")
    return out, generate_demo_data(out, customers=N_CUSTOMERS, seed=11)


@pytest.fixture(scope="module")
def con(data: tuple[Path, dict]) -> duckdb.DuckDBPyConnection:
    out, _ = data
    c = duckdb.connect()
    c.execute(f"create view lines as select * from read_parquet('{out}/order_lines/*.parquet')")
    for name in ("products", "customers", "marketing_spend"):
        c.execute(f"create view {name} as select * from '{out}/{name}.parquet'")
    c.execute(f"create view groups as select * from '{out}/truth/customer_groups.parquet'")
    return c


def _digests(root: Path) -> dict[str, str]:
    return {str(p.relative_to(root)): hashlib.sha256(p.read_bytes()).hexdigest()
            for p in sorted(root.rglob("*")) if p.is_file()}


def test_same_seed_gives_identical_bytes_and_other_seed_differs(tmp_path: Path) -> None:
    a, b, c = tmp_path / "a", tmp_path / "b", tmp_path / "c"
    ra = generate_demo_data(a, customers=600, seed=3)
    generate_demo_data(b, customers=600, seed=3)
    generate_demo_data(c, customers=600, seed=4)
    da, db, dc = _digests(a), _digests(b), _digests(c)
    assert da == db
    assert sorted(da) == sorted(ra["files"])
    assert da.keys() == dc.keys()
    for name in ("order_lines/part-00000.parquet", "products.parquet", "customers.parquet",
                 "marketing_spend.parquet"):
        assert da[name] != dc[name], name


def test_catalogue_does_not_depend_on_customers(tmp_path: Path) -> None:
    generate_demo_data(tmp_path / "a", customers=50, seed=5)
    generate_demo_data(tmp_path / "b", customers=700, seed=5)
    assert (tmp_path / "a/products.parquet").read_bytes() == (tmp_path / "b/products.parquet").read_bytes()


def test_chunks_are_separate_parts_with_unique_ids(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(demo, "CHUNK_SIZE", 400)
    res = generate_demo_data(tmp_path, customers=1_000, seed=2)
    parts = sorted(p for p in res["files"] if p.startswith("order_lines/"))
    assert parts == [f"order_lines/part-{i:05d}.parquet" for i in range(3)]
    c = duckdb.connect()
    lines = f"read_parquet('{tmp_path}/order_lines/*.parquet', filename=true)"
    assert c.execute(f"select count(distinct filename) from (select order_id, filename from {lines} "
                 "group by all) group by order_id order by 1 desc limit 1").fetchone()[0] == 1
    ids = c.execute(f"select customer_id from '{tmp_path}/customers.parquet'").fetchnumpy()["customer_id"]
    assert list(ids) == [f"C{i:07d}" for i in range(1, 1_001)]
    assert c.execute(f"select count(*) from {lines}").fetchone()[0] == res["order_lines"]
    # the first chunk is identical to a run that has only that chunk's customers
    generate_demo_data(tmp_path / "small", customers=400, seed=2)
    assert (tmp_path / "order_lines/part-00000.parquet").read_bytes() == \
        (tmp_path / "small/order_lines/part-00000.parquet").read_bytes()


def test_summary(data: tuple[Path, dict], con: duckdb.DuckDBPyConnection) -> None:
    out, res = data
    assert set(res) == {"customers", "order_lines", "orders", "products", "seconds", "files"}
    assert res["customers"] == N_CUSTOMERS
    assert res["order_lines"] == con.execute("select count(*) from lines").fetchone()[0]
    assert res["orders"] == con.execute("select count(distinct order_id) from lines "
                                    "where order_id like 'O%'").fetchone()[0]
    assert res["products"] == con.execute("select count(*) from products").fetchone()[0]
    assert all((out / f).is_file() for f in res["files"])
    assert 7 <= res["order_lines"] / N_CUSTOMERS <= 13


@pytest.mark.parametrize("name", list(SCHEMAS))
def test_schema(data: tuple[Path, dict], name: str) -> None:
    out, _ = data
    paths = sorted((out / "order_lines").glob("*.parquet")) if name == "order_lines" else [out / name]
    for path in paths:
        assert pq.read_schema(path).remove_metadata() == SCHEMAS[name]


def test_duckdb_types(con: duckdb.DuckDBPyConnection) -> None:
    types = dict(con.execute("select column_name, column_type from (describe lines)").fetchall())
    assert types == {"order_id": "VARCHAR", "order_ts": "TIMESTAMP", "customer_id": "VARCHAR",
                     "product_id": "VARCHAR", "quantity": "INTEGER", "unit_price": "DOUBLE",
                     "sales_channel": "VARCHAR"}


def test_ids_and_values(con: duckdb.DuckDBPyConnection, data: tuple[Path, dict]) -> None:
    bad = con.execute("""select count(*) from lines where not regexp_full_match(order_id, 'R?O[0-9]{8}')
        or not regexp_full_match(product_id, 'P[0-9]{4}')
        or (customer_id is not null and not regexp_full_match(customer_id, 'C[0-9]{7}'))
        or sales_channel not in ('web', 'app', 'store') or unit_price < 0""").fetchone()[0]
    assert bad == 0
    # lines of one order share timestamp, customer and channel
    assert con.execute("""select count(*) from (select order_id from lines where order_id like 'O%'
        group by order_id having count(distinct order_ts) > 1
        or count(distinct coalesce(customer_id, '-')) > 1
        or count(distinct sales_channel) > 1)""").fetchone()[0] == 0
    multi = con.execute("select avg((n > 1)::int) from (select count(*) n from lines "
                        "where order_id like 'O%' "
                    "group by order_id)").fetchone()[0]
    assert 0.2 < multi < 0.7
    shocks = json.loads((data[0] / "truth" / "truth.json").read_text())["shocks"]
    multiplied = [*shocks["spike_days"], *(str(date.fromisoformat(w) + timedelta(days=d))
                                           for w in shocks["spike_weeks"] for d in range(7))]
    q = con.execute("""select category = 'Phones', max(quantity), avg(quantity)
        from lines join products using (product_id) where quantity > 0
        and cast(order_ts as date) not in (select unnest(cast(? as date[]))) group by 1""", [multiplied]).fetchall()
    stats = {phone: (mx, avg) for phone, mx, avg in q}
    assert stats[True][1] < 1.1 and stats[False][0] == 3 and 1.1 < stats[False][1] < 1.6


def test_referential_integrity(con: duckdb.DuckDBPyConnection) -> None:
    assert con.execute("select count(*) from lines l anti join customers c using (customer_id) "
                   "where l.customer_id is not null").fetchone()[0] == 0
    assert con.execute("select count(*) from lines anti join products using (product_id)").fetchone()[0] == 0
    assert con.execute("select count(*) from lines l join products p using (product_id) "
                   "where l.order_ts < p.release_date").fetchone()[0] == 0
    assert con.execute("select count(*) from lines l join customers c using (customer_id) "
                   "where l.order_ts < c.signup_date").fetchone()[0] == 0
    lo, hi = con.execute("select min(order_ts), max(order_ts) from lines").fetchone()
    assert str(lo) >= "2023-01-01" and str(hi) < "2025-01-01"
    lo, hi = con.execute("select min(signup_date), max(signup_date) from customers").fetchone()
    assert str(lo) >= "2020-01-01" and str(hi) < "2025-01-01"
    assert con.execute("select count(*), count(distinct customer_id) from customers").fetchone() == \
        (N_CUSTOMERS, N_CUSTOMERS)
    assert con.execute("select count(*) from customers anti join groups using (customer_id)"
                       ).fetchone()[0] == 0


def test_dirty_rows_match_truth(data: tuple[Path, dict], con: duckdb.DuckDBPyConnection) -> None:
    out, res = data
    truth = json.loads((out / "truth/truth.json").read_text())
    counts = truth["dirty_counts"]
    one = lambda sql: con.execute(sql).fetchone()[0]  # noqa: E731
    assert counts["guest_lines"] == one("select count(*) from lines where customer_id is null") > 0
    assert counts["duplicate_lines"] == one(
        "select coalesce(sum(n - 1), 0) from (select *, count(*) n from lines group by all having n > 1)") > 0
    assert counts["zero_price_lines"] == one("select count(*) from lines where unit_price = 0")
    assert counts["zero_quantity_lines"] == one("select count(*) from lines where quantity = 0")
    assert counts["return_lines"] == one("select count(*) from lines where order_id like 'R%'") \
        == one("select count(*) from lines where quantity < 0") > 0
    # guest checkouts are whole orders
    assert one("""select count(*) from (select order_id from lines group by order_id
        having count(customer_id) > 0 and count(*) > count(customer_id))""") == 0
    # every return matches a purchase line: same product and price, 1-30 days later
    bad = one("""select count(*) from (select distinct * from lines where order_id like 'R%') r
        left join (select distinct * from lines where order_id like 'O%') o
          on r.order_id = 'R' || o.order_id and r.product_id = o.product_id
         and r.unit_price = o.unit_price and -r.quantity = o.quantity
        where o.order_id is null or r.order_ts::date < o.order_ts::date + 1
           or r.order_ts::date > o.order_ts::date + 30""")
    assert bad == 0
    rates = {k: v / res["order_lines"] for k, v in counts.items()}
    assert 0.01 < rates["return_lines"] < 0.05
    assert rates["guest_lines"] < 0.02 and rates["duplicate_lines"] < 0.01
    assert rates["zero_price_lines"] < 0.005 and rates["zero_quantity_lines"] < 0.003
    assert truth["dirty_rates"] == DIRTY_RATES


def _features(con: duckdb.DuckDBPyConnection) -> dict[str, np.ndarray]:
    return con.execute("""
        with l as (select * from lines join products using (product_id)
                   where order_id like 'O%' and customer_id is not null),
        f as (select customer_id, count(distinct order_id) n, sum(quantity * unit_price) spend,
                coalesce(sum(quantity * unit_price) filter (where category = 'Phones')
                         / nullif(sum(quantity * unit_price), 0), 0) phone_share,
                date_diff('day', max(order_ts)::date, (select max(order_ts)::date + 1 from lines)) recency
              from l group by all)
        select g.group_id, f.* from f join groups g using (customer_id) order by customer_id
    """).fetchnumpy()


def test_groups_are_as_designed(data: tuple[Path, dict], con: duckdb.DuckDBPyConnection) -> None:
    out, _ = data
    truth = json.loads((out / "truth/truth.json").read_text())
    shares = dict(con.execute("select group_id, count(*) / sum(count(*)) over () from groups group by 1"
                              ).fetchall())
    for g in truth["groups"]:
        assert abs(shares[g["id"]] - g["share"]) < 0.04, g["name"]
    f = _features(con)
    med = {k: {g: float(np.median(f[k][f["group_id"] == g])) for g in range(1, 6)}
           for k in ("n", "spend", "phone_share", "recency")}
    premium, bargain, accessory, once, lapsed = 1, 2, 3, 4, 5
    assert med["n"][once] == 1 and np.all(f["n"][f["group_id"] == once] == 1)
    assert med["n"][accessory] > med["n"][premium] > med["n"][bargain] >= 3
    assert 4 <= med["n"][lapsed] <= 8
    assert med["spend"][premium] > 2 * max(v for g, v in med["spend"].items() if g != premium)
    assert med["spend"][bargain] < min(med["spend"][g] for g in (premium, accessory, lapsed))
    assert med["phone_share"][accessory] < 0.1 < 0.3 < min(med["phone_share"][g] for g in (
        premium, bargain, once, lapsed))
    assert med["recency"][lapsed] > 200 > 60 > max(med["recency"][g] for g in (premium, accessory, bargain))
    basket = {g: float(np.median((f["spend"] / f["n"])[f["group_id"] == g])) for g in range(1, 6)}
    assert max(basket[bargain], basket[accessory]) < 0.5 * min(basket[g] for g in (premium, once, lapsed))


def test_groups_are_separable(con: duckdb.DuckDBPyConnection) -> None:
    """Nearest group median on standardised log RFM features recovers the planted groups, although
    frequency and monetary value now grow with each customer's tenure."""
    f = _features(con)
    spend = np.maximum(f["spend"], 0.0)
    x = np.column_stack([np.log1p(f["n"]), np.log1p(spend), np.log1p(spend / f["n"]), f["phone_share"],
                         np.log1p(f["recency"])])
    x = (x - x.mean(axis=0)) / x.std(axis=0)
    y = f["group_id"]
    centroids = np.stack([np.median(x[y == g], axis=0) for g in range(1, 6)])
    predicted = 1 + ((x[:, None, :] - centroids[None]) ** 2).sum(axis=2).argmin(axis=1)
    assert (predicted == y).mean() >= 0.9
    for g in range(1, 6):  # no group is mostly absorbed by another
        assert (predicted[y == g] == g).mean() >= 0.8, g
    for g in range(5):  # well separated: every pair of centroids far apart
        gaps = np.linalg.norm(centroids - centroids[g], axis=1)
        assert np.sort(gaps)[1] > 1.0


def test_existing_customer_base(data: tuple[Path, dict], con: duckdb.DuckDBPyConnection) -> None:
    """A sizeable base signed up before the period; it is recorded in the truth."""
    out, _ = data
    truth = json.loads((out / "truth/truth.json").read_text())["existing_customers"]
    n_existing = con.execute("select count(*) from customers where signup_date < date '2023-01-01'").fetchone()[0]
    assert n_existing == truth["customers"] and 0.4 < n_existing / N_CUSTOMERS < 0.6
    assert con.execute("select min(signup_date) >= date '2020-01-01' from customers").fetchone()[0]
    by_group = dict(con.execute("""select group_id, count(*) from customers join groups using (customer_id)
        where signup_date < date '2023-01-01' group by 1""").fetchall())
    groups = json.loads((out / "truth/truth.json").read_text())["groups"]
    assert {g["id"]: g["existing_customers"] for g in groups if g["existing_customers"]} == by_group
    # pre-existing Lapsed customers lapse during the first year (no order after it: a return of a late-December
    # order may come in January), the others order from day 0 on
    assert con.execute("""select count(*) from lines join customers c using (customer_id)
        join groups using (customer_id) where group_id = 5 and c.signup_date < date '2023-01-01'
        and order_ts >= timestamp '2024-01-01' and order_id like 'O%'""").fetchone()[0] == 0
    early = con.execute("""select count(distinct customer_id) from lines join customers c using (customer_id)
        where c.signup_date < date '2023-01-01' and order_ts < timestamp '2023-02-01'""").fetchone()[0]
    assert early > 0.2 * n_existing


def test_order_rate_does_not_depend_on_tenure(con: duckdb.DuckDBPyConnection) -> None:
    """Groups ordering to the end of the period: orders per active day of customers who signed up in
    the first half of the period are close to those of the pre-existing base."""
    rows = con.execute("""
        with n as (select customer_id, count(distinct order_id) n from lines
                   where order_id like 'O%' and customer_id is not null group by 1)
        select group_id, signup_date < date '2023-01-01' existing,
               sum(coalesce(n, 0)) / sum(date_diff('day', greatest(signup_date, date '2023-01-01'),
                                                   date '2025-01-01'))
        from customers join groups using (customer_id) left join n using (customer_id)
        where group_id in (1, 2, 3) and signup_date < date '2024-01-01' group by all""").fetchall()
    rate = {(g, e): r for g, e, r in rows}
    for g in (1, 2, 3):
        assert 0.7 < rate[(g, False)] / rate[(g, True)] < 1.4, g


def test_order_volume_grows_smoothly(tmp_path: Path) -> None:
    """Monthly orders grow like a real retailer's (not back-loaded) with the Nov/Dec peak on top."""
    generate_demo_data(tmp_path, customers=3_000, seed=5)
    c = duckdb.connect()
    v = np.array([n for _, n in c.execute(f"""select date_trunc('month', order_ts) m, count(distinct order_id)
        from read_parquet('{tmp_path}/order_lines/*.parquet') where order_id like 'O%'
        group by 1 order by 1""").fetchall()])
    assert v.size == 24
    assert 1.3 < v[-3:].sum() / v[:3].sum() < 2.5
    assert v[3:].min() > 0.5 * v[0]
    assert 1.1 < v[12:].sum() / v[:12].sum() < 1.5  # yearly growth
    for year in (0, 12):
        assert min(v[year + 10], v[year + 11]) > max(v[year + 3:year + 8])  # Nov/Dec peak
        assert v[year + 10] > v[year + 9]


def test_catalogue(con: duckdb.DuckDBPyConnection) -> None:
    rows = dict(con.execute("select category, count(*) from products group by 1").fetchall())
    assert set(rows) == {"Phones", "Cases", "Chargers", "Audio", "Wearables", "Screen protectors"}
    assert 100 <= rows["Phones"] <= 140 and 70 <= sum(rows.values()) - rows["Phones"] <= 90
    brands = {b for (b,) in con.execute("select distinct brand from products where category = 'Phones'"
                                        ).fetchall()}
    assert brands == {"Apple", "Samsung", "Google", "Xiaomi", "OnePlus", "Motorola", "Nokia", "Oppo"}
    assert con.execute("""select count(*) from products where category <> 'Phones' and (screen_inches
        is not null or storage_gb is not null or ram_gb is not null or camera_mp is not null
        or battery_mah is not null or has_5g is not null)""").fetchone()[0] == 0
    assert con.execute("""select count(*) from products where category = 'Phones' and (screen_inches
        is null or storage_gb is null or ram_gb is null or camera_mp is null or battery_mah is null
        or has_5g is null or not product_name like '%' || storage_gb || 'GB')""").fetchone()[0] == 0
    names = {n for (n,) in con.execute("select product_name from products").fetchall()}
    assert {"Apple iPhone 15 Pro 128GB", "Samsung Galaxy S24 256GB", "Anker 65W USB-C Charger"} <= names
    ids = [i for (i,) in con.execute("select product_id from products order by 1").fetchall()]
    assert ids == [f"P{i:04d}" for i in range(1, len(ids) + 1)]
    # expensive phones have more storage/camera and always 5G; 5G share rises over time
    assert con.execute("""select bool_and(has_5g) from products where category = 'Phones'
        and list_price >= 699""").fetchone()[0]
    tiers = con.execute("""select list_price < 300, avg(storage_gb), avg(camera_mp), avg(has_5g::int)
        from products where category = 'Phones' group by 1 order by 1""").fetchall()
    assert tiers[1][1] < tiers[0][1] and tiers[1][3] < tiers[0][3]
    share_5g = [s for (_, s) in con.execute("""select year(release_date) y, avg(has_5g::int) from products
        where category = 'Phones' group by 1 order by 1""").fetchall()]
    assert share_5g[0] < share_5g[-1]
    launch = con.execute("""select distinct month(release_date) from products where category = 'Phones'
        and list_price >= 799""").fetchall()
    assert {m for (m,) in launch} <= {2, 9}


def test_marketing_and_signups(data: tuple[Path, dict], con: duckdb.DuckDBPyConnection) -> None:
    out, _ = data
    truth = json.loads((out / "truth/truth.json").read_text())
    assert con.execute("select count(*), count(distinct date), count(distinct channel) from marketing_spend"
                   ).fetchone() == (731 * 5, 731, 5)
    assert con.execute("select count(*) from marketing_spend where spend < 0 or clicks > impressions"
                   ).fetchone()[0] == 0
    by_month = dict(con.execute("select month(date), sum(spend) from marketing_spend group by 1").fetchall())
    assert by_month[12] > by_month[11] > max(by_month[m] for m in range(1, 9))
    assert by_month[9] > by_month[8]
    years = dict(con.execute("select year(date), sum(spend) from marketing_spend group by 1").fetchall())
    assert years[2024] > 1.15 * years[2023]
    betas = [c["beta"] for c in truth["channels"].values()]
    assert len(set(betas)) == 5 and all(0.4 <= b <= 0.8 for b in betas)
    expected = np.array(list(truth["expected_signups"].values()))
    share = truth["existing_customers"]["expected_share"]
    assert expected.shape == (5, 24) and abs(expected.sum() - N_CUSTOMERS * (1 - share)) < 1e-3
    assert abs(expected.sum() - truth["in_period_signups"]["expected"]) < 1e-3
    # only in-period signups follow the response model
    actual = dict(con.execute("""select acquisition_channel, count(*) from customers
        where signup_date >= date '2023-01-01' group by 1""").fetchall())
    for i, channel in enumerate(CHANNELS):
        assert abs(actual[channel] - expected[i].sum()) < 5 * np.sqrt(expected[i].sum()) + 5
    lapsed_late = con.execute("""select count(*) from customers join groups using (customer_id)
        where group_id = 5 and signup_date >= date '2024-01-01'""").fetchone()[0]
    assert lapsed_late == 0


def test_seasonality_in_orders(con: duckdb.DuckDBPyConnection) -> None:
    daily = dict(con.execute("""select dayofweek(order_ts) in (0, 6),
        count(*) / count(distinct order_ts::date)
        from lines where order_id like 'O%' group by 1""").fetchall())
    assert daily[True] > daily[False]
    months = dict(con.execute("""select month(order_ts), count(distinct order_id) from lines
        where order_id like 'O%' group by 1""").fetchall())
    assert months[12] > months[6] and months[11] > months[6]


@pytest.mark.parametrize("kwargs", [
    {"customers": 0}, {"customers": -5}, {"months": 11}, {"months": 0},
    {"start": "not-a-date"}, {"start": "2023-01-15"}])
def test_bad_arguments(tmp_path: Path, kwargs: dict) -> None:
    with pytest.raises(ValueError):
        generate_demo_data(tmp_path, **kwargs)
