"""Where a peer searches from, and the query they ask: parsed once for the API and the CLI.

An origin is exactly one of: a point (``lat`` + ``lon``), a UK postcode (full, district or
area, through the offline geocoder), a town (the GeoNames gazetteer) or a meeting id (its
point and its organisation, which turns on the win/win link boost).

Privacy: a peer's origin is resolved offline only. When the app's geocoder is Nominatim (which
keeps every answer in an on-disk cache), peer lookups still use the offline geocoder, so no
peer postcode or place leaves the process or lands on disk. Nothing here logs a location.
"""

from __future__ import annotations

import threading
from typing import TYPE_CHECKING
from typing import Any

from geo.errors import GeoError
from geo.gazetteer import Gazetteer
from geo.geocode import OfflineGeocoder
from geo.geocode import precision_of
from geo.postcode import parse_postcode
from matching.errors import BadParameterError
from matching.errors import UnknownRecordError
from matching.query import Origin
from matching.query import PeerQuery
from matching.query import check_id
from matching.query import parse_days
from matching.query import parse_times
from matching.query import split_interests
from service import wiring
from store.candidates import StoreCandidates

if TYPE_CHECKING:
    from flask import Flask

    from store import Store

_lock = threading.Lock()
ORIGIN_PARAMS = ("lat", "lon", "postcode", "place", "meeting_id")


def _given(value: Any) -> bool:
    return value is not None and str(value).strip() != ""


def _peer_geocoder(app: Flask, store: Store) -> OfflineGeocoder:
    """The app's geocoder when it is offline; else an offline one over the same postcodes."""
    geocoder = wiring.geocoder(app, store)
    if isinstance(geocoder, OfflineGeocoder):
        return geocoder
    version = store.data_version("postcodes")
    with _lock:
        cached = app.extensions.get("commonground.peer_geocoder")
        if cached is not None and cached[0] == version:
            return cached[1]  # type: ignore[no-any-return]
    built = OfflineGeocoder(wiring.postcode_table(store))
    with _lock:
        app.extensions["commonground.peer_geocoder"] = (version, built)
    return built


def _from_postcode(app: Flask, store: Store, text: str) -> Origin:
    try:
        pc = parse_postcode(text)
    except GeoError as exc:
        raise BadParameterError(str(exc), param="postcode") from None
    location = _peer_geocoder(app, store).geocode(pc.text)
    if location is None:
        msg = (f"postcode {pc.text!r} was not found: no postcode, district or area of that "
               "name is known; check it, or search by place or meeting instead")
        raise UnknownRecordError(msg, param="postcode")
    precision = precision_of(location)
    matched = str(location.raw.get("matched", pc.text))
    label = pc.text if precision == "postcode" else f"the centre of {matched}"
    return Origin((location.latitude, location.longitude), label=label, kind="postcode",
                  precision=precision)


def _from_place(text: str) -> Origin:
    try:
        place = Gazetteer.from_geonames("GB").resolve(text)
    except GeoError as exc:
        raise UnknownRecordError(str(exc), param="place") from None
    return Origin((place.lat, place.lon), label=place.name, kind="place", precision="town")


def _from_meeting(store: Store, value: Any) -> Origin:
    meeting_id = check_id(value, name="meeting_id")
    meeting = StoreCandidates(store).meeting(meeting_id)
    if meeting is None:
        msg = f"meeting_id={meeting_id} was not found: there is no meeting with that id"
        raise UnknownRecordError(msg, param="meeting_id")
    if meeting["lat"] is None or meeting["lon"] is None:
        msg = f"meeting_id={meeting_id} has no location yet; search by postcode or place"
        raise BadParameterError(msg, param="meeting_id")
    return Origin((meeting["lat"], meeting["lon"]), label="your meeting", kind="meeting",
                  organisation_id=meeting["organisation_id"], meeting_id=meeting_id)


def resolve_origin(
    app: Flask, store: Store, *, lat: Any = None, lon: Any = None, postcode: Any = None,
    place: Any = None, meeting_id: Any = None,
) -> Origin:
    """The origin named by exactly one of the arguments (``lat`` and ``lon`` go together).

    Raises
    ------
    matching.errors.BadParameterError
        (400) No origin, more than one, half a point, a malformed value.
    matching.errors.UnknownRecordError
        (404) A postcode, place or meeting that is well formed but not known.
    """
    kinds = [k for k, v in (("lat and lon", _given(lat) or _given(lon)),
                            ("postcode", _given(postcode)), ("place", _given(place)),
                            ("meeting_id", _given(meeting_id))) if v]
    if len(kinds) != 1:
        got = f"got {' and '.join(kinds)}" if kinds else "got none"
        msg = f"give exactly one origin: lat and lon, postcode, place or meeting_id ({got})"
        raise BadParameterError(msg, param="origin")
    if kinds[0] == "postcode":
        return _from_postcode(app, store, str(postcode))
    if kinds[0] == "place":
        return _from_place(str(place))
    if kinds[0] == "meeting_id":
        return _from_meeting(store, meeting_id)
    if not (_given(lat) and _given(lon)):
        missing = "lon" if _given(lat) else "lat"
        msg = f"a point needs both lat and lon; {missing} is missing"
        raise BadParameterError(msg, param=missing)
    try:
        latlon = (float(lat), float(lon))
    except (TypeError, ValueError):
        msg = f"lat={lat!r}, lon={lon!r}: give decimal degrees, such as lat=53.48&lon=-2.24"
        raise BadParameterError(msg, param="lat") from None
    return Origin(latlon, label="here", kind="point")


def peer_query(
    origin: Origin, *, interests: str | None = None, text: str | None = None,
    radius_km: Any = None, limit: Any = None, per_association: Any = None,
    association_id: Any = None, organisation_id: Any = None, days: str | None = None,
    times: str | None = None,
) -> PeerQuery:
    """A validated :class:`~matching.query.PeerQuery` from request-like values.

    ``interests`` is a comma-separated list; items that are not in the vocabulary are
    matched as free text. ``organisation_id`` sets the peer's group when the origin does not
    (a meeting's group always wins).
    """
    slugs, extra = split_interests(interests or "")
    words = " ".join(w for w in (text or "", extra) if w.strip())
    if _given(organisation_id) and origin.organisation_id is None:
        org = check_id(organisation_id, name="organisation_id")
        origin = Origin(origin.latlon, label=origin.label, kind=origin.kind,
                        organisation_id=org, meeting_id=origin.meeting_id,
                        precision=origin.precision)
    kwargs: dict[str, Any] = {}
    if _given(radius_km):
        kwargs["radius_km"] = radius_km
    if _given(limit):
        kwargs["limit"] = limit
    if _given(per_association):
        kwargs["per_association"] = per_association
    if _given(association_id):
        kwargs["association_id"] = association_id
    return PeerQuery(origin, interests=slugs, text=words,
                     days=parse_days(days) if _given(days) else frozenset(),
                     times=parse_times(times) if _given(times) else (), **kwargs)


def origin_dict(origin: Origin) -> dict[str, Any]:
    """The origin as the API and ``--json`` show it."""
    return {"kind": origin.kind, "label": origin.label, "lat": origin.latlon[0],
            "lon": origin.latlon[1], "precision": origin.precision,
            "meeting_id": origin.meeting_id, "organisation_id": origin.organisation_id}


__all__ = ["ORIGIN_PARAMS", "origin_dict", "peer_query", "resolve_origin"]
