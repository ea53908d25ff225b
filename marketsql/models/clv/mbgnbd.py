"""The MBG/NBD model (Batislam, Denizel & Filiztekin 2007; Wagner & Hoppe 2008): BG/NBD whose customers may also drop
out right after their first purchase, not only after repeat ones.

BG/NBD holds every customer without a repeat purchase alive (P(alive | x = 0) = 1), so a base where many buy once and
never return — the demo's One-time buyers, much of Online Retail — gets a holdout purchase forecast for each of them.
MBG/NBD gives a dropout chance at time 0 too: in every formula the beta terms see one more purchase (b + x in place
of b + x - 1), and P(alive) falls for a one-time buyer as their first purchase ages. Same parameters (r, alpha, a, b),
inputs and formulas as :mod:`.bgnbd`, with ``shift = 1``.
"""

from __future__ import annotations

from functools import partial
from typing import ClassVar

import numpy as np
from scipy.special import hyp2f1

from . import bgnbd

loglik = partial(bgnbd.loglik, shift=1)
gradient = partial(bgnbd.gradient, shift=1)


class MbgNbd(bgnbd.BgNbd):
    """A fitted MBG/NBD model (the dataclass, fit and formulas of :class:`~.bgnbd.BgNbd` with ``SHIFT = 1``)."""

    LABEL: ClassVar[str] = "MBG/NBD"
    SHIFT: ClassVar[int] = 1

    def expected_purchases_new(self, days: np.ndarray | float) -> np.ndarray:
        """E[X(t)] for a customer just acquired."""
        r, alpha, a, b = self.params
        t = np.asarray(days, dtype=np.float64)
        return b / (a - 1) * (1 - (alpha / (alpha + t)) ** r * hyp2f1(r, b + 1, a + b, t / (alpha + t)))
