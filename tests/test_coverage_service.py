"""Coverage through the service: the JSON API, the CLI, the map pages; on both backends."""

from __future__ import annotations

import datetime as dt
import json
import re

import pytest
from click.testing import CliRunner

from geo.service_area import service_area_from_text
from ingest.demand import DISTRICT_SOURCE
from ingest.demand import district_demand
from matching.coverage import compute_coverage
from matching.coverage import serving_meetings
from service.cli import main
from store.coverage import meetings_frame
from store.coverage import organisations_frame
from store.coverage import regions_frame
from store.coverage import volunteers_frame

ERROR_KEYS = {"error", "detail", "status"}


def _app_on(store, tmp_path):
    from service import create_app

    return create_app({"TESTING": True, "DATABASE_URL": store.url, "SECRET_KEY": "t",
                       "INSTANCE_PATH": str(tmp_path)})


@pytest.fixture
def demo_app(demo_store, tmp_path):
    from service import get_store

    app = _app_on(demo_store, tmp_path)
    yield app
    get_store(app).dispose()


@pytest.fixture
def sqlite_demo_app(demo_stores, tmp_path):
    """The map pages and files run the same in-process code on both backends (their inputs,
    the store frames, are compared across backends above): SQLite only, to keep the suite
    fast."""
    from service import get_store

    app = _app_on(demo_stores["sqlite"], tmp_path)
    yield app
    get_store(app).dispose()


def _cli(url: str, *args: str):
    return CliRunner().invoke(main, ["--database-url", url, *args])


def test_api_coverage_is_the_in_process_answer(demo_app, demo_store):
    response = demo_app.test_client().get("/api/coverage?radius_km=12")
    assert response.status_code == 200
    body = response.get_json()
    orgs = organisations_frame(demo_store)
    today = dt.date.today()
    serving = serving_meetings(meetings_frame(demo_store), orgs, volunteers_frame(demo_store),
                               on=today)
    expected = compute_coverage(
        district_demand(service_area_from_text("GB")), serving, radius_km=12,
        organisations=orgs, regions=regions_frame(demo_store),
        population_source=DISTRICT_SOURCE, on=today,
    ).to_dict(gaps=20)
    assert body == json.loads(json.dumps(expected))
    assert body["radius_km"] == 12.0
    assert len(body["gaps"]) == 20
    default = demo_app.test_client().get("/api/coverage").get_json()
    assert default["radius_km"] == 10.0
    assert default["covered_population"] < body["covered_population"]


def test_cli_json_prints_what_the_api_answers(demo_app, demo_store):
    api = demo_app.test_client().get("/api/coverage?radius_km=8").get_json()
    result = _cli(demo_store.url, "coverage", "--radius-km", "8", "--json")
    assert result.exit_code == 0, result.output
    assert json.loads(result.output) == api
    sites_api = demo_app.test_client().get("/api/sites/suggest?radius_km=8&count=3").get_json()
    sites_cli = _cli(demo_store.url, "suggest-sites", "--radius-km", "8", "--count", "3",
                     "--json")
    assert sites_cli.exit_code == 0, sites_cli.output
    assert json.loads(sites_cli.output) == sites_api
    assert len(sites_api["sites"]) == 3
    for site in sites_api["sites"]:
        assert set(site) == {"name", "at", "lat", "lon", "added_population", "places",
                             "devolve_from"}
        assert set(site["devolve_from"]) == {"organisation_id", "name", "distance_km",
                                             "readiness", "reasons"}
        assert site["places"]
        assert site["places"][0]["name"] == site["name"]


@pytest.mark.parametrize(("url", "detail"), [
    ("/api/coverage?radius_km=abc", "radius_km='abc' is not a number"),
    ("/api/coverage?radius_km=0", "radius_km='0' is out of range: use a number from 0.1 to 100"),
    ("/api/coverage?radius=5", "unknown parameter 'radius'; allowed: radius_km, on"),
    ("/api/coverage?on=yesterday", "on='yesterday' is not a date: use YYYY-MM-DD"),
    ("/api/coverage/what-if?lat=53.5", "lat and lon are required"),
    ("/api/coverage/what-if?lat=95&lon=-2", "lat='95' is out of range"),
    ("/api/sites/suggest?count=0", "count='0' is out of range: use a whole number from 1 to 50"),
    ("/api/sites/suggest?count=2.5", "count='2.5' is not a whole number"),
    ("/api/sites/suggest?count=many", "count='many'"),
    ("/api/sites/suggest?radius_km=-2&count=3", "radius_km='-2' is out of range"),
])
def test_bad_parameters_answer_400_with_the_error_body(client, url, detail):
    response = client.get(url)
    assert response.status_code == 400
    body = response.get_json()
    assert set(body) == ERROR_KEYS
    assert body["status"] == 400
    assert body["error"] == "bad_parameter"
    assert detail in body["detail"]


def test_an_empty_store_covers_nobody(client):
    body = client.get("/api/coverage").get_json()
    assert body["covered_population"] == 0
    assert body["population"] == 67_596_281  # ONS mid-2022, the whole UK
    assert body["population_source"] == DISTRICT_SOURCE
    assert body["by_region"] == []
    assert body["by_hotspot"] == []
    assert body["gaps"][0]["population"] == max(g["population"] for g in body["gaps"])
    assert body["gaps"][0]["distance_km"] is None
    sites = client.get("/api/sites/suggest?count=2").get_json()["sites"]
    assert [s["devolve_from"]["organisation_id"] for s in sites] == [None, None]
    assert sites[0]["devolve_from"]["reasons"] == "no approved organisation to devolve from"


def test_cli_text_and_bad_usage(demo_store):
    text = _cli(demo_store.url, "coverage", "--gaps", "3")
    assert text.exit_code == 0, text.output
    assert "within 10 km of the" in text.output
    assert "Largest uncovered places" in text.output
    assert "Wigan Peer Recovery Network" in text.output
    sites = _cli(demo_store.url, "suggest-sites", "--count", "2")
    assert sites.exit_code == 0
    assert "reaches " in sites.output
    assert "devolve from" in sites.output or "none ready within" in sites.output
    bad = _cli(demo_store.url, "coverage", "--radius-km", "-1")
    assert bad.exit_code == 2
    assert "radius_km=-1.0 is out of range" in bad.output
    for command in ("coverage", "suggest-sites", "map"):
        assert _cli(demo_store.url, command, "--help").exit_code == 0


def test_cli_reads_user_demand_files(demo_store, tmp_path):
    path = tmp_path / "areas.csv"
    path.write_text("name,x,y,population\nNear Wigan,358000,405800,1000\n"
                    "Far away,530000,180000,3000\n")
    result = _cli(demo_store.url, "coverage", "--demand", str(path), "--json")
    assert result.exit_code == 0, result.output
    body = json.loads(result.output)
    assert body["population"] == 4000
    assert body["covered_population"] == 1000
    bad = tmp_path / "bad.csv"
    bad.write_text("name,population\na,1\n")
    result = _cli(demo_store.url, "coverage", "--demand", str(bad))
    assert result.exit_code == 2
    assert "position" in result.output


def test_cli_writes_the_three_maps(demo_stores, tmp_path):
    demo_store = demo_stores["sqlite"]
    for kind, extra in (("coverage", ["--count", "2"]), ("growth", []),
                        ("opportunities", ["--place", "Wigan", "--radius-km", "8"])):
        out = tmp_path / f"{kind}.html"
        result = _cli(demo_store.url, "map", kind, "-o", str(out), *extra)
        assert result.exit_code == 0, result.output
        assert out.stat().st_size > 10_000
        assert "leaflet" in out.read_text(encoding="utf-8").lower()
    none = _cli(demo_store.url, "map", "opportunities", "-o", str(tmp_path / "x.html"))
    assert none.exit_code == 2
    assert "needs an origin" in none.output
    unknown = _cli(demo_store.url, "map", "opportunities", "--place", "Nowhereville-on-Sea",
                   "-o", str(tmp_path / "x.html"))
    assert unknown.exit_code == 1
    assert "Nowhereville-on-Sea" in unknown.output


def test_map_pages(sqlite_demo_app):
    client = sqlite_demo_app.test_client()
    for url in ("/maps/coverage", "/maps/coverage?radius_km=5&count=0&hex=distance_km",
                "/maps/growth", "/maps/opportunities?place=Cardiff&radius_km=10"):
        response = client.get(url)
        assert response.status_code == 200, url
        assert response.mimetype == "text/html"
        page = response.get_data(as_text=True)
        assert "L.map(" in page
        assert "cg-legend" in page
    assert client.get("/maps/opportunities?place=Cardiff").headers["Cache-Control"] == \
        "no-store"
    for url, status in (("/maps/coverage?radius_km=x", 400), ("/maps/coverage?hex=pink", 400),
                        ("/maps/coverage?count=99", 400),
                        ("/maps/opportunities?place=Nowhereville-on-Sea", 404),
                        ("/maps/opportunities?lat=53&lon=-2&limit=0", 400)):
        response = client.get(url)
        assert response.status_code == status, url
        assert "<html" in response.get_data(as_text=True).lower()


def test_store_frames_on_both_backends(demo_store):
    meetings = meetings_frame(demo_store)
    assert set(meetings["attendance"]) <= {"in_person", "hybrid"}
    assert meetings["active"].all()
    assert meetings["lat"].notna().all()
    every = meetings_frame(demo_store, active_only=False, attendance=None)
    assert len(every) > len(meetings)
    orgs = organisations_frame(demo_store)
    assert orgs["is_hotspot"].sum() == 5
    assert set(orgs["status"]) >= {"approved", "pending"}
    assert orgs["region"].notna().all()
    assert len(regions_frame(demo_store)) == 5


def test_openapi_paths_describe_both_endpoints():
    from service.api.openapi import openapi_document

    paths = openapi_document()["paths"]
    assert {"/api/coverage", "/api/sites/suggest"} <= set(paths)
    names = [p["name"] for p in paths["/api/sites/suggest"]["get"]["parameters"]]
    assert names == ["radius_km", "count", "on"]


def test_map_pages_escape_names_from_the_store(app, client, sqlite_store):
    import datetime as dt

    from service import get_store
    from service.usecases.coverage_cache import cache_for
    from store import models

    evil = "<script>alert(1)</script>"
    with sqlite_store.session() as s:
        org = models.PeerOrganisation(name=evil, status="approved", is_hotspot=True,
                                      founded_on=dt.date(2020, 1, 1), lat=53.5, lon=-2.6)
        s.add(org)
        s.flush()
        s.add(models.Meeting(name=evil, organisation_id=org.id, lat=53.51, lon=-2.61,
                             venue=evil, attendance="in_person", active=True))
    for url in ("/maps/coverage?count=1", "/maps/growth"):
        page = client.get(url).get_data(as_text=True)
        assert cache_for(get_store(client.application)).wait_background(120)
        page = client.get(url).get_data(as_text=True)  # with the sites the solver found
        assert evil not in page, url
        # Escaped as HTML (and, inside embedded GeoJSON, its & written \u0026 by tojson).
        assert ("&lt;script&gt;alert(1)&lt;/script&gt;" in page
                or "\\u0026lt;script\\u0026gt;alert(1)\\u0026lt;/script\\u0026gt;" in page), url
    body = client.get("/api/coverage").get_json()
    assert body["by_hotspot"][0]["name"] == evil  # JSON carries the text as it is


def test_the_first_coverage_map_does_not_wait_for_the_exact_solver(sqlite_demo_app):
    """Cold: greedy's sites (or none yet) and a note to reload; then the exact sites, no note."""
    from service import get_store
    from service.usecases.coverage_cache import cache_for

    client = sqlite_demo_app.test_client()
    url = "/maps/coverage?radius_km=11.75&count=3"  # a radius no other test asks: cold
    cold = client.get(url).get_data(as_text=True)
    panel = re.search(r'<div class="cg-panel cg-sites".*?</div>', cold, re.S)
    assert panel, "the sites panel is there while the solver runs"
    assert 'role="status"' in panel.group(0)
    assert "reload" in panel.group(0) or "working out" in panel.group(0)
    assert cache_for(get_store(sqlite_demo_app)).wait_background(120)
    done = client.get(url).get_data(as_text=True)
    panel = re.search(r'<div class="cg-panel cg-sites".*?</div>', done, re.S)
    assert panel
    assert 'role="status"' not in panel.group(0)
    assert len(re.findall(r"<li", panel.group(0))) == 3


def test_anonymous_clients_are_rate_limited_on_computed_answers(sqlite_store, tmp_path):
    from service import create_app
    from service import get_store

    app = create_app({"TESTING": True, "DATABASE_URL": sqlite_store.url, "SECRET_KEY": "t",
                      "INSTANCE_PATH": str(tmp_path), "ANONYMOUS_RATE_LIMIT": "2 per minute"})
    try:
        client = app.test_client()
        assert client.get("/api/coverage").status_code == 200
        assert client.get("/api/coverage?radius_km=5").status_code == 200
        refused = client.get("/api/coverage")
        assert refused.status_code == 429
        assert set(refused.get_json()) == ERROR_KEYS
        assert int(refused.headers["Retry-After"]) > 0
        page = client.get("/maps/coverage")
        assert page.status_code == 200  # its own budget
        # The cached page is served compressed to browsers, plain to others.
        again = client.get("/maps/coverage", headers={"Accept-Encoding": "gzip"})
        assert again.headers["Content-Encoding"] == "gzip"
        assert client.get("/maps/coverage").status_code == 429
    finally:
        get_store(app).dispose()
