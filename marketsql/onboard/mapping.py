"""Proposing which column of the user's file fills which field of the staging contract.

A role is matched by the words of the column's name (``CustomerID`` → customer, id) and its type; the
user's ``--map role=column`` always wins. A required role that nothing matches is an error naming the flag.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass

from marketsql.errors import ConfigError

from .inspect import Column, Shape

KINDS = ("transactions", "catalogue", "campaign", "monthly")
NUMERIC = ("integer", "number")
# role: (words that name it, the column kinds it accepts)
ROLES: dict[str, tuple[tuple[str, ...], tuple[str, ...]]] = {
    "customer": (("customer", "cust", "client", "user", "member", "buyer", "custno", "customerid"), ()),
    "order": (("order", "invoice", "transaction", "receipt", "basket", "ticket", "txn", "invoiceno"), ()),
    "date": (("date", "time", "ts", "timestamp", "day", "month", "period", "week", "invoicedate", "launch"),
             ("date",)),
    "product": (("product", "item", "sku", "stock", "article", "stockcode", "asin", "cellphone"), ()),
    "product_name": (("description", "name", "title", "model"), ("text",)),
    "quantity": (("quantity", "qty", "units", "unit", "count", "volume", "pieces"), NUMERIC),
    "price": (("price", "unitprice", "listprice"), NUMERIC),
    "amount": (("amount", "revenue", "sales", "total", "value", "turnover", "sale"), NUMERIC),
    "spend": (("spend", "cost", "budget", "spent"), NUMERIC),
    "channel": (("channel", "medium", "source", "campaign"), ("text",)),
    "country": (("country", "region", "market"), ("text",)),
    "brand": (("brand", "manufacturer", "make", "maker", "vendor"), ("text",)),
    "category": (("category", "department", "segment", "family", "group", "type", "form"), ("text",)),
}
# the order roles are filled in (earlier roles take their column first), and which are required
PLAN: dict[str, tuple[tuple[str, ...], tuple[str, ...]]] = {
    "transactions": (("date", "customer", "order", "quantity", "price", "amount", "product", "product_name",
                      "country"), ("customer", "date")),
    "monthly": (("date", "amount", "quantity", "product", "category"), ("date", "amount")),
    "campaign": (("date", "spend", "channel"), ("date", "spend", "channel")),
    "catalogue": (("product", "brand", "product_name", "price", "category"), ()),
}
# the contract's own column names, accepted in --map as well
ALIASES = {"customer_id": "customer", "order_id": "order", "order_ts": "date", "product_id": "product",
           "unit_price": "price", "revenue": "amount", "list_price": "price"}


@dataclass(frozen=True)
class Mapping_:
    """The proposed mapping: contract role → column, and the columns left as product attributes."""

    kind: str
    roles: dict[str, Column]
    attributes: tuple[Column, ...] = ()

    def lines(self) -> list[str]:
        """One line per role, for printing."""
        out = [f"  {role:<13} ← {col.name}" + (f" ({col.date_format})" if col.date_format else "")
               for role, col in self.roles.items()]
        if self.attributes:
            out.append(f"  {'attributes':<13} ← {', '.join(c.name for c in self.attributes)}")
        return out


def words(name: str) -> list[str]:
    """``InvoiceNo`` → ["invoice", "no", "invoiceno"]; ``unit_price`` → ["unit", "price", "unitprice"]."""
    parts = [p.lower() for p in re.findall(r"[A-Z]+(?![a-z])|[A-Z]?[a-z]+|\d+", name)]
    return [*parts, "".join(parts)]


def propose(shape: Shape, kind: str | None, given: Mapping[str, str]) -> Mapping_:
    """The mapping for ``kind`` (guessed from the columns if None); ``given`` (role → column) wins."""
    if kind is not None and kind not in KINDS:
        raise ConfigError(f"--kind {kind}: unknown kind — use one of {', '.join(KINDS)}")
    by_name = {c.name: c for c in shape.columns}
    fixed: dict[str, Column] = {}
    for role, column in given.items():
        role = ALIASES.get(role, role)
        if role not in ROLES:
            raise ConfigError(f"--map {role}={column}: unknown field {role!r} — use one of {', '.join(ROLES)}")
        if column not in by_name:
            raise ConfigError(f"--map {role}={column}: {shape.path.name} has no column {column!r}"
                              f" — its columns: {', '.join(by_name)}")
        fixed[role] = by_name[column]
    kind = kind or _guess_kind(shape, fixed)
    order, required = PLAN[kind]
    roles = dict(fixed)
    for role in order:
        if role not in roles and (found := _match(role, shape.columns, set(c.name for c in roles.values()))):
            roles[role] = found
    missing = [r for r in required if r not in roles]
    if kind in ("transactions",) and "price" not in roles and "amount" not in roles:
        missing.append("amount")
    if kind == "catalogue" and "product" not in roles and "product_name" not in roles:
        missing.append("product_name")
    if missing:
        role = missing[0]
        raise ConfigError(f"no column of {shape.path.name} looks like the {role} ({kind}) — pass --map {role}=COLUMN"
                          f" (columns: {', '.join(by_name)})")
    used = {c.name for c in roles.values()}
    attributes = tuple(c for c in shape.columns if kind == "catalogue" and c.name not in used
                       and c.kind in (*NUMERIC, "boolean") and "id" not in words(c.name))
    return Mapping_(kind, {r: roles[r] for r in [*order, *roles] if r in roles}, attributes)


def _match(role: str, columns: tuple[Column, ...], used: set[str]) -> Column | None:
    names, kinds = ROLES[role]
    scored = []  # the earliest keyword of the role wins, then a name that starts with it, then file order
    for position, column in enumerate(columns):
        if column.name in used or (kinds and column.kind not in kinds):
            continue
        found = [(names.index(w), i > 0) for i, w in enumerate(words(column.name)) if w in names]
        if found:
            scored.append((*min(found), position, column))
    if scored:
        return min(scored, key=lambda s: s[:3])[3]
    if role == "date":  # the only date-typed column is the date, whatever its name
        dates = [c for c in columns if c.kind == "date" and c.name not in used]
        return dates[0] if len(dates) == 1 else None
    return None


def _guess_kind(shape: Shape, fixed: Mapping[str, Column]) -> str:
    def has(role: str) -> bool:
        return role in fixed or _match(role, shape.columns, set()) is not None

    if has("customer") and has("date"):
        return "transactions"
    if has("spend") and has("channel") and has("date"):
        return "campaign"
    if has("date") and (has("amount") or has("quantity")):
        return "monthly"
    if has("product") or has("product_name") or has("price"):
        return "catalogue"
    raise ConfigError(f"cannot tell what {shape.path.name} holds — pass --kind {'|'.join(KINDS)}"
                      " (and --map for the columns it cannot guess)")
