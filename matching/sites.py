"""Where to start the next groups: a maximal covering location problem (MCLP) over towns.

Choose ``count`` sites among candidate towns so that the population they newly cover (within
``radius_km`` and not already covered by a meeting) is as large as possible. Each site comes
with the nearest approved organisation that could devolve it (an approved partner is the
hotspot of its area and may devolve; README), its distance, and the population the site adds
given the sites before it.

Two solvers:

- ``"mclp"``: the exact integer programme of PySAL ``spopt`` (:class:`spopt.locate.MCLP`, solved
  by CBC through PuLP). spopt builds a dense demand x candidate model in Python, so it serves
  problems of up to :data:`MAX_MCLP_PAIRS` pairs after the lossless reductions below (a few
  seconds at that size).
- ``"greedy"``: repeatedly take the candidate that newly covers the most people (sparse
  matrix-vector products, milliseconds at national scale). Greedy coverage is within
  ``1 - 1/e`` (63 %) of the optimum in the worst case, and usually much closer; the tests keep a
  small case where it is not optimal and spopt is.

``"auto"`` (the default) uses spopt when the reduced problem is small enough and greedy
otherwise; :attr:`SiteSuggestion.method` says which ran. Lossless reductions applied first:
only uncovered demand counts; demand points that no candidate reaches are dropped; demand
points reached by the same candidates are merged (weights added); candidates that reach no
uncovered demand are dropped, and of candidates reaching exactly the same demand only the
most populous is kept.

Sites are listed in greedy order (the one adding most first), so ``added_population`` of each
is what it adds given the sites before it, and the sum is the population the set covers.

Examples
--------
>>> import pandas as pd
>>> demand = pd.DataFrame({"name": ["A", "B", "C"], "lat": [0.0, 0.0, 0.0],
...                        "lon": [0.0, 0.05, 1.0], "population": [100, 200, 50],
...                        "covered": [False, False, False]})
>>> s = suggest_sites(demand, radius_km=10.0, count=1, min_candidate_population=0)
>>> [(site.name, site.added_population) for site in s.sites]
[('B', 300)]
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass
from dataclasses import field
from typing import TYPE_CHECKING
from typing import Any
from typing import Literal

import numpy as np
from scipy import sparse
from scipy.spatial import cKDTree

from geo.distance import chord_from_km
from geo.distance import haversine_km
from geo.distance import unit_vectors
from geo.index import PointIndex
from matching.coverage import CoverageInputError
from matching.coverage import check_radius

if TYPE_CHECKING:
    import pandas as pd

Method = Literal["auto", "mclp", "greedy"]
METHODS = ("auto", "mclp", "greedy")
MAX_MCLP_PAIRS = 500_000
"""``"auto"`` runs spopt when (demand points x candidates) after reduction is at most this."""
MAX_COUNT = 50
DEFAULT_COUNT = 5
DEFAULT_MIN_CANDIDATE_POPULATION = 2000
"""Towns smaller than this are not proposed as sites (they still count as demand)."""


@dataclass(frozen=True)
class Devolver:
    """The approved organisation nearest to a site, which could devolve a group there."""

    organisation_id: int
    name: str
    distance_km: float
    lat: float
    lon: float


@dataclass(frozen=True)
class Site:
    """A suggested site for a new group."""

    name: str
    lat: float
    lon: float
    added_population: int
    devolve_from: Devolver | None

    def to_dict(self) -> dict[str, Any]:
        """``{"name", "lat", "lon", "added_population", "devolve_from"}`` (JSON shape)."""
        dev = self.devolve_from
        return {
            "name": self.name, "lat": round(self.lat, 6), "lon": round(self.lon, 6),
            "added_population": self.added_population,
            "devolve_from": None if dev is None else {
                "organisation_id": dev.organisation_id, "name": dev.name,
                "distance_km": round(dev.distance_km, 3),
            },
        }


@dataclass
class SiteSuggestion:
    """The chosen sites and how they were chosen.

    Attributes
    ----------
    radius_km
        Reach of a meeting.
    sites
        In greedy order.
    method
        ``"mclp"`` (spopt, optimal) or ``"greedy"``.
    demand_points, candidates
        Size of the problem after the reductions.
    uncovered_population
        People not covered before the new sites.
    """

    radius_km: float
    sites: list[Site] = field(default_factory=list)
    method: str = "greedy"
    demand_points: int = 0
    candidates: int = 0
    uncovered_population: int = 0

    @property
    def added_population(self) -> int:
        """People the sites newly cover together."""
        return sum(s.added_population for s in self.sites)

    def to_dict(self) -> dict[str, Any]:
        """The JSON answer: ``{"sites": [...]}``."""
        return {"sites": [s.to_dict() for s in self.sites]}


def coverage_matrix(
    cand_lat: Any, cand_lon: Any, dem_lat: Any, dem_lon: Any, radius_km: float,
) -> sparse.csr_matrix:
    """Which candidate reaches which demand point: a sparse boolean ``(candidates, demand)``.

    Exact great-circle cut (haversine) after a k-d tree pre-filter on unit vectors.

    Examples
    --------
    >>> coverage_matrix([0.0], [0.0], [0.0, 0.0], [0.05, 0.2], 10.0).toarray().tolist()
    [[True, False]]
    """
    c_lat, c_lon = np.asarray(cand_lat, np.float64), np.asarray(cand_lon, np.float64)
    d_lat, d_lon = np.asarray(dem_lat, np.float64), np.asarray(dem_lon, np.float64)
    shape = (c_lat.size, d_lat.size)
    if not c_lat.size or not d_lat.size:
        return sparse.csr_matrix(np.zeros(shape, dtype=bool))  # one side is empty: no cells
    tree_c, tree_d = cKDTree(unit_vectors(c_lat, c_lon)), cKDTree(unit_vectors(d_lat, d_lon))
    pairs = tree_c.query_ball_tree(tree_d, chord_from_km(radius_km) + 1e-9)
    rows = np.repeat(np.arange(c_lat.size), [len(p) for p in pairs])
    cols = np.fromiter((j for p in pairs for j in p), dtype=np.int64, count=rows.size)
    keep = haversine_km(c_lat[rows], c_lon[rows], d_lat[cols], d_lon[cols]) <= radius_km
    data = np.ones(int(keep.sum()), dtype=bool)
    return sparse.csr_matrix((data, (rows[keep], cols[keep])), shape=shape)


def greedy_order(
    reach: sparse.csr_matrix, weights: Any, count: int, *, chosen: list[int] | None = None,
) -> tuple[list[int], list[float]]:
    """Greedy maximal coverage: candidates in the order of the most weight newly covered.

    Parameters
    ----------
    reach
        ``(candidates, demand)`` boolean matrix.
    weights
        Weight (population) of each demand point.
    count
        How many candidates to pick (fewer when nothing more can be covered).
    chosen
        Restrict the picks to these candidates (to order an MCLP solution).

    Returns
    -------
    tuple of list
        Candidate rows and the weight each newly covers, in pick order. Ties go to the
        lower row (callers list candidates most populous first).

    Examples
    --------
    >>> from scipy import sparse
    >>> reach = sparse.csr_matrix([[1, 1, 0], [0, 1, 1], [0, 0, 1]], dtype=bool)
    >>> greedy_order(reach, [5, 1, 4], 2)
    ([0, 1], [6.0, 4.0])
    """
    w = np.asarray(weights, dtype=np.float64).copy()
    mat = reach.astype(np.float64).tocsr()
    allowed = np.zeros(mat.shape[0], dtype=bool)
    allowed[chosen if chosen is not None else slice(None)] = True
    picks: list[int] = []
    gains: list[float] = []
    for _ in range(min(count, int(allowed.sum()))):
        gain = np.where(allowed, mat @ w, -1.0)
        best = int(np.argmax(gain))
        if gain[best] <= 0:
            break
        picks.append(best)
        gains.append(float(gain[best]))
        allowed[best] = False
        w[mat[best].indices] = 0.0
    return picks, gains


def mclp_solve(
    reach: sparse.csr_matrix, weights: Any, count: int, *, time_limit_s: float = 60.0,
) -> list[int]:
    """The optimal ``count`` candidates by PySAL spopt's MCLP (CBC through PuLP).

    Parameters
    ----------
    reach
        ``(candidates, demand)`` boolean matrix.
    weights
        Weight of each demand point.
    count
        Number of sites.
    time_limit_s
        CBC's time limit; past it the best solution found is returned.

    Returns
    -------
    list of int
        The chosen candidate rows, ascending.
    """
    import pulp  # noqa: PLC0415 - the solver is only needed for exact runs
    from spopt.locate import MCLP  # noqa: PLC0415 - heavy, only exact runs need it

    n_cand, n_dem = reach.shape
    if n_cand == 0 or n_dem == 0 or count <= 0:
        return []
    count = min(count, n_cand)
    # spopt wants a demand x facility cost matrix and covers what is within the radius.
    cost = np.where(reach.T.toarray(), 0.0, 2.0)
    with warnings.catch_warnings():
        # spopt 0.7 builds its model with PuLP calls that PuLP 3.3 deprecates for 4.0.
        warnings.simplefilter("ignore", DeprecationWarning)
        model = MCLP.from_cost_matrix(cost, np.asarray(weights, np.float64),
                                      service_radius=1.0, p_facilities=count)
        model.solve(pulp.PULP_CBC_CMD(msg=False, timeLimit=time_limit_s), results=False)
    return [j for j, var in enumerate(model.fac_vars) if (var.value() or 0.0) > 0.5]  # noqa: PLR2004


def _reduce(
    reach: sparse.csr_matrix, weights: np.ndarray,
) -> tuple[sparse.csr_matrix, np.ndarray, np.ndarray]:
    """Lossless reductions (see the module docstring); returns (reach, weights, cand rows)."""
    csc = reach.tocsc()
    reached = np.diff(csc.indptr) > 0
    csc = csc[:, reached]
    w = weights[reached]
    # Merge demand columns reached by exactly the same candidates.
    groups: dict[bytes, int] = {}
    column_group = np.empty(csc.shape[1], dtype=np.int64)
    for j in range(csc.shape[1]):
        key = csc.indices[csc.indptr[j]:csc.indptr[j + 1]].tobytes()
        column_group[j] = groups.setdefault(key, len(groups))
    merge = sparse.csr_matrix((np.ones(csc.shape[1]), (np.arange(csc.shape[1]), column_group)),
                              shape=(csc.shape[1], len(groups)))
    merged = (csc @ merge).astype(bool).tocsr()
    merged_w = np.asarray(merge.T @ w).ravel()
    # Keep one candidate (the first: most populous) of each distinct reach.
    seen: set[bytes] = set()
    keep_rows = []
    for i in range(merged.shape[0]):
        reached_by_i = merged.indices[merged.indptr[i]:merged.indptr[i + 1]]
        if reached_by_i.size == 0:
            continue
        kb = np.sort(reached_by_i).tobytes()
        if kb not in seen:
            seen.add(kb)
            keep_rows.append(i)
    rows = np.asarray(keep_rows, dtype=np.int64)
    return merged[rows], merged_w, rows


def suggest_sites(
    demand: pd.DataFrame, *, radius_km: float, count: int = DEFAULT_COUNT,
    devolvers: pd.DataFrame | None = None, candidates: pd.DataFrame | None = None,
    min_candidate_population: int = DEFAULT_MIN_CANDIDATE_POPULATION,
    method: Method = "auto", max_mclp_pairs: int = MAX_MCLP_PAIRS,
) -> SiteSuggestion:
    """Choose ``count`` sites that newly cover the most people.

    Parameters
    ----------
    demand
        ``name``, ``lat``, ``lon``, ``population``, ``covered`` (the demand of a
        :class:`~matching.coverage.CoverageResult`).
    radius_km
        A new group covers the demand within this distance.
    count
        How many sites (1-50).
    devolvers
        Organisations that may devolve a new group (``id``, ``name``, ``lat``, ``lon``; the
        approved ones). ``None``: sites come without ``devolve_from``.
    candidates
        Candidate sites (``name``, ``lat``, ``lon``, ``population``); by default the demand
        points with at least ``min_candidate_population`` people.
    min_candidate_population
        Smallest town proposed as a site (default candidates only).
    method
        ``"auto"``, ``"mclp"`` or ``"greedy"``.
    max_mclp_pairs
        Largest reduced problem ``"auto"`` gives to spopt.

    Returns
    -------
    SiteSuggestion
        The sites in greedy order, the method used and the problem size.

    Raises
    ------
    CoverageInputError
        For a bad parameter, naming it and what is allowed.
    """
    radius_km = check_radius(radius_km)
    if isinstance(count, bool) or not isinstance(count, (int, np.integer)) or \
            not 1 <= count <= MAX_COUNT:
        msg = f"count must be a whole number of sites from 1 to {MAX_COUNT}, got {count!r}"
        raise CoverageInputError(msg)
    if method not in METHODS:
        msg = f"method must be one of {', '.join(map(repr, METHODS))}, got {method!r}"
        raise CoverageInputError(msg)
    missing = [c for c in ("name", "lat", "lon", "population", "covered")
               if c not in demand.columns]
    if missing:
        msg = f"demand lacks the columns {missing!r} (pass CoverageResult.demand)"
        raise CoverageInputError(msg)
    if candidates is None:
        candidates = demand.loc[demand["population"] >= min_candidate_population]
    cands = candidates.sort_values(["population", "name"], ascending=[False, True],
                                   kind="stable").reset_index(drop=True)
    open_demand = demand.loc[~demand["covered"].astype(bool)].reset_index(drop=True)
    weights = open_demand["population"].to_numpy(np.float64)
    reach = coverage_matrix(cands["lat"], cands["lon"], open_demand["lat"], open_demand["lon"],
                            radius_km)
    reduced, reduced_w, cand_rows = _reduce(reach, weights)
    result = SiteSuggestion(radius_km=radius_km, demand_points=int(reduced.shape[1]),
                            candidates=int(reduced.shape[0]),
                            uncovered_population=int(weights.sum()))
    use_mclp = method == "mclp" or (
        method == "auto" and reduced.shape[0] * reduced.shape[1] <= max_mclp_pairs)
    if use_mclp:
        chosen = mclp_solve(reduced, reduced_w, count)
        picks, gains = greedy_order(reduced, reduced_w, count, chosen=chosen)
        result.method = "mclp"
    else:
        picks, gains = greedy_order(reduced, reduced_w, count)
        result.method = "greedy"
    rows = cand_rows[np.asarray(picks, dtype=np.int64)] if picks else np.empty(0, np.int64)
    chosen_sites = cands.iloc[rows]
    devolve = _devolvers(chosen_sites, devolvers)
    result.sites = [
        Site(name=str(r.name), lat=float(r.lat), lon=float(r.lon),
             added_population=round(gain), devolve_from=dev)
        for r, gain, dev in zip(chosen_sites.itertuples(index=False), gains, devolve,
                                strict=True)
    ]
    return result


def _devolvers(sites: pd.DataFrame, devolvers: pd.DataFrame | None) -> list[Devolver | None]:
    if devolvers is None or devolvers.empty or sites.empty:
        return [None] * len(sites)
    orgs = devolvers.dropna(subset=["lat", "lon"]).reset_index(drop=True)
    if orgs.empty:
        return [None] * len(sites)
    index = PointIndex(orgs["id"].astype(np.int64), orgs["lat"], orgs["lon"])
    by_id = orgs.set_index(orgs["id"].astype(np.int64))
    out: list[Devolver | None] = []
    for r in sites.itertuples(index=False):
        ids, dist = index.nearest((float(r.lat), float(r.lon)), 1)  # ties: lowest id
        oid = int(ids[0])
        out.append(Devolver(organisation_id=oid, name=str(by_id.at[oid, "name"]),
                            distance_km=float(dist[0]), lat=float(by_id.at[oid, "lat"]),
                            lon=float(by_id.at[oid, "lon"])))
    return out


def covered_by(
    reach: sparse.csr_matrix, weights: Any, rows: list[int],
) -> float:
    """Total weight covered by the candidate ``rows`` together (for checks and tests).

    Examples
    --------
    >>> from scipy import sparse
    >>> covered_by(sparse.csr_matrix([[1, 1], [0, 1]], dtype=bool), [2, 3], [0, 1])
    5.0
    """
    w = np.asarray(weights, dtype=np.float64)
    if not rows:
        return 0.0
    hit = np.asarray(reach[rows].sum(axis=0)).ravel() > 0
    return float(w[hit].sum())


__all__ = [
    "DEFAULT_COUNT",
    "MAX_MCLP_PAIRS",
    "METHODS",
    "Devolver",
    "Site",
    "SiteSuggestion",
    "coverage_matrix",
    "covered_by",
    "greedy_order",
    "mclp_solve",
    "suggest_sites",
]
