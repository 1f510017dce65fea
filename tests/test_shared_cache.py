"""Computed answers shared by workers through a real ``redis-server`` (``REDIS_URL``).

Two app instances (two gunicorn workers) on one database and one Redis: what one computes,
the other serves from Redis; a data change is a new answer for both; a lost Redis means each
worker computes for itself, with the right numbers and no 500. Computations are counted by
wrapping the coverage use case's computing step (the store is real).
"""

from __future__ import annotations

import datetime as dt
import logging
import pickle
import re
from typing import TYPE_CHECKING

import pytest

import service.usecases.coverage as coverage_cases
from service import create_app
from service import get_store
from service.usecases.coverage_cache import CACHE
from service.usecases.coverage_cache import MISSING
from service.usecases.coverage_cache import cache_for
from service.web.shared import RedisResults
from service.web.shared import result_client
from store import models
from testing.throwaway import start_redis

if TYPE_CHECKING:
    from collections.abc import Iterator
    from pathlib import Path

    from flask import Flask

    from store import Store

NEAR_MANCHESTER = [(53.48, -2.24), (53.80, -1.55)]  # Manchester, then Leeds


def _app(tmp_path: Path, name: str, **config: object) -> Flask:
    return create_app({"TESTING": True, "SECRET_KEY": "shared-by-workers",
                       "INSTANCE_PATH": str(tmp_path / name), **config})


def add_serving_meeting(store: Store, lat: float, lon: float) -> None:
    """An approved group with a licensed volunteer and one in-person meeting: it serves."""
    with store.session() as s:
        org = models.PeerOrganisation(name=f"Group at {lat}", status="approved",
                                      founded_on=dt.date(2020, 1, 1), lat=lat, lon=lon)
        s.add(org)
        s.flush()
        s.add(models.Volunteer(organisation_id=org.id, display_name="V",
                               licence_number=f"L-{lat}-{lon}",
                               licence_valid_until=dt.date.today() + dt.timedelta(days=90)))
        s.add(models.Meeting(name=f"Meeting at {lat}", organisation_id=org.id, lat=lat,
                             lon=lon, attendance="in_person", active=True))


@pytest.fixture
def computations(monkeypatch) -> list[float]:
    """Every coverage computation, by radius (the use case's computing step, counted)."""
    done: list[float] = []
    real = coverage_cases._coverage

    def counted(*args, **kwargs):
        done.append(kwargs["radius"])
        return real(*args, **kwargs)

    monkeypatch.setattr(coverage_cases, "_coverage", counted)
    return done


@pytest.fixture
def two_workers(sqlite_store: Store, redis_server, tmp_path) -> Iterator[tuple[Flask, Flask]]:
    """Two app instances on one SQLite store and one (emptied) Redis."""
    result_client(redis_server.url).flushdb()
    add_serving_meeting(sqlite_store, *NEAR_MANCHESTER[0])
    config = {"DATABASE_URL": sqlite_store.url, "REDIS_URL": redis_server.url}
    apps = (_app(tmp_path, "w1", **config), _app(tmp_path, "w2", **config))
    yield apps
    for app in apps:
        get_store(app).dispose()


def test_a_second_worker_serves_the_first_workers_answer_from_redis(
    two_workers, redis_server, computations,
) -> None:
    one, two = two_workers
    first = one.test_client().get("/api/coverage?radius_km=12")
    assert first.status_code == 200
    assert computations == [12.0]
    CACHE.clear()  # nothing in this process's own cache: as in another process
    second = two.test_client().get("/api/coverage?radius_km=12")
    assert second.status_code == 200
    assert second.get_json() == first.get_json()
    assert computations == [12.0]  # worker two computed nothing
    assert cache_for(get_store(two)).shared_hits == 1
    keys = result_client(redis_server.url).keys("cg:result:*")
    assert keys
    assert all(result_client(redis_server.url).ttl(k) > 0 for k in keys)
    # Other parameters are another answer.
    assert two.test_client().get("/api/coverage?radius_km=5").status_code == 200
    assert computations == [12.0, 5.0]


def test_a_worker_running_other_code_does_not_take_the_old_codes_answers(
    two_workers, redis_server, computations,
) -> None:
    """A deploy with changed code: its workers compute anew instead of reading Redis."""
    one, two = two_workers
    first = one.test_client().get("/api/coverage?radius_km=12").get_json()
    assert computations == [12.0]
    CACHE.clear()
    cache_for(get_store(two)).stamp = "0.1.0/2/a-newer-release"  # another release's stamp
    second = two.test_client().get("/api/coverage?radius_km=12").get_json()
    assert second == first  # the same data and, here, the same numbers...
    assert computations == [12.0, 12.0]  # ...but computed by the new code, not read back
    assert cache_for(get_store(two)).shared_hits == 0
    assert len(result_client(redis_server.url).keys("cg:result:*")) >= 2  # one per release


def test_a_data_change_is_a_new_answer_for_both_workers(
    two_workers, sqlite_store, computations,
) -> None:
    one, two = two_workers
    before = one.test_client().get("/api/coverage?radius_km=12").get_json()
    assert two.test_client().get("/api/coverage?radius_km=12").get_json() == before
    assert before["meetings"] == 1
    add_serving_meeting(sqlite_store, *NEAR_MANCHESTER[1])  # a new meeting in Leeds
    after_two = two.test_client().get("/api/coverage?radius_km=12").get_json()
    assert after_two["meetings"] == 2
    assert after_two["covered_population"] > before["covered_population"]
    after_one = one.test_client().get("/api/coverage?radius_km=12").get_json()
    assert after_one == after_two
    assert computations == [12.0, 12.0]  # once before the change, once after, in all


def test_the_map_page_is_shared_too(two_workers, computations) -> None:
    one, two = two_workers
    page = one.test_client().get("/maps/coverage?count=0")
    assert page.status_code == 200
    computed = len(computations)
    again = two.test_client().get("/maps/coverage?count=0")
    assert again.status_code == 200
    # the same page, each response with its own CSP nonce
    nonce = re.compile(rb'nonce="[^"]+"')
    assert nonce.sub(b"", again.get_data()) == nonce.sub(b"", page.get_data())
    assert again.get_data() != page.get_data()
    assert len(computations) == computed


def test_lost_redis_means_computing_locally_with_the_right_numbers(
    sqlite_store, redis_server, tmp_path, computations, caplog,
) -> None:
    server = start_redis()  # our own, to kill (``redis_server`` skips or fails without one)
    add_serving_meeting(sqlite_store, *NEAR_MANCHESTER[0])
    app = _app(tmp_path, "w1", DATABASE_URL=sqlite_store.url, REDIS_URL=server.url)
    plain = _app(tmp_path, "plain", DATABASE_URL=sqlite_store.url)  # one machine, no Redis
    try:
        client = app.test_client()
        assert client.get("/api/coverage?radius_km=12").status_code == 200
        server.kill()
        add_serving_meeting(sqlite_store, *NEAR_MANCHESTER[1])
        with caplog.at_level(logging.WARNING, logger="commonground.shared"):
            for radius in (12, 12, 7, 9):
                got = client.get(f"/api/coverage?radius_km={radius}")
                assert got.status_code == 200
                expected = plain.test_client().get(f"/api/coverage?radius_km={radius}")
                assert got.get_json() == expected.get_json()
            assert got.get_json()["meetings"] == 2
            assert client.get("/maps/coverage?count=0").status_code == 200
        lines = [r for r in caplog.records if "Redis unreachable" in r.getMessage()]
        assert len(lines) == 1, [r.getMessage() for r in caplog.records]
    finally:
        server.stop()
        get_store(app).dispose()
        get_store(plain).dispose()


def test_only_signed_answers_are_read_and_big_ones_stay_local(redis_server) -> None:
    client = result_client(redis_server.url)
    client.flushdb()
    tier = RedisResults(client, secret="s1", ttl_s=60, max_bytes=1000)
    tier.put(("k", 1), {"answer": 42})
    assert tier.get(("k", 1)) == {"answer": 42}
    assert RedisResults(client, secret="s1", ttl_s=60).get(("k", 1)) == {"answer": 42}
    # Another secret (or anything else writing to Redis) is not trusted: never unpickled.
    assert RedisResults(client, secret="s2", ttl_s=60).get(("k", 1)) is MISSING
    client.set(tier.redis_key(("k", 1)), b"x" * 32 + pickle.dumps({"answer": 666}))
    assert tier.get(("k", 1)) is MISSING
    tier.put(("big", 1), "x" * 5000)  # over max_bytes: each worker keeps its own
    assert tier.get(("big", 1)) is MISSING
    assert client.get(tier.redis_key(("big", 1))) is None
    # A claim is held by one worker at a time.
    assert tier.claim(("k", 2))
    assert not RedisResults(client, secret="s1", ttl_s=60).claim(("k", 2))
    tier.release(("k", 2))
    assert tier.claim(("k", 2))
