"""Tests for ingest/demo.py: the deterministic demo data set and its idempotent loading."""

from __future__ import annotations

import dataclasses
import datetime as dt
from collections import Counter
from typing import TYPE_CHECKING

import pytest

from geo.distance import haversine_km
from geo.gazetteer import Gazetteer
from ingest.demo import DEMO_SOURCE
from ingest.demo import DEMO_TODAY
from ingest.demo import REF_KEYS
from ingest.demo import DemoData
from ingest.demo import build_demo
from ingest.demo import load_demo
from store import Store
from store import models

if TYPE_CHECKING:
    from pathlib import Path

# A fixed taxonomy for the tests; deliberately without "youth-children" and
# "environment-recycling", which some categories prefer, to exercise the fallback.
SLUGS = [
    "outdoors", "conservation", "waterways", "gardening", "animals", "sport", "arts-crafts",
    "music", "cooking-food", "diy-repair", "it-digital", "admin-office", "retail",
    "befriending-care", "teaching-mentoring", "driving-transport", "events", "heritage",
    "fundraising", "health-wellbeing",
]
GB_LAT, GB_LON = (49.8, 60.9), (-8.7, 1.8)
TABLE_MODELS = {
    "regions": models.Region, "organisations": models.PeerOrganisation,
    "meetings": models.Meeting, "volunteers": models.Volunteer,
    "associations": models.Association, "opportunities": models.Opportunity,
    "mutual_interest_links": models.MutualInterestLink,
    "outcome_records": models.OutcomeRecord,
}


@pytest.fixture(scope="module")
def gazetteer() -> Gazetteer:
    return Gazetteer.from_geonames("GB")


@pytest.fixture(scope="module")
def demo(gazetteer: Gazetteer) -> DemoData:
    return build_demo(gazetteer, SLUGS)


def _store(tmp_path: Path, slugs: list[str] = SLUGS) -> Store:
    store = Store(f"sqlite:///{tmp_path}/t.db")
    store.init_db()
    if slugs:
        store.seed_interests([{"slug": s, "label": s.title()} for s in slugs])
    return store


def _rows(data: DemoData) -> dict[str, list[dict]]:
    return {f.name: getattr(data, f.name) for f in dataclasses.fields(data)}


def test_build_is_deterministic(gazetteer: Gazetteer, demo: DemoData) -> None:
    assert build_demo(gazetteer, SLUGS) == demo
    assert build_demo(gazetteer, SLUGS, seed=7) != demo


def test_minimum_counts(demo: DemoData) -> None:
    counts = demo.counts()
    hotspots = [o for o in demo.organisations if o["is_hotspot"]]
    assert counts["regions"] == 5
    assert len(hotspots) == 5
    assert {o["region_name"] for o in hotspots} == {r["name"] for r in demo.regions}
    assert all(o["status"] == "approved" and o["founded_on"].year in (2018, 2019)
               for o in hotspots)
    assert counts["organisations"] - len(hotspots) >= 20
    assert counts["meetings"] >= 60
    assert counts["associations"] >= 300
    assert counts["opportunities"] >= 600
    assert counts["volunteers"] >= 2 * counts["organisations"]
    assert counts["mutual_interest_links"] >= counts["organisations"]


def test_rows_name_only_model_columns(demo: DemoData) -> None:
    for table, rows in _rows(demo).items():
        columns = set(TABLE_MODELS[table].__table__.columns.keys())
        for row in rows:
            assert set(row) - REF_KEYS <= columns, (table, set(row) - REF_KEYS - columns)
            assert row["is_demo"] is True
            if "source" in columns:
                assert row["source"] == DEMO_SOURCE
    for table in ("organisations", "meetings", "associations", "opportunities"):
        ids = [r["source_id"] for r in getattr(demo, table)]
        assert len(ids) == len(set(ids)), table


def test_growth_tree(demo: DemoData) -> None:
    orgs = {o["source_id"]: o for o in demo.organisations}
    depths = []
    for org in demo.organisations:
        seen, node, depth = {org["source_id"]}, org, 0
        while node["parent_source_id"] is not None:
            parent = orgs[node["parent_source_id"]]
            assert parent["source_id"] not in seen, "cycle"
            seen.add(parent["source_id"])
            assert node["founded_on"] > parent["founded_on"]
            assert node["region_name"] == parent["region_name"]
            km = float(haversine_km(node["lat"], node["lon"], parent["lat"], parent["lon"]))
            assert km <= 60.0, (node["name"], parent["name"], km)
            node, depth = parent, depth + 1
        assert node["is_hotspot"]
        depths.append(depth)
        assert org["founded_on"] < DEMO_TODAY
    assert 2 <= max(depths) + 1 <= 4  # generations, hotspot included
    statuses = Counter(o["status"] for o in demo.organisations)
    assert statuses["suspended"] == 1
    assert statuses["pending"] >= 1
    assert statuses["approved"] > len(demo.organisations) / 2


def test_points_inside_great_britain(demo: DemoData) -> None:
    for table in ("organisations", "meetings", "associations", "opportunities"):
        for row in getattr(demo, table):
            assert GB_LAT[0] <= row["lat"] <= GB_LAT[1], (table, row["source_id"])
            assert GB_LON[0] <= row["lon"] <= GB_LON[1], (table, row["source_id"])
            assert round(row["lat"], 6) == row["lat"]
            assert round(row["lon"], 6) == row["lon"]


def test_meetings(demo: DemoData) -> None:
    per_org = Counter(m["organisation_source_id"] for m in demo.meetings)
    assert set(per_org) == {o["source_id"] for o in demo.organisations}
    assert all(1 <= n <= 4 for n in per_org.values())
    attendance = Counter(m["attendance"] for m in demo.meetings)
    assert attendance["in_person"] > attendance["hybrid"] + attendance["online"]
    for m in demo.meetings:
        assert m["weekdays"]
        assert all(0 <= d <= 6 for d in m["weekdays"])
        assert isinstance(m["start_time"], dt.time)
        assert m["start_time"] < m["end_time"]
        if m["attendance"] == "online":
            assert m["conference_url"].startswith("https://meet.jit.si/CommonGroundDemo-")
            assert m["conference_phone"].startswith("+44 161 496 0")  # Ofcom's drama range


def test_opportunities(demo: DemoData) -> None:
    assocs = {a["source_id"]: a for a in demo.associations}
    per_assoc = Counter(o["association_source_id"] for o in demo.opportunities)
    assert set(per_assoc) == set(assocs)
    assert all(1 <= n <= 4 for n in per_assoc.values())
    for o in demo.opportunities:
        assert 1 <= len(o["interests"]) <= 3
        assert set(o["interests"]) <= set(SLUGS)
        assert 1 <= o["capacity"] <= 12
        assert 0 <= o["places_taken"] <= o["capacity"]
        assert o["flexible"] or (o["weekdays"] and o["start_time"] < o["end_time"])
    statuses = Counter(o["status"] for o in demo.opportunities)
    assert statuses["open"] > len(demo.opportunities) / 2
    assert {"paused", "filled", "closed"} <= set(statuses)


def test_interests_fall_back_to_the_given_slugs(gazetteer: Gazetteer) -> None:
    data = build_demo(gazetteer, ["music"])
    assert {tuple(o["interests"]) for o in data.opportunities} == {("music",)}
    assert all(o["interests"] == [] for o in build_demo(gazetteer, []).opportunities)


def test_licences_lapsed_and_expiring(demo: DemoData) -> None:
    numbers = [v["licence_number"] for v in demo.volunteers]
    assert len(numbers) == len(set(numbers))
    days = [(v["licence_valid_until"] - DEMO_TODAY).days for v in demo.volunteers]
    assert any(d < 0 for d in days)
    assert any(0 <= d <= 60 for d in days)
    assert max(days) <= 2 * 366


def test_links_are_near_and_after_founding(demo: DemoData) -> None:
    orgs = {o["source_id"]: o for o in demo.organisations}
    assocs = {a["source_id"]: a for a in demo.associations}
    pairs = [(ln["organisation_source_id"], ln["association_source_id"])
             for ln in demo.mutual_interest_links]
    assert len(pairs) == len(set(pairs))
    for ln in demo.mutual_interest_links:
        org, assoc = orgs[ln["organisation_source_id"]], assocs[ln["association_source_id"]]
        assert org["founded_on"] < ln["started_on"] <= DEMO_TODAY
        assert float(haversine_km(org["lat"], org["lon"], assoc["lat"], assoc["lon"])) <= 15.0
        assert ln["note"].startswith("Peers help with ")


def test_load_twice_is_idempotent(tmp_path: Path, gazetteer: Gazetteer, demo: DemoData) -> None:
    store = _store(tmp_path)
    first = load_demo(store, gazetteer=gazetteer)
    counts = store.counts()
    expected = demo.counts()
    for table, n in expected.items():
        assert first[table] == {"inserted": n, "updated": 0, "unchanged": 0}, table
        assert counts[table] == n, table
    second = load_demo(store, gazetteer=gazetteer)
    for table, n in expected.items():
        assert second[table] == {"inserted": 0, "updated": 0, "unchanged": n}, table
    assert store.counts() == counts

    with store.session() as s:
        orgs = s.query(models.PeerOrganisation).all()
        by_id = {o.id: o for o in orgs}
        for org in orgs:
            assert org.is_demo
            assert org.region_id is not None
            if org.parent_id is not None:
                assert org.id > org.parent_id  # parents were inserted first
                assert by_id[org.parent_id].founded_on < org.founded_on
        opp = s.query(models.Opportunity).first()
        assert opp is not None
        assert opp.association_id is not None


def test_need_dates_follow_the_load_day(tmp_path: Path, gazetteer: Gazetteer) -> None:
    """Loaded on any day, no open need has ended and some start soon (issue 12)."""
    store = _store(tmp_path)
    load_day = DEMO_TODAY + dt.timedelta(days=333)
    load_demo(store, gazetteer=gazetteer, today=load_day)
    with store.session() as s:
        needs = s.query(models.Opportunity).filter(models.Opportunity.status == "open").all()
        assert needs
        assert not [o.id for o in needs if o.ends_on is not None and o.ends_on < load_day]
        soon = [o for o in needs if o.starts_on and load_day < o.starts_on]
        assert soon
        assert all(o.starts_on <= load_day + dt.timedelta(days=75) for o in soon)
        assert all(m.organisation_id for m in s.query(models.Meeting))
    store.dispose()


def test_load_needs_the_interest_taxonomy(tmp_path: Path, gazetteer: Gazetteer) -> None:
    store = _store(tmp_path, slugs=[])
    with pytest.raises(ValueError, match="commonground init-db"):
        load_demo(store, gazetteer=gazetteer)
    assert store.counts()["organisations"] == 0
    store.dispose()
