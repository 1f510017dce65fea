"""The reverse questions on real stores: reach of a listing, links worth making."""

from __future__ import annotations

import pytest

from matching.errors import UnknownRecordError
from matching.recommend import Recommender
from matching.reverse import association_reach
from matching.reverse import links_worth_making
from matching.reverse import opportunity_reach
from store import Store
from store.candidates import StoreCandidates
from store.models import Meeting
from store.models import MutualInterestLink
from store.models import PeerOrganisation
from tests.test_matching import HOME
from tests.test_matching import add_association
from tests.test_matching import add_opportunity
from tests.test_matching import north


@pytest.fixture
def world(store: Store) -> dict[str, int]:
    """Two groups with meetings north of HOME, associations around, one link each."""
    ids: dict[str, int] = {}
    with store.session() as s:
        for key, km in (("near_org", 0.0), ("far_org", 12.0)):
            org = PeerOrganisation(name=f"{key} peers", status="approved", lat=north(km)[0],
                                   lon=HOME[1])
            s.add(org)
            s.flush()
            ids[key] = org.id
        meetings = [("m_home", "near_org", 0.0, True), ("m_off", "near_org", 1.0, False),
                    ("m_far", "far_org", 12.0, True)]
        for key, org_key, km, active in meetings:
            m = Meeting(name=key, organisation_id=ids[org_key], lat=north(km)[0], lon=HOME[1],
                        weekdays=[1], accessibility=[], active=active)
            s.add(m)
            s.flush()
            ids[key] = m.id
    ids["garden"] = add_association(store, "Garden", latlon=north(2.0), category="allotment")
    ids["canal"] = add_association(store, "Canal", latlon=north(4.0), category="waterway_trust")
    ids["cafe"] = add_association(store, "Cafe", latlon=north(3.0), category="community_cafe")
    ids["shop"] = add_association(store, "Shop", latlon=north(6.0), category="charity_shop")
    ids["old"] = add_association(store, "Old friends", latlon=north(1.0), category="arts")
    ids["o_garden"] = add_opportunity(store, ids["garden"], latlon=north(2.0),
                                      interests=("gardening", "outdoors"))
    ids["o_canal"] = add_opportunity(store, ids["canal"], latlon=north(4.0),
                                     interests=("waterways", "outdoors"))
    add_opportunity(store, ids["canal"], latlon=north(4.0), interests=("waterways",))
    ids["o_cafe"] = add_opportunity(store, ids["cafe"], latlon=north(3.0),
                                    interests=("cooking-food",))
    add_opportunity(store, ids["old"], latlon=north(1.0), interests=("arts-crafts",))
    with store.session() as s:
        s.add(MutualInterestLink(organisation_id=ids["near_org"], association_id=ids["garden"]))
        s.add(MutualInterestLink(organisation_id=ids["near_org"], association_id=ids["old"],
                                 active=False))
        s.add(MutualInterestLink(organisation_id=ids["far_org"], association_id=ids["cafe"]))
    return ids


def test_opportunity_reach(store: Store, world: dict[str, int]) -> None:
    rec = Recommender(StoreCandidates(store))
    answer = opportunity_reach(rec, world["o_canal"], radius_km=15.0)
    assert [m["meeting_id"] for m in answer["meetings"]] == [world["m_home"], world["m_far"]]
    assert answer["meetings_in_reach"] == 2
    assert answer["organisations_in_reach"] == 2
    home = answer["meetings"][0]
    assert home["fits"] == ["outdoors"]  # the home group does gardening + outdoors already
    assert home["linked"] is False
    assert answer["meetings_it_fits"] == 1
    garden = opportunity_reach(rec, world["o_garden"], radius_km=5.0)
    assert [m["meeting_id"] for m in garden["meetings"]] == [world["m_home"]]
    assert garden["meetings"][0]["linked"] is True
    assert garden["meetings_already_linked"] == 1
    with pytest.raises(UnknownRecordError, match="opportunity_id=999999"):
        opportunity_reach(rec, 999999)


def test_association_reach(store: Store, world: dict[str, int]) -> None:
    rec = Recommender(StoreCandidates(store))
    answer = association_reach(rec, world["cafe"], radius_km=10.0)
    assert answer["association"]["open_opportunities"] == 1
    assert answer["interests"] == ["cooking-food"]
    assert [(m["meeting_id"], m["linked"]) for m in answer["meetings"]] == [
        (world["m_home"], False), (world["m_far"], True)]
    assert answer["meetings"][1]["fits"] == ["cooking & food"]
    with pytest.raises(UnknownRecordError, match="association_id=424242"):
        association_reach(rec, 424242)


def test_links_worth_making(store: Store, world: dict[str, int]) -> None:
    rec = Recommender(StoreCandidates(store))
    answer = links_worth_making(rec, world["near_org"], radius_km=10.0)
    got = [r["association_id"] for r in answer["results"]]
    # Linked (even inactively) associations are not suggested; inactive meetings don't count.
    assert world["garden"] not in got
    assert world["old"] not in got
    assert set(got) == {world["canal"], world["cafe"], world["shop"]}
    by_id = {r["association_id"]: r for r in answer["results"]}
    assert by_id[world["canal"]]["reasons"][0] == "4.0 km from m_home"
    assert "2 open needs with places" in by_id[world["canal"]]["reasons"]
    assert "fits what your group already does: outdoors" in by_id[world["canal"]]["reasons"]
    assert "no open needs listed yet" in by_id[world["shop"]]["reasons"]
    assert got[-1] == world["shop"]  # farthest, and nothing to do there yet
    scores = [r["score"] for r in answer["results"]]
    assert scores == sorted(scores, reverse=True)
    assert answer["group_interests"][:2] == ["gardening", "outdoors"]
    assert len(links_worth_making(rec, world["near_org"], radius_km=10.0, limit=1)
               ["results"]) == 1
    with pytest.raises(UnknownRecordError, match="organisation_id=987654"):
        links_worth_making(rec, 987654)
