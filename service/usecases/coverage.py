"""Coverage, gaps, sites and growth.

Who lives within reach of a meeting, where new groups would reach the most people, and how
the hotspot trees grew.

The one wiring behind ``/api/coverage``, ``/api/sites/suggest``, ``/maps/coverage``,
``/maps/growth``, ``commonground coverage``, ``suggest-sites`` and ``map coverage|growth``:
the store hands out frames (:mod:`store.coverage`); :mod:`matching.coverage`,
:mod:`matching.sites` and :mod:`matching.growth` compute in-process on both backends;
:mod:`maps` draws.
"""

from __future__ import annotations

from typing import TYPE_CHECKING
from typing import Any

import pandas as pd

from maps import build_coverage_map
from maps import build_growth_map
from matching.coverage import DEFAULT_RADIUS_KM
from matching.coverage import CoverageResult
from matching.coverage import compute_coverage
from matching.coverage import demand_from_frame
from matching.coverage import hexagons
from matching.coverage import town_demand
from matching.growth import growth_trees
from matching.sites import DEFAULT_COUNT
from matching.sites import SiteSuggestion
from matching.sites import suggest_sites
from service.usecases import params
from service.usecases import wiring
from service.usecases.errors import BadParameterError
from store.coverage import meetings_frame
from store.coverage import organisations_frame
from store.coverage import regions_frame

if TYPE_CHECKING:
    from pathlib import Path

    from store import Store

DEFAULT_GAPS = 20
MAX_SITES = 50
HEX_BY = ("covered_share", "distance_km")


def coverage_radius(raw: Any) -> float:
    """The reach of a meeting, parsed (default :data:`DEFAULT_RADIUS_KM`)."""
    return params.radius(raw, default=DEFAULT_RADIUS_KM)


def site_count(raw: Any, *, default: int = DEFAULT_COUNT, lo: int = 1) -> int:
    """How many sites, ``lo`` (1; 0 on a map: none) to :data:`MAX_SITES`."""
    return params.count(raw, default=default, lo=lo, hi=MAX_SITES)


def read_demand(path: Path, area: str) -> pd.DataFrame:
    """User-loaded demand points from a CSV file (lat/lon or BNG x/y, population, name).

    Raises
    ------
    service.usecases.errors.BadParameterError
        When the file cannot be read or has no usable rows (``param="demand"``).
    """
    try:
        frame = pd.read_csv(path)
    except (OSError, ValueError) as exc:
        msg = f"cannot read {path.name} as CSV: {exc}"
        raise BadParameterError(msg, param="demand") from None
    try:
        return demand_from_frame(frame, area=wiring.service_area(area))
    except ValueError as exc:
        raise BadParameterError(str(exc), param="demand") from None


def coverage_result(
    store: Store, *, radius_km: float = DEFAULT_RADIUS_KM, area: str = "GB",
    demand: pd.DataFrame | None = None,
) -> CoverageResult:
    """Coverage of the service area's towns (or of ``demand``) by the active meetings.

    Parameters
    ----------
    store
        The store (SQLite or PostGIS: the computation is in-process either way).
    radius_km
        Reach of a meeting, km (parsed).
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
            raise BadParameterError(str(exc), param="service_area", value=area) from None
        demand = town_demand(service_area)
    return compute_coverage(
        demand, meetings_frame(store), radius_km=radius_km,
        organisations=organisations_frame(store), regions=regions_frame(store),
    )


def approved_organisations(store: Store) -> pd.DataFrame:
    """The organisations that may devolve a new group: the approved partners."""
    orgs = organisations_frame(store)
    return orgs.loc[orgs["status"] == "approved"]


def site_suggestion(store: Store, result: CoverageResult, *, count: int = DEFAULT_COUNT
                    ) -> SiteSuggestion:
    """Sites for ``count`` new groups given ``result``, each with the organisation to devolve it."""
    return suggest_sites(result.demand, radius_km=result.radius_km, count=count,
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


def coverage_map(
    store: Store, *, radius_km: float = DEFAULT_RADIUS_KM, area: str = "GB", count: int = 5,
    hex_by: str = "covered_share", resolution: int = 5,
) -> Any:
    """The coverage map of the store; ``count=0`` draws no sites."""
    result = coverage_result(store, radius_km=radius_km, area=area)
    sites = sites_for_map(site_suggestion(store, result, count=count)) if count else []
    orgs = organisations_frame(store).set_index("id")["name"]
    meetings = meetings_frame(store)
    meetings["organisation"] = [None if pd.isna(o) else orgs.get(int(o))
                                for o in meetings["organisation_id"]]
    return build_coverage_map(
        meetings, radius_km=result.radius_km, hexagons=hexagons(result.demand,
                                                                resolution=resolution),
        gaps=result.gaps(None), sites=sites, hex_by=hex_by,
    )


def growth_map(store: Store) -> Any:
    """The growth map of the store: every hotspot's tree, year by year."""
    trees = growth_trees(organisations_frame(store), meetings_frame(store, attendance=None))
    return build_growth_map([t.to_dict() for t in trees])


__all__ = [
    "DEFAULT_GAPS",
    "DEFAULT_RADIUS_KM",
    "HEX_BY",
    "approved_organisations",
    "coverage_map",
    "coverage_radius",
    "coverage_result",
    "growth_map",
    "read_demand",
    "site_count",
    "site_suggestion",
    "sites_for_map",
]
