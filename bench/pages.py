"""``GET /hotspots`` end to end, per role, cold and warm, against ``/healthz`` in the same run.

The demo data set and its accounts are loaded into a SQLite store; a Flask test client of
``service.create_app`` signs in (a real ``POST /login``) as the hotspot lead and as the admin.
The process is warmed up first (one visit per role and its two map frames: imports,
templates, the shipped demand), then, for each role and each of ``--repeat`` rounds:

* **cold**: a real write (one meeting renamed: the meetings' change counter moves, so every
  cached answer's key changes) and then ``GET /hotspots``: the first answer after a data
  change. The exact site solver and "links worth making" start in the background; the page
  answers with greedy's sites and says what is still being worked out;
* **warm**: once the background work has ended, the best of ``--repeat`` later visits;
* the two map frames (``/hotspots/maps/coverage``, ``/hotspots/maps/growth``) that the page
  loads on its own, cold (right after the data change and the page) and warm;
* the baseline: ``GET /healthz`` by the same signed-in client (the framework, the session and
  one store round trip), best of ``--repeat``, in the same run.

Cold figures are the best and the median of the rounds. Last line:
``ratio: X (cold /hotspots over /healthz, worst role)``.
"""

from __future__ import annotations

import argparse
import logging
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from ingest.demo import load_demo
from service import create_app
from service import get_store
from service.cli import interest_rows
from service.usecases.accounts import DEMO_ACCOUNTS
from service.usecases.accounts import create_demo_users
from service.usecases.coverage_cache import cache_for
from store import Store
from store import models

ROLES = ("hotspot_lead", "admin")
FRAMES = ("/hotspots/maps/coverage", "/hotspots/maps/growth")


def seconds_of(client: Any, url: str) -> float:
    t0 = time.perf_counter()
    response = client.get(url)
    seconds = time.perf_counter() - t0
    if response.status_code != 200:
        msg = f"GET {url} answered {response.status_code}"
        raise RuntimeError(msg)
    return seconds


def touch(store: Store, n: int) -> None:
    """A real write that every cached answer depends on: rename one meeting."""
    with store.session() as s:
        meeting = s.get(models.Meeting, min(s.query(models.Meeting.id).all())[0])
        meeting.name = meeting.name.split(" #", 1)[0] + f" #{n}"


def demo_app(folder: Path) -> Any:
    """The app on a SQLite store in ``folder`` with the demo data and the demo staff accounts."""
    store = Store(f"sqlite:///{folder / 'demo.db'}")
    store.init_db()
    store.seed_interests(interest_rows())
    load_demo(store)
    create_demo_users(store)
    store.dispose()
    return create_app({"TESTING": True, "DATABASE_URL": store.url, "SECRET_KEY": "bench",
                       "INSTANCE_PATH": str(folder)})


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--quick", action="store_true", help="3 rounds instead of 7")
    parser.add_argument("--repeat", type=int, default=None, help="rounds (cold) and visits (warm)")
    args = parser.parse_args()
    repeat = args.repeat or (3 if args.quick else 7)
    logging.disable(logging.INFO)  # the request log lines are not the table
    accounts = {a["role"]: a for a in DEMO_ACCOUNTS}
    cold: dict[tuple[str, str], list[float]] = {}
    warm: dict[tuple[str, str], float] = {}
    with tempfile.TemporaryDirectory() as tmp:
        app = demo_app(Path(tmp))
        cache = cache_for(get_store(app))
        clients = {}
        for role in ROLES:
            client = app.test_client()
            login = client.post("/login", data={"email": accounts[role]["email"],
                                                "password": accounts[role]["password"]})
            if login.status_code != 302:
                msg = f"sign-in as {role} answered {login.status_code}"
                raise RuntimeError(msg)
            clients[role] = client
            for url in ("/hotspots", *FRAMES, "/healthz"):  # warm the process up
                seconds_of(client, url)
            cache.wait_background()
        n = 0
        for role, client in clients.items():
            for _ in range(repeat):
                n += 1
                touch(get_store(app), n)
                cache.wait_background()
                cold.setdefault((role, "/hotspots"), []).append(seconds_of(client, "/hotspots"))
                for url in FRAMES:
                    cold.setdefault((role, url), []).append(seconds_of(client, url))
                cache.wait_background()
            for url in ("/hotspots", *FRAMES, "/healthz"):
                warm[role, url] = min(seconds_of(client, url) for _ in range(repeat))
        get_store(app).dispose()
    print(f"load average {' '.join(f'{x:.2f}' for x in os.getloadavg())}; {repeat} rounds")
    print(f"{'role':<13} {'what':<26} {'cold best':>10} {'cold median':>12} {'warm best':>10}"
          f" {'cold/healthz':>13} {'warm/healthz':>13}")
    worst = 0.0
    for role in ROLES:
        base = warm[role, "/healthz"]
        for url in ("/hotspots", *FRAMES):
            runs = cold[role, url]
            ratio = min(runs) / base
            if url == "/hotspots":
                worst = max(worst, ratio)
            print(f"{role:<13} {url:<26} {1000 * min(runs):>8.1f}ms "
                  f"{1000 * statistics.median(runs):>10.1f}ms {1000 * warm[role, url]:>8.1f}ms"
                  f" {ratio:>13.1f} {warm[role, url] / base:>13.1f}")
        print(f"{role:<13} {'/healthz':<26} {'':>10} {'':>12} {1000 * base:>8.1f}ms")
    print(f"ratio: {worst:.1f} (cold /hotspots over /healthz, worst role, best of {repeat})")


if __name__ == "__main__":
    main()
