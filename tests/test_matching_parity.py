"""SQLite and PostGIS give the same recommendations: same ids, same order, scores to 1e-9."""

from __future__ import annotations

import itertools

import pytest

from matching.query import Origin
from matching.query import PeerQuery
from matching.query import parse_days
from matching.recommend import Recommender
from matching.reverse import association_reach
from matching.reverse import links_worth_making
from matching.reverse import opportunity_reach
from store import Store
from store.candidates import StoreCandidates

PLACES = [
    (53.5448, -2.6318),  # Wigan
    (53.6833, -1.4977),  # Wakefield
    (52.5862, -2.1288),  # Wolverhampton
    (51.4816, -3.1791),  # Cardiff
    (55.8642, -4.2518),  # Glasgow
    (50.3755, -4.1427),  # Plymouth: nothing near
]
ASKS = [
    {},
    {"interests": ("gardening", "outdoors")},
    {"text": "I like being outdoors and fixing bikes"},
    {"interests": ("cooking-food",), "days": parse_days("sat,sun"), "radius_km": 40.0},
    {"text": "music", "limit": 3, "per_association": 1, "radius_km": 100.0},
]


@pytest.fixture(scope="module")
def engines(demo_stores: dict[str, Store]) -> tuple[Recommender, Recommender]:
    if "postgis" not in demo_stores:
        pytest.skip("PostGIS unavailable: parity needs both backends")
    return (Recommender(StoreCandidates(demo_stores["sqlite"])),
            Recommender(StoreCandidates(demo_stores["postgis"])))


def test_recommendations_identical(engines: tuple[Recommender, Recommender]) -> None:
    sqlite, postgis = engines
    total = 0
    for latlon, ask in itertools.product(PLACES, ASKS):
        q = PeerQuery(Origin(latlon), **ask)
        a, b = sqlite.recommend(q), postgis.recommend(q)
        assert [r.opportunity_id for r in a.results] == [r.opportunity_id for r in b.results]
        for x, y in zip(a.results, b.results, strict=True):
            assert abs(x.score - y.score) <= 1e-9
            assert x.score == y.score  # in fact bit-identical: same floats, same arithmetic
            assert x.distance_km == y.distance_km
            assert x.reasons == y.reasons
        total += len(a.results)
    assert total > 50


def test_meeting_origins_identical(engines: tuple[Recommender, Recommender],
                                   demo_stores: dict[str, Store]) -> None:
    sqlite, postgis = engines
    meetings = StoreCandidates(demo_stores["sqlite"])._meetings()
    linked = 0
    for m in meetings.head(25).itertuples():
        origin = Origin((m.lat, m.lon), label="your meeting", kind="meeting",
                        organisation_id=int(m.organisation_id), meeting_id=int(m.id))
        q = PeerQuery(origin, interests=("waterways", "diy-repair"))
        a, b = sqlite.recommend(q).results, postgis.recommend(q).results
        assert [(r.opportunity_id, r.reasons) for r in a] == \
               [(r.opportunity_id, r.reasons) for r in b]
        assert max((abs(x.score - y.score) for x, y in zip(a, b, strict=True)),
                   default=0.0) <= 1e-9
        linked += sum(any("already works" in why for why in r.reasons) for r in a)
    assert linked > 0


def test_reverse_questions_identical(engines: tuple[Recommender, Recommender]) -> None:
    sqlite, postgis = engines
    for opp in (1, 50, 300, 700):
        assert opportunity_reach(sqlite, opp) == opportunity_reach(postgis, opp)
    for assoc in (1, 100, 250):
        assert association_reach(sqlite, assoc, radius_km=25) == \
               association_reach(postgis, assoc, radius_km=25)
    for org in (1, 5, 12, 20):
        assert links_worth_making(sqlite, org) == links_worth_making(postgis, org)


def test_needs_of_unapproved_associations_are_not_recommended(store) -> None:
    """A pending or suspended partner's open needs stay out of peers' results (both backends)."""
    from matching.query import Origin
    from matching.query import PeerQuery
    from matching.recommend import Recommender
    from store.candidates import StoreCandidates
    from store.models import Association
    from store.models import Opportunity

    with store.session() as s:
        for status in ("approved", "pending", "suspended"):
            a = Association(name=f"{status} trust", category="waterway_trust", status=status,
                            lat=53.5, lon=-2.6)
            s.add(a)
            s.flush()
            s.add(Opportunity(association_id=a.id, title=f"{status} towpath crew",
                              interests=["waterways"], lat=53.5, lon=-2.6))
    answer = Recommender(StoreCandidates(store)).recommend(
        PeerQuery(Origin((53.5, -2.6), label="here", kind="point"), interests=("waterways",)))
    assert [r.title for r in answer.results] == ["approved towpath crew"]
