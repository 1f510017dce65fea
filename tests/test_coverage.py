"""Coverage figures against an independent brute force (haversine over all pairs) on the demo.

The brute force reads the demo through other queries (``store.reads``), computes every
demand x meeting and demand x organisation distance with its own haversine, and derives the
covered shares, regions, trees and gaps from first principles.
"""

from __future__ import annotations

import json
import math

import numpy as np
import pandas as pd
import pytest

from geo.service_area import service_area_from_text
from ingest.demand import DemandFileError
from ingest.demand import demand_from_frame
from ingest.demand import district_demand
from matching.coverage import CoverageInputError
from matching.coverage import compute_coverage
from matching.coverage import hexagons
from matching.coverage import root_of
from store.coverage import meetings_frame
from store.coverage import organisations_frame
from store.coverage import regions_frame
from store.reads import list_meetings
from store.reads import list_organisations

R_EARTH = 6371.0088


def brute_km(lat1, lon1, lat2, lon2):
    """All-pairs great-circle distances, written out here (rows: first points)."""
    p1 = np.radians(np.asarray(lat1, float))[:, None]
    p2 = np.radians(np.asarray(lat2, float))[None, :]
    dl = np.radians(np.asarray(lon2, float)[None, :] - np.asarray(lon1, float)[:, None])
    a = np.sin((p2 - p1) / 2) ** 2 + np.cos(p1) * np.cos(p2) * np.sin(dl / 2) ** 2
    return 2 * R_EARTH * np.arcsin(np.sqrt(np.clip(a, 0, 1)))


@pytest.fixture(scope="module")
def gb_demand() -> pd.DataFrame:
    return district_demand(service_area_from_text("GB"))


def _brute_force(store, demand: pd.DataFrame, radius_km: float, territory_km: float = 30.0):
    meetings = [m for m in list_meetings(store, active_only=True)
                if m["attendance"] in ("in_person", "hybrid") and m["lat"] is not None]
    orgs = [o for o in list_organisations(store) if o["lat"] is not None]
    d = brute_km(demand["lat"], demand["lon"], [m["lat"] for m in meetings],
                 [m["lon"] for m in meetings])
    nearest = d.min(axis=1)
    covered = nearest <= radius_km
    pop = demand["population"].to_numpy()
    parents = {o["id"]: o["parent_id"] for o in list_organisations(store)}

    def root(oid):
        while parents.get(oid) is not None:
            oid = parents[oid]
        return oid

    do = brute_km(demand["lat"], demand["lon"], [o["lat"] for o in orgs],
                  [o["lon"] for o in orgs])
    near_org = do.argmin(axis=1)
    inside = do.min(axis=1) <= territory_km
    region_names = {o["id"]: o["region"] for o in orgs}
    by_region: dict[str, list[int]] = {}
    by_root: dict[int, list[int]] = {}
    for i in np.flatnonzero(inside):
        oid = orgs[near_org[i]]["id"]
        by_region.setdefault(region_names[oid], []).append(i)
        by_root.setdefault(root(oid), []).append(i)
    return {
        "nearest": nearest, "covered": covered,
        "population": int(pop.sum()), "covered_population": int(pop[covered].sum()),
        "regions": {name: (int(pop[idx].sum()), int(pop[idx][covered[idx]].sum()))
                    for name, idx in by_region.items()},
        "roots": {r: (int(pop[idx].sum()), int(pop[idx][covered[idx]].sum()))
                  for r, idx in by_root.items()},
        "meetings_per_root": {r: sum(1 for m in meetings if root(m["organisation_id"]) == r)
                              for r in by_root},
    }


@pytest.mark.parametrize("radius_km", [10.0, 4.0])
def test_coverage_matches_brute_force_on_the_demo(demo_store, gb_demand, radius_km):
    result = compute_coverage(gb_demand, meetings_frame(demo_store), radius_km=radius_km,
                              organisations=organisations_frame(demo_store),
                              regions=regions_frame(demo_store))
    brute = _brute_force(demo_store, gb_demand, radius_km)
    np.testing.assert_allclose(result.demand["distance_km"], brute["nearest"], rtol=0,
                               atol=1e-9)
    assert result.demand["covered"].tolist() == brute["covered"].tolist()
    assert result.population == brute["population"]
    assert result.covered_population == brute["covered_population"]
    assert 0 < result.covered_population < result.population
    assert result.covered_share == pytest.approx(brute["covered_population"]
                                                 / brute["population"])
    regions = {r["name"]: (r["population"], r["covered_population"]) for r in result.by_region}
    assert regions == brute["regions"]
    assert len(regions) == 5
    for row in result.by_region:
        assert row["covered_share"] == pytest.approx(row["covered_population"]
                                                     / row["population"])
    roots = {r["organisation_id"]: (r["population"], r["covered_population"])
             for r in result.by_hotspot}
    assert roots == brute["roots"]
    meetings = {r["organisation_id"]: r["meetings"] for r in result.by_hotspot}
    assert meetings == brute["meetings_per_root"]


def test_gaps_are_the_most_populous_uncovered_towns(demo_store, gb_demand):
    result = compute_coverage(gb_demand, meetings_frame(demo_store), radius_km=10.0)
    brute = _brute_force(demo_store, gb_demand, 10.0)
    open_rows = gb_demand.assign(d=brute["nearest"]).loc[~brute["covered"]]
    expected = open_rows.sort_values(["population", "name"], ascending=[False, True])
    gaps = result.to_dict(gaps=25)["gaps"]
    assert [g["name"] for g in gaps] == expected["name"].head(25).tolist()
    assert [g["population"] for g in gaps] == expected["population"].head(25).tolist()
    for g, d in zip(gaps, expected["d"].head(25), strict=True):
        assert g["distance_km"] == pytest.approx(d, abs=1e-3)
        assert g["distance_km"] > 10.0
        assert set(g) == {"name", "place", "lat", "lon", "population", "distance_km"}


def test_both_backends_give_the_same_coverage(demo_stores, gb_demand):
    if "postgis" not in demo_stores:
        pytest.skip("PostGIS is not available")
    answers = [
        compute_coverage(gb_demand, meetings_frame(s), organisations=organisations_frame(s),
                         regions=regions_frame(s)).to_dict(gaps=50)
        for s in (demo_stores["sqlite"], demo_stores["postgis"])
    ]
    assert json.dumps(answers[0], sort_keys=True) == json.dumps(answers[1], sort_keys=True)


def test_json_shape_is_exactly_the_issue_s(demo_store, gb_demand):
    body = compute_coverage(gb_demand, meetings_frame(demo_store),
                            organisations=organisations_frame(demo_store),
                            regions=regions_frame(demo_store)).to_dict()
    assert list(body) == ["radius_km", "on", "meetings", "population", "population_source",
                          "covered_population", "covered_share", "by_region", "by_hotspot",
                          "gaps"]
    json.dumps(body, allow_nan=False)  # no NaN or Infinity in the answer
    assert {"id", "name", "population", "covered_population", "covered_share"} <= set(
        body["by_region"][0])
    assert {"organisation_id", "name", "population", "covered_population",
            "covered_share"} <= set(body["by_hotspot"][0])


# -- demand ---------------------------------------------------------------------------------


def test_district_demand_stays_in_the_service_area():
    wales = district_demand(service_area_from_text("wales"))
    assert "Cardiff" in set(wales["place"])
    assert "Manchester" not in set(wales["place"])
    box = service_area_from_text("-3.5,51.3,-3.0,51.7")
    inside = district_demand(box)
    assert len(inside) > 5
    assert inside["lat"].between(51.3, 51.7).all()
    assert inside["lon"].between(-3.5, -3.0).all()


def test_user_loaded_demand_in_bng_and_degrees_and_its_errors():
    frame = pd.DataFrame({"LSOA21CD": ["E01000001", "E01000002"],
                          "x": [384200.0, 530000.0], "y": [398200.0, 180000.0],
                          "Population": [1500, 2000]})
    out = demand_from_frame(frame)
    assert out["name"].tolist() == ["E01000002", "E01000001"]  # most people first
    assert out.loc[1, "lat"] == pytest.approx(53.48, abs=0.01)
    degrees = demand_from_frame(pd.DataFrame({"name": ["a"], "latitude": [53.0],
                                              "longitude": [-2.0], "pop": [10]}))
    assert degrees.loc[0, "population"] == 10
    with pytest.raises(DemandFileError, match="population column"):
        demand_from_frame(pd.DataFrame({"lat": [1.0], "lon": [1.0]}))
    with pytest.raises(DemandFileError, match="position"):
        demand_from_frame(pd.DataFrame({"name": ["a"], "population": [1]}))
    with pytest.raises(DemandFileError, match=r"first data rows: \[3\]"):
        demand_from_frame(pd.DataFrame({"lat": [53.0, "north"], "lon": [-2.0, -2.0],
                                        "population": [1, 2]}))


# -- edge cases and parameters --------------------------------------------------------------


def _toy_demand():
    return pd.DataFrame({"name": ["A", "B", "C"], "lat": [53.0, 53.0, 54.0],
                         "lon": [-2.0, -1.9, -2.0], "population": [100, 200, 400]})


def test_no_meetings_covers_nobody_and_says_so_in_json():
    result = compute_coverage(_toy_demand(), pd.DataFrame({"id": [], "lat": [], "lon": []}))
    body = result.to_dict()
    assert body["covered_population"] == 0
    assert body["covered_share"] == 0.0
    assert [g["distance_km"] for g in body["gaps"]] == [None, None, None]
    json.dumps(body, allow_nan=False)


def test_a_meeting_exactly_on_the_radius_covers():
    demand = pd.DataFrame({"name": ["A"], "lat": [0.0], "lon": [0.0], "population": [7]})
    meeting_lon = math.degrees(10.0 / R_EARTH)  # exactly 10 km east on the equator
    result = compute_coverage(demand, pd.DataFrame({"id": [1], "lat": [0.0],
                                                    "lon": [meeting_lon]}), radius_km=10.0)
    assert result.covered_population == 7
    nudged = compute_coverage(demand, pd.DataFrame({"id": [1], "lat": [0.0],
                                                    "lon": [meeting_lon * 1.0001]}),
                              radius_km=10.0)
    assert nudged.covered_population == 0


@pytest.mark.parametrize(("value", "message"), [
    (0, "more than 0"), (-1, "more than 0"), ("ten", "must be a number"),
    (float("nan"), "more than 0"), (501, "at most 500"),
])
def test_bad_radius_names_the_parameter(value, message):
    with pytest.raises(CoverageInputError, match=message) as info:
        compute_coverage(_toy_demand(), pd.DataFrame({"id": [1], "lat": [53.0],
                                                      "lon": [-2.0]}), radius_km=value)
    assert "radius_km" in str(info.value)
    assert repr(value) in str(info.value)


def test_missing_columns_are_named():
    with pytest.raises(CoverageInputError, match="'lat'"):
        compute_coverage(_toy_demand(), pd.DataFrame({"id": [1], "lon": [-2.0]}))


def test_a_region_boundary_wins_over_the_nearest_organisation():
    demand = _toy_demand()
    orgs = pd.DataFrame({"id": [1, 2], "name": ["North", "South"], "parent_id": [None, None],
                         "region_id": [10, 20], "lat": [54.0, 53.0], "lon": [-2.0, -1.95]})
    box = {"type": "Polygon", "coordinates": [[[-2.05, 52.9], [-1.95, 52.9], [-1.95, 53.1],
                                               [-2.05, 53.1], [-2.05, 52.9]]]}
    regions = pd.DataFrame({"id": [10, 20], "name": ["Northern", "Southern"],
                            "boundary_geojson": [json.dumps(box), None]})
    result = compute_coverage(demand, pd.DataFrame({"id": [1], "lat": [53.0], "lon": [-2.0]}),
                              organisations=orgs, regions=regions)
    # A lies inside Northern's boundary although its nearest organisation is South's; C sits
    # beside North, but outside North's region boundary, so it belongs to no region.
    regions_of = [None if pd.isna(v) else int(v) for v in result.demand["region_id"]]
    assert dict(zip(result.demand["name"], regions_of, strict=True)) == {
        "A": 10, "B": 20, "C": None}
    rows = {r["name"]: r for r in result.by_region}
    assert rows["Northern"]["population"] == 100
    assert rows["Southern"]["population"] == 200


def test_tree_roots_survive_cycles_and_orphans():
    orgs = pd.DataFrame({"id": [1, 2, 3, 4, 5], "parent_id": [None, 1, 5, 3, 99]})
    assert root_of(orgs) == {1: 1, 2: 1, 3: 5, 4: 5, 5: 5}
    cycle = pd.DataFrame({"id": [7, 8], "parent_id": [8, 7]})
    assert root_of(cycle) == {7: 7, 8: 7}


def test_hexagons_add_up_to_the_totals(demo_store, gb_demand):
    result = compute_coverage(gb_demand, meetings_frame(demo_store))
    cells = hexagons(result.demand, resolution=5)
    assert cells["population"].sum() == result.population
    assert cells["covered_population"].sum() == result.covered_population
    assert cells["places"].sum() == len(gb_demand)
    assert cells["covered_share"].between(0, 1).all()
    covered_cells = cells.loc[cells["covered_share"] == 1.0]
    assert (covered_cells["distance_km"] <= 10.0).all()
    with pytest.raises(CoverageInputError, match="resolution"):
        hexagons(result.demand, resolution=16)
