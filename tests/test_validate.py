"""ingest.validate: every rule, with good and bad values, asserting the field and the reason."""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Any

import pytest
from geopy.exc import GeocoderServiceError
from geopy.location import Location

from domain.labels import label
from domain.labels import shown
from geo.gazetteer import Gazetteer
from geo.gazetteer import Place
from geo.geocode import OfflineGeocoder
from geo.geocode import PostcodeTable
from geo.service_area import service_area_from_text
from ingest.records import RawRecord
from ingest.validate import ValidRecord
from ingest.validate import validate
from matching.taxonomy import normalise_interest

GB = service_area_from_text("GB")
WORLD = service_area_from_text("world")
BOX = service_area_from_text("-10,40,10,60")
M32_0TH = (53.458999, -2.287483)
DATA = Path(__file__).resolve().parents[2] / "shared" / "data"

MEETING = {"name": "Stretford ACT", "weekdays": "Mon", "lat": 53.46, "lon": -2.29}
ASSOCIATION = {"name": "Bridgewater Canal Trust", "lat": 53.46, "lon": -2.29}
OPPORTUNITY = {"title": "Towpath litter pick", "association": "bct", "lat": 53.46, "lon": -2.29}
BASE = {"meetings": MEETING, "associations": ASSOCIATION, "opportunities": OPPORTUNITY}


@pytest.fixture(scope="module")
def geocoder() -> OfflineGeocoder:
    table = PostcodeTable(["M32 0TH", "M15 4AB", "CF10 1AA"], [M32_0TH[0], 53.465578, 51.4816],
                          [M32_0TH[1], -2.26046, -3.1791])
    gazetteer = Gazetteer([Place(1, "Stretford", 53.4457, -2.3103, 46000, "England")])
    return OfflineGeocoder(table, gazetteer=gazetteer)


@pytest.fixture
def run(geocoder: OfflineGeocoder) -> Any:
    def _run(data: dict[str, Any], kind: str = "meetings", *, base: bool = True,
             **kwargs: Any) -> tuple[list[ValidRecord], list[dict[str, Any]]]:
        record = {**BASE[kind], **data} if base else data
        record = {k: v for k, v in record.items() if v is not ...}
        kwargs.setdefault("area", GB)
        kwargs.setdefault("geocoder", geocoder)
        return validate([RawRecord(2, record)], kind, **kwargs)  # type: ignore[arg-type]
    return _run


@pytest.fixture
def good(run: Any) -> Any:
    """The values of one record that must pass."""
    def _good(data: dict[str, Any], kind: str = "meetings", **kwargs: Any) -> ValidRecord:
        valid, rejected = run(data, kind, **kwargs)
        assert rejected == []
        assert len(valid) == 1
        return valid[0]
    return _good


@pytest.fixture
def bad(run: Any) -> Any:
    """The reason ``field`` of one record is refused.

    A required field (the name, the id, a meeting's days, an opportunity's association, the
    position of a record that needs one) rejects the record; an optional one is left out
    with a warning naming the field, the value and the same reason (issue 10, point 2).
    """
    def _bad(data: dict[str, Any], field: str, kind: str = "meetings", **kwargs: Any) -> str:
        valid, rejected = run(data, kind, **kwargs)
        reasons = [r["reason"] for r in rejected if r["field"] == field]
        if reasons:
            assert valid == []
            assert all(r["row"] == 2 for r in rejected)
            return reasons[0]
        assert len(valid) == 1, rejected
        assert field not in valid[0].values
        assert field not in valid[0].refs
        left_out = [w.split(" left out: ", 1)[1] for w in valid[0].warnings
                    if w.startswith(f"{field} ") and " left out: " in w]
        assert left_out, (rejected, valid[0].warnings)
        return left_out[0]
    return _bad


# --- days and times ----------------------------------------------------------------------

@pytest.mark.parametrize(("raw", "days"), [
    (0, [0]), (6, [6]), ("1", [1]), (6.0, [6]), ("Monday", [1]), ("mon", [1]), ("Sun", [0]),
    ("Mon,Wed", [1, 3]), ("Mon, Wed", [1, 3]), ([1, 3], [1, 3]), (["Mon", "wed"], [1, 3]),
    ("Tuesdays and Thursdays", [2, 4]), ("Mon-Fri", [1, 2, 3, 4, 5]), ("Fri-Mon", [0, 1, 5, 6]),
    ("daily", list(range(7))), ("every day", list(range(7))), ("weekends", [0, 6]),
    ("1;3", [1, 3]), ("Wed, Mon, Wed", [1, 3]), ("thurs", [4]),
])
def test_weekdays_good(good: Any, raw: Any, days: list[int]) -> None:
    assert good({"weekdays": raw}).values["weekdays"] == days


@pytest.mark.parametrize(("raw", "fragment"), [
    (7, "7 is not a day"), (-1, "is not a day"), ("8", "“8” is not a day"),
    ("Funday", "“funday” is not a day"), (True, "True is not a day"), (1.5, "1.5 is not a day"),
    ("Mon, Blursday", "“blursday” is not a day"), ("and", "names no day"),
])
def test_weekdays_bad(bad: Any, raw: Any, fragment: str) -> None:
    reason = bad({"weekdays": raw}, "weekdays")
    assert fragment in reason
    assert "numbers from 0 (Sunday) to 6 (Saturday)" in reason
    assert reason.startswith("Days ")


@pytest.mark.parametrize(("raw", "time"), [
    ("18:30", dt.time(18, 30)), ("6:30 PM", dt.time(18, 30)), ("6:30pm", dt.time(18, 30)),
    ("6:30 a.m.", dt.time(6, 30)), ("1830", dt.time(18, 30)), (1830, dt.time(18, 30)),
    ("930", dt.time(9, 30)), ("18:30:00", dt.time(18, 30)), ("18.30", dt.time(18, 30)),
    ("6pm", dt.time(18)), ("12am", dt.time(0)), ("12 PM", dt.time(12)), ("noon", dt.time(12)),
    (dt.time(7, 15), dt.time(7, 15)), (dt.datetime(2024, 1, 1, 19, 0), dt.time(19)),
    ("00:00", dt.time(0)), ("23:59", dt.time(23, 59)),
])
def test_times_good(good: Any, raw: Any, time: dt.time) -> None:
    assert good({"start_time": raw}).values["start_time"] == time
    assert good({"end_time": raw}).values["end_time"] == time


@pytest.mark.parametrize(("start", "end", "ok"), [
    ("18:00", "20:00", True), ("22:00", "00:00", True), ("20:00", "18:00", False),
    ("18:00", "18:00", False),
])
def test_end_time_after_start_time(good: Any, bad: Any, start: str, end: str, ok: bool) -> None:
    if ok:
        good({"start_time": start, "end_time": end})
    else:
        assert bad({"start_time": start, "end_time": end}, "end_time") == (
            f"Finish time ({end}) must be after the start time ({start}). Change the finish "
            "time, or leave it empty.")


@pytest.mark.parametrize("raw", ["25:00", "24:00", "18:60", "13:00 PM", "0 am", "soon", "18",
                                 True, 18.5, "18:30:61"])
@pytest.mark.parametrize("field", ["start_time", "end_time"])
def test_times_bad(bad: Any, raw: Any, field: str) -> None:
    reason = bad({field: raw}, field)
    assert reason.startswith(f"{label(field)} {shown(raw)}")
    assert "Enter a time from 00:00 to 23:59" in reason


# --- coordinates and the service area ----------------------------------------------------

@pytest.mark.parametrize(("lat", "lon"), [(53.48, -2.24), ("53.48", "-2.24"), (" 53.48 ", -2.24)])
def test_coordinates_good(good: Any, lat: Any, lon: Any) -> None:
    values = good({"lat": lat, "lon": lon}).values
    assert (values["lat"], values["lon"], values["location_precision"]) == (53.48, -2.24, "exact")


@pytest.mark.parametrize(("data", "field", "fragment"), [
    ({"lat": "abc"}, "lat", "Latitude “abc” is not a number. Enter decimal degrees such as "
                            "53.48."),
    ({"lon": "x"}, "lon", "Longitude “x” is not a number"),
    ({"lat": 95}, "lat", "Latitude 95 is out of range. Enter a latitude between -90 and 90."),
    ({"lon": 200}, "lon", "Enter a longitude between -180 and 180"),
    ({"lat": float("inf")}, "lat", "is not a number"),
    ({"lon": ...}, "lon", "Longitude is missing while latitude is given. Enter both"),
    ({"lat": ...}, "lat", "Latitude is missing while longitude is given"),
    ({"lat": 0, "lon": 0}, "lat,lon", "Latitude and longitude (0, 0) is a placeholder, not a "
                                      "position"),
    ({"lat": "0.0", "lon": "0"}, "lat,lon", "placeholder"),
    ({"lat": -2.24, "lon": 53.48}, "lat,lon", "Latitude and longitude look swapped"),
    ({"lat": 48.85, "lon": 2.35}, "lat,lon",
     "Latitude and longitude (48.85, 2.35) is outside the service area 'GB'"),
])
def test_coordinates_bad(bad: Any, data: dict[str, Any], field: str, fragment: str) -> None:
    assert fragment in bad(data, field)


def test_swapped_manchester_names_the_fix(bad: Any) -> None:
    reason = bad({"lat": -2.24, "lon": 53.48}, "lat,lon")
    assert "Exchange the two values." in reason


@pytest.mark.parametrize("area", [WORLD, BOX])
def test_france_is_accepted_under_wider_areas(good: Any, area: Any) -> None:
    values = good({"lat": 48.85, "lon": 2.35}, area=area).values
    assert (values["lat"], values["lon"]) == (48.85, 2.35)


def test_placeholder_is_rejected_even_under_world(bad: Any) -> None:
    assert "placeholder" in bad({"lat": 0, "lon": 0}, "lat,lon", area=WORLD)


@pytest.mark.parametrize(("raw", "precision"), [("postcode", "postcode"), ("Town", "town")])
def test_reader_precision_is_kept(good: Any, raw: str, precision: str) -> None:
    assert good({"location_precision": raw}).values["location_precision"] == precision


def test_reader_precision_bad(bad: Any) -> None:
    reason = bad({"location_precision": "roughly"}, "location_precision")
    assert "Location precision “roughly” is not one of the choices. Choose one of exact" in reason


# --- postcodes and geocoding -------------------------------------------------------------

NO_POSITION = {"lat": ..., "lon": ...}


@pytest.mark.parametrize(("raw", "text", "precision"), [
    ("m32 0th", "M32 0TH", "postcode"), ("M320TH", "M32 0TH", "postcode"),
    ("M32", "M32", "district"), ("M99 9ZZ", "M99 9ZZ", "district"),
])
def test_postcode_good_and_geocoded(good: Any, raw: str, text: str, precision: str) -> None:
    values = good({**NO_POSITION, "postcode": raw}).values
    assert (values["postcode"], values["location_precision"]) == (text, precision)


def test_postcode_with_coordinates_keeps_the_coordinates(good: Any) -> None:
    values = good({"postcode": "M32 0TH"}).values
    assert (values["lat"], values["postcode"], values["location_precision"]) == (
        53.46, "M32 0TH", "exact")


@pytest.mark.parametrize("raw", ["NOT A CODE", "12345", "QQ1 1AA"])
def test_postcode_bad(bad: Any, raw: str) -> None:
    reason = bad({"postcode": raw}, "postcode")
    assert reason.startswith(f"Postcode “{raw}” is not a UK postcode")


@pytest.mark.parametrize(("raw", "hint"), [("WA15 OHF", "WA15 0HF"), ("M32 OTH", "M32 0TH"),
                                           ("M32 ITH", "M32 1TH")])
def test_postcode_with_a_letter_for_a_digit_suggests_the_fix(bad: Any, raw: str, hint: str) -> None:
    assert bad({"postcode": raw}, "postcode").endswith(f" Did you mean {hint}?")


@pytest.mark.parametrize("area", [WORLD, BOX])
def test_postcode_outside_the_uk_is_kept_as_text(good: Any, area: Any) -> None:
    values = good({"lat": 48.85, "lon": 2.35, "postcode": "NOT A CODE"}, area=area).values
    assert values["postcode"] == "NOT A CODE"


def test_postcode_outside_the_uk_is_limited_to_its_column(bad: Any) -> None:
    reason = bad({"postcode": "75001 PARIS"}, "postcode", area=WORLD)
    assert "Postcode is 11 characters long, and at most 10 fit" in reason


def test_address_postcode_fills_an_empty_postcode(good: Any) -> None:
    values = good({**NO_POSITION, "address": "Town Hall, Talbot Road, Stretford M32 0TH"}).values
    assert (values["postcode"], values["location_precision"]) == ("M32 0TH", "postcode")
    assert (values["lat"], values["lon"]) == M32_0TH


def test_address_town_is_geocoded(good: Any) -> None:
    values = good({**NO_POSITION, "address": "Chester Road, Stretford"}).values
    assert values["location_precision"] == "town"
    assert "postcode" not in values


def test_unknown_postcode_falls_back_to_the_address_postcode(good: Any) -> None:
    values = good({**NO_POSITION, "postcode": "M99 9ZZ", "address": "Hall, M32 0TH"}).values
    # the given postcode, placed at its district's shipped centroid (no table loaded)
    assert values["location_precision"] == "district"


def test_geocoding_failure(bad: Any) -> None:
    reason = bad({**NO_POSITION, "address": "Atlantis"}, "address")
    assert reason == ("could not geocode address 'Atlantis': not found; give lat and lon, "
                      "or a full postcode")


def test_geocoded_position_outside_the_area(bad: Any) -> None:
    reason = bad({**NO_POSITION, "postcode": "M32 0TH"}, "postcode",
                 area=service_area_from_text("wales"))
    assert "postcode 'M32 0TH' geocodes to (53.4590, -2.2875), outside the service area" in reason


def test_geocoder_errors_become_reasons(run: Any) -> None:
    class Broken:
        def geocode(self, query: str, exactly_one: bool = True) -> Any:
            msg = "HTTP 500"
            raise GeocoderServiceError(msg)

    valid, rejected = run({**NO_POSITION, "postcode": "M32 0TH"}, geocoder=Broken())
    assert valid == []
    assert rejected[0]["field"] == "postcode"
    assert rejected[0]["reason"] == "geocoding 'M32 0TH' failed: HTTP 500"


def test_each_query_is_geocoded_once(geocoder: OfflineGeocoder) -> None:
    class Counting:
        calls: list[str] = []  # noqa: RUF012

        def geocode(self, query: str, exactly_one: bool = True) -> Location | None:
            self.calls.append(query)
            return Location(query, M32_0TH, {"precision": "postcode"})

    counting = Counting()
    records = [RawRecord(i, {"name": f"m{i}", "weekdays": 1, "postcode": "M32 0TH"})
               for i in range(2, 7)]
    valid, rejected = validate(records, "meetings", area=GB, geocoder=counting)
    assert (len(valid), rejected, counting.calls) == (5, [], ["M32 0TH"])


def test_geocoder_without_precision_counts_as_town() -> None:
    class Plain:
        def geocode(self, query: str, exactly_one: bool = True) -> Location | None:
            return Location(query, M32_0TH, {})

    valid, _ = validate([RawRecord(2, {"name": "a", "weekdays": 1, "postcode": "M32 0TH"})],
                        "meetings", area=GB, geocoder=Plain())
    assert valid[0].values["location_precision"] == "town"


@pytest.mark.parametrize("kind", ["meetings", "associations"])
def test_position_required(bad: Any, kind: str) -> None:
    reason = bad(NO_POSITION, "location", kind)
    assert reason == "no position: give lat and lon, a postcode or an address"


def test_position_optional_for_online_meetings_and_opportunities(good: Any) -> None:
    online = good({**NO_POSITION, "weekdays": ..., "conference_url": "https://zoom.us/j/1"})
    assert "lat" not in online.values
    assert online.values["attendance"] == "online"
    assert "lat" not in good(NO_POSITION, "opportunities").values


def test_real_trafford_postcodes_geocode_within_50_m() -> None:
    path = DATA / "uk-postcodes" / "trafford_postcodes.csv"
    if not path.is_file():
        pytest.skip(f"shared data file {path} is absent")
    geocoder = OfflineGeocoder(PostcodeTable.from_csv(path))
    records = [RawRecord(2, {"name": "a", "weekdays": 1, "postcode": "m32 0th"}),
               RawRecord(3, {"name": "b", "weekdays": 1, "address": "Sale WA15 6NL"})]
    valid, rejected = validate(records, "meetings", area=GB, geocoder=geocoder)
    assert rejected == []
    assert (valid[0].values["lat"], valid[0].values["lon"]) == M32_0TH
    assert [v.values["location_precision"] for v in valid] == ["postcode", "postcode"]


# --- ids ---------------------------------------------------------------------------------

def test_duplicate_ids_reject_the_later_rows(geocoder: OfflineGeocoder) -> None:
    records = [RawRecord(row, {**MEETING, "source_id": sid})
               for row, sid in ((2, "x"), (3, "y"), (4, "x"), (5, "x"))]
    valid, rejected = validate(records, "meetings", area=GB, geocoder=geocoder)
    assert [v.row for v in valid] == [2, 3]
    assert rejected == [
        {"row": 4, "id": "x", "field": "source_id", "reason": "duplicate id 'x' (first at row 2)"},
        {"row": 5, "id": "x", "field": "source_id", "reason": "duplicate id 'x' (first at row 2)"},
    ]


def test_numeric_ids_are_text(good: Any) -> None:
    assert good({"source_id": 12.0}).values["source_id"] == "12"


def test_derived_ids_are_stable_and_independent_of_the_geocoder(geocoder: OfflineGeocoder) -> None:
    record = {"name": "Stretford ACT", "weekdays": "Mon", "start_time": "18:30",
              "postcode": "M32 0TH"}
    offline = OfflineGeocoder()  # built-in areas only: another position, another precision
    first, _ = validate([RawRecord(2, record)], "meetings", area=GB, geocoder=geocoder)
    second, _ = validate([RawRecord(9, dict(record))], "meetings", area=GB, geocoder=offline)
    assert first[0].values["location_precision"] != second[0].values["location_precision"]
    sid = first[0].values["source_id"]
    assert sid == second[0].values["source_id"]
    assert sid.startswith("auto-")
    assert len(sid) == 25
    other_day, _ = validate([RawRecord(2, {**record, "weekdays": "Thu"})], "meetings", area=GB,
                            geocoder=geocoder)
    assert other_day[0].values["source_id"] != sid


def test_same_name_and_position_twice_is_a_duplicate(geocoder: OfflineGeocoder) -> None:
    records = [RawRecord(2, dict(MEETING)), RawRecord(3, dict(MEETING))]
    valid, rejected = validate(records, "meetings", area=GB, geocoder=geocoder)
    assert len(valid) == 1
    assert rejected[0]["field"] == "source_id"
    assert "(first at row 2); the id was derived from the name and position" in (
        rejected[0]["reason"])


# --- text lengths and types --------------------------------------------------------------

@pytest.mark.parametrize(("kind", "field", "limit"), [
    ("meetings", "name", 200), ("meetings", "venue", 200), ("opportunities", "title", 200),
    ("opportunities", "commitment", 200), ("associations", "category", 60),
    ("associations", "charity_number", 20),
    ("meetings", "source_id", 200), ("opportunities", "association", 200),
])
def test_short_text_limits(good: Any, bad: Any, kind: str, field: str, limit: int) -> None:
    assert good({field: "x" * limit}, kind).values.get(field, "x" * limit) == "x" * limit
    reason = bad({field: "x" * (limit + 1)}, field, kind)
    assert reason == (f"{label(field)} is {limit + 1} characters long, and at most {limit} "
                      f"fit. Shorten the {label(field).lower()}.")


@pytest.mark.parametrize(("raw", "ok"), [
    ("0161 496 0000", True), ("+44 (0)161 496-0000", True), ("01632.960123", True),
    ("1" * 40, True), ("1" * 41, False), ("12345", False), ("call Bob", False),
    ("0161 496 0000 evenings", False),
])
def test_phone_numbers(good: Any, bad: Any, raw: str, ok: bool) -> None:
    record = {"name": "Canal Friends", "lat": 53.48, "lon": -2.24, "contact_phone": raw}
    if ok:
        assert good(record, "associations").values["contact_phone"] == raw
    else:
        assert bad(record, "contact_phone", "associations").startswith("Contact phone ")


@pytest.mark.parametrize(("field", "limit", "make"), [
    ("website", 500, lambda n: "https://example.org/" + "a" * (n - 20)),
    ("contact_email", 254, lambda n: "a" * (n - 12) + "@example.org"),
])
def test_url_and_email_limits(good: Any, bad: Any, field: str, limit: int, make: Any) -> None:
    assert good({field: make(limit)}, "associations").values[field] == make(limit)
    assert f"at most {limit} fit" in bad({field: make(limit + 1)}, field, "associations")


@pytest.mark.parametrize(("kind", "field"), [
    ("associations", "description"), ("opportunities", "description"), ("meetings", "notes"),
    ("meetings", "address"),
])
def test_long_text_limit_is_max_text(good: Any, bad: Any, kind: str, field: str) -> None:
    assert good({field: "y" * 50}, kind, max_text=50).values[field] == "y" * 50
    assert "at most 50 fit" in bad({field: "y" * 51}, field, kind, max_text=50)


def test_list_limit_is_max_text(bad: Any) -> None:
    reason = bad({"skills": ["a" * 30, "b" * 30]}, "skills", "opportunities", max_text=50)
    assert reason == "Skills holds more than 50 characters in all. Shorten the list."


@pytest.mark.parametrize(("raw", "fragment"), [
    (["a", "b"], "Name must be text, not ['a', 'b']"),
    (True, "Name must be text, not True"),
    ("a\x00b", "Name contains a NUL character"),
])
def test_text_types(bad: Any, raw: Any, fragment: str) -> None:
    assert fragment in bad({"name": raw}, "name")


@pytest.mark.parametrize("name", ["<script>alert(1)</script> Group", "  Tom & Jerry's <b>club</b>",
                                  "Café Ünïcode"])
def test_user_text_is_kept_verbatim(good: Any, name: str) -> None:
    assert good({"name": name}).values["name"] == name.strip()


@pytest.mark.parametrize("raw", ["NA", "n/a", "", "  ", None, float("nan"), "null"])
def test_missing_words_are_missing(good: Any, raw: Any) -> None:
    assert "website" not in good({"website": raw}, "associations").values


def test_charity_number_from_a_spreadsheet_number(good: Any) -> None:
    assert good({"charity_number": 1234567.0}, "associations").values["charity_number"] == (
        "1234567")


# --- choices -----------------------------------------------------------------------------

@pytest.mark.parametrize(("raw", "value"), [
    ("in_person", "in_person"), ("in person", "in_person"), ("in-person", "in_person"),
    ("In Person", "in_person"), ("online", "online"), ("HYBRID", "hybrid"),
])
def test_attendance_good(good: Any, raw: str, value: str) -> None:
    assert good({"attendance": raw}).values["attendance"] == value


def test_attendance_bad(bad: Any) -> None:
    reason = bad({"attendance": "sometimes"}, "attendance")
    assert reason == ("Attendance “sometimes” is not one of the choices. Choose one of "
                      "in person, online, hybrid.")


@pytest.mark.parametrize(("data", "attendance"), [
    ({}, "in_person"),
    ({"conference_url": "https://zoom.us/j/1"}, "hybrid"),
    ({**NO_POSITION, "weekdays": ..., "conference_url": "https://zoom.us/j/1"}, "online"),
])
def test_attendance_default(good: Any, data: dict[str, Any], attendance: str) -> None:
    assert good(data).values["attendance"] == attendance


@pytest.mark.parametrize(("kind", "raw", "value"), [
    ("associations", "approved", "approved"), ("associations", "Pending", "pending"),
    ("associations", "suspended", "suspended"), ("opportunities", "open", "open"),
    ("opportunities", "FILLED", "filled"), ("opportunities", "paused", "paused"),
    ("opportunities", "closed", "closed"),
])
def test_status_good(good: Any, kind: str, raw: str, value: str) -> None:
    assert good({"status": raw}, kind).values["status"] == value


@pytest.mark.parametrize(("kind", "raw", "allowed"), [
    ("associations", "open", "pending, approved, suspended"),
    ("opportunities", "approved", "open, paused, filled, closed"),
])
def test_status_bad(bad: Any, kind: str, raw: str, allowed: str) -> None:
    assert bad({"status": raw}, "status", kind) == (
        f"Status “{raw}” is not one of the choices. Choose one of {allowed}.")


@pytest.mark.parametrize(("raw", "value"), [
    (True, True), (False, False), ("yes", True), ("No", False), ("y", True), ("1", True),
    (0, False), (1.0, True), ("FALSE", False), ("t", True),
])
def test_booleans_good(good: Any, raw: Any, value: bool) -> None:
    assert good({"active": raw}).values["active"] is value
    assert good({"flexible": raw}, "opportunities").values["flexible"] is value


@pytest.mark.parametrize("raw", ["maybe", 2, "on"])
def test_booleans_bad(bad: Any, raw: Any) -> None:
    assert bad({"active": raw}, "active") == (
        f"Active {shown(raw)} is not yes or no. Give yes or no (or 1 or 0).")


@pytest.mark.parametrize(("raw", "value"), [("10", 10), (10, 10), (10.0, 10), (0, 0), (" 3 ", 3)])
def test_capacity_good(good: Any, raw: Any, value: int) -> None:
    assert good({"capacity": raw}, "opportunities").values["capacity"] == value


@pytest.mark.parametrize(("raw", "fragment"), [
    ("ten", "is not a whole number"), (2.5, "is not a whole number"),
    (True, "is not a whole number"), ("-1", "is out of range. Enter a whole number from 0 to"),
    (10_001, "Places 10001 is out of range. Enter a whole number from 0 to 10,000."),
    (2**31, "is out of range"),
])
def test_capacity_bad(bad: Any, raw: Any, fragment: str) -> None:
    assert fragment in bad({"capacity": raw}, "capacity", "opportunities")


@pytest.mark.parametrize("raw", ["2024-05-01", "01/05/2024", "1/5/2024", "1 May 2024",
                                 "2024-05-01T09:00:00", dt.date(2024, 5, 1),
                                 dt.datetime(2024, 5, 1, 9)])
def test_dates_good(good: Any, raw: Any) -> None:
    values = good({"starts_on": raw, "ends_on": raw}, "opportunities").values
    assert values["starts_on"] == values["ends_on"] == dt.date(2024, 5, 1)


@pytest.mark.parametrize("raw", ["31/02/2024", "tomorrow", "2024-13-01", "05/2024"])
def test_dates_bad(bad: Any, raw: str) -> None:
    reason = bad({"starts_on": raw}, "starts_on", "opportunities")
    assert reason.startswith(f"First day “{raw}” is not a date. Enter a date such as")


def test_ends_before_it_starts(bad: Any) -> None:
    reason = bad({"starts_on": "2024-05-02", "ends_on": "2024-05-01"}, "ends_on", "opportunities")
    assert reason == ("Last day (1 May 2024) must not be before the first day (2 May 2024). "
                      "Change the last day, or the first.")


# --- urls, emails, interests -------------------------------------------------------------

@pytest.mark.parametrize(("raw", "stored"), [
    ("https://example.org", "https://example.org"),
    ("http://example.org/a?b=c", "http://example.org/a?b=c"),
    ("HTTPS://Example.org/", "HTTPS://Example.org/"),
    ("www.cheshirewildlifetrust.co.uk", "http://www.cheshirewildlifetrust.co.uk"),
    ("example.org/contact", "http://example.org/contact"),
])
def test_urls_good(good: Any, raw: str, stored: str) -> None:
    record = good({"website": raw}, "associations")
    assert record.values["website"] == stored
    assert any("has no http:// or https://" in w for w in record.warnings) == (stored != raw)


@pytest.mark.parametrize(("field", "kind"), [
    ("website", "associations"), ("conference_url", "meetings"),
    ("association_website", "opportunities"),
])
@pytest.mark.parametrize("raw", ["javascript:alert(1)", "ftp://example.org", "not a url",
                                 "mailto:a@example.org", "https://", "http://exa mple.org"])
def test_urls_bad(bad: Any, field: str, kind: str, raw: str) -> None:
    reason = bad({field: raw}, field, kind)
    assert reason.startswith(f"{label(field)} ")
    assert "is not a web address" in reason


@pytest.mark.parametrize("raw", ["info@example.org", "a.b+c@mail.example.co.uk"])
def test_emails_good(good: Any, raw: str) -> None:
    assert good({"contact_email": raw}, "associations").values["contact_email"] == raw


@pytest.mark.parametrize("raw", ["info@example", "a b@example.org", "mailto:a@example.org",
                                 "@example.org", "info@", "info@@example.org"])
def test_emails_bad(bad: Any, raw: str) -> None:
    assert bad({"contact_email": raw}, "contact_email", "associations") == (
        f"Contact email “{raw}” is not an email address. Enter one such as name@example.org.")


def lookup(text: str) -> str | None:
    return {"gardening": "gardening", "canals": "waterways", "music": "music"}.get(
        text.strip().lower())


@pytest.mark.parametrize(("raw", "slugs", "unknown"), [
    ("Gardening, canals", ["gardening", "waterways"], None),
    (["music", "Music", "gardening"], ["music", "gardening"], None),
    ("gardening; basket weaving, knitting", ["gardening"], "“basket weaving”, “knitting”"),
])
def test_interests(good: Any, raw: Any, slugs: list[str], unknown: str | None) -> None:
    record = good({"interests": raw}, "opportunities", interest_lookup=lookup)
    assert record.values["interests"] == slugs
    warnings = [w for w in record.warnings if w.startswith("Interests not in the list")]
    assert warnings == ([f"Interests not in the list of interests, left out: {unknown}"]
                        if unknown else [])


def test_interests_with_the_real_taxonomy(good: Any) -> None:
    record = good({"interests": "Arts & Crafts, canal, xyz"}, "opportunities",
                  interest_lookup=normalise_interest)
    assert record.values["interests"] == ["arts-crafts", "waterways"]
    assert "“xyz”" in record.warnings[-1]


def test_interests_without_a_lookup_are_kept(good: Any) -> None:
    assert good({"interests": "a, b"}, "opportunities").values["interests"] == ["a", "b"]


@pytest.mark.parametrize(("raw", "items"), [
    ("step-free access; hearing loop", ["step-free access", "hearing loop"]),
    (["wheelchair", "wheelchair", "toilet"], ["wheelchair", "toilet"]),
])
def test_lists(good: Any, raw: Any, items: list[str]) -> None:
    assert good({"accessibility": raw}).values["accessibility"] == items


# --- required fields, references, the whole record ---------------------------------------

@pytest.mark.parametrize(("kind", "data", "field", "reason"), [
    ("meetings", {"name": ...}, "name", "Name is missing. Every meeting needs one: enter its "
                                        "name."),
    ("meetings", {"name": "NA"}, "name", "Name is missing. Every meeting needs one: enter its "
                                         "name."),
    ("associations", {"name": ...}, "name", "Name is missing. Every association needs one: "
                                            "enter its name."),
    ("opportunities", {"title": ...}, "title", "Title is missing. Every opportunity needs one: "
                                               "enter its title."),
    ("opportunities", {"association": ...}, "association",
     "association is missing: give the source_id or the name of the association that offers "
     "the opportunity"),
])
def test_required(bad: Any, kind: str, data: dict[str, Any], field: str, reason: str) -> None:
    assert bad(data, field, kind) == reason


def test_meeting_without_days_needs_to_be_online(bad: Any) -> None:
    reason = bad({"weekdays": ...}, "weekdays")
    assert reason.startswith("weekdays is missing: give the day(s) of the meeting")


def test_association_name_is_the_fallback_reference(good: Any) -> None:
    record = good({"association": ..., "association_name": "Bridgewater Canal Trust",
                   "association_website": "www.bct.org.uk"}, "opportunities")
    assert record.refs["association"] == "Bridgewater Canal Trust"
    assert record.refs["association_website"] == "http://www.bct.org.uk"


def test_meeting_refs(good: Any) -> None:
    record = good({"organisation": "ACT Trafford", "region": "North West",
                   "types": "O, X"})
    assert record.refs == {"organisation": "ACT Trafford", "region": "North West"}
    assert "organisation" not in record.values
    # Types and regions are stored (a Meeting Guide round trip keeps them).
    assert record.values["types"] == ["O", "X"]
    assert record.values["regions"] == ["North West"]


def test_meeting_guide_fields(good: Any, run: Any) -> None:
    record = good({"regions": "Greater Manchester > Wigan", "timezone": "Europe/London",
                   "updated_at": "2026-01-02 03:04:05", "conference_phone": "+44 161 496 0001",
                   "feed_extra": {"url": "https://example.org/m/1", "venmo": "@act",
                                  "edit_url": "javascript:alert(1)"}})
    assert record.values["regions"] == ["Greater Manchester", "Wigan"]
    assert record.values["updated_at"] == dt.datetime(2026, 1, 2, 3, 4, 5)
    assert record.values["feed_extra"] == {"url": "https://example.org/m/1", "venmo": "@act"}
    assert any("edit_url" in w and "left out" in w for w in record.warnings)
    valid, rejected = run({"name": "Hope", "weekdays": "Mon", "lat": 53.48, "lon": -2.24,
                           "source_id": "m1", "timezone": "Europe/Wigan"})
    # An optional field: left out with the reason, the meeting kept (issue 10, point 2)
    assert rejected == []
    assert "timezone" not in valid[0].values
    assert any(w.startswith("timezone left out: Time zone “Europe/Wigan”") and "tz database" in w
               for w in valid[0].warnings)


def test_every_problem_of_a_record_is_reported(run: Any) -> None:
    valid, rejected = run({"name": ..., "weekdays": "Funday", "start_time": "25:00",
                           "lat": -2.24, "lon": 53.48, "postcode": "NOT A CODE",
                           "source_id": "m1"})
    assert valid == []
    # start_time is optional: it would be left out with a warning (issue 10, point 2)
    assert {r["field"] for r in rejected} == {"name", "weekdays", "lat,lon", "postcode"}
    assert {(r["row"], r["id"]) for r in rejected} == {(2, "m1")}


def test_values_have_column_types(good: Any) -> None:
    record = good({"interests": "music", "skills": "first aid", "weekdays": "Sat",
                   "start_time": "10:00", "end_time": "12:00", "flexible": "no",
                   "capacity": "4", "starts_on": "2024-06-01", "postcode": "M32 0TH"},
                  "opportunities", interest_lookup=lookup)
    assert record.values == {
        "title": "Towpath litter pick", "interests": ["music"], "skills": ["first aid"],
        "weekdays": [6], "start_time": dt.time(10), "end_time": dt.time(12), "flexible": False,
        "capacity": 4, "starts_on": dt.date(2024, 6, 1), "postcode": "M32 0TH", "lat": 53.46,
        "lon": -2.29, "location_precision": "exact", "source_id": record.values["source_id"],
    }
    assert record.refs == {"association": "bct"}


def test_reader_warnings_are_kept(geocoder: OfflineGeocoder) -> None:
    valid, _ = validate([RawRecord(2, dict(MEETING), ["polygon: centroid used"])], "meetings",
                        area=GB, geocoder=geocoder)
    assert valid[0].warnings == ["polygon: centroid used"]


def test_unknown_kind(geocoder: OfflineGeocoder) -> None:
    with pytest.raises(ValueError, match="kind 'events' is unknown: use one of 'meetings'"):
        validate([], "events", area=GB, geocoder=geocoder)  # type: ignore[arg-type]
