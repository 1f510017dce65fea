"""Every parameter of every endpoint, sent a bad value: one error body, never a 5xx.

In the manner of datasette's ``tests/test_error_shape.py``: the endpoints and their
parameters come from the OpenAPI document (``/api/openapi.json``), so a new endpoint is
covered the day it is documented. Each query and path parameter gets, one at a time,
non-finite and extreme numbers (``inf``, ``-inf``, ``nan``, ``1e309``, ``1e-300``, ``-0``),
huge integers, an empty value and text. The answer must not be a 5xx, and every error must be
exactly ``{"error": <snake_case code>, "detail": <text>, "status": <the status>}``. The map
and peer pages, which take the same parameters, are checked the same way (HTML error page).
"""

from __future__ import annotations

import re
from urllib.parse import quote

import pytest

from service import create_app
from service import get_store

BAD = ("inf", "-inf", "nan", "1e309", "1e-300", "-0", "99999999999999999999999",
       "-99999999999999999999999", "", "text", "-1", "0.5e", "1,2")
NON_FINITE = ("inf", "-inf", "nan", "1e309")
CODE = re.compile(r"^[a-z][a-z0-9_]*$")
#: Values that make an endpoint's other required parameters valid.
BASELINE = {"/api/recommendations": {"lat": "53.545", "lon": "-2.6325"}}
ORIGIN = ("lat", "lon", "postcode", "place", "meeting_id")
VALID_PATH = {"opportunity_id": "1", "association_id": "1", "organisation_id": "1",
              "outcome_id": "1"}


@pytest.fixture(scope="module")
def client(demo_stores, tmp_path_factory):
    app = create_app({"TESTING": True, "DATABASE_URL": demo_stores["sqlite"].url,
                      "SECRET_KEY": "t",
                      "INSTANCE_PATH": str(tmp_path_factory.mktemp("error-shape"))})
    yield app.test_client()
    get_store(app).dispose()


def _document() -> dict:
    app = create_app({"TESTING": True, "DATABASE_URL": "sqlite://", "SECRET_KEY": "t"})
    try:
        return app.test_client().get("/api/openapi.json").get_json()
    finally:
        get_store(app).dispose()


DOCUMENT = _document()
CASES = [
    (path, p["name"], p["in"])
    for path, methods in DOCUMENT["paths"].items()
    for method, op in methods.items() if method == "get"
    for p in op.get("parameters", [])
]


def _url(path: str, name: str, where: str, value: str) -> str:
    path_values = {k: v for k, v in VALID_PATH.items() if "{" + k + "}" in path}
    query = dict(BASELINE.get(path, {}))
    if where == "path":
        path_values[name] = quote(value, safe="") or "%20"
    else:
        if name in ORIGIN and path in BASELINE:
            query = {k: v for k, v in query.items() if k in ("lat", "lon") and
                     name in ("lat", "lon")}
        query[name] = value
    url = path.format(**path_values)
    if query:
        url += "?" + "&".join(f"{k}={quote(v, safe='')}" for k, v in query.items())
    return url


def _check_json(response, url: str) -> None:
    assert response.status_code < 500, (url, response.get_data(as_text=True)[:300])
    if response.status_code >= 400:
        body = response.get_json()
        assert isinstance(body, dict), url
        assert set(body) == {"error", "detail", "status"}, (url, body)
        assert body["status"] == response.status_code, (url, body)
        assert CODE.match(body["error"]), (url, body)
        assert isinstance(body["detail"], str), (url, body)
        assert body["detail"].strip(), (url, body)


def test_the_document_lists_parameters():
    assert len(CASES) > 30
    assert ("/api/sites/suggest", "count", "query") in CASES
    assert ("/api/opportunities/{opportunity_id}/reach", "opportunity_id", "path") in CASES


@pytest.mark.parametrize(("path", "name", "where"), CASES,
                         ids=[f"{p}:{n}" for p, n, _ in CASES])
def test_every_parameter_of_every_endpoint(client, path, name, where):
    for value in BAD:
        url = _url(path, name, where, value)
        response = client.get(url)
        _check_json(response, url)
        schema_type = next(p["schema"].get("type") for p in
                           DOCUMENT["paths"][path]["get"]["parameters"] if p["name"] == name)
        if value in NON_FINITE and schema_type in ("number", "integer"):
            assert response.status_code in (400, 401, 404), (url, response.status_code)


@pytest.mark.parametrize("url", [
    "/api/sites/suggest?count=inf", "/api/sites/suggest?count=-inf",
    "/api/sites/suggest?count=1e309", "/api/coverage?radius_km=1e-300",
    "/api/coverage?radius_km=-0", "/api/coverage?radius_km=nan",
    "/api/recommendations?lon=0&lat=inf", "/api/recommendations?place=Wigan&radius_km=1e309",
    "/api/meetings?lat=53&lon=-2&radius_km=1e-300", "/api/meetings?bbox=-inf,0,1,1",
])
def test_extreme_numbers_are_a_400_naming_the_parameter(client, url):
    response = client.get(url)
    assert response.status_code == 400, url
    body = response.get_json()
    assert body["error"] == "bad_parameter"
    name = url.split("?")[1].split("&")[-1].split("=")[0]
    assert name in body["detail"]


def test_a_cold_bad_radius_is_refused_before_any_work(client):
    response = client.get("/api/coverage?radius_km=-1")
    assert response.status_code == 400
    assert response.get_json() == {
        "error": "bad_parameter", "status": 400,
        "detail": "radius_km='-1' is out of range: use a number from 0.1 to 100 km"}


def test_one_fault_has_one_code_whichever_endpoint(client):
    codes = {client.get(url).get_json()["error"] for url in (
        "/api/coverage?radius_km=x", "/api/recommendations?place=Wigan&radius_km=x",
        "/api/meetings?lat=1&lon=1&radius_km=x", "/api/opportunities/1/reach?radius_km=x",
        "/api/coverage?colour=red", "/api/recommendations?place=Wigan&colour=red")}
    assert codes == {"bad_parameter"}
    assert client.get("/api/recommendations?place=Atlantis").get_json()["error"] == "not_found"
    assert client.get("/api/partner/opportunities").get_json()["error"] == "unauthorized"


PAGES = {
    "/maps/coverage": ("radius_km", "count"),
    "/maps/opportunities?place=Wigan": ("radius_km", "limit"),
    "/maps/opportunities": ("lat", "lon", "meeting_id"),
    "/?place=Wigan": ("radius_km",),
    "/": ("lat", "meeting_id"),
    "/meetings": ("lat", "day", "page", "radius_km", "view", "time", "attendance", "postcode"),
}


@pytest.mark.parametrize(("page", "name"), [(p, n) for p, ns in PAGES.items() for n in ns])
def test_pages_take_the_same_bad_values_without_a_5xx(client, page, name):
    for value in BAD:
        if not value and page.startswith("/maps/coverage"):
            continue  # the default: a full map, covered by the page tests
        sep = "&" if "?" in page else "?"
        extra = "&lon=-2.6" if name == "lat" else ""
        url = f"{page}{sep}{name}={quote(value, safe='')}{extra}"
        response = client.get(url)
        assert response.status_code < 500, (url, response.get_data(as_text=True)[:300])
        if response.status_code >= 400:
            assert response.mimetype == "text/html", url
        if value in NON_FINITE:
            assert response.status_code == 400, url


def test_a_peer_s_bad_location_is_answered_not_logged(client, caplog):
    """A use-case error (not a store failure) is never logged: its value may be a location.

    ``ServiceError`` is deliberately not a ``StoreError``: the error handler logs store
    failures, and a peer's postcode or coordinates in a bad parameter must not reach a log.
    """
    caplog.set_level("DEBUG")
    for query in ("lat=53.545&lon=-2.6325&radius_km=12345.678",
                  "postcode=WN1%209ZZ%20X&radius_km=5", "lat=91.2468&lon=-2.6325"):
        answer = client.get(f"/api/recommendations?{query}")
        assert answer.status_code == 400, answer.get_json()
        assert set(answer.get_json()) == {"error", "detail", "status"}
    logged = caplog.text
    for value in ("12345.678", "WN1 9ZZ", "91.2468"):
        assert value not in logged
