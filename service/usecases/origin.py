"""Where a peer searches from, and the query they ask: parsed once for the API and the CLI.

An origin is exactly one of: a point (``lat`` + ``lon``), a UK postcode (full, district or
area, through the offline geocoder), a town (the GeoNames gazetteer) or a meeting id (its
point and its organisation, which turns on the win/win link boost).

Privacy: a peer's origin is resolved offline only. When the app's geocoder is Nominatim (which
keeps every answer in an on-disk cache), peer lookups still use the offline geocoder, so no
peer postcode or place leaves the process or lands on disk. Nothing here logs a location.
"""

from __future__ import annotations

from typing import TYPE_CHECKING
from typing import Any

from geo.errors import GeoError
from geo.gazetteer import Gazetteer
from geo.geocode import OfflineGeocoder
from geo.geocode import precision_of
from matching.query import Origin
from service.usecases import wiring
from service.usecases.errors import BadParameterError
from service.usecases.errors import NotFoundError
from store.candidates import StoreCandidates

if TYPE_CHECKING:
    from service.usecases.context import Context

ORIGIN_PARAMS = ("lat", "lon", "postcode", "place", "meeting_id")


def peer_geocoder(ctx: Context) -> OfflineGeocoder:
    """The app's geocoder when it is offline; else an offline one over the same postcodes."""
    geocoder = wiring.geocoder(ctx)
    if isinstance(geocoder, OfflineGeocoder):
        return geocoder
    return ctx.cached("peer_geocoder", lambda: OfflineGeocoder(wiring.postcode_table(ctx.store)),
                      version=ctx.store.data_version("postcodes"))


def _from_postcode(ctx: Context, postcode: str) -> Origin:
    location = peer_geocoder(ctx).geocode(postcode)
    if location is None:
        msg = (f"postcode {postcode!r} was not found: no postcode, district or area of that "
               "name is known; check it, or search by place or meeting instead")
        raise NotFoundError(msg, param="postcode", value=postcode, problem="was not found",
                            fix="check it, or search by town or meeting instead")
    precision = precision_of(location)
    matched = str(location.raw.get("matched", postcode))
    label = postcode if precision == "postcode" else f"the centre of {matched}"
    return Origin((location.latitude, location.longitude), label=label, kind="postcode",
                  precision=precision)


def _from_place(text: str) -> Origin:
    try:
        place = Gazetteer.from_geonames("GB").resolve(text)
    except GeoError as exc:
        raise NotFoundError(str(exc), param="place", value=text,
                            problem="is not a town or city we know",
                            fix="check the spelling, or give a postcode instead") from None
    return Origin((place.lat, place.lon), label=place.name, kind="place", precision="town")


def _from_meeting(ctx: Context, meeting_id: int) -> Origin:
    meeting = StoreCandidates(ctx.store).meeting(meeting_id)
    if meeting is None:
        msg = f"meeting_id={meeting_id} was not found: there is no meeting with that id"
        raise NotFoundError(msg, param="meeting_id", value=meeting_id)
    if meeting["lat"] is None or meeting["lon"] is None:
        msg = f"meeting_id={meeting_id} has no location yet; search by postcode or place"
        raise BadParameterError(msg, param="meeting_id", value=meeting_id)
    return Origin((meeting["lat"], meeting["lon"]), label="your meeting", kind="meeting",
                  organisation_id=meeting["organisation_id"], meeting_id=meeting_id)


def check_one_origin(*, lat: Any = None, lon: Any = None, postcode: Any = None,
                     place: Any = None, meeting_id: Any = None) -> str:
    """Which origin is given (``point``, ``postcode``, ``place``, ``meeting_id``): exactly one.

    Raises
    ------
    service.usecases.errors.BadParameterError
        No origin, more than one, or half a point.
    """
    def _given(value: Any) -> bool:
        return value is not None and str(value).strip() != ""

    kinds = [k for k, v in (("lat and lon", _given(lat) or _given(lon)),
                            ("postcode", _given(postcode)), ("place", _given(place)),
                            ("meeting_id", _given(meeting_id))) if v]
    if len(kinds) != 1:
        got = f"got {' and '.join(kinds)}" if kinds else "got none"
        msg = f"give exactly one origin: lat and lon, postcode, place or meeting_id ({got})"
        raise BadParameterError(msg, param="origin")
    if kinds[0] == "lat and lon" and not (_given(lat) and _given(lon)):
        missing = "lon" if _given(lat) else "lat"
        msg = f"a point needs both lat and lon; {missing} is missing"
        raise BadParameterError(msg, param=missing)
    return "point" if kinds[0] == "lat and lon" else kinds[0]


def resolve_origin(
    ctx: Context, *, lat: float | None = None, lon: float | None = None,
    postcode: str | None = None, place: str | None = None, meeting_id: int | None = None,
) -> Origin:
    """The origin named by exactly one of the (parsed) arguments.

    Raises
    ------
    service.usecases.errors.BadParameterError
        (400) No origin, more than one, half a point.
    service.usecases.errors.NotFoundError
        (404) A postcode, place or meeting that is well formed but not known.
    """
    kind = check_one_origin(lat=lat, lon=lon, postcode=postcode, place=place,
                            meeting_id=meeting_id)
    if kind == "postcode":
        return _from_postcode(ctx, str(postcode))
    if kind == "place":
        return _from_place(str(place))
    if kind == "meeting_id":
        return _from_meeting(ctx, int(meeting_id))  # type: ignore[arg-type]
    return Origin((float(lat), float(lon)), label="here", kind="point")  # type: ignore[arg-type]


def origin_dict(origin: Origin) -> dict[str, Any]:
    """The origin as the API and ``--json`` show it."""
    return {"kind": origin.kind, "label": origin.label, "lat": origin.latlon[0],
            "lon": origin.latlon[1], "precision": origin.precision,
            "meeting_id": origin.meeting_id, "organisation_id": origin.organisation_id}


__all__ = ["ORIGIN_PARAMS", "check_one_origin", "origin_dict", "peer_geocoder",
           "resolve_origin"]
