"""Listings: meetings, opportunities and associations as pages, GeoJSON and feeds.

The read side the pages and the JSON API share: plain dicts from the store, filtered and
paged, with every parameter parsed first (:mod:`service.usecases.params`).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import TYPE_CHECKING
from typing import Any

from domain.schedule import DAY_NAMES
from domain.schedule import PARTS_OF_DAY
from domain.schedule import format_days
from domain.schedule import format_schedule
from domain.schedule import in_part_of_day
from domain.status import ATTENDANCE
from domain.status import OPPORTUNITY_STATUSES
from domain.status import ORG_STATUSES
from ingest.export import to_geojson
from ingest.meeting_feed import feed_entries
from matching.taxonomy import SLUGS
from matching.taxonomy import TERMS
from service.usecases import params
from service.usecases.errors import BadParameterError
from service.usecases.errors import NotFoundError
from store.reads import export_records
from store.reads import export_records_by_ids
from store.reads import feed_meetings
from store.reads import list_meetings
from store.reads import list_organisations
from store.reads import organisation_status
from store.reads import query_records

if TYPE_CHECKING:
    from collections.abc import Mapping

    from store import Store

WEEKDAYS = DAY_NAMES
MAX_PAGE_SIZE = 1000
DEFAULT_PAGE_SIZE = 100
#: Per kind of listing: its column filters (allowed values, or ``None``: free text) and defaults.
FILTERS: dict[str, tuple[dict[str, tuple[str, ...] | None], dict[str, str]]] = {
    "meetings": ({"attendance": ATTENDANCE, "active": ("true", "false")}, {}),
    "opportunities": ({"status": (*OPPORTUNITY_STATUSES, "any"), "category": None,
                       "interest": SLUGS, "association_id": None}, {"status": "open"}),
    "associations": ({"status": (*ORG_STATUSES, "any"), "category": None},
                     {"status": "approved"}),
}
SPATIAL = ("lat", "lon", "radius_km", "bbox", "limit", "offset")


def when(record: Mapping[str, Any]) -> str:
    """A meeting's or a listing's days and times in words: ``"Saturday 10:00-13:00"``."""
    return format_schedule(record.get("weekdays") or [], record.get("start_time"),
                           record.get("end_time"), flexible=bool(record.get("flexible")))


def _tree_order(orgs: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Organisations in growth-tree order (each after its parent), with ``depth``."""
    children: dict[int | None, list[dict[str, Any]]] = {}
    ids = {o["id"] for o in orgs}
    for org in orgs:
        parent = org["parent_id"] if org["parent_id"] in ids else None
        children.setdefault(parent, []).append(org)
    ordered: list[dict[str, Any]] = []
    stack = [(o, 0) for o in reversed(children.get(None, []))]
    while stack:
        org, depth = stack.pop()
        ordered.append({**org, "depth": depth})
        stack.extend((c, depth + 1) for c in reversed(children.get(org["id"], [])))
    return ordered


def overview(store: Store) -> dict[str, Any]:
    """Organisations (tree order), meetings per organisation, counts, and the demo flag."""
    orgs = _tree_order(list_organisations(store))
    meetings = list_meetings(store)
    by_org: dict[int | None, list[dict[str, Any]]] = {}
    for m in meetings:
        m["days"] = format_days(m["weekdays"])
        by_org.setdefault(m["organisation_id"], []).append(m)
    return {
        "organisations": orgs,
        "meetings_by_org": by_org,
        "counts": store.counts(),
        "has_demo": any(o["is_demo"] for o in orgs) or any(m["is_demo"] for m in meetings),
    }


def active_meetings(store: Store) -> list[dict[str, Any]]:
    """Every active meeting, with ``when``."""
    meetings = [m for m in export_records(store, "meetings") if m["active"]]
    for m in meetings:
        m["when"] = when(m)
    return meetings


def filter_meetings(meetings: list[dict[str, Any]], *, day: str = "", part: str = "",
                    attendance: str = "") -> list[dict[str, Any]]:
    """The meetings on ``day`` (0-6), in ``part`` of the day, of ``attendance`` ("": any)."""
    out = []
    for m in meetings:
        if day.isdigit() and int(day) not in (m["weekdays"] or []):
            continue
        if part in PARTS_OF_DAY and not in_part_of_day(part, m["start_time"], m.get("end_time")):
            continue
        if attendance and m["attendance"] != attendance:
            continue
        out.append(m)
    return out


def find_meetings(store: Store, *, day: str = "", part: str = "", attendance: str = ""
                  ) -> tuple[list[dict[str, Any]], int]:
    """The meeting finder's meetings, in weekday and start order, and how many are active."""
    everything = active_meetings(store)
    shown = filter_meetings(everything, day=day, part=part, attendance=attendance)
    shown.sort(key=lambda m: (min(m["weekdays"] or [7]), m["start_time"] or dt.time(23, 59)))
    return shown, len(everything)


def meeting(store: Store, meeting_id: int) -> dict[str, Any]:
    """One meeting, with ``when``; :class:`NotFoundError` when there is none."""
    found = export_records_by_ids(store, "meetings", [meeting_id])
    if not found:
        msg = f"There is no meeting {meeting_id}."
        raise NotFoundError(msg, param="meeting_id", value=meeting_id)
    found[0]["when"] = when(found[0])
    return found[0]


def public_opportunity(store: Store, opportunity_id: int) -> tuple[dict[str, Any],
                                                                   dict[str, Any]]:
    """One opportunity (with ``when``) and its association, as peers may see them.

    A pending or suspended partner's need is not public: :class:`NotFoundError`, as for an
    unknown id.
    """
    found = export_records_by_ids(store, "opportunities", [opportunity_id])
    missing = f"There is no opportunity {opportunity_id}."
    if not found:
        raise NotFoundError(missing, param="opportunity_id", value=opportunity_id)
    opp = found[0]
    (assoc,) = export_records_by_ids(store, "associations", [opp["association_id"]])
    if assoc["status"] != "approved":
        raise NotFoundError(missing, param="opportunity_id", value=opportunity_id)
    opp["when"] = when(opp)
    return opp, assoc


def interest_labels() -> dict[str, str]:
    """Taxonomy slug -> label."""
    return {t.slug: t.label for t in TERMS}


@dataclass(frozen=True)
class Feed:
    """A Meeting Guide feed and when what it shows last changed (``None``: not known)."""

    entries: list[dict[str, Any]]
    changed_at: dt.datetime | None


def meeting_guide_feed(store: Store, args: Mapping[str, Any] | None = None) -> Feed:
    """The public meetings in the Meeting Guide format (:mod:`ingest.meeting_feed`).

    Active meetings of approved organisations; ``organisation=ID`` for one organisation's
    (a malformed id is a :class:`BadParameterError`, one that is not an approved
    organisation a :class:`NotFoundError`).
    """
    args = args or {}
    params.check_known(args, ("organisation",))
    org_id = params.whole(args.get("organisation"), "organisation", lo=1, hi=2**31 - 1)
    if org_id is not None and organisation_status(store, org_id) != "approved":
        msg = (f"organisation={args.get('organisation')!r}: no approved peer organisation "
               "has this id")
        raise NotFoundError(msg, param="organisation", value=args.get("organisation"))
    changed = store.changed_at("meetings", "peer_organisations")
    return Feed(feed_entries(feed_meetings(store, organisation_id=org_id)), changed)


@dataclass(frozen=True)
class ListingRequest:
    """A listing's parameters, parsed."""

    kind: str
    query: dict[str, Any]
    near: tuple[float, float, float] | None
    box: tuple[float, float, float, float] | None
    limit: int
    offset: int


def parse_listing(kind: str, args: Mapping[str, Any]) -> ListingRequest:
    """Parse the parameters of a GeoJSON listing of ``kind`` (before any work).

    Common parameters: ``lat``, ``lon``, ``radius_km`` (all three: within that distance),
    ``bbox=west,south,east,north``, ``limit`` (1-1000, default 100), ``offset``.
    """
    filters, defaults = FILTERS[kind]
    params.check_known(args, (*filters, *SPATIAL))
    query: dict[str, Any] = {"equals": {}, "contains": {}}
    for name, allowed in filters.items():
        value = (params.choice(args.get(name), name, choices=allowed,
                               default=defaults.get(name))
                 if allowed is not None else args.get(name) or None)
        if value is None or value == "any":
            continue
        if name == "interest":
            query["contains"]["interests"] = value
        elif name == "active":
            query["equals"]["active"] = value == "true"
        elif name == "association_id":
            query["equals"][name] = params.record_id(value, name=name)
        elif name == "category" and kind == "opportunities":
            query["association_category"] = value
        else:
            query["equals"][name] = value
    if kind == "opportunities":
        query["association_status"] = "approved"  # as peers see them: approved partners only
    near = (params.latitude(args.get("lat")), params.longitude(args.get("lon")),
            params.number(args.get("radius_km"), "radius_km", lo=params.MIN_RADIUS_KM,
                          hi=params.MAX_RADIUS_KM,
                          unit=" km"))
    if any(v is not None for v in near) and any(v is None for v in near):
        msg = "lat, lon and radius_km go together: give all three or none"
        raise BadParameterError(msg, param="radius_km")
    return ListingRequest(
        kind, query, near if near[0] is not None else None,  # type: ignore[arg-type]
        params.bbox(args.get("bbox")),
        params.limit(args.get("limit"), default=DEFAULT_PAGE_SIZE, hi=MAX_PAGE_SIZE),
        params.offset(args.get("offset")))


def listing(store: Store, request: ListingRequest) -> dict[str, Any]:
    """A page of a listing as a GeoJSON FeatureCollection with ``total``, ``limit``, ``offset``."""
    ids: list[int] | None = None
    distance: dict[int, float] = {}
    if request.near is not None:
        lat, lon, radius = request.near
        found, km = store.spatial.within(request.kind, (lat, lon), radius)
        ids = found.tolist()
        distance = dict(zip(ids, km.tolist(), strict=True))
    if request.box is not None:
        in_box = set(store.spatial.in_bbox(request.kind, *request.box).tolist())
        ids = [i for i in ids if i in in_box] if ids is not None else sorted(in_box)
    total, records = query_records(store, request.kind, ids=ids, limit=request.limit,
                                   offset=request.offset, **request.query)
    for r in records:
        if r["id"] in distance:
            r["distance_km"] = round(distance[r["id"]], 3)
    body = to_geojson(records)
    body.update(total=total, limit=request.limit, offset=request.offset)
    return body


__all__ = [
    "FILTERS",
    "WEEKDAYS",
    "Feed",
    "ListingRequest",
    "active_meetings",
    "filter_meetings",
    "find_meetings",
    "interest_labels",
    "listing",
    "meeting",
    "meeting_guide_feed",
    "overview",
    "parse_listing",
    "public_opportunity",
    "when",
]
