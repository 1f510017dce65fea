"""Calendar files (RFC 5545): built by service.usecases.calendar, read back by ``icalendar``."""

from __future__ import annotations

import datetime as dt

import icalendar
import pytest

from service import get_store
from service.usecases.calendar import fold
from service.usecases.calendar import to_ics
from service.usecases.calendar import weekly_event
from service.usecases.finder import LONDON
from service.web import peer
from store.models import Meeting

STAMP = dt.datetime(2026, 11, 30, 19, 0, tzinfo=dt.UTC)


def parse(text: str) -> icalendar.Calendar:
    assert "\r\n" in text
    assert all(len(line.encode()) <= 75 for line in text.split("\r\n")), "unfolded line"
    return icalendar.Calendar.from_ical(text)


def test_a_weekly_event_reads_back_with_its_fields() -> None:
    event = weekly_event(uid="m-1@test", summary="Peers; Wigan, upstairs",
                         start=dt.datetime(2026, 12, 2, 19, 30),
                         end=dt.datetime(2026, 12, 2, 21, 0), weekdays=[3, 5],
                         location="Hall, 1 High St", description="Line one\nLine two",
                         url="https://example.org/meetings/1", latlon=(53.5, -2.6))
    cal = parse(to_ics([event], stamp=STAMP))
    assert cal["VERSION"] == "2.0"
    assert cal.get("PRODID")
    (vevent,) = cal.walk("VEVENT")
    assert str(vevent["SUMMARY"]) == "Peers; Wigan, upstairs"
    assert str(vevent["LOCATION"]) == "Hall, 1 High St"
    assert str(vevent["DESCRIPTION"]) == "Line one\nLine two"
    start = vevent.decoded("DTSTART")
    assert start.replace(tzinfo=None) == dt.datetime(2026, 12, 2, 19, 30)
    assert str(vevent["DTSTART"].params["TZID"]) == "Europe/London"
    assert vevent.decoded("DURATION") == dt.timedelta(hours=1, minutes=30)
    assert vevent["RRULE"]["FREQ"] == ["WEEKLY"]
    assert vevent["RRULE"]["BYDAY"] == ["WE", "FR"]
    assert vevent.decoded("DTSTAMP") == STAMP
    assert vevent["UID"] == "m-1@test"
    assert [tz["TZID"] for tz in cal.walk("VTIMEZONE")] == ["Europe/London"]


def test_the_timezone_keeps_summer_meetings_at_local_time() -> None:
    event = weekly_event(uid="m-2@test", summary="Summer", start=dt.datetime(2026, 7, 1, 19),
                         weekdays=[3])
    (vevent,) = parse(to_ics([event], stamp=STAMP)).walk("VEVENT")
    start = vevent.decoded("DTSTART")
    assert start.utcoffset() == dt.timedelta(hours=1)  # BST: 19:00 local is 18:00 UTC


def test_long_and_wide_lines_are_folded_on_character_boundaries() -> None:
    text = "Café " * 40
    folded = fold("SUMMARY:" + text)
    assert all(len(part.encode()) <= 75 for part in folded.split("\r\n"))
    assert folded.endswith("\r\n")
    event = weekly_event(uid="m-3@test", summary=text.strip(), start=dt.datetime(2026, 12, 1, 9))
    (vevent,) = parse(to_ics([event], stamp=STAMP)).walk("VEVENT")
    assert str(vevent["SUMMARY"]) == text.strip()


@pytest.fixture
def meetings(app):
    with get_store(app).session() as s:
        s.add_all([
            Meeting(name="Hope, <b>Wigan</b>", weekdays=[1, 4], start_time=dt.time(19, 30),
                    end_time=dt.time(21), venue="Library", address="High St; Wigan",
                    attendance="hybrid", conference_url="https://meet.example.org/hope",
                    lat=53.54, lon=-2.63, active=True),
            Meeting(name="No time yet", weekdays=[], attendance="in_person", active=True),
        ])
    return app


def test_meeting_ics_download(meetings, client, monkeypatch) -> None:
    monkeypatch.setattr(peer, "clock", lambda: dt.datetime(2026, 11, 30, 20, tzinfo=LONDON))
    response = client.get("/meetings/1.ics")
    assert response.status_code == 200
    assert response.mimetype == "text/calendar"
    assert "attachment" in response.headers["Content-Disposition"]
    (vevent,) = parse(response.get_data(as_text=True)).walk("VEVENT")
    assert str(vevent["SUMMARY"]) == "Hope, <b>Wigan</b>"
    # Monday 20:00 is during Monday's meeting: the next start is Thursday's.
    assert vevent.decoded("DTSTART").replace(tzinfo=None) == dt.datetime(2026, 12, 3, 19, 30)
    assert vevent["RRULE"]["BYDAY"] == ["MO", "TH"]
    assert "https://meet.example.org/hope" in str(vevent["DESCRIPTION"])
    assert str(vevent["URL"]).endswith("/meetings/1")
    missing = client.get("/meetings/2.ics")
    assert missing.status_code == 400
    assert "cannot go in a calendar" in missing.get_data(as_text=True)
    assert client.get("/meetings/99.ics").status_code == 404


def test_meeting_page_has_directions_calendar_and_share(meetings, client) -> None:
    page = client.get("/meetings/1").get_data(as_text=True)
    assert "https://www.openstreetmap.org/directions?route=%3B53.54000%2C-2.63000" in page
    assert "https://www.google.com/maps/dir/?api=1&amp;destination=53.54000%2C-2.63000" in page
    assert 'href="/meetings/1.ics"' in page
    assert 'data-share href="http://localhost/meetings/1"' in page or (
        'href="http://localhost/meetings/1" data-share' in page)
    assert "Hope, &lt;b&gt;Wigan&lt;/b&gt;" in page
    assert "Join online" in page
    bare = client.get("/meetings/2").get_data(as_text=True)
    assert "Add to calendar" not in bare
    assert "Directions" not in bare
