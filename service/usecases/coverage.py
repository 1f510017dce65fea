"""Coverage, gaps, sites, what-if, demand and growth.

Who lives within reach of a meeting that serves them, where new groups would reach the most
people (and which places each reaches, and who is ready to devolve it), what a group at a
chosen point would add, which demand is in use, and how the hotspot trees grew.

The one wiring behind ``/api/coverage``, ``/api/coverage/what-if``, ``/api/sites/suggest``,
``/maps/coverage``, ``/maps/growth``, the dashboard, ``commonground coverage``,
``suggest-sites``, ``ingest demand``, ``export demand`` and ``map coverage|growth``: the store
hands out frames (:mod:`store.coverage`), the demand comes from :mod:`ingest.demand`;
:mod:`matching.coverage`, :mod:`matching.sites`, :mod:`matching.devolution` and
:mod:`matching.growth` compute in-process on both backends; :mod:`maps` draws. Answers are
computed once per data change and parameters (:mod:`service.usecases.coverage_cache`).
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import gzip
from typing import TYPE_CHECKING
from typing import Any

import pandas as pd

from ingest.demand import demand_in_use
from ingest.demand import loaded_fingerprint
from ingest.demand import read_demand_file
from ingest.demand import save_demand
from maps import build_coverage_map
from maps import build_growth_map
from matching.coverage import DEFAULT_RADIUS_KM
from matching.coverage import CoverageResult
from matching.coverage import compute_coverage
from matching.coverage import hexagons
from matching.coverage import serving_meetings
from matching.devolution import DEFAULT_MAX_KM
from matching.devolution import readiness
from matching.growth import growth_trees
from matching.sites import DEFAULT_COUNT
from matching.sites import METHODS
from matching.sites import SiteSuggestion
from matching.sites import suggest_sites
from service.usecases import params
from service.usecases import wiring
from service.usecases.coverage_cache import MISSING
from service.usecases.coverage_cache import NotCached
from service.usecases.coverage_cache import cache_for
from service.usecases.coverage_cache import step_aside
from service.usecases.errors import BadParameterError
from store.coverage import CoverageSnapshot
from store.coverage import coverage_snapshot
from store.coverage import meetings_frame
from store.coverage import organisations_frame
from store.coverage import serving_meetings_frame
from store.coverage import volunteers_frame
from store.reads import approved_organisation_ids

if TYPE_CHECKING:
    from collections.abc import Callable
    from collections.abc import Hashable
    from pathlib import Path

    from store import Store

DEFAULT_GAPS = 20
MAX_SITES = 50
HEX_BY = ("covered_share", "distance_km")
USER_DEMAND = "user-loaded demand points"


def coverage_radius(raw: Any) -> float:
    """The reach of a meeting, parsed (default :data:`DEFAULT_RADIUS_KM`)."""
    return params.radius(raw, default=DEFAULT_RADIUS_KM)


def site_count(raw: Any, *, default: int = DEFAULT_COUNT, lo: int = 1) -> int:
    """How many sites, ``lo`` (1; 0 on a map: none) to :data:`MAX_SITES`."""
    return params.count(raw, default=default, lo=lo, hi=MAX_SITES)


def on_date(raw: Any) -> dt.date:
    """The date asked (``on=YYYY-MM-DD``; default today)."""
    if isinstance(raw, dt.date):
        return raw
    return params.date(raw, name="on") or dt.date.today()


def site_method(raw: Any) -> str:
    """``auto`` (exact MCLP within its budget, else greedy), ``mclp`` or ``greedy``."""
    return str(params.choice(raw, "method", choices=METHODS, default="auto"))


def read_demand(path: Path, area: str) -> pd.DataFrame:
    """Demand points from a CSV file for one run (:func:`ingest.demand.read_demand_file`).

    Raises
    ------
    service.usecases.errors.BadParameterError
        When the file cannot be read or has bad rows (``param="demand"``).
    """
    try:
        return read_demand_file(path, area=wiring.service_area(area))
    except ValueError as exc:
        raise BadParameterError(str(exc), param="demand") from None


def coverage_result(
    store: Store, *, radius_km: float = DEFAULT_RADIUS_KM, area: str = "GB",
    demand: pd.DataFrame | None = None, on: Any = None, reroot: int | None = None,
    data_dir: str | None = None, fingerprint: Any = None,
) -> CoverageResult:
    """Coverage of the service area's people (or of ``demand``) by the meetings that serve.

    Computed once per data change and parameters unless ``demand`` is given; the result is
    shared, treat it as read-only.

    Parameters
    ----------
    store
        The store (SQLite or PostGIS: the computation is in-process either way).
    radius_km
        Reach of a meeting, km (parsed).
    area
        The service area (``COMMONGROUND_SERVICE_AREA``): named or a box.
    demand
        Demand points for this run (``name``, ``lat``, ``lon``, ``population``) instead of
        the demand in use.
    on
        The date licences are judged on (default today).
    reroot
        Make this organisation a root (a lead's dashboard counts their subtree as a tree).
    data_dir
        ``COMMONGROUND_DATA_DIR``: finer demand loaded there replaces the districts it
        covers (:func:`ingest.demand.demand_in_use`).
    fingerprint
        The store's coverage fingerprint if the caller has just read it (one read per
        request); default: read it now.

    Returns
    -------
    matching.coverage.CoverageResult
        The result.
    """
    day = on_date(on)
    if demand is not None:
        return _coverage(store, demand, radius=radius_km, source=USER_DEMAND, day=day,
                         reroot=reroot)
    cache = cache_for(store)
    if fingerprint is None:
        fingerprint = cache.fingerprint(store)
    key = ("coverage", store.url, fingerprint, loaded_fingerprint(data_dir), area,
           float(radius_km), day, reroot)

    def compute() -> CoverageResult:
        try:
            service_area = wiring.service_area(area)
        except ValueError as exc:
            raise BadParameterError(str(exc), param="service_area", value=area) from None
        used, source = demand_in_use(service_area, data_dir)
        result = _coverage(store, used, radius=radius_km, source=source, day=day,
                           reroot=reroot)
        # The data may have changed since the key's fingerprint was read: keep the answer
        # under the key of the data it was computed from, never under an older or newer one.
        read = result.data_fingerprint  # type: ignore[attr-defined]
        if read == fingerprint:
            result.cache_key = key  # type: ignore[attr-defined]
            return result
        result.cache_key = (*key[:2], read, *key[3:])  # type: ignore[attr-defined]
        return NotCached(result)

    result: CoverageResult = cache.get_or_compute(key, compute)
    actual = getattr(result, "cache_key", key)
    if actual != key:
        cache.get_or_compute(actual, lambda: result)
    return result


def _coverage_from(snapshot: CoverageSnapshot, demand: pd.DataFrame, *, radius: float,
                   source: str, day: dt.date, reroot: int | None) -> CoverageResult:
    orgs = snapshot.organisations
    if reroot is not None:
        orgs = orgs.copy()
        orgs.loc[orgs["id"] == reroot, "parent_id"] = pd.NA
    return compute_coverage(demand, snapshot.meetings, radius_km=radius, organisations=orgs,
                            regions=snapshot.regions, population_source=source, on=day)


def _coverage(store: Store, demand: pd.DataFrame, *, radius: float, source: str,
              day: dt.date, reroot: int | None) -> CoverageResult:
    """Coverage from one snapshot of the store; ``data_fingerprint`` is that snapshot's."""
    snapshot = coverage_snapshot(store, on=day)
    result = _coverage_from(snapshot, demand, radius=radius, source=source, day=day,
                            reroot=reroot)
    result.data_fingerprint = snapshot.fingerprint  # type: ignore[attr-defined]
    return result


def public_body(store: Store, body: dict[str, Any]) -> dict[str, Any]:
    """A coverage answer as the public may see it: hotspots not approved are not named."""
    approved = approved_organisation_ids(store)
    return {**body, "by_hotspot": [h for h in body.get("by_hotspot", [])
                                   if h.get("organisation_id") in approved]}


def what_if(result: CoverageResult, lat: float, lon: float) -> dict[str, Any]:
    """The people a new group at ``lat``/``lon`` would add, and the places they live in."""
    return result.what_if(lat, lon)


def devolvers(store: Store, on: dt.date) -> pd.DataFrame:
    """The readiness of every approved organisation on ``on`` (:mod:`matching.devolution`)."""
    with store.router.primary_reads():  # cached under a fingerprint read on the primary
        orgs = organisations_frame(store)
        return readiness(orgs, serving_meetings_frame(store, on=on), volunteers_frame(store),
                         on=on)


def site_suggestion(
    store: Store, result: CoverageResult, *, count: int = DEFAULT_COUNT,
    devolve_max_km: float = DEFAULT_MAX_KM, organisation_ids: Any = None,
    demand: pd.DataFrame | None = None, territory: Any = None, method: str = "auto",
    wait: bool = True,
) -> SiteSuggestion:
    """Sites for ``count`` new groups given ``result``, each with who is ready to devolve it.

    Cached with ``result`` when ``result`` came from the cache and ``demand`` is either not
    given or named by ``territory``.

    With ``wait=False`` (a page that must answer at once) an answer not yet cached is
    computed in the background (greedy's first, then the exact one); meanwhile the answer is
    greedy's when it is ready, else no sites, with ``computing=True`` and a note saying so.

    Parameters
    ----------
    organisation_ids
        Only these organisations may devolve (a lead's tree); ``None``: any approved one.
    demand
        The demand to cover (default ``result.demand``; the dashboard passes its territory).
    territory
        A hashable name of ``demand`` (the dashboard's scope) for the cache key.
    """
    ids = None if organisation_ids is None else tuple(sorted(int(i) for i in organisation_ids))

    base = getattr(result, "cache_key", None)
    day = result.on or dt.date.today()

    def compute(how: str = method, pause: Callable[[], None] | None = None) -> SiteSuggestion:
        if base is None:
            table = devolvers(store, day)
        else:  # once per data change: greedy now and the exact run later share it
            table = cache_for(store).get_or_compute(("devolvers", *base[1:3], day),
                                                    lambda: devolvers(store, day))
        if ids is not None:
            table = table.loc[table["id"].isin(list(ids))]
        return suggest_sites(result.demand if demand is None else demand,
                             radius_km=result.radius_km, count=count, devolvers=table,
                             devolve_max_km=devolve_max_km, method=how,  # type: ignore[arg-type]
                             pause=pause)

    if base is None or (demand is not None and territory is None):
        return compute()
    key = ("sites", base, count, float(devolve_max_km), ids, territory, method)
    cache = cache_for(store)
    if wait or method == "greedy":
        return cache.get_or_compute(key, compute)  # type: ignore[no-any-return]
    quick_key = (*key[:-1], "greedy")

    def greedy_then_exact() -> SiteSuggestion:
        pause = step_aside()  # background: requests in flight go first
        cache.get_or_compute(quick_key, lambda: compute("greedy"))  # shown while exact runs
        pause()
        return compute(pause=pause)

    found, ready = cache.get_or_start(key, greedy_then_exact)
    if ready:
        return found  # type: ignore[no-any-return]
    quick = cache.peek(quick_key)
    if quick is MISSING:
        return SiteSuggestion(radius_km=result.radius_km, computing=True,
                              note="working out the sites")
    return dataclasses.replace(quick, computing=True, note=(
        "greedy answer shown while the exact MCLP runs; reload in a few seconds for the "
        "exact answer"))


def sites_for_map(suggestion: SiteSuggestion) -> list[dict[str, Any]]:
    """Sites as the coverage map wants them (the JSON shape plus the devolver's position)."""
    rows = []
    for site in suggestion.sites:
        row = site.to_dict()
        if site.devolve_from is not None and site.devolve_from.organisation_id is not None:
            row["devolve_from"] |= {"lat": site.devolve_from.lat, "lon": site.devolve_from.lon}
        rows.append(row)
    return rows


def coverage_map(
    store: Store, *, radius_km: float = DEFAULT_RADIUS_KM, area: str = "GB", count: int = 5,
    hex_by: str = "covered_share", resolution: int = 5, what_if_url: str | None = None,
    on: Any = None, data_dir: str | None = None, devolve_max_km: float = DEFAULT_MAX_KM,
    suggestion: SiteSuggestion | None = None,
) -> Any:
    """The coverage map of the store; ``count=0`` draws no sites.

    The meetings drawn are those coverage counts (:func:`matching.coverage.serving_meetings`);
    with ``what_if_url`` a click on the map asks it what a group there would add. The sites
    are ``suggestion``'s when given (one still being worked out says so in its panel), else
    :func:`site_suggestion`'s, waited for.
    """
    result = coverage_result(store, radius_km=radius_km, area=area, on=on, data_dir=data_dir)
    if suggestion is None and count:
        suggestion = site_suggestion(store, result, count=count, devolve_max_km=devolve_max_km)
    sites = sites_for_map(suggestion) if count and suggestion is not None else []
    note = (suggestion.note if count and suggestion is not None and suggestion.computing
            else None)
    orgs = organisations_frame(store)
    names = orgs.set_index("id")["name"]
    meetings = serving_meetings(meetings_frame(store), orgs, volunteers_frame(store),
                                on=result.on or on_date(on))
    meetings["organisation"] = [None if pd.isna(o) else names.get(int(o))
                                for o in meetings["organisation_id"]]
    return build_coverage_map(
        meetings, radius_km=result.radius_km, hexagons=hexagons(result.demand,
                                                                resolution=resolution),
        gaps=result.gaps(None), sites=sites, hex_by=hex_by, what_if_url=what_if_url,
        sites_note=note,
    )


def coverage_page(
    store: Store, *, radius_km: float, area: str, count: int, hex_by: str, what_if_url: str,
    data_dir: str | None, devolve_max_km: float = DEFAULT_MAX_KM,
    render: Callable[[Any], str] | None = None, variant: Hashable = None,
) -> bytes:
    """The public coverage map page, gzipped, rendered once per data change and parameters.

    ``render`` turns the map into the document (default folium's own); ``variant`` is what
    else it depends on (the web face's tile setting), part of the cache key. The first page
    after a change does not wait for the exact site solver: it shows greedy's sites (or none
    yet) with a note to reload, while the solver runs in the background; that interim page is
    cached apart, and the final one replaces it as soon as the solver is done.
    """
    cache = cache_for(store)
    key = ("coverage-page", store.url, cache.fingerprint(store), loaded_fingerprint(data_dir),
           area, float(radius_km), count, hex_by, dt.date.today(), what_if_url,
           float(devolve_max_km), variant)

    def page() -> bytes:
        with store.router.primary_reads():  # kept under a fingerprint read on the primary
            return _page()

    def _page(suggestion: SiteSuggestion | None = None) -> bytes:
        m = coverage_map(store, radius_km=radius_km, area=area, count=count, hex_by=hex_by,
                         what_if_url=what_if_url, data_dir=data_dir,
                         devolve_max_km=devolve_max_km, suggestion=suggestion)
        html = str(m.get_root().render()) if render is None else render(m)
        return gzip.compress(html.encode("utf-8"), compresslevel=6)

    found = cache.peek(key)
    if found is not MISSING:
        return found  # type: ignore[no-any-return]
    if count:
        with store.router.primary_reads():
            result = coverage_result(store, radius_km=radius_km, area=area, data_dir=data_dir)
            suggestion = site_suggestion(store, result, count=count,
                                         devolve_max_km=devolve_max_km, wait=False)
        if suggestion.computing:
            interim = (*key, "interim", suggestion.note, len(suggestion.sites))
            return cache.get_or_compute(  # type: ignore[no-any-return]
                interim, lambda: _page(suggestion))
    return cache.get_or_compute(key, page)  # type: ignore[no-any-return]


def growth_map(store: Store) -> Any:
    """The growth map of the store: every hotspot's tree, year by year."""
    trees = growth_trees(organisations_frame(store), meetings_frame(store, attendance=None))
    return build_growth_map([t.to_dict() for t in trees])


def load_demand(path: Path, *, area: str, data_dir: str, name: str,
                dry_run: bool = False) -> dict[str, Any]:
    """``commonground ingest demand``: read a demand table and keep it for coverage."""
    frame = read_demand(path, area)
    saved = None if dry_run else save_demand(frame, data_dir, name=name)
    return {"demand": len(frame), "population": int(frame["population"].sum()),
            "file": path.name, "name": name, "saved_as": None if saved is None else str(saved)}


def demand_table(*, area: str, data_dir: str | None) -> tuple[pd.DataFrame, str]:
    """``commonground export demand``: the demand in use and its description."""
    frame, source = demand_in_use(wiring.service_area(area), data_dir)
    columns = [c for c in ("name", "place", "district", "lat", "lon", "population", "source")
               if c in frame.columns]
    return frame[columns], source


__all__ = [
    "DEFAULT_GAPS",
    "DEFAULT_RADIUS_KM",
    "HEX_BY",
    "coverage_map",
    "coverage_page",
    "coverage_radius",
    "coverage_result",
    "demand_table",
    "devolvers",
    "growth_map",
    "load_demand",
    "on_date",
    "public_body",
    "read_demand",
    "site_count",
    "site_method",
    "site_suggestion",
    "sites_for_map",
    "what_if",
]
