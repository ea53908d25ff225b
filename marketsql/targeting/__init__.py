"""Turning scores into actions: a contact list under a budget (``Project.target``, ``marketsql target``)."""

from .lists import Holdout, Outcome, TargetList
from .make import make_list

__all__ = ["Holdout", "Outcome", "TargetList", "make_list"]
