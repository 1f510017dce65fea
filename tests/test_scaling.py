"""Beyond one machine, on real servers: a PostGIS primary with a streaming replica, and Redis.

Replica routing, read-your-writes, a lost replica, shared sign-in limits and session
revocation across two app instances (two workers), and what a lost database or Redis
answers. The servers come from ``tests/conftest.py`` (``replication``, ``redis_server``).
"""

from __future__ import annotations

import datetime as dt
import logging
import re
import socket
import time
from typing import TYPE_CHECKING

import pytest
from sqlalchemy import create_engine
from sqlalchemy import text
from test_auth import PASSWORD
from test_auth import add_association
from test_auth import add_user
from test_auth import login
from test_partner import _form

from service import create_app
from service import get_store
from service.usecases.coverage import coverage_result
from service.usecases.coverage import site_suggestion
from service.usecases.coverage_cache import ResultCache
from service.usecases.coverage_cache import use_cache
from store import Store
from store import models
from store.coverage import organisations_frame
from store.coverage import regions_frame
from testing.throwaway import start_redis
from testing.throwaway import wait_replayed

if TYPE_CHECKING:
    from collections.abc import Iterator
    from pathlib import Path

    from flask import Flask


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _replay(replica_url: str, *, paused: bool) -> None:
    engine = create_engine(replica_url)
    with engine.connect() as conn:
        fn = "pg_wal_replay_pause" if paused else "pg_wal_replay_resume"
        conn.execute(text(f"SELECT {fn}()"))
    engine.dispose()


@pytest.fixture
def paused(replication) -> Iterator[dict[str, object]]:
    """The replication pair with the replica's replay paused (resumed afterwards)."""
    wait_replayed(replication["primary"], replication["replica"])
    _replay(replication["replica_url"], paused=True)
    try:
        yield replication
    finally:
        _replay(replication["replica_url"], paused=False)
        wait_replayed(replication["primary"], replication["replica"])


def _add_region(store: Store, name: str) -> None:
    with store.session() as s:
        s.add(models.Region(name=name))


def _region_names(store: Store) -> set[str]:
    return set(regions_frame(store)["name"])


# ------------------------------------------------------------------------- the store


def test_stale_tolerant_reads_go_to_the_replica_and_a_writer_reads_its_writes(paused) -> None:
    store = Store(paused["primary_url"], replica_urls=[paused["replica_url"]])
    try:
        _add_region(store, "Replica Test North")
        written = store.router.written_lsn()
        assert written
        # Replay is paused: the replica has not seen the write, and reads go there.
        assert "Replica Test North" not in _region_names(store)
        # The writer, carrying the position of its write, is served by the primary.
        with store.router.requiring(written):
            assert "Replica Test North" in _region_names(store)
        # Writes and sign-in reads stay on the primary.
        with store.sessions() as s:
            assert s.query(models.Region).filter_by(name="Replica Test North").count() == 1
        _replay(paused["replica_url"], paused=False)
        wait_replayed(paused["primary"], paused["replica"])
        assert "Replica Test North" in _region_names(store)
        with store.router.requiring(written):  # caught up: the replica serves it again
            assert store.router.caught_up(written)
    finally:
        store.dispose()


def test_a_lost_replica_sends_reads_to_the_primary_without_a_failure(replication) -> None:
    store = Store(replication["primary_url"], replica_urls=[replication["replica_url"]])
    store.router.retry_after_s = 0.2
    replica = replication["replica"]
    try:
        _add_region(store, "Replica Test Lost")
        wait_replayed(replication["primary"], replication["replica"])
        assert "Replica Test Lost" in _region_names(store)  # pooled replica connection
        replica.kill()
        for _ in range(5):  # the dropped connection, then refused connections
            assert "Replica Test Lost" in _region_names(store)
        assert store.router._down_until  # left out, not retried on every read
    finally:
        replica.start()
        wait_replayed(replication["primary"], replication["replica"])
        store.dispose()
    # Back: after the retry interval the replica serves again.
    store = Store(replication["primary_url"], replica_urls=[replication["replica_url"]])
    try:
        assert store.router.pick() is store.router.replicas[0]
        assert "Replica Test Lost" in _region_names(store)
    finally:
        store.dispose()


def test_a_lagging_replica_cannot_put_old_rows_under_a_new_cache_key(replication) -> None:
    """Coverage is keyed by a fingerprint read on the primary and computed from the same
    snapshot there: a replica that lags (replay paused) cannot hand its older rows to the new
    key. (Before, the organisations came from the replica: the renamed hotspot showed its old
    name under the key of the rename.)"""
    store = Store(replication["primary_url"], replica_urls=[replication["replica_url"]])
    use_cache(store, ResultCache())
    tag = f"{time.time_ns()}"
    try:
        with store.session() as s:
            org = models.PeerOrganisation(name=f"Lag Old {tag}", status="approved",
                                          founded_on=dt.date(2019, 1, 1), lat=53.545,
                                          lon=-2.632)
            s.add(org)
            s.flush()
            org_id = org.id
            for k in range(2):
                s.add(models.Volunteer(organisation_id=org.id, display_name="V",
                                       licence_number=f"LAG-{tag}-{k}",
                                       licence_valid_until=dt.date.today()
                                       + dt.timedelta(days=90)))
                s.add(models.Meeting(name=f"Lag {k}", organisation_id=org.id,
                                     lat=53.545 + 0.01 * k, lon=-2.632, attendance="in_person",
                                     active=True))
        wait_replayed(replication["primary"], replication["replica"])
        _replay(replication["replica_url"], paused=True)
        with store.session() as s:
            s.get(models.PeerOrganisation, org_id).name = f"Lag New {tag}"
        assert f"Lag Old {tag}" in set(organisations_frame(store)["name"])  # the replica lags
        result = coverage_result(store, radius_km=10.0)
        names = {h["name"] for h in result.by_hotspot}
        assert f"Lag New {tag}" in names
        assert f"Lag Old {tag}" not in names
        d = result.demand
        near = d.loc[((d["lat"] - 53.545).abs() < 0.3) & ((d["lon"] + 2.632).abs() < 0.5)]
        sites = site_suggestion(store, result, count=3, method="greedy", demand=near,
                                territory=("near Wigan", tag))
        devolvers = {s.devolve_from.name for s in sites.sites if s.devolve_from}
        assert f"Lag Old {tag}" not in devolvers
        assert f"Lag New {tag}" in devolvers
    finally:
        _replay(replication["replica_url"], paused=False)
        wait_replayed(replication["primary"], replication["replica"])
        store.dispose()


# ---------------------------------------------------------------------------- the app


def _app(tmp_path: Path, name: str, **config: object) -> Flask:
    app = create_app({"TESTING": True, "SECRET_KEY": "shared-by-workers",
                      "INSTANCE_PATH": str(tmp_path / name), **config})
    return app


def test_a_partner_reads_their_new_need_while_the_replica_lags(paused, tmp_path) -> None:
    primary = Store(paused["primary_url"])
    aid = add_association(primary, "Replica Canal Trust")
    add_user(primary, "association", "ryw@canal.example", association_id=aid)
    primary.dispose()
    _replay(paused["replica_url"], paused=False)
    wait_replayed(paused["primary"], paused["replica"])
    _replay(paused["replica_url"], paused=True)

    app = _app(tmp_path, "w1", DATABASE_URL=paused["primary_url"],
               DATABASE_REPLICA_URLS=paused["replica_url"])
    try:
        partner, peer = app.test_client(), app.test_client()
        assert login(partner, "ryw@canal.example").status_code == 302
        made = partner.post("/partner/opportunities/new",
                            data=_form(title="Replica lock painting"))
        assert made.status_code == 302, made.text

        def titles(client) -> set[str]:
            body = client.get("/api/opportunities?limit=1000").get_json()
            return {f["properties"]["title"] for f in body["features"]}

        assert "Replica lock painting" in titles(partner)  # read-your-writes
        assert "Replica lock painting" not in titles(peer)  # peers read the (paused) replica
        _replay(paused["replica_url"], paused=False)
        wait_replayed(paused["primary"], paused["replica"])
        assert "Replica lock painting" in titles(peer)
        partner.get("/api/opportunities")  # the replica caught up: the cookie forgets the LSN
        with partner.session_transaction() as sess:
            assert "cg_lsn" not in sess
    finally:
        get_store(app).dispose()


def test_an_unreachable_replica_fails_no_request(replication, tmp_path) -> None:
    dead = f"postgresql+psycopg://postgres@127.0.0.1:{_free_port()}/commonground"
    app = _app(tmp_path, "w1", DATABASE_URL=replication["primary_url"],
               DATABASE_REPLICA_URLS=f"{dead},{replication['replica_url']}")
    try:
        client = app.test_client()
        for _ in range(4):
            assert client.get("/api/meetings").status_code == 200
            assert client.get("/api/recommendations?lat=53.48&lon=-2.24").status_code == 200
    finally:
        get_store(app).dispose()


def _flush(url: str) -> None:
    import redis

    redis.Redis.from_url(url).flushdb()


@pytest.fixture
def two_workers(sqlite_store: Store, redis_server, tmp_path) -> tuple[Flask, Flask]:
    """Two app instances (as two gunicorn workers) on one database and one Redis."""
    _flush(redis_server.url)
    aid = add_association(sqlite_store)
    add_user(sqlite_store, "association", "coord@canal.example", association_id=aid)
    config = {"DATABASE_URL": sqlite_store.url, "REDIS_URL": redis_server.url,
              "LOGIN_RATE_LIMIT": "3 per minute"}
    apps = (_app(tmp_path, "w1", **config), _app(tmp_path, "w2", **config))
    yield apps
    for app in apps:
        get_store(app).dispose()


def test_sign_in_limits_are_shared_by_workers(two_workers) -> None:
    one, two = (app.test_client() for app in two_workers)
    for _ in range(3):
        assert login(one, "coord@canal.example", "wrong password!").status_code == 401
    refused = login(two, "coord@canal.example", "wrong password!")
    assert refused.status_code == 429
    assert int(refused.headers["Retry-After"]) > 0


def test_signing_out_on_one_worker_ends_the_session_on_the_other(two_workers) -> None:
    one, two = (app.test_client() for app in two_workers)
    assert login(one, "coord@canal.example", PASSWORD).status_code == 302
    cookie = one.get_cookie("session")
    assert cookie is not None
    two.set_cookie("session", cookie.value)
    assert two.get("/partner/").status_code == 200  # the same session on worker two
    assert one.post("/logout").status_code == 302
    # A copy of the cookie (kept by an attacker, or another tab) no longer signs anyone in.
    again = two.get("/partner/")
    assert again.status_code == 302
    assert "/login" in again.location


def test_lost_redis_fails_sign_in_closed_and_peers_carry_on(sqlite_store, tmp_path) -> None:
    server = start_redis()
    aid = add_association(sqlite_store)
    add_user(sqlite_store, "association", "coord@canal.example", association_id=aid)
    app = _app(tmp_path, "w1", DATABASE_URL=sqlite_store.url, REDIS_URL=server.url)
    try:
        staff, peer = app.test_client(), app.test_client()
        assert login(staff, "coord@canal.example").status_code == 302
        server.kill()
        refused = login(app.test_client(), "coord@canal.example")
        assert refused.status_code == 503
        assert refused.headers["Retry-After"]
        assert "not available" in refused.text
        wrong = login(app.test_client(), "coord@canal.example", "wrong password!")
        assert wrong.status_code == 503  # no attempt goes uncounted
        page = staff.get("/partner/")  # the session cannot be confirmed: signed out
        assert page.status_code == 302
        assert peer.get("/").status_code == 200
        assert peer.get("/api/recommendations?lat=53.48&lon=-2.24").status_code == 200
        assert peer.get("/api/opportunities").status_code == 200
    finally:
        server.stop()
        get_store(app).dispose()


def test_unreachable_database_is_a_503_with_retry_after_and_few_log_lines(
    tmp_path, caplog,
) -> None:
    url = f"postgresql+psycopg://postgres@127.0.0.1:{_free_port()}/commonground"
    app = _app(tmp_path, "w1", DATABASE_URL=url)
    client = app.test_client()
    with caplog.at_level(logging.ERROR):
        for _ in range(10):
            api = client.get("/api/meetings")
            assert api.status_code == 503
            assert api.headers["Retry-After"] == "5"
            body = api.get_json()
            assert set(body) == {"error", "detail", "status"}
            assert body["status"] == 503
            assert "try again" in body["detail"]
            assert "127.0.0.1" not in body["detail"]
        page = client.get("/meetings")
        assert page.status_code == 503
        assert page.headers["Retry-After"] == "5"
        assert page.mimetype == "text/html"
        assert re.search(r"not available", page.text)
    lines = [r for r in caplog.records if "unavailable" in r.getMessage()]
    assert len(lines) == 1, [r.getMessage() for r in caplog.records]
    assert not [r for r in caplog.records if r.exc_info]  # no tracebacks
    get_store(app).dispose()
