"""The JSON API (``/api``). Thin: parse, ask the store, shape the answer."""

from __future__ import annotations

from typing import TYPE_CHECKING

from flask import Blueprint
from flask import current_app
from flask import jsonify
from ingest.export import to_geojson
from ingest.readers.meeting_guide import to_meeting_guide
from store.reads import export_records

if TYPE_CHECKING:
    from flask.typing import ResponseReturnValue

bp = Blueprint("api", __name__, url_prefix="/api")


def _store():  # type: ignore[no-untyped-def]
    from service import get_store  # noqa: PLC0415

    return get_store(current_app)


@bp.get("/meetings/feed.json")
def meeting_guide_feed() -> ResponseReturnValue:
    """Every meeting in the Meeting Guide JSON format, for existing meeting-finder apps."""
    response = jsonify(to_meeting_guide(export_records(_store(), "meetings")))
    # Meeting finders fetch feeds cross-origin; the feed is public by design.
    response.headers["Access-Control-Allow-Origin"] = "*"
    return response


@bp.get("/meetings")
def meetings_geojson() -> ResponseReturnValue:
    """Every meeting as a GeoJSON FeatureCollection."""
    return jsonify(to_geojson(export_records(_store(), "meetings")))
