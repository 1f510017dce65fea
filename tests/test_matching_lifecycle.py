"""What may be recommended, in what order, and in pages: on both backends.

Never ended, not yet started (unless within 30 days, then saying when), closed, paused,
filled or full listings; with interests, a listing sharing one always ranks above one sharing
none; pages and totals agree with the whole list.
"""

from __future__ import annotations

import datetime as dt
import functools
import operator

import pytest

from matching.errors import BadParameterError
from matching.query import Filters
from matching.query import Origin
from matching.query import PeerQuery
from matching.recommend import Recommender
from matching.scoring import ScoringParams
from store import Store
from store.candidates import StoreCandidates
from store.models import Opportunity
from tests.test_matching import HOME
from tests.test_matching import add_association
from tests.test_matching import add_opportunity
from tests.test_matching import north

TODAY = dt.date(2026, 11, 30)


def _dated(store: Store, opportunity_id: int, *, starts: dt.date | None = None,
           ends: dt.date | None = None) -> None:
    with store.session() as s:
        o = s.get(Opportunity, opportunity_id)
        assert o is not None
        o.starts_on, o.ends_on = starts, ends


def _ask(store: Store, **kwargs) -> list:
    query = PeerQuery(Origin(HOME), today=TODAY, **kwargs)
    return Recommender(StoreCandidates(store)).recommend(query).results


def test_ended_unstarted_closed_and_full_are_never_recommended(store: Store) -> None:
    assoc = add_association(store)
    running = add_opportunity(store, assoc, latlon=north(1))
    ended = add_opportunity(store, assoc, latlon=north(0.5))
    _dated(store, ended, starts=TODAY - dt.timedelta(days=90), ends=TODAY - dt.timedelta(1))
    last_day = add_opportunity(store, add_association(store, "B"), latlon=north(2))
    _dated(store, last_day, ends=TODAY)
    later = add_opportunity(store, add_association(store, "C"), latlon=north(0.2))
    _dated(store, later, starts=TODAY + dt.timedelta(days=31))
    soon = add_opportunity(store, add_association(store, "D"), latlon=north(3))
    _dated(store, soon, starts=dt.date(2026, 12, 20))
    full = add_opportunity(store, add_association(store, "E"), latlon=north(0.1), capacity=3,
                           taken=3)
    closed = add_opportunity(store, add_association(store, "F"), latlon=north(0.1),
                             status="closed")
    paused = add_opportunity(store, add_association(store, "G"), latlon=north(0.1),
                             status="paused")
    results = _ask(store, interests=("conservation",))
    ids = [r.opportunity_id for r in results]
    assert ids == [running, last_day, soon]
    assert not {ended, later, full, closed, paused} & set(ids)
    by_id = {r.opportunity_id: r for r in results}
    assert "starts 20 Dec" in by_id[soon].reasons
    assert by_id[soon].starts_on == "2026-12-20"
    assert by_id[running].starts_on is None
    # On a later day the ended listing is still out, and the far start has come near.
    later_day = PeerQuery(Origin(HOME), today=TODAY + dt.timedelta(days=10),
                          interests=("conservation",))
    again = Recommender(StoreCandidates(store)).recommend(later_day).results
    assert later in [r.opportunity_id for r in again]
    assert last_day not in [r.opportunity_id for r in again]


def test_a_query_is_cut_by_its_own_day_not_the_real_date(store: Store) -> None:
    # A need that ended two days ago ran on the day five days ago: asked about that day, it
    # is offered; asked about today, it is not (the catalogue once cut by the real date).
    real = dt.date.today()
    ended = add_opportunity(store, add_association(store), latlon=north(1))
    _dated(store, ended, ends=real - dt.timedelta(days=2))
    source = StoreCandidates(store)

    def offered(day: dt.date) -> bool:
        query = PeerQuery(Origin(HOME), today=day, interests=("conservation",))
        return ended in [r.opportunity_id for r in Recommender(source).recommend(query).results]

    assert offered(real - dt.timedelta(days=5))
    assert not offered(real)


def test_with_interests_a_match_always_ranks_first(store: Store) -> None:
    # Next door and full of the peer's words, but tagged with none of their interests.
    near_other = add_opportunity(store, add_association(store, "Towpath Cafe",
                                                        category="community_cafe"),
                                 latlon=north(0.1), title="Towpath canal cafe helper",
                                 interests=("cooking-food",),
                                 description="Make tea by the canal towpath, near the water.")
    far_match = add_opportunity(store, add_association(store, "Canal"), latlon=north(14),
                                title="Towpath crew", interests=("waterways",),
                                description="Clear the towpath.")
    results = _ask(store, interests=("waterways",))
    assert [r.opportunity_id for r in results] == [far_match, near_other]
    # Without the rule the score alone would put the unmatched one first.
    loose = Recommender(StoreCandidates(store), params=ScoringParams(matched_first=False))
    plain = loose.recommend(PeerQuery(Origin(HOME), today=TODAY, interests=("waterways",)))
    assert [r.opportunity_id for r in plain.results] == [near_other, far_match]
    # The same from words: understood interests count as interests.
    words = Recommender(StoreCandidates(store)).recommend(
        PeerQuery(Origin(HOME), today=TODAY, text="I like being near water"))
    assert [r.opportunity_id for r in words.results] == [far_match, near_other]
    assert [(u.slug, u.phrase) for u in words.understood] == [("waterways", "near water")]
    assert "matches: waterways (from 'near water')" in words.results[0].reasons
    # Removing the misunderstanding gives the plain distance order back.
    removed = Recommender(StoreCandidates(store)).recommend(
        PeerQuery(Origin(HOME), today=TODAY, text="I like being near water",
                  ignore=("waterways",)))
    assert removed.understood == ()
    assert next(r.opportunity_id for r in removed.results) == near_other


def test_pages_and_totals(store: Store) -> None:
    ids = [add_opportunity(store, add_association(store, f"Group {i}", latlon=north(0.5 + i)),
                           latlon=north(0.5 + i)) for i in range(7)]
    big = add_association(store, "Big", latlon=north(9))
    extra = [add_opportunity(store, big, latlon=north(9)) for _ in range(4)]
    add_opportunity(store, add_association(store, "Far", latlon=north(30)), latlon=north(30))
    rec = Recommender(StoreCandidates(store))
    whole = rec.recommend(PeerQuery(Origin(HOME), today=TODAY, interests=("conservation",),
                                    limit=50, with_total=True))
    # 7 groups + 2 of Big's 4 (the diversity cap); the one 30 km away is outside 15 km.
    assert whole.total == 9
    assert len(whole.results) == 9
    pages = []
    for page in (1, 2, 3):
        answer = rec.recommend(PeerQuery(Origin(HOME), today=TODAY, interests=("conservation",),
                                         limit=4, page=page, with_total=True))
        assert answer.total == 9
        assert answer.first == 4 * (page - 1) + 1
        assert answer.more is (page < 3)
        assert answer.extras()["total"] == 9
        assert answer.extras()["page"] == page
        pages.append([r.opportunity_id for r in answer.results])
    assert [len(p) for p in pages] == [4, 4, 1]
    assert functools.reduce(operator.iadd, pages, []) == [r.opportunity_id for r in whole.results]
    assert ids[0] == pages[0][0]
    assert len(set(extra) & set(functools.reduce(operator.iadd, pages, []))) == 2
    assert rec.recommend(PeerQuery(Origin(HOME), today=TODAY)).total is None


def _set(store: Store, opportunity_id: int, **values: object) -> None:
    with store.session() as s:
        o = s.get(Opportunity, opportunity_id)
        assert o is not None
        for key, value in values.items():
            setattr(o, key, value)


def test_filters_and_the_remote_group(store: Store) -> None:
    step_free = add_opportunity(store, add_association(store, "A"), latlon=north(1), capacity=10,
                                weekdays=[6], start=dt.time(10), end=dt.time(12))
    _set(store, step_free, accessibility=["step_free", "parking"], commitment="One morning a week")
    tiny = add_opportunity(store, add_association(store, "B"), latlon=north(2), capacity=2,
                           flexible=True)
    _set(store, tiny, commitment="Whenever suits you")
    monthly = add_opportunity(store, add_association(store, "C"), latlon=north(3), capacity=None,
                              weekdays=[2], start=dt.time(18), end=dt.time(20))
    _set(store, monthly, commitment="One evening a month")
    online = add_opportunity(store, add_association(store, "D", latlon=north(40)),
                             latlon=north(40), title="Online befriending calls",
                             interests=("befriending-care",))
    _set(store, online, accessibility=["remote"])

    def ids(**filters: object) -> tuple[list[int], list[int]]:
        answer = Recommender(StoreCandidates(store)).recommend(PeerQuery(
            Origin(HOME), today=TODAY, interests=("conservation",),
            days=frozenset({6}), times=((9 * 60, 12 * 60),), filters=Filters(**filters)))
        return ([r.opportunity_id for r in answer.results],
                [r.opportunity_id for r in answer.remote])

    everything, remote = ids()
    assert everything == [step_free, tiny, monthly]
    # Remote needs form their own group, without distances, even 40 km away.
    assert remote == [online]
    answer = Recommender(StoreCandidates(store)).recommend(
        PeerQuery(Origin(HOME), today=TODAY, text="befriending"))
    assert answer.remote[0].distance_km is None
    assert answer.remote[0].reasons[0] == "remote: from home or online"
    assert online not in [r.opportunity_id for r in answer.results]
    assert ids(accessibility=("step free",))[0] == [step_free]
    assert ids(accessibility=("hearing_loop",))[0] == []
    assert ids(commitment="weekly")[0] == [step_free]
    assert ids(commitment="flexible")[0] == [tiny]
    assert ids(commitment="occasional")[0] == [monthly]
    assert ids(groups=True)[0] == [step_free, monthly]
    assert ids(fits_week=True)[0] == [step_free, tiny]
    assert ids(remote=False) == (everything, [])
    assert ids(remote=True) == ([], [online])
    with pytest.raises(BadParameterError, match="commitment='often'"):
        Filters(commitment="often")
