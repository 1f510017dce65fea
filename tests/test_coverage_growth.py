"""The growth tree on the demo, checked against the parent links walked one by one."""

from __future__ import annotations

import datetime as dt
import json

import pandas as pd

from matching.growth import founding_years
from matching.growth import growth_trees
from store.coverage import meetings_frame
from store.coverage import organisations_frame
from store.reads import list_meetings
from store.reads import list_organisations


def _walk(orgs: list[dict]) -> dict[int, tuple[int, int]]:
    """Organisation id -> (root id, generation), by following parent links."""
    parent = {o["id"]: o["parent_id"] for o in orgs}
    out = {}
    for oid in parent:
        node, depth = oid, 0
        while parent[node] is not None:
            node, depth = parent[node], depth + 1
        out[oid] = (node, depth)
    return out


def test_demo_trees_match_the_parent_links(demo_store):
    trees = growth_trees(organisations_frame(demo_store),
                         meetings_frame(demo_store, attendance=None))
    orgs = list_organisations(demo_store)
    walked = _walk(orgs)
    meetings = list(list_meetings(demo_store, active_only=True))
    per_org = pd.Series([m["organisation_id"] for m in meetings]).value_counts().to_dict()

    roots = {r for r, _ in walked.values()}
    assert {t.root_id for t in trees} == roots
    assert len(trees) == 5
    assert all(o["is_hotspot"] for o in orgs if o["id"] in roots)
    seen = [m.id for t in trees for m in t.members]
    assert sorted(seen) == sorted(o["id"] for o in orgs)  # each organisation once
    for tree in trees:
        position = {m.id: i for i, m in enumerate(tree.members)}
        for m in tree.members:
            assert walked[m.id] == (tree.root_id, m.generation)
            assert m.meetings == per_org.get(m.id, 0)
            if m.parent_id is not None:
                assert position[m.parent_id] < position[m.id]  # parents first
        assert tree.depth == max(walked[m.id][1] for m in tree.members)
        assert tree.depth >= 2
        for g in tree.generations:
            members = [m for m in tree.members if m.generation == g.generation]
            assert g.organisations == len(members)
            assert g.meetings == sum(per_org.get(m.id, 0) for m in members)
        assert len(tree.edges()) == len(tree.members) - 1


def test_demo_timeline_counts_what_was_founded_by_each_year_end(demo_store):
    orgs = list_organisations(demo_store)
    walked = _walk(orgs)
    trees = growth_trees(organisations_frame(demo_store),
                         meetings_frame(demo_store, attendance=None))
    for tree in trees:
        mine = [o for o in orgs if walked[o["id"]][0] == tree.root_id]
        years = [y.year for y in tree.timeline]
        assert years == list(range(min(years), max(years) + 1))
        assert years[0] == min(o["founded_on"].year for o in mine)
        for y in tree.timeline:
            founded = [o for o in mine if o["founded_on"] <= dt.date(y.year, 12, 31)]
            assert y.organisations == len(founded)
        assert tree.timeline[-1].organisations == len(tree.members)
        counts = [y.meetings for y in tree.timeline]
        assert counts == sorted(counts)
    years = founding_years(trees)
    assert years[0] <= 2019
    assert years[-1] <= 2025


def test_tree_to_dict_is_json():
    orgs = pd.DataFrame({"id": [1, 2], "name": ["Hub", "Child <b>"], "parent_id": [None, 1],
                         "founded_on": [dt.date(2020, 1, 1), None], "status": ["approved",
                                                                                "pending"],
                         "lat": [53.0, 53.1], "lon": [-2.0, -2.1], "region": ["R", "R"]})
    tree = growth_trees(orgs, until_year=2022)[0]
    body = json.loads(json.dumps(tree.to_dict()))
    assert body["depth"] == 1
    assert body["organisations"] == 2
    assert body["region"] == "R"
    assert [y["year"] for y in body["timeline"]] == [2020, 2021, 2022]
    assert body["timeline"][0]["organisations"] == 2  # undated: counted from the first year
    assert body["members"][1]["founded_on"] is None


def test_empty_and_orphaned_organisations():
    assert growth_trees(pd.DataFrame({"id": [], "name": [], "parent_id": [],
                                      "founded_on": []})) == []
    orphan = pd.DataFrame({"id": [5], "name": ["Alone"], "parent_id": [42],
                           "founded_on": [dt.date(2021, 5, 1)]})
    (tree,) = growth_trees(orphan)
    assert tree.root_id == 5
    assert tree.depth == 0
    assert tree.edges() == []
