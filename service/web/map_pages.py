"""Full-page folium maps (``/maps/...``).

* ``/maps/coverage?radius_km=&count=&hex=`` meetings and their catchment, hexagons coloured
  by covered share (``hex=distance_km``: by distance), uncovered places, suggested sites with
  their lists, and the what-if (click the map). Rendered once per data change and
  parameters, served gzipped.
* ``/maps/growth`` the devolution trees, year by year.
* ``/maps/opportunities?lat=&lon=|postcode=|place=|meeting_id=&interests=&text=&radius_km=
  &limit=`` a search drawn: origin, radius, results by category, meetings.

Thin: parse, call a use case (:mod:`service.usecases.coverage`,
:mod:`service.usecases.search`), render (:func:`service.web.assets.map_document`: Leaflet
from this site, scripts with the response's nonce, tiles of ``MAP_TILES``).
"""

from __future__ import annotations

import functools
import gzip
from typing import TYPE_CHECKING
from typing import Any

from flask import Blueprint
from flask import Response
from flask import current_app
from flask import request
from flask import url_for

from service.context import get_context
from service.usecases import coverage as cases
from service.usecases import params
from service.usecases.search import DEFAULT_MAP_LIMIT
from service.usecases.search import parse_search
from service.usecases.search import search_on_map
from service.web.assets import NONCE_SLOT
from service.web.assets import map_document
from service.web.assets import with_nonce

if TYPE_CHECKING:
    from flask.typing import ResponseReturnValue

bp = Blueprint("maps_views", __name__, url_prefix="/maps")


def _page(m: Any) -> Response:
    return Response(map_document(m), mimetype="text/html")


@bp.get("/coverage")
def coverage_page() -> ResponseReturnValue:
    """The coverage map as a full page."""
    args = request.args
    hex_by = params.choice(args.get("hex"), "hex", choices=cases.HEX_BY,
                           default="covered_share")
    radius = cases.coverage_radius(args.get("radius_km"))
    count = cases.site_count(args.get("count"), default=5, lo=0)
    ctx = get_context()
    what_if = url_for("api_coverage.what_if", radius_km=f"{radius:g}")
    body = cases.coverage_page(ctx.store, radius_km=radius, area=ctx.service_area, count=count,
                               hex_by=str(hex_by), what_if_url=what_if,
                               data_dir=ctx.settings.get("DATA_DIR"),
                               devolve_max_km=float(ctx.settings.get("DEVOLVE_MAX_KM", 40.0)),
                               render=functools.partial(map_document, nonce=NONCE_SLOT),
                               variant=current_app.config.get("MAP_TILES"))
    # Rendered once (gzipped), served with this response's nonce; compressed on the way out.
    return Response(with_nonce(gzip.decompress(body).decode("utf-8")), mimetype="text/html")


@bp.get("/growth")
def growth_page() -> ResponseReturnValue:
    """The growth map as a full page."""
    return _page(cases.growth_map(get_context().store))


@bp.get("/opportunities")
def opportunities_page() -> ResponseReturnValue:
    """A search drawn on a full-page map (nothing about the search is stored)."""
    request_ = parse_search(request.args, limit_default=DEFAULT_MAP_LIMIT)
    response = _page(search_on_map(get_context(), request_).map)
    response.headers["Cache-Control"] = "no-store"
    return response


__all__ = ["bp"]
