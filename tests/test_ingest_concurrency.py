"""Issue 10, point 6: concurrency without loss, with real concurrent processes.

SQLite: one writer at a time (``BEGIN IMMEDIATE`` and a busy timeout); a second load waits,
and past the timeout says "another load is running" in one line; an edit during a load waits
and succeeds. PostGIS: loads of one kind serialise on an advisory lock. On both, the same
records loaded at once under two source names end as one set of records.
"""

from __future__ import annotations

import contextlib
import csv
import json
import os
import subprocess
import sys
import textwrap
import threading
from pathlib import Path

import pytest

from store import Store

ROOT = Path(__file__).resolve().parents[1]
N = 1500


def _env(**extra: str) -> dict[str, str]:
    env = {**os.environ, "PYTHONPATH": str(ROOT), **extra}
    env.pop("DATABASE_URL", None)
    return env


def _cli(url: str, *args: str, **env: str) -> subprocess.Popen[str]:
    return subprocess.Popen(
        [sys.executable, "-m", "service.cli", "--database-url", url, *args],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=_env(**env), cwd=ROOT)


def _clubs(path: Path, n: int = N) -> Path:
    with path.open("w", newline="", encoding="utf-8") as fh:
        writer = csv.writer(fh)
        writer.writerow(["id", "name", "lat", "lon"])
        writer.writerows([f"c{i}", f"Club number {i}", 53.0 + i / 2000, -2.3]
                         for i in range(n))
    return path


def test_the_same_records_loaded_at_once_under_two_sources_are_one_set(
    store: Store, tmp_path: Path
) -> None:
    path = _clubs(tmp_path / "clubs.csv")
    loads = [_cli(store.url, "ingest", "associations", str(path), "--source", name, "--json")
             for name in ("first", "second")]
    outs = [p.communicate(timeout=300) for p in loads]
    for p, (_out, err) in zip(loads, outs, strict=True):
        assert p.returncode == 0, err
    reports = [json.loads(out) for out, _ in outs]
    assert store.counts()["associations"] == N
    assert sorted(r["inserted"] for r in reports) == [0, N]
    assert max(len(r["merged"]) for r in reports) == min(N, 1000)


def _hold_write_lock(url: str, ready: Path, stop: Path) -> subprocess.Popen[str]:
    """A process that writes and holds the store's write lock (a long load) until ``stop``."""
    code = textwrap.dedent(f"""
        import time
        from pathlib import Path
        from sqlalchemy import text
        from store import Store
        store = Store({url!r})
        with store.session() as s:
            s.execute(text("UPDATE data_versions SET version = version + 1 "
                           "WHERE table_name = 'postcodes'"))
            Path({str(ready)!r}).write_text("locked")
            for _ in range(1200):
                if Path({str(stop)!r}).exists():
                    break
                time.sleep(0.1)
        store.dispose()
    """)
    return subprocess.Popen([sys.executable, "-c", code], env=_env(), cwd=ROOT, text=True,
                            stderr=subprocess.PIPE)


def _wait_for(path: Path, proc: subprocess.Popen[str]) -> None:
    for _ in range(600):
        if path.exists():
            return
        if proc.poll() is not None:
            pytest.fail(f"the lock holder ended early: {proc.stderr.read() if proc.stderr else ''}")
        subprocess.run([sys.executable, "-c", "import time; time.sleep(0.05)"], check=True)
    pytest.fail("the lock holder never took the lock")


def test_sqlite_second_load_waits_then_says_another_load_is_running(
    sqlite_store: Store, tmp_path: Path
) -> None:
    path = _clubs(tmp_path / "clubs.csv", 20)
    ready, stop = tmp_path / "ready", tmp_path / "stop"
    holder = _hold_write_lock(sqlite_store.url, ready, stop)
    try:
        _wait_for(ready, holder)
        load = _cli(sqlite_store.url, "ingest", "associations", str(path),
                    COMMONGROUND_BUSY_TIMEOUT="1")
        out, err = load.communicate(timeout=300)
    finally:
        stop.write_text("stop")
        holder.communicate(timeout=60)
    assert load.returncode == 1
    lines = (out + err).strip().splitlines()
    assert len(lines) == 1, out + err
    assert "another load is running" in lines[0]
    assert sqlite_store.counts()["associations"] == 0
    # With the default timeout (30 s) the same load waits for the lock and succeeds.
    ready, stop = tmp_path / "ready2", tmp_path / "stop2"
    holder = _hold_write_lock(sqlite_store.url, ready, stop)
    try:
        _wait_for(ready, holder)
        load = _cli(sqlite_store.url, "ingest", "associations", str(path))
        with contextlib.suppress(subprocess.TimeoutExpired):  # still waiting, as it should
            load.communicate(timeout=8)
    finally:
        stop.write_text("stop")
        holder.communicate(timeout=60)
    out, err = load.communicate(timeout=300)
    assert load.returncode == 0, err
    assert sqlite_store.counts()["associations"] == 20


def test_sqlite_partner_edit_during_a_load_waits_and_succeeds(
    sqlite_store: Store, tmp_path: Path
) -> None:
    from service import create_app
    from service import get_store
    from store.partner import create_opportunity
    from store.partner import update_opportunity
    from store.reads import export_records

    path = _clubs(tmp_path / "clubs.csv", 3)
    load = _cli(sqlite_store.url, "ingest", "associations", str(path))
    load.communicate(timeout=300)
    assert load.returncode == 0
    assoc = export_records(sqlite_store, "associations")[0]["id"]
    need = create_opportunity(sqlite_store, assoc, {"title": "Towpath crew"})
    app = create_app({"TESTING": True, "DATABASE_URL": sqlite_store.url,
                      "SECRET_KEY": "t", "INSTANCE_PATH": str(tmp_path)})
    ready, stop = tmp_path / "ready", tmp_path / "stop"
    holder = _hold_write_lock(sqlite_store.url, ready, stop)
    # Release the lock 2 s after it is taken, while the edit below is waiting for it.
    release = threading.Timer(2.0, stop.write_text, args=("stop",))
    try:
        _wait_for(ready, holder)
        release.start()
        updated = update_opportunity(get_store(app), assoc, need["id"],
                                     {"title": "Towpath crew (Saturdays)"})
    finally:
        release.cancel()
        stop.write_text("stop")
        holder.communicate(timeout=60)
        get_store(app).dispose()
    assert updated["title"] == "Towpath crew (Saturdays)"
