"""The demo data set: a made-up but plausible programme on real towns of Great Britain.

:func:`build_demo` is pure and deterministic: the same gazetteer, interest slugs and ``seed``
always give the same rows (it draws from its own ``random.Random(seed)``, never the global
generator, and never reads the clock). Dates are laid out around a fixed reference date,
:data:`DEMO_TODAY` (1 January 2026): organisations are founded before it, licences lapse or
run on relative to it, opportunities start and end around it. :func:`load_demo` writes the
rows through :func:`store.refs.upsert_records` in one transaction; running it again changes
nothing.

What it contains
----------------
- the five regions of :data:`ingest._demo_vocab.REGIONS`, each with one approved hotspot
  organisation (founded 2018-2019) in its anchor town (Wigan, Wakefield, Wolverhampton,
  Cardiff, Glasgow);
- about 25 more peer organisations devolved from them, a growth tree of up to four
  generations: every child is founded 9-30 months after its parent, in another town of the
  same region within 40 km of it. Most are approved; the three newest leaves are pending and
  one older leaf is suspended;
- weekly ACT Peer Recovery meetings (1-4 per organisation, about 80), licensed volunteers
  (2-6 per organisation), community associations around the organisations' towns (about
  360), their volunteering opportunities (about 750) and mutual-interest links between
  organisations and associations within 15 km;
- anonymous outcome records of those links (peers who took part, hours, skills, peers who
  went on to volunteer or be licensed) for the twelve months up to the load day's month,
  from the associations' side (often for one need) and the organisations' side.

Towns are real gazetteer places; every organisation, association, person, website
(``example.org``), phone number (Ofcom's drama range 01632 960xxx) and charity number (drawn
above the ranges issued so far: 13xxxxx, SC09xxxx) is invented. Every row carries
``is_demo=True`` and (where the table has it) ``source="demo"``.

Association categories
----------------------
``Association.category`` takes one of these slugs (the words behind each are in
:data:`ingest._demo_vocab.CATEGORIES`): ``waterway_trust`` (canal and waterway groups),
``conservation`` (river, wildlife and woodland groups), ``allotment``, ``community_garden``,
``sports_club``, ``charity_shop``, ``food_bank``, ``repair_cafe`` (repair cafes and bike
kitchens), ``animal_rescue`` (rescues, sanctuaries, community farms), ``arts`` (arts groups,
studios, theatres), ``music`` (choirs and bands), ``heritage`` (history societies and
museums), ``library``, ``community_cafe``, ``youth``, ``mens_shed``, ``befriending``
(befriending and community transport) and ``business`` (local businesses).

References between rows
-----------------------
Rows refer to each other by demo keys, resolved to database ids by :func:`load_demo` and
never passed to the upsert (:data:`REF_KEYS`): ``region_name`` and ``parent_source_id`` on
organisations, ``organisation_source_id`` on meetings, volunteers and links,
``association_source_id`` on opportunities, links and outcome records,
``opportunity_source_id`` on outcome records.
"""

from __future__ import annotations

import datetime as dt
from typing import TYPE_CHECKING

from geo.gazetteer import Gazetteer
from ingest._demo_builder import DEMO_SOURCE
from ingest._demo_builder import DEMO_TODAY
from ingest._demo_builder import REF_KEYS
from ingest._demo_builder import ROW
from ingest._demo_builder import DemoData
from ingest._demo_builder import _Builder
from ingest._demo_builder import months_before
from store.refs import upsert_records

if TYPE_CHECKING:
    from collections.abc import Sequence

    from store import Store


def build_demo(gazetteer: Gazetteer, interests: Sequence[str], *, seed: int = 2024) -> DemoData:
    """Build the demo data set (pure and deterministic).

    Parameters
    ----------
    gazetteer
        Places of Great Britain (:meth:`geo.gazetteer.Gazetteer.from_geonames`); the demo
        towns must be in it.
    interests
        The interest slugs opportunities may be tagged with (the store's ``interests`` table).
        Each opportunity gets 1-3 of them that fit its category, or one of them when none of
        the preferred slugs is given; none when ``interests`` is empty.
    seed
        Seed of the private random generator.

    Returns
    -------
    DemoData
        Rows per table, in dependency order (parents before children).

    Raises
    ------
    ValueError
        When a demo town is missing from the gazetteer.
    """
    return _Builder(gazetteer, interests, seed).build()


def _plain(row: ROW, refs: dict[str, tuple[str, dict[str, int]]]) -> ROW:
    """``row`` without its demo keys, with the ids they name under the real column names."""
    out = {k: v for k, v in row.items() if k not in REF_KEYS}
    for helper, (column, ids) in refs.items():
        ref = row.get(helper)
        if ref is not None and ref not in ids:
            msg = f"demo row refers to {helper}={ref!r}, which is not in the data set"
            raise ValueError(msg)
        out[column] = None if ref is None else ids[ref]
    return out


def _needs_from(rows: list[ROW], today: dt.date) -> list[ROW]:
    """The opportunities with their dates moved from :data:`DEMO_TODAY` to ``today``.

    A demo loaded today is not full of needs that ended months ago: each need starts and
    ends as many days from the load day as it did from ``DEMO_TODAY``.
    """
    shift = today - DEMO_TODAY
    return [{**r, **{k: r[k] + shift for k in ("starts_on", "ends_on") if r.get(k)}}
            for r in rows]


def _outcomes_from(rows: list[ROW], today: dt.date) -> list[ROW]:
    """The outcome records moved by whole months, from :data:`DEMO_TODAY`'s month to ``today``'s.

    A month's record stays on the first of its month; a day's keeps its day of the month.
    None lands after ``today``: the newest month is ``today``'s, and day records are older.
    """
    here = today.replace(day=1)
    out = []
    for r in rows:
        start = r["period_start"]
        back = (DEMO_TODAY.year - start.year) * 12 + DEMO_TODAY.month - start.month
        out.append({**r, "period_start": months_before(here, back).replace(day=start.day)})
    return out


def load_demo(
    store: Store, *, gazetteer: Gazetteer | None = None, seed: int = 2024,
    today: dt.date | None = None,
) -> dict[str, dict[str, int]]:
    """Build the demo data set and upsert it into ``store`` in one transaction.

    Idempotent: a second run with the same seed on the same day reports every row
    ``unchanged``. Licence end dates and needs' start and end dates are moved by
    ``today - DEMO_TODAY`` (outcome records by whole months), so the demo keeps its mix of
    valid, expiring and lapsed licences, of running and soon-starting needs, and a year of
    outcomes up to the load day, on whatever day it is loaded.

    Parameters
    ----------
    store
        A migrated store whose ``interests`` table is seeded.
    gazetteer
        Defaults to the GeoNames gazetteer of GB.
    seed
        Passed to :func:`build_demo`.
    today
        The day it is loaded (default: the clock's today).

    Returns
    -------
    dict
        Table name -> ``{"inserted": n, "updated": n, "unchanged": n}``.

    Raises
    ------
    ValueError
        When the interest taxonomy is empty (run ``commonground init-db`` first).
    """
    interests = store.interest_slugs()
    if not interests:
        msg = ("the interests table is empty: run `commonground init-db` first, which creates "
               "the schema and seeds the interest taxonomy")
        raise ValueError(msg)
    data = build_demo(gazetteer or Gazetteer.from_geonames("GB"), interests, seed=seed)
    shift = (today or dt.date.today()) - DEMO_TODAY
    for row in data.volunteers:
        if row["licence_valid_until"] is not None:
            row["licence_valid_until"] = row["licence_valid_until"] + shift
    report: dict[str, dict[str, int]] = {}

    with store.session() as s:

        def upsert(table: str, rows: list[ROW], key: tuple[str, ...],
                   refs: dict[str, tuple[str, dict[str, int]]]) -> dict[str, int]:
            done = upsert_records(s, table, [_plain(r, refs) for r in rows], key=key)
            tally = report.setdefault(table, dict.fromkeys(("inserted", "updated", "unchanged"), 0))
            for outcome, _pk in done:
                tally[outcome] += 1
            return {str(r.get("source_id", r.get("name"))): pk
                    for r, (_o, pk) in zip(rows, done, strict=True)}

        regions = upsert("regions", data.regions, ("name",), {})
        orgs: dict[str, int] = {}
        waiting = data.organisations
        while waiting:  # parents first: one upsert per generation
            wave = [r for r in waiting if r["parent_source_id"] in (None, *orgs)]
            if not wave:
                msg = "the demo organisations' parent links form a cycle"
                raise ValueError(msg)
            orgs |= upsert("organisations", wave, ("source", "source_id"),
                           {"region_name": ("region_id", regions),
                            "parent_source_id": ("parent_id", orgs)})
            waiting = [r for r in waiting if r["source_id"] not in orgs]
        by_org = {"organisation_source_id": ("organisation_id", orgs)}
        upsert("meetings", data.meetings, ("source", "source_id"), by_org)
        upsert("volunteers", data.volunteers, ("licence_number",), by_org)
        assocs = upsert("associations", data.associations, ("source", "source_id"),
                        {})
        by_assoc = {"association_source_id": ("association_id", assocs)}
        opps = upsert("opportunities", _needs_from(data.opportunities, today or dt.date.today()),
                      ("source", "source_id"), by_assoc)
        upsert("mutual_interest_links", data.mutual_interest_links,
               ("organisation_id", "association_id"), by_org | by_assoc)
        upsert("outcome_records", _outcomes_from(data.outcome_records, today or dt.date.today()),
               ("source", "source_id"),
               by_org | by_assoc | {"opportunity_source_id": ("opportunity_id", opps)})
    return report


__all__ = ["DEMO_SOURCE", "DEMO_TODAY", "REF_KEYS", "DemoData", "build_demo", "load_demo"]
