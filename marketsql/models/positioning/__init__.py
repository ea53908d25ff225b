"""Product positioning: a portable numpy model (``model``), its training (``train``, scikit-learn),
its SQL (``sql``), its registry glue (``serve``) and the placement of a new product (``place``)."""

from __future__ import annotations

from .model import TIERS, PositioningModel

__all__ = ["TIERS", "PositioningModel"]
