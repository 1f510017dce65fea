"""Coverage and site suggestion as JSON (``/api``), and the wiring the CLI and maps share.

* ``GET /api/coverage?radius_km=`` -> ``{"radius_km", "population", "covered_population",
  "covered_share", "by_region": [...], "by_hotspot": [...], "gaps": [{"name", "lat", "lon",
  "population", "distance_km"}]}``.
* ``GET /api/sites/suggest?radius_km=&count=`` -> ``{"sites": [{"name", "lat", "lon",
  "added_population", "devolve_from": {"organisation_id", "name", "distance_km"}}]}``.

Bad parameters answer 400 with the one error body ``{"error", "detail", "status"}``.
Thin: the store hands out frames (:mod:`store.coverage`), :mod:`matching.coverage` and
:mod:`matching.sites` compute in-process on both backends.
"""

from __future__ import annotations

from typing import TYPE_CHECKING
from typing import Any

from flask import Blueprint
from flask import current_app
from flask import jsonify
from flask import request

from matching.coverage import DEFAULT_RADIUS_KM
from matching.coverage import CoverageInputError
from matching.coverage import CoverageResult
from matching.coverage import compute_coverage
from matching.coverage import town_demand
from matching.sites import DEFAULT_COUNT
from matching.sites import SiteSuggestion
from matching.sites import suggest_sites
from service import wiring
from service.params import unknown_parameters
from service.views import error_body
from store.coverage import meetings_frame
from store.coverage import organisations_frame
from store.coverage import regions_frame

if TYPE_CHECKING:
    import pandas as pd
    from flask.typing import ResponseReturnValue

    from store import Store

bp = Blueprint("api_coverage", __name__, url_prefix="/api")
DEFAULT_GAPS = 20


# -- wiring shared by the API, the CLI and the map pages ------------------------------------


def coverage_result(
    store: Store, *, radius_km: Any = DEFAULT_RADIUS_KM, area: str = "GB",
    demand: pd.DataFrame | None = None,
) -> CoverageResult:
    """Coverage of the service area's towns (or of ``demand``) by the active meetings.

    Parameters
    ----------
    store
        The store (SQLite or PostGIS: the computation is in-process either way).
    radius_km
        Reach of a meeting, km.
    area
        The service area (``COMMONGROUND_SERVICE_AREA``): named or a box.
    demand
        User-loaded demand points (``name``, ``lat``, ``lon``, ``population``) instead of
        the gazetteer's towns.

    Returns
    -------
    matching.coverage.CoverageResult
        The result.
    """
    if demand is None:
        try:
            service_area = wiring.service_area(area)
        except ValueError as exc:
            raise CoverageInputError(str(exc)) from None
        demand = town_demand(service_area)
    return compute_coverage(
        demand, meetings_frame(store), radius_km=radius_km,
        organisations=organisations_frame(store), regions=regions_frame(store),
    )


def approved_organisations(store: Store) -> pd.DataFrame:
    """The organisations that may devolve a new group: the approved partners."""
    orgs = organisations_frame(store)
    return orgs.loc[orgs["status"] == "approved"]


def site_suggestion(
    store: Store, result: CoverageResult, *, count: Any = DEFAULT_COUNT,
) -> SiteSuggestion:
    """Sites for ``count`` new groups given ``result``, each with the organisation to devolve it.

    Raises
    ------
    matching.coverage.CoverageInputError
        For a bad ``count``.
    """
    return suggest_sites(result.demand, radius_km=result.radius_km, count=_count(count),
                         devolvers=approved_organisations(store))


def sites_for_map(suggestion: SiteSuggestion) -> list[dict[str, Any]]:
    """Sites as the coverage map wants them (the JSON shape plus the devolver's position)."""
    rows = []
    for site in suggestion.sites:
        row = site.to_dict()
        if site.devolve_from is not None and row["devolve_from"] is not None:
            row["devolve_from"] |= {"lat": site.devolve_from.lat, "lon": site.devolve_from.lon}
        rows.append(row)
    return rows


def _count(value: Any) -> int:
    try:
        if isinstance(value, bool) or float(value) != int(float(value)):
            raise ValueError
        return int(float(value))
    except (TypeError, ValueError):
        msg = f"count must be a whole number of sites, such as 5, got {value!r}"
        raise CoverageInputError(msg) from None


def _store() -> Store:
    from service import get_store  # noqa: PLC0415 - avoids an import cycle with create_app

    return get_store(current_app)


def _only(allowed: tuple[str, ...]) -> None:
    msg = unknown_parameters(request.args, allowed)
    if msg:
        raise CoverageInputError(msg)


def _bad_input(exc: CoverageInputError) -> ResponseReturnValue:
    return jsonify(error_body(exc.status, exc.code, str(exc))), exc.status


bp.register_error_handler(CoverageInputError, _bad_input)


@bp.get("/coverage")
def coverage() -> ResponseReturnValue:
    """Covered population overall, per region and per hotspot tree, and the largest gaps."""
    _only(("radius_km",))
    result = coverage_result(_store(), radius_km=request.args.get("radius_km",
                                                                   DEFAULT_RADIUS_KM),
                             area=current_app.config["SERVICE_AREA"])
    return jsonify(result.to_dict(gaps=DEFAULT_GAPS))


@bp.get("/sites/suggest")
def sites_suggest() -> ResponseReturnValue:
    """Where new groups would cover the most people, and who would devolve them."""
    _only(("radius_km", "count"))
    store = _store()
    result = coverage_result(store, radius_km=request.args.get("radius_km", DEFAULT_RADIUS_KM),
                             area=current_app.config["SERVICE_AREA"])
    return jsonify(site_suggestion(store, result,
                                   count=request.args.get("count", DEFAULT_COUNT)).to_dict())


__all__ = [
    "approved_organisations",
    "bp",
    "coverage_result",
    "site_suggestion",
    "sites_for_map",
]
