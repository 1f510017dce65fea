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

import datetime as dt
import math
from typing import TYPE_CHECKING
from typing import Any

import pandas as pd
from flask import Blueprint
from flask import current_app
from flask import jsonify
from flask import request

from ingest.demand import demand_in_use
from ingest.demand import loaded_fingerprint
from matching.coverage import DEFAULT_RADIUS_KM
from matching.coverage import CoverageInputError
from matching.coverage import CoverageResult
from matching.coverage import check_radius
from matching.coverage import compute_coverage
from matching.coverage import serving_meetings
from matching.devolution import DEFAULT_MAX_KM
from matching.devolution import readiness
from matching.sites import DEFAULT_COUNT
from matching.sites import SiteSuggestion
from matching.sites import suggest_sites
from service import wiring
from service.coverage_cache import CACHE
from service.params import unknown_parameters
from service.views import error_body
from store.coverage import meetings_frame
from store.coverage import organisations_frame
from store.coverage import regions_frame
from store.coverage import serving_meetings_frame
from store.coverage import volunteers_frame

if TYPE_CHECKING:
    from flask.typing import ResponseReturnValue

    from store import Store

bp = Blueprint("api_coverage", __name__, url_prefix="/api")
DEFAULT_GAPS = 20


# -- wiring shared by the API, the CLI and the map pages ------------------------------------


def on_date(value: Any) -> dt.date:
    """The date asked (``on=YYYY-MM-DD``; ``None``: today), or a 400 that says the format."""
    if value is None or value == "":
        return dt.date.today()
    if isinstance(value, dt.date):
        return value
    try:
        return dt.date.fromisoformat(str(value).strip())
    except ValueError:
        msg = f"on must be a date written YYYY-MM-DD, such as 2026-03-01, got {value!r}"
        raise CoverageInputError(msg) from None


def coverage_result(
    store: Store, *, radius_km: Any = DEFAULT_RADIUS_KM, area: str = "GB",
    demand: pd.DataFrame | None = None, on: Any = None, reroot: int | None = None,
    data_dir: str | None = None,
) -> CoverageResult:
    """Coverage of the service area's people (or of ``demand``) by the meetings that serve.

    Computed once per data change and parameters (:mod:`service.coverage_cache`) unless
    ``demand`` is given. The result is shared: treat it as read-only.

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
        the shipped postcode-district model.
    on
        The date licences are judged on (default today).
    reroot
        Make this organisation a root (a lead's dashboard counts their subtree as a tree).
    data_dir
        ``COMMONGROUND_DATA_DIR``: finer demand loaded there replaces the districts it
        covers (:func:`ingest.demand.demand_in_use`).

    Returns
    -------
    matching.coverage.CoverageResult
        The result.
    """
    radius = check_radius(radius_km)
    day = on_date(on)
    if demand is not None:
        return _coverage(store, demand, radius=radius, source="user-loaded demand points",
                         day=day, reroot=reroot)
    key = ("coverage", store.url, CACHE.fingerprint(store), loaded_fingerprint(data_dir), area,
           radius, day, reroot)

    def compute() -> CoverageResult:
        try:
            service_area = wiring.service_area(area)
        except ValueError as exc:
            raise CoverageInputError(str(exc)) from None
        used, source = demand_in_use(service_area, data_dir)
        result = _coverage(store, used, radius=radius, source=source, day=day, reroot=reroot)
        result.cache_key = key  # type: ignore[attr-defined]
        return result

    return CACHE.get_or_compute(key, compute)  # type: ignore[no-any-return]


def _organisations(store: Store, reroot: int | None) -> pd.DataFrame:
    orgs = organisations_frame(store)
    if reroot is not None:
        orgs.loc[orgs["id"] == reroot, "parent_id"] = pd.NA
    return orgs


def _coverage(store: Store, demand: pd.DataFrame, *, radius: float, source: str,
              day: dt.date, reroot: int | None) -> CoverageResult:
    orgs = _organisations(store, reroot)
    meetings = serving_meetings_frame(store, on=day)
    return compute_coverage(demand, meetings, radius_km=radius, organisations=orgs,
                            regions=regions_frame(store), population_source=source, on=day)


def devolvers(store: Store, on: dt.date) -> pd.DataFrame:
    """The readiness of every approved organisation on ``on``."""
    orgs = organisations_frame(store)
    vols = volunteers_frame(store)
    meetings = serving_meetings(meetings_frame(store), orgs, vols, on=on)
    return readiness(orgs, meetings, vols, on=on)


def site_suggestion(
    store: Store, result: CoverageResult, *, count: Any = DEFAULT_COUNT,
    devolve_max_km: float = DEFAULT_MAX_KM, organisation_ids: Any = None,
    demand: pd.DataFrame | None = None, territory: Any = None, method: Any = "auto",
) -> SiteSuggestion:
    """Sites for ``count`` new groups given ``result``, each with the organisation to devolve it.

    Cached with ``result`` when ``result`` came from the cache and ``demand`` is either not
    given or named by ``territory``.

    Parameters
    ----------
    organisation_ids
        Only these organisations may devolve (a lead's tree); ``None``: any approved one.
    demand
        The demand to cover (default ``result.demand``; the dashboard passes its territory).
    territory
        A hashable name of ``demand`` (the dashboard's scope) for the cache key.

    Raises
    ------
    matching.coverage.CoverageInputError
        For a bad ``count``.
    """
    n = _count(count)
    ids = None if organisation_ids is None else tuple(sorted(int(i) for i in organisation_ids))

    def compute() -> SiteSuggestion:
        table = devolvers(store, result.on or dt.date.today())
        if ids is not None:
            table = table.loc[table["id"].isin(list(ids))]
        return suggest_sites(result.demand if demand is None else demand,
                             radius_km=result.radius_km, count=n, devolvers=table,
                             devolve_max_km=devolve_max_km, method=method)

    base = getattr(result, "cache_key", None)
    if base is None or (demand is not None and territory is None):
        return compute()
    key = ("sites", base, n, float(devolve_max_km), ids, territory, method)
    return CACHE.get_or_compute(key, compute)  # type: ignore[no-any-return]


def sites_for_map(suggestion: SiteSuggestion) -> list[dict[str, Any]]:
    """Sites as the coverage map wants them (the JSON shape plus the devolver's position)."""
    rows = []
    for site in suggestion.sites:
        row = site.to_dict()
        if site.devolve_from is not None and site.devolve_from.organisation_id is not None:
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
    _only(("radius_km", "on"))
    result = coverage_result(_store(), radius_km=request.args.get("radius_km",
                                                                   DEFAULT_RADIUS_KM),
                             area=current_app.config["SERVICE_AREA"],
                             on=request.args.get("on"),
                             data_dir=current_app.config["DATA_DIR"])
    return jsonify(result.to_dict(gaps=DEFAULT_GAPS))


@bp.get("/coverage/what-if")
def what_if() -> ResponseReturnValue:
    """The people a new group at ``lat``/``lon`` would add, and the places they live in."""
    _only(("lat", "lon", "radius_km", "on"))
    lat, lon = _degrees("lat", 90.0), _degrees("lon", 180.0)
    result = coverage_result(_store(), radius_km=request.args.get("radius_km",
                                                                   DEFAULT_RADIUS_KM),
                             area=current_app.config["SERVICE_AREA"],
                             on=request.args.get("on"),
                             data_dir=current_app.config["DATA_DIR"])
    return jsonify(result.what_if(lat, lon))


def _degrees(name: str, limit: float) -> float:
    raw = request.args.get(name)
    try:
        value = float(raw) if raw is not None else math.nan
    except ValueError:
        value = math.nan
    if not (math.isfinite(value) and abs(value) <= limit):
        msg = (f"{name} must be WGS84 degrees between -{limit:g} and {limit:g}, got {raw!r}"
               if raw is not None else f"{name} is required (WGS84 degrees)")
        raise CoverageInputError(msg)
    return value


@bp.get("/sites/suggest")
def sites_suggest() -> ResponseReturnValue:
    """Where new groups would cover the most people, and who would devolve them."""
    _only(("radius_km", "count", "on"))
    store = _store()
    result = coverage_result(store, radius_km=request.args.get("radius_km", DEFAULT_RADIUS_KM),
                             area=current_app.config["SERVICE_AREA"],
                             on=request.args.get("on"),
                             data_dir=current_app.config["DATA_DIR"])
    return jsonify(site_suggestion(
        store, result, count=request.args.get("count", DEFAULT_COUNT),
        devolve_max_km=current_app.config.get("DEVOLVE_MAX_KM", DEFAULT_MAX_KM)).to_dict())


__all__ = [
    "bp",
    "coverage_result",
    "devolvers",
    "on_date",
    "site_suggestion",
    "sites_for_map",
]
