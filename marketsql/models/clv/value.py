"""Customer lifetime value from the two models: Gamma-Gamma expected spend x discounted expected purchases.

The lifetimes ``customer_lifetime_value`` convention: month i (30 days) brings
E[X(30 i)] - E[X(30 (i - 1))] purchases, discounted by (1 + monthly rate)^i; here the rate is given per year
and turned into the equivalent monthly one, (1 + annual)^(1/12) - 1.
"""

from __future__ import annotations

import numpy as np

from .bgnbd import BgNbd
from .gammagamma import GammaGamma
from .paretonbd import ParetoNbd

DAYS_PER_MONTH = 30


def monthly_rate(annual_discount: float) -> float:
    """The monthly discount rate equivalent to ``annual_discount``."""
    return float((1.0 + annual_discount) ** (1.0 / 12.0) - 1.0)


def customer_value(bgnbd: BgNbd | ParetoNbd, spend: GammaGamma, months: int, annual_discount: float, x: np.ndarray,
                   t_x: np.ndarray, age: np.ndarray, m: np.ndarray) -> np.ndarray:
    """Discounted expected revenue of each customer over the next ``months`` months."""
    x, t_x, age, m = (np.asarray(v, dtype=np.float64) for v in (x, t_x, age, m))
    rate = monthly_rate(annual_discount)
    order_value = spend.expected_order_value(x, m)
    total = np.zeros(np.broadcast(x, t_x, age).shape)
    previous = np.zeros_like(total)
    for month in range(1, int(months) + 1):
        cumulative = bgnbd.expected_purchases(DAYS_PER_MONTH * month, x, t_x, age)
        total += (cumulative - previous) / (1.0 + rate) ** month
        previous = cumulative
    return order_value * total
