"""A PostGIS request: the same answers as SQLite, in one statement, robust to dropped links.

* Lists, scores, distances, reasons, totals and pages on a real PostGIS equal those of the
  in-process path (SQLite) on the same data, for many questions with filters and paging.
* A warm request checks out one connection (its version token rides in the radius query),
  and a write made through another process's store is seen by the next request.
* A recently used connection is not pinged; when it dropped meanwhile, the radius query is
  sent again on a fresh one instead of failing the request; an idle one is pinged.
"""

from __future__ import annotations

import datetime as dt
from typing import TYPE_CHECKING

import numpy as np
import psycopg
from sqlalchemy import event
from sqlalchemy import update

from matching.query import Filters
from matching.query import Origin
from matching.query import PeerQuery
from matching.recommend import Recommender
from store import Store
from store import engine as store_engine
from store.candidates import StoreCandidates
from store.models import Opportunity
from tests.test_matching import _dense_store

if TYPE_CHECKING:
    import pytest

DAY = dt.date(2026, 6, 1)
FILTERS = [Filters(), Filters(commitment="weekly"), Filters(groups=True),
           Filters(fits_week=True), Filters(accessibility=("wheelchair",)),
           Filters(remote=False), Filters(remote=True), Filters(commitment="flexible")]


def _same_data(store: Store) -> None:
    """The dense test catalogue, with dated, remote, step-free and weekly listings too."""
    _dense_store(store, 3000, seed=8)
    with store.session() as s:
        for every, values in (
            (7, {"ends_on": DAY - dt.timedelta(days=3)}),          # ended
            (11, {"starts_on": DAY + dt.timedelta(days=10)}),      # starts soon
            (13, {"starts_on": DAY + dt.timedelta(days=90)}),      # not yet
            (5, {"accessibility": ["wheelchair"]}),
            (17, {"accessibility": ["remote"]}),
            (3, {"commitment": "weekly"}),
        ):
            s.execute(update(Opportunity).where(Opportunity.id % every == 0).values(**values))


def _questions(n: int) -> list[PeerQuery]:
    rng = np.random.default_rng(12)
    out = []
    for i in range(n):
        town = [(53.48, -2.24), (53.41, -2.99), (53.80, -1.55)][i % 3]
        out.append(PeerQuery(
            Origin((town[0] + rng.normal(0, 0.1), town[1] + rng.normal(0, 0.15))),
            interests=(("music",), ("gardening", "waterways"), (), ("sport",))[i % 4],
            text=["", "bikes and canal walks", "choir", "I like fixing things"][i % 4 - 1],
            radius_km=float(rng.choice([2.0, 10.0, 15.0, 40.0])),
            limit=int(rng.choice([5, 10, 20])), page=int(rng.choice([1, 1, 2, 3])),
            per_association=int(rng.choice([1, 2, 10])),
            days=frozenset({int(rng.integers(7))}) if i % 5 == 0 else frozenset(),
            association_id=int(rng.integers(1, 150)) if i % 9 == 8 else None,
            filters=FILTERS[i % len(FILTERS)], today=DAY, with_total=i % 6 != 5))
    return out


def test_postgis_lists_totals_and_pages_equal_the_in_process_ones(
    sqlite_store: Store, postgis_store: Store,
) -> None:
    for store in (sqlite_store, postgis_store):
        _same_data(store)
    local = Recommender(StoreCandidates(sqlite_store))
    remote = Recommender(StoreCandidates(postgis_store))
    assert local.in_process
    assert not remote.in_process
    totals, shown = [], 0
    for q in _questions(120):
        a, b = local.recommend(q), remote.recommend(q)
        assert [(r.opportunity_id, r.score, r.distance_km, r.reasons) for r in a.results] == \
               [(r.opportunity_id, r.score, r.distance_km, r.reasons) for r in b.results], q
        assert [r.opportunity_id for r in a.remote] == [r.opportunity_id for r in b.remote], q
        assert a.total == b.total, q
        totals.append(a.total)
        shown += len(a.results)
    assert shown > 600
    assert 0 in totals
    assert any(t is not None and t > 50 for t in totals)


def _checkouts(store: Store) -> list[int]:
    seen: list[int] = []
    event.listen(store.engine, "checkout", lambda *_: seen.append(1))
    return seen


def test_one_statement_per_request_and_writes_elsewhere_are_seen(
    postgis_store: Store,
) -> None:
    _dense_store(postgis_store, 800, seed=2)
    rec = Recommender(StoreCandidates(postgis_store))
    q = PeerQuery(Origin((53.48, -2.24)), interests=("music",), radius_km=15.0,
                  with_total=True)
    first = rec.recommend(q)
    seen = _checkouts(postgis_store)
    again = rec.recommend(q)
    assert len(seen) == 1  # the version token came with the radius answer
    assert [r.opportunity_id for r in again.results] == \
           [r.opportunity_id for r in first.results]
    assert rec.builds == 1
    # Another worker (its own store and pool) closes the first listing shown.
    other = Store(postgis_store.url)
    try:
        top = first.results[0].opportunity_id
        with other.session() as s:
            s.get(Opportunity, top).status = "closed"
    finally:
        other.dispose()
    after = rec.recommend(q)
    assert top not in [r.opportunity_id for r in after.results]
    assert after.total == first.total - 1
    assert rec.builds == 2


def _kill_other_backends(store: Store) -> int:
    """Terminate every server process of the store's database but this one (a restart)."""
    url = store.url.replace("postgresql+psycopg://", "postgresql://")
    with psycopg.connect(url, autocommit=True) as conn:
        return len(conn.execute(
            "SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
            "WHERE datname = current_database() AND pid <> pg_backend_pid()").fetchall())


def test_a_dropped_connection_is_replaced_not_a_failed_request(postgis_store: Store) -> None:
    _dense_store(postgis_store, 300, seed=4)
    source = StoreCandidates(postgis_store)
    where = ((53.48, -2.24), 10.0)
    token, ids, km = source.versioned_within(*where)  # a pooled connection, just used
    assert len(ids)
    assert _kill_other_backends(postgis_store) >= 1
    again = source.versioned_within(*where)  # not pinged (recent), dropped: sent again
    assert again[0] == token
    assert again[1].tolist() == ids.tolist()
    assert again[2].tolist() == km.tolist()


def test_an_idle_connection_is_pinged_before_use(postgis_store: Store,
                                                 monkeypatch: pytest.MonkeyPatch) -> None:
    assert postgis_store.counts() is not None  # a pooled connection
    monkeypatch.setattr(store_engine, "PING_IDLE_S", -1.0)  # every one counts as idle
    assert _kill_other_backends(postgis_store) >= 1
    assert postgis_store.counts() is not None  # pinged, found dead, replaced
