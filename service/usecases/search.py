"""Recommend: a peer's search, and the same search enriched and drawn on a map.

The one flow behind ``GET /api/recommendations``, ``commonground recommend``, the peer
search page ``/``, ``/maps/opportunities`` and ``commonground map opportunities``:

1. :func:`parse_search` parses every parameter (no work yet: a bad value is a 400 at once);
2. :func:`recommend` resolves the origin and asks the engine (:mod:`matching.recommend`);
3. :func:`search_on_map` adds each listing's schedule and precision, the active meetings
   inside the search circle, and the map (:func:`maps.build_opportunities_map`).

Nothing about a search is logged or kept.
"""

from __future__ import annotations

from dataclasses import dataclass
from dataclasses import field
from typing import TYPE_CHECKING
from typing import Any

from maps import build_opportunities_map
from matching.query import COMMITMENTS
from matching.query import DEFAULT_LIMIT
from matching.query import DEFAULT_PER_ASSOCIATION
from matching.query import DEFAULT_RADIUS_KM
from matching.query import MAX_DEPTH
from matching.query import MAX_LIMIT
from matching.query import MAX_PER_ASSOCIATION
from matching.query import MAX_TEXT_CHARS
from matching.query import Filters
from matching.query import Origin
from matching.query import PeerQuery
from matching.query import split_interests
from matching.recommend import Recommender
from matching.taxonomy import SLUGS
from service.usecases import params
from service.usecases.errors import BadParameterError
from service.usecases.listings import when
from service.usecases.origin import check_one_origin
from service.usecases.origin import origin_dict
from service.usecases.origin import resolve_origin
from store.candidates import StoreCandidates
from store.reads import approved_organisation_ids
from store.reads import export_records_by_ids

if TYPE_CHECKING:
    from collections.abc import Mapping

    from matching.recommend import Recommendations
    from service.usecases.context import Context

DEFAULT_MAP_LIMIT = 20
"""Results drawn on a search map when the caller does not say."""
RECOMMEND_PARAMS = ("lat", "lon", "postcode", "place", "meeting_id", "interests", "text",
                    "radius_km", "limit", "per_association", "association_id",
                    "organisation_id", "days", "times", "page", "page_size", "ignore",
                    "fits_week", "commitment", "accessibility", "groups", "remote")
"""Query parameters of a search; any other is a 400."""


@dataclass(frozen=True)
class SearchRequest:
    """A peer's search, every parameter parsed (nothing resolved yet)."""

    lat: float | None = None
    lon: float | None = None
    postcode: str | None = None
    place: str | None = None
    meeting_id: int | None = None
    interests: tuple[str, ...] = ()
    text: str = ""
    radius_km: float = DEFAULT_RADIUS_KM
    limit: int = DEFAULT_LIMIT
    per_association: int = DEFAULT_PER_ASSOCIATION
    association_id: int | None = None
    organisation_id: int | None = None
    days: frozenset[int] = field(default_factory=frozenset)
    times: tuple[tuple[int, int], ...] = ()
    page: int = 1
    ignore: tuple[str, ...] = ()
    filters: Filters = field(default_factory=Filters)


_YES = ("1", "true", "yes", "on")
_NO = ("0", "false", "no", "off")
REMOTE_CHOICES = ("include", "only", "exclude")
"""``remote``: remote listings in their own group (default), only them, or none."""


def _flag(raw: Any, name: str) -> bool:
    if not params.given(raw):
        return False
    value = str(raw).strip().lower()
    if value in _YES:
        return True
    if value in _NO:
        return False
    msg = f"{name}={raw!r} is not allowed: use 1 or 0 (true or false)"
    raise BadParameterError(msg, param=name, value=raw)


def _slugs(raw: Any, name: str) -> tuple[str, ...]:
    items = [s.strip() for s in str(raw or "").split(",") if s.strip()]
    bad = [s for s in items if s not in SLUGS]
    if bad:
        msg = f"{name}={raw!r}: {', '.join(map(repr, bad))} not an interest; use slugs"
        raise BadParameterError(msg, param=name, value=raw)
    return tuple(items)


def parse_filters(values: Mapping[str, Any]) -> Filters:
    """The hard filters of a search.

    ``fits_week``, ``commitment``, ``accessibility``, ``groups`` and ``remote``.
    """
    get = values.get
    remote = params.choice(get("remote"), "remote", choices=REMOTE_CHOICES, default="include")
    access = tuple(a.strip() for a in str(get("accessibility") or "").split(",") if a.strip())
    return Filters(
        fits_week=_flag(get("fits_week"), "fits_week"),
        commitment=params.choice(get("commitment"), "commitment", choices=COMMITMENTS),
        accessibility=access, groups=_flag(get("groups"), "groups"),
        remote={"include": None, "only": True, "exclude": False}[remote or "include"])


def parse_search(values: Mapping[str, Any], *, limit_default: int = DEFAULT_LIMIT
                 ) -> SearchRequest:
    """Parse a search's parameters (query string, form or CLI options), before any work.

    ``interests`` is a comma-separated list; items that are not in the vocabulary are matched
    as free text.

    Raises
    ------
    service.usecases.errors.BadParameterError
        Naming the first parameter at fault.
    """
    get = values.get
    check_one_origin(lat=get("lat"), lon=get("lon"), postcode=get("postcode"),
                     place=get("place"), meeting_id=get("meeting_id"))
    slugs, extra = split_interests(str(get("interests") or ""))
    text = " ".join(w for w in (str(get("text") or ""), extra) if w.strip())
    if len(text) > MAX_TEXT_CHARS:
        msg = f"text is longer than {MAX_TEXT_CHARS} characters; shorten it"
        raise BadParameterError(msg, param="text", fix="shorten it",
                                problem=f"is longer than {MAX_TEXT_CHARS} characters")
    place = get("place")
    return SearchRequest(
        lat=params.latitude(get("lat")), lon=params.longitude(get("lon")),
        postcode=params.postcode(get("postcode")),
        place=str(place).strip() if params.given(place) else None,
        meeting_id=params.record_id(get("meeting_id"), name="meeting_id"),
        interests=slugs, text=text,
        radius_km=params.radius(get("radius_km"), default=DEFAULT_RADIUS_KM),
        limit=params.limit(get("page_size") if params.given(get("page_size")) else get("limit"),
                           default=limit_default, hi=MAX_LIMIT,
                           name="page_size" if params.given(get("page_size")) else "limit"),
        per_association=params.limit(get("per_association"), default=DEFAULT_PER_ASSOCIATION,
                                     hi=MAX_PER_ASSOCIATION, name="per_association"),
        association_id=params.record_id(get("association_id"), name="association_id"),
        organisation_id=params.record_id(get("organisation_id"), name="organisation_id"),
        days=params.days(get("days")), times=params.times(get("times")),
        page=_page(get("page"), get("page_size"), get("limit"), limit_default),
        ignore=_slugs(get("ignore"), "ignore"), filters=parse_filters(values),
    )


def _page(raw: Any, size: Any, limit: Any, default: int) -> int:
    """The page number, within :data:`MAX_DEPTH` results."""
    per = params.limit(size if params.given(size) else limit, default=default, hi=MAX_LIMIT,
                       name="page_size" if params.given(size) else "limit")
    return params.whole(raw, "page", lo=1, hi=MAX_DEPTH // per, default=1) or 1


def recommender(ctx: Context) -> Recommender:
    """The context's recommender (one per process; its catalogue follows the data version)."""
    return ctx.cached("recommender", lambda: Recommender(StoreCandidates(ctx.store)))


@dataclass
class Found:
    """A search's answer: the query as run and the ranked results."""

    query: PeerQuery
    answer: Recommendations

    @property
    def origin(self) -> dict[str, Any]:
        """The origin as the API shows it."""
        return origin_dict(self.query.origin)

    @property
    def results(self) -> list[dict[str, Any]]:
        """The results as the API shows them, best first."""
        return [r.to_dict() for r in self.answer.results]

    def to_dict(self, *, full: bool = True) -> dict[str, Any]:
        """The answer of ``GET /api/recommendations`` (``full=False``: the CLI's ``--json``)."""
        q = self.query
        query: dict[str, Any] = {"interests": list(q.interests), "text": q.text,
                                 "interests_used": list(self.answer.interests_used),
                                 "radius_km": q.radius_km, "limit": q.limit}
        if full:
            query |= {"per_association": q.per_association, "association_id": q.association_id,
                      "days": sorted(q.days), "times": [list(w) for w in q.times]}
        if full:
            f = q.filters
            query |= {"ignore": list(q.ignore), "filters": {
                "fits_week": f.fits_week, "commitment": f.commitment,
                "accessibility": list(f.accessibility), "groups": f.groups,
                "remote": {None: "include", True: "only", False: "exclude"}[f.remote]}}
        return {"origin": self.origin, "query": query, "results": self.results,
                **self.answer.extras()}


def recommend(ctx: Context, request: SearchRequest) -> Found:
    """Opportunities for a peer, best first, each with its reasons.

    Raises
    ------
    service.usecases.errors.ServiceError
        An unknown postcode, place or meeting (404).
    """
    origin = resolve_origin(ctx, lat=request.lat, lon=request.lon, postcode=request.postcode,
                            place=request.place, meeting_id=request.meeting_id)
    if request.organisation_id is not None and origin.organisation_id is None:
        origin = Origin(origin.latlon, label=origin.label, kind=origin.kind,
                        organisation_id=request.organisation_id, meeting_id=origin.meeting_id,
                        precision=origin.precision)
    query = PeerQuery(origin, interests=request.interests, text=request.text,
                      radius_km=request.radius_km, limit=request.limit,
                      per_association=request.per_association,
                      association_id=request.association_id, days=request.days,
                      times=request.times, page=request.page, ignore=request.ignore,
                      filters=request.filters, with_total=True)
    return Found(query, recommender(ctx).recommend(query))


@dataclass
class MapSearch:
    """A search with what a map of it needs."""

    found: Found
    results: list[dict[str, Any]]
    """The results, each with ``schedule``, ``commitment``, ``location_precision``, ``is_demo``."""
    meetings: list[dict[str, Any]]
    """The active meetings inside the search circle (each with ``when``)."""
    map: Any
    """The map (a :class:`folium.Map`)."""


def with_details(ctx: Context, results: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Results with each listing's ``schedule``, ``commitment``, precision and demo flag."""
    details = {d["id"]: d for d in export_records_by_ids(
        ctx.store, "opportunities", [r["opportunity_id"] for r in results])}
    out = []
    for r in results:
        d = details.get(r["opportunity_id"], {})
        out.append({**r, "schedule": when(d), "commitment": d.get("commitment"),
                    "location_precision": d.get("location_precision") or "exact",
                    "is_demo": d.get("is_demo", False)})
    return out


def meetings_near(ctx: Context, latlon: tuple[float, float], radius_km: float
                  ) -> list[dict[str, Any]]:
    """The public active meetings within ``radius_km`` of ``latlon`` (each with ``when``).

    Public: meetings of approved organisations only.
    """
    ids, _km = ctx.store.spatial.within("meetings", latlon, radius_km, filters={"active": True})
    approved = approved_organisation_ids(ctx.store)
    meetings = [m for m in export_records_by_ids(ctx.store, "meetings", ids.tolist())
                if m["organisation_id"] is None or m["organisation_id"] in approved]
    for m in meetings:
        m["when"] = when(m)
    return meetings


def search_on_map(ctx: Context, request: SearchRequest) -> MapSearch:
    """Recommend, add the listings' details and the meetings within reach, draw the map."""
    found = recommend(ctx, request)
    results = with_details(ctx, found.results)
    radius = found.query.radius_km
    meetings = meetings_near(ctx, found.query.origin.latlon, radius)
    m = build_opportunities_map(found.origin, results, meetings, radius_km=radius)
    return MapSearch(found, results, meetings, m)


__all__ = [
    "DEFAULT_MAP_LIMIT",
    "RECOMMEND_PARAMS",
    "REMOTE_CHOICES",
    "Found",
    "MapSearch",
    "SearchRequest",
    "meetings_near",
    "parse_filters",
    "parse_search",
    "recommend",
    "recommender",
    "search_on_map",
    "with_details",
]
