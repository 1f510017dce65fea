"""Store spatial queries vs bare baselines, on SQLite (in-process index) and PostGIS.

Rows: for N clustered GB points, p50/p95 per query of
* all within 10 km and the 20 nearest, through ``store.spatial`` (what the service calls), and
* the same through a bare scipy cKDTree on unit vectors (in-process baseline) and a bare
  PostGIS query (``&&`` envelope on the GiST index, table clustered by geohash).

Last line: ``ratio: X (store within-10km p50 over bare cKDTree p50, SQLite, N=...)``.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
from scipy.spatial import cKDTree

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench._bulk import bulk_insert_points
from bench._data import clustered_gb_points
from bench._data import query_points
from geo.distance import chord_from_km
from geo.distance import unit_vectors
from store import Store
from testing.throwaway import start_postgis


def timed(fn, queries) -> tuple[float, float]:
    fn(queries[0])  # warm
    samples = []
    for q in queries:
        t0 = time.perf_counter()
        fn(q)
        samples.append((time.perf_counter() - t0) * 1000)
    samples.sort()
    return statistics.median(samples), samples[int(0.95 * (len(samples) - 1))]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--quick", action="store_true", help="10k and 100k points only")
    parser.add_argument("--queries", type=int, default=200)
    args = parser.parse_args()
    sizes = [10_000, 100_000] if args.quick else [10_000, 100_000, 1_000_000]
    queries = query_points(args.queries)
    rows = []
    try:
        pg = start_postgis(dbname="bench")
    except Exception as exc:
        print(f"PostGIS rows skipped: {exc}")
        pg = None
    headline = None
    for n in sizes:
        lat, lon = clustered_gb_points(n)
        ids = np.arange(1, n + 1)
        tree = cKDTree(unit_vectors(lat, lon))
        chord = chord_from_km(10.0)
        rows.append((n, "bare cKDTree", "within 10 km",
                     *timed(lambda q: tree.query_ball_point(unit_vectors([q[0]], [q[1]])[0],
                                                            chord), queries)))
        rows.append((n, "bare cKDTree", "20 nearest",
                     *timed(lambda q: tree.query(unit_vectors([q[0]], [q[1]])[0], k=20),
                            queries)))
        with tempfile.TemporaryDirectory() as tmp:
            store = Store(f"sqlite:///{tmp}/bench.db")
            store.init_db()
            bulk_insert_points(store, "meetings", ids, lat, lon)
            store.spatial.within("meetings", queries[0], 10.0)  # build the index once
            within = timed(lambda q: store.spatial.within("meetings", q, 10.0), queries)
            rows.append((n, "store SQLite", "within 10 km", *within))
            rows.append((n, "store SQLite", "20 nearest",
                         *timed(lambda q: store.spatial.nearest("meetings", q, 20), queries)))
            store.dispose()
        if headline is None or n == sizes[-1]:
            headline = (within[0] / rows[-4][3], n)
        if pg is not None:
            url = pg.url.rsplit("/", 1)[0] + "/bench"
            store = Store(url)
            store.init_db()
            with store.engine.begin() as conn:
                conn.exec_driver_sql("TRUNCATE meetings CASCADE")
            bulk_insert_points(store, "meetings", ids, lat, lon)
            with store.engine.begin() as conn:
                conn.exec_driver_sql("CLUSTER meetings USING idx_meetings_geom")
                conn.exec_driver_sql("ANALYZE meetings")
            from geo.distance import bounding_boxes

            def bare_pg(q: tuple[float, float]) -> None:
                (w, s, e, nn), = bounding_boxes(q, 10.0)
                with store.engine.connect() as conn:
                    conn.exec_driver_sql(
                        "SELECT id, lat, lon FROM meetings WHERE geom && "
                        f"ST_MakeEnvelope({w}, {s}, {e}, {nn}, 4326)").all()

            rows.append((n, "bare PostGIS", "within 10 km", *timed(bare_pg, queries)))
            rows.append((n, "store PostGIS", "within 10 km",
                         *timed(lambda q: store.spatial.within("meetings", q, 10.0), queries)))
            rows.append((n, "store PostGIS", "20 nearest",
                         *timed(lambda q: store.spatial.nearest("meetings", q, 20), queries)))
            store.dispose()
    if pg is not None:
        pg.stop()
    print(f"{'N':>9}  {'what':<14} {'query':<13} {'p50 ms':>8} {'p95 ms':>8}")
    for n, what, query, p50, p95 in rows:
        print(f"{n:>9}  {what:<14} {query:<13} {p50:>8.3f} {p95:>8.3f}")
    ratio, n = headline
    print(f"ratio: {ratio:.2f} (store within-10km p50 over bare cKDTree p50, SQLite, N={n})")


if __name__ == "__main__":
    main()
