"""Coverage as the service answers it: cold and warm latency, against a bare cKDTree.

Two stores, each a real SQLite file:

* the demo (about 80 meetings, five hotspot trees);
* national: 20,000 meetings of 2,000 approved organisations (clustered like towns over Great
  Britain), each organisation with a licensed volunteer.

Both use the shipped national demand (2,813 postcode districts, 67.6 million people), read
once per process (it is static: imports and the demand are warmed up untimed). For each:
the *cold* answer (cache cleared, as after a data change: read the store in one snapshot,
pick the serving meetings, compute coverage; best and median of ``--repeat`` runs, and the
best CPU time of the process, which a loaded machine inflates much less than wall time), the
*warm* answer (the cache checked against the store's change counters), the what-if at one
point (warm), coverage and site suggestion cold (greedy + exact MCLP within its budget: the
page does not wait for it, see ``bench/pages.py``) and warm, and the bare floor: one scipy
``cKDTree`` nearest query of the same demand against the same serving meetings' positions,
already in memory (best of 5). The load average is printed before and after.

The what-if (a lead's click on the coverage map, ``commonground coverage --add LAT,LON``):
*cold* is coverage after a data change plus the what-if at one place (a different place each
run), *warm* the same at 20 places with coverage cached; then, on the demo with its accounts,
``GET /api/coverage/what-if`` by a signed-in lead through a Flask test client, cold (right
after a real write: one meeting renamed) and warm, against ``GET /healthz`` by the same
client in the same run. The target is 200 ms.

Last line: ``ratio: X (cold coverage over bare cKDTree, national)``.
``--quick`` skips the site suggestion of the national store.
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import statistics
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
from store.coverage import serving_meetings_frame
from store.upsert import upsert_rows

RADIUS_KM = 10.0
WHAT_IF_POINTS = [(53.48, -2.24), (51.51, -0.13), (52.49, -1.89), (55.86, -4.25),
                  (53.80, -1.55), (50.72, -1.88), (54.97, -1.61), (51.45, -2.59)]
"""Where the what-if rows ask (Manchester, London, Birmingham, Glasgow, Leeds, ...)."""


def timed(fn, repeat: int = 1, *, before=None):
    """Best wall seconds of ``repeat`` runs (``before()`` untimed ahead of each), and more.

    Returns the last answer, the best wall time, the median wall time and the best CPU time
    of this process (which a loaded machine inflates much less than wall time).
    """
    walls, cpus, out = [], [], None
    for _ in range(repeat):
        if before is not None:
            before()
        t0, c0 = time.perf_counter(), time.process_time()
        out = fn()
        walls.append(time.perf_counter() - t0)
        cpus.append(time.process_time() - c0)
    return out, min(walls), statistics.median(walls), min(cpus)


def bare(demand, m_lat, m_lon) -> tuple[int, float]:
    d_xyz = unit_vectors(demand["lat"].to_numpy(), demand["lon"].to_numpy())
    pop = demand["population"].to_numpy()

    def run() -> int:
        tree = cKDTree(unit_vectors(m_lat, m_lon))
        chord, _ = tree.query(d_xyz, k=1)
        return int(pop[km_from_chord(chord) <= RADIUS_KM].sum())

    out, best, _median, _cpu = timed(run, repeat=5)
    return out, best


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


def report(label: str, store: Store, demand, serving, *, sites: bool, repeat: int) -> float:
    """Rows of one store; ``serving`` are the meetings coverage counts (the bare tree's)."""
    covered_bare, t_bare = bare(demand, serving["lat"].to_numpy(), serving["lon"].to_numpy())
    cold, t_cold, m_cold, c_cold = timed(lambda: coverage_result(store, radius_km=RADIUS_KM),
                                         repeat=repeat, before=CACHE.clear)
    warm, t_warm, m_warm, c_warm = timed(lambda: coverage_result(store, radius_km=RADIUS_KM),
                                         repeat=20)
    spots = iter(WHAT_IF_POINTS * (repeat + 20))

    def what_if() -> dict:
        """What a lead's click asks: coverage (cached or not) and the what-if at a point."""
        return coverage_result(store, radius_km=RADIUS_KM).what_if(*next(spots))

    w_cold, t_w_cold, m_w_cold, c_w_cold = timed(what_if, repeat=repeat, before=CACHE.clear)
    _, t_what, m_what, c_what = timed(what_if, repeat=20)
    rows = [(f"coverage, cold (best/median of {repeat}; CPU)", t_cold, m_cold, c_cold,
             cold.covered_population),
            ("coverage, warm (cache checked)", t_warm, m_warm, c_warm, warm.covered_population),
            (f"what-if, cold (coverage + what-if; {repeat} places)", t_w_cold, m_w_cold,
             c_w_cold, w_cold["added_population"]),
            ("what-if, warm (20 places, cache checked)", t_what, m_what, c_what, None),
            ("bare cKDTree (serving meetings in memory)", t_bare, None, None, covered_bare)]
    if sites:
        def sites_cold():
            CACHE.clear()
            return site_suggestion(store, coverage_result(store, radius_km=RADIUS_KM),
                                   count=5)

        s_cold, t_s_cold, m_s_cold, c_s_cold = timed(sites_cold)
        s_warm = coverage_result(store, radius_km=RADIUS_KM)
        _, t_s_warm, m_s_warm, c_s_warm = timed(lambda: site_suggestion(store, s_warm, count=5),
                                                repeat=20)
        rows += [(f"coverage + 5 sites, cold ({s_cold.method}; greedy "
                  f"{s_cold.greedy_population:,})", t_s_cold, m_s_cold, c_s_cold,
                  s_cold.added_population),
                 ("5 sites, warm", t_s_warm, m_s_warm, c_s_warm, s_cold.added_population)]
    for name, t, median, cpu, people in rows:
        shown = "" if people is None else f"{people:>14,}"
        med = "" if median is None else f"{1000 * median:>9.1f}"
        cpu_ms = "" if cpu is None else f"{1000 * cpu:>9.1f}"
        print(f"{label:<9}{len(serving):>9,} {name:<52}{1000 * t:>9.1f}{med:>10}{cpu_ms:>10}"
              f"{shown:>15}")
    print(f"{label:<9} cold/bare {t_cold / t_bare:.1f}x (CPU {c_cold / t_bare:.1f}x), "
          f"warm/bare {t_warm / t_bare:.2f}x; what-if cold/bare {t_w_cold / t_bare:.1f}x, "
          f"warm/bare {t_what / t_bare:.2f}x")
    if cold.covered_population != covered_bare:
        msg = f"{label}: service ({cold.covered_population}) and bare tree disagree"
        raise SystemExit(msg)
    return t_cold / t_bare


def http_what_if(folder: Path, repeat: int) -> None:
    """``GET /api/coverage/what-if`` as a signed-in lead's click asks it, against ``/healthz``."""
    import logging

    from bench.pages import demo_app
    from bench.pages import touch
    from service import get_store
    from service.usecases.accounts import DEMO_ACCOUNTS
    from service.usecases.coverage_cache import cache_for

    logging.disable(logging.INFO)
    web = folder / "web"  # its own store, not the demo.db the in-process rows use
    web.mkdir()
    app = demo_app(web)
    lead = next(a for a in DEMO_ACCOUNTS if a["role"] == "hotspot_lead")
    client = app.test_client()
    client.post("/login", data={"email": lead["email"], "password": lead["password"]})
    spots = iter(WHAT_IF_POINTS * (2 * repeat + 60))

    def ask() -> int:
        lat, lon = next(spots)
        response = client.get(f"/api/coverage/what-if?lat={lat}&lon={lon}&radius_km=10")
        if response.status_code != 200:
            msg = f"what-if answered {response.status_code}"
            raise SystemExit(msg)
        return int(response.get_json()["added_population"])

    def healthz() -> None:
        if client.get("/healthz").status_code != 200:
            msg = "/healthz failed"
            raise SystemExit(msg)

    ask()  # warm the process up (imports, templates, the shipped demand)
    cache = cache_for(get_store(app))
    n = iter(range(1, 10_000))
    people, t_cold, m_cold, c_cold = timed(ask, repeat=repeat, before=lambda: (
        touch(get_store(app), next(n)), cache.wait_background()))
    _, t_warm, m_warm, c_warm = timed(ask, repeat=20)
    _, t_base, m_base, _c = timed(healthz, repeat=20)
    for name, t, median, cpu in (
            (f"GET what-if, cold (after a write; {repeat} places)", t_cold, m_cold, c_cold),
            ("GET what-if, warm (20 places)", t_warm, m_warm, c_warm),
            ("GET /healthz (baseline, same client)", t_base, m_base, None)):
        cpu_ms = "" if cpu is None else f"{1000 * cpu:>9.1f}"
        print(f"{'web demo':<9}{'':>9} {name:<52}{1000 * t:>9.1f}{1000 * median:>10.1f}"
              f"{cpu_ms:>10}")
    print(f"web demo  what-if cold/healthz {t_cold / t_base:.0f}x, warm/healthz "
          f"{t_warm / t_base:.1f}x (last answer {people:,} people)")
    get_store(app).dispose()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--quick", action="store_true", help="no national site suggestion")
    parser.add_argument("--repeat", type=int, default=7, help="cold runs (best and median)")
    args = parser.parse_args()
    demand = district_demand()
    today = dt.date.today()
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        demo = Store(f"sqlite:///{folder / 'demo.db'}")
        demo.init_db()
        demo.seed_interests(interest_rows())
        load_demo(demo)
        national = national_store(folder)
        print(f"load average before: {' '.join(f'{x:.2f}' for x in os.getloadavg())}")
        print(f"{'store':<9}{'meetings':>9} {'answer':<52}{'best ms':>9}{'median':>10}"
              f"{'CPU ms':>10}{'people':>15}")
        # Warm imports and the shipped demand once (not timed): loaded once per process.
        coverage_result(demo, radius_km=RADIUS_KM)
        report("demo", demo, demand, serving_meetings_frame(demo, on=today), sites=True,
               repeat=args.repeat)
        ratio = report("national", national, demand, serving_meetings_frame(national, on=today),
                       sites=not args.quick, repeat=args.repeat)
        demo.dispose()
        national.dispose()
        http_what_if(folder, args.repeat)
    print(f"load average after: {' '.join(f'{x:.2f}' for x in os.getloadavg())}")
    print(f"ratio: {ratio:.1f} (cold coverage over bare cKDTree, national, "
          f"{len(demand):,} demand points x 20,000 meetings)")


if __name__ == "__main__":
    main()
