"""Coverage: how many people live within reach of an active in-person meeting, and who does not.

Pure: frames and arrays in, results out; no SQL, no Flask (ARCHITECTURE.md, "Coverage").

Demand points
-------------
A demand table has ``name``, ``lat``, ``lon`` and ``population`` per point, and optionally
``place`` (the town its people live in, for site lists and the what-if) and ``district``. The
service hands in the shipped postcode-district model or finer user-loaded points
(:mod:`ingest.demand`); this module only computes on them.

Coverage
--------
The meetings that serve people (:func:`serving_meetings`): active, held in a room
(``in_person`` or ``hybrid``; online meetings have no distance), of an approved organisation
that has at least one volunteer whose licence is valid on the date asked. The distance from
each demand point to the nearest of them is a great-circle distance computed with the k-d tree of
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

import functools
import json
import math
from dataclasses import dataclass
from dataclasses import field
from typing import TYPE_CHECKING
from typing import Any

import numpy as np
import pandas as pd
import shapely

from geo.distance import chord_from_km
from geo.distance import haversine_km
from geo.distance import unit_vectors
from geo.index import PointIndex
from matching.serving import IN_PERSON
from matching.serving import licensed_organisations
from matching.serving import serving_meetings

if TYPE_CHECKING:
    import datetime as dt

DEFAULT_RADIUS_KM = 10.0
"""A meeting reaches the people within this many km (great circle)."""
DEFAULT_TERRITORY_KM = 30.0
"""A demand point belongs to its nearest organisation's region and tree up to this far."""
DEMAND_COLUMNS = ("name", "lat", "lon", "population")
OPTIONAL_DEMAND_COLUMNS = ("place", "district")
"""Carried through when the demand has them (``place`` names the town of a point's people)."""
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
    raw = pd.to_numeric(pd.Series(organisations["parent_id"], dtype=object),
                        errors="coerce").to_numpy(np.float64, na_value=np.nan)
    parent: dict[int, int | None] = {}
    for i, p in zip(ids, raw.tolist(), strict=True):
        parent[i] = None if math.isnan(p) or int(p) not in known else int(p)
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
    population_source: str | None = None
    on: dt.date | None = None
    meetings: int = 0
    _tree: Any = field(default=None, repr=False)
    _gaps: Any = field(default=None, repr=False)

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
        out = self._gaps
        if out is None:  # sorted once per result (results are shared and read-only)
            out = self.demand.loc[~self.demand["covered"]]
            out = out.sort_values(["population", "name"], ascending=[False, True],
                                  kind="stable")
            cols = ["name", *(["place"] if "place" in out.columns else []), "lat", "lon",
                    "population", "distance_km"]
            out = self._gaps = out[cols].reset_index(drop=True)
        return out.copy() if limit is None else out.head(limit).copy()

    def what_if(self, lat: float, lon: float, *, places: int = 10) -> dict[str, Any]:
        """The people a new group at ``(lat, lon)`` would add, and the places they live in.

        Parameters
        ----------
        lat, lon
            WGS84 degrees of the new group.
        places
            How many places to list (largest first).

        Returns
        -------
        dict
            ``{"lat", "lon", "radius_km", "added_population", "places": [{"name",
            "population"}]}``; the places are the ``place`` of the newly covered demand points
            (their ``name`` when the demand has no ``place``).
        """
        lat, lon = float(lat), float(lon)
        if not (math.isfinite(lat) and math.isfinite(lon)
                and abs(lat) <= 90.0 and abs(lon) <= 180.0):  # noqa: PLR2004
            msg = f"lat and lon must be WGS84 degrees, got {lat!r}, {lon!r}"
            raise CoverageInputError(msg)
        d = self.demand
        if self._tree is None:
            from scipy.spatial import cKDTree  # noqa: PLC0415 - built on first what-if

            self._tree = cKDTree(unit_vectors(d["lat"].to_numpy(), d["lon"].to_numpy()))
        near = np.asarray(self._tree.query_ball_point(
            unit_vectors(np.array([lat]), np.array([lon]))[0],
            chord_from_km(self.radius_km) + 1e-9), dtype=np.int64)
        if near.size:
            dist = haversine_km(lat, lon, d["lat"].to_numpy()[near], d["lon"].to_numpy()[near])
            near = near[(dist <= self.radius_km) & ~d["covered"].to_numpy(bool)[near]]
        label = d["place"] if "place" in d.columns else d["name"]
        rows = pd.DataFrame({"name": label.to_numpy()[near],
                             "population": d["population"].to_numpy()[near]})
        by_place = rows.groupby("name")["population"].sum().sort_values(ascending=False,
                                                                         kind="stable")
        return {
            "lat": round(lat, 6), "lon": round(lon, 6), "radius_km": self.radius_km,
            "added_population": int(rows["population"].sum()),
            "places": [{"name": str(k), "population": int(v)}
                       for k, v in by_place.head(places).items()],
        }

    def to_dict(self, *, gaps: int = 20) -> dict[str, Any]:
        """The JSON answer of ``commonground coverage --json`` and ``GET /api/coverage``.

        ``{"radius_km", "on", "meetings", "population", "population_source",
        "covered_population", "covered_share", "by_region", "by_hotspot", "gaps": [{"name",
        "place", "lat", "lon", "population", "distance_km"}]}``;
        a distance with no meeting at all is ``null``.
        """
        gap_rows = [
            {"name": str(r.name), "place": str(getattr(r, "place", r.name)),
             "lat": round(float(r.lat), 6), "lon": round(float(r.lon), 6),
             "population": int(r.population),
             "distance_km": (round(float(r.distance_km), 3) if math.isfinite(r.distance_km)
                             else None)}
            for r in self.gaps(gaps).itertuples(index=False)
        ]
        return {
            "radius_km": self.radius_km,
            "on": None if self.on is None else self.on.isoformat(),
            "meetings": self.meetings,
            "population": self.population,
            "population_source": self.population_source,
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
    territory_km: float, roots: dict[int, int],
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
    population_source: str | None = None, on: dt.date | None = None,
) -> CoverageResult:
    """Distance to the nearest meeting for every demand point, and covered shares.

    Parameters
    ----------
    demand
        ``name``, ``lat``, ``lon``, ``population`` (:func:`ingest.demand.demand_in_use`,
        :func:`ingest.demand.demand_from_frame`).
    meetings
        The meetings that serve people: ``id``, ``lat``, ``lon`` and, for the per-tree meeting
        counts, ``organisation_id``. Filter them first (:func:`serving_meetings`).
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
    population_source, on
        Reported as they are: where the demand comes from, and the date the meetings were
        chosen for (:func:`serving_meetings`).

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

    extra = [c for c in OPTIONAL_DEMAND_COLUMNS if c in demand.columns]
    out = demand[[*DEMAND_COLUMNS, *extra]].reset_index(drop=True).copy()
    out["population"] = out["population"].astype(np.int64)
    located = meetings.dropna(subset=["lat", "lon"])
    index = PointIndex(located["id"], located["lat"], located["lon"])
    dist, meeting_id = index.nearest_many(out["lat"], out["lon"], workers=workers)
    out["distance_km"] = dist
    out["meeting_id"] = meeting_id
    out["covered"] = dist <= radius_km
    roots = root_of(orgs) if len(orgs) else {}
    region, hotspot = _assign(out, orgs, regions, territory_km, roots)
    out["region_id"] = pd.arrays.IntegerArray(region.astype(np.int64), region < 0)
    out["hotspot_id"] = pd.arrays.IntegerArray(hotspot.astype(np.int64), hotspot < 0)

    result = CoverageResult(radius_km=radius_km, demand=out,
                            population_source=population_source, on=on, meetings=len(located))
    pop = out["population"].to_numpy(np.int64)
    covered = out["covered"].to_numpy(bool)
    result.by_region = _summaries_by_region(_sums(region, pop, covered), orgs, regions,
                                            located)
    result.by_hotspot = _summaries_by_hotspot(_sums(hotspot, pop, covered), orgs, regions,
                                              located, roots)
    return result


def _sums(keys: np.ndarray, pop: np.ndarray,
          covered: np.ndarray) -> tuple[dict[int, int], dict[int, int]]:
    """People and covered people per key (keys < 0: none), exact integer sums."""
    has = keys >= 0
    found, which = np.unique(keys[has], return_inverse=True)
    total = np.zeros(found.size, dtype=np.int64)
    within = np.zeros(found.size, dtype=np.int64)
    np.add.at(total, which, pop[has])
    np.add.at(within, which, np.where(covered[has], pop[has], 0))
    keys_list = found.tolist()
    return (dict(zip(keys_list, total.tolist(), strict=True)),
            {k: v for k, v in zip(keys_list, within.tolist(), strict=True) if v})


def _meetings_per_organisation(meetings: pd.DataFrame) -> dict[int, int]:
    if "organisation_id" not in meetings.columns:
        return {}
    counts = meetings["organisation_id"].dropna().astype(np.int64).value_counts()
    return {int(k): int(v) for k, v in counts.items()}


def _region_of(orgs: pd.DataFrame) -> dict[int, int | None]:
    """Each organisation's region id (``None``: no region)."""
    raw = pd.to_numeric(pd.Series(orgs["region_id"], dtype=object),
                        errors="coerce").to_numpy(np.float64, na_value=np.nan)
    return {int(i): (None if math.isnan(r) else int(r))
            for i, r in zip(orgs["id"].tolist(), raw.tolist(), strict=True)}


def _summaries_by_region(
    sums: tuple[dict[int, int], dict[int, int]], orgs: pd.DataFrame, regions: pd.DataFrame,
    meetings: pd.DataFrame,
) -> list[dict[str, Any]]:
    total, covered = sums
    org_region = _region_of(orgs)
    n_orgs: dict[int, int] = {}
    for rid in org_region.values():
        if rid is not None:
            n_orgs[rid] = n_orgs.get(rid, 0) + 1
    n_meet: dict[int, int] = {}
    for oid, n in _meetings_per_organisation(meetings).items():
        rid = org_region.get(oid)
        if rid is not None:
            n_meet[rid] = n_meet.get(rid, 0) + n
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
    sums: tuple[dict[int, int], dict[int, int]], orgs: pd.DataFrame, regions: pd.DataFrame,
    meetings: pd.DataFrame, roots: dict[int, int],
) -> list[dict[str, Any]]:
    if orgs.empty:
        return []
    total, covered = sums
    region_name = {int(i): str(n) for i, n in zip(regions["id"], regions["name"], strict=True)}
    names = {int(i): str(n) for i, n in zip(orgs["id"].tolist(), orgs["name"], strict=True)}
    org_region = _region_of(orgs)
    members: dict[int, int] = {}
    for root in roots.values():
        members[root] = members.get(root, 0) + 1
    n_meet: dict[int, int] = {}
    for oid, n in _meetings_per_organisation(meetings).items():
        meeting_root = roots.get(oid)
        if meeting_root is not None:
            n_meet[meeting_root] = n_meet.get(meeting_root, 0) + n
    rows = []
    for root in sorted(members, key=lambda r: (names[r], r)):
        rid = org_region[root]
        pop, cov = total.get(root, 0), covered.get(root, 0)
        rows.append({
            "organisation_id": int(root), "name": names[root],
            "region": None if rid is None else region_name.get(rid),
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
    if not isinstance(resolution, int) or not 0 <= resolution <= 15:  # noqa: PLR2004
        msg = f"resolution must be an H3 resolution, an integer 0-15, got {resolution!r}"
        raise CoverageInputError(msg)
    lat = demand["lat"].to_numpy(np.float64)
    lon = demand["lon"].to_numpy(np.float64)
    cells = _cells(lat.tobytes(), lon.tobytes(), resolution)
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


@functools.lru_cache(maxsize=16)
def _cells(lat: bytes, lon: bytes, resolution: int) -> tuple[str, ...]:
    """The H3 cell of each point (float64 bytes): the demand is mostly the same, so kept."""
    import h3  # noqa: PLC0415 - only maps need hexagons

    return tuple(h3.latlng_to_cell(float(a), float(b), resolution)
                 for a, b in zip(np.frombuffer(lat), np.frombuffer(lon), strict=True))


__all__ = [
    "DEFAULT_RADIUS_KM",
    "DEFAULT_TERRITORY_KM",
    "IN_PERSON",
    "CoverageInputError",
    "CoverageResult",
    "check_radius",
    "compute_coverage",
    "hexagons",
    "licensed_organisations",
    "root_of",
    "serving_meetings",
]
