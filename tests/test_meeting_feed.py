"""The Meeting Guide feed as its clients read it (issue 16): entries, rules, HTTP behaviour.

Rules come from the spec (``../shared/data/specs/meeting-guide``) and from the loaders of the
Meeting Guide app and TSML UI (code4recovery/tsml-ui ``src/helpers/load-meeting-data.ts``):
one integer day per entry, an explicit ``approximate``, a four-part address for in-person
meetings, the spec's type codes only, a timezone, a conference provider TSML UI knows.
"""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select
from sqlalchemy import update

from ingest.demo import load_demo
from ingest.meeting_feed import SPEC_TYPES
from ingest.meeting_feed import entry_problems
from ingest.meeting_feed import feed_entries
from ingest.meeting_feed import feed_problems
from ingest.meeting_feed import formatted_address
from service import get_store
from store import Store
from store.models import DataVersion
from store.models import Meeting
from store.models import PeerOrganisation
from store.reads import export_records

FEED = "/api/meetings/feed.json"
GOOD: dict[str, Any] = {
    "name": "Hope", "slug": "hope", "day": 1, "time": "19:00", "end_time": "20:00",
    "timezone": "Europe/London", "formatted_address": "Library, High Street, Wigan WN1 1XX, UK",
    "latitude": 53.54, "longitude": -2.63, "approximate": "no", "types": ["O", "X"],
    "attendance_option": "in_person", "updated": "2026-01-02 03:04:05",
    "regions": ["North West", "Wigan"],
}


@pytest.fixture
def demo_app(app: Any) -> Any:
    load_demo(get_store(app))
    return app


# -- the rules, one by one (each must be able to fail) ---------------------------------------

def test_a_good_entry_passes() -> None:
    assert entry_problems(GOOD) == ([], [])


@pytest.mark.parametrize(("change", "expected"), [
    ({"day": [1, 5]}, "day [1, 5]: one integer"),
    ({"day": "1"}, "day '1': one integer"),
    ({"day": 7}, "day 7"),
    ({"approximate": None}, "approximate None: 'yes' or 'no' is required"),
    ({"approximate": True}, "approximate True"),
    ({"formatted_address": "High Street, Wigan"}, "needs four parts"),
    ({"formatted_address": None}, "formatted_address: required"),
    ({"types": ["O", "ONL"]}, "types: only the spec's codes, not ['ONL']"),
    ({"types": ["Made Up"]}, "not ['Made Up']"),
    ({"timezone": None}, "timezone None"),
    ({"timezone": "Europe/Wigan"}, "timezone 'Europe/Wigan'"),
    ({"time": "7:00 PM"}, "time '7:00 PM': HH:MM"),
    ({"end_time": "24:00"}, "end_time '24:00'"),
    ({"slug": "has space"}, "slug 'has space'"),
    ({"slug": None}, "slug None"),
    ({"name": ""}, "name: a text"),
    ({"updated": "2026-01-02"}, "updated '2026-01-02'"),
    ({"latitude": "53.5"}, "latitude/longitude"),
    ({"longitude": None}, "latitude/longitude"),
    ({"regions": "North West"}, "regions 'North West'"),
    ({"attendance_option": "maybe"}, "attendance_option 'maybe'"),
    ({"conference_url": "zoom.us/j/1"}, "conference_url 'zoom.us/j/1': an http(s) URL"),
    ({"conference_phone": "+44 (161) 496-0001"}, "conference_phone"),
])
def test_each_rule_fails_on_a_bad_entry(change: dict[str, Any], expected: str) -> None:
    errors, _ = entry_problems({**GOOD, **change})
    assert any(expected in e for e in errors), errors


def test_tsml_ui_provider_and_phone_rules_warn() -> None:
    online = {**GOOD, "attendance_option": "online", "approximate": "yes",
              "formatted_address": "Wigan, UK"}
    assert entry_problems({**online, "conference_url": "https://us02web.zoom.us/j/1"}) == ([], [])
    errors, warnings = entry_problems({**online, "conference_url": "https://meet.example.org/x"})
    assert errors == []
    assert any("does not know this provider" in w for w in warnings)
    assert any("shows it as inactive" in w for w in warnings)
    # A dial-in number is enough for TSML UI to count the meeting as online.
    _, warnings = entry_problems({**online, "conference_url": "https://meet.example.org/x",
                                  "conference_phone": "+441614960001"})
    assert not any("inactive" in w for w in warnings)


def test_in_person_at_an_approximate_place_warns() -> None:
    errors, warnings = entry_problems({**GOOD, "approximate": "yes",
                                       "formatted_address": "Wigan, UK"})
    assert errors == []
    assert any("TSML UI does not show it as in person" in w for w in warnings)


def test_duplicate_slugs_are_errors() -> None:
    errors, _ = feed_problems([GOOD, GOOD])
    assert errors == ["hope: duplicate slug"]


def test_spec_type_codes_are_the_specs(shared_data: Path) -> None:
    spec = json.loads((shared_data / "specs" / "meeting-guide" / "types.json").read_text())
    assert set(spec) == SPEC_TYPES


# -- entries built from records --------------------------------------------------------------

def test_one_entry_per_weekday_with_stable_slugs() -> None:
    record = {"id": 3, "source_id": "m-3", "name": "Twice", "weekdays": [5, 1],
              "start_time": dt.time(10), "attendance": "in_person", "venue": "Hall",
              "address": "1 Mill Lane, Sale", "postcode": "M33 2AB", "lat": 53.42, "lon": -2.32}
    first = feed_entries([record])
    assert [(e["slug"], e["day"]) for e in first] == [("m-3-1", 1), ("m-3-5", 5)]
    assert feed_entries([record]) == first  # the same slugs every time
    assert [e["slug"] for e in feed_entries([{**record, "weekdays": [1]}])] == ["m-3"]


@pytest.mark.parametrize(("args", "expected"), [
    (("Wigan Library", "High Street, Wigan", "WN1 1XX"),
     "Wigan Library, High Street, Wigan WN1 1XX, UK"),
    ((None, "High Street, Wigan", "WN1 1XX"), "High Street, Wigan WN1 1XX, UK"),
    (("Hall", "1 Church St, Sale, M33 7AB, UK", "M33 7AB"), "1 Church St, Sale, M33 7AB, UK"),
    (("Hall", "Sale, UK", None), "Hall, Sale, UK"),
    ((None, "10130 105 St NW, Edmonton, AB T5J 1C9", None),
     "10130 105 St NW, Edmonton, AB T5J 1C9"),  # not the UK: no country guessed
])
def test_formatted_address(args: tuple[Any, ...], expected: str) -> None:
    assert formatted_address(*args) == expected
    assert formatted_address(args[0], expected, args[2]) == expected  # idempotent


def test_demo_feed_meets_every_rule_and_loader(demo_app: Any) -> None:
    feed = demo_app.test_client().get(FEED).get_json()
    errors, warnings = feed_problems(feed)
    assert errors == []
    assert warnings == []  # known providers, dial-in numbers: every meeting shows as active
    assert len(feed) > 80
    in_person = [e for e in feed if e["attendance_option"] in ("in_person", "hybrid")]
    assert in_person
    for entry in in_person:
        assert entry["approximate"] == "no"
        assert entry["formatted_address"].endswith(", UK")
        assert len(entry["formatted_address"].split(",")) >= 4
    assert all(e["timezone"] == "Europe/London" for e in feed)
    assert all(e["regions"] for e in feed)  # the organisation's region: TSML UI's filter
    online = [e for e in feed if e["attendance_option"] == "online"]
    assert online
    assert all(e["approximate"] == "yes" and e["formatted_address"].endswith(", UK")
               for e in online)


def test_updated_is_the_records_change_time(demo_app: Any) -> None:
    store = get_store(demo_app)
    client = demo_app.test_client()
    entry = client.get(FEED).get_json()[0]
    record = next(m for m in export_records(store, "meetings")
                  if m["source_id"] == entry["slug"].rsplit("-", 1)[0]
                  or m["source_id"] == entry["slug"])
    assert entry["updated"] == record["updated_at"].strftime("%Y-%m-%d %H:%M:%S")
    when = dt.datetime(2030, 5, 6, 7, 8, 9)
    with store.session() as s:
        s.execute(update(Meeting).where(Meeting.id == record["id"]).values(updated_at=when))
    entry = next(e for e in client.get(FEED).get_json() if e["name"] == entry["name"])
    assert entry["updated"] == "2030-05-06 07:08:09"


# -- HTTP: public data, CORS, caching, per-organisation feeds --------------------------------

def test_feed_is_public_meetings_only(demo_app: Any) -> None:
    store = get_store(demo_app)
    feed = demo_app.test_client().get(FEED).get_json()
    names = {e["name"] for e in feed}
    with store.sessions() as s:
        hidden = s.execute(select(Meeting.name).join(PeerOrganisation).where(
            (Meeting.active.is_(False)) | (PeerOrganisation.status != "approved"))).scalars()
        hidden = set(hidden)
    assert hidden
    assert not names & hidden
    assert all(e["attendance_option"] != "inactive" for e in feed)


def test_cors_etag_and_last_modified(demo_app: Any) -> None:
    client = demo_app.test_client()
    first = client.get(FEED)
    assert first.status_code == 200
    assert first.headers["Access-Control-Allow-Origin"] == "*"
    etag, modified = first.headers["ETag"], first.headers["Last-Modified"]
    same = client.get(FEED, headers={"If-None-Match": etag})
    assert (same.status_code, same.data) == (304, b"")
    assert same.headers["Access-Control-Allow-Origin"] == "*"
    assert client.get(FEED, headers={"If-Modified-Since": modified}).status_code == 304
    old = "Mon, 01 Jan 2001 00:00:00 GMT"
    assert client.get(FEED, headers={"If-Modified-Since": old}).status_code == 200
    # A change to a public meeting gives a new ETag: the old one no longer matches.
    store = get_store(demo_app)
    with store.session() as s:
        first_id = s.scalar(select(Meeting.id).where(Meeting.active.is_(True)).limit(1))
        s.execute(update(Meeting).where(Meeting.id == first_id).values(name="Renamed"))
    changed = client.get(FEED, headers={"If-None-Match": etag})
    assert changed.status_code == 200
    assert changed.headers["ETag"] != etag


def test_last_modified_moves_when_a_meeting_leaves_the_feed(demo_app: Any) -> None:
    # No row's updated_at can say a meeting left the feed; the table's change time does.
    store = get_store(demo_app)
    client = demo_app.test_client()
    long_ago = dt.datetime(2001, 1, 1)
    with store.session() as s:
        s.execute(update(DataVersion).values(changed_at=long_ago))
    old = client.get(FEED)
    assert old.headers["Last-Modified"] == "Mon, 01 Jan 2001 00:00:00 GMT"
    with store.session() as s:
        s.execute(update(Meeting).where(Meeting.active.is_(True)).values(active=False))
    new = client.get(FEED, headers={"If-Modified-Since": old.headers["Last-Modified"]})
    assert new.status_code == 200
    assert new.get_json() == []
    assert store.changed_at("meetings") > long_ago


def test_per_organisation_feed(demo_app: Any) -> None:
    store = get_store(demo_app)
    client = demo_app.test_client()
    with store.sessions() as s:
        org_id, org_name = s.execute(
            select(PeerOrganisation.id, PeerOrganisation.name)
            .join(Meeting, Meeting.organisation_id == PeerOrganisation.id)
            .where(PeerOrganisation.status == "approved", Meeting.active.is_(True))
            .limit(1)).one()
        pending = s.scalar(select(PeerOrganisation.id)
                           .where(PeerOrganisation.status != "approved").limit(1))
    response = client.get(f"{FEED}?organisation={org_id}")
    assert response.status_code == 200
    assert response.headers["Access-Control-Allow-Origin"] == "*"
    feed = response.get_json()
    assert feed
    assert {e["group"] for e in feed} == {org_name}
    assert len(feed) < len(client.get(FEED).get_json())
    bad = client.get(f"{FEED}?organisation=abc")
    assert bad.status_code == 400
    assert bad.get_json() == {"error": "bad_parameter", "status": 400, "detail": (
        "organisation='abc' is not a whole number: use one from 1 to 2147483647")}
    assert bad.headers["Access-Control-Allow-Origin"] == "*"
    assert client.get(f"{FEED}?organisation=0").status_code == 400
    for unknown in (pending, 999_999):
        missing = client.get(f"{FEED}?organisation={unknown}")
        assert missing.status_code == 404
        assert missing.get_json()["detail"] == (
            f"organisation='{unknown}': no approved peer organisation has this id")
    typo = client.get(f"{FEED}?organization={org_id}")
    assert typo.status_code == 400
    assert "unknown parameter 'organization'" in typo.get_json()["detail"]


def test_openapi_documents_the_feed(client: Any) -> None:
    doc = client.get("/api/openapi.json").get_json()
    op = doc["paths"][FEED]["get"]
    assert [p["name"] for p in op["parameters"]] == ["organisation"]
    assert {"200", "304", "400", "404"} <= set(op["responses"])
    assert {"ETag", "Last-Modified", "Access-Control-Allow-Origin"} <= set(
        op["responses"]["200"]["headers"])


def test_store_records_change_times_on_both_backends(store: Store) -> None:
    assert store.changed_at("meetings") is None
    load_demo(store)
    stamped = store.changed_at("meetings")
    assert stamped is not None
    assert abs(stamped - dt.datetime.now(dt.UTC).replace(tzinfo=None)) < dt.timedelta(minutes=5)
    with store.sessions() as s:
        assert s.scalar(select(Meeting.timezone).limit(1)) is None  # the 0005 columns exist
