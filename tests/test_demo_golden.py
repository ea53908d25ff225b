"""Golden digests of the demo generator's output: the SHA-256 of every file it writes.

The digests were recorded from commit 5ea335d, before ``marketsql/demo/generate.py`` was split into
one module per concept, by running that code with numpy 2.4.6 and pyarrow 26.0.1; the split must
reproduce them bit for bit. ``campaign.parquet`` (the planted e-mail campaign) was added later,
after every other file was checked unchanged, and recorded then. The planted revenue shocks
(``marketsql/demo/shocks.py``: line values only) changed the order-line parts and ``truth.json`` alone; those were
re-recorded then, every other file checked unchanged. A numpy or pyarrow upgrade may
change random streams or Parquet bytes: if this fails right after one, re-record from a commit whose
output is known good and say so here.
"""
from __future__ import annotations

import hashlib
from pathlib import Path

import pytest

from marketsql.demo import generate as demo
from marketsql.demo.generate import generate_demo_data

CASES = {
    "default": ({"customers": 1_500, "seed": 13}, None,
                {"customers": 1500, "order_lines": 15348, "orders": 10347, "products": 206}, {
        "campaign.parquet": "a4143a4293c7508ba5c457fc4286f449106150266b0ca778d2181d7166863a29",
        "customers.parquet": "9d7401c29db5dd64b80c518dda63e632806c996377ac0999ee99a677f30649de",
        "marketing_spend.parquet": "e3154f72bed8f3d41009bc9324bc0fc622787fd845b936612eeca69f8c953278",
        "order_lines/part-00000.parquet": "25806a18f3e74c6847346b1d3ebc8dd1272c9704b4824493e01d1e832e8de1d9",
        "products.parquet": "5135047fb673826f3bbd5526c58f3c5ea9eb8a7ffee7bcc3ef7704401a35e4cb",
        "truth/customer_groups.parquet": "ab08d9be332ce4cd67cd4b03d2d7f020fdcfd80ab70172d15b7d78cc5f2fa847",
        "truth/truth.json": "703f6fc9b50e230ddde07397699e3b366f30b9bcbb3f512d84b4d307e4a2ec19"}),
    "mid_year_18_months": ({"customers": 900, "seed": 21, "start": "2022-07-01", "months": 18}, None,
                           {"customers": 900, "order_lines": 7104, "orders": 4763, "products": 206}, {
        "campaign.parquet": "d3c0f50c4522538531436961fdd1c8e1b6ed4b83badfc000ae700132e9e1cd3d",
        "customers.parquet": "507fb27fd2c219554edba5456c9d560fd455e503f01514a802fadff36bc71589",
        "marketing_spend.parquet": "f9f547c2d8023a71d8ffde0e7355f0db4bf2456a3200d8ed545dbf1e2b6bfb8b",
        "order_lines/part-00000.parquet": "559c2764992757a860cb7e177e227764bf2855aebd8e18ff2278d7692eee5500",
        "products.parquet": "41d6d4aa7cad5749cc78482093df53a4481e38f8ef703a85475e442edbf26448",
        "truth/customer_groups.parquet": "4901c6e2c110aac8b7a71705dc94163e824770d10f3dbdc5a383e88f957514c8",
        "truth/truth.json": "b8e91625811f9c3d6e0db53a5595f8b43f5fcd6459f4a0a71c82828fd19bbbda"}),
    "three_chunks": ({"customers": 1_000, "seed": 2}, 400,
                     {"customers": 1000, "order_lines": 10455, "orders": 7017, "products": 206}, {
        "campaign.parquet": "1477c352b7ec7f127e1d43a181c20c5dfaf1bcf68a68f75f9c06b5fa0712a986",
        "customers.parquet": "52a0bb4156204032309524c4d29e5b445e5aa2878bbeaaf605a735055ee80109",
        "marketing_spend.parquet": "66d275877b0e09e43d01dc26e8686194a53c198f13a3b18afee019247f15f470",
        "order_lines/part-00000.parquet": "6c289fa674e3e133c5bbee73bd6a5a50e1c32fd2d78c6c7e766182883dcd3046",
        "order_lines/part-00001.parquet": "02536a4a307c1ad704604030e60f75ae2f9475df0253dbbe278bc778815235f2",
        "order_lines/part-00002.parquet": "08503ed483db684798763018f678240369896bca7de321332be31acf3e3de098",
        "products.parquet": "a45462bf088a815c91235d072292abeb49efa73a7ac7be91bedfc81939fc859f",
        "truth/customer_groups.parquet": "f66a300cc8feade750a735a6d7a018cfa6cf5909ae22d1470796fbca0be89598",
        "truth/truth.json": "81fbc5c05453b4eab5d091193fe2694daea635852d524a763f1891bff81d72d2"}),
}


@pytest.mark.parametrize("case", list(CASES))
def test_output_bytes_match_recorded_digests(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, case: str) -> None:
    kwargs, chunk_size, summary, digests = CASES[case]
    if chunk_size is not None:
        monkeypatch.setattr(demo, "CHUNK_SIZE", chunk_size)
    result = generate_demo_data(tmp_path, **kwargs)
    written = {str(p.relative_to(tmp_path)): hashlib.sha256(p.read_bytes()).hexdigest()
               for p in sorted(tmp_path.rglob("*")) if p.is_file()}
    assert written == digests
    assert {k: v for k, v in result.items() if k not in ("seconds", "files")} == summary
    assert result["files"] == sorted(digests)
