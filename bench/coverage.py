"""Coverage as the service answers it: cold and warm latency, against a bare cKDTree.

Two stores, each a real SQLite file:

* the demo (about 80 meetings, five hotspot trees);
* national: 20,000 meetings of 2,000 approved organisations (clustered like towns over Great
  Britain), each organisation with a licensed volunteer.

Both use the shipped national demand (2,813 postcode districts, 67.6 million people). For
each: the *cold* answer (cache cleared: read the store, pick the serving meetings, compute
coverage), the *warm* answer (the cache checked against the store's change counters), the
what-if at one point (warm), site suggestion cold (greedy + exact MCLP within its budget) and
warm, and the bare floor: one scipy ``cKDTree`` nearest query of the same demand against the
same meeting positions, already in memory.

Last line: ``ratio: X (cold coverage over bare cKDTree, national)``.
``--quick`` skips the site suggestion of the national store.
"""

from __future__ import annotations

import argparse
import datetime as dt
import sys
import tempfile
import time
from pathlib import Path

from scipy.spatial import cKDTree

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench._data import clustered_gb_points
from geo.distance import km_from_chord
from geo.distance import unit_vectors
from ingest.demand import district_demand
from ingest.demo import load_demo
from service.cli import interest_rows
from service.usecases.coverage import coverage_result
from service.usecases.coverage import site_suggestion
from service.usecases.coverage_cache import CACHE
from store import Store
from store import models
from store.coverage import meetings_frame
from store.upsert import upsert_rows

RADIUS_KM = 10.0


def timed(fn, repeat: int = 1):
    best, out = float("inf"), None
    for _ in range(repeat):
        t0 = time.perf_counter()
        out = fn()
        best = min(best, time.perf_counter() - t0)
    return out, best


def bare(demand, m_lat, m_lon) -> tuple[int, float]:
    d_xyz = unit_vectors(demand["lat"].to_numpy(), demand["lon"].to_numpy())
    pop = demand["population"].to_numpy()

    def run() -> int:
        tree = cKDTree(unit_vectors(m_lat, m_lon))
        chord, _ = tree.query(d_xyz, k=1)
        return int(pop[km_from_chord(chord) <= RADIUS_KM].sum())

    return timed(run, repeat=3)


def national_store(folder: Path, n_orgs: int = 2_000, per_org: int = 10) -> Store:
    store = Store(f"sqlite:///{folder / 'national.db'}")
    store.init_db()
    lat, lon = clustered_gb_points(n_orgs * per_org, seed=23)
    founded = dt.date(2019, 1, 1)
    orgs = [{"name": f"Org {i}", "status": "approved", "founded_on": founded,
             "lat": float(lat[i * per_org]), "lon": float(lon[i * per_org]),
             "location_precision": "exact", "source": "bench", "source_id": str(i)}
            for i in range(n_orgs)]
    with store.session() as s:
        ids = [pk for _o, pk in upsert_rows(s, models.PeerOrganisation, orgs,
                                            key=("source", "source_id"))]
        meetings = [{"organisation_id": ids[k // per_org], "name": f"Meeting {k}",
                     "lat": float(lat[k]), "lon": float(lon[k]), "location_precision": "exact",
                     "attendance": "in_person", "active": True, "source": "bench",
                     "source_id": str(k), "weekdays": [1]}
                    for k in range(n_orgs * per_org)]
        upsert_rows(s, models.Meeting, meetings, key=("source", "source_id"))
        vols = [{"organisation_id": oid, "display_name": "V.", "licence_number": f"B-{oid}",
                 "licence_valid_until": dt.date.today() + dt.timedelta(days=365)}
                for oid in ids]
        upsert_rows(s, models.Volunteer, vols, key=("licence_number",))
    return store


def report(label: str, store: Store, demand, *, sites: bool) -> float:
    frame = meetings_frame(store)
    covered_bare, t_bare = bare(demand, frame["lat"].to_numpy(), frame["lon"].to_numpy())
    CACHE.clear()
    cold, t_cold = timed(lambda: coverage_result(store, radius_km=RADIUS_KM))
    warm, t_warm = timed(lambda: coverage_result(store, radius_km=RADIUS_KM), repeat=20)
    _, t_what = timed(lambda: warm.what_if(53.48, -2.24), repeat=20)
    rows = [("coverage, cold (store read + compute)", t_cold, cold.covered_population),
            ("coverage, warm (cache checked)", t_warm, warm.covered_population),
            ("what-if at one point, warm", t_what, None),
            ("bare cKDTree (positions in memory)", t_bare, covered_bare)]
    if sites:
        s_cold, t_s_cold = timed(lambda: site_suggestion(store, cold, count=5))
        _, t_s_warm = timed(lambda: site_suggestion(store, cold, count=5), repeat=20)
        rows += [(f"5 sites, cold ({s_cold.method}; greedy "
                  f"{s_cold.greedy_population:,} vs {s_cold.added_population:,})",
                  t_s_cold, s_cold.added_population),
                 ("5 sites, warm", t_s_warm, s_cold.added_population)]
    for name, t, people in rows:
        shown = "" if people is None else f"{people:>14,}"
        print(f"{label:<9}{len(frame):>9,} {name:<58}{1000 * t:>10.1f}{shown:>15}")
    print(f"{label:<9} cold/bare {t_cold / t_bare:.1f}x, warm/bare {t_warm / t_bare:.2f}x")
    if cold.covered_population != covered_bare:
        msg = f"{label}: service ({cold.covered_population}) and bare tree disagree"
        raise SystemExit(msg)
    return t_cold / t_bare


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--quick", action="store_true", help="no national site suggestion")
    args = parser.parse_args()
    demand = district_demand()
    # The same serving meetings as the service: the demo's are filtered, the bare tree
    # gets the ones coverage counts (all of the national store's serve people).
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        demo = Store(f"sqlite:///{folder / 'demo.db'}")
        demo.init_db()
        demo.seed_interests(interest_rows())
        load_demo(demo)
        print(f"{'store':<9}{'meetings':>9} {'answer':<58}{'ms':>10}{'people':>15}")
        # Warm imports once (not timed).
        coverage_result(demo, radius_km=RADIUS_KM)
        CACHE.clear()
        report_demo(demo, demand)
        national = national_store(folder)
        ratio = report("national", national, demand, sites=not args.quick)
        demo.dispose()
        national.dispose()
    print(f"ratio: {ratio:.1f} (cold coverage over bare cKDTree, national, "
          f"{len(demand):,} demand points x 20,000 meetings)")


def report_demo(store: Store, demand) -> None:
    """The demo's bare baseline uses the meetings coverage counts."""
    from matching.coverage import serving_meetings
    from store.coverage import organisations_frame
    from store.coverage import volunteers_frame

    serving = serving_meetings(meetings_frame(store), organisations_frame(store),
                               volunteers_frame(store), on=dt.date.today())
    covered_bare, t_bare = bare(demand, serving["lat"].to_numpy(), serving["lon"].to_numpy())
    CACHE.clear()
    cold, t_cold = timed(lambda: coverage_result(store, radius_km=RADIUS_KM))
    warm, t_warm = timed(lambda: coverage_result(store, radius_km=RADIUS_KM), repeat=20)
    _, t_what = timed(lambda: warm.what_if(53.48, -2.24), repeat=20)
    s_cold, t_s_cold = timed(lambda: site_suggestion(store, cold, count=5))
    _, t_s_warm = timed(lambda: site_suggestion(store, cold, count=5), repeat=20)
    rows = [("coverage, cold (store read + compute)", t_cold, cold.covered_population),
            ("coverage, warm (cache checked)", t_warm, warm.covered_population),
            ("what-if at one point, warm", t_what, None),
            ("bare cKDTree (serving meetings in memory)", t_bare, covered_bare),
            (f"5 sites, cold ({s_cold.method}; greedy {s_cold.greedy_population:,})",
             t_s_cold, s_cold.added_population),
            ("5 sites, warm", t_s_warm, s_cold.added_population)]
    for name, t, people in rows:
        shown = "" if people is None else f"{people:>14,}"
        print(f"{'demo':<9}{len(serving):>9,} {name:<58}{1000 * t:>10.1f}{shown:>15}")
    print(f"{'demo':<9} cold/bare {t_cold / t_bare:.1f}x, warm/bare {t_warm / t_bare:.2f}x")
    if cold.covered_population != covered_bare:
        msg = f"demo: service ({cold.covered_population}) and bare tree disagree"
        raise SystemExit(msg)


if __name__ == "__main__":
    main()
