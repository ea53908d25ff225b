"""The customer sample a model can be trained on: which customers, in SQL both DuckDB and Spark run identically.

The sample is the first N customers ordered by ``md5(CAST(key AS VARCHAR))``, then by the key itself: a fixed,
pseudo-random choice that needs no seed, does not depend on the engine or on the order of the rows, and grows by
adding customers (the sample of 200 holds the sample of 100). Each sampled customer keeps its whole history: every
raw table with the customer key is cut to the sampled customers, every other table (products, marketing spend …)
is taken whole. Both engines' ``md5`` return the lower-case hex digest of the text's UTF-8 bytes, and both order
text byte by byte, so the same raw rows give the same customers on either engine.

The key of a raw table is its column named like ``customer_id`` (case and underscores ignored: ``CustomerID``,
``customer_id``, ``customerid``) or the column the project names with ``[settings] sample_key = "COLUMN"``.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass

from marketsql.errors import ConfigError

SETTING = "sample_key"
RULE = "first N customers by md5(CAST(key AS VARCHAR)), then key; whole history in every table with the key"
_DEFAULT_KEY = "customerid"
SOURCES = ("duckdb", "spark")


@dataclass(frozen=True)
class SampleKeys:
    """Which column of each raw table holds the customer key; tables absent from ``keys`` are taken whole."""

    keys: Mapping[str, str]
    whole: tuple[str, ...]

    def describe(self) -> dict[str, object]:
        """For the model's params: the key column of each cut table and the tables taken whole."""
        return {"cut_by": dict(sorted(self.keys.items())), "whole": sorted(self.whole)}


def check_size(sample: object) -> int:
    """``sample`` as a customer count: a positive integer, else ConfigError.

    >>> check_size(5)
    5
    >>> check_size(0)
    Traceback (most recent call last):
    ...
    marketsql.errors.ConfigError: --sample 0: a sample needs at least one customer — give a positive number of customers
    """
    if isinstance(sample, bool) or not isinstance(sample, int):
        raise ConfigError(f"--sample {sample!r} is not a whole number of customers — give e.g. --sample 20000")
    if sample <= 0:
        raise ConfigError(f"--sample {sample}: a sample needs at least one customer — give a positive number of"
                          " customers")
    return sample


def check_source(source: str) -> str:
    """``duckdb`` or ``spark``, else ConfigError.

    >>> check_source("spark")
    'spark'
    """
    if source not in SOURCES:
        raise ConfigError(f"--sample-from {source} is not a source of samples — use duckdb (the project database)"
                          " or spark (its Spark mirror)")
    return source


def find_keys(columns: Mapping[str, Sequence[str]], settings: Mapping[str, str]) -> SampleKeys:
    """The customer key of each raw table (``columns``: table → its columns); ConfigError when none has one.

    >>> find_keys({"orders": ["_source_row", "CustomerID"], "products": ["product_id"]}, {})
    SampleKeys(keys={'orders': 'CustomerID'}, whole=('products',))
    >>> find_keys({"orders": ["buyer", "sku"]}, {"sample_key": "buyer"}).keys
    {'orders': 'buyer'}
    """
    declared = settings.get(SETTING)
    keys: dict[str, str] = {}
    for table, names in columns.items():
        found = [c for c in names if (c == declared if declared else c.lower().replace("_", "") == _DEFAULT_KEY)]
        if found:
            keys[table] = found[0]
    if not keys:
        looked = f"a column named {declared!r} ([settings] {SETTING})" if declared else \
            "a column named customer_id (or CustomerID, customerid)"
        raise ConfigError(f"no raw table has a customer key to sample by: looked for {looked} in"
                          f" {', '.join(sorted(columns)) or 'no tables'} — declare the key column with [settings]"
                          f' {SETTING} = "COLUMN" in the project config')
    return SampleKeys(keys, tuple(t for t in columns if t not in keys))


def customers_sql(keys: SampleKeys, table: Callable[[str], str], column: Callable[[str], str], text: str) -> str:
    """The distinct non-null customer keys as text (one column ``c``) over every keyed table, in either dialect:
    ``table``/``column`` quote names, ``text`` is the engine's text type (VARCHAR, STRING).

    >>> q = lambda n: f'"{n}"'
    >>> customers_sql(SampleKeys({"a": "k"}, ()), lambda t: f"raw.{q(t)}", q, "VARCHAR")
    'SELECT DISTINCT c FROM (SELECT CAST("k" AS VARCHAR) AS c FROM raw."a") AS keyed WHERE c IS NOT NULL'
    """
    parts = " UNION ALL ".join(f"SELECT CAST({column(k)} AS {text}) AS c FROM {table(t)}"
                               for t, k in sorted(keys.keys.items()))
    return f"SELECT DISTINCT c FROM ({parts}) AS keyed WHERE c IS NOT NULL"


def sample_sql(customers: str, size: int) -> str:
    """The sampled customers (column ``c``) out of ``customers`` (a query with column ``c``): the rule above.

    >>> sample_sql("SELECT 'x' AS c", 2)
    "SELECT c FROM (SELECT 'x' AS c) AS population ORDER BY md5(c), c LIMIT 2"
    """
    return f"SELECT c FROM ({customers}) AS population ORDER BY md5(c), c LIMIT {int(size)}"


def check_population(size: int, population: int) -> None:
    """A sample must be smaller than the population, else ConfigError (train on the whole data instead)."""
    if size >= population:
        raise ConfigError(f"--sample {size:,} is not smaller than the {population:,} customers in the data — train"
                          " without --sample (on the whole data)")
