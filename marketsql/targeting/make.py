"""``Project.target``: read the served scores, rank, cut at the budget, compare, save — under the writer lock."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING

from marketsql.core import database
from marketsql.errors import ModelError

from . import store
from .lists import TargetList, baseline_outcome, check_assumptions, outcome, random_outcome, rank
from .scores import read_scores

if TYPE_CHECKING:
    from marketsql.project import Project


def make_list(project: Project, model: str, target: str | None, budget: float, cost_per_contact: float,
              treatment: str | None = None, value: float | None = None, min_profit: float = 0.0,
              output: str | Path | None = None, name: str | None = None, holdout: bool = True) -> TargetList:
    """Build, save (table ``target_lists``, and ``output`` if given) and return a contact list; see lists.py.

    Nothing is written when an input is wrong or no customer has an expected profit above ``min_profit``.
    """
    contacts = check_assumptions(budget, cost_per_contact, min_profit, value)
    path = Path(output).resolve() if output is not None else None
    if path is not None:
        store.check_output(path)
    created = datetime.now().replace(microsecond=0)
    with project.writing(f"target {model}"):
        con = database.connect(project.database, read_only=True)
        try:
            scores = read_scores(con, model, target, treatment, value)
            list_name = name or f"{model}-{(scores.treatment or scores.target)}-{created:%Y%m%d-%H%M%S}"
            if store.exists(con, list_name):
                raise ModelError(f"a list called {list_name!r} is saved already — give another --name")
            rows = rank(scores.frame, cost_per_contact, min_profit, contacts)
            if rows.empty:
                best = float((scores.frame["p"] * scores.frame["value"]).max() - cost_per_contact)
                raise ModelError(f"no customer has an expected profit above {min_profit:g} (the best: {best:,.2f}"
                                 f" = p x value - {cost_per_contact:g}) — nothing written; lower --cost-per-contact"
                                 " or --min-profit, or check --value")
            baseline = None
            if scores.model == "propensity" and scores.algorithm != "baseline":
                baseline = baseline_outcome(scores.frame, len(rows), cost_per_contact)
            measured = None
            if holdout and scores.model == "propensity":
                from .holdout import propensity_holdout

                measured = propensity_holdout(con, project.views, scores, cost_per_contact, min_profit, len(rows))
        finally:
            con.close()
        notes = [] if len(rows) == contacts else [
            f"only {len(rows):,} customers have an expected profit above {min_profit:g}: {contacts - len(rows):,}"
            " contacts of the budget left unspent"]
        made = TargetList(list_name, created, scores, float(budget), float(cost_per_contact), float(min_profit), rows,
                          outcome(rows, cost_per_contact), random_outcome(scores.frame, len(rows), cost_per_contact),
                          baseline, measured, path, notes)
        with store.staged_file(rows, path):
            con = database.connect(project.database)
            try:
                store.save(con, made)
            finally:
                con.close()
    return made
