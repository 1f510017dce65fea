"""Coverage at national scale, against bare baselines measured in the same run.

Rows, for 1.7 million demand points (about one per UK postcode, clustered like towns) against
2,000 and 20,000 meetings (10 km reach):

* ``matching.coverage.compute_coverage`` (what the service calls: nearest meeting, distances,
  covered flags and shares), seconds and peak traced memory;
* a bare scipy ``cKDTree`` on unit-sphere x, y, z with a nearest query (the in-process floor);
* geopandas ``sjoin_nearest`` in EPSG:27700 (the common GIS route).

Then: the size of the coverage map's HTML for national data (20,000 meetings, hexagons of the
demand, 500 largest gaps), and the time to choose 5 sites over all GB towns with spopt's MCLP
and with greedy. ``--quick`` uses 170,000 demand points and skips the exact MCLP.

Last line: ``ratio: X (compute_coverage seconds over bare cKDTree seconds, N x 20,000)``.
"""

from __future__ import annotations

import argparse
import sys
import time
import tracemalloc
from pathlib import Path

import numpy as np
import pandas as pd
from scipy.spatial import cKDTree

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench._data import clustered_gb_points
from geo.distance import km_from_chord
from geo.distance import unit_vectors
from geo.service_area import service_area_from_text
from matching.coverage import compute_coverage
from matching.coverage import hexagons
from matching.coverage import town_demand
from matching.sites import suggest_sites

RADIUS_KM = 10.0


def measure(fn):
    """Seconds of an untraced run (best of two), then peak traced memory of a third run.

    tracemalloc slows allocation-heavy code a lot, so time and memory are separate runs.
    """
    seconds = []
    for _ in range(2):
        t0 = time.perf_counter()
        out = fn()
        seconds.append(time.perf_counter() - t0)
    tracemalloc.start()
    fn()
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    return out, min(seconds), peak / 1e6


def bare_ckdtree(d_lat, d_lon, m_lat, m_lon, pop):
    tree = cKDTree(unit_vectors(m_lat, m_lon))
    chord, _ = tree.query(unit_vectors(d_lat, d_lon), k=1, workers=2)
    covered = km_from_chord(chord) <= RADIUS_KM
    return int(pop[covered].sum())


def sjoin(d_lat, d_lon, m_lat, m_lon, pop):
    import geopandas as gpd

    demand = gpd.GeoDataFrame({"pop": pop}, geometry=gpd.points_from_xy(d_lon, d_lat),
                              crs=4326).to_crs(27700)
    meets = gpd.GeoDataFrame(geometry=gpd.points_from_xy(m_lon, m_lat), crs=4326).to_crs(27700)
    joined = gpd.sjoin_nearest(demand, meets, distance_col="m")
    joined = joined[~joined.index.duplicated()]
    return int(joined.loc[joined["m"] <= RADIUS_KM * 1000, "pop"].sum())


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--quick", action="store_true", help="170k demand points, no MCLP")
    args = parser.parse_args()
    n = 170_000 if args.quick else 1_700_000
    d_lat, d_lon = clustered_gb_points(n, seed=11)
    rng = np.random.default_rng(5)
    pop = rng.integers(10, 80, n)
    demand = pd.DataFrame({"name": np.arange(n).astype(str), "lat": d_lat, "lon": d_lon,
                           "population": pop})
    # Warm the imports and caches of every approach on a small input first.
    compute_coverage(demand.head(1000), pd.DataFrame({"id": [0], "lat": [53.0], "lon": [-2.0]}))
    sjoin(d_lat[:100], d_lon[:100], d_lat[:10], d_lon[:10], pop[:100])
    print(f"{'demand':>10} {'meetings':>9} {'approach':<34} {'seconds':>8} {'peak MB':>8} "
          f"{'covered people':>15}")
    ratio = None
    for n_meet in (2_000, 20_000):
        m_lat, m_lon = clustered_gb_points(n_meet, seed=23)
        meetings = pd.DataFrame({"id": np.arange(n_meet), "lat": m_lat, "lon": m_lon})
        ours, t_ours, mem_ours = measure(lambda m=meetings: compute_coverage(
            demand, m, radius_km=RADIUS_KM, workers=2))
        base, t_base, mem_base = measure(lambda a=m_lat, b=m_lon: bare_ckdtree(
            d_lat, d_lon, a, b, pop))
        gis, t_gis, mem_gis = measure(lambda a=m_lat, b=m_lon: sjoin(d_lat, d_lon, a, b, pop))
        for name, t, mem, covered in (
            ("compute_coverage (ours)", t_ours, mem_ours, ours.covered_population),
            ("bare cKDTree, unit vectors", t_base, mem_base, base),
            ("geopandas sjoin_nearest (27700)", t_gis, mem_gis, gis),
        ):
            print(f"{n:>10,} {n_meet:>9,} {name:<34} {t:>8.2f} {mem:>8.0f} {covered:>15,}")
        if ours.covered_population != base:
            msg = f"ours ({ours.covered_population}) and the bare tree ({base}) disagree"
            raise SystemExit(msg)
        ratio = (t_ours / t_base, t_gis / t_ours)

    from maps import build_coverage_map

    m_lat, m_lon = clustered_gb_points(20_000, seed=23)
    meetings = pd.DataFrame({"id": np.arange(20_000), "name": [f"Meeting {i}" for i in
                                                                range(20_000)],
                             "lat": m_lat, "lon": m_lon})
    towns = town_demand(service_area_from_text("GB"))
    result = compute_coverage(demand, meetings, radius_km=RADIUS_KM, workers=2)
    t0 = time.perf_counter()
    cells = hexagons(result.demand, resolution=5)
    html = build_coverage_map(meetings, radius_km=RADIUS_KM, hexagons=cells,
                              gaps=compute_coverage(towns, meetings).gaps(None)
                              ).get_root().render()
    print(f"coverage map, national data: {len(html.encode()):,} bytes of HTML "
          f"({len(cells):,} hexagons, 20,000 meetings clustered; built in "
          f"{time.perf_counter() - t0:.1f} s); target under 5,000,000")

    sparse = pd.DataFrame({"id": np.arange(2_000), "lat": clustered_gb_points(2_000, seed=23)[0],
                           "lon": clustered_gb_points(2_000, seed=23)[1]})
    town_cov = compute_coverage(towns, sparse, radius_km=RADIUS_KM)
    methods = ("greedy",) if args.quick else ("greedy", "mclp")
    for method in methods:
        t0 = time.perf_counter()
        s = suggest_sites(town_cov.demand, radius_km=RADIUS_KM, count=5, method=method,
                          min_candidate_population=0)
        print(f"5 sites over all {len(towns):,} GB towns by {method}: "
              f"{time.perf_counter() - t0:.2f} s, {s.added_population:,} people newly covered "
              f"({s.candidates:,} candidates x {s.demand_points:,} demand after reduction)")
    print(f"sjoin_nearest over ours: {ratio[1]:.1f}x")
    print(f"ratio: {ratio[0]:.2f} (compute_coverage seconds over bare cKDTree seconds, "
          f"{n:,} x 20,000)")


if __name__ == "__main__":
    main()
