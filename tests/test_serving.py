"""Which meetings serve people, the what-if and devolution readiness, against brute forces.

The SQL filter of the store (:func:`store.coverage.serving_meetings_frame`) and the pure rule
(:func:`matching.coverage.serving_meetings`) must pick the same meetings, on both backends,
on any date; the what-if must add exactly the uncovered people within reach; devolution must
never cross its maximum distance.
"""

from __future__ import annotations

import datetime as dt

import numpy as np
import pandas as pd
import pytest

from ingest.demand import district_demand
from matching.coverage import compute_coverage
from matching.coverage import serving_meetings
from matching.devolution import choose_devolver
from matching.devolution import readiness
from store.coverage import meetings_frame
from store.coverage import organisations_frame
from store.coverage import serving_meetings_frame
from store.coverage import volunteers_frame
from store.reads import list_meetings
from store.reads import list_organisations

R_EARTH = 6371.0088


def brute_km(lat1, lon1, lat2, lon2):
    p1 = np.radians(np.asarray(lat1, float))[:, None]
    p2 = np.radians(np.asarray(lat2, float))[None, :]
    dl = np.radians(np.asarray(lon2, float)[None, :] - np.asarray(lon1, float)[:, None])
    a = np.sin((p2 - p1) / 2) ** 2 + np.cos(p1) * np.cos(p2) * np.sin(dl / 2) ** 2
    return 2 * R_EARTH * np.arcsin(np.sqrt(np.clip(a, 0, 1)))


def _expected_ids(store, on: dt.date) -> set[int]:
    """The rule written out over plain rows read another way (store.reads)."""
    orgs = {o["id"]: o for o in list_organisations(store)}
    vols = volunteers_frame(store)
    licensed = {int(o) for o, until in zip(vols["organisation_id"], vols["licence_valid_until"],
                                           strict=True)
                if until is not None and not pd.isna(until) and until >= on}
    return {m["id"] for m in list_meetings(store, active_only=True)
            if m["attendance"] in ("in_person", "hybrid") and m["lat"] is not None
            and m["organisation_id"] in orgs
            and orgs[m["organisation_id"]]["status"] == "approved"
            and m["organisation_id"] in licensed}


@pytest.mark.parametrize("days", [0, 200, -400, 900])
def test_sql_and_pure_rules_pick_the_same_meetings(demo_store, days):
    on = dt.date.today() + dt.timedelta(days=days)
    sql = set(serving_meetings_frame(demo_store, on=on)["id"])
    pure = set(serving_meetings(meetings_frame(demo_store), organisations_frame(demo_store),
                                volunteers_frame(demo_store), on=on)["id"])
    assert sql == pure == _expected_ids(demo_store, on)


def test_pending_online_and_unlicensed_meetings_do_not_count(demo_store):
    today = dt.date.today()
    serving = set(serving_meetings_frame(demo_store, on=today)["id"])
    everything = list_meetings(demo_store, active_only=False)
    orgs = {o["id"]: o for o in list_organisations(demo_store)}
    online = {m["id"] for m in everything if m["attendance"] == "online"}
    pending = {m["id"] for m in everything
               if orgs.get(m["organisation_id"], {}).get("status") != "approved"}
    assert online
    assert pending
    assert not serving & online
    assert not serving & pending
    # Licences lapse as time goes on: a group whose last licence ends stops serving.
    later = [set(serving_meetings_frame(demo_store, on=today + dt.timedelta(days=d))["id"])
             for d in (120, 240, 365, 500)]
    assert any(s < serving and s for s in later)
    # Far in the future every licence has lapsed: nothing serves, nobody is covered.
    assert serving_meetings_frame(demo_store, on=today + dt.timedelta(days=3650)).empty


def test_the_what_if_adds_the_uncovered_people_within_reach(demo_store):
    demand = district_demand()
    meetings = serving_meetings_frame(demo_store, on=dt.date.today())
    result = compute_coverage(demand, meetings, radius_km=10.0)
    for lat, lon in ((53.48, -2.24), (51.50, -0.12), (55.95, -3.19), (53.54, -2.63)):
        answer = result.what_if(lat, lon)
        d = brute_km([lat], [lon], result.demand["lat"], result.demand["lon"])[0]
        newly = (d <= 10.0) & ~result.demand["covered"].to_numpy()
        assert answer["added_population"] == int(result.demand.loc[newly, "population"].sum())
        by_place = result.demand.loc[newly].groupby("place")["population"].sum()
        assert [p["population"] for p in answer["places"]] == \
            sorted(by_place.to_numpy().tolist(), reverse=True)[:10]
    assert result.what_if(53.48, -2.24)["places"][0]["name"] == "Manchester"


def test_devolution_never_crosses_its_maximum_distance(demo_store):
    today = dt.date.today()
    orgs = organisations_frame(demo_store)
    vols = volunteers_frame(demo_store)
    table = readiness(orgs, serving_meetings(meetings_frame(demo_store), orgs, vols, on=today),
                      vols, on=today)
    assert table["ready"].any()
    assert not table["ready"].all()
    for lat, lon in ((53.48, -2.24), (51.50, -0.12), (54.97, -1.61), (52.48, -1.89)):
        for max_km in (10.0, 40.0, 150.0):
            dev = choose_devolver(lat, lon, table, max_km=max_km)
            d = brute_km([lat], [lon], table["lat"], table["lon"])[0]
            ready_near = table["ready"].to_numpy() & (d <= max_km)
            if dev.organisation_id is None:
                assert not ready_near.any()
                nearest = table.iloc[int(d.argmin())]
                assert f"none ready within {max_km:g} km; nearest is {nearest['name']}" in \
                    dev.reasons
            else:
                row = table.loc[table["id"] == dev.organisation_id].iloc[0]
                assert bool(row["ready"])
                assert dev.distance_km <= max_km
                assert dev.reasons.endswith(f"{dev.distance_km:.0f} km")
                assert f"{int(row['meetings'])} meeting" in dev.reasons


def test_readiness_reasons_and_what_is_lacking():
    orgs = pd.DataFrame({
        "id": [1, 2, 3], "name": ["Old Hub", "New Group", "Pending"],
        "status": ["approved", "approved", "pending"],
        "founded_on": [dt.date(2018, 1, 1), dt.date(2025, 11, 1), dt.date(2019, 1, 1)],
        "parent_id": [None, 1, None], "region_id": [1, 1, 1],
        "lat": [53.5, 53.52, 53.5], "lon": [-2.2, -2.2, -2.21]})
    meetings = pd.DataFrame({"organisation_id": [1, 1, 1, 2, 2, 3, 3]})
    vols = pd.DataFrame({"organisation_id": [1, 1, 1, 2, 2, 3, 3],
                         "licence_valid_until": [dt.date(2027, 1, 1)] * 3
                         + [dt.date(2027, 1, 1), dt.date(2025, 1, 1)]
                         + [dt.date(2027, 1, 1)] * 2})
    table = readiness(orgs, meetings, vols, on=dt.date(2026, 6, 1)).set_index("id")
    assert list(table.index) == [1, 2]  # only approved organisations devolve
    assert table.loc[1, "ready"]
    assert table.loc[1, "devolved"] == 1
    assert not table.loc[2, "ready"]
    assert "1 licensed volunteer (needs 2)" in table.loc[2, "lacks"]
    assert "founded 0.6 years ago" in table.loc[2, "lacks"]
    dev = choose_devolver(53.51, -2.2, table.reset_index(), max_km=40.0)
    assert (dev.organisation_id, dev.reasons) == (1, "3 meetings, 3 licensed volunteers, "
                                                     "8 years, 1 km")
    far = choose_devolver(51.5, -0.12, table.reset_index(), max_km=40.0)
    assert far.organisation_id is None
    assert far.reasons.startswith("none ready within 40 km; nearest is ")


def test_online_meetings_have_no_distance_in_reach_or_links(demo_store):
    from store.candidates import StoreCandidates

    online = {m["id"]: m for m in list_meetings(demo_store, active_only=True)
              if m["attendance"] == "online"}
    assert online
    source = StoreCandidates(demo_store)
    for m in list(online.values())[:5]:
        # An online meeting sits at its organisation's town: it is never "within" anything.
        near = source.meetings_within((m["lat"], m["lon"]), 50.0)
        assert not set(near["id"]) & set(online)
        assert not set(source.meetings_of(m["organisation_id"])["id"]) & set(online)


def test_cached_coverage_follows_every_change_it_depends_on(demo_store):
    from service.usecases.coverage import coverage_result
    from service.usecases.coverage_cache import CACHE
    from store import models

    CACHE.clear()
    first = coverage_result(demo_store, radius_km=10.0)
    assert coverage_result(demo_store, radius_km=10.0) is first  # warm: the same answer
    serving = serving_meetings_frame(demo_store, on=dt.date.today())
    org_id = int(serving["organisation_id"].iloc[0])
    with demo_store.session() as s:
        vols = s.query(models.Volunteer).filter_by(organisation_id=org_id).all()
        saved = [(v.id, v.licence_valid_until) for v in vols]
        for v in vols:  # every licence of one serving group lapses
            v.licence_valid_until = dt.date.today() - dt.timedelta(days=1)
    try:
        after = coverage_result(demo_store, radius_km=10.0)
        assert after is not first
        assert after.meetings < first.meetings
        assert after.meetings == len(serving_meetings_frame(demo_store, on=dt.date.today()))
    finally:
        with demo_store.session() as s:
            for vid, until in saved:
                s.get(models.Volunteer, vid).licence_valid_until = until
    assert coverage_result(demo_store, radius_km=10.0).meetings == first.meetings
