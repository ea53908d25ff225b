"""Propensity (model kind ``propensity``): who buys again, buys a category, buys a product in the next days."""

from .targets import FEATURES, Target, parse_targets

__all__ = ["FEATURES", "Target", "parse_targets"]
