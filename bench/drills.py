"""Failure drills under load: restart the primary, lose a replica, restart Redis.

Not a timed test: it starts the whole production topology on loopback (a PostGIS primary
with the demo data, a streaming replica, ``redis-server``, gunicorn with 2+ workers using
all three), drives it with ``wrk`` for the whole run with a peer traffic mix, and meanwhile:

(a) restarts the primary (``pg_ctl restart -m fast``);
(b) kills the replica (``-m immediate``) and starts it again 10 s later;
(c) restarts Redis (kill, start; its counters and sessions are lost, as in a crash).

wrk's Lua script notes the time of every failed request (non-2xx, measured in the client),
so each drill reports its failed requests, the failure window (first to last failure) and
the recovery time (from the start of the action to the last failure; 0 when none failed).
The baseline is the quiet phase before the first drill: its requests per second are
compared with those of the whole run. The gunicorn worker ids are compared before and
after (no process restarts), and the server log is counted (outages log a line per interval,
not one per request).

The traffic: peer searches (``/api/recommendations``, replica reads), listings
(``/api/meetings``, ``/api/opportunities``, replica reads) and public opportunity pages
(replica reads too), and, read on the primary, ``/healthz`` (a load balancer's check) and a
signed-in partner's ``/partner/`` page. wrk must be installed (Debian: ``apt-get install wrk``).

Last line: ``drills: primary N failed in Xs, replica 0 failed, redis 0 failed``.
"""

from __future__ import annotations

import argparse
import random
import re
import shutil
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.parse
import urllib.request
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench._data import query_points
from bench._serve import free_port
from bench._serve import require_wrk
from bench._serve import socket_errors
from bench._serve import start_gunicorn
from bench._serve import worker_pids
from bench._serve import wrk_command
from ingest.demo import load_demo
from matching.taxonomy import SLUGS
from service.cli import interest_rows
from service.usecases.accounts import hash_password
from store import Store
from store.reads import export_records
from store.users import create_user
from testing.throwaway import start_postgis
from testing.throwaway import start_redis
from testing.throwaway import start_replica
from testing.throwaway import wait_replayed

PASSWORD = "drills-partner-password"  # noqa: S105 - a throwaway account on a throwaway db

LUA = r"""
local ffi = require("ffi")
ffi.cdef[[
typedef struct { long tv_sec; long tv_usec; } cg_timeval;
int gettimeofday(cg_timeval *tv, void *tz);
]]
local tv = ffi.new("cg_timeval")
local function now()
  ffi.C.gettimeofday(tv, nil)
  return tonumber(tv.tv_sec) + tonumber(tv.tv_usec) / 1e6
end
local threads = {}
local counter = 0
local out = nil

function setup(thread)
  thread:set("id", #threads + 1)
  table.insert(threads, thread)
end

function init(args)
  cookie = args[2]
  out = io.open(args[1] .. "/fail-" .. id .. ".log", "w")
  okfile = io.open(args[1] .. "/ok-" .. id .. ".log", "w")
  lastsec = 0
  okcount = 0
end

request = function()
  counter = counter + 1
  local path = paths[(counter % #paths) + 1]
  if string.sub(path, 1, 9) == "/partner/" then
    return wrk.format("GET", path, {["Cookie"] = cookie})
  end
  return wrk.format("GET", path)
end

response = function(status, headers, body)
  local t = now()
  if status >= 400 then
    out:write(string.format("%.3f %d\n", t, status))
    out:flush()
  else
    local sec = math.floor(t)
    if sec ~= lastsec then
      if lastsec > 0 then okfile:write(string.format("%d %d\n", lastsec, okcount)) end
      okfile:flush()
      lastsec = sec
      okcount = 0
    end
    okcount = okcount + 1
  end
end
"""


def write_script(folder: Path, opportunity_ids: list[int], base: str, cookie: str, *,
                 seed: int = 5) -> Path:
    """The wrk script: the Lua above with a shuffled mix of peer requests.

    Only paths that answer 200 before the drills are kept, so a failure is the drills'.
    """
    rng = random.Random(seed)
    paths = []
    for lat, lon in query_points(120, seed=seed):
        interests = ",".join(rng.sample(SLUGS, rng.choice((1, 2))))
        paths.append(f"/api/recommendations?lat={lat:.5f}&lon={lon:.5f}"
                     f"&interests={interests}&radius_km=15&limit=10")
        paths.append(f"/api/meetings?lat={lat:.5f}&lon={lon:.5f}&radius_km=10&limit=20")
    paths += ["/api/opportunities?limit=20", "/api/meetings?limit=20"] * 20
    paths += [f"/opportunities/{i}" for i in rng.sample(opportunity_ids, 60)]
    # Read on the primary: the load balancer's health check and a signed-in partner.
    paths += ["/healthz"] * 15 + ["/partner/"] * 15
    good = set()
    for path in set(paths):
        request = urllib.request.Request(base + path, headers={"Cookie": cookie})
        try:
            with urllib.request.urlopen(request, timeout=60) as answer:
                if answer.status == 200:
                    good.add(path)
        except OSError:
            pass
    paths = [p for p in paths if p in good]
    rng.shuffle(paths)
    lua = folder / "drills.lua"
    body = ",\n".join(f'  "{p}"' for p in paths)
    lua.write_text(f"paths = {{\n{body}\n}}\n{LUA}")
    return lua


def sign_in(base: str, email: str, password: str) -> str:
    """Sign in through the login form (with its CSRF token); returns the Cookie header."""
    import http.cookiejar

    jar = http.cookiejar.CookieJar()
    opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(jar))
    page = opener.open(f"{base}/login", timeout=30).read().decode()
    token = re.search(r'name="csrf_token" value="([^"]+)"', page).group(1)
    data = urllib.parse.urlencode({"email": email, "password": password,
                                   "csrf_token": token}).encode()
    opener.open(f"{base}/login", data=data, timeout=30).read()
    return "; ".join(f"{c.name}={c.value}" for c in jar)


def staff_page_ok(base: str, cookie: str) -> bool:
    """Whether the signed-in partner still reaches their portal (not sent to sign in)."""

    class NoRedirect(urllib.request.HTTPRedirectHandler):
        def redirect_request(self, *args: object, **kwargs: object) -> None:
            return None

    opener = urllib.request.build_opener(NoRedirect)
    request = urllib.request.Request(f"{base}/partner/", headers={"Cookie": cookie})
    try:
        with opener.open(request, timeout=30) as answer:
            return answer.status == 200
    except urllib.error.HTTPError:
        return False


def read_failures(folder: Path) -> list[tuple[float, int]]:
    """Every failed request as ``(unix time, status)``, in time order."""
    fails = []
    for path in folder.glob("fail-*.log"):
        for line in path.read_text().splitlines():
            t, status = line.split()
            fails.append((float(t), int(status)))
    return sorted(fails)


def read_ok_per_second(folder: Path) -> dict[int, int]:
    """Successful requests per wall-clock second, over all wrk threads."""
    counts: dict[int, int] = {}
    for path in folder.glob("ok-*.log"):
        for line in path.read_text().splitlines():
            sec, n = (int(v) for v in line.split())
            counts[sec] = counts.get(sec, 0) + n
    return counts


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--connections", type=int, default=8)
    parser.add_argument("--quiet-s", type=float, default=8.0, help="baseline phase")
    parser.add_argument("--replica-down-s", type=float, default=10.0)
    args = parser.parse_args()
    require_wrk()

    tmp = Path(tempfile.mkdtemp(prefix="cg-drills-"))
    primary = start_postgis(dbname="commonground")
    replica = redis = server = None
    try:
        store = Store(primary.url)
        store.init_db()
        store.seed_interests(interest_rows())
        load_demo(store)
        opportunity_ids = [int(r["id"]) for r in export_records(store, "opportunities")]
        association = next(r for r in export_records(store, "associations")
                           if r["status"] == "approved")
        create_user(store, email="drills@partner.example", role="association",
                    password_hash=hash_password(PASSWORD), association_id=association["id"])
        store.dispose()
        replica = start_replica(primary)
        wait_replayed(primary, replica)
        redis = start_redis(persist=True)  # as in production: sessions survive a restart
        port = free_port()
        log = tmp / "gunicorn.log"
        env = {"DATABASE_URL": primary.url, "DATABASE_REPLICA_URLS": replica.url,
               "REDIS_URL": redis.url, "SECRET_KEY": "drills", "COMMONGROUND_LOG_LEVEL":
               "WARNING", "COMMONGROUND_SECURE_COOKIES": "0"}
        server = start_gunicorn(env, port, workers=args.workers, log=log)
        base = f"http://127.0.0.1:{port}"
        for _ in range(args.workers * 6):  # warm every worker's catalogue and pools
            urllib.request.urlopen(f"{base}/api/recommendations?lat=53.48&lon=-2.24&limit=1",
                                   timeout=120).read()
        cookie = sign_in(base, "drills@partner.example", PASSWORD)
        pids_before = worker_pids(server.pid)
        log_lines_before = len(log.read_text(errors="replace").splitlines())
        script = write_script(tmp, opportunity_ids, base, cookie)

        total_s = args.quiet_s + 10 + args.replica_down_s + 12 + 12
        wrk = subprocess.Popen(
            wrk_command(base, threads=2, connections=args.connections, seconds=total_s,
                        timeout_s=5, script=script, script_args=(str(tmp), cookie)),
            stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
        )
        started = time.time()
        actions: dict[str, tuple[float, float]] = {}
        time.sleep(args.quiet_s)

        t0 = time.time()
        primary.restart(mode="fast")
        actions["primary"] = (t0, time.time())
        time.sleep(10)

        t0 = time.time()
        replica.kill()
        time.sleep(args.replica_down_s)
        replica.start()
        actions["replica"] = (t0, time.time())
        time.sleep(12)

        t0 = time.time()
        redis.restart()
        actions["redis"] = (t0, time.time())

        out, _ = wrk.communicate(timeout=total_s + 60)
        ended = time.time()
        pids_after = worker_pids(server.pid)
        still_signed_in = staff_page_ok(base, cookie)
        log_text = log.read_text(errors="replace").splitlines()[log_lines_before:]
    finally:
        if server is not None:
            server.terminate()
            server.wait(timeout=30)
        for s in (redis, replica, primary):
            if s is not None:
                s.stop()

    fails = read_failures(tmp)
    ok = read_ok_per_second(tmp)
    total = re.search(r"(\d+) requests in", out)
    n_socket_errors = socket_errors(out)
    quiet = [n for s, n in ok.items() if started + 1 <= s < actions["primary"][0] - 1]
    whole = [n for s, n in ok.items() if started + 1 <= s < ended - 1]
    base_rps = sum(quiet) / max(1, len(quiet))
    run_rps = sum(whole) / max(1, len(whole))

    bounds = {"primary": (actions["primary"][0], actions["replica"][0]),
              "replica": (actions["replica"][0], actions["redis"][0]),
              "redis": (actions["redis"][0], ended + 1)}
    print(f"gunicorn -w {args.workers} -k gthread --threads 4 (PostGIS primary + streaming "
          f"replica + Redis); wrk -t2 -c{args.connections} for {total_s:.0f} s; "
          f"{total.group(1) if total else '?'} requests, socket errors {n_socket_errors}")
    print(f"{'drill':<10}{'action s':>9}{'failed':>8}{'window s':>10}{'recovery s':>12}"
          f"{'statuses':>12}")
    result: dict[str, tuple[int, float]] = {}
    before_first = [f for f in fails if f[0] < bounds["primary"][0]]
    for name, (lo, hi) in bounds.items():
        mine = [f for f in fails if lo <= f[0] < hi]
        start, finish = actions[name]
        window = mine[-1][0] - mine[0][0] if mine else 0.0
        recovery = max(0.0, mine[-1][0] - start) if mine else 0.0
        statuses = ",".join(sorted({str(s) for _, s in mine})) or "-"
        result[name] = (len(mine), window)
        print(f"{name:<10}{finish - start:>9.2f}{len(mine):>8}{window:>10.2f}"
              f"{recovery:>12.2f}{statuses:>12}")
    print(f"failed before the first drill: {len(before_first)}")
    print(f"worker processes: before {pids_before}, after {pids_after} "
          f"({'no restarts' if pids_before == pids_after else 'RESTARTED'})")
    print(f"the partner signed in before the drills is still signed in: "
          f"{'yes' if still_signed_in else 'NO'}")
    print(f"server log lines during the drills: {len(log_text)}")
    for line in log_text[:12]:
        print(f"  | {line[:150]}")
    print(f"baseline (quiet phase): {base_rps:.0f} req/s; whole run {run_rps:.0f} req/s; "
          f"ratio {run_rps / base_rps if base_rps else 0:.2f}")
    print(f"drills: primary {result['primary'][0]} failed in {result['primary'][1]:.1f}s, "
          f"replica {result['replica'][0]} failed, redis {result['redis'][0]} failed")
    shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    main()
