"""Public pages and listings show public things only; staff see the rest.

A store with one approved, one pending and one suspended peer organisation (each with a
meeting), an approved and a pending association, and needs that are open, closed, full and
ended. Every public GET route of the app (taken from its URL map, so a new one must be
added here) is asked, and none may name what is not public.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest

from service import create_app
from service import get_store
from service.usecases.accounts import new_api_token
from store import models
from store.users import create_user
from store.users import set_api_token_hash

HIDDEN = ("PendingPeersX", "SuspendedPeersX", "PendingMeetX", "SuspendedMeetX",
          "PendingAssocX", "ClosedNeedX", "FullNeedX", "EndedNeedX", "PendingNeedX")
SHOWN = ("ApprovedPeersX", "ApprovedMeetX", "ApprovedAssocX", "OpenNeedX")
WIGAN = (53.5448, -2.6318)
#: Every public GET route and the request that exercises it (``None``: not a listing).
PUBLIC_GETS: dict[str, str | None] = {
    "/": "/?lat=53.5448&lon=-2.6318&radius_km=15",
    "/api/associations": "/api/associations?limit=1000",
    "/api/meetings": "/api/meetings?limit=1000",
    "/api/meetings/feed.json": "/api/meetings/feed.json",
    "/api/opportunities": "/api/opportunities?limit=1000&status=any",
    "/api/recommendations": "/api/recommendations?lat=53.5448&lon=-2.6318&radius_km=15",
    "/api/coverage": "/api/coverage",
    "/api/coverage/what-if": None,  # a point: no list of records
    "/api/sites/suggest": "/api/sites/suggest",
    "/maps/opportunities": "/maps/opportunities?lat=53.5448&lon=-2.6318&radius_km=15",
    "/maps/growth": "/maps/growth",
    "/maps/coverage": "/maps/coverage",
    "/meetings": "/meetings",
    "/organisations": "/organisations",
    "/meetings/<int:meeting_id>": None,  # one record: tested below
    "/meetings/<int:meeting_id>/calendar.ics": None,
    "/meetings/<int:meeting_id>.ics": None,
    "/api/meetings/lookup": "/api/meetings/lookup?q=e&limit=30",
    "/opportunities/<int:opportunity_id>/calendar.ics": None,
    "/opportunities/<int:opportunity_id>": None,
    "/api/associations/<int:association_id>/reach": None,
    "/api/opportunities/<int:opportunity_id>/reach": None,
    "/api/organisations/<int:organisation_id>/links-worth-making": None,
    "/api/docs": None, "/api/openapi.json": None, "/healthz": None, "/login": None,
    "/logout": None,
    # joining and getting back in (forms, no records; tests/test_onboarding.py)
    "/signup": None, "/register": None, "/join": None, "/verify-email": None,
    "/forgot-password": None, "/reset-password": None,
}
STAFF_PREFIXES = ("/partner", "/admin", "/hotspots", "/api/partner", "/static")


@pytest.fixture
def world(sqlite_store, tmp_path: Path):
    store = sqlite_store
    today = dt.date.today()
    ids: dict[str, int] = {}
    with store.session() as s:
        for name, status in (("ApprovedPeersX", "approved"), ("PendingPeersX", "pending"),
                             ("SuspendedPeersX", "suspended")):
            org = models.PeerOrganisation(name=name, status=status, is_hotspot=True,
                                          lat=WIGAN[0], lon=WIGAN[1])
            s.add(org)
            s.flush()
            ids[name] = org.id
            meet = models.Meeting(name=name.replace("Peers", "Meet"), organisation_id=org.id,
                                  weekdays=[1], start_time=dt.time(18), end_time=dt.time(19),
                                  lat=WIGAN[0] + 0.01, lon=WIGAN[1], active=True)
            s.add(meet)
            s.flush()
            ids[meet.name] = meet.id
        approved = models.Association(name="ApprovedAssocX", category="charity",
                                      lat=WIGAN[0], lon=WIGAN[1] + 0.01, status="approved",
                                      contact_email="a@assoc.example")
        pending = models.Association(name="PendingAssocX", category="charity",
                                     lat=WIGAN[0], lon=WIGAN[1] + 0.02, status="pending",
                                     charity_number="1234567", contact_email="p@assoc.example")
        s.add_all([approved, pending])
        s.flush()
        ids["ApprovedAssocX"], ids["PendingAssocX"] = approved.id, pending.id
        needs = {
            "OpenNeedX": {"association_id": approved.id},
            "ClosedNeedX": {"association_id": approved.id, "status": "closed"},
            "FullNeedX": {"association_id": approved.id, "capacity": 2, "places_taken": 2},
            "EndedNeedX": {"association_id": approved.id,
                           "ends_on": today - dt.timedelta(days=1)},
            "PendingNeedX": {"association_id": pending.id},
        }
        for title, extra in needs.items():
            opp = models.Opportunity(title=title, interests=["gardening"], lat=WIGAN[0],
                                     lon=WIGAN[1] + 0.005, **extra)
            s.add(opp)
            s.flush()
            ids[title] = opp.id
    app = create_app({"TESTING": True, "DATABASE_URL": store.url, "SECRET_KEY": "test",
                      "INSTANCE_PATH": str(tmp_path)})
    yield app, ids
    get_store(app).dispose()


def test_every_public_get_route_is_listed_here(world) -> None:
    app, _ids = world
    routes = {r.rule for r in app.url_map.iter_rules()
              if "GET" in r.methods and not r.rule.startswith(STAFF_PREFIXES)}
    assert routes == set(PUBLIC_GETS), "add the new public route to PUBLIC_GETS"


@pytest.mark.parametrize("rule", [r for r, url in PUBLIC_GETS.items() if url])
def test_public_listing_shows_public_things_only(world, rule: str) -> None:
    app, _ids = world
    response = app.test_client().get(PUBLIC_GETS[rule])
    assert response.status_code == 200, response.text[:500]
    text = response.get_data(as_text=True)
    leaked = [name for name in HIDDEN if name in text]
    assert not leaked, f"{rule} shows {leaked}"
    for word in ("pending", "suspended"):
        assert f">{word}<" not in text, f"{rule} shows a {word} badge"


def test_public_listings_do_show_the_public_things(world) -> None:
    app, _ids = world
    client = app.test_client()
    assert "ApprovedMeetX" in client.get("/meetings").text
    assert "ApprovedPeersX" in client.get("/organisations").text
    assert "OpenNeedX" in client.get(PUBLIC_GETS["/api/opportunities"]).text
    assert "ApprovedAssocX" in client.get(PUBLIC_GETS["/api/associations"]).text
    assert "ApprovedMeetX" in client.get(PUBLIC_GETS["/api/meetings"]).text
    assert "ApprovedMeetX" in client.get("/api/meetings/feed.json").text
    assert "OpenNeedX" in client.get(PUBLIC_GETS["/api/recommendations"]).text


def test_one_record_pages_of_hidden_things_are_not_found(world) -> None:
    app, ids = world
    client = app.test_client()
    for name in ("PendingMeetX", "SuspendedMeetX"):
        assert client.get(f"/meetings/{ids[name]}").status_code == 404
    assert client.get(f"/meetings/{ids['ApprovedMeetX']}").status_code == 200
    for name in ("ClosedNeedX", "FullNeedX", "EndedNeedX", "PendingNeedX"):
        page = client.get(f"/opportunities/{ids[name]}")
        assert page.status_code == 404, name
        assert name not in page.text
        assert "a@assoc.example" not in page.text  # no contact details of a closed need
    gone = client.get(f"/opportunities/{ids['ClosedNeedX']}").text
    assert "no longer open to new volunteers" in gone
    assert client.get(f"/opportunities/{ids['OpenNeedX']}").status_code == 200


def test_associations_api_other_statuses_need_a_staff_token(world) -> None:
    app, ids = world
    store = get_store(app)
    client = app.test_client()
    for status in ("pending", "suspended", "any"):
        refused = client.get(f"/api/associations?status={status}")
        assert refused.status_code == 401
        assert "only approved associations are public" in refused.get_json()["detail"]
    admin = create_user(store, email="admin@cg.example", password_hash="x", role="admin")
    partner = create_user(store, email="me@cg.example", password_hash="x",
                          role="association", association_id=ids["ApprovedAssocX"])
    headers = {}
    for user in (admin, partner):
        token, digest = new_api_token(user.id)
        set_api_token_hash(store, user.id, digest)
        headers[user.role] = {"Authorization": f"Bearer {token}"}
    staff = client.get("/api/associations?status=any&limit=1000", headers=headers["admin"])
    assert staff.status_code == 200
    names = {f["properties"]["name"] for f in staff.get_json()["features"]}
    assert {"ApprovedAssocX", "PendingAssocX"} <= names
    # A partner's token is not a staff token: it sees what the public sees.
    assert client.get("/api/associations?status=pending",
                      headers=headers["association"]).status_code == 401
    bad = client.get("/api/associations", headers={"Authorization": "Bearer cg_1_nope"})
    assert bad.status_code == 401
