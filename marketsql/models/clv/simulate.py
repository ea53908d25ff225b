"""Draw purchase histories from the BG/NBD process, or MBG/NBD's (for the demo generator, tests and the benchmark)."""

from __future__ import annotations

import numpy as np


def bgnbd_histories(rng: np.random.Generator, n: int, r: float, alpha: float, a: float, b: float,
                    age: np.ndarray, max_purchases: int = 400,
                    modified: bool = False,
                    rate: np.ndarray | None = None) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Per customer (first purchase at day 0, observed for ``age`` days): repeat purchases x, recency t_x, the
    planted alive flag at the end, and the purchase rate. Vectorised over customers, one step per purchase:
    exponential waiting times at a gamma(r, alpha) rate; after each repeat purchase the customer drops out with a
    beta(a, b) probability — and with ``modified`` (MBG/NBD) right after the first purchase too. ``rate``: the
    customers' purchase rates when already drawn from gamma(r, alpha) (the demo draws them first)."""
    rate = rng.gamma(r, 1.0 / alpha, n) if rate is None else np.asarray(rate, dtype=np.float64)
    dropout = rng.beta(a, b, n)
    age = np.broadcast_to(np.asarray(age, dtype=np.float64), (n,)).copy()
    x = np.zeros(n, dtype=np.int64)
    t_x = np.zeros(n)
    now = np.zeros(n)
    alive = np.ones(n, dtype=bool)
    active = np.ones(n, dtype=bool)  # alive and still inside the window
    if modified:  # drawn after the BG/NBD draws above, so those replay unchanged
        alive[rng.random(n) < dropout] = False
        active[:] = alive
    for _ in range(max_purchases):
        if not active.any():
            break
        # every customer draws at every step, so a longer ``age`` replays the same histories with the same seed
        waits, coins = rng.exponential(1.0, n), rng.random(n)
        idx = np.flatnonzero(active)
        now[idx] += waits[idx] / np.maximum(rate[idx], 1e-12)
        inside = now[idx] <= age[idx]
        bought = idx[inside]
        x[bought] += 1
        t_x[bought] = now[bought]
        drops = bought[coins[bought] < dropout[bought]]
        alive[drops] = False
        active[idx[~inside]] = False
        active[drops] = False
    return x, t_x, alive, rate
