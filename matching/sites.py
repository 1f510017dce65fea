"""Where to start the next groups: a maximal covering location problem (MCLP).

Choose ``count`` sites among candidate points so that the people they newly cover (within
``radius_km`` and not already covered by a meeting that serves people) are as many as
possible. Candidates are real points: by default the demand points themselves (postcode
district centres, or the finer points loaded), or a venue list the lead supplies.

Solvers
-------
Greedy always runs (repeatedly take the candidate that newly covers the most people: sparse
matrix-vector products, milliseconds at national scale; within ``1 - 1/e`` of the optimum in
the worst case). Then the exact MCLP runs as a sparse integer programme (only the pairs within
the radius; CBC through PuLP, started from greedy's answer) with a time budget
(:data:`DEFAULT_TIME_BUDGET_S`): when it
proves its answer optimal within the budget, that answer is used and the gap between greedy and
optimal is reported; otherwise greedy's answer stands and the report says MCLP ran out of time.

Lossless reductions first: only uncovered demand counts; demand points that no candidate
reaches are dropped; demand points reached by the same candidates are merged (weights added);
of candidates reaching exactly the same demand only the first (most populous) is kept.

Each site
---------
Sites are listed in greedy order (the one adding most first). Each lists the places it newly
covers given the sites before it (the ``place`` of the demand points, largest first, with
people), is named after the largest of them, and stands on its candidate point (``at``). The
organisation to devolve it comes from :mod:`matching.devolution`.

Examples
--------
>>> import pandas as pd
>>> demand = pd.DataFrame({"name": ["A", "B", "C"], "lat": [0.0, 0.0, 0.0],
...                        "lon": [0.0, 0.05, 1.0], "population": [100, 200, 50],
...                        "covered": [False, False, False]})
>>> result = suggest_sites(demand, radius_km=10.0, count=1)
>>> [(site.name, site.added_population) for site in result.sites]
[('B', 300)]
>>> result.method, result.gap
('mclp', 0.0)
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from dataclasses import field
from typing import TYPE_CHECKING
from typing import Any
from typing import Literal

import numpy as np
import pandas as pd
from scipy import sparse
from scipy.spatial import cKDTree

from geo.distance import chord_from_km
from geo.distance import haversine_km
from geo.distance import unit_vectors
from matching.coverage import CoverageInputError
from matching.coverage import check_radius
from matching.devolution import DEFAULT_MAX_KM
from matching.devolution import Devolver
from matching.devolution import choose_devolver

if TYPE_CHECKING:
    from collections.abc import Callable

Method = Literal["auto", "mclp", "greedy"]
METHODS = ("auto", "mclp", "greedy")
MAX_COUNT = 50
DEFAULT_COUNT = 5
DEFAULT_TIME_BUDGET_S = 10.0
"""Seconds the exact MCLP may take before greedy's answer stands."""
PAUSE_EVERY = 256
"""Constraints of the exact model built between two calls of its ``pause``."""
SITE_PLACES = 8
"""Places listed per site (largest first)."""


@dataclass(frozen=True)
class Site:
    """A suggested site for a new group."""

    name: str
    at: str
    lat: float
    lon: float
    added_population: int
    places: list[tuple[str, int]]
    devolve_from: Devolver | None

    def to_dict(self) -> dict[str, Any]:
        """The JSON shape of a site.

        ``{"name", "at", "lat", "lon", "added_population", "places": [{"name",
        "population"}], "devolve_from": {...}}``.
        """
        return {
            "name": self.name, "at": self.at, "lat": round(self.lat, 6),
            "lon": round(self.lon, 6), "added_population": self.added_population,
            "places": [{"name": n, "population": p} for n, p in self.places],
            "devolve_from": None if self.devolve_from is None else self.devolve_from.to_dict(),
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
        ``"mclp"`` (proved optimal) or ``"greedy"``.
    greedy_population, optimal_population
        People the greedy set and the optimal set newly cover (``optimal_population`` is
        ``None`` when MCLP did not run or did not finish).
    mclp_seconds
        Time the exact solver took (``None``: not run).
    demand_points, candidates
        Size of the problem after the reductions.
    uncovered_population
        People not covered before the new sites.
    """

    radius_km: float
    sites: list[Site] = field(default_factory=list)
    method: str = "greedy"
    greedy_population: int = 0
    optimal_population: int | None = None
    mclp_seconds: float | None = None
    demand_points: int = 0
    candidates: int = 0
    uncovered_population: int = 0
    note: str = ""
    computing: bool = False
    """Whether a better (exact) answer is still being computed for the same question."""

    @property
    def added_population(self) -> int:
        """People the sites newly cover together."""
        return sum(s.added_population for s in self.sites)

    @property
    def gap(self) -> float | None:
        """``(optimal - greedy) / optimal`` when both ran (0.0: greedy was optimal)."""
        if self.optimal_population is None:
            return None
        if self.optimal_population <= 0:
            return 0.0
        return (self.optimal_population - self.greedy_population) / self.optimal_population

    def to_dict(self) -> dict[str, Any]:
        """The JSON answer of ``suggest-sites --json`` and ``/api/sites/suggest``.

        ``{"radius_km", "method", "greedy_population", "optimal_population", "gap", "note",
        "added_population", "uncovered_population", "sites": [...]}``.
        """
        return {
            "radius_km": self.radius_km, "method": self.method,
            "added_population": self.added_population,
            "uncovered_population": self.uncovered_population,
            "greedy_population": self.greedy_population,
            "optimal_population": self.optimal_population,
            "gap": None if self.gap is None else round(self.gap, 6), "note": self.note,
            "sites": [s.to_dict() for s in self.sites],
        }


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
    pairs = tree_c.sparse_distance_matrix(tree_d, chord_from_km(radius_km) + 1e-9,
                                          output_type="ndarray")  # every pair, in C
    rows, cols = pairs["i"].astype(np.int64), pairs["j"].astype(np.int64)
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
    reach: sparse.csr_matrix, weights: Any, count: int, *, time_limit_s: float = 10.0,
    start: list[int] | None = None, pause: Callable[[], None] | None = None,
) -> tuple[list[int], bool]:
    """The optimal ``count`` candidates: the sparse MCLP integer programme (CBC via PuLP).

    Only the pairs within reach enter the model: maximise ``sum w_j y_j`` subject to
    ``y_j <= sum_{i reaches j} x_i``, ``sum x_i = count``, ``x`` binary, ``0 <= y <= 1``
    (``y`` need not be integer: at an optimum it is 1 exactly where a chosen site reaches).
    CBC starts from ``start`` (the greedy answer): on the demo's national problem that
    halves the time (5 sites: 2.7 -> 2.2 s; 20 sites: 17.6 -> 10.4 s). HiGHS
    (:func:`scipy.optimize.milp`) was measured too: 8.9 s for 5 sites, out of time at 10.

    Parameters
    ----------
    reach
        ``(candidates, demand)`` boolean matrix.
    weights
        Weight of each demand point.
    count
        Number of sites.
    time_limit_s
        The solver's time budget.
    start
        Candidate rows of a feasible answer to start from.
    pause
        Called every :data:`PAUSE_EVERY` constraints and before the solver runs.

    Returns
    -------
    tuple
        The chosen candidate rows (ascending) and whether CBC proved them optimal within the
        budget (``False``: out of time; the rows are its best so far, possibly none).

    Examples
    --------
    >>> from scipy import sparse
    >>> reach = sparse.csr_matrix([[1, 1, 0, 0], [1, 0, 0, 0], [0, 0, 1, 1], [0, 1, 1, 0]],
    ...                           dtype=bool)
    >>> mclp_solve(reach, [2, 3, 3, 2], 2)
    ([0, 2], True)
    """
    import pulp  # noqa: PLC0415 - the solver is only needed for exact runs

    n_cand, n_dem = reach.shape
    if n_cand == 0 or n_dem == 0 or count <= 0:
        return [], True
    count = min(count, n_cand)
    w = np.asarray(weights, np.float64)
    csc = reach.tocsc()
    first = set(start or [])
    # No warnings to catch (``warnings.catch_warnings`` is not thread-safe, and this runs in
    # background threads): PuLP >= 3.3 builds variables through the problem, and the bundled
    # CBC is named through COIN_CMD; older PuLP has neither deprecation.
    prob = pulp.LpProblem("mclp", pulp.LpMaximize)
    variable = getattr(prob, "add_variable", None) or pulp.LpVariable
    x = [variable(f"x{i}", cat="Binary") for i in range(n_cand)]
    y = [variable(f"y{j}", lowBound=0, upBound=1) for j in range(n_dem)]
    prob += pulp.lpSum(float(w[j]) * y[j] for j in range(n_dem))
    for j in range(n_dem):
        if pause is not None and j % PAUSE_EVERY == 0:
            pause()
        rows = csc.indices[csc.indptr[j]:csc.indptr[j + 1]]
        prob += y[j] <= pulp.lpSum(x[int(i)] for i in rows)
    prob += pulp.lpSum(x) == count
    if len(first) == count:
        for i, var in enumerate(x):
            var.setInitialValue(1 if i in first else 0)
    solver = pulp.COIN_CMD(path=pulp.PULP_CBC_CMD.pulp_cbc_path, msg=False,
                           timeLimit=max(1, round(time_limit_s)), warmStart=len(first) == count)
    if pause is not None:
        pause()
    status = prob.solve(solver)
    optimal = pulp.LpStatus[status] == "Optimal" and prob.sol_status == pulp.LpSolutionOptimal
    chosen = [i for i, var in enumerate(x) if (var.value() or 0.0) > 0.5]  # noqa: PLR2004
    return chosen, optimal


def _reduce(
    reach: sparse.csr_matrix, weights: np.ndarray,
) -> tuple[sparse.csr_matrix, np.ndarray, np.ndarray]:
    """Lossless reductions (see the module docstring); returns (reach, weights, cand rows)."""
    csc = reach.tocsc()
    reached = np.diff(csc.indptr) > 0
    csc = csc[:, reached]
    csc.sort_indices()
    w = weights[reached]
    # Merge demand columns reached by exactly the same candidates (numbered in order of
    # first appearance).
    column_group, n_groups = _identical_segments(csc)
    merge = sparse.csr_matrix((np.ones(csc.shape[1]), (np.arange(csc.shape[1]), column_group)),
                              shape=(csc.shape[1], n_groups))
    merged = (csc @ merge).astype(bool).tocsr()
    merged.sort_indices()
    merged_w = np.asarray(merge.T @ w).ravel()
    # Keep one candidate (the first: most populous) of each distinct, non-empty reach.
    row_group, _ = _identical_segments(merged)
    nonempty = np.diff(merged.indptr) > 0
    first = np.full(int(row_group.max(initial=-1)) + 1, -1, dtype=np.int64)
    rows_all = np.arange(merged.shape[0])[nonempty]
    groups = row_group[nonempty]
    first_seen = np.unique(groups, return_index=True)[1]
    first[groups[first_seen]] = rows_all[first_seen]
    rows = np.sort(first[first >= 0])
    return merged[rows], merged_w, rows


def _identical_segments(mat: sparse.csr_matrix | sparse.csc_matrix) -> tuple[np.ndarray, int]:
    """A group number per row (CSR) or column (CSC): equal numbers for equal index lists.

    Groups are numbered in order of first appearance. Vectorised: each segment's length and
    two random projections of its indices make a key; the grouping is then checked element
    by element, and in the (astronomically unlikely) case of a collision the exact slow
    path decides. Indices must be sorted within segments.
    """
    indptr, indices = mat.indptr, mat.indices
    n = indptr.size - 1
    if n == 0:
        return np.zeros(0, dtype=np.int64), 0
    counts = np.diff(indptr)
    seg = np.repeat(np.arange(n), counts)
    rng = np.random.default_rng(12345)
    size = int(indices.max(initial=0)) + 1
    keys = np.empty((n, 3), dtype=np.float64)
    keys[:, 0] = counts
    for k in (1, 2):
        r = rng.random(size)
        keys[:, k] = np.bincount(seg, weights=r[indices], minlength=n)
    _, first, inverse = np.unique(keys, axis=0, return_index=True, return_inverse=True)
    inverse = inverse.ravel()
    rank = np.empty(first.size, dtype=np.int64)
    rank[np.argsort(first, kind="stable")] = np.arange(first.size)
    group = rank[inverse]
    rep = first[inverse]  # the first segment of each one's group
    offset = np.arange(indices.size) - indptr[seg]
    if np.array_equal(indices, indices[indptr[rep[seg]] + offset]):
        return group, int(first.size)
    exact: dict[bytes, int] = {}  # a collision of the projections: group exactly
    out = np.empty(n, dtype=np.int64)
    for j in range(n):
        out[j] = exact.setdefault(indices[indptr[j]:indptr[j + 1]].tobytes(), len(exact))
    return out, len(exact)


def _check(count: Any, method: Any, demand: pd.DataFrame) -> None:
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


def suggest_sites(
    demand: pd.DataFrame, *, radius_km: float, count: int = DEFAULT_COUNT,
    devolvers: pd.DataFrame | None = None, candidates: pd.DataFrame | None = None,
    method: Method = "auto", time_budget_s: float = DEFAULT_TIME_BUDGET_S,
    devolve_max_km: float = DEFAULT_MAX_KM, pause: Callable[[], None] | None = None,
) -> SiteSuggestion:
    """Choose ``count`` sites that newly cover the most people.

    Parameters
    ----------
    demand
        ``name``, ``lat``, ``lon``, ``population``, ``covered`` and optionally ``place`` and
        ``region_id`` (the demand of a :class:`~matching.coverage.CoverageResult`).
    radius_km
        A new group covers the demand within this distance.
    count
        How many sites (1-50).
    devolvers
        :func:`matching.devolution.readiness` of the approved organisations (``None``: sites
        come without ``devolve_from``).
    candidates
        Candidate sites (``name``, ``lat``, ``lon``; ``population`` orders ties); by default
        the demand points.
    method
        ``"auto"`` (exact when it finishes within the budget, else greedy), ``"mclp"`` (the
        exact answer whatever it takes) or ``"greedy"`` (no exact run).
    time_budget_s
        The exact solver's budget under ``"auto"``.
    pause
        Called now and then while the exact model is built (background work lets requests
        go first); the solver's time budget does not count it.
    devolve_max_km
        Farthest an organisation may be to devolve a site.

    Returns
    -------
    SiteSuggestion
        The sites in greedy order, the method used, the gap and the problem size.

    Raises
    ------
    CoverageInputError
        For a bad parameter, naming it and what is allowed.
    """
    radius_km = check_radius(radius_km)
    _check(count, method, demand)
    cands = demand if candidates is None else candidates
    if "population" not in cands.columns:
        cands = cands.assign(population=0)
    cands = cands.sort_values(["population", "name"], ascending=[False, True],
                              kind="stable").reset_index(drop=True)
    open_demand = demand.loc[~demand["covered"].astype(bool)].reset_index(drop=True)
    weights = open_demand["population"].to_numpy(np.float64)
    reach = coverage_matrix(cands["lat"], cands["lon"], open_demand["lat"], open_demand["lon"],
                            radius_km)
    reduced, reduced_w, cand_rows = _reduce(reach, weights)
    result = SiteSuggestion(radius_km=radius_km, demand_points=int(reduced.shape[1]),
                            candidates=int(reduced.shape[0]),
                            uncovered_population=int(weights.sum()))
    picks, gains = greedy_order(reduced, reduced_w, count)
    result.greedy_population = round(sum(gains))
    if method != "greedy" and reduced.shape[0] > 0:
        budget = 10_000_000.0 if method == "mclp" else time_budget_s
        start = time.perf_counter()
        chosen, optimal = mclp_solve(reduced, reduced_w, count, time_limit_s=budget,
                                     start=picks, pause=pause)
        result.mclp_seconds = time.perf_counter() - start
        if optimal:
            result.optimal_population = round(covered_by(reduced, reduced_w, chosen))
            if result.optimal_population > result.greedy_population:
                picks, gains = greedy_order(reduced, reduced_w, count, chosen=chosen)
            result.method = "mclp"
        else:
            result.note = (f"the exact MCLP did not finish within {budget:g} s; greedy "
                           f"answer shown")
    else:
        result.note = "greedy only (no exact run asked)"
    rows = cand_rows[np.asarray(picks, dtype=np.int64)] if picks else np.empty(0, np.int64)
    result.sites = _sites(cands.iloc[rows], reach[rows], open_demand, devolvers,
                          devolve_max_km)
    return result


def _sites(
    chosen: pd.DataFrame, reach: sparse.csr_matrix, open_demand: pd.DataFrame,
    devolvers: pd.DataFrame | None, max_km: float,
) -> list[Site]:
    label = (open_demand["place"] if "place" in open_demand.columns
             else open_demand["name"]).astype(str).to_numpy()
    pop = open_demand["population"].to_numpy(np.int64)
    region = (open_demand["region_id"].to_numpy() if "region_id" in open_demand.columns
              else None)
    taken = np.zeros(len(open_demand), dtype=bool)
    out = []
    for k, r in enumerate(chosen.itertuples(index=False)):
        hits = reach[k].indices
        new = hits[~taken[hits]]
        taken[new] = True
        names, which = np.unique(label[new], return_inverse=True)  # sorted by name
        people = np.zeros(names.size, dtype=np.int64)
        np.add.at(people, which.ravel(), pop[new])
        order = np.argsort(-people, kind="stable")  # most people first, then by name
        places = [(str(names[i]), int(people[i])) for i in order]
        name = places[0][0] if places else str(r.name)
        region_id = None
        if region is not None and len(hits):
            values = pd.Series(region[hits]).dropna()
            region_id = int(values.mode().iloc[0]) if len(values) else None
        dev = (None if devolvers is None else
               choose_devolver(float(r.lat), float(r.lon), devolvers, max_km=max_km,
                               region_id=region_id))
        out.append(Site(name=name, at=str(r.name), lat=float(r.lat), lon=float(r.lon),
                        added_population=int(pop[new].sum()), places=places[:SITE_PLACES],
                        devolve_from=dev))
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
    "DEFAULT_TIME_BUDGET_S",
    "METHODS",
    "Site",
    "SiteSuggestion",
    "coverage_matrix",
    "covered_by",
    "greedy_order",
    "mclp_solve",
    "suggest_sites",
]
