"""Coverage, what-if and site suggestion as JSON (``/api``). Thin: parse, call, shape.

* ``GET /api/coverage?radius_km=&on=`` -> ``{"radius_km", "on", "meetings", "population",
  "population_source", "covered_population", "covered_share", "by_region": [...],
  "by_hotspot": [...], "gaps": [{"name", "place", "lat", "lon", "population",
  "distance_km"}]}``.
* ``GET /api/coverage/what-if?lat=&lon=&radius_km=&on=`` -> ``{"lat", "lon", "radius_km",
  "added_population", "places": [{"name", "population"}]}``.
* ``GET /api/sites/suggest?radius_km=&count=&on=`` -> ``{"radius_km", "method",
  "added_population", "uncovered_population", "greedy_population", "optimal_population",
  "gap", "note", "sites": [{"name", "at", "lat", "lon", "added_population", "places",
  "devolve_from": {"organisation_id", "name", "distance_km", "readiness", "reasons"}}]}``.

Every parameter is parsed before any work: a bad one answers 400 at once with the one error
body ``{"error", "detail", "status"}``. The use cases are :mod:`service.usecases.coverage`;
their answers are cached per data change and parameters.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from flask import Blueprint
from flask import jsonify
from flask import request

from service.context import get_context
from service.usecases import coverage as cases
from service.usecases import params
from service.usecases.errors import BadParameterError

if TYPE_CHECKING:
    from flask.typing import ResponseReturnValue

bp = Blueprint("api_coverage", __name__, url_prefix="/api")


def _result(radius: float) -> object:
    ctx = get_context()
    return cases.coverage_result(ctx.store, radius_km=radius, area=ctx.service_area,
                                 on=cases.on_date(request.args.get("on")),
                                 data_dir=ctx.settings.get("DATA_DIR"))


@bp.get("/coverage")
def coverage() -> ResponseReturnValue:
    """Covered population overall, per region and per hotspot tree, and the largest gaps."""
    params.check_known(request.args, ("radius_km", "on"))
    radius = cases.coverage_radius(request.args.get("radius_km"))
    cases.on_date(request.args.get("on"))
    return jsonify(_result(radius).to_dict(gaps=cases.DEFAULT_GAPS))  # type: ignore[attr-defined]


@bp.get("/coverage/what-if")
def what_if() -> ResponseReturnValue:
    """The people a new group at ``lat``/``lon`` would add, and the places they live in."""
    params.check_known(request.args, ("lat", "lon", "radius_km", "on"))
    lat = params.latitude(request.args.get("lat"))
    lon = params.longitude(request.args.get("lon"))
    if lat is None or lon is None:
        msg = "lat and lon are required: the WGS84 degrees of the new group, such as 53.48, -2.24"
        raise BadParameterError(msg, param="lat" if lat is None else "lon")
    radius = cases.coverage_radius(request.args.get("radius_km"))
    cases.on_date(request.args.get("on"))
    return jsonify(cases.what_if(_result(radius), lat, lon))  # type: ignore[arg-type]


@bp.get("/sites/suggest")
def sites_suggest() -> ResponseReturnValue:
    """Where new groups would cover the most people, and who is ready to devolve them."""
    params.check_known(request.args, ("radius_km", "count", "on"))
    radius = cases.coverage_radius(request.args.get("radius_km"))
    count = cases.site_count(request.args.get("count"))
    cases.on_date(request.args.get("on"))
    ctx = get_context()
    suggestion = cases.site_suggestion(
        ctx.store, _result(radius), count=count,  # type: ignore[arg-type]
        devolve_max_km=float(ctx.settings.get("DEVOLVE_MAX_KM", 40.0)))
    return jsonify(suggestion.to_dict())


__all__ = ["bp"]
