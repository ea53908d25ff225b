"""The PostgreSQL mirror's plan: the shared :mod:`marketsql.engines.plan` with the PostgreSQL dialect."""

from __future__ import annotations

from collections.abc import Mapping

import duckdb
from sqlglot import exp

from marketsql.core.views import ViewFile

from .. import plan as shared
from ..base import Dialect
from ..plan import ROLES, Item, Plan, Problem, line_of, schema_names
from . import transpile

__all__ = ["DIALECT", "ROLES", "Item", "Plan", "Problem", "line_of", "make_plan", "schema_names", "static_problems"]


def _unsupported(node: exp.Expr) -> str | None:
    return None  # the shared list (lists, lambdas, structs …) is PostgreSQL's


DIALECT = Dialect("PostgreSQL", transpile.to_postgres, _unsupported)


def make_plan(duck: duckdb.DuckDBPyConnection, views: Mapping[str, ViewFile], schemas: Mapping[str, str],
              functions: Mapping[str, str], python_functions: set[str]) -> Plan:
    """Decide, for every object of the built database, how it reaches PostgreSQL."""
    return shared.make_plan(duck, views, schemas, functions, python_functions, DIALECT)


def static_problems(views: Mapping[str, ViewFile], order: list[str], python_functions: set[str]) -> list[Problem]:
    """The views that cannot be mirrored onto PostgreSQL, from the SQL files alone (no database, no server)."""
    return shared.static_problems(views, order, python_functions, DIALECT)
