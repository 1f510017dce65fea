"""Full-page folium maps (``/maps/...``) and the map builders the CLI shares.

* ``/maps/coverage?radius_km=&count=&hex=`` meetings and their catchment, hexagons coloured
  by covered share (``hex=distance_km``: by distance), uncovered towns, suggested sites.
* ``/maps/growth`` the devolution trees, year by year.
* ``/maps/opportunities?lat=&lon=|postcode=|place=|meeting_id=&interests=&text=&radius_km=
  &limit=`` a search drawn: origin, radius, results by category, meetings.

Thin: ask the store for frames, call :mod:`matching`, hand the results to :mod:`maps`, render
``m.get_root().render()``. The opportunities map ranks with the recommendation engine
(:mod:`matching.recommend`, through :mod:`service.api_recommend`); where that engine cannot be
imported it falls back to the open opportunities within the radius, nearest first.
"""

from __future__ import annotations

import datetime as dt
import gzip
import math
from typing import TYPE_CHECKING
from typing import Any

import pandas as pd
from flask import Blueprint
from flask import Response
from flask import current_app
from flask import render_template
from flask import request
from flask import url_for

from geo.errors import GeoError
from ingest.demand import loaded_fingerprint
from maps import build_coverage_map
from maps import build_growth_map
from maps import build_opportunities_map
from matching.coverage import DEFAULT_RADIUS_KM
from matching.coverage import CoverageInputError
from matching.coverage import check_radius
from matching.coverage import hexagons
from matching.coverage import serving_meetings
from matching.growth import growth_trees
from service import wiring
from service.api_coverage import coverage_result
from service.api_coverage import on_date
from service.api_coverage import site_suggestion
from service.api_coverage import sites_for_map
from service.coverage_cache import CACHE
from store.coverage import meetings_frame
from store.coverage import opportunity_rows
from store.coverage import organisations_frame
from store.coverage import volunteers_frame

if TYPE_CHECKING:
    from flask import Flask
    from flask.typing import ResponseReturnValue

    from store import Store

bp = Blueprint("maps_views", __name__, url_prefix="/maps")
WEEKDAYS = ("Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat")
DEFAULT_OPPORTUNITY_RADIUS_KM = 15.0
DEFAULT_LIMIT = 20
MAX_LIMIT = 200
NO_ENGINE_NOTE = ("the recommendation engine is not available: showing the open "
                  "opportunities within the radius, nearest first")


# -- builders shared with the CLI -----------------------------------------------------------


def coverage_map(
    store: Store, *, radius_km: Any = DEFAULT_RADIUS_KM, area: str = "GB", count: Any = 5,
    hex_by: str = "covered_share", resolution: int = 5, what_if_url: str | None = None,
    on: Any = None, data_dir: str | None = None,
) -> Any:
    """The coverage map of the store (a :class:`folium.Map`); ``count=0`` draws no sites.

    The meetings drawn are those coverage counts (:func:`matching.coverage.serving_meetings`).
    """
    result = coverage_result(store, radius_km=radius_km, area=area, on=on, data_dir=data_dir)
    sites = sites_for_map(site_suggestion(store, result, count=count)) if count else []
    organisations = organisations_frame(store)
    orgs = organisations.set_index("id")["name"]
    meetings = serving_meetings(meetings_frame(store), organisations, volunteers_frame(store),
                                on=result.on or on_date(on))
    meetings["organisation"] = [None if pd.isna(o) else orgs.get(int(o))
                                for o in meetings["organisation_id"]]
    return build_coverage_map(
        meetings, radius_km=result.radius_km, hexagons=hexagons(result.demand,
                                                                resolution=resolution),
        gaps=result.gaps(None), sites=sites, hex_by=hex_by, what_if_url=what_if_url,
    )


def growth_map(store: Store) -> Any:
    """The growth map of the store: every hotspot's tree, year by year."""
    trees = growth_trees(organisations_frame(store), meetings_frame(store, attendance=None))
    return build_growth_map([t.to_dict() for t in trees])


def schedule_text(row: dict[str, Any]) -> str:
    """An opportunity's schedule in a few words: ``"Sat 10:00-13:00; monthly"``."""
    parts = []
    days = ", ".join(WEEKDAYS[d] for d in row.get("weekdays") or [] if 0 <= int(d) < 7)  # noqa: PLR2004
    start, end = row.get("start_time"), row.get("end_time")
    when = f"{start:%H:%M}-{end:%H:%M}" if start is not None and end is not None else ""
    if days or when:
        parts.append(" ".join(p for p in (days, when) if p))
    elif row.get("flexible"):
        parts.append("flexible")
    if row.get("commitment"):
        parts.append(str(row["commitment"]))
    return "; ".join(parts)


def nearest_opportunities(
    store: Store, latlon: tuple[float, float], *, radius_km: float, limit: int,
) -> list[dict[str, Any]]:
    """Open opportunities within ``radius_km``, nearest first (the engine-less fallback)."""
    ids, km = store.spatial.within("opportunities", latlon, radius_km,
                                   filters={"status": "open"})
    ids, km = ids[:limit], km[:limit]
    rows = {r["id"]: r for r in opportunity_rows(store, ids.tolist())}
    out = []
    for oid, dist in zip(ids.tolist(), km.tolist(), strict=True):
        row = rows[oid]
        out.append({
            "opportunity_id": oid, "title": row["title"], "association": row["association"],
            "category": row["category"], "distance_km": round(dist, 3), "score": None,
            "reasons": [f"{dist:.1f} km away"], "lat": row["lat"], "lon": row["lon"],
        })
    return out


def _with_details(store: Store, results: list[dict[str, Any]]) -> list[dict[str, Any]]:
    details = {r["id"]: r for r in opportunity_rows(store, [r["opportunity_id"]
                                                            for r in results])}
    out = []
    for r in results:
        d = details.get(r["opportunity_id"], {})
        out.append({**r, "schedule": schedule_text(d),
                    "location_precision": d.get("location_precision", "exact")})
    return out


def opportunities_map(
    app: Flask, store: Store, *, lat: Any = None, lon: Any = None, postcode: Any = None,
    place: Any = None, meeting_id: Any = None, interests: Any = None, text: Any = None,
    radius_km: Any = None, limit: Any = None,
) -> tuple[Any, str | None]:
    """A search drawn on a map, and a note when the fallback ranking was used.

    Raises
    ------
    ValueError
        (``matching.errors.MatchingError``, ``geo.errors.GeoError``,
        :class:`~matching.coverage.CoverageInputError`) for a bad or unknown origin or a bad
        parameter; ``status`` says 400 or 404.
    """
    radius = check_radius(DEFAULT_OPPORTUNITY_RADIUS_KM if radius_km in (None, "")
                          else radius_km)
    n = _limit(limit)
    note = None
    try:
        from service.api_recommend import get_recommender  # noqa: PLC0415
        from service.origin import peer_query  # noqa: PLC0415
        from service.origin import resolve_origin  # noqa: PLC0415
    except ImportError:
        latlon, label = _origin_without_engine(app, store, lat=lat, lon=lon,
                                               postcode=postcode, place=place)
        results = nearest_opportunities(store, latlon, radius_km=radius, limit=n)
        note = NO_ENGINE_NOTE
    else:
        origin = resolve_origin(app, store, lat=lat, lon=lon, postcode=postcode, place=place,
                                meeting_id=meeting_id)
        query = peer_query(origin, interests=interests, text=text, radius_km=radius, limit=n)
        answer = get_recommender(app).recommend(query)
        results = [r.to_dict() for r in answer.results]
        latlon, label = origin.latlon, origin.label
    ids, _km = store.spatial.within("meetings", latlon, radius, filters={"active": True})
    meetings = meetings_frame(store, attendance=None)
    meetings = meetings.loc[meetings["id"].isin(ids.tolist())]
    m = build_opportunities_map({"lat": latlon[0], "lon": latlon[1], "label": label},
                                _with_details(store, results), meetings, radius_km=radius)
    return m, note


def _limit(value: Any) -> int:
    if value in (None, ""):
        return DEFAULT_LIMIT
    try:
        n = int(str(value))
    except ValueError:
        n = -1
    if not 1 <= n <= MAX_LIMIT:
        msg = f"limit must be a whole number from 1 to {MAX_LIMIT}, got {value!r}"
        raise CoverageInputError(msg)
    return n


def _origin_without_engine(
    app: Flask, store: Store, *, lat: Any, lon: Any, postcode: Any, place: Any,
) -> tuple[tuple[float, float], str]:
    if postcode or place:
        query = str(postcode or place)
        found = wiring.geocoder(app, store).geocode(query)
        if found is None:
            msg = f"{'postcode' if postcode else 'place'} {query!r} was not found"
            raise CoverageInputError(msg)
        return (float(found.latitude), float(found.longitude)), query
    try:
        latlon = (float(lat), float(lon))
    except (TypeError, ValueError):
        msg = f"give lat and lon in decimal degrees, a postcode or a place; got lat={lat!r}, " \
              f"lon={lon!r}"
        raise CoverageInputError(msg) from None
    if not all(math.isfinite(v) for v in latlon):
        msg = f"lat and lon must be finite numbers, got {latlon!r}"
        raise CoverageInputError(msg)
    return latlon, "here"


# -- pages ----------------------------------------------------------------------------------


def _store() -> Store:
    from service import get_store  # noqa: PLC0415 - avoids an import cycle with create_app

    return get_store(current_app)


def _page(m: Any) -> Response:
    return Response(m.get_root().render(), mimetype="text/html")


def _bad_request(exc: ValueError) -> ResponseReturnValue:
    status = int(getattr(exc, "status", 400))
    title = "Not found" if status == 404 else "Bad request"  # noqa: PLR2004
    return render_template("error.html", status=status, title=title, detail=str(exc)), status


bp.register_error_handler(CoverageInputError, _bad_request)
bp.register_error_handler(GeoError, _bad_request)
try:  # the recommendation engine's errors, where it exists
    from matching.errors import MatchingError

    bp.register_error_handler(MatchingError, _bad_request)
except ImportError:  # pragma: no cover - only before the engine lands
    pass


@bp.get("/coverage")
def coverage_page() -> ResponseReturnValue:
    """The coverage map as a full page."""
    hex_by = request.args.get("hex", "covered_share")
    if hex_by not in ("covered_share", "distance_km"):
        msg = f"hex must be 'covered_share' or 'distance_km', got {hex_by!r}"
        raise CoverageInputError(msg)
    store = _store()
    radius = check_radius(request.args.get("radius_km", DEFAULT_RADIUS_KM))
    count = _site_count(request.args.get("count", "5"))
    area = current_app.config["SERVICE_AREA"]
    what_if = url_for("api_coverage.what_if", radius_km=f"{radius:g}")
    data_dir = current_app.config["DATA_DIR"]
    key = ("coverage-page", store.url, CACHE.fingerprint(store), loaded_fingerprint(data_dir),
           area, radius, count, hex_by, dt.date.today(), what_if)

    def render() -> bytes:
        m = coverage_map(store, radius_km=radius, area=area, count=count, hex_by=hex_by,
                         what_if_url=what_if, data_dir=data_dir)
        return gzip.compress(m.get_root().render().encode("utf-8"), compresslevel=6)

    return _compressed_page(CACHE.get_or_compute(key, render))


def _compressed_page(body: bytes) -> Response:
    """A cached page: gzip when the client accepts it (every browser), else plain."""
    if "gzip" in request.headers.get("Accept-Encoding", ""):
        response = Response(body, mimetype="text/html")
        response.headers["Content-Encoding"] = "gzip"
    else:
        response = Response(gzip.decompress(body), mimetype="text/html")
    response.headers["Vary"] = "Accept-Encoding"
    response.headers["Cache-Control"] = "public, max-age=60"
    return response


def _site_count(value: str) -> int:
    try:
        n = int(value)
    except ValueError:
        n = -1
    if not 0 <= n <= 50:  # noqa: PLR2004
        msg = f"count must be a whole number of sites from 0 to 50, got {value!r}"
        raise CoverageInputError(msg)
    return n


@bp.get("/growth")
def growth_page() -> ResponseReturnValue:
    """The growth map as a full page."""
    return _page(growth_map(_store()))


@bp.get("/opportunities")
def opportunities_page() -> ResponseReturnValue:
    """A search drawn on a full-page map (nothing about the search is stored)."""
    args = request.args
    m, _note = opportunities_map(
        current_app._get_current_object(), _store(),  # type: ignore[attr-defined]
        lat=args.get("lat"), lon=args.get("lon"), postcode=args.get("postcode"),
        place=args.get("place"), meeting_id=args.get("meeting_id"),
        interests=args.get("interests"), text=args.get("text"),
        radius_km=args.get("radius_km"), limit=args.get("limit"))
    response = _page(m)
    response.headers["Cache-Control"] = "no-store"
    return response


__all__ = [
    "bp",
    "coverage_map",
    "growth_map",
    "nearest_opportunities",
    "opportunities_map",
    "schedule_text",
]
