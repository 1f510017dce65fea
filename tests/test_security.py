"""Security of the staff side: roles on every route, CSRF, sign-in rate limit, IDOR, XSS, SQL.

Every /partner, /admin and /api/partner route is taken from the app's URL map, so a route
added later is covered without editing this file.
"""

from __future__ import annotations

import csv
import functools
import re
import tempfile
from pathlib import Path
from typing import TYPE_CHECKING

import pytest

from geo.geocode import OfflineGeocoder
from geo.service_area import service_area_from_text
from ingest.pipeline import ingest_file
from service import create_app
from service import get_store
from service.api import partner as api_partner
from service.usecases.accounts import hash_password
from service.usecases.accounts import new_api_token
from service.web.auth import session_fields
from store import Store
from store import models
from store.partner import create_opportunity
from store.partner import get_opportunity
from store.users import create_user
from store.users import set_api_token_hash

if TYPE_CHECKING:
    from flask import Flask

PASSWORD = "correct horse battery"
STAFF_PREFIXES = ("/partner", "/admin", "/api/partner", "/hotspots")
XSS = '<script>alert("xss")</script>"><img src=x onerror=alert(1)>'
SHORT = "<script>alert(1)</script>"  # for columns of 40 characters
SQL = ["' OR '1'='1", "'; DROP TABLE users; --", '" OR ""="', "1; SELECT pg_sleep(3)--",
       "%' UNION SELECT email, password_hash FROM users --", "\\'; --", "%_%", "`id`"]


@functools.cache
def password_hash() -> str:
    return hash_password(PASSWORD)


def make_app(store: Store, tmp_path: Path, **config) -> Flask:
    app = create_app({"TESTING": True, "DATABASE_URL": store.url, "SECRET_KEY": "test",
                      "INSTANCE_PATH": str(tmp_path), **config})
    if "api_partner" not in app.blueprints:
        app.register_blueprint(api_partner.bp)
    return app


@pytest.fixture
def new_app(tmp_path):
    """Make apps on a store; their connections are closed after the test, pass or fail."""
    made: list[Flask] = []

    def factory(store: Store, **config) -> Flask:
        made.append(make_app(store, tmp_path, **config))
        return made[-1]

    yield factory
    for app in made:
        get_store(app).dispose()


def staff_routes() -> list[tuple[str, str, str]]:
    """``(rule, method, endpoint)`` of every staff route, read from a real app's URL map."""
    with tempfile.TemporaryDirectory() as tmp:
        app = make_app(Store(f"sqlite:///{tmp}/routes.db"), Path(tmp))
        routes = sorted(
            (rule.rule, method, rule.endpoint)
            for rule in app.url_map.iter_rules() if rule.rule.startswith(STAFF_PREFIXES)
            # registration (/partner/register, /partner/signup) is for people without an
            # account: tests/test_onboarding.py
            and not rule.endpoint.startswith("onboarding.")
            for method in sorted(rule.methods - {"HEAD", "OPTIONS"})
        )
        return routes


ROUTES = staff_routes()


def fill(rule: str, record_id: int) -> str:
    # A fixed choice, <any("a", "b"):name>: take the first.
    rule = re.sub(r'<any\("?([^",)]+)"?[^>]*>', r"\1", rule)
    return re.sub(r"<(?:int:)?\w+>", str(record_id), rule)


def client_at(app: Flask, address: str):
    """A test client whose requests come from ``address``."""
    client = app.test_client()
    client.environ_base["REMOTE_ADDR"] = address
    return client


def login(client, email: str, password: str = PASSWORD):
    return client.post("/login", data={"email": email, "password": password})


def sign_in(client, user) -> None:
    """Start a session for ``user`` without the password check (tests of authorisation;
    signing in itself is tested in test_auth.py with the real password hash)."""
    with client.session_transaction() as session:
        session.update(session_fields(user))
        session["_fresh"] = True


@pytest.fixture
def people(store: Store) -> dict:
    """One user per role, an association each for two partners, one need each."""
    with store.session() as s:
        org = models.PeerOrganisation(name="Peers", status="approved", is_hotspot=True,
                                      lat=53.5, lon=-2.2)
        mine = models.Association(name="Canal Trust", lat=53.48, lon=-2.24)
        theirs = models.Association(name="Allotments", lat=53.40, lon=-2.15)
        s.add_all([org, mine, theirs])
        s.flush()
        ids = {"org": org.id, "mine": mine.id, "theirs": theirs.id}
    users = {
        "admin": create_user(store, email="admin@cg.example", password_hash=password_hash(),
                             role="admin"),
        "hotspot_lead": create_user(store, email="lead@cg.example",
                                    password_hash=password_hash(), role="hotspot_lead",
                                    organisation_id=ids["org"]),
        "association": create_user(store, email="me@cg.example", password_hash=password_hash(),
                                   role="association", association_id=ids["mine"]),
        "other": create_user(store, email="them@cg.example", password_hash=password_hash(),
                             role="association", association_id=ids["theirs"]),
    }
    opps = {k: create_opportunity(store, ids[k], {"title": f"Need of {k}"})["id"]
            for k in ("mine", "theirs")}
    return {"store": store, "users": users, "opps": opps, **ids}


def token_for(store: Store, user) -> dict[str, str]:
    token, digest = new_api_token(user.id)
    set_api_token_hash(store, user.id, digest)
    return {"Authorization": f"Bearer {token}"}


# ---------------------------------------------------------------------- roles, every route


def test_the_url_map_has_the_staff_routes() -> None:
    endpoints = {e for _r, _m, e in ROUTES}
    assert {"partner.index", "partner.edit_opportunity", "admin.index", "admin.new_user",
            "api_partner.create", "api_partner.change"} <= endpoints


@pytest.mark.parametrize("store", ["sqlite"], indirect=True)
@pytest.mark.parametrize(("rule", "method", "endpoint"), ROUTES)
def test_every_staff_route_needs_the_right_role(people, new_app, rule, method,
                                                endpoint) -> None:
    store = people["store"]
    app = new_app(store)
    url = fill(rule, people["opps"]["mine"])
    anonymous = app.test_client().open(url, method=method)
    if rule.startswith("/api/"):
        assert anonymous.status_code == 401, endpoint
        wrong = [token_for(store, people["users"][r]) for r in ("admin", "hotspot_lead")]
        for headers in wrong:
            assert app.test_client().open(url, method=method, headers=headers,
                                          json={}).status_code == 403, endpoint
    else:
        assert anonymous.status_code == 302, endpoint
        assert anonymous.location.startswith("/login?next="), endpoint
        allowed = ({"association"} if rule.startswith("/partner") else
                   {"hotspot_lead", "admin"} if rule.startswith("/hotspots") else {"admin"})
        for role in {"admin", "hotspot_lead", "association"} - allowed:
            client = app.test_client()
            sign_in(client, people["users"][role])
            refused = client.open(url, method=method, data={"status": "closed"})
            assert refused.status_code == 403, (endpoint, role)
            assert "This page is for" in refused.text
    assert get_opportunity(store, people["mine"], people["opps"]["mine"])["status"] == "open"


# ------------------------------------------------------------------------------------ IDOR


def test_idor_on_pages_and_api(people, new_app) -> None:
    store, theirs = people["store"], people["opps"]["theirs"]
    app = new_app(store)
    client = app.test_client()
    sign_in(client, people["users"]["association"])
    for method, url, data in [
        ("GET", f"/partner/opportunities/{theirs}/edit", None),
        ("POST", f"/partner/opportunities/{theirs}/edit", {"title": "Taken over"}),
        ("POST", f"/partner/opportunities/{theirs}/status", {"status": "closed"}),
    ]:
        assert client.open(url, method=method, data=data).status_code == 403, url
    api = app.test_client()
    auth = token_for(store, people["users"]["association"])
    assert api.get(f"/api/partner/opportunities/{theirs}", headers=auth).status_code == 403
    assert api.patch(f"/api/partner/opportunities/{theirs}", headers=auth,
                     json={"status": "closed"}).status_code == 403
    listed = api.get("/api/partner/opportunities", headers=auth).json["results"]
    assert [o["id"] for o in listed] == [people["opps"]["mine"]]
    after = get_opportunity(store, people["theirs"], theirs)
    assert (after["title"], after["status"]) == ("Need of theirs", "open")


# ------------------------------------------------------------------------------------ CSRF


def csrf_of(page: str) -> str:
    return re.search(r'name="csrf_token" value="([^"]+)"', page)[1]


@pytest.mark.parametrize("store", ["sqlite"], indirect=True)
def test_csrf_is_required_on_every_form(people, new_app) -> None:
    store = people["store"]
    app = new_app(store, WTF_CSRF_ENABLED=True)
    client = app.test_client()
    email = people["users"]["association"].email
    refused = login(client, email)
    assert refused.status_code == 400
    assert "The CSRF token is missing." in refused.text
    token = csrf_of(client.get("/login").text)
    assert client.post("/login", data={"email": email, "password": PASSWORD,
                                       "csrf_token": "forged"}).status_code == 400
    assert client.post("/login", data={"email": email, "password": PASSWORD,
                                       "csrf_token": token}).status_code == 302

    mine = people["opps"]["mine"]
    url = f"/partner/opportunities/{mine}/status"
    assert client.post(url, data={"status": "closed"}).status_code == 400
    # A bearer header does not switch CSRF off for pages, only for the token API.
    assert client.post(url, data={"status": "closed"},
                       headers={"Authorization": "Bearer x"}).status_code == 400
    assert get_opportunity(store, people["mine"], mine)["status"] == "open"
    token = csrf_of(client.get("/partner/").text)
    assert client.post(url, data={"status": "closed", "csrf_token": token}).status_code == 302
    assert get_opportunity(store, people["mine"], mine)["status"] == "closed"

    assert client.post("/logout").status_code == 400
    assert client.get("/partner/").status_code == 200  # still signed in
    assert client.post("/logout", data={"csrf_token": token}).status_code == 302

    # The token API needs no CSRF token: the header itself cannot be sent cross-site.
    api = app.test_client().post("/api/partner/opportunities", json={"title": "By API"},
                                 headers=token_for(store, people["users"]["association"]))
    assert api.status_code == 201, api.json


# ------------------------------------------------------------------------------ rate limit


@pytest.mark.parametrize("store", ["sqlite"], indirect=True)
def test_wrong_password_is_rate_limited_per_address(people, new_app) -> None:
    app = new_app(people["store"])  # the default limit: 5 per minute per address
    client = app.test_client()
    emails = [u.email for u in people["users"].values()]
    for i in range(5):  # spread over accounts: the per-address limit, not the pair's
        assert login(client, emails[i % len(emails)], "not the password").status_code == 401
    blocked = login(client, emails[0], "not the password")
    assert blocked.status_code == 429
    assert 1 <= int(blocked.headers["Retry-After"]) <= 60
    assert "Too many failed sign-in attempts" in blocked.text
    assert login(client, emails[0]).status_code == 429  # even the right password, for now
    other = client_at(app, "203.0.113.9")
    assert login(other, emails[0]).status_code == 302


@pytest.mark.parametrize("store", ["sqlite"], indirect=True)
def test_one_account_from_one_address_gets_growing_delays(people, new_app) -> None:
    app = new_app(people["store"], LOGIN_RATE_LIMIT="100 per minute")
    client = client_at(app, "198.51.100.7")
    email = people["users"]["admin"].email
    for i in range(3):
        assert login(client, email, f"guess {i}").status_code == 401
    blocked = login(client, email, "guess 3")
    assert blocked.status_code == 429
    # The same address may still sign in to another account; the account from elsewhere too.
    assert login(client, people["users"]["association"].email).status_code == 302
    assert login(client_at(app, "198.51.100.8"), email).status_code == 302
    limits = app.config["LOGIN_ACCOUNT_RATE_LIMIT"]
    assert limits == "3 per minute; 6 per 10 minutes; 10 per hour; 20 per day"


@pytest.mark.parametrize("store", ["sqlite"], indirect=True)
def test_a_stranger_cannot_lock_a_lead_out(people, new_app) -> None:
    """20 wrong passwords for a staff email from 20 addresses, then the right one."""
    app = new_app(people["store"])  # the defaults
    email = people["users"]["hotspot_lead"].email
    for i in range(20):
        attacker = client_at(app, f"192.0.2.{i + 1}")
        assert login(attacker, email, f"wrong {i}").status_code == 401
    lead = client_at(app, "203.0.113.50")
    signed_in = login(lead, email)
    assert signed_in.status_code == 302, signed_in.text[:300]
    assert "Retry-After" not in signed_in.headers


@pytest.mark.parametrize("store", ["sqlite"], indirect=True)
def test_logout_ends_the_session_on_the_server(people, new_app) -> None:
    app = new_app(people["store"])
    client = app.test_client()
    assert login(client, people["users"]["association"].email).status_code == 302
    assert client.get("/partner/").status_code == 200
    copied = client.get_cookie("session").value
    assert client.post("/logout").status_code == 302
    thief = app.test_client()
    thief.set_cookie("session", copied)
    replay = thief.get("/partner/")
    assert replay.status_code == 302
    assert replay.location.startswith("/login")
    # A fresh sign-in works again.
    assert login(client, people["users"]["association"].email).status_code == 302
    assert client.get("/partner/").status_code == 200


@pytest.mark.parametrize("store", ["sqlite"], indirect=True)
def test_password_change_ends_sessions(people, new_app) -> None:
    from store.users import set_password_hash

    app = new_app(people["store"])
    client = app.test_client()
    user = people["users"]["association"]
    assert login(client, user.email).status_code == 302
    set_password_hash(people["store"], user.id, hash_password("another long passphrase here"))
    assert client.get("/partner/").status_code == 302


@pytest.mark.parametrize("store", ["sqlite"], indirect=True)
def test_sessions_have_an_absolute_lifetime(people, new_app) -> None:
    app = new_app(people["store"])
    client = app.test_client()
    assert login(client, people["users"]["association"].email).status_code == 302
    assert client.get("/partner/").status_code == 200  # shows (and so pops) the flash
    page = client.get("/partner/")
    assert page.status_code == 200
    assert "session" not in (page.headers.get("Set-Cookie") or "")  # not re-issued
    with client.session_transaction() as session:
        session["signed_in_at"] -= 8 * 3600 + 1  # signed in more than 8 hours ago
    assert client.get("/partner/").status_code == 302


@pytest.mark.parametrize("password", ["aaaaaaaaaa", "password123", "qwertyuiop",
                                      "1234567890", "iloveyou12"])
def test_weak_staff_passwords_are_refused(password: str) -> None:
    with pytest.raises(ValueError, match=r"common passwords|too easy to guess"):
        hash_password(password)


def test_strong_passwords_and_the_email_as_a_hint() -> None:
    assert hash_password("correct horse battery")
    assert hash_password("lead.manchester2026")  # strong enough, unless it is the email
    with pytest.raises(ValueError, match="too easy to guess"):
        hash_password("lead.manchester2026", user_inputs=("lead.manchester2026@cg.example",))


@pytest.mark.parametrize("store", ["sqlite"], indirect=True)
def test_successful_sign_ins_are_not_limited(people, new_app) -> None:
    app = new_app(people["store"], LOGIN_RATE_LIMIT="2 per minute")
    client = app.test_client()
    for _ in range(4):
        assert login(client, people["users"]["admin"].email).status_code == 302
        client.post("/logout")


# ------------------------------------------------------------------------------------- XSS


def _stored_xss(store: Store, tmp_path: Path) -> dict:
    """A payload in every text field a staff page shows, written as ingest could write it."""
    with store.session() as s:
        region = models.Region(name=f"Region {XSS}")
        s.add(region)
        s.flush()
        parent = models.PeerOrganisation(name=f"Parent {XSS}", status="approved",
                                         is_hotspot=True, town=XSS, region_id=region.id)
        s.add(parent)
        s.flush()
        org = models.PeerOrganisation(name=f"Org {XSS}", status="pending", town=XSS,
                                      parent_id=parent.id, region_id=region.id)
        assoc = models.Association(name=f"Assoc {XSS}", category=XSS, status="pending",
                                   postcode=XSS[:10], address=XSS, website=XSS,
                                   description=XSS, lat=53.48, lon=-2.24)
        s.add_all([org, assoc])
        s.flush()
        opp = models.Opportunity(
            association_id=assoc.id, title=f"Need {XSS}", description=XSS, skills=[XSS],
            accessibility=[XSS], commitment=XSS, address=XSS, postcode=XSS[:10],
            interests=["outdoors"], lat=53.48, lon=-2.24)
        s.add(opp)
        s.add(models.User(email=f"odd{XSS}@cg.example", password_hash=password_hash(),
                          role="association", association_id=assoc.id))
        s.add(models.IngestRun(kind=SHORT, source=XSS, file_name=XSS, file_hash=SHORT,
                               warnings=[XSS], total=1, rejected_count=1, rejected=[
                                   {"row": 2, "id": XSS, "field": XSS, "value": XSS,
                                    "reason": XSS}]))
        s.flush()
        ids = {"assoc": assoc.id, "opp": opp.id}
    path = tmp_path / f"clubs{XSS[:8]}.csv"
    with path.open("w", newline="", encoding="utf-8") as fh:
        csv.writer(fh).writerows([["id", "name", "category", "lat", "lon"],
                                  ["x1", XSS, XSS, "north", "west"]])
    ingest_file(store, path, "associations", area=service_area_from_text("GB"),
                geocoder=OfflineGeocoder())
    return ids


def _assert_escaped(response, where: str) -> None:
    assert response.status_code in {200, 400, 401}, (where, response.status_code)
    body = response.text
    assert "<script>al" not in body, where
    assert "<img src=x" not in body, where
    assert "&lt;script&gt;" in body, where


def test_stored_script_is_escaped_on_every_staff_page(store, tmp_path, new_app) -> None:
    ids = _stored_xss(store, tmp_path)
    admin = create_user(store, email="admin@cg.example", password_hash=password_hash(),
                        role="admin")
    partner = create_user(store, email="p@cg.example", password_hash=password_hash(),
                          role="association", association_id=ids["assoc"])
    app = new_app(store)
    with store.sessions() as s:
        run_ids = [r.id for r in s.query(models.IngestRun)]
    pages = {
        admin: ["/admin/", "/admin/organisations", "/admin/associations",
                      "/admin/associations?status=pending", "/admin/users", "/admin/users/new",
                      "/admin/ingest", *[f"/admin/ingest/{r}" for r in run_ids]],
        partner: ["/partner/", f"/partner/opportunities/{ids['opp']}/edit",
                        "/partner/opportunities/new", "/partner/token"],
    }
    for user, urls in pages.items():
        client = app.test_client()
        sign_in(client, user)
        for url in urls:
            _assert_escaped(client.get(url), url)
    # reflected: a failed sign-in, a form with errors, and the flashed confirmations
    _assert_escaped(app.test_client().post("/login", data={"email": XSS, "password": "x"}),
                    "login")
    client = app.test_client()
    sign_in(client, partner)
    _assert_escaped(client.post("/partner/opportunities/new",
                                data={"title": XSS, "capacity": "many"}), "form errors")
    client.post(f"/partner/opportunities/{ids['opp']}/status", data={"status": "paused"})
    _assert_escaped(client.get("/partner/"), "flash")
    api = app.test_client().get(f"/api/partner/opportunities/{ids['opp']}",
                                headers=token_for(store, partner))
    assert api.mimetype == "application/json"
    assert api.headers["X-Content-Type-Options"] == "nosniff"
    assert api.json["title"] == f"Need {XSS}"  # kept as written, JSON-encoded


# ------------------------------------------------------------------------------------- SQL


def _counts(store: Store) -> dict[str, int]:
    return store.counts()


def test_sql_metacharacters_are_harmless(people, new_app) -> None:
    store = people["store"]
    app = new_app(store, LOGIN_RATE_LIMIT="1000 per minute",
                  LOGIN_ACCOUNT_RATE_LIMIT="1000 per minute")
    before = _counts(store)
    anon = app.test_client()
    admin, partner = app.test_client(), app.test_client()
    sign_in(admin, people["users"]["admin"])
    sign_in(partner, people["users"]["association"])
    auth = token_for(store, people["users"]["association"])
    mine = people["opps"]["mine"]
    for text in SQL:
        assert anon.post("/login", data={"email": text, "password": text}).status_code == 401
        assert anon.get("/login", query_string={"next": text}).status_code == 200
        for client, path, name in [
            (admin, "/admin/associations", "q"), (admin, "/admin/associations", "status"),
            (admin, "/admin/associations", "page"), (admin, "/admin/organisations", "status"),
            (admin, "/admin/ingest/1", "page"), (partner, "/partner/", "status"),
        ]:
            got = client.get(path, query_string={name: text})
            assert got.status_code in {200, 400, 404}, (path, name)
        assert admin.post("/admin/users/new", data={
            "email": text, "password": text * 3, "password_again": text * 3, "role": text,
            "association_id": text, "organisation_id": text}).status_code == 400
        assert admin.post(f"/admin/associations/{people['mine']}/status",
                          data={"status": text, "next": text}).status_code == 400
        assert partner.post(f"/partner/opportunities/{mine}/status",
                            data={"status": text}).status_code == 400
        form = dict.fromkeys(("description", "skills", "commitment", "accessibility",
                              "address", "start_time", "capacity", "postcode", "lat", "lon",
                              "starts_on", "location_from"), text)
        response = partner.post(f"/partner/opportunities/{mine}/edit",
                                data={**form, "title": text, "interests": text})
        assert response.status_code == 400
        api = app.test_client().get("/api/partner/opportunities", headers=auth,
                                    query_string={"status": text})
        assert api.status_code == 400
        assert api.json["status"] == 400
        # accepted where text is free: stored and read back exactly as written
        saved = partner.post(f"/partner/opportunities/{mine}/edit", data={
            "title": text, "description": text, "commitment": text, "skills": text,
            "location_from": "keep", "status": "open"})
        assert saved.status_code == 302, saved.text
        opp = get_opportunity(store, people["mine"], mine)
        assert (opp["title"], opp["description"], opp["commitment"]) == (text, text, text)
        patched = app.test_client().patch(f"/api/partner/opportunities/{mine}", headers=auth,
                                          json={"title": text[::-1], "address": text})
        assert patched.status_code == 200
        assert (patched.json["title"], patched.json["address"]) == (text[::-1], text)
    assert admin.get("/admin/associations", query_string={"q": SQL[0]}).status_code == 200
    assert _counts(store) == before
    assert login(app.test_client(), people["users"]["admin"].email).status_code == 302


def test_nul_characters_are_refused_not_crashed_on(people, new_app) -> None:
    store = people["store"]
    app = new_app(store)
    admin = app.test_client()
    sign_in(admin, people["users"]["admin"])
    assert admin.get("/admin/associations?q=a%00b").status_code == 400
    assert app.test_client().post("/login", data={"email": "a\x00@b.co",
                                                  "password": "x"}).status_code == 400
    auth = token_for(store, people["users"]["association"])
    api = app.test_client().post("/api/partner/opportunities", headers=auth,
                                 json={"title": "a\x00b", "skills": ["x\x00"]})
    assert api.status_code == 400
    assert "NUL" in api.json["detail"]
    assert app.test_client().get("/api/partner/opportunities?status=%00",
                                 headers=auth).json["status"] == 400


# --------------------------------------------------------------------------------- headers


@pytest.mark.parametrize("store", ["sqlite"], indirect=True)
def test_staff_pages_are_not_cached_or_framed(people, new_app) -> None:
    app = new_app(people["store"])
    client = app.test_client()
    sign_in(client, people["users"]["admin"])
    response = client.get("/admin/")
    assert response.headers["Cache-Control"] == "no-store"
    assert response.headers["X-Frame-Options"] == "DENY"
    assert "frame-ancestors 'none'" in response.headers["Content-Security-Policy"]
    assert response.headers["X-Content-Type-Options"] == "nosniff"
