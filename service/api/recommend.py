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
searches from is never kept. The OpenAPI document (``service.api.openapi``) describes these
paths.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from flask import Blueprint
from flask import jsonify
from flask import request

from service.context import get_context
from service.usecases import params
from service.usecases import reach
from service.usecases.search import RECOMMEND_PARAMS
from service.usecases.search import parse_search
from service.usecases.search import recommend

if TYPE_CHECKING:
    from flask.typing import ResponseReturnValue

bp = Blueprint("api_recommend", __name__, url_prefix="/api")


@bp.get("/recommendations")
def recommendations() -> ResponseReturnValue:
    """Opportunities for a peer, best first, each with its reasons."""
    params.check_known(request.args, RECOMMEND_PARAMS)
    found = recommend(get_context(), parse_search(request.args))
    response = jsonify(found.to_dict())
    response.headers["Cache-Control"] = "no-store"
    return response


@bp.get("/opportunities/<int:opportunity_id>/reach")
def opportunity_reach_view(opportunity_id: int) -> ResponseReturnValue:
    """The active meetings within reach of a listing and which of them it fits."""
    params.check_known(request.args, ("radius_km",))
    radius = reach.reach_radius(request.args.get("radius_km"))
    return jsonify(reach.reach_of_opportunity(get_context(), opportunity_id, radius_km=radius))


@bp.get("/associations/<int:association_id>/reach")
def association_reach_view(association_id: int) -> ResponseReturnValue:
    """The active meetings within reach of an association's listings."""
    params.check_known(request.args, ("radius_km",))
    radius = reach.reach_radius(request.args.get("radius_km"))
    return jsonify(reach.reach_of_association(get_context(), association_id, radius_km=radius))


@bp.get("/organisations/<int:organisation_id>/links-worth-making")
def links_worth_making_view(organisation_id: int) -> ResponseReturnValue:
    """Associations near an organisation's meetings with no mutual-interest link yet."""
    params.check_known(request.args, ("radius_km", "limit"))
    radius = reach.reach_radius(request.args.get("radius_km"))
    limit = reach.links_limit(request.args.get("limit"))
    return jsonify(reach.links(get_context(), organisation_id, radius_km=radius, limit=limit))


__all__ = ["bp"]
