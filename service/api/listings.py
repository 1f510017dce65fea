"""Listings as JSON (``/api``): meetings, opportunities, associations, the meeting feed.

Thin: parse, call :mod:`service.usecases.listings`, shape the answer. Big answers come in
pages (``limit``, ``offset``, ``next``): never thousands of features at once.
"""

from __future__ import annotations

import datetime as dt
from typing import TYPE_CHECKING

from flask import Blueprint
from flask import jsonify
from flask import request
from flask import url_for

from service.context import get_store
from service.usecases import listings

if TYPE_CHECKING:
    from flask import Response
    from flask.typing import ResponseReturnValue

bp = Blueprint("api", __name__, url_prefix="/api")


@bp.get("/meetings/feed.json")
def meeting_guide_feed() -> ResponseReturnValue:
    """Public meetings in the Meeting Guide JSON format, for meeting finders (TSML UI ...).

    ``organisation=ID`` for one organisation's. Answers ``ETag``/``Last-Modified`` and 304 to
    ``If-None-Match``/``If-Modified-Since``.
    """
    feed = listings.meeting_guide_feed(get_store(), request.args)
    response = jsonify(feed.entries)
    response.add_etag()
    if feed.changed_at is not None:
        response.last_modified = feed.changed_at.replace(tzinfo=dt.UTC)
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
    return _listing("meetings")


@bp.get("/opportunities")
def opportunities_geojson() -> ResponseReturnValue:
    """Opportunities of approved associations as GeoJSON: open ones unless ``status`` says."""
    return _listing("opportunities")


@bp.get("/associations")
def associations_geojson() -> ResponseReturnValue:
    """Approved associations as GeoJSON (``status`` to see others), filtered and paged."""
    return _listing("associations")


def _listing(kind: str) -> ResponseReturnValue:
    """A page of ``kind`` as a GeoJSON FeatureCollection with ``total`` and ``next``."""
    args = request.args
    parsed = listings.parse_listing(kind, args)
    body = listings.listing(get_store(), parsed)
    more = parsed.offset + len(body["features"]) < body["total"]
    body["next"] = (url_for(str(request.endpoint),
                            **{**args.to_dict(), "offset": parsed.offset + parsed.limit})
                    if more else None)
    return jsonify(body)


__all__ = ["bp"]
