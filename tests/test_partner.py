"""Partner portal and partner API on both backends: scoped CRUD, forms, reach, tokens, IDOR."""

from __future__ import annotations

import datetime as dt
import functools
import re

import pytest
from markupsafe import escape

from service import create_app
from service import get_store
from service.api import partner as api_partner
from service.usecases.accounts import hash_password
from service.usecases.accounts import new_api_token
from service.web.auth import session_fields
from store import NotFoundError
from store import Store
from store import models
from store.partner import ForbiddenError
from store.partner import OpportunityError
from store.partner import create_opportunity
from store.partner import get_opportunity
from store.partner import list_opportunities
from store.partner import update_opportunity
from store.users import create_user
from store.users import set_api_token_hash

PASSWORD = "correct horse battery"
MANCHESTER = (53.4808, -2.2426)


def add_association(store: Store, name: str, *, latlon=MANCHESTER, status="approved") -> int:
    with store.session() as s:
        a = models.Association(name=name, category="charity", status=status, lat=latlon[0],
                               lon=latlon[1], postcode="M1 1AA", address="1 Canal St")
        s.add(a)
        s.flush()
        return a.id


def add_meetings(store: Store, offsets_km: list[float], *, active: bool = True) -> None:
    """Meetings due north of Manchester at the given distances (1 degree lat ~ 111.2 km)."""
    with store.session() as s:
        for i, km in enumerate(offsets_km):
            s.add(models.Meeting(name=f"Meeting {i}", lat=MANCHESTER[0] + km / 111.195,
                                 lon=MANCHESTER[1], active=active, weekdays=[1]))


@functools.cache
def password_hash() -> str:
    """One real scrypt hash of PASSWORD, reused so that each test does not pay for it."""
    return hash_password(PASSWORD)


def add_partner(store: Store, association_id: int, email: str):
    return create_user(store, email=email, password_hash=password_hash(),
                       role="association", association_id=association_id)


def sign_in(client, user) -> None:
    """Start a session for ``user`` without the password check (tests of authorisation;
    signing in itself is tested in test_auth.py with the real password hash)."""
    with client.session_transaction() as session:
        session.update(session_fields(user))
        session["_fresh"] = True


@pytest.fixture
def world(store: Store):
    """Two associations, each with a partner user and one need, on each backend."""
    mine = add_association(store, "Canal Trust")
    theirs = add_association(store, "Allotment Society", latlon=(53.40, -2.15))
    me = add_partner(store, mine, "me@canal.example")
    them = add_partner(store, theirs, "them@allotment.example")
    my_opp = create_opportunity(store, mine, {"title": "Towpath litter pick",
                                              "interests": ["outdoors"]})
    their_opp = create_opportunity(store, theirs, {"title": "Raised beds",
                                                   "interests": ["gardening"]})
    return {"store": store, "mine": mine, "theirs": theirs, "me": me, "them": them,
            "my_opp": my_opp, "their_opp": their_opp}


@pytest.fixture
def staff_app(world, tmp_path):
    app = create_app({"TESTING": True, "DATABASE_URL": world["store"].url,
                      "SECRET_KEY": "test", "INSTANCE_PATH": str(tmp_path)})
    if "api_partner" not in app.blueprints:
        app.register_blueprint(api_partner.bp)
    yield app
    get_store(app).dispose()


@pytest.fixture
def me(staff_app, world):
    client = staff_app.test_client()
    sign_in(client, world["me"])
    return client


# -------------------------------------------------------------------------------- store


def test_store_scopes_every_read_and_write(world) -> None:
    store, mine, their_opp = world["store"], world["mine"], world["their_opp"]
    with pytest.raises(ForbiddenError, match="another association"):
        get_opportunity(store, mine, their_opp["id"])
    with pytest.raises(ForbiddenError):
        update_opportunity(store, mine, their_opp["id"], {"title": "Mine now"})
    with pytest.raises(NotFoundError, match="does not exist"):
        get_opportunity(store, mine, 10**6)
    assert get_opportunity(store, world["theirs"], their_opp["id"])["title"] == "Raised beds"
    assert [o["id"] for o in list_opportunities(store, mine)] == [world["my_opp"]["id"]]


def test_new_need_is_placed_at_its_association(world) -> None:
    opp = world["my_opp"]
    assert (opp["lat"], opp["lon"]) == MANCHESTER
    assert opp["postcode"] == "M1 1AA"
    assert opp["status"] == "open"
    assert opp["source"] == "partner"


def test_every_problem_is_reported_at_once(world) -> None:
    with pytest.raises(OpportunityError) as info:
        create_opportunity(world["store"], world["mine"], {
            "title": "", "interests": ["gardening", "knitting"], "weekdays": [7],
            "start_time": "18:00", "end_time": "17:00", "capacity": "-2", "status": "gone",
            "lat": 95, "lon": 0, "colour": "red"})
    problems = info.value.problems
    assert set(problems) == {"title", "interests", "weekdays", "end_time", "capacity",
                             "status", "lat", "fields"}
    assert "“knitting” is not one of our interests" in problems["interests"]
    assert problems["status"] == ("Status “gone” is not one of the choices. Choose one of "
                                  "open, paused, filled, closed.")
    assert "Enter a latitude between -90 and 90" in problems["lat"]
    assert problems["title"] == "Title is missing. Every opportunity needs one: enter its title."
    assert "“colour”" in problems["fields"]
    assert len(list_opportunities(world["store"], world["mine"])) == 1


def test_update_checks_against_stored_values(world) -> None:
    store, mine, opp = world["store"], world["mine"], world["my_opp"]
    update_opportunity(store, mine, opp["id"], {"capacity": 4, "places_taken": 2,
                                                "start_time": "10:00"})
    with pytest.raises(OpportunityError, match=r"Places taken \(5\) cannot be more than the "
                                                 r"places \(4\)"):
        update_opportunity(store, mine, opp["id"], {"places_taken": 5})
    with pytest.raises(OpportunityError, match=r"Finish time \(09:00\) must be after the start "
                                                 r"time \(10:00\)"):
        update_opportunity(store, mine, opp["id"], {"end_time": "09:00"})
    saved = get_opportunity(store, mine, opp["id"])
    assert (saved["capacity"], saved["places_taken"]) == (4, 2)
    assert saved["start_time"] == dt.time(10, 0)


# -------------------------------------------------------------------------------- pages


def _form(**fields):
    base = {"title": "Lock painting", "description": "Paint the lock gates",
            "interests": ["waterways", "diy-repair"], "skills": "painting, team work",
            "weekdays": ["6"], "start_time": "10:00", "end_time": "13:00",
            "commitment": "One Saturday a month", "accessibility": "step-free",
            "capacity": "6", "status": "open", "location_from": "association"}
    return base | fields


def test_partner_creates_edits_pauses_and_closes_a_need(me, world) -> None:
    store = world["store"]
    created = me.post("/partner/opportunities/new", data=_form())
    assert created.status_code == 302, created.text
    new_id = int(re.search(r"/opportunities/(\d+)/edit", created.location)[1])
    opp = get_opportunity(store, world["mine"], new_id)
    assert opp["interests"] == ["waterways", "diy-repair"]
    assert opp["skills"] == ["painting", "team work"]
    assert opp["weekdays"] == [6]
    assert (opp["start_time"], opp["capacity"]) == (dt.time(10), 6)
    assert (opp["lat"], opp["lon"]) == MANCHESTER

    page = me.get(created.location)
    assert page.status_code == 200
    assert 'value="Lock painting"' in page.text

    edited = me.post(f"/partner/opportunities/{new_id}/edit",
                     data=_form(title="Lock gate painting", location_from="point",
                                lat="53.5", lon="-2.3", places_taken="2"))
    assert edited.status_code == 302, edited.text
    opp = get_opportunity(store, world["mine"], new_id)
    assert (opp["title"], opp["lat"], opp["lon"]) == ("Lock gate painting", 53.5, -2.3)
    assert opp["location_precision"] == "exact"
    assert opp["places_taken"] == 2

    for status in ("paused", "closed", "open"):
        done = me.post(f"/partner/opportunities/{new_id}/status", data={"status": status})
        assert done.status_code == 302
        assert get_opportunity(store, world["mine"], new_id)["status"] == status
    listing = me.get("/partner/?status=open").text
    assert "Lock gate painting" in listing
    assert "Towpath litter pick" in listing


@pytest.mark.parametrize("store", ["sqlite"], indirect=True)  # form details: one backend
def test_location_by_postcode_is_geocoded_offline(me, world) -> None:
    created = me.post("/partner/opportunities/new",
                      data=_form(location_from="postcode", postcode="ls1 4ap"))
    assert created.status_code == 302, created.text
    new_id = int(re.search(r"/opportunities/(\d+)/edit", created.location)[1])
    opp = get_opportunity(world["store"], world["mine"], new_id)
    assert opp["postcode"] == "LS1 4AP"
    assert 53.6 < opp["lat"] < 54.0  # Leeds, not Manchester
    assert opp["location_precision"] in {"postcode", "district", "area"}


@pytest.mark.parametrize("store", ["sqlite"], indirect=True)  # form details: one backend
def test_form_errors_are_shown_and_nothing_is_saved(me, world) -> None:
    before = len(list_opportunities(world["store"], world["mine"]))
    bad = me.post("/partner/opportunities/new", data=_form(
        title="", capacity="lots", location_from="postcode", postcode="NOT A PC"))
    assert bad.status_code == 400
    assert "Title is missing. Every opportunity needs one: enter its title." in bad.text
    assert "Places “lots” is not a whole number. Enter a count such as 4." in bad.text
    assert "is not a UK postcode" in bad.text
    # each message sits by its field, which it describes; the first field takes focus
    assert re.search(r'id="title"[^>]*aria-invalid="true" aria-describedby="title-error" '
                     r'autofocus', bad.text)
    assert re.search(r'id="capacity"[^>]*aria-describedby="capacity-error"', bad.text)
    assert 'id="capacity"' in bad.text
    assert len(re.findall(r"\bautofocus\b", bad.text)) == 1
    assert 'value="Paint the lock gates"' not in bad.text  # textarea, not an input
    assert "Paint the lock gates" in bad.text  # what was typed is kept
    point = me.post("/partner/opportunities/new", data=_form(location_from="point", lat="53"))
    assert point.status_code == 400
    assert "Latitude and longitude: give both" in point.text
    assert len(list_opportunities(world["store"], world["mine"])) == before


@pytest.mark.parametrize("store", ["sqlite"], indirect=True)  # form details: one backend
def test_form_works_without_the_map(me) -> None:
    page = me.get("/partner/opportunities/new").text
    assert 'name="lat"' in page
    assert 'name="lon"' in page
    assert 'id="pick-on-map" hidden' in page  # shown by script only
    # Nothing is fetched from another site until "Pick on a map" is pressed.
    assert '<script src="http' not in page
    assert '<link rel="stylesheet" href="http' not in page


def test_meetings_within_reach_are_counted(me, world) -> None:
    add_meetings(world["store"], [1.0, 4.0, 8.0, 20.0, 40.0])
    add_meetings(world["store"], [2.0], active=False)
    page = me.get(f"/partner/opportunities/{world['my_opp']['id']}/edit").text
    counts = re.search(r'class="reach">(.*?)</p>', page, re.S)[1]
    assert re.sub(r"\s+", " ", re.sub(r"<[^>]+>", "", counts)).strip().endswith(
        "2 within 5 km, 3 within 10 km, 4 within 25 km.")
    row = re.search(r"Towpath litter pick.*?</tr>", me.get("/partner/").text, re.S)[0]
    assert "<td>3</td>" in row


def test_another_associations_need_is_forbidden_on_every_page(me, world) -> None:
    their_id = world["their_opp"]["id"]
    assert me.get(f"/partner/opportunities/{their_id}/edit").status_code == 403
    assert me.post(f"/partner/opportunities/{their_id}/edit",
                   data=_form(title="Hijacked")).status_code == 403
    assert me.post(f"/partner/opportunities/{their_id}/status",
                   data={"status": "closed"}).status_code == 403
    assert me.get("/partner/opportunities/999999/edit").status_code == 404
    theirs = get_opportunity(world["store"], world["theirs"], their_id)
    assert (theirs["title"], theirs["status"]) == ("Raised beds", "open")
    assert "Raised beds" not in me.get("/partner/").text


def test_suspended_association_cannot_use_the_portal(me, world) -> None:
    with world["store"].session() as s:
        s.get(models.Association, world["mine"]).status = "suspended"
    page = me.get("/partner/")
    assert page.status_code == 403
    assert "Canal Trust is suspended" in page.text


@pytest.mark.parametrize("store", ["sqlite"], indirect=True)  # form details: one backend
def test_token_page_shows_a_new_token_once(me, world, staff_app) -> None:
    made = me.post("/partner/token", data={"action": "create"})
    assert made.status_code == 200
    token = re.search(r'id="new-token">([^<]+)<', made.text)[1]
    assert made.headers["Cache-Control"] == "no-store"
    api = staff_app.test_client()
    headers = {"Authorization": f"Bearer {token}"}
    assert api.get("/api/partner/opportunities", headers=headers).status_code == 200
    assert token not in me.get("/partner/token").text
    me.post("/partner/token", data={"action": "revoke"})
    assert api.get("/api/partner/opportunities", headers=headers).status_code == 401


# ---------------------------------------------------------------------------------- API


def _token(world, who: str = "me") -> dict[str, str]:
    token, digest = new_api_token(world[who].id)
    set_api_token_hash(world["store"], world[who].id, digest)
    return {"Authorization": f"Bearer {token}"}


def test_api_lists_creates_reads_and_patches(staff_app, world) -> None:
    api, auth = staff_app.test_client(), _token(world)
    listed = api.get("/api/partner/opportunities", headers=auth)
    assert listed.status_code == 200
    assert listed.json["association"]["name"] == "Canal Trust"
    assert [o["title"] for o in listed.json["results"]] == ["Towpath litter pick"]

    created = api.post("/api/partner/opportunities", headers=auth, json={
        "title": "Canal boat crew", "interests": ["waterways"], "weekdays": [0, 6],
        "start_time": "09:30", "capacity": 2, "postcode": "M15 4AB"})
    assert created.status_code == 201, created.json
    body = created.json
    assert created.headers["Location"] == f"/api/partner/opportunities/{body['id']}"
    assert (body["start_time"], body["weekdays"], body["postcode"]) == ("09:30", [0, 6],
                                                                       "M15 4AB")
    assert body["location_precision"] != "exact"

    add_meetings(world["store"], [1.0])
    read = api.get(created.headers["Location"], headers=auth)
    assert read.status_code == 200
    assert set(read.json["meetings_within_km"]) == {"5", "10", "25"}

    patched = api.patch(created.headers["Location"], headers=auth,
                        json={"status": "paused", "lat": 53.47, "lon": -2.25})
    assert patched.status_code == 200, patched.json
    assert (patched.json["status"], patched.json["lat"]) == ("paused", 53.47)
    assert patched.json["location_precision"] == "exact"
    assert api.get("/api/partner/opportunities?status=paused",
                   headers=auth).json["results"][0]["id"] == body["id"]


@pytest.mark.parametrize(("method", "path", "body", "status", "detail"), [
    ("post", "", {"interests": ["knitting"]}, 400, "Title is missing"),
    ("post", "", {"title": "x", "capacity": "many"}, 400, "Places “many” is not a whole"),
    ("post", "", {"title": "x", "postcode": "ZZ99"}, 400, "postcode"),
    ("post", "", ["not", "an", "object"], 400, "not a JSON object"),
    ("patch", "/{mine}", {}, 400, "nothing to change"),
    ("patch", "/{mine}", {"id": 5, "association_id": 2}, 400, "(unknown or read-only)"),
    ("get", "?status=archived", None, 400, "status='archived' is not known"),
    ("get", "/{theirs}", None, 403, "belongs to another association"),
    ("patch", "/{theirs}", {"title": "Hijacked"}, 403, "belongs to another association"),
    ("get", "/999999", None, 404, "does not exist"),
])
def test_api_errors_have_one_shape(  # noqa: PLR0917 - parametrized
    staff_app, world, method, path, body, status, detail,
) -> None:
    api = staff_app.test_client()
    url = "/api/partner/opportunities" + path.format(mine=world["my_opp"]["id"],
                                                    theirs=world["their_opp"]["id"])
    kwargs = {"headers": _token(world)} | ({"json": body} if body is not None else {})
    response = getattr(api, method)(url, **kwargs)
    assert response.status_code == status, response.json
    assert set(response.json) == {"error", "detail", "status"}
    assert response.json["status"] == status
    assert detail in response.json["detail"]
    assert get_opportunity(world["store"], world["theirs"],
                           world["their_opp"]["id"])["title"] == "Raised beds"


@pytest.mark.parametrize("store", ["sqlite"], indirect=True)  # form details: one backend
def test_api_wants_json(staff_app, world) -> None:
    response = staff_app.test_client().post("/api/partner/opportunities",
                                            headers=_token(world), data="title=x")
    assert response.status_code == 415
    assert "application/json" in response.json["detail"]


@pytest.mark.parametrize("store", ["sqlite"], indirect=True)
@pytest.mark.parametrize("header", [None, "Bearer", "Bearer cg_1_nope", "Basic dXNlcjpwdw==",
                                    "Bearer not-a-token"])
def test_api_refuses_missing_or_bad_tokens(staff_app, world, header) -> None:
    headers = {"Authorization": header} if header else {}
    response = staff_app.test_client().get("/api/partner/opportunities", headers=headers)
    assert response.status_code == 401
    assert response.headers["WWW-Authenticate"].startswith("Bearer")
    assert set(response.json) == {"error", "detail", "status"}


def test_api_refuses_tokens_of_other_roles_and_suspended_users(staff_app, world) -> None:
    store = world["store"]
    admin = create_user(store, email="boss@cg.example", password_hash=password_hash(),
                        role="admin")
    world["admin"] = admin
    response = staff_app.test_client().get("/api/partner/opportunities",
                                           headers=_token(world, "admin"))
    assert response.status_code == 403
    assert "association accounts" in response.json["detail"]
    auth = _token(world)
    with store.session() as s:
        s.get(models.User, world["me"].id).active = False
    assert staff_app.test_client().get("/api/partner/opportunities",
                                       headers=auth).status_code == 401


def test_api_never_uses_the_session_cookie(me, world) -> None:
    """A signed-in browser session is not an API credential (so CSRF cannot apply)."""
    response = me.post("/api/partner/opportunities", json={"title": "From a cookie"})
    assert response.status_code == 401
    assert all(o["title"] != "From a cookie"
               for o in list_opportunities(world["store"], world["mine"]))


# ------------------------------------------------------- one wording with ingest (domain.fields)


def _ingest_reason(lat: float, lon: float) -> tuple[str, str]:
    """The field and reason ingest gives for a need at (lat, lon) in the GB service area."""
    from geo.geocode import OfflineGeocoder
    from geo.service_area import service_area_from_text
    from ingest.records import RawRecord
    from ingest.validate import validate

    record = RawRecord(2, {"title": "Litter pick", "association": "canal", "lat": lat,
                           "lon": lon})
    valid, rejected = validate([record], "opportunities", area=service_area_from_text("GB"),
                               geocoder=OfflineGeocoder())
    assert valid == []
    (problem,) = rejected
    return problem["field"], problem["reason"]


PLACES = {"placeholder": (0.0, 0.0), "sydney": (-33.87, 151.21), "swapped": (-2.24, 53.48)}


@pytest.mark.parametrize("place", list(PLACES))
def test_partner_store_api_and_form_refuse_what_ingest_refuses(
    staff_app, me, world, place
) -> None:
    """(0, 0) and Sydney were accepted by the partner API and refused by ingest: now all
    three doors refuse them, in the same words."""
    lat, lon = PLACES[place]
    field, reason = _ingest_reason(lat, lon)
    assert field == "lat,lon"
    with pytest.raises(OpportunityError) as info:
        create_opportunity(world["store"], world["mine"], {"title": "Litter pick",
                                                           "lat": lat, "lon": lon})
    assert info.value.problems == {"lat,lon": reason}
    with pytest.raises(OpportunityError) as info:
        update_opportunity(world["store"], world["mine"], world["my_opp"]["id"],
                           {"lat": lat, "lon": lon})
    assert info.value.problems == {"lat,lon": reason}

    api = staff_app.test_client()
    response = api.post("/api/partner/opportunities", headers=_token(world),
                        json={"title": "Litter pick", "lat": lat, "lon": lon})
    assert response.status_code == 400
    assert reason in response.json["detail"]

    page = me.post("/partner/opportunities/new",
                   data=_form(location_from="point", lat=str(lat), lon=str(lon)))
    assert page.status_code == 400
    assert str(escape(reason)) in page.text  # escaped as Jinja escapes
    assert [o["id"] for o in list_opportunities(world["store"], world["mine"])] == [
        world["my_opp"]["id"]]
