"""Time to answer the hotspot dashboard on the demo data, against ``/healthz`` in the same run.

The demo data set and its accounts are loaded into a SQLite store; a Flask test client of
``service.create_app`` signs in as the hotspot lead and as the admin (a real ``POST /login``)
and asks for ``GET /hotspots``: the first visit (coverage, gaps, sites, growth computed, then
cached) and the best of ``--repeat`` later visits (served from the cache). The baseline is
``GET /healthz`` by the same signed-in client (the framework and one store round trip).
Before this script, a unit test asserted "under 2 s" for the later visit; the figure lives
here now, and tests/test_hotspots.py checks only that the later visit shows the same tables.

Last line: ``ratio: X (later /hotspots seconds over /healthz seconds, hotspot lead, demo)``.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from ingest.demo import load_demo
from service import create_app
from service.cli import interest_rows
from service.usecases.accounts import DEMO_ACCOUNTS
from service.usecases.accounts import create_demo_users
from store import Store

ROLES = ("hotspot_lead", "admin")


def seconds_of(client: Any, url: str) -> float:
    t0 = time.perf_counter()
    response = client.get(url)
    seconds = time.perf_counter() - t0
    if response.status_code != 200:
        msg = f"GET {url} answered {response.status_code}"
        raise RuntimeError(msg)
    return seconds


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--quick", action="store_true", help="3 later visits instead of 10")
    parser.add_argument("--repeat", type=int, default=None, help="later visits (best of)")
    args = parser.parse_args()
    repeat = args.repeat or (3 if args.quick else 10)
    accounts = {a["role"]: a for a in DEMO_ACCOUNTS}
    labels = {"first": "/hotspots, first visit", "later": f"/hotspots, best of {repeat} later",
              "healthz": f"/healthz, best of {repeat}"}
    seconds: dict[tuple[str, str], float] = {}
    with tempfile.TemporaryDirectory() as tmp:
        store = Store(f"sqlite:///{tmp}/demo.db")
        store.init_db()
        store.seed_interests(interest_rows())
        load_demo(store)
        create_demo_users(store)
        store.dispose()
        app = create_app({"TESTING": True, "DATABASE_URL": store.url, "SECRET_KEY": "bench",
                          "INSTANCE_PATH": tmp})
        for role in ROLES:
            client = app.test_client()
            login = client.post("/login", data={"email": accounts[role]["email"],
                                                "password": accounts[role]["password"]})
            if login.status_code != 302:
                msg = f"sign-in as {role} answered {login.status_code}"
                raise RuntimeError(msg)
            seconds[role, "first"] = seconds_of(client, "/hotspots")
            seconds[role, "later"] = min(seconds_of(client, "/hotspots") for _ in range(repeat))
            seconds[role, "healthz"] = min(seconds_of(client, "/healthz") for _ in range(repeat))
    print(f"{'role':<13} {'what':<36} {'seconds':>9}")
    for (role, kind), value in seconds.items():
        print(f"{role:<13} {labels[kind]:<36} {value:>9.3f}")
    for role in ROLES:
        first, later, base = (seconds[role, k] for k in ("first", "later", "healthz"))
        print(f"{role:<13} {'ratio first/later /hotspots':<36} {first / later:>9.1f}")
        print(f"{role:<13} {'ratio later /hotspots over /healthz':<36} {later / base:>9.1f}")
    ratio = seconds["hotspot_lead", "later"] / seconds["hotspot_lead", "healthz"]
    print(f"ratio: {ratio:.1f} (later /hotspots seconds over /healthz seconds, hotspot lead, "
          "demo)")

if __name__ == "__main__":
    main()
