"""Impact on the hotspot dashboard: outcome records per organisation and growth tree, over time.

The records (:mod:`store.outcomes`) are combined by the rules of :mod:`matching.impact` (the
inbox and a partner's own count of a need and month are never added together; nor are the
two sides of a link in a month), then summed per month or quarter for each organisation and
each growth tree in the user's scope, with a total per organisation, per tree and overall.
The rules run over every record before the scope is cut, so a lead's figures for an
organisation are the admin's figures for it.

Nothing here identifies a peer: only counts, hours and skill names, per organisation and
period. The CSV (:meth:`Impact.to_csv`) is meant for people: headers in words, periods as
``2026 Q1`` or ``2026-03``, the skills by name, and every cell passed through the project's
formula-neutralising writer (:class:`ingest.safe_csv.SafeWriter`).
"""

from __future__ import annotations

import io
from dataclasses import dataclass
from dataclasses import field
from typing import TYPE_CHECKING
from typing import Any

from ingest.safe_csv import SafeWriter
from matching.impact import FIGURES
from matching.impact import by_period
from matching.impact import combine
from matching.impact import period_label
from matching.skills import SKILL_LABELS
from service.usecases import params
from service.usecases.errors import BadParameterError
from service.usecases.tables import Column
from service.usecases.tables import Table
from store.outcomes import list_outcomes

if TYPE_CHECKING:
    from collections.abc import Mapping

    from service.usecases.dashboard import Scope
    from store import Store

IMPACT_BY = ("quarter", "month")
"""How the dashboard groups impact over time (default quarter)."""
UNKNOWN = "Organisation not known"
TOTAL = "All periods"
_FIGURE_COLUMNS = (
    Column("peers_taking_part", "Peers who took part", "int"),
    Column("hours", "Hours volunteered", "hours"),
    Column("went_on_to_volunteer", "Went on to volunteer", "int"),
    Column("became_licensed", "Became licensed", "int"),
    Column("skills_text", "Skills learned"),
)
TREE_COLUMNS = (Column("tree_id", "Tree id", "int", page=False),
                Column("tree", "Growth tree"), Column("period_label", "Period"),
                *_FIGURE_COLUMNS)
ORGANISATION_COLUMNS = (Column("organisation_id", "Organisation id", "int", page=False),
                        Column("organisation", "Organisation"), Column("tree", "Growth tree"),
                        Column("period_label", "Period"), *_FIGURE_COLUMNS)


def parse_impact_by(raw: Any) -> str:
    """``impact_by``: ``quarter`` (default) or ``month``."""
    if raw is None or raw == "":
        return "quarter"
    if raw not in IMPACT_BY:
        msg = f"impact_by={str(raw)[:40]!r} is not known; choose one of {', '.join(IMPACT_BY)}"
        raise BadParameterError(msg, param="impact_by", value=raw)
    return str(raw)


def parse_impact_args(args: Mapping[str, Any]) -> str:
    """The impact CSV's one parameter (``radius_km`` is accepted and ignored, as the page's)."""
    params.check_known(args, ("impact_by", "radius_km"))
    return parse_impact_by(args.get("impact_by"))


def _row(figures: dict[str, Any], **keys: Any) -> dict[str, Any]:
    skills = sorted(figures["skills"], key=lambda s: SKILL_LABELS.get(s, s).lower())
    return {**keys, **{f: figures[f] for f in FIGURES}, "skills": skills,
            "skills_text": "; ".join(SKILL_LABELS.get(s, s) for s in skills)}


def _zero() -> dict[str, Any]:
    return {**dict.fromkeys(FIGURES, 0), "hours": 0.0, "skills": set()}


def _plus(total: dict[str, Any], figures: dict[str, Any]) -> None:
    for f in FIGURES:
        total[f] += figures[f]
    total["skills"] |= set(figures["skills"])


@dataclass
class Impact:
    """The impact figures of one scope: rows per tree and per organisation, and the total."""

    by: str
    trees: list[dict[str, Any]] = field(default_factory=list)
    organisations: list[dict[str, Any]] = field(default_factory=list)
    total: dict[str, Any] = field(default_factory=lambda: _row(_zero()))

    @property
    def empty(self) -> bool:
        """Whether there is nothing recorded in scope."""
        return not self.organisations

    def tables(self) -> dict[str, Table]:
        """The two tables of the page (total rows flagged ``total``)."""
        word = "quarter" if self.by == "quarter" else "month"
        return {
            "impact-by-tree": Table("impact-by-tree", f"Impact by growth tree and {word}",
                                    TREE_COLUMNS, self.trees),
            "impact-by-organisation": Table(
                "impact-by-organisation", f"Impact by organisation and {word}",
                ORGANISATION_COLUMNS, self.organisations),
        }

    def to_csv(self) -> str:
        """Both tables in one CSV for people: a ``Level`` column says which rows are which."""
        out = io.StringIO()
        writer = SafeWriter(out)
        labels = [c.label for c in _FIGURE_COLUMNS]
        writer.writerow(["Level", "Growth tree", "Organisation", "Period", *labels])

        def cells(row: dict[str, Any]) -> list[Any]:
            return [row["peers_taking_part"], _hours(row["hours"]),
                    row["went_on_to_volunteer"], row["became_licensed"], row["skills_text"]]

        for r in self.trees:
            writer.writerow(["Growth tree", r["tree"], "", r["period_label"], *cells(r)])
        for r in self.organisations:
            writer.writerow(["Organisation", r["tree"], r["organisation"], r["period_label"],
                             *cells(r)])
        writer.writerow(["Total", "", "", TOTAL, *cells(self.total)])
        return out.getvalue()


def _hours(value: float) -> str:
    text = f"{float(value):.2f}"
    return text.rstrip("0").rstrip(".")


def impact_for(store: Store, scope: Scope, trees: list[Any], *, by: str) -> Impact:
    """The impact rows of ``scope`` (a lead's tree, or everything for an admin).

    Parameters
    ----------
    store
        The store.
    scope
        The dashboard's scope (:func:`service.usecases.dashboard.scope_for`).
    trees
        The growth trees in scope (:attr:`service.usecases.dashboard.Dashboard.trees`):
        each organisation is counted in the tree whose members list it.
    by
        ``quarter`` or ``month``.

    Returns
    -------
    Impact
        Per tree and per organisation: one row per period with records, then an
        ``All periods`` total row (``flag`` ``total``); the overall total.
    """
    combined = combine(list_outcomes(store))  # the rules see every record, then the cut
    in_scope = [r for r in combined if (r["organisation_id"] in scope.ids
                                        or (scope.everything and r["organisation_id"] is None))]
    tree_of: dict[int, int] = {}
    tree_names: dict[int, str] = {}
    for t in trees:
        tree_names[t.root_id] = t.name
        for m in t.members:
            if m.id in scope.ids:
                tree_of.setdefault(m.id, t.root_id)
    names = {int(o["id"]): str(o["name"]) for o in scope.organisations}
    impact = Impact(by=by)

    def grouped(periods: dict[tuple[Any, Any], dict[str, Any]], order: list[Any],
                keys: Any) -> list[dict[str, Any]]:
        rows: list[dict[str, Any]] = []
        by_group: dict[Any, list[tuple[Any, dict[str, Any]]]] = {}
        for (g, p), f in periods.items():
            by_group.setdefault(g, []).append((p, f))
        for group in order:
            mine = sorted(by_group.get(group, []), key=lambda pf: pf[0])
            if not mine:
                continue
            total = _zero()
            for start, figures in mine:
                rows.append(_row(figures, **keys(group), period=start,
                                 period_label=period_label(start, by)))
                _plus(total, figures)
            rows.append({**_row(total, **keys(group), period=None, period_label=TOTAL),
                         "flag": "total"})
        return rows

    per_tree = by_period(in_scope, by=by, group=tree_of)
    impact.trees = grouped(per_tree, [t.root_id for t in trees],
                           lambda root: {"tree_id": root, "tree": tree_names[root]})
    per_org = by_period(in_scope, by=by)
    order = [int(o["id"]) for o in scope.organisations] + [None]
    impact.organisations = grouped(per_org, order, lambda org: {
        "organisation_id": org, "organisation": UNKNOWN if org is None else names[org],
        "tree": tree_names.get(tree_of.get(org, -1), "") if org is not None else ""})
    grand = _zero()
    for figures in per_org.values():
        _plus(grand, figures)
    impact.total = _row(grand, period=None, period_label=TOTAL)
    return impact


__all__ = ["IMPACT_BY", "ORGANISATION_COLUMNS", "TREE_COLUMNS", "Impact", "impact_for",
           "parse_impact_args", "parse_impact_by"]
