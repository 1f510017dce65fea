"""A peer's "I'm interested", the partner's inbox, the purge, and a need page that helps.

Email goes through a real SMTP server (aiosmtpd on a loopback port) and is read back.
"""

from __future__ import annotations

import datetime as dt
import re

import pytest
from click.testing import CliRunner
from icalendar import Calendar

from service import create_app
from service import get_store
from service.cli import main
from service.usecases.accounts import hash_password
from store import models
from store.errors import NotFoundError
from store.interests import record_interest
from store.interests import set_interest_status
from store.partner import ForbiddenError
from store.users import create_user

PASSWORD = "correct horse battery"
PEER_EMAIL = "peer.person@example.org"


@pytest.fixture
def loop(sqlite_store, tmp_path, smtp):
    store = sqlite_store
    with store.session() as s:
        org = models.PeerOrganisation(name="Wigan Peers", status="approved", is_hotspot=True,
                                      lat=53.5448, lon=-2.6318)
        assoc = models.Association(name="Canal Trust", category="waterway_trust",
                                   lat=53.545, lon=-2.63, status="approved",
                                   contact_email="hello@canal.example",
                                   contact_phone="01942 123 456", postcode="WN1 1AA")
        s.add_all([org, assoc])
        s.flush()
        meeting = models.Meeting(name="Tuesday Evening Group", organisation_id=org.id,
                                 weekdays=[2], start_time=dt.time(18, 30),  # 0 = Sunday
                                 end_time=dt.time(20), lat=53.546, lon=-2.631, active=True,
                                 venue="Church hall", postcode="WN1 2BB")
        today = dt.date.today()
        need = models.Opportunity(association_id=assoc.id, title="Towpath tidy",
                                  interests=["waterways"], lat=53.545, lon=-2.63,
                                  weekdays=[6], start_time=dt.time(10), end_time=dt.time(13),
                                  capacity=1, starts_on=today + dt.timedelta(days=3),
                                  ends_on=today + dt.timedelta(days=60))
        s.add_all([meeting, need])
        s.flush()
        ids = {"org": org.id, "assoc": assoc.id, "meeting": meeting.id, "need": need.id}
    digest = hash_password(PASSWORD)
    create_user(store, email="partner@canal.example", password_hash=digest,
                role="association", association_id=ids["assoc"])
    create_user(store, email="lead@peers.example", password_hash=digest, role="hotspot_lead",
                organisation_id=ids["org"])
    app = create_app({"TESTING": True, "DATABASE_URL": store.url, "SECRET_KEY": "test",
                      "INSTANCE_PATH": str(tmp_path), **smtp.settings})
    yield {"app": app, "store": store, "smtp": smtp, **ids}
    get_store(app).dispose()


def _interest_rows(store) -> list[models.ExpressedInterest]:
    with store.sessions() as s:
        rows = list(s.query(models.ExpressedInterest).order_by(models.ExpressedInterest.id))
        s.expunge_all()
        return rows


def _partner(app):
    client = app.test_client()
    response = client.post("/login", data={"email": "partner@canal.example",
                                           "password": PASSWORD})
    assert response.status_code == 302
    return client


def test_need_page_helps_someone_go(loop) -> None:
    page = loop["app"].test_client().get(f"/opportunities/{loop['need']}")
    assert page.status_code == 200
    text = page.text
    assert 'href="tel:01942123456"' in text
    assert "openstreetmap.org/directions?to=53.54500%2C-2.63000" in text
    assert f"/opportunities/{loop['need']}/calendar.ics" in text
    assert f"http://localhost/opportunities/{loop['need']}" in text  # share link
    first = (dt.date.today() + dt.timedelta(days=3)).strftime("%-d %B %Y")
    assert "First day" in text
    assert first in text
    assert "Last day" in text
    assert "deleted as soon as they have been in touch, and after 30 days" in text
    assert "Cache-Control" in page.headers
    assert page.headers["Cache-Control"] == "no-store"


def test_calendar_files_are_valid_rfc5545(loop) -> None:
    client = loop["app"].test_client()
    need = client.get(f"/opportunities/{loop['need']}/calendar.ics")
    assert need.status_code == 200
    assert need.headers["Content-Type"].startswith("text/calendar")
    cal = Calendar.from_ical(need.data)
    [event] = cal.walk("VEVENT")
    assert str(event["SUMMARY"]).startswith("Towpath tidy")
    assert event["RRULE"]["FREQ"] == ["WEEKLY"]
    assert event["RRULE"]["BYDAY"] == ["SA"]
    start = event.decoded("DTSTART")
    assert start.weekday() == 5
    assert start.hour == 10
    assert start.date() >= dt.date.today() + dt.timedelta(days=3)
    assert str(start.tzinfo) in {"Europe/London", "GMT", "BST"} or "London" in str(start.tzinfo)
    assert cal.walk("VTIMEZONE"), "a TZID needs its VTIMEZONE"
    assert b"\r\n" in need.data  # RFC 5545 line endings
    assert event["RRULE"]["UNTIL"][0].date() >= dt.date.today() + dt.timedelta(days=59)
    page = client.get(f"/opportunities/{loop['need']}").text
    assert "Saturday" in page, "the page and the calendar file name the same day"
    old = client.get(f"/meetings/{loop['meeting']}/calendar.ics")
    assert old.status_code == 308
    meeting = client.get(old.headers["Location"])
    cal = Calendar.from_ical(meeting.data)
    [event] = cal.walk("VEVENT")
    assert event["RRULE"]["BYDAY"] == ["TU"]
    assert "Church hall" in str(event["LOCATION"])
    assert event["UID"] == f"meeting-{loop['meeting']}@localhost"


def test_interest_by_email_reaches_the_association(loop) -> None:
    app, smtp = loop["app"], loop["smtp"]
    response = app.test_client().post(f"/opportunities/{loop['need']}/interest",
                                      data={"method": "email", "email": PEER_EMAIL})
    assert response.status_code == 200
    assert "What happens next" in response.text
    assert "deleted as" in response.text
    [message] = smtp.to("hello@canal.example")
    assert "Towpath tidy" in message["Subject"]
    body = smtp.body(message)
    assert PEER_EMAIL in body
    assert "/partner/interests" in body
    assert message in smtp.to("partner@canal.example")  # the partner users too
    assert not smtp.to("lead@peers.example")
    [row] = _interest_rows(loop["store"])
    assert (row.contact_method, row.contact, row.meeting_id) == ("email", PEER_EMAIL, None)


def test_interest_through_a_meeting_tells_only_the_organisation(loop) -> None:
    app, smtp = loop["app"], loop["smtp"]
    response = app.test_client().post(
        f"/opportunities/{loop['need']}/interest",
        data={"method": "meeting", "meeting_id": str(loop["meeting"]),
              "email": "ignored@example.org", "phone": "07700 900123"})
    assert response.status_code == 200
    assert "Nothing about you was stored" in response.text
    [message] = smtp.to("lead@peers.example")
    body = smtp.body(message)
    assert "Tuesday Evening Group" in body
    assert "ignored@example.org" not in body
    assert "07700" not in body
    assert not smtp.to("hello@canal.example")
    [row] = _interest_rows(loop["store"])
    assert row.contact is None
    assert row.meeting_id == loop["meeting"]


@pytest.mark.parametrize(("data", "named"), [
    ({}, "How should they reach you? Choose by email"),
    ({"method": "email", "email": "not-an-email"}, "Your email is not an email address"),
    ({"method": "phone", "phone": "call me"}, "Your phone number is not a number we can use"),
    ({"method": "meeting"}, "Your meeting is not chosen. Choose the meeting"),
    ({"method": "meeting", "meeting_id": "99999"}, "Your meeting is not chosen"),
])
def test_bad_interest_forms_say_what_to_fix(loop, data, named) -> None:
    response = loop["app"].test_client().post(f"/opportunities/{loop['need']}/interest",
                                              data=data)
    assert response.status_code == 400
    assert named in response.text
    assert not _interest_rows(loop["store"])


def test_no_enumeration_and_csrf(loop, tmp_path) -> None:
    client = loop["app"].test_client()
    unknown = client.post("/opportunities/99999/interest",
                          data={"method": "email", "email": PEER_EMAIL})
    with loop["store"].session() as s:
        s.get(models.Opportunity, loop["need"]).status = "closed"
    closed = client.post(f"/opportunities/{loop['need']}/interest",
                         data={"method": "email", "email": PEER_EMAIL})
    assert unknown.status_code == closed.status_code == 404
    assert not _interest_rows(loop["store"])
    with loop["store"].session() as s:
        s.get(models.Opportunity, loop["need"]).status = "open"
    strict = create_app({"TESTING": True, "DATABASE_URL": loop["store"].url,
                         "SECRET_KEY": "test", "INSTANCE_PATH": str(tmp_path),
                         "WTF_CSRF_ENABLED": True})
    refused = strict.test_client().post(f"/opportunities/{loop['need']}/interest",
                                        data={"method": "email", "email": PEER_EMAIL})
    assert refused.status_code == 400
    get_store(strict).dispose()


def test_interest_is_rate_limited_per_address(loop) -> None:
    client = loop["app"].test_client()
    for _ in range(5):
        assert client.post(f"/opportunities/{loop['need']}/interest",
                           data={"method": "phone", "phone": "07700 900123"}).status_code == 200
    blocked = client.post(f"/opportunities/{loop['need']}/interest",
                          data={"method": "phone", "phone": "07700 900123"})
    assert blocked.status_code == 429
    assert "Retry-After" in blocked.headers
    assert len(_interest_rows(loop["store"])) == 5


def test_inbox_taking_part_fills_the_need_and_deletes_the_contact(loop) -> None:
    app = loop["app"]
    app.test_client().post(f"/opportunities/{loop['need']}/interest",
                           data={"method": "email", "email": PEER_EMAIL})
    partner = _partner(app)
    inbox = partner.get("/partner/interests")
    assert inbox.status_code == 200
    assert PEER_EMAIL in inbox.text
    assert "Towpath tidy" in inbox.text
    assert "1 new" in partner.get("/partner/").text
    [row] = _interest_rows(loop["store"])
    done = partner.post(f"/partner/interests/{row.id}/status", data={"status": "taking_part"})
    assert done.status_code == 302
    [row] = _interest_rows(loop["store"])
    assert row.status == "taking_part"
    assert row.contact is None
    assert row.handled_at
    assert PEER_EMAIL not in partner.get("/partner/interests").text
    with loop["store"].sessions() as s:
        assert s.get(models.Opportunity, loop["need"]).places_taken == 1
    # Capacity 1, now full: gone from the peer page and the API; the owner still sees it.
    public = app.test_client()
    assert public.get(f"/opportunities/{loop['need']}").status_code == 404
    listed = public.get("/api/opportunities?limit=1000").get_json()
    assert loop["need"] not in [f["id"] for f in listed["features"]]
    assert "Towpath tidy" in partner.get("/partner/").text
    # An unknown status is a 400 naming the choices.
    assert partner.post(f"/partner/interests/{row.id}/status",
                        data={"status": "sideways"}).status_code == 400


def test_only_the_need_s_association_marks_its_interests(loop) -> None:
    store = loop["store"]
    with store.session() as s:
        other = models.Association(name="Bowls Club", category="sports_club", lat=53.5,
                                   lon=-2.6, status="approved")
        s.add(other)
        s.flush()
        other_id = other.id
    record_interest(store, loop["need"], method="phone", contact="07700 900003")
    [row] = _interest_rows(store)
    with pytest.raises(ForbiddenError, match="about another association's need"):
        set_interest_status(store, other_id, row.id, "contacted")
    with pytest.raises(NotFoundError, match=f"interest {row.id + 1} does not exist"):
        set_interest_status(store, loop["assoc"], row.id + 1, "contacted")
    [row] = _interest_rows(store)
    assert (row.status, row.contact) == ("new", "07700 900003")
    partner = _partner(loop["app"])
    assert partner.post(f"/partner/interests/{row.id + 1}/status",
                        data={"status": "contacted"}).status_code == 404
    assert set_interest_status(store, loop["assoc"], row.id, "contacted")["status"] == "contacted"


def test_contacts_are_purged_after_the_retention_period(loop) -> None:
    app, store = loop["app"], loop["store"]
    client = app.test_client()
    for phone in ("07700 900001", "07700 900002"):
        client.post(f"/opportunities/{loop['need']}/interest",
                    data={"method": "phone", "phone": phone})
    first, second = _interest_rows(store)
    with store.session() as s:
        s.get(models.ExpressedInterest, first.id).created_at -= dt.timedelta(days=31)
    result = CliRunner().invoke(main, ["--database-url", store.url, "purge", "--json"])
    assert result.exit_code == 0, result.output
    assert '"contacts_deleted": 1' in result.output
    rows = {r.id: r for r in _interest_rows(store)}
    assert rows[first.id].contact is None
    assert rows[first.id].contact_deleted_at
    assert rows[second.id].contact == "07700 900002"
    # The inbox purges too (on access).
    with store.session() as s:
        s.get(models.ExpressedInterest, second.id).created_at -= dt.timedelta(days=31)
    text = _partner(app).get("/partner/interests").text
    assert "07700 900002" not in text
    assert re.search(r"deleted", text)
    assert len(_interest_rows(store)) == 2  # the rows stay (no one in them): counts remain
