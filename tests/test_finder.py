"""The meeting finder: filters, "upcoming" on a fixed clock, in progress, distance, pages.

Meetings are written to a real SQLite store; the clock is injected (``find(..., now=)`` for
the use case, ``service.web.peer.clock`` for the pages).
"""

from __future__ import annotations

import datetime as dt
import re

import pytest

from service import get_context
from service import get_store
from service.usecases import finder
from service.usecases.finder import LONDON
from service.usecases.finder import parse_finder
from service.web import peer
from store.models import Meeting

#: Monday 30 November 2026, 19:00 in London (GMT).
MONDAY_7PM = dt.datetime(2026, 11, 30, 19, 0, tzinfo=LONDON)
WIGAN = (53.5448, -2.6318)
LEEDS = (53.7997, -1.5492)


def add(store, name: str, days, start, end=None, *, attendance="in_person", latlon=WIGAN,
        **fields) -> int:
    """Write one active meeting; its id."""
    lat, lon = latlon if latlon is not None else (None, None)
    with store.session() as s:
        m = Meeting(name=name, weekdays=list(days), start_time=start, end_time=end,
                    attendance=attendance, lat=lat, lon=lon, active=True, **fields)
        s.add(m)
        s.flush()
        return m.id


def t(hhmm: str) -> dt.time:
    return dt.time.fromisoformat(hhmm)


@pytest.fixture
def week(app):
    """A small week of meetings around a Monday evening."""
    store = get_store(app)
    ids = {
        "started": add(store, "Monday started", [1], t("18:30"), t("20:00")),
        "soon": add(store, "Monday soon", [1], t("19:05"), t("20:00"), attendance="hybrid",
                    conference_url="https://meet.example.org/soon"),
        "ended": add(store, "Monday ended", [1], t("17:00"), t("18:00")),
        "tuesday": add(store, "Tuesday morning", [2], t("09:00"), t("10:30"),
                       accessibility=["wheelchair"]),
        "sunday": add(store, "Sunday online", [0], t("10:00"), attendance="online",
                      conference_url="https://meet.example.org/sunday",
                      conference_phone="+44 161 496 0000", types=["W", "O"]),
        "leeds": add(store, "Leeds library group", [3], t("18:00"), t("19:30"), latlon=LEEDS,
                     venue="Central Library", postcode="LS1 3AB"),
    }
    return ids


def names(page) -> list[str]:
    return [m["name"] for m in page.meetings]


def find(app, now=MONDAY_7PM, **args):
    with app.app_context():
        return finder.find(get_context(app), parse_finder(args), now=now)


def test_upcoming_starts_now_and_wraps_through_the_week(app, week) -> None:
    found = find(app)
    # In progress first, then by next start from Monday 19:00; Monday 17:00 comes round last.
    assert names(found) == ["Monday started", "Monday soon", "Tuesday morning",
                            "Leeds library group", "Sunday online", "Monday ended"]
    assert [m["number"] for m in found.meetings] == [1, 2, 3, 4, 5, 6]
    assert found.in_progress == 1
    assert found.meetings[1]["next_at"] == dt.datetime(2026, 11, 30, 19, 5, tzinfo=LONDON)


def test_upcoming_on_another_clock_starts_elsewhere(app, week) -> None:
    wednesday_noon = dt.datetime(2026, 12, 2, 12, 0, tzinfo=LONDON)
    assert names(find(app, now=wednesday_noon))[0] == "Leeds library group"


def test_a_meeting_just_started_is_in_progress_and_still_upcoming(app, week) -> None:
    found = find(app, now=MONDAY_7PM + dt.timedelta(minutes=8))  # 19:08: "soon" began at 19:05
    soon = next(m for m in found.meetings if m["name"] == "Monday soon")
    assert soon["in_progress"]
    assert names(found)[:2] == ["Monday soon", "Monday started"]  # began 3 minutes ago


def test_in_progress_uses_london_summer_time(app, week) -> None:
    # 18:45 BST on a Monday in June is 17:45 UTC: "Monday started" (18:30-20:00) is on.
    june = dt.datetime(2026, 6, 1, 17, 45, tzinfo=dt.UTC)
    found = find(app, now=june)
    assert [m["name"] for m in found.meetings if m["in_progress"]] == ["Monday started"]


def test_today_and_one_day(app, week) -> None:
    assert names(find(app, view="today")) == ["Monday ended", "Monday started", "Monday soon"]
    assert names(find(app, day="2")) == ["Tuesday morning"]
    assert names(find(app, view="all"))[0] == "Sunday online"


def test_hybrid_counts_as_in_person_and_as_online(app, week) -> None:
    in_person = names(find(app, attendance="in_person"))
    online = names(find(app, attendance="online"))
    assert "Monday soon" in in_person
    assert "Monday soon" in online
    assert "Sunday online" not in in_person
    assert "Monday started" not in online
    assert names(find(app, attendance="hybrid")) == ["Monday soon"]


def test_text_region_time_and_access_filters(app, week) -> None:
    assert names(find(app, q="library LS1")) == ["Leeds library group"]
    assert names(find(app, q="  TUESDAY ")) == ["Tuesday morning"]
    assert names(find(app, type="wheelchair")) == ["Tuesday morning"]
    assert names(find(app, type="W")) == ["Sunday online"]  # a Meeting Guide type code
    assert find(app).types == ["O", "wheelchair", "W"]  # by label: Open, wheelchair, Women
    assert names(find(app, time="morning")) == ["Tuesday morning", "Sunday online"]
    assert "Monday ended" in names(find(app, time="evening"))  # 17:00-18:00 is evening
    assert names(find(app, time="afternoon")) == []


def test_region_filter_uses_the_meetings_regions(demo_app) -> None:
    found = find(demo_app, region="South Wales")
    assert found.matched > 0
    assert {m["region"] for m in found.meetings} == {"South Wales"}
    with pytest.raises(ValueError, match="is not a region of any meeting"):
        find(demo_app, region="Atlantis")


def test_distance_sort_from_a_point_puts_online_meetings_last(app, week) -> None:
    found = find(app, lat=str(LEEDS[0]), lon=str(LEEDS[1]))
    assert names(found)[0] == "Leeds library group"
    assert names(found)[-1] == "Sunday online"
    assert found.meetings[0]["distance_km"] < 1
    assert "distance_km" not in found.meetings[-1]
    within = find(app, lat=str(LEEDS[0]), lon=str(LEEDS[1]), radius_km="5")
    assert names(within) == ["Leeds library group", "Sunday online"]


def test_near_reads_a_postcode_or_a_town(app, week) -> None:
    assert parse_finder({"near": "wn1 1aa"}).postcode == "WN1 1AA"
    assert parse_finder({"near": "Leeds"}).place == "Leeds"
    assert names(find(app, near="Leeds"))[0] == "Leeds library group"


@pytest.mark.parametrize(("args", "param"), [
    ({"day": "7"}, "day"), ({"view": "tomorrow"}, "view"), ({"time": "night"}, "time"),
    ({"attendance": "phone"}, "attendance"), ({"lat": "53"}, "lon"),
    ({"near": "Leeds", "lat": "1", "lon": "1"}, "origin"), ({"radius_km": "5"}, "radius_km"),
    ({"page": "0"}, "page"), ({"colour": "red"}, "colour"), ({"type": "<b>"}, "type"),
    ({"q": "x" * 201}, "q"),
])
def test_bad_finder_parameters_name_the_parameter(args, param) -> None:
    with pytest.raises(ValueError) as info:  # noqa: PT011 - the family's base class
        parse_finder(args)
    assert info.value.param == param


def test_finder_page_marks_in_progress_and_keeps_online_meetings_off_the_map(
        app, client, week, monkeypatch) -> None:
    monkeypatch.setattr(peer, "clock", lambda: MONDAY_7PM)
    response = client.get("/meetings")
    assert response.status_code == 200
    page = response.get_data(as_text=True)
    items = dict(re.findall(r'<li class="result[^"]*" id="meeting-(\d+)"(.*?)</li>', page, re.S))
    assert "In progress" in items[str(week["started"])]
    assert "In progress" not in items[str(week["soon"])]
    assert "1 in progress now" in page
    online = items[str(week["sunday"])]
    assert "data-lat" not in online  # never a map pin
    assert 'href="https://meet.example.org/sunday"' in online  # how to join
    assert 'href="tel:+441614960000"' in online
    assert ">Women</option>" in page
    hybrid = items[str(week["soon"])]
    assert "data-lat" in hybrid  # a hybrid meeting is a place to go too
    assert "Join online" in hybrid
    numbers = re.findall(r'data-n="(\d+)"', page)
    assert numbers == [str(n) for n in range(1, len(numbers) + 1)]
    assert "<script>" not in page  # no inline script: the finder's JS is a file
    assert 'src="/static/finder.js"' in page


def test_bad_values_on_the_page_are_a_400_with_the_reason(client, week) -> None:
    response = client.get("/meetings?day=9")
    assert response.status_code == 400
    assert "Day “9” is out of range. Use a whole number from 0 to 6." in response.get_data(
        as_text=True)
    assert client.get("/meetings?near=Atlantis").status_code == 404


def test_static_files_of_the_finder_are_served(client) -> None:
    for name in ("finder.js", "lookup.js", "finder.css"):
        response = client.get(f"/static/{name}")
        assert response.status_code == 200
        assert response.get_data()
        response.close()


# ------------------------------------------------------------------ the home page chooser


@pytest.fixture
def demo_app(app):
    from ingest.demo import load_demo

    load_demo(get_store(app))
    return app


def test_home_page_has_no_long_meeting_list(demo_app) -> None:
    page = demo_app.test_client().get("/").get_data(as_text=True)
    assert 'id="meeting_id"' not in page
    assert page.count("<option") < 20
    assert 'data-lookup="/api/meetings/lookup"' in page


def test_home_page_picks_a_meeting_by_its_name(demo_app) -> None:
    client = demo_app.test_client()
    store = get_store(demo_app)
    with store.session() as s:
        name = s.get(Meeting, 1).name
    api = client.get("/api/recommendations?meeting_id=1&interests=waterways").get_json()
    page = client.get("/", query_string={"meeting": name.upper(),
                                         "interests": "waterways"}).get_data(as_text=True)
    ids = [int(i) for i in re.findall(r'href="/opportunities/(\d+)', page)]
    assert ids == [r["opportunity_id"] for r in api["results"]]
    several = client.get("/?meeting=Wigan").get_data(as_text=True)
    assert "Which one is yours?" in several
    assert re.search(r'href="/\?meeting_id=\d+', several)
    missing = client.get("/?meeting=Zzyzx")
    assert missing.status_code == 404
    assert "My meeting “Zzyzx” matches no meeting." in missing.get_data(as_text=True)


def test_meeting_lookup_endpoint_is_capped(demo_app) -> None:
    client = demo_app.test_client()
    body = client.get("/api/meetings/lookup?q=ACT").get_json()
    assert 0 < len(body["results"]) <= finder.LOOKUP_LIMIT
    assert set(body["results"][0]) == {"id", "name", "when", "venue", "attendance"}
    assert len(client.get("/api/meetings/lookup?q=ACT&limit=3").get_json()["results"]) == 3
    bad = client.get("/api/meetings/lookup?q=")
    assert bad.status_code == 400
    assert bad.get_json()["error"] == "bad_parameter"
    assert client.get("/api/meetings/lookup?q=ACT&limit=31").status_code == 400


# ------------------------------------------------------------------ size with 2,500 meetings


def test_no_page_exceeds_300_kb_with_2500_meetings(app, client) -> None:
    store = get_store(app)
    with store.session() as s:
        s.add_all([Meeting(name=f"Generated meeting {i} — Town {i % 97}",
                           weekdays=[i % 7, (i + 3) % 7],
                     start_time=dt.time(6 + i % 16, (i * 5) % 60), end_time=None,
                     venue=f"Community hall {i}", address=f"{i} High Street, Town {i % 97}",
                     attendance=("in_person", "hybrid", "online")[i % 3],
                     conference_url="https://meet.example.org/x" if i % 3 else None,
                     lat=50.5 + (i % 50) * 0.08, lon=-4.5 + (i // 50) * 0.07, active=True,
                     accessibility=["wheelchair"] if i % 4 == 0 else [])
                   for i in range(2500)])
    sizes = {}
    for url in ("/meetings", "/meetings?view=all", "/meetings?near=Wigan",
                "/meetings?attendance=in_person&page=17", "/"):
        response = client.get(url)
        assert response.status_code == 200, url
        sizes[url] = len(response.data)
    assert max(sizes.values()) < 300_000, sizes
    page = client.get("/meetings").get_data(as_text=True)
    assert "2500 meetings" in page
    assert "Page 1 of 50" in page
    last = client.get("/meetings?page=50").get_data(as_text=True)
    assert 'start="2451"' in last
    assert 'rel="next"' not in last


def test_the_cached_meetings_follow_every_write(app, week) -> None:
    before = find(app)
    store = get_store(app)
    add(store, "Added later", [2], t("12:00"))
    assert "Added later" in names(find(app))
    with store.session() as s:
        s.get(Meeting, week["tuesday"]).active = False
    after = names(find(app))
    assert "Tuesday morning" not in after
    assert len(after) == before.matched  # one in, one out
    # A page's copies are its own: numbering one answer does not touch the next.
    assert find(app, day="2").meetings[0]["number"] == 1
