"""Throughput of ``GET /api/recommendations`` under gunicorn on this machine, measured by wrk.

Two stores: the demo (~720 opportunities) and 100,000 synthetic opportunities clustered over GB
(``bench/recommend.py::make_rows``). For each, gunicorn serves ``service:create_app()`` on
loopback and wrk drives it at 1, 2, 4, 8 and 16 connections with varied peer queries
(origins at GB towns, 1-2 interests, 15 km, top 10). A level passes when it has zero errors
(socket errors and non-2xx) and p99 under 100 ms; the table prints every level and the best
passing requests per second. The baseline, measured in the same run against the same server,
is ``GET /healthz`` (the framework and one store round trip, no matching).

wrk must be installed (Debian: ``apt-get install wrk``). All traffic stays on 127.0.0.1.

Last line: ``ratio: X (recommendations req/s over /healthz req/s at p99<100ms, demo store)``.
"""

from __future__ import annotations

import argparse
import random
import sys
import tempfile
import urllib.request
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench._data import query_points
from bench._serve import free_port
from bench._serve import require_wrk
from bench._serve import run_wrk
from bench._serve import start_gunicorn
from bench.recommend import load_sqlite
from bench.recommend import make_rows
from ingest.demo import load_demo
from matching.taxonomy import SLUGS
from service.cli import interest_rows
from store import Store

P99_LIMIT_MS = 100.0


def make_store(folder: Path, n: int | None) -> Store:
    store = Store(f"sqlite:///{folder / ('demo.db' if n is None else f'n{n}.db')}")
    store.init_db()
    store.seed_interests(interest_rows())
    if n is None:
        load_demo(store)
    else:
        assocs, rows, _ = make_rows(n)
        load_sqlite(store, assocs, rows)
    store.dispose()
    return store


def write_script(folder: Path, count: int, *, seed: int = 11) -> Path:
    rng = random.Random(seed)
    paths = []
    for lat, lon in query_points(count, seed=seed):
        interests = ",".join(rng.sample(SLUGS, rng.choice((1, 2))))
        paths.append(f"/api/recommendations?lat={lat:.5f}&lon={lon:.5f}"
                     f"&interests={interests}&radius_km=15&limit=10")
    lua = folder / "paths.lua"
    body = ",\n".join(f'  "{p}"' for p in paths)
    lua.write_text(
        f"paths = {{\n{body}\n}}\ncounter = 0\n"
        "request = function()\n  counter = counter + 1\n"
        "  return wrk.format('GET', paths[(counter % #paths) + 1])\nend\n"
    )
    return lua


def measure(label: str, base: str, levels: list[int], seconds: int, script: Path | None,
            rows: list[tuple]) -> float:
    best = 0.0
    for c in levels:
        r = run_wrk(base, c, seconds, script)
        ok = r["errors"] == 0 and r["p99"] < P99_LIMIT_MS
        rows.append((label, c, r["rps"], r["p50"], r["p99"], int(r["errors"]), ok))
        if ok:
            best = max(best, r["rps"])
    return best


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--quick", action="store_true", help="demo store only, short runs")
    parser.add_argument("--workers", type=int, default=2)
    args = parser.parse_args()
    require_wrk()
    seconds = 3 if args.quick else 8
    levels = [1, 4, 8] if args.quick else [1, 2, 4, 8, 16]
    sizes: list[int | None] = [None] if args.quick else [None, 100_000]
    rows: list[tuple] = []
    bests: dict[str, float] = {}
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        script = write_script(folder, 500)
        for n in sizes:
            name = "demo" if n is None else f"{n // 1000}k"
            store = make_store(folder, n)
            port = free_port()
            env = {"DATABASE_URL": store.url, "SECRET_KEY": "bench",
                   "COMMONGROUND_LOG_LEVEL": "WARNING"}
            server = start_gunicorn(env, port, workers=args.workers, threads=2, wait_s=60)
            try:
                base = f"http://127.0.0.1:{port}"
                # Warm: the first request of each worker builds its catalogue.
                for _ in range(args.workers * 4):
                    urllib.request.urlopen(
                        f"{base}/api/recommendations?lat=53.48&lon=-2.24&limit=1",
                        timeout=120).read()
                bests[f"{name} healthz"] = measure(f"{name} /healthz", f"{base}/healthz",
                                                   levels, seconds, None, rows)
                bests[f"{name} recs"] = measure(f"{name} recommendations", base, levels,
                                                seconds, script, rows)
            finally:
                server.terminate()
                server.wait(timeout=30)
    print(f"gunicorn -w {args.workers} -k gthread --threads 2; wrk -t1, {seconds}s per level")
    print(f"{'what':<28}{'conns':>6}{'req/s':>9}{'p50 ms':>9}{'p99 ms':>9}{'errors':>8}  ok")
    for label, c, rps, p50, p99, errors, ok in rows:
        print(f"{label:<28}{c:>6}{rps:>9.1f}{p50:>9.2f}{p99:>9.2f}{errors:>8}  "
              f"{'yes' if ok else 'no'}")
    for key, value in bests.items():
        print(f"best at p99<{P99_LIMIT_MS:.0f}ms, 0 errors: {key:<20}{value:>9.1f} req/s")
    ratio = bests["demo recs"] / bests["demo healthz"] if bests["demo healthz"] else 0.0
    print(f"ratio: {ratio:.3f} (recommendations req/s over /healthz req/s at p99<100ms, "
          "demo store)")


if __name__ == "__main__":
    main()
