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
                {"customers": 1500, "order_lines": 15332, "orders": 10347, "products": 206}, {
        "campaign.parquet": "49ca0bc83b70bba8965e533e5198a2b867b7828a56c1ee8d5a946145ce595499",
        "customers.parquet": "9d7401c29db5dd64b80c518dda63e632806c996377ac0999ee99a677f30649de",
        "marketing_spend.parquet": "e3154f72bed8f3d41009bc9324bc0fc622787fd845b936612eeca69f8c953278",
        "order_lines/part-00000.parquet": "c82305b311e4ce1ae664086f58a2881a69dc2febdeedc6f73bcbdbca1302a94e",
        "products.parquet": "5135047fb673826f3bbd5526c58f3c5ea9eb8a7ffee7bcc3ef7704401a35e4cb",
        "truth/customer_groups.parquet": "ab08d9be332ce4cd67cd4b03d2d7f020fdcfd80ab70172d15b7d78cc5f2fa847",
        "truth/truth.json": "1d57536569d5f70c1e2129e5c7308fd117fb1ce0e0ac02cbd380f64548d32928"}),
    "mid_year_18_months": ({"customers": 900, "seed": 21, "start": "2022-07-01", "months": 18}, None,
                           {"customers": 900, "order_lines": 7125, "orders": 4763, "products": 206}, {
        "campaign.parquet": "16107a378a8709f013a176f72db44061eca21d3ac10d87c99dd282f81716cdc7",
        "customers.parquet": "507fb27fd2c219554edba5456c9d560fd455e503f01514a802fadff36bc71589",
        "marketing_spend.parquet": "f9f547c2d8023a71d8ffde0e7355f0db4bf2456a3200d8ed545dbf1e2b6bfb8b",
        "order_lines/part-00000.parquet": "ea5d1bf10d37b0aec7bc7e0f3003a86b9d6e8496155bac270e27abfb458249ce",
        "products.parquet": "41d6d4aa7cad5749cc78482093df53a4481e38f8ef703a85475e442edbf26448",
        "truth/customer_groups.parquet": "4901c6e2c110aac8b7a71705dc94163e824770d10f3dbdc5a383e88f957514c8",
        "truth/truth.json": "8f58ba683beddd85ec800cb4415505d8d8cb61de58b7f6e1ee1afb36f403faae"}),
    "three_chunks": ({"customers": 1_000, "seed": 2}, 400,
                     {"customers": 1000, "order_lines": 10444, "orders": 7017, "products": 206}, {
        "campaign.parquet": "266aebdad1d9c28227f9f76d70b94fe01c766148d6d9fdc4ebcc774277202b6f",
        "customers.parquet": "52a0bb4156204032309524c4d29e5b445e5aa2878bbeaaf605a735055ee80109",
        "marketing_spend.parquet": "66d275877b0e09e43d01dc26e8686194a53c198f13a3b18afee019247f15f470",
        "order_lines/part-00000.parquet": "d1af113529491023be7ae3facfa7e5519b0e12a200a466f5e386d24f1ae895fc",
        "order_lines/part-00001.parquet": "fadf73d8f99364242a612c4a7f4a1b557ef98d532ce04212f487f9fec559a2e6",
        "order_lines/part-00002.parquet": "55656f1a4d653f326cab02d2a7b86cdb1f6293695235c0fbf256554c32148907",
        "products.parquet": "a45462bf088a815c91235d072292abeb49efa73a7ac7be91bedfc81939fc859f",
        "truth/customer_groups.parquet": "f66a300cc8feade750a735a6d7a018cfa6cf5909ae22d1470796fbca0be89598",
        "truth/truth.json": "259e07342dc1e576df967cd1bdad2ff70e30c63bf2bc1d6a819b25fc0caea3c1"}),
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
