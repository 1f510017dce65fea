"""Coverage and site suggestion as JSON (``/api``). Thin: parse, call, shape.

* ``GET /api/coverage?radius_km=`` -> ``{"radius_km", "population", "covered_population",
  "covered_share", "by_region": [...], "by_hotspot": [...], "gaps": [{"name", "lat", "lon",
  "population", "distance_km"}]}``.
* ``GET /api/sites/suggest?radius_km=&count=`` -> ``{"sites": [{"name", "lat", "lon",
  "added_population", "devolve_from": {"organisation_id", "name", "distance_km"}}]}``.

Every parameter is parsed before any work: a bad one answers 400 at once with the one error
body ``{"error", "detail", "status"}``. The use cases are :mod:`service.usecases.coverage`.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from flask import Blueprint
from flask import jsonify
from flask import request

from service.context import get_context
from service.usecases import coverage as cases
from service.usecases import params

if TYPE_CHECKING:
    from flask.typing import ResponseReturnValue

bp = Blueprint("api_coverage", __name__, url_prefix="/api")


@bp.get("/coverage")
def coverage() -> ResponseReturnValue:
    """Covered population overall, per region and per hotspot tree, and the largest gaps."""
    params.check_known(request.args, ("radius_km",))
    radius = cases.coverage_radius(request.args.get("radius_km"))
    ctx = get_context()
    result = cases.coverage_result(ctx.store, radius_km=radius, area=ctx.service_area)
    return jsonify(result.to_dict(gaps=cases.DEFAULT_GAPS))


@bp.get("/sites/suggest")
def sites_suggest() -> ResponseReturnValue:
    """Where new groups would cover the most people, and who would devolve them."""
    params.check_known(request.args, ("radius_km", "count"))
    radius = cases.coverage_radius(request.args.get("radius_km"))
    count = cases.site_count(request.args.get("count"))
    ctx = get_context()
    result = cases.coverage_result(ctx.store, radius_km=radius, area=ctx.service_area)
    return jsonify(cases.site_suggestion(ctx.store, result, count=count).to_dict())


__all__ = ["bp"]
