"""The growth tree: hotspot -> the organisations it devolved -> theirs, and how it grew.

Pure: an organisations frame (``id``, ``name``, ``parent_id``, ``founded_on``, ...) and a
meetings frame in, one :class:`GrowthTree` per root out. A root is an organisation without a
parent (or whose parent is unknown); its tree is everything devolved from it, generation by
generation (the root is generation 0).

Growth over time counts, at the end of each year, the organisations founded by then and their
meetings. Meetings carry no founding date of their own, so a meeting counts from its
organisation's founding date: the timeline of meetings is that approximation, and the tests
say so. Organisations without a founding date count from the first year of their tree.

Examples
--------
>>> import datetime as dt
>>> import pandas as pd
>>> orgs = pd.DataFrame({"id": [1, 2, 3], "name": ["Hub", "Child", "Grandchild"],
...                      "parent_id": [None, 1, 2], "founded_on": [dt.date(2018, 3, 1),
...                      dt.date(2019, 6, 1), dt.date(2021, 1, 5)]})
>>> meetings = pd.DataFrame({"id": [10, 11, 12], "organisation_id": [1, 1, 3]})
>>> tree = growth_trees(orgs, meetings)[0]
>>> tree.depth, [(g.generation, g.organisations, g.meetings) for g in tree.generations]
(2, [(0, 1, 2), (1, 1, 0), (2, 1, 1)])
>>> [(y.year, y.organisations, y.meetings) for y in tree.timeline]
[(2018, 1, 2), (2019, 2, 2), (2020, 2, 2), (2021, 3, 3)]
"""

from __future__ import annotations

import datetime as dt
from dataclasses import asdict
from dataclasses import dataclass
from dataclasses import field
from typing import Any

import pandas as pd

from matching.coverage import root_of


@dataclass(frozen=True)
class Member:
    """An organisation in a tree."""

    id: int
    name: str
    parent_id: int | None
    generation: int
    founded_on: dt.date | None
    status: str | None
    lat: float | None
    lon: float | None
    meetings: int


@dataclass(frozen=True)
class Generation:
    """Groups (organisations) and their meetings at one depth of a tree."""

    generation: int
    organisations: int
    meetings: int


@dataclass(frozen=True)
class YearCount:
    """Organisations and meetings in a tree at the end of a year."""

    year: int
    organisations: int
    meetings: int


@dataclass
class GrowthTree:
    """One hotspot's devolution tree.

    Attributes
    ----------
    root_id, name, region
        The root organisation (the hotspot) and its region's name.
    members
        Every organisation of the tree in tree order (each after its parent, siblings by
        founding date then id), with its generation.
    depth
        The deepest generation (0 for a tree of one).
    generations, timeline
        Counts per generation and per year.
    """

    root_id: int
    name: str
    region: str | None
    members: list[Member] = field(default_factory=list)
    generations: list[Generation] = field(default_factory=list)
    timeline: list[YearCount] = field(default_factory=list)

    @property
    def depth(self) -> int:
        """The deepest generation."""
        return max((m.generation for m in self.members), default=0)

    def edges(self) -> list[tuple[Member, Member]]:
        """``(parent, child)`` pairs, in tree order."""
        by_id = {m.id: m for m in self.members}
        return [(by_id[m.parent_id], m) for m in self.members
                if m.parent_id is not None and m.parent_id in by_id]

    def to_dict(self) -> dict[str, Any]:
        """A JSON-ready summary (dates as ISO strings)."""
        def member(m: Member) -> dict[str, Any]:
            row = asdict(m)
            row["founded_on"] = m.founded_on.isoformat() if m.founded_on else None
            return row

        return {
            "organisation_id": self.root_id, "name": self.name, "region": self.region,
            "depth": self.depth, "organisations": len(self.members),
            "meetings": sum(m.meetings for m in self.members),
            "generations": [asdict(g) for g in self.generations],
            "timeline": [asdict(y) for y in self.timeline],
            "members": [member(m) for m in self.members],
        }


def _date(value: Any) -> dt.date | None:
    if value is None or (not isinstance(value, dt.date) and pd.isna(value)):
        return None
    if isinstance(value, dt.datetime):
        return value.date()
    if isinstance(value, dt.date):
        return value
    day: dt.date = pd.Timestamp(value).date()
    return day


def _optional(value: Any, kind: type) -> Any:
    return None if value is None or pd.isna(value) else kind(value)


def growth_trees(
    organisations: pd.DataFrame, meetings: pd.DataFrame | None = None, *,
    until_year: int | None = None,
) -> list[GrowthTree]:
    """The devolution tree of every root organisation, largest tree first.

    Parameters
    ----------
    organisations
        ``id``, ``name``, ``parent_id``, ``founded_on``; optionally ``status``, ``region``,
        ``lat``, ``lon``.
    meetings
        ``organisation_id`` per meeting (filter to the meetings to count, e.g. active ones).
    until_year
        Last year of the timelines (default: the latest founding year).

    Returns
    -------
    list of GrowthTree
        One per root, by size (descending) then name.
    """
    if organisations.empty:
        return []
    roots = root_of(organisations)
    per_org: dict[int, int] = {}
    if meetings is not None and "organisation_id" in meetings.columns:
        for oid in meetings["organisation_id"].dropna():
            per_org[int(oid)] = per_org.get(int(oid), 0) + 1
    rows = {int(r["id"]): r for r in organisations.to_dict("records")}
    children: dict[int, list[int]] = {}
    for oid, row in rows.items():
        parent = _optional(row.get("parent_id"), int)
        if roots[oid] != oid and parent in rows:
            children.setdefault(parent, []).append(oid)

    def sort_key(oid: int) -> tuple[dt.date, int]:
        return (_date(rows[oid].get("founded_on")) or dt.date.max, oid)

    trees = []
    for root in sorted({r for o, r in roots.items() if o == r}):
        members: list[Member] = []
        stack = [(root, 0)]
        while stack:
            oid, gen = stack.pop()
            row = rows[oid]
            members.append(Member(
                id=oid, name=str(row["name"]),
                parent_id=None if oid == root else _optional(row.get("parent_id"), int),
                generation=gen, founded_on=_date(row.get("founded_on")),
                status=_optional(row.get("status"), str), lat=_optional(row.get("lat"), float),
                lon=_optional(row.get("lon"), float), meetings=per_org.get(oid, 0)))
            stack.extend((c, gen + 1) for c in sorted(children.get(oid, []), key=sort_key,
                                                         reverse=True))
        tree = GrowthTree(root_id=root, name=str(rows[root]["name"]),
                          region=_optional(rows[root].get("region"), str), members=members)
        tree.generations = _generations(members)
        tree.timeline = _timeline(members, until_year)
        trees.append(tree)
    trees.sort(key=lambda t: (-len(t.members), t.name, t.root_id))
    return trees


def _generations(members: list[Member]) -> list[Generation]:
    depth = max((m.generation for m in members), default=0)
    return [Generation(g, sum(1 for m in members if m.generation == g),
                       sum(m.meetings for m in members if m.generation == g))
            for g in range(depth + 1)]


def _timeline(members: list[Member], until_year: int | None) -> list[YearCount]:
    years = [m.founded_on.year for m in members if m.founded_on is not None]
    if not years:
        return []
    first, last = min(years), max(years) if until_year is None else until_year
    out = []
    for year in range(first, last + 1):
        alive = [m for m in members if (m.founded_on.year if m.founded_on else first) <= year]
        out.append(YearCount(year, len(alive), sum(m.meetings for m in alive)))
    return out


def founding_years(trees: list[GrowthTree]) -> list[int]:
    """Every year from the first founding to the last, over all trees."""
    years = [m.founded_on.year for t in trees for m in t.members if m.founded_on is not None]
    return list(range(min(years), max(years) + 1)) if years else []


__all__ = ["Generation", "GrowthTree", "Member", "YearCount", "founding_years", "growth_trees"]
