"""Impact: outcome records combined into figures per organisation and period, counted once.

Pure: takes records as plain dicts (as :func:`store.outcomes.list_outcomes` gives them) and
returns plain dicts. Three sources may describe the same peers, so they are combined by
these rules, never simply added:

1. **The inbox and the partner, per need and month.** Each interest a partner marks "taking
   part" counts one peer for that need in that month (the inbox's counter). A partner's own
   records of the same need and month are meant to include those peers. So for each need and
   month the peers who took part are the larger of the two counts, never their sum; the
   organisations they are counted for are those of the source taken. The partner's hours,
   skills and other figures always count.
2. **The two sides of a link, per association, organisation and month.** The partner and the
   peer organisation side (a hotspot lead or an admin) may both record the same peers' month
   at the same association. Each side's records are added up; then each figure is the larger
   of the two sides', and the skills are those either side named.
3. **Everything else adds up**: different associations, organisations and months. A peer who
   took part in two months, or at two associations, is counted in each: nobody can tell that
   it is the same person, by design.

A record for a day counts in its month. Records whose organisation is not known (a partner's
record of a need that names none, or an interest that came by email or phone) are kept under
``organisation_id`` ``None``.
"""

from __future__ import annotations

import datetime as dt
from typing import TYPE_CHECKING
from typing import Any

if TYPE_CHECKING:
    from collections.abc import Iterable

FIGURES = ("peers_taking_part", "hours", "went_on_to_volunteer", "became_licensed")


def month_of(day: dt.date) -> dt.date:
    """The first day of ``day``'s month."""
    return day.replace(day=1)


def quarter_of(day: dt.date) -> dt.date:
    """The first day of ``day``'s quarter."""
    return dt.date(day.year, 3 * ((day.month - 1) // 3) + 1, 1)


def period_label(start: dt.date, by: str) -> str:
    """``2026-03`` for a month, ``2026 Q1`` for a quarter."""
    return f"{start.year} Q{(start.month - 1) // 3 + 1}" if by == "quarter" else f"{start:%Y-%m}"


def _empty() -> dict[str, Any]:
    return {**dict.fromkeys(FIGURES, 0), "hours": 0.0, "skills": set()}


def _add(total: dict[str, Any], record: dict[str, Any], *, peers: bool = True) -> None:
    for f in FIGURES:
        if f != "peers_taking_part" or peers:
            total[f] += record.get(f) or 0
    total["skills"] |= set(record.get("skills") or ())


def _partner_peers_dropped(records: list[dict[str, Any]]) -> set[int]:
    """Indexes of records whose peer count gives way to another source (rule 1)."""
    by_need: dict[tuple[int, dt.date], list[int]] = {}
    for i, r in enumerate(records):
        if r["recorded_by"] in ("association", "inbox") and r.get("opportunity_id") is not None:
            by_need.setdefault((r["opportunity_id"], month_of(r["period_start"])), []).append(i)
    dropped: set[int] = set()
    for indexes in by_need.values():
        inbox = [i for i in indexes if records[i]["recorded_by"] == "inbox"]
        own = [i for i in indexes if records[i]["recorded_by"] == "association"]
        inbox_peers = sum(records[i]["peers_taking_part"] for i in inbox)
        own_peers = sum(records[i]["peers_taking_part"] for i in own)
        dropped.update(own if inbox_peers > own_peers else inbox)
    return dropped


def combine(records: Iterable[dict[str, Any]]) -> list[dict[str, Any]]:
    """Per organisation and month, the figures the rules above give.

    Parameters
    ----------
    records
        Outcome records with ``recorded_by``, ``organisation_id``, ``association_id``,
        ``opportunity_id``, ``period_start`` and the figures and ``skills``.

    Returns
    -------
    list of dict
        ``organisation_id`` (or ``None``), ``month`` (first day), the figures and
        ``skills`` (a sorted list), ordered by organisation and month.
    """
    rows = list(records)
    dropped = _partner_peers_dropped(rows)
    sides: dict[tuple[Any, int, dt.date], dict[str, dict[str, Any]]] = {}
    for i, r in enumerate(rows):
        side = "organisation" if r["recorded_by"] == "organisation" else "association"
        key = (r.get("organisation_id"), r["association_id"], month_of(r["period_start"]))
        total = sides.setdefault(key, {}).setdefault(side, _empty())
        _add(total, r, peers=i not in dropped)
    per_org: dict[tuple[Any, dt.date], dict[str, Any]] = {}
    for (org, _assoc, month), both in sides.items():
        out = per_org.setdefault((org, month), _empty())
        for f in FIGURES:
            out[f] += max(side[f] for side in both.values())
        for figures_of_side in both.values():
            out["skills"] |= figures_of_side["skills"]
    ordered = sorted(per_org.items(), key=lambda kv: (kv[0][0] is None, kv[0][0] or 0, kv[0][1]))
    return [{"organisation_id": org, "month": month, **figures,
             "skills": sorted(figures["skills"])} for (org, month), figures in ordered]


def by_period(rows: Iterable[dict[str, Any]], *, by: str,
              group: dict[Any, Any] | None = None) -> dict[tuple[Any, dt.date], dict[str, Any]]:
    """Sum :func:`combine`'s rows per (group, period): ``by`` ``month`` or ``quarter``.

    ``group`` maps an organisation id to its group (a tree's root); without it, the group
    is the organisation. Organisations missing from ``group`` are left out.
    """
    start = quarter_of if by == "quarter" else month_of
    out: dict[tuple[Any, dt.date], dict[str, Any]] = {}
    for r in rows:
        org = r["organisation_id"]
        if group is not None and org not in group:
            continue
        key = (group[org] if group is not None else org, start(r["month"]))
        total = out.setdefault(key, _empty())
        _add(total, r)
    return out


__all__ = ["FIGURES", "by_period", "combine", "month_of", "period_label", "quarter_of"]
