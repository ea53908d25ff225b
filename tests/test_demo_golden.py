"""Golden digests of the demo generator's output: the SHA-256 of every file it writes.

The digests were recorded from commit 5ea335d, before ``marketsql/demo/generate.py`` was split into
one module per concept, by running that code with numpy 2.4.6 and pyarrow 26.0.1; the split must
reproduce them bit for bit. ``campaign.parquet`` (the planted e-mail campaign) was added later,
after every other file was checked unchanged, and recorded then. The planted revenue shocks
(``marketsql/demo/shocks.py``: line values only) changed the order-line parts and ``truth.json`` alone; those were
re-recorded then, every other file checked unchanged. The planted BG/NBD purchase process
(``marketsql/demo/purchases.py``) changed the order-line parts, ``truth/customer_groups.parquet`` and ``truth.json``
alone, re-recorded then with ``customers``, ``products``, ``marketing_spend`` and ``campaign`` checked unchanged.
A numpy or pyarrow upgrade may change random streams or Parquet bytes: if this fails right after one, re-record
from a commit whose output is known good and say so here.
"""
from __future__ import annotations

import hashlib
from pathlib import Path

import pytest

from marketsql.demo import generate as demo
from marketsql.demo.generate import generate_demo_data

CASES = {
    "default": ({"customers": 1_500, "seed": 13}, None,
                {"customers": 1500, "order_lines": 16631, "orders": 11459, "products": 206}, {
        "campaign.parquet": "49ca0bc83b70bba8965e533e5198a2b867b7828a56c1ee8d5a946145ce595499",
        "customers.parquet": "9d7401c29db5dd64b80c518dda63e632806c996377ac0999ee99a677f30649de",
        "marketing_spend.parquet": "e3154f72bed8f3d41009bc9324bc0fc622787fd845b936612eeca69f8c953278",
        "order_lines/part-00000.parquet": "8d5d65adb8d629d85261120347d5458e4bb6ec330cd914181cf7c6bd891030be",
        "products.parquet": "5135047fb673826f3bbd5526c58f3c5ea9eb8a7ffee7bcc3ef7704401a35e4cb",
        "truth/customer_groups.parquet": "d06685d9a8e370bc5625829c506fea2ff6fb897c3082138c9a22b99830087925",
        "truth/truth.json": "013a90ecf2fca882ecd5c1fd4d8edba352dcee998c358a11fb1bf59f87def879"}),
    "mid_year_18_months": ({"customers": 900, "seed": 21, "start": "2022-07-01", "months": 18}, None,
                           {"customers": 900, "order_lines": 8164, "orders": 5524, "products": 206}, {
        "campaign.parquet": "16107a378a8709f013a176f72db44061eca21d3ac10d87c99dd282f81716cdc7",
        "customers.parquet": "507fb27fd2c219554edba5456c9d560fd455e503f01514a802fadff36bc71589",
        "marketing_spend.parquet": "f9f547c2d8023a71d8ffde0e7355f0db4bf2456a3200d8ed545dbf1e2b6bfb8b",
        "order_lines/part-00000.parquet": "55a3b83f337c483686e96c2772949c5fa77405df1bc2a7ec9243791a177d3f05",
        "products.parquet": "41d6d4aa7cad5749cc78482093df53a4481e38f8ef703a85475e442edbf26448",
        "truth/customer_groups.parquet": "4015bff4f29002295c2c49578840e28463dff92120d7b1931b102393a3511279",
        "truth/truth.json": "b229960411d7f2c4b9103310ceae18bf6dd2af6a6b93b6dec17640859314f4f0"}),
    "three_chunks": ({"customers": 1_000, "seed": 2}, 400,
                     {"customers": 1000, "order_lines": 11445, "orders": 7849, "products": 206}, {
        "campaign.parquet": "266aebdad1d9c28227f9f76d70b94fe01c766148d6d9fdc4ebcc774277202b6f",
        "customers.parquet": "52a0bb4156204032309524c4d29e5b445e5aa2878bbeaaf605a735055ee80109",
        "marketing_spend.parquet": "66d275877b0e09e43d01dc26e8686194a53c198f13a3b18afee019247f15f470",
        "order_lines/part-00000.parquet": "842013dccc1eb81a5814fbaa00415959bddfc7d88a3f1f593a31277df39cc208",
        "order_lines/part-00001.parquet": "e35b000281e5c5102a0af1715b5211796aeb8937d86df97b4643af3e79301e63",
        "order_lines/part-00002.parquet": "f2cece2ba3e625c57213861671e9f967526cd16572d3d82fff1b444ed224dfa4",
        "products.parquet": "a45462bf088a815c91235d072292abeb49efa73a7ac7be91bedfc81939fc859f",
        "truth/customer_groups.parquet": "5fcbaf460abd2c762477751ca307b246696644774aa60e78b10b8818f6b66276",
        "truth/truth.json": "acf87d9acf1b74e4f79119dd51d4bd379b036a7d7968fc0aa911b628956bff95"}),
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
