"""Recommendations and the reverse questions as JSON (``/api``). Thin: parse, call, shape.

* ``GET /api/recommendations?lat=&lon=|postcode=|place=|meeting_id=&interests=&text=
  &radius_km=&limit=`` (also ``days``, ``times``, ``per_association``, ``association_id``,
  ``organisation_id``) -> ``{"origin", "query", "results"}``, best first.
* ``GET /api/opportunities/<id>/reach?radius_km=`` and ``GET /api/associations/<id>/reach``
  -> the active meetings within reach and which of them the listing fits.
* ``GET /api/organisations/<id>/links-worth-making?radius_km=&limit=`` -> nearby
  associations without a mutual-interest link yet.

Errors use the one JSON body of the API, ``{"error", "detail", "status"}``: 400 for a bad or
out-of-range parameter (named in ``detail``), 404 for an unknown postcode, place, meeting or
record. Peer answers are ``Cache-Control: no-store``, nothing here logs, and the development
server's access log drops query strings (``service.cli.PrivateRequestHandler``): where a peer
searches from is never kept. The OpenAPI document (``service.openapi``) describes these paths.
"""

from __future__ import annotations

import threading
from typing import TYPE_CHECKING
from typing import Any

from flask import Blueprint
from flask import current_app
from flask import jsonify
from flask import request

from geo.errors import GeoError
from matching.errors import BadParameterError
from matching.errors import MatchingError
from matching.query import check_id
from matching.recommend import Recommender
from matching.reverse import association_reach
from matching.reverse import links_worth_making
from matching.reverse import opportunity_reach
from service.origin import origin_dict
from service.origin import peer_query
from service.origin import resolve_origin
from service.params import unknown_parameters
from service.views import error_body
from store.candidates import StoreCandidates

if TYPE_CHECKING:
    from flask import Flask
    from flask.typing import ResponseReturnValue

bp = Blueprint("api_recommend", __name__, url_prefix="/api")
_lock = threading.Lock()

RECOMMEND_PARAMS = ("lat", "lon", "postcode", "place", "meeting_id", "interests", "text",
                    "radius_km", "limit", "per_association", "association_id",
                    "organisation_id", "days", "times")
"""Query parameters of ``GET /api/recommendations``; any other is a 400."""


def get_recommender(app: Flask) -> Recommender:
    """The app's recommender (one per process; its catalogue follows the data version)."""
    from service import get_store  # noqa: PLC0415 - avoids an import cycle with create_app

    with _lock:
        rec = app.extensions.get("commonground.recommender")
        if rec is None:
            rec = Recommender(StoreCandidates(get_store(app)))
            app.extensions["commonground.recommender"] = rec
    return rec  # type: ignore[no-any-return]


def _json_error(exc: MatchingError | GeoError) -> ResponseReturnValue:
    status = int(getattr(exc, "status", 400))
    return jsonify(error_body(status, str(getattr(exc, "code", "bad_request")), str(exc))), status


bp.register_error_handler(MatchingError, _json_error)
bp.register_error_handler(GeoError, _json_error)


def _only(allowed: tuple[str, ...]) -> None:
    msg = unknown_parameters(request.args, allowed)
    if msg:
        unknown = sorted(set(request.args) - set(allowed))
        raise BadParameterError(msg, param=unknown[0])


@bp.get("/recommendations")
def recommendations() -> ResponseReturnValue:
    """Opportunities for a peer, best first, each with its reasons."""
    from service import get_store  # noqa: PLC0415

    _only(RECOMMEND_PARAMS)
    args = request.args
    app = current_app._get_current_object()  # type: ignore[attr-defined]
    origin = resolve_origin(app, get_store(app), lat=args.get("lat"), lon=args.get("lon"),
                            postcode=args.get("postcode"), place=args.get("place"),
                            meeting_id=args.get("meeting_id"))
    query = peer_query(
        origin, interests=args.get("interests"), text=args.get("text"),
        radius_km=args.get("radius_km"), limit=args.get("limit"),
        per_association=args.get("per_association"), association_id=args.get("association_id"),
        organisation_id=args.get("organisation_id"), days=args.get("days"),
        times=args.get("times"),
    )
    answer = get_recommender(app).recommend(query)
    body: dict[str, Any] = {
        "origin": origin_dict(query.origin),
        "query": {"interests": list(query.interests), "text": query.text,
                  "interests_used": list(answer.interests_used), "radius_km": query.radius_km,
                  "limit": query.limit, "per_association": query.per_association,
                  "association_id": query.association_id, "days": sorted(query.days),
                  "times": [list(w) for w in query.times]},
        "results": [r.to_dict() for r in answer.results],
    }
    response = jsonify(body)
    response.headers["Cache-Control"] = "no-store"
    return response


@bp.get("/opportunities/<int:opportunity_id>/reach")
def opportunity_reach_view(opportunity_id: int) -> ResponseReturnValue:
    """The active meetings within reach of a listing and which of them it fits."""
    _only(("radius_km",))
    radius = request.args.get("radius_km", 15.0)
    return jsonify(opportunity_reach(get_recommender(current_app),  # type: ignore[arg-type]
                                     check_id(opportunity_id, name="opportunity_id"),
                                     radius_km=radius))


@bp.get("/associations/<int:association_id>/reach")
def association_reach_view(association_id: int) -> ResponseReturnValue:
    """The active meetings within reach of an association's listings."""
    _only(("radius_km",))
    radius = request.args.get("radius_km", 15.0)
    return jsonify(association_reach(get_recommender(current_app),  # type: ignore[arg-type]
                                     check_id(association_id, name="association_id"),
                                     radius_km=radius))


@bp.get("/organisations/<int:organisation_id>/links-worth-making")
def links_worth_making_view(organisation_id: int) -> ResponseReturnValue:
    """Associations near an organisation's meetings with no mutual-interest link yet."""
    _only(("radius_km", "limit"))
    return jsonify(links_worth_making(
        get_recommender(current_app),  # type: ignore[arg-type]
        check_id(organisation_id, name="organisation_id"),
        radius_km=request.args.get("radius_km", 15.0),  # type: ignore[arg-type]
        limit=request.args.get("limit", 10),  # type: ignore[arg-type]
    ))


__all__ = ["RECOMMEND_PARAMS", "bp", "get_recommender"]
