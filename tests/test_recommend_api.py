"""``GET /api/recommendations``, the reverse endpoints and ``commonground recommend``."""

from __future__ import annotations

import json
import logging
from typing import TYPE_CHECKING

import pytest
from click.testing import CliRunner

from service import create_app
from service import get_store
from service.cli import main
from store import Store
from store.models import Association
from store.models import Opportunity

if TYPE_CHECKING:
    from pathlib import Path

    from flask import Flask
    from flask.testing import FlaskClient

RESULT_KEYS = {"opportunity_id", "title", "association", "category", "distance_km", "score",
               "reasons", "lat", "lon"}


def _app(url: str, tmp: Path) -> Flask:
    return create_app({"TESTING": True, "DATABASE_URL": url, "SECRET_KEY": "test",
                       "INSTANCE_PATH": str(tmp)})


@pytest.fixture(scope="module")
def demo_apps(demo_stores: dict[str, Store], tmp_path_factory: pytest.TempPathFactory
              ) -> dict[str, Flask]:
    apps = {name: _app(s.url, tmp_path_factory.mktemp(name)) for name, s in demo_stores.items()}
    yield apps
    for app in apps.values():
        get_store(app).dispose()


@pytest.fixture
def demo_client(demo_apps: dict[str, Flask]) -> FlaskClient:
    return demo_apps["sqlite"].test_client()


@pytest.mark.parametrize("origin", [
    "meeting_id=1", "place=Wigan", "postcode=WN1%201AA", "lat=53.5448&lon=-2.6318",
])
def test_contract(demo_client: FlaskClient, origin: str) -> None:
    response = demo_client.get(f"/api/recommendations?{origin}&interests=gardening,outdoors")
    assert response.status_code == 200, response.get_json()
    assert response.headers["Cache-Control"] == "no-store"
    body = response.get_json()
    assert set(body) >= {"origin", "results"}
    assert {"kind", "label", "lat", "lon", "precision"} <= set(body["origin"])
    results = body["results"]
    assert 1 <= len(results) <= 10
    for r in results:
        assert set(r) >= RESULT_KEYS
        assert r["reasons"][0].startswith(f"{r['distance_km']:.1f} km from ")
        assert r["distance_km"] <= 15.0
    # Listings sharing an interest come first; the score orders each group.
    used = set(body["query"]["interests_used"])
    matched = [bool(used & set(r["interests"])) for r in results]
    assert matched == sorted(matched, reverse=True)
    for group in (True, False):
        scores = [r["score"] for r, m in zip(results, matched, strict=True) if m is group]
        assert scores == sorted(scores, reverse=True)


def test_origins_are_described(demo_client: FlaskClient) -> None:
    meeting = demo_client.get("/api/recommendations?meeting_id=1").get_json()["origin"]
    assert (meeting["kind"], meeting["label"], meeting["meeting_id"]) == (
        "meeting", "your meeting", 1)
    assert meeting["organisation_id"] is not None
    place = demo_client.get("/api/recommendations?place=wigan").get_json()["origin"]
    assert (place["kind"], place["label"], place["precision"]) == ("place", "Wigan", "town")
    area = demo_client.get("/api/recommendations?postcode=wn11aa").get_json()["origin"]
    assert area["kind"] == "postcode"
    assert area["precision"] in {"district", "area"}
    assert area["label"].startswith("the centre of WN")


def test_interests_and_text(demo_client: FlaskClient) -> None:
    body = demo_client.get("/api/recommendations?meeting_id=1&interests=Gardening,bikes"
                           "&text=outdoors").get_json()
    assert body["query"]["interests"] == ["gardening"]
    assert body["query"]["text"] == "outdoors bikes"
    # "bikes" is understood as DIY & repair (a related word of the taxonomy).
    assert body["query"]["interests_used"] == ["gardening", "outdoors", "diy-repair"]
    first = body["results"][0]
    assert any(r.startswith("matches: ") for r in first["reasons"])


def test_limit_radius_and_cap(demo_client: FlaskClient) -> None:
    few = demo_client.get("/api/recommendations?place=Cardiff&limit=3").get_json()["results"]
    assert len(few) == 3
    wide = demo_client.get("/api/recommendations?place=Cardiff&limit=50&radius_km=100"
                           ).get_json()["results"]
    assert len(wide) == 50
    assert max(r["distance_km"] for r in wide) > 15
    per = {}
    for r in wide:
        per[r["association_id"]] = per.get(r["association_id"], 0) + 1
    assert max(per.values()) <= 2
    one = demo_client.get("/api/recommendations?place=Cardiff&limit=50&radius_km=100"
                          "&per_association=1").get_json()["results"]
    assert len({r["association_id"] for r in one}) == len(one)
    assoc = wide[0]["association_id"]
    only = demo_client.get(f"/api/recommendations?place=Cardiff&radius_km=100"
                           f"&association_id={assoc}").get_json()["results"]
    assert {r["association_id"] for r in only} == {assoc}


@pytest.mark.parametrize(("query", "status", "named"), [
    ("place=Wigan&radius_km=0", 400, "radius_km"),
    ("place=Wigan&radius_km=101", 400, "radius_km"),
    ("place=Wigan&radius_km=abc", 400, "radius_km"),
    ("place=Wigan&limit=0", 400, "limit"),
    ("place=Wigan&limit=51", 400, "limit"),
    ("place=Wigan&limit=2.5", 400, "limit"),
    ("place=Wigan&per_association=11", 400, "per_association"),
    ("place=Wigan&days=someday", 400, "days"),
    ("place=Wigan&times=noonish", 400, "times"),
    ("place=Wigan&colour=red", 400, "colour"),
    ("", 400, "exactly one origin"),
    ("place=Wigan&postcode=M1", 400, "exactly one origin"),
    ("lat=53.5", 400, "lon is missing"),
    ("lat=north&lon=1", 400, "lat="),
    ("lat=91&lon=0", 400, "latitude"),
    ("postcode=NOT%20A%20POSTCODE", 400, "'NOT A POSTCODE'"),
    ("place=Atlantis", 404, "'Atlantis'"),
    ("meeting_id=99999", 404, "meeting_id=99999"),
    ("meeting_id=abc", 400, "meeting_id"),
])
def test_errors_name_the_parameter(demo_client: FlaskClient, query: str, status: int,
                                   named: str) -> None:
    response = demo_client.get(f"/api/recommendations?{query}")
    assert response.status_code == status
    body = response.get_json()
    assert set(body) == {"error", "detail", "status"}
    assert body["status"] == status
    assert named in body["detail"]


def test_reverse_endpoints(demo_client: FlaskClient) -> None:
    reach = demo_client.get("/api/opportunities/1/reach?radius_km=30")
    assert reach.status_code == 200
    body = reach.get_json()
    assert body["opportunity"]["opportunity_id"] == 1
    assert body["meetings_in_reach"] == len(body["meetings"])
    km = [m["distance_km"] for m in body["meetings"]]
    assert km == sorted(km)
    assert all(k <= 30 for k in km)
    assoc = demo_client.get("/api/associations/1/reach").get_json()
    assert assoc["association"]["association_id"] == 1
    links = demo_client.get("/api/organisations/1/links-worth-making?limit=3").get_json()
    assert len(links["results"]) == 3
    assert all(r["reasons"] for r in links["results"])
    for url, status, named in [
        ("/api/opportunities/999999/reach", 404, "opportunity_id=999999"),
        ("/api/associations/999999/reach", 404, "association_id=999999"),
        ("/api/organisations/999999/links-worth-making", 404, "organisation_id=999999"),
        ("/api/opportunities/1/reach?radius_km=-1", 400, "radius_km"),
        ("/api/organisations/1/links-worth-making?limit=99", 400, "limit"),
        ("/api/organisations/1/links-worth-making?radius=5", 400, "radius"),
    ]:
        response = demo_client.get(url)
        assert response.status_code == status, url
        assert named in response.get_json()["detail"], url


def test_both_backends_answer_the_same(demo_apps: dict[str, Flask]) -> None:
    if "postgis" not in demo_apps:
        pytest.skip("PostGIS unavailable")
    for query in ("meeting_id=3&interests=sport", "place=Glasgow&text=cooking&limit=20",
                  "lat=52.59&lon=-2.13&radius_km=40&days=weekend&times=morning"):
        a, b = (app.test_client().get(f"/api/recommendations?{query}").get_json()
                for app in (demo_apps["sqlite"], demo_apps["postgis"]))
        assert [r["opportunity_id"] for r in a["results"]] == \
               [r["opportunity_id"] for r in b["results"]]
        for x, y in zip(a["results"], b["results"], strict=True):
            assert abs(x["score"] - y["score"]) <= 1e-9


def test_nothing_about_the_peer_is_logged(demo_client: FlaskClient,
                                          caplog: pytest.LogCaptureFixture) -> None:
    with caplog.at_level(logging.DEBUG):
        demo_client.get("/api/recommendations?lat=53.54123&lon=-2.63456&text=secretword")
        demo_client.get("/api/recommendations?postcode=WN5%209ZZ")
    logged = " ".join(f"{r.getMessage()} {r.args}" for r in caplog.records)
    for secret in ("53.54123", "2.63456", "secretword", "WN5", "9ZZ"):
        assert secret not in logged


def test_full_postcode_from_a_loaded_table(app: Flask, client: FlaskClient,
                                           tmp_path: Path) -> None:
    from service.usecases import wiring

    table = tmp_path / "postcodes.csv"
    table.write_text("postcode,lat,lon\nM15 4AB,53.4664,-2.2494\nM15 5AA,53.4620,-2.2570\n")
    wiring.load_postcode_file(get_store(app), table)
    with get_store(app).session() as s:
        a = Association(name="Hulme Garden", category="community_garden", lat=53.47,
                        lon=-2.25)
        s.add(a)
        s.flush()
        s.add(Opportunity(association_id=a.id, title="Garden volunteer", lat=53.47,
                          lon=-2.25, interests=["gardening"], skills=["seed sowing"]))
    body = client.get("/api/recommendations?postcode=m154ab&interests=gardening").get_json()
    assert body["origin"]["precision"] == "postcode"
    assert body["origin"]["label"] == "M15 4AB"
    assert body["results"][0]["reasons"][0] == "0.4 km from M15 4AB"
    district = client.get("/api/recommendations?postcode=M15%209ZZ").get_json()["origin"]
    assert district["precision"] == "district"


# -- the CLI ---------------------------------------------------------------------------------


def _cli(url: str, *args: str):
    return CliRunner().invoke(main, ["--database-url", url, *args])


def test_cli_recommend(demo_stores: dict[str, Store]) -> None:
    url = demo_stores["sqlite"].url
    result = _cli(url, "recommend", "--meeting", "1", "--interests", "gardening", "--json")
    assert result.exit_code == 0, result.output
    body = json.loads(result.output)
    assert body["origin"]["kind"] == "meeting"
    assert body["results"]
    assert set(body["results"][0]) >= RESULT_KEYS
    text = _cli(url, "recommend", "--place", "Wigan", "--text", "fixing bikes", "--limit", "3")
    assert text.exit_code == 0, text.output
    assert "km from Wigan" in text.output
    assert text.output.count("score ") == 3


@pytest.mark.parametrize(("args", "named"), [
    (["--place", "Atlantis"], "'Atlantis'"),
    (["--meeting", "99999"], "meeting_id=99999"),
    (["--postcode", "XYZ 123"], "'XYZ 123'"),
    (["--place", "Wigan", "--radius-km", "150"], "--radius-km"),
    (["--place", "Wigan", "--limit", "0"], "--limit"),
    ([], "exactly one origin"),
    (["--lat", "53.5"], "lon is missing"),
])
def test_cli_bad_usage_exits_2(demo_stores: dict[str, Store], args: list[str],
                               named: str) -> None:
    result = _cli(demo_stores["sqlite"].url, "recommend", *args)
    assert result.exit_code == 2, result.output
    assert named in result.output


def test_cli_reverse_questions(demo_stores: dict[str, Store]) -> None:
    url = demo_stores["sqlite"].url
    reach = _cli(url, "reach", "--opportunity", "1", "--radius-km", "30", "--json")
    assert reach.exit_code == 0, reach.output
    assert json.loads(reach.output)["opportunity"]["opportunity_id"] == 1
    text = _cli(url, "reach", "--association", "1")
    assert text.exit_code == 0
    assert "active meetings within 15 km" in text.output
    assert _cli(url, "reach").exit_code == 2
    assert _cli(url, "reach", "--opportunity", "999999").exit_code == 2
    links = _cli(url, "links-worth-making", "1", "--limit", "2")
    assert links.exit_code == 0, links.output
    assert links.output.count("score ") == 2
    assert _cli(url, "links-worth-making", "999999").exit_code == 2


@pytest.mark.parametrize("command", ["recommend", "reach", "links-worth-making"])
def test_cli_help(command: str) -> None:
    result = CliRunner().invoke(main, [command, "--help"])
    assert result.exit_code == 0
    assert "Usage:" in result.output
