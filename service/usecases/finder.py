"""The meeting finder: search, filters, "upcoming" from now, distance from a place, pages.

What ``/meetings`` answers, with the behaviour peers know from TSML UI and the Meeting Guide
app:

* **Views.** ``upcoming`` (the default): every meeting by its next start from *now* in
  Europe/London time, wrapping through the week, the ones in progress first and marked;
  ``today``: today's meetings by start time; ``all``: the week from Sunday. A ``day`` filter
  shows that day's meetings by start time.
* **In progress**: started, not yet ended (a meeting without an end time lasts
  :data:`DEFAULT_MINUTES`). A meeting that started less than :data:`GRACE_MINUTES` ago still
  counts as upcoming too (TSML UI's ``now_offset``), so a late peer still finds it.
* **Filters**: text (``q``: every word must be in the name, venue, address, postcode,
  organisation, region, group or location notes), ``region``, ``day``, ``time``
  (:data:`domain.schedule.PARTS_OF_DAY`), ``type`` (an access feature such as
  ``wheelchair``, or a Meeting Guide type code such as ``W``) and ``attendance``, where a
  hybrid meeting counts as both ``in_person`` and ``online``.
* **Distance**: from ``near`` (a postcode when it reads as one, else a town), ``postcode``,
  ``place`` or a point (``lat`` + ``lon``, "near me"),
  resolved offline by :mod:`service.usecases.origin`; meetings one can go to are sorted by
  distance (optionally within ``radius_km``), online ones follow (they have no distance).
  A peer's location lives only in the request: nothing here stores or logs it.
* **Pages** of :data:`PAGE_SIZE`, so a page stays small with thousands of meetings.

The clock is a parameter (``now``): tests pass a fixed one.
"""

from __future__ import annotations

import datetime as dt
import math
import re
from dataclasses import dataclass
from dataclasses import field
from typing import TYPE_CHECKING
from typing import Any
from zoneinfo import ZoneInfo

from domain.schedule import DAY_NAMES
from domain.schedule import PARTS_OF_DAY
from domain.schedule import in_part_of_day
from geo.distance import haversine_km
from ingest.readers._types import MEETING_TYPES
from service.usecases import params
from service.usecases.errors import BadParameterError
from service.usecases.errors import NotFoundError
from service.usecases.listings import active_meetings
from service.usecases.origin import origin_dict
from service.usecases.origin import resolve_origin

if TYPE_CHECKING:
    from collections.abc import Iterable
    from collections.abc import Mapping

    from service.usecases.context import Context

LONDON = ZoneInfo("Europe/London")
"""The finder's clock: meetings' times are local times in the UK."""
VIEWS = ("upcoming", "today", "all")
ATTENDANCE_CHOICES = ("in_person", "online", "hybrid")
"""``in_person`` and ``online`` include hybrid meetings; ``hybrid`` is hybrid only."""
FINDER_PARAMS = ("q", "view", "day", "time", "type", "attendance", "region", "near",
                 "postcode", "place", "lat", "lon", "radius_km", "page")
"""Query parameters of the finder; any other is a 400."""
PAGE_SIZE = 50
DEFAULT_MINUTES = 60
GRACE_MINUTES = 10
MAX_QUERY_CHARS = 200
LOOKUP_LIMIT = 30
"""How many meetings a name lookup offers at most (the home page's chooser)."""
_WEEK = 7 * 24 * 60
_FEATURE = re.compile(r"[A-Za-z0-9_-]{1,40}")


@dataclass(frozen=True)
class FinderRequest:
    """The finder's parameters, parsed (the origin not resolved yet)."""

    q: str = ""
    view: str = "upcoming"
    day: int | None = None
    part: str | None = None
    type: str | None = None
    attendance: str | None = None
    region: str | None = None
    postcode: str | None = None
    place: str | None = None
    lat: float | None = None
    lon: float | None = None
    radius_km: float | None = None
    page: int = 1

    @property
    def has_origin(self) -> bool:
        """Whether a place to measure distances from is given."""
        return any(v is not None for v in (self.postcode, self.place, self.lat, self.lon))


@dataclass
class FinderPage:
    """One page of the finder's answer."""

    request: FinderRequest
    meetings: list[dict[str, Any]]
    total: int
    matched: int
    page: int
    pages: int
    in_progress: int
    origin: dict[str, Any] | None
    now: dt.datetime
    regions: list[str] = field(default_factory=list)
    types: list[str] = field(default_factory=list)

    @property
    def first_number(self) -> int:
        """The list number of this page's first meeting (numbers run on across pages)."""
        return (self.page - 1) * PAGE_SIZE + 1


def _text(raw: Any, name: str) -> str:
    value = " ".join(str(raw or "").split())
    if len(value) > MAX_QUERY_CHARS:
        msg = f"{name} is {len(value)} characters long: use at most {MAX_QUERY_CHARS}"
        raise BadParameterError(msg, param=name, value=value[:40] + "...",
                                problem=f"is {len(value)} characters long",
                                fix=f"shorten it to at most {MAX_QUERY_CHARS}")
    return value


def parse_finder(args: Mapping[str, Any]) -> FinderRequest:
    """Parse the finder's query parameters (every one, before any work).

    Raises
    ------
    service.usecases.errors.BadParameterError
        An unknown parameter, a value out of its vocabulary or range, half a point, or more
        than one place to measure from.
    """
    params.check_known(args, FINDER_PARAMS)
    day = params.whole(args.get("day"), "day", lo=0, hi=6)
    kind = args.get("type")
    near = _text(args.get("near"), "near")
    postcode, place = args.get("postcode"), args.get("place")
    if near:  # one box for "postcode or town": a postcode when it reads as one
        try:
            postcode = params.postcode(near, name="near")
        except BadParameterError:
            place = near
    if params.given(kind) and not _FEATURE.fullmatch(str(kind)):
        msg = (f"type={kind!r} is not a meeting feature: use an access feature such as "
               "wheelchair, or a Meeting Guide type code such as O or W")
        raise BadParameterError(msg, param="type", value=kind,
                                problem="is not one of the choices",
                                fix="choose one from the list")
    request = FinderRequest(
        q=_text(args.get("q"), "q"),
        view=params.choice(args.get("view"), "view", choices=VIEWS, default="upcoming")
        or "upcoming",
        day=day,
        part=params.choice(args.get("time"), "time", choices=tuple(PARTS_OF_DAY)),
        type=str(kind) if params.given(kind) else None,
        attendance=params.choice(args.get("attendance"), "attendance",
                                 choices=ATTENDANCE_CHOICES),
        region=_text(args.get("region"), "region") or None,
        postcode=params.postcode(postcode),
        place=_text(place, "place") or None,
        lat=params.latitude(args.get("lat")),
        lon=params.longitude(args.get("lon")),
        radius_km=params.number(args.get("radius_km"), "radius_km", lo=params.MIN_RADIUS_KM,
                                hi=params.MAX_RADIUS_KM, unit=" km"),
        page=params.page(args.get("page")),
    )
    given = [n for n, v in (("postcode", request.postcode), ("place", request.place),
                            ("lat and lon", request.lat is not None or request.lon is not None))
             if v]
    if len(given) > 1:
        msg = ("give one place to measure from: near, postcode, place or lat and lon "
               f"(got {' and '.join(given)})")
        raise BadParameterError(msg, param="origin")
    if (request.lat is None) != (request.lon is None):
        missing = "lon" if request.lat is not None else "lat"
        msg = f"a point needs both lat and lon; {missing} is missing"
        raise BadParameterError(msg, param=missing)
    if request.radius_km is not None and not request.has_origin:
        msg = "radius_km needs a place to measure from: give a postcode, place or lat and lon"
        raise BadParameterError(msg, param="radius_km", value=request.radius_km)
    return request


# ------------------------------------------------------------------------ the clock


def _minutes(t: dt.time | None) -> int | None:
    return None if t is None else t.hour * 60 + t.minute


def _duration(meeting: Mapping[str, Any]) -> int:
    start, end = _minutes(meeting.get("start_time")), _minutes(meeting.get("end_time"))
    if start is None or end is None:
        return DEFAULT_MINUTES
    return (end - start) % (24 * 60) or DEFAULT_MINUTES


def week_minute(now: dt.datetime) -> int:
    """Minutes since Sunday 00:00 of ``now`` in London time (0 = Sunday, as our weekdays)."""
    local = now.astimezone(LONDON)
    return ((local.isoweekday() % 7) * 24 + local.hour) * 60 + local.minute


def next_start(meeting: Mapping[str, Any], now: dt.datetime) -> tuple[int | None, bool]:
    """Minutes from ``now`` to the meeting's next start, and whether it is in progress.

    In progress: started (on any of its days) and not yet ended. A meeting that started less
    than :data:`GRACE_MINUTES` ago gives a small negative wait (it sorts first). ``None``: no
    day or no start time.

    Examples
    --------
    >>> import datetime as dt
    >>> monday_7pm = dt.datetime(2026, 11, 30, 19, 0, tzinfo=LONDON)
    >>> m = {"weekdays": [1], "start_time": dt.time(18, 30), "end_time": dt.time(20, 0)}
    >>> next_start(m, monday_7pm)
    (10050, True)
    >>> next_start({"weekdays": [2], "start_time": dt.time(9, 0)}, monday_7pm)
    (840, False)
    """
    start = _minutes(meeting.get("start_time"))
    days = [int(d) for d in meeting.get("weekdays") or [] if 0 <= int(d) < len(DAY_NAMES)]
    if start is None or not days:
        return None, False
    now_minute = week_minute(now)
    duration = _duration(meeting)
    waits = []
    in_progress = False
    for day in days:
        since = (now_minute - (day * 24 * 60 + start)) % _WEEK  # minutes since its last start
        if since < duration:
            in_progress = True
        waits.append(-since if since < GRACE_MINUTES else _WEEK - since)
    return min(waits), in_progress


def starts_at(now: dt.datetime, wait: int) -> dt.datetime:
    """The London time ``wait`` minutes after ``now`` (to the minute)."""
    local = now.astimezone(LONDON).replace(second=0, microsecond=0)
    return (local + dt.timedelta(minutes=wait)).astimezone(LONDON)


# ------------------------------------------------------------------------ filters


def _haystack(meeting: Mapping[str, Any]) -> str:
    return " ".join(str(meeting.get(k) or "") for k in (
        "name", "venue", "address", "postcode", "organisation", "region", "group_name",
        "location_notes")).lower()


def features(meeting: Mapping[str, Any]) -> set[str]:
    """A meeting's access features (``wheelchair``) and Meeting Guide type codes (``W``)."""
    return {str(f) for f in (meeting.get("accessibility") or [])} | {
        str(t) for t in (meeting.get("types") or [])}


def feature_label(value: str) -> str:
    """A feature as people read it: ``step_free`` -> "step free", ``W`` -> "Women"."""
    return MEETING_TYPES.get(value) or value.replace("_", " ")


def matches_text(meeting: Mapping[str, Any], q: str) -> bool:
    """Whether every word of ``q`` is in the meeting's name, venue, address, postcode, ..."""
    hay = _haystack(meeting)
    return all(word in hay for word in q.lower().split())


def attends(meeting: Mapping[str, Any], attendance: str | None) -> bool:
    """Whether a meeting can be attended that way: hybrid counts as in person and online."""
    kind = meeting.get("attendance") or "in_person"
    if attendance is None:
        return True
    if attendance == "hybrid":
        return kind == "hybrid"
    return kind in (attendance, "hybrid")


def is_pinned(meeting: Mapping[str, Any]) -> bool:
    """Whether a meeting belongs on a map: it has a place and people go there (not online)."""
    return (meeting.get("lat") is not None and meeting.get("lon") is not None
            and (meeting.get("attendance") or "in_person") != "online")


def filter_finder(meetings: Iterable[dict[str, Any]], request: FinderRequest, *,
                  today: int) -> list[dict[str, Any]]:
    """The meetings that pass every filter of ``request`` (``today``: the London weekday)."""
    day = today if request.view == "today" and request.day is None else request.day
    out = []
    for m in meetings:
        if day is not None and day not in (m.get("weekdays") or []):
            continue
        if request.part and not in_part_of_day(request.part, m.get("start_time"),
                                               m.get("end_time")):
            continue
        if request.type and request.type not in features(m):
            continue
        if request.region and (m.get("region") or "").lower() != request.region.lower():
            continue
        if not attends(m, request.attendance):
            continue
        if request.q and not matches_text(m, request.q):
            continue
        out.append(m)
    return out


# ------------------------------------------------------------------------ the finder


def meetings_of(ctx: Context) -> list[dict[str, Any]]:
    """Every active meeting (fresh copies), cached per app until meetings or groups change.

    The cache is keyed on the store's change counters, so every worker sees a write at once.
    """
    store = ctx.store
    version = (store.data_version("meetings"), store.data_version("peer_organisations"))
    cached = ctx.cached("finder_meetings", lambda: active_meetings(store), version=version)
    return [dict(m) for m in cached]


def has_demo(ctx: Context) -> bool:
    """Whether any active meeting is demo data (the pages then say so)."""
    return any(m["is_demo"] for m in meetings_of(ctx))


def _order(meetings: list[dict[str, Any]], request: FinderRequest, now: dt.datetime, *,
           today: int) -> None:
    day = today if request.view == "today" and request.day is None else request.day
    late = (2, 0)

    def by_time(m: dict[str, Any]) -> tuple[int, int]:
        if day is not None:  # one day: its meetings by start time
            start = _minutes(m.get("start_time"))
            return (0, start) if start is not None else late
        if request.view == "all":  # the week from Sunday
            start = _minutes(m.get("start_time"))
            first = min(m.get("weekdays") or [7])
            return (0, first * 24 * 60 + (start or 0)) if start is not None else late
        wait = m["wait"]
        return (0 if m["in_progress"] else 1, wait) if wait is not None else late

    if request.has_origin:
        meetings.sort(key=lambda m: (m.get("distance_km") is None,
                                     m.get("distance_km") or 0.0, by_time(m), m["name"]))
    else:
        meetings.sort(key=lambda m: (by_time(m), m["name"]))


def find(ctx: Context, request: FinderRequest, *, now: dt.datetime) -> FinderPage:
    """One page of the finder: filtered, ordered, numbered, with distances when asked.

    Parameters
    ----------
    ctx
        The service context (its store, and the offline geocoder for a postcode or place).
    request
        The parsed parameters (:func:`parse_finder`).
    now
        The clock (an aware datetime; tests pass a fixed one).

    Raises
    ------
    service.usecases.errors.NotFoundError
        A postcode or place that is not known.
    service.usecases.errors.BadParameterError
        A region that is not one of the meetings' regions; a page past the last.
    """
    everything = meetings_of(ctx)
    regions = sorted({m["region"] for m in everything if m.get("region")})
    if request.region and request.region.lower() not in {r.lower() for r in regions}:
        msg = (f"region={request.region!r} is not a region of any meeting: use one of "
               f"{', '.join(regions)}")
        raise BadParameterError(msg, param="region", value=request.region,
                                problem="is not a region of any meeting",
                                fix="choose one from the list")
    types = sorted({f for m in everything for f in features(m)},
                   key=lambda f: feature_label(f).lower())
    today = week_minute(now) // (24 * 60)
    shown = filter_finder(everything, request, today=today)
    origin = None
    if request.has_origin:
        found = resolve_origin(ctx, lat=request.lat, lon=request.lon, postcode=request.postcode,
                               place=request.place)
        origin = origin_dict(found)
        lat, lon = found.latlon
        kept = []
        for m in shown:
            if is_pinned(m):
                m["distance_km"] = float(haversine_km(lat, lon, m["lat"], m["lon"]))
                if request.radius_km is not None and m["distance_km"] > request.radius_km:
                    continue
            kept.append(m)
        shown = kept
    for m in shown:
        m["wait"], m["in_progress"] = next_start(m, now)
        m["pinned"] = is_pinned(m)
    _order(shown, request, now, today=today)
    pages = max(1, math.ceil(len(shown) / PAGE_SIZE))
    if request.page > pages:
        msg = f"page={request.page} is past the last page ({pages}): use 1 to {pages}"
        raise BadParameterError(msg, param="page", value=request.page)
    start = (request.page - 1) * PAGE_SIZE
    window = shown[start:start + PAGE_SIZE]
    for number, m in enumerate(window, start=start + 1):
        m["number"] = number
        if m["wait"] is not None:
            m["next_at"] = starts_at(now, m["wait"])
    return FinderPage(request=request, meetings=window, total=len(everything),
                      matched=len(shown), page=request.page, pages=pages,
                      in_progress=sum(1 for m in shown if m["in_progress"]), origin=origin,
                      now=now.astimezone(LONDON), regions=regions, types=types)


def lookup(ctx: Context, q: str, *, limit: int = LOOKUP_LIMIT) -> list[dict[str, Any]]:
    """Active meetings whose name, venue or town has every word of ``q``, names first.

    For the home page's "My meeting": a name typed (or chosen from the suggestions) picks
    the meeting; an exact name match comes first. At most ``limit`` answers.
    """
    words = " ".join(q.split()).lower()
    if not words:
        return []
    found = [m for m in meetings_of(ctx) if matches_text(m, words)]
    found.sort(key=lambda m: (m["name"].lower() != words, words not in m["name"].lower(),
                              m["name"].lower(), m["id"]))
    return [{"id": m["id"], "name": m["name"], "when": m["when"], "venue": m.get("venue"),
             "attendance": m["attendance"]} for m in found[:limit]]


def choose_meeting(ctx: Context, text: str) -> tuple[int | None, list[dict[str, Any]]]:
    """The meeting a peer typed: ``(its id, [])``, or ``(None, the candidates)`` to choose from.

    One exact name (ignoring case and spacing) or one match picks the meeting; several
    matches are offered (at most :data:`LOOKUP_LIMIT`).

    Raises
    ------
    service.usecases.errors.NotFoundError
        (404) Nothing matches.
    """
    words = " ".join(text.split())
    found = lookup(ctx, words)
    exact = [m for m in found if m["name"].lower() == words.lower()]
    if len(exact) == 1 or len(found) == 1:
        return (exact or found)[0]["id"], []
    if not found:
        msg = (f"no meeting matches {words!r}: type part of its name, venue or town, or "
               "search by postcode or town instead")
        raise NotFoundError(msg, param="meeting", value=words, problem="matches no meeting",
                            fix="type part of its name, venue or town, or search by "
                                "postcode or town instead")
    return None, found


def parse_lookup(args: Mapping[str, Any]) -> tuple[str, int]:
    """``q`` (required text) and ``limit`` (1 to :data:`LOOKUP_LIMIT`) of a meeting lookup."""
    params.check_known(args, ("q", "limit"))
    q = _text(args.get("q"), "q")
    if not q:
        msg = "q is missing: give some of a meeting's name, venue or town, such as 'Wigan'"
        raise BadParameterError(msg, param="q")
    return q, params.limit(args.get("limit"), default=LOOKUP_LIMIT, hi=LOOKUP_LIMIT)


__all__ = [
    "ATTENDANCE_CHOICES",
    "FINDER_PARAMS",
    "LONDON",
    "PAGE_SIZE",
    "VIEWS",
    "FinderPage",
    "FinderRequest",
    "attends",
    "choose_meeting",
    "feature_label",
    "features",
    "filter_finder",
    "find",
    "has_demo",
    "is_pinned",
    "lookup",
    "matches_text",
    "meetings_of",
    "next_start",
    "parse_finder",
    "parse_lookup",
    "starts_at",
    "week_minute",
]
