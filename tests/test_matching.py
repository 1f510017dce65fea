"""The matching engine on real stores (SQLite and PostGIS) with hand-made listings.

Monotone in distance and in relevance, filters, the diversity cap, boosts, schedule fit,
reasons, free text, the cached catalogue, and the early stop that must not change answers.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import itertools

import numpy as np
import pytest

from matching.errors import BadParameterError
from matching.query import Origin
from matching.query import PeerQuery
from matching.query import parse_days
from matching.query import parse_times
from matching.recommend import Recommender
from matching.scoring import ScoringParams
from matching.scoring import profile
from matching.scoring import score_rows
from store import Store
from store.candidates import StoreCandidates
from store.models import Association
from store.models import Meeting
from store.models import MutualInterestLink
from store.models import Opportunity
from store.models import PeerOrganisation

HOME = (53.0, -2.0)
KM_PER_DEG_LAT = 111.195
_serial = itertools.count(1)


def north(km: float) -> tuple[float, float]:
    """A point ``km`` due north of HOME (great-circle km along a meridian)."""
    return HOME[0] + km / KM_PER_DEG_LAT, HOME[1]


def add_association(store: Store, name: str = "Woodland Group", *,
                    latlon: tuple[float, float] = HOME, category: str = "conservation") -> int:
    with store.session() as s:
        a = Association(name=name, category=category, lat=latlon[0], lon=latlon[1],
                        source="test", source_id=f"a{next(_serial)}", status="approved")
        s.add(a)
        s.flush()
        return a.id


def add_opportunity(store: Store, association_id: int, *, title: str = "Tree planting day",
                    latlon: tuple[float, float] = HOME, interests=("conservation",),
                    skills=("tree planting",), status: str = "open", capacity: int | None = 6,
                    taken: int = 0, weekdays=(), start=None, end=None, flexible: bool = False,
                    description: str = "Plant native trees on the woodland edge.") -> int:
    with store.session() as s:
        o = Opportunity(association_id=association_id, title=title, description=description,
                        interests=list(interests), skills=list(skills), status=status,
                        capacity=capacity, places_taken=taken, weekdays=list(weekdays),
                        start_time=start, end_time=end, flexible=flexible, lat=latlon[0],
                        lon=latlon[1], source="test", source_id=f"o{next(_serial)}")
        s.add(o)
        s.flush()
        return o.id


def ask(store: Store, **kwargs) -> list:
    origin = kwargs.pop("origin", Origin(HOME))
    return Recommender(StoreCandidates(store)).recommend(PeerQuery(origin, **kwargs)).results


def test_monotone_in_distance_for_equal_relevance(store: Store) -> None:
    ids = []
    for km in (5.5, 0.5, 3.0, 1.0, 9.0, 2.0):  # inserted out of order on purpose
        assoc = add_association(store, latlon=north(km))  # same name: identical documents
        ids.append((km, add_opportunity(store, assoc, latlon=north(km))))
    for kwargs in ({"interests": ("conservation",)}, {}, {"text": "planting trees"}):
        results = ask(store, **kwargs)
        assert [r.opportunity_id for r in results] == [i for _, i in sorted(ids)], kwargs
        scores = [r.score for r in results]
        assert all(a > b for a, b in itertools.pairwise(scores)), scores
        assert [round(r.distance_km, 3) for r in results] == sorted(k for k, _ in ids)


def test_monotone_in_relevance_for_equal_distance(store: Store) -> None:
    spot = north(2.0)
    tagged = {}
    for n, tags in enumerate([(), ("outdoors",), ("gardening", "outdoors"), ("gardening",)]):
        assoc = add_association(store, f"Group {'ABCD'[n]}", latlon=spot, category="other")
        tagged[tags] = add_opportunity(store, assoc, title="Volunteer", interests=tags,
                                       description="Help out.", latlon=spot, skills=())
    results = ask(store, interests=("gardening", "outdoors"))
    order = [r.opportunity_id for r in results]
    assert order[0] == tagged[("gardening", "outdoors")]
    assert order[-1] == tagged[()]
    assert set(order[1:3]) == {tagged[("outdoors",)], tagged[("gardening",)]}
    assert len({round(r.distance_km, 9) for r in results}) == 1
    assert all(a.score > b.score for a, b in itertools.pairwise(
        [results[0], results[1], results[3]]))


def test_closed_filled_paused_and_far_never_appear(store: Store) -> None:
    assoc = add_association(store)
    hidden = {add_opportunity(store, assoc, status=s) for s in ("closed", "filled", "paused")}
    far = add_opportunity(store, add_association(store, latlon=north(20.0)),
                          latlon=north(20.0))
    visible = add_opportunity(store, add_association(store, latlon=north(4.0)),
                              latlon=north(4.0))
    results = ask(store, interests=("conservation",))
    assert [r.opportunity_id for r in results] == [visible]
    assert not hidden & {r.opportunity_id for r in results}
    wide = ask(store, interests=("conservation",), radius_km=25.0)
    assert [r.opportunity_id for r in wide] == [visible, far]


def test_diversity_cap_and_one_association(store: Store) -> None:
    big = add_association(store, "Big Trust")
    mine = [add_opportunity(store, big, latlon=north(0.1 * i)) for i in range(5)]
    others = [add_opportunity(store, add_association(store, f"Other {i}", latlon=north(3 + i)),
                              latlon=north(3 + i)) for i in range(3)]
    results = ask(store, interests=("conservation",))
    by_assoc = [r.association_id for r in results]
    assert by_assoc.count(big) == 2
    assert [r.opportunity_id for r in results] == mine[:2] + others
    one = ask(store, interests=("conservation",), per_association=1)
    assert [r.association_id for r in one].count(big) == 1
    only = ask(store, interests=("conservation",), association_id=big)
    assert [r.opportunity_id for r in only] == mine
    limited = ask(store, interests=("conservation",), limit=3)
    assert len(limited) == 3


def test_win_win_boosts_and_reasons(store: Store) -> None:
    with store.session() as s:
        org = PeerOrganisation(name="Test Peers", status="approved", lat=HOME[0], lon=HOME[1])
        s.add(org)
        s.flush()
        meeting = Meeting(name="Tuesday ACT", organisation_id=org.id, lat=HOME[0],
                          lon=HOME[1], weekdays=[2], accessibility=[])
        s.add(meeting)
        s.flush()
        org_id, meeting_id = org.id, meeting.id
    spot = north(2.3)
    linked_assoc = add_association(store, "Canal Trust", latlon=spot, category="waterway_trust")
    # Same names: identical documents, so only the boosts tell the three apart.
    plain_assoc = add_association(store, "Canal Trust", latlon=spot, category="waterway_trust")
    common = {"title": "Towpath crew", "interests": ("waterways", "outdoors"),
              "skills": ("dry-stone walling",), "latlon": spot,
              "description": "Clear the towpath."}
    linked = add_opportunity(store, linked_assoc, **common)
    plain = add_opportunity(store, plain_assoc, **common)
    full = add_opportunity(store, add_association(store, "Canal Trust", latlon=spot,
                                                  category="waterway_trust"),
                           capacity=4, taken=4, **common)
    with store.session() as s:
        s.add(MutualInterestLink(organisation_id=org_id, association_id=linked_assoc))
    origin = Origin(HOME, label="your meeting", kind="meeting", organisation_id=org_id,
                    meeting_id=meeting_id)
    results = ask(store, origin=origin, interests=("waterways", "gardening"))
    # A full listing is never recommended.
    assert [r.opportunity_id for r in results] == [linked, plain]
    assert full not in [r.opportunity_id for r in results]
    top = results[0]
    assert top.reasons[0] == "2.3 km from your meeting"
    assert "matches: waterways" in top.reasons
    assert "Canal Trust already works with your group" in top.reasons
    assert "you can learn: dry-stone walling" in top.reasons
    assert "6 places left" in top.reasons
    assert not any("already works" in r for r in results[1].reasons)
    assert results[0].score == pytest.approx(results[1].score * 1.25)
    # An inactive link gives no boost.
    with store.session() as s:
        s.query(MutualInterestLink).update({"active": False})
    again = ask(store, origin=origin, interests=("waterways",))
    assert again[0].score == pytest.approx(again[1].score)


def test_schedule_fit(store: Store) -> None:
    spot = north(1.0)
    sat = add_opportunity(store, add_association(store, "A", latlon=spot), latlon=spot,
                          weekdays=[6], start=dt.time(10), end=dt.time(13))
    tue = add_opportunity(store, add_association(store, "B", latlon=spot), latlon=spot,
                          weekdays=[2], start=dt.time(18), end=dt.time(20))
    flex = add_opportunity(store, add_association(store, "C", latlon=north(1.5)),
                           latlon=north(1.5), flexible=True)
    results = ask(store, interests=("conservation",), days=parse_days("weekend"),
                  times=parse_times("morning"))
    assert [r.opportunity_id for r in results] == [sat, flex, tue]
    reasons = {r.opportunity_id: r.reasons for r in results}
    assert "fits your week: Saturday 10:00-13:00" in reasons[sat]
    assert "flexible: fits around your week" in reasons[flex]
    assert "not quite your days or times: Tuesday 18:00-20:00" in reasons[tue]
    assert results[2].score == pytest.approx(results[0].score * 0.3)
    evening = ask(store, interests=("conservation",), days=frozenset({2}))
    assert evening[0].opportunity_id == tue


def test_free_text_finds_bikes_and_outdoors(store: Store) -> None:
    spot = north(3.0)
    bikes = add_opportunity(store, add_association(store, "Bike Kitchen", latlon=spot,
                                                   category="repair_cafe"),
                            title="Bike mechanic trainee", interests=("diy-repair",),
                            skills=("bike maintenance",), latlon=spot,
                            description="Strip, service and rebuild donated bikes.")
    shop = add_opportunity(store, add_association(store, "Charity Shop", latlon=north(0.5),
                                                  category="charity_shop"),
                           title="Till volunteer", interests=("retail",),
                           skills=("cash handling",), latlon=north(0.5),
                           description="Serve customers in the shop.")
    walk = add_opportunity(store, add_association(store, "Ramblers", latlon=north(2.0),
                                                  category="befriending"),
                           title="Walking buddy", interests=("outdoors",),
                           skills=("listening",), latlon=north(2.0),
                           description="Go for a walk with someone.")
    answer = Recommender(StoreCandidates(store)).recommend(
        PeerQuery(Origin(HOME), text="I like being outdoors and fixing bikes"))
    assert answer.interests_used == ("outdoors", "diy-repair")
    ids = [r.opportunity_id for r in answer.results]
    assert ids.index(bikes) < ids.index(shop)
    assert ids.index(walk) < ids.index(shop)
    top = {r.opportunity_id: r for r in answer.results}
    assert "matches: diy & repair (from 'fixing')" in top[bikes].reasons
    # Everyday words reach interests through the taxonomy's related words, and say so.
    plain = ask(store, text="bikes")
    assert plain[0].opportunity_id == bikes
    assert "matches: diy & repair (from 'bikes')" in plain[0].reasons
    # Words the vocabulary does not know still match listings by text alone.
    words = ask(store, text="donated")
    assert words[0].opportunity_id == bikes
    assert "matches your words: donated" in words[0].reasons
    assert any(r.startswith("you can learn: bike maintenance") for r in plain[0].reasons)


def test_catalogue_is_cached_and_follows_writes(store: Store) -> None:
    assoc = add_association(store)
    first = add_opportunity(store, assoc)
    rec = Recommender(StoreCandidates(store))
    q = PeerQuery(Origin(HOME), interests=("conservation",))
    assert [r.opportunity_id for r in rec.recommend(q).results] == [first]
    rec.recommend(q)
    assert rec.builds == 1
    with store.session() as s:
        s.get(Opportunity, first).status = "closed"
    second = add_opportunity(store, assoc, title="Hedge laying")
    assert [r.opportunity_id for r in rec.recommend(q).results] == [second]
    assert rec.builds == 2


def test_empty_store_gives_no_results(store: Store) -> None:
    assert ask(store, interests=("music",)) == []


def _dense_store(store: Store, n: int = 3000, *, seed: int = 3) -> None:
    """``n`` open and closed listings around three towns, random tags, texts and skills."""
    rng = np.random.default_rng(seed)
    towns = [(53.48, -2.24), (53.41, -2.99), (53.80, -1.55)]
    slugs = ["gardening", "outdoors", "music", "sport", "cooking-food", "diy-repair",
             "waterways", "heritage", "retail", "events"]
    words = ["canal", "garden", "choir", "football", "kitchen", "bikes", "museum", "shop",
             "festival", "repair", "walks", "trees"]
    with store.session() as s:
        assocs = []
        for i in range(150):
            lat, lon = towns[i % 3]
            a = Association(name=f"Group {i}", category="other", source="t",
                            source_id=f"g{i}", lat=lat + rng.normal(0, 0.05),
                            lon=lon + rng.normal(0, 0.08))
            s.add(a)
            assocs.append(a)
        s.flush()
        for i in range(n):
            lat, lon = towns[int(rng.integers(3))]
            tags = list(rng.choice(slugs, size=int(rng.integers(0, 3)), replace=False))
            s.add(Opportunity(
                association_id=assocs[int(rng.integers(len(assocs)))].id,
                title=" ".join(rng.choice(words, 2)), description=" ".join(rng.choice(words, 5)),
                interests=tags, skills=list(rng.choice(words, int(rng.integers(0, 2)))),
                status=str(rng.choice(["open", "open", "open", "closed", "paused"])),
                capacity=int(rng.integers(1, 6)), places_taken=int(rng.integers(0, 3)),
                weekdays=[int(rng.integers(7))], lat=lat + rng.normal(0, 0.08),
                lon=lon + rng.normal(0, 0.12), source="t", source_id=f"d{i}"))


def test_early_stop_equals_scoring_everything(store: Store) -> None:
    """The bounded search gives exactly what scoring every candidate in the radius gives,
    in-process (SQLite) and through the source's radius queries (PostGIS)."""
    _dense_store(store)
    rng = np.random.default_rng(9)
    stopped = looked_again = 0
    for half_km in (1.0, 5.0):
        rec = Recommender(StoreCandidates(store), params=ScoringParams(half_km=half_km))
        for i in range(40):
            lat = 53.48 + rng.normal(0, 0.1) if i % 2 else 53.41 + rng.normal(0, 0.1)
            tags = tuple(rng.choice(["gardening", "music", "waterways", "heritage",
                                     "youth-children"], size=int(rng.integers(0, 3)),
                                    replace=False))
            q = PeerQuery(Origin((lat, -2.5 + rng.normal(0, 0.4))), interests=tags,
                          text=["", "bikes and canal walks", "choir"][i % 3],
                          limit=int(rng.choice([1, 5, 10, 30])), radius_km=[15.0, 40.0][i % 2],
                          per_association=int(rng.choice([1, 2])))
            got = rec.recommend(q)
            whole = rec.score_everything(q)
            assert [r.opportunity_id for r in got.results] == \
                rec.catalogue().ids[whole.rows[whole.picked]].tolist(), q
            np.testing.assert_array_equal([r.score for r in got.results],
                                          whole.scores.score[whole.picked])
            fewer = got.candidates < len(whole.rows)
            stopped += fewer and got.looks == 1
            looked_again += fewer and got.looks == 2
    # The bound did cut searches short, after the first look or a later one.
    assert stopped + looked_again > 2, (stopped, looked_again)


def test_in_process_candidates_equal_the_store_index(sqlite_store: Store) -> None:
    """On SQLite the catalogue's own tree answers radius questions like ``store.spatial``."""
    _dense_store(sqlite_store, 1500)
    rec = Recommender(StoreCandidates(sqlite_store))
    assert rec.in_process
    catalogue = rec.catalogue()
    for lat, lon, radius in [(53.48, -2.24, 5.0), (53.41, -2.99, 15.0), (53.6, -2.0, 30.0),
                             (51.5, -0.1, 10.0)]:
        q = PeerQuery(Origin((lat, lon)), radius_km=radius)
        rows, km = rec.finder(catalogue, q).within(radius)
        ids, store_km = sqlite_store.spatial.within("opportunities", (lat, lon), radius,
                                                    filters={"status": "open"})
        # Full listings are never recommended: the catalogue does not index them.
        with_places = catalogue.has_places[catalogue.positions(ids)[0]]
        ids, store_km = ids[with_places], store_km[with_places]
        order = np.lexsort((catalogue.ids[rows], km))
        assert catalogue.ids[rows][order].tolist() == ids.tolist()
        np.testing.assert_array_equal(km[order], store_km)
    # And through the store's own queries (what PostGIS does) the lists are the same.
    via_store = Recommender(StoreCandidates(sqlite_store))
    via_store.in_process = False
    for tags in [(), ("music",), ("gardening", "waterways")]:
        q = PeerQuery(Origin((53.45, -2.5)), interests=tags, radius_km=40.0, limit=20)
        a, b = rec.recommend(q).results, via_store.recommend(q).results
        assert [(r.opportunity_id, r.score) for r in a] == \
               [(r.opportunity_id, r.score) for r in b]


def test_score_rows_is_monotone(demo_stores: dict[str, Store]) -> None:
    rec = Recommender(StoreCandidates(demo_stores["sqlite"]))
    catalogue = rec.catalogue()
    q = PeerQuery(Origin(HOME), interests=("gardening",), text="growing veg")
    peer = profile(q, catalogue, params=rec.params)
    rows = np.full(50, 3, dtype=np.intp)  # one listing at many distances
    km = np.linspace(0.0, 30.0, 50)
    scores = score_rows(catalogue, rows, km, peer, rec.params).score
    assert np.all(np.diff(scores) < 0)
    half = score_rows(catalogue, rows[:2], np.array([0.0, rec.params.half_km]), peer,
                      rec.params).score
    assert half[1] == pytest.approx(half[0] / 2)


@pytest.mark.parametrize(("kwargs", "param"), [
    ({"radius_km": 0}, "radius_km"), ({"radius_km": 100.5}, "radius_km"),
    ({"radius_km": float("nan")}, "radius_km"), ({"limit": 0}, "limit"),
    ({"limit": 51}, "limit"), ({"per_association": 0}, "per_association"),
    ({"interests": ("gardning",)}, "interests"), ({"text": "x" * 501}, "text"),
    ({"days": frozenset({7})}, "days"), ({"times": ((600, 500),)}, "times"),
    ({"association_id": 0}, "association_id"),
])
def test_query_bounds_name_the_parameter(kwargs: dict, param: str) -> None:
    with pytest.raises(BadParameterError) as info:
        PeerQuery(Origin(HOME), **kwargs)
    assert info.value.param == param
    assert param in str(info.value)
    assert info.value.status == 400


def test_query_defaults_and_bad_origin() -> None:
    q = PeerQuery(Origin(HOME))
    assert (q.radius_km, q.limit, q.per_association) == (15.0, 10, 2)
    assert dataclasses.replace(q, radius_km=100).radius_km == 100.0
    with pytest.raises(BadParameterError, match="latitude"):
        Origin((91.0, 0.0))
    with pytest.raises(BadParameterError, match="“funday”"):
        parse_days("sat, funday")
    with pytest.raises(BadParameterError, match="“25:00-26:00”"):
        parse_times("25:00-26:00")
