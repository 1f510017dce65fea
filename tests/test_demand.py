"""The demand model: totals against ONS, no double counting, finer demand, the GM postcodes.

The shipped table (``ingest/data/uk_demand_districts.csv``) is checked against the ONS file it
was built from, read here independently; the Greater Manchester check loads every 2018
postcode with its district's people shared out and compares coverage with a brute force.
"""

from __future__ import annotations

import importlib.util
import json
import sys
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from click.testing import CliRunner

from geo._postcode_districts import _POSTCODE_DISTRICT_CENTROIDS
from geo.postcode import parse_postcode
from ingest.demand import DISTRICT_SOURCE
from ingest.demand import demand_from_frame
from ingest.demand import demand_in_use
from ingest.demand import district_demand
from ingest.demand import finest_demand
from ingest.demand import save_demand
from ingest.demand import share_out
from matching.coverage import compute_coverage

ROOT = Path(__file__).resolve().parents[1]
R_EARTH = 6371.0088
UK_MID_2022 = 67_596_281
LA_GEOGRAPHIES = ("Unitary Authority", "Non-metropolitan District", "Metropolitan District",
                  "London Borough", "Council Area", "Local Government District")
GM_BOROUGHS = ("Bolton", "Bury", "Manchester", "Oldham", "Rochdale", "Salford", "Stockport",
               "Tameside", "Trafford", "Wigan")


def brute_km(lat1, lon1, lat2, lon2):
    """All-pairs great-circle distances, written out here (rows: first points)."""
    p1 = np.radians(np.asarray(lat1, float))[:, None]
    p2 = np.radians(np.asarray(lat2, float))[None, :]
    dl = np.radians(np.asarray(lon2, float)[None, :] - np.asarray(lon1, float)[:, None])
    a = np.sin((p2 - p1) / 2) ** 2 + np.cos(p1) * np.cos(p2) * np.sin(dl / 2) ** 2
    return 2 * R_EARTH * np.arcsin(np.sqrt(np.clip(a, 0, 1)))


@pytest.fixture(scope="module")
def uk() -> pd.DataFrame:
    return district_demand()


# -- the shipped table -----------------------------------------------------------------------


def test_every_authority_totals_its_ons_mid_2022_population(uk, shared_data):
    ons = pd.read_csv(shared_data / "population" / "uk_mid2022_population_all_geographies.csv",
                      encoding="utf-8-sig")
    la = ons.loc[ons["Geography"].isin(LA_GEOGRAPHIES)].set_index("Code")["Population"]
    assert len(la) == 361
    mine = uk.groupby("la_code")["population"].sum()
    assert set(mine.index) == set(la.index)  # every authority has people, none is invented
    ratio = mine / la.loc[mine.index]
    assert ratio.between(0.995, 1.005).all(), ratio[~ratio.between(0.995, 1.005)]
    uk_row = ons.loc[ons["Code"] == "K02000001", "Population"].iloc[0]
    assert int(uk["population"].sum()) == int(uk_row) == UK_MID_2022


def test_no_two_demand_points_stand_for_the_same_people(uk):
    districts = uk.loc[uk["district"] != "", "district"]
    assert districts.is_unique
    assert uk["name"].is_unique
    assert (uk["population"] > 0).all()
    assert uk[["lat", "lon"]].notna().all().all()
    # Each district lies in the UK and has one main authority.
    assert uk["lat"].between(49.8, 60.9).all()
    assert uk["lon"].between(-8.7, 1.8).all()
    assert uk.groupby("district")["la_code"].nunique().max() == 1


def test_the_geocoder_uses_the_same_district_centroids(uk):
    for row in uk.loc[uk["district"] != ""].itertuples(index=False):
        lat, lon = _POSTCODE_DISTRICT_CENTROIDS[row.district]
        assert abs(lat - row.lat) < 1e-4
        assert abs(lon - row.lon) < 1e-4


def test_the_build_script_rebuilds_the_shipped_table(uk, shared_data):
    spec = importlib.util.spec_from_file_location("build_demand",
                                                  ROOT / "scripts" / "build_demand.py")
    module = importlib.util.module_from_spec(spec)
    sys.modules["build_demand"] = module
    spec.loader.exec_module(module)
    table, _ = module.build(shared_data)
    shipped = pd.read_csv(ROOT / "ingest" / "data" / "uk_demand_districts.csv",
                          dtype={"district": str}, keep_default_na=False)
    rebuilt = table.drop(columns=["population_2011", "assigned_by"])
    assert rebuilt["population"].tolist() == shipped["population"].tolist()
    assert rebuilt["district"].tolist() == shipped["district"].tolist()
    assert (ROOT / "ingest" / "data" / "README.md").read_text().count("Open Government") == 1


# -- finer demand ----------------------------------------------------------------------------


def test_finer_points_replace_their_district_and_keep_its_people(uk):
    m14 = uk.loc[uk["district"] == "M14"].iloc[0]
    york = uk.loc[uk["district"] == "YO1"].iloc[0]
    finer = pd.DataFrame({"name": ["a", "b", "c", "d"],
                          "lat": [m14.lat, m14.lat + 0.01, york.lat + 0.001, 53.9],
                          "lon": [m14.lon, m14.lon, york.lon, -1.0],
                          "population": [30000, m14.population - 30000, york.population, 0],
                          "district": ["M14", "M14", "", ""]})
    used = finest_demand(uk, [finer])
    assert int(used["population"].sum()) == int(uk["population"].sum())
    assert "M14 Fallowfield" not in set(used["name"])
    assert {"a", "b"} <= set(used["name"])
    assert set(used.loc[used["name"].isin(["a", "b"]), "place"]) == {"Manchester"}
    # The point without a postcode went to its nearest district, which it now stands for;
    # the point with nobody is ignored.
    assert used.loc[used["name"] == "c", "district"].iloc[0] == "YO1"
    assert "YO1" not in set(used.loc[used["source"] == "districts", "district"])
    assert "d" not in set(used["name"])


def test_the_finest_table_wins_per_district(uk):
    m14 = uk.loc[uk["district"] == "M14"].iloc[0]
    coarse = pd.DataFrame({"name": ["lsoa"], "lat": [m14.lat], "lon": [m14.lon],
                           "population": [m14.population], "district": ["M14"]})
    fine = pd.DataFrame({"name": [f"pc{i}" for i in range(4)], "lat": [m14.lat] * 4,
                         "lon": [m14.lon] * 4, "population": [m14.population // 4] * 4,
                         "district": ["M14"] * 4})
    used = finest_demand(uk, [coarse, fine])
    assert "lsoa" not in set(used["name"])
    assert (used["name"].str.startswith("pc")).sum() == 4


def test_greater_manchester_postcodes_with_their_districts_people(uk, shared_data):
    """Every GM postcode (2018) carrying its district's people shared out; coverage is then
    computed on 111k points and checked against a brute force."""
    gm = pd.read_csv(shared_data / "uk-postcodes" / "gm_postcodes_2018-08.csv")
    gm["district"] = [(p.district if (p := parse_postcode(t)) is not None else "")
                      for t in gm["postcode"]]
    gm_districts = set(gm["district"]) & set(uk["district"])
    # Only the districts whose main authority is in Greater Manchester are shared out (the
    # rest of a straddling district's people stay on its centroid).
    la = uk.set_index("district")["la_name"]
    shared = {d for d in gm_districts if la.get(d) in GM_BOROUGHS}
    points = gm.loc[gm["district"].isin(shared)]
    with_people = share_out(points, uk.loc[uk["district"].isin(shared)])
    loaded = demand_from_frame(with_people[["postcode", "lat", "lon", "population"]])
    assert len(loaded) > 100_000
    used = finest_demand(uk, [loaded])
    assert int(used["population"].sum()) == int(uk["population"].sum())
    gm_people = uk.loc[uk["la_name"].isin(GM_BOROUGHS), "population"].sum()
    assert 2_800_000 < gm_people < 2_950_000  # ONS mid-2022: 2.87 million
    assert used.loc[used["source"] != "districts", "population"].sum() == \
        uk.loc[uk["district"].isin(shared), "population"].sum()

    # Coverage in GM from one meeting in central Manchester, on the postcode points.
    meetings = pd.DataFrame({"id": [1], "lat": [53.4794], "lon": [-2.2453]})
    fine_gm = used.loc[used["source"] != "districts"].reset_index(drop=True)
    result = compute_coverage(fine_gm, meetings, radius_km=5.0)
    d = brute_km(fine_gm["lat"], fine_gm["lon"], [53.4794], [-2.2453])[:, 0]
    expected = int(fine_gm.loc[d <= 5.0, "population"].sum())
    assert result.covered_population == expected
    np.testing.assert_allclose(result.demand["distance_km"], d, atol=1e-9)
    # Finer demand changes the answer: the district points put Manchester's people on
    # a few centroids, the postcodes spread them.
    coarse = compute_coverage(uk.loc[uk["district"].isin(shared)], meetings, radius_km=5.0)
    assert coarse.covered_population != result.covered_population


def test_loaded_tables_are_used_and_named_in_the_source(uk, tmp_path):
    assert demand_in_use(None, tmp_path)[1] == DISTRICT_SOURCE
    m14 = uk.loc[uk["district"] == "M14"].iloc[0]
    save_demand(pd.DataFrame({"name": ["x"], "lat": [m14.lat], "lon": [m14.lon],
                              "population": [int(m14.population)], "district": ["M14"]}),
                tmp_path, name="My LSOAs")
    used, source = demand_in_use(None, tmp_path)
    assert "my-lsoas" in source
    assert "x" in set(used["name"])
    assert int(used["population"].sum()) == UK_MID_2022


def test_cli_ingest_and_export_demand(tmp_path, uk):
    from service.cli import main

    db = f"sqlite:///{tmp_path / 'cg.db'}"
    runner = CliRunner(env={"COMMONGROUND_DATA_DIR": str(tmp_path / "data")})
    assert runner.invoke(main, ["--database-url", db, "init-db"]).exit_code == 0
    m14 = uk.loc[uk["district"] == "M14"].iloc[0]
    src = tmp_path / "points.csv"
    src.write_text(f"postcode,lat,lon,population\nM14 5AA,{m14.lat},{m14.lon},"
                   f"{m14.population - 10}\nM14 6BB,{m14.lat + 0.005},{m14.lon},10\n")
    done = runner.invoke(main, ["--database-url", db, "ingest", "demand", str(src), "--json"])
    assert done.exit_code == 0, done.output
    assert json.loads(done.output)["demand"] == 2
    out = tmp_path / "in-use.csv"
    exported = runner.invoke(main, ["--database-url", db, "export", "demand", "-o", str(out)])
    assert exported.exit_code == 0, exported.output
    frame = pd.read_csv(out, dtype={"district": str}, keep_default_na=False)
    assert int(frame["population"].sum()) == UK_MID_2022
    assert set(frame.loc[frame["district"] == "M14", "name"]) == {"M14 5AA", "M14 6BB"}
    bad = tmp_path / "bad.csv"
    bad.write_text("name,lat,lon,population\na,53.0,-2.0,many\n")
    refused = runner.invoke(main, ["--database-url", db, "ingest", "demand", str(bad)])
    assert refused.exit_code == 1
    assert "first data rows: [2]" in refused.output
