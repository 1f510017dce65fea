"""The JSON API (``/api``). Thin: parse, ask the store, shape the answer."""

from __future__ import annotations

import datetime as dt
from typing import TYPE_CHECKING
from typing import Any

from flask import Blueprint
from flask import current_app
from flask import jsonify
from flask import request
from flask import url_for

from ingest.export import to_geojson
from ingest.meeting_feed import feed_entries
from matching.taxonomy import SLUGS
from service.params import ParamError
from service.params import bbox_param
from service.params import check_known
from service.params import choice_param
from service.params import float_param
from service.params import int_param
from store.errors import NotFoundError
from store.models import ATTENDANCE
from store.models import OPPORTUNITY_STATUSES
from store.models import ORG_STATUSES
from store.reads import feed_meetings
from store.reads import organisation_status
from store.reads import query_records

if TYPE_CHECKING:
    from flask import Response
    from flask.typing import ResponseReturnValue

bp = Blueprint("api", __name__, url_prefix="/api")


def _store():  # type: ignore[no-untyped-def]
    from service import get_store  # noqa: PLC0415

    return get_store(current_app)


@bp.get("/meetings/feed.json")
def meeting_guide_feed() -> ResponseReturnValue:
    """Public meetings in the Meeting Guide JSON format, for meeting finders (TSML UI ...).

    Active meetings of approved organisations only; ``organisation=ID`` for one organisation's.
    Answers ``ETag``/``Last-Modified`` and 304 to ``If-None-Match``/``If-Modified-Since``.
    """
    check_known(request.args, ("organisation",))
    org = request.args.get("organisation")
    org_id = None if org is None else int_param(request.args, "organisation", default=0,
                                                lo=1, hi=2**31 - 1)
    store = _store()
    if org_id is not None and organisation_status(store, org_id) != "approved":
        msg = f"organisation={org!r}: no approved peer organisation has this id"
        raise NotFoundError(msg)
    changed = store.changed_at("meetings", "peer_organisations")
    response = jsonify(feed_entries(feed_meetings(store, organisation_id=org_id)))
    response.add_etag()
    if changed is not None:
        response.last_modified = changed.replace(tzinfo=dt.UTC)
    response.cache_control.public = True
    response.cache_control.max_age = 300
    return response.make_conditional(request)


@bp.after_request
def _feed_cors(response: Response) -> Response:
    # Meeting finders fetch the feed from other sites; it is public data by design. Errors
    # too, so a finder page can read why it failed.
    if request.endpoint == "api.meeting_guide_feed":
        response.headers["Access-Control-Allow-Origin"] = "*"
        response.headers["Access-Control-Expose-Headers"] = "ETag, Last-Modified"
    return response


@bp.get("/meetings")
def meetings_geojson() -> ResponseReturnValue:
    """Meetings as GeoJSON, filtered and paged (see :func:`_listing`)."""
    return _listing("meetings", {"attendance": ATTENDANCE, "active": ("true", "false")})


@bp.get("/opportunities")
def opportunities_geojson() -> ResponseReturnValue:
    """Opportunities of approved associations as GeoJSON: open ones unless ``status`` says."""
    return _listing("opportunities", {"status": (*OPPORTUNITY_STATUSES, "any"),
                                      "category": None, "interest": SLUGS,
                                      "association_id": None}, defaults={"status": "open"})


@bp.get("/associations")
def associations_geojson() -> ResponseReturnValue:
    """Approved associations as GeoJSON (``status`` to see others), filtered and paged."""
    return _listing("associations", {"status": (*ORG_STATUSES, "any"), "category": None},
                    defaults={"status": "approved"})


def _filters(kind: str, filters: dict[str, tuple[str, ...] | None],
             defaults: dict[str, str]) -> dict[str, Any]:
    """The listing's column filters as ``query_records`` keyword arguments."""
    args = request.args
    query: dict[str, Any] = {"equals": {}, "contains": {}}
    for name, allowed in filters.items():
        value = (choice_param(args, name, choices=allowed, default=defaults.get(name))
                 if allowed is not None else args.get(name) or None)
        if value is None or value == "any":
            continue
        if name == "interest":
            query["contains"]["interests"] = value
        elif name == "active":
            query["equals"]["active"] = value == "true"
        elif name == "association_id":
            query["equals"][name] = int_param(args, name, default=0, lo=1, hi=2**31 - 1)
        elif name == "category" and kind == "opportunities":
            query["association_category"] = value
        else:
            query["equals"][name] = value
    return query


def _spatial_ids(kind: str) -> tuple[list[int] | None, dict[int, float]]:
    """Ids within ``lat``/``lon``/``radius_km`` and/or ``bbox`` (``None``: no spatial filter)."""
    args = request.args
    near = (float_param(args, "lat", lo=-90, hi=90), float_param(args, "lon", lo=-180, hi=180),
            float_param(args, "radius_km", lo=0, hi=100))
    if any(v is not None for v in near) and any(v is None for v in near):
        msg = "lat, lon and radius_km go together: give all three or none"
        raise ParamError(msg)
    box = bbox_param(args)
    store = _store()
    ids: list[int] | None = None
    distance: dict[int, float] = {}
    lat, lon, radius = near
    if lat is not None and lon is not None and radius is not None:
        found, km = store.spatial.within(kind, (lat, lon), radius)
        ids = found.tolist()
        distance = dict(zip(ids, km.tolist(), strict=True))
    if box is not None:
        in_box = set(store.spatial.in_bbox(kind, *box).tolist())
        ids = [i for i in ids if i in in_box] if ids is not None else sorted(in_box)
    return ids, distance


def _listing(kind: str, filters: dict[str, tuple[str, ...] | None], *,
             defaults: dict[str, str] | None = None) -> ResponseReturnValue:
    """A page of ``kind`` as a GeoJSON FeatureCollection with ``total`` and ``next``.

    Common parameters: ``lat``, ``lon``, ``radius_km`` (all three: within that distance),
    ``bbox=west,south,east,north``, ``limit`` (1-1000, default 100), ``offset``. Big answers
    come in pages: never thousands of features at once.
    """
    args = request.args
    check_known(args, (*filters, "lat", "lon", "radius_km", "bbox", "limit", "offset"))
    query = _filters(kind, filters, defaults or {})
    if kind == "opportunities":
        query["association_status"] = "approved"  # as peers see them: approved partners only
    limit = int_param(args, "limit", default=100, lo=1, hi=1000)
    offset = int_param(args, "offset", default=0, lo=0, hi=10**9)
    ids, distance = _spatial_ids(kind)
    total, records = query_records(_store(), kind, ids=ids, limit=limit, offset=offset, **query)
    for r in records:
        if r["id"] in distance:
            r["distance_km"] = round(distance[r["id"]], 3)
    body = to_geojson(records)
    more = offset + len(records) < total
    body.update(total=total, limit=limit, offset=offset,
                next=url_for(str(request.endpoint), **{**args.to_dict(), "offset": offset + limit})
                if more else None)
    return jsonify(body)
