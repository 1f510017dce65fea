"""The bad-rows case of bench/ingest.py: a large CSV whose every row is rejected.

Each row fails in one of the ways real files do (no name, swapped coordinates, coordinates
that are not numbers, a postcode that does not exist, the (0, 0) placeholder) and has an
``ftp://`` website (left out with a warning). The file is loaded with ``commonground ingest
associations FILE --report r.json`` in a child process, once with this checkout and once with
a baseline commit (exported with ``git archive`` into a temporary folder), into fresh SQLite
stores; wall time, CPU time and peak RSS of each child come from ``os.wait4``.
"""

from __future__ import annotations

import csv
import os
import random
import subprocess
import sys
import tarfile
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
BASELINE_REF = "d0d0db7"
"""The commit before issue 10's ingest work ("now" in the issue's figures)."""


def write_bad_rows(path: Path, megabytes: float) -> int:
    """Write about ``megabytes`` MB of bad association rows; return the row count."""
    rng = random.Random(1)
    target = int(megabytes * 1e6)
    with path.open("w", newline="", encoding="utf-8") as fh:
        writer = csv.writer(fh)
        writer.writerow(["id", "name", "category", "description", "website", "postcode",
                         "lat", "lon"])
        i = 0
        while fh.tell() < target:
            i += 1
            kind = i % 5
            lat, lon = 53.4 + rng.random() / 10, -2.3 + rng.random() / 10
            postcode = ""
            if kind == 1:
                lat, lon = lon, lat
            elif kind == 2:
                lat, lon = "north", "west"
            elif kind == 3:
                lat, lon, postcode = "", "", "ZZ9 9ZZ"
            elif kind == 4:
                lat, lon = 0, 0
            writer.writerow([f"b{i}", f"Association {i}" if kind else "", "charity",
                             "A description of the association " * 4, "ftp://example.org",
                             postcode, lat, lon])
    return i


def export_ref(ref: str, folder: Path) -> Path:
    """The tree of ``ref`` in ``folder`` (for the baseline run)."""
    archive = folder / "baseline.tar"
    subprocess.run(["git", "-C", str(ROOT), "archive", "-o", str(archive), ref], check=True)
    with tarfile.open(archive) as tar:
        tar.extractall(folder / "src", filter="data")
    return folder / "src"


def run_cli(src: Path, db: Path, *args: str) -> dict[str, Any]:
    """Run ``commonground`` from ``src`` as a child; its wall/CPU seconds and peak RSS."""
    env = {**os.environ, "PYTHONPATH": str(src)}
    env.pop("DATABASE_URL", None)
    url = f"sqlite:///{db}"
    subprocess.run([sys.executable, "-m", "service.cli", "--database-url", url, "init-db"],
                   check=True, env=env, cwd=src, capture_output=True)
    t0 = time.perf_counter()
    proc = subprocess.Popen([sys.executable, "-m", "service.cli", "--database-url", url,
                             *args], env=env, cwd=src, stdout=subprocess.DEVNULL,
                            stderr=subprocess.PIPE)
    _, status, usage = os.wait4(proc.pid, 0)
    wall = time.perf_counter() - t0
    proc.returncode = os.waitstatus_to_exitcode(status)
    err = proc.stderr.read().decode() if proc.stderr else ""
    if proc.returncode not in (0, 1):
        msg = f"{src}: exit {proc.returncode}: {err[-2000:]}"
        raise RuntimeError(msg)
    return {"wall_s": wall, "cpu_s": usage.ru_utime + usage.ru_stime,
            "peak_rss_mb": usage.ru_maxrss / 1024}


def bad_rows_case(megabytes: float, tmp: Path, *, baseline_ref: str | None
                  ) -> list[tuple[str, dict[str, Any]]]:
    """Rows of the bad-rows table: (label, figures incl. rows and report size)."""
    path = tmp / "bad_rows.csv"
    rows = write_bad_rows(path, megabytes)
    results = []
    runs = [("this checkout", ROOT)]
    if baseline_ref:
        runs.append((f"baseline {baseline_ref}", export_ref(baseline_ref, tmp)))
    for label, src in runs:
        report = tmp / f"report-{len(results)}.json"
        figures = run_cli(src, tmp / f"bad-{len(results)}.db", "ingest", "associations",
                          str(path), "--report", str(report))
        figures.update(rows=rows, file_mb=path.stat().st_size / 1e6,
                       report_mb=report.stat().st_size / 1e6)
        results.append((label, figures))
    return results


def print_bad_rows(results: list[tuple[str, dict[str, Any]]]) -> None:
    """The bad-rows table and the speed ratio to the baseline."""
    print(f"{'bad rows (every row rejected)':<34} {'rows':>8} {'MB':>6} {'wall s':>8} "
          f"{'CPU s':>8} {'peak RSS MB':>12} {'report MB':>10}")
    for label, f in results:
        print(f"{label:<34} {f['rows']:>8} {f['file_mb']:>6.1f} {f['wall_s']:>8.1f} "
              f"{f['cpu_s']:>8.1f} {f['peak_rss_mb']:>12.0f} {f['report_mb']:>10.2f}")
    if len(results) == 2:
        new, old = results[0][1], results[1][1]
        print(f"bad rows: {old['cpu_s'] / new['cpu_s']:.2f}x less CPU, "
              f"{old['wall_s'] / new['wall_s']:.2f}x faster wall-clock than the baseline")
