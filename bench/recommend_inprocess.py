"""In-process recommendation latency at N listings, without a database (quick at 1M).

    python bench/recommend_inprocess.py 1000000

The same rows and queries as ``bench/recommend.py`` (half 1-2 interests, half everyday
words), held in a ``FrameCandidates`` source: the recommender answers from its catalogue
exactly as it does on SQLite (``in_process``), without the minutes of loading a database.
Prints p50/p95 of recommend, with the total (what the service asks), of its everyday-words
half, and of a cold pass (text caches emptied), against a bare cKDTree all-within-15 km in
the same run, and the p95 ratio; each the best of three passes, with the load average. Then
the CPU time of recommend + total and of the everyday-words half (``time.process_time``: on a
shared machine the elapsed time also counts the waits for a core).
"""

from __future__ import annotations

import dataclasses
import json
import sys
import time
from pathlib import Path

import pandas as pd
from scipy.spatial import cKDTree

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench import recommend as br
from geo.distance import chord_from_km
from geo.distance import unit_vectors
from matching.candidates import FrameCandidates
from matching.recommend import Recommender


def main() -> None:
    """Build, time, print."""
    n = int(sys.argv[1]) if len(sys.argv) > 1 else 100_000
    t0 = time.perf_counter()
    assocs, rows, is_open = br.make_rows(n)
    df = pd.DataFrame(rows, columns=br.OPP_COLUMNS)
    for column in ("interests", "skills", "weekdays", "accessibility"):
        df[column] = [json.loads(v) for v in df[column]]
    names = {a[0]: (a[1], a[2]) for a in assocs}
    df["association"] = [names[a][0] for a in df["association_id"]]
    df["category"] = [names[a][1] for a in df["association_id"]]
    rec = Recommender(FrameCandidates(df))
    queries = br.make_queries(300)
    print(f"rows {time.perf_counter() - t0:.0f} s; load {br.load()}", flush=True)
    first = br.first_request(rec, queries[0])
    print(f"first request (builds the catalogue) {first:.1f} s", flush=True)
    lat, lon = df["lat"].to_numpy(), df["lon"].to_numpy()
    tree = cKDTree(unit_vectors(lat[is_open], lon[is_open]))
    chord = chord_from_km(br.RADIUS_KM)
    points = [q.origin.latlon for q in queries]
    counted = [dataclasses.replace(q, with_total=True) for q in queries]
    cold = br.cold(rec.recommend, counted)
    bare = br.timed(lambda q: tree.query_ball_point(unit_vectors([q[0]], [q[1]])[0], chord),
                    points)
    engine = br.timed(rec.recommend, queries)
    words = br.timed(rec.recommend, [q for q in counted if q.text])
    total = br.timed(rec.recommend, counted)
    print(f"N={n} bare within 15 km p50/p95 {bare[0]:.3f}/{bare[1]:.3f} ms; "
          f"recommend {engine[0]:.3f}/{engine[1]:.3f}; with total {total[0]:.3f}/"
          f"{total[1]:.3f}; everyday words (with total) {words[0]:.3f}/{words[1]:.3f}; "
          f"cold pass with total {cold[0]:.3f}/{cold[1]:.3f}; load {br.load()}")
    cpu_total = br.timed(rec.recommend, counted, clock=time.process_time)
    cpu_words = br.timed(rec.recommend, [q for q in counted if q.text], clock=time.process_time)
    print(f"CPU time (process_time, not waiting for a core): recommend + total p50/p95 "
          f"{cpu_total[0]:.3f}/{cpu_total[1]:.3f} ms; everyday words (with total) "
          f"{cpu_words[0]:.3f}/{cpu_words[1]:.3f}; load {br.load()}")
    print(f"ratio: {total[1] / bare[1]:.2f} (recommend with total p95 over bare within-15km "
          "p95; best of 3 passes)")


if __name__ == "__main__":
    main()
