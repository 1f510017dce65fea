"""What one machine holds at national size: data sizes, requests per second, memory per worker.

Builds a national-size PostGIS store (default: 20,000 meetings, 300,000 associations,
1,000,000 needs, clustered over GB like towns; ``--scale`` shrinks all three), reports the
size of each table with its indexes, then serves it with gunicorn (``--workers``, 4 threads
each) and drives it with wrk for ``--seconds`` per path at ``--connections``:

* ``/api/recommendations`` (peer search: 1-2 interests, 15 km, top 10),
* ``/api/opportunities?lat=&lon=&radius_km=10&limit=20`` (a listing page),
* ``/healthz`` (the baseline: framework + one store round trip).

Memory per worker is the resident set (``VmRSS``) of each gunicorn worker after warm-up
(each worker builds its recommendation catalogue on its first request) and after the load.

Last line: ``ratio: X (recommendations req/s over /healthz req/s, national size)``.
"""

from __future__ import annotations

import argparse
import random
import shutil
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import bench.recommend as rec
from bench._bulk import bulk_insert_points
from bench._data import clustered_gb_points
from bench._data import query_points
from bench._serve import free_port
from bench._serve import require_wrk
from bench._serve import run_wrk
from bench._serve import start_gunicorn
from bench._serve import worker_pids
from matching.taxonomy import SLUGS
from service.cli import interest_rows
from store import Store
from testing.throwaway import start_postgis


def rss_mb(pid: int) -> float:
    """Resident memory of a process in MB."""
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return float("nan")


def write_paths(folder: Path, kind: str, *, seed: int = 9) -> Path:
    rng = random.Random(seed)
    paths = []
    for lat, lon in query_points(400, seed=seed):
        if kind == "recs":
            interests = ",".join(rng.sample(SLUGS, rng.choice((1, 2))))
            paths.append(f"/api/recommendations?lat={lat:.5f}&lon={lon:.5f}"
                         f"&interests={interests}&radius_km=15&limit=10")
        else:
            paths.append(f"/api/opportunities?lat={lat:.5f}&lon={lon:.5f}&radius_km=10"
                         "&limit=20")
    lua = folder / f"{kind}.lua"
    body = ",\n".join(f'  "{p}"' for p in paths)
    lua.write_text(f"paths = {{\n{body}\n}}\ncounter = 0\nrequest = function()\n"
                   "  counter = counter + 1\n"
                   "  return wrk.format('GET', paths[(counter % #paths) + 1])\nend\n")
    return lua


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--scale", type=float, default=1.0, help="1.0 = national size")
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--connections", type=int, default=8)
    parser.add_argument("--seconds", type=int, default=10)
    args = parser.parse_args()
    require_wrk()
    n_meetings = int(20_000 * args.scale)
    n_assocs = int(300_000 * args.scale)
    n_needs = int(1_000_000 * args.scale)

    tmp = Path(tempfile.mkdtemp(prefix="cg-capacity-"))
    server = start_postgis(dbname="commonground")
    gunicorn = None
    timings: dict[str, float] = {}
    try:
        store = Store(server.url)
        store.init_db()
        store.seed_interests(interest_rows())
        t0 = time.perf_counter()
        rec.N_ASSOCIATIONS = n_assocs  # make_rows draws this many associations
        assocs, rows, _ = rec.make_rows(n_needs)
        timings["generate"] = time.perf_counter() - t0
        t0 = time.perf_counter()
        rec.load_postgis(store, assocs, rows)
        del assocs, rows
        lat, lon = clustered_gb_points(n_meetings, seed=7)
        bulk_insert_points(store, "meetings", np.arange(1, n_meetings + 1), lat, lon)
        with store.engine.begin() as conn:
            conn.exec_driver_sql("ANALYZE")
        timings["load"] = time.perf_counter() - t0
        with store.engine.connect() as conn:
            sizes = [(t, conn.exec_driver_sql(f"SELECT count(*) FROM {t}").scalar(),
                      conn.exec_driver_sql(f"SELECT pg_total_relation_size('{t}')").scalar())
                     for t in ("meetings", "associations", "opportunities")]
            db_size = conn.exec_driver_sql(
                "SELECT pg_database_size(current_database())").scalar()
        store.dispose()

        port = free_port()
        env = {"DATABASE_URL": server.url, "SECRET_KEY": "capacity",
               "COMMONGROUND_LOG_LEVEL": "WARNING"}
        gunicorn = start_gunicorn(env, port, workers=args.workers, log=tmp / "gunicorn.log")
        base = f"http://127.0.0.1:{port}"
        pids = worker_pids(gunicorn.pid)
        idle = {p: rss_mb(p) for p in pids}
        t0 = time.perf_counter()
        for _ in range(args.workers * 6):  # every worker builds its catalogue
            urllib.request.urlopen(f"{base}/api/recommendations?lat=53.48&lon=-2.24&limit=1",
                                   timeout=600).read()
        timings["warm"] = time.perf_counter() - t0
        warm = {p: rss_mb(p) for p in pids}
        results = {}
        for name, path, script in (
            ("/healthz", "/healthz", None),
            ("/api/recommendations", "/", write_paths(tmp, "recs")),
            ("/api/opportunities (10 km page)", "/", write_paths(tmp, "listing")),
        ):
            results[name] = run_wrk(base + path, args.connections, args.seconds, script)
        loaded = {p: rss_mb(p) for p in pids}
    finally:
        if gunicorn is not None:
            gunicorn.terminate()
            gunicorn.wait(timeout=60)
        server.stop()
        shutil.rmtree(tmp, ignore_errors=True)

    print(f"national-size store x{args.scale:g}: {n_meetings:,} meetings, {n_assocs:,} "
          f"associations, {n_needs:,} needs (PostGIS, GiST, clustered)")
    print(f"generate {timings['generate']:.0f} s, load (COPY + CLUSTER + ANALYZE) "
          f"{timings['load']:.0f} s, warm {args.workers} workers {timings['warm']:.0f} s")
    print(f"{'table':<16}{'rows':>12}{'MB with indexes':>18}")
    for name, n, size in sizes:
        print(f"{name:<16}{n:>12,}{size / 2**20:>18.0f}")
    print(f"{'database':<16}{'':>12}{db_size / 2**20:>18.0f}")
    print(f"gunicorn -w {args.workers} -k gthread --threads 4; wrk -t1 -c{args.connections}, "
          f"{args.seconds} s per path")
    print(f"{'path':<34}{'req/s':>9}{'p50 ms':>9}{'p99 ms':>9}{'errors':>8}")
    for name, r in results.items():
        print(f"{name:<34}{r['rps']:>9.1f}{r['p50']:>9.2f}{r['p99']:>9.2f}{int(r['errors']):>8}")
    for label, mem in (("idle", idle), ("after warm-up", warm), ("after load", loaded)):
        print(f"worker RSS {label:<14}" + ", ".join(f"{v:.0f} MB" for v in mem.values()))
    ratio = results["/api/recommendations"]["rps"] / max(1e-9, results["/healthz"]["rps"])
    print(f"ratio: {ratio:.3f} (recommendations req/s over /healthz req/s, national size)")


if __name__ == "__main__":
    main()
