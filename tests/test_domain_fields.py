"""The field rules of domain/fields: every rule, and one wording for ingest and partners."""

from __future__ import annotations

import datetime as dt
import re

import pytest

from domain import fields
from domain import records
from domain.errors import FieldError
from domain.errors import Problem
from domain.errors import RecordError
from domain.labels import label
from geo.geocode import OfflineGeocoder
from geo.service_area import service_area_from_text
from ingest.records import RawRecord
from ingest.validate import validate
from store.partner import OpportunityError
from store.partner import clean_opportunity

GB = service_area_from_text("GB")
WORLD = service_area_from_text("world")


def ctx(**kwargs):
    return fields.Context(**kwargs)


def refuse(parser, value, name, *args, **kwargs) -> str:
    with pytest.raises(FieldError) as info:
        parser(value, name, *args, **kwargs)
    assert info.value.field == name
    return str(info.value)


@pytest.mark.parametrize(("value", "missing"), [
    (None, True), ("", True), (" NA ", True), ("n/a", True), ("null", True), ("None", True),
    ("nan", True), (float("nan"), True), ([], True), ({}, True), (0, False), ("0", False),
    (False, False), ("x", False),
])
def test_missing(value, missing) -> None:
    assert fields.is_missing(value) is missing


def test_text() -> None:
    assert fields.text("  Hope <b>  ", "name") == "Hope <b>"  # verbatim: escaping is output's job
    assert fields.text(1234567.0, "charity_number") == "1234567"
    assert refuse(fields.text, ["a"], "name") == "Name must be text, not ['a']. Type it as words."
    assert "contains a NUL character" in refuse(fields.text, "a\x00", "notes")
    assert refuse(fields.text, "x" * 11, "notes", ctx(max_text=10)) == (
        "Notes is 11 characters long, and at most 10 fit. Shorten the notes.")


@pytest.mark.parametrize(("name", "limit"), list(fields.SHORT_LIMITS.items()))
def test_short_limits(name, limit) -> None:
    assert fields.short_text("x" * limit, name) == "x" * limit
    what = label(name)
    assert refuse(fields.short_text, "x" * (limit + 1), name) == (
        f"{what} is {limit + 1} characters long, and at most {limit} fit. "
        f"Shorten the {what.lower()}.")
    assert "_" not in what


def test_lists() -> None:
    assert fields.text_items("a, b;a\nc|d", "skills", ctx()) == ["a", "b", "c", "d"]
    assert fields.text_items(["x", "", "NA", "y"], "skills", ctx()) == ["x", "y"]
    assert refuse(fields.text_items, ["a" * 6, "b" * 6], "skills", ctx(max_text=10)) == (
        "Skills holds more than 10 characters in all. Shorten the list.")


def test_choice_and_precision() -> None:
    assert fields.choice("In Person", "attendance", allowed=("in_person", "online")) == (
        "in_person")
    assert refuse(fields.choice, "gone", "status", allowed=("open", "closed")) == (
        "Status “gone” is not one of the choices. Choose one of open, closed.")
    assert fields.precision(" Postcode ") == "postcode"
    with pytest.raises(FieldError, match="Location precision “gps” is not one of the choices"):
        fields.precision("gps")


def test_days_times_dates() -> None:
    assert fields.weekdays("Mon-Wed", "weekdays") == [1, 2, 3]
    assert fields.time_of_day("6:30 PM", "start_time") == dt.time(18, 30)
    assert fields.parse_date("1 May 2024", "starts_on") == dt.date(2024, 5, 1)
    assert refuse(fields.parse_date, "yesterday", "starts_on") == (
        "First day “yesterday” is not a date. Enter a date such as 1 May 2024 or 01/05/2024.")


@pytest.mark.parametrize(("value", "out"), [
    ("yes", True), ("N", False), (1, True), (0.0, False), (True, True), ("False", False),
])
def test_yes_no(value, out) -> None:
    assert fields.yes_no(value, "active") is out


def test_yes_no_refuses() -> None:
    assert refuse(fields.yes_no, "maybe", "active") == (
        "Active “maybe” is not yes or no. Give yes or no (or 1 or 0).")


@pytest.mark.parametrize(("value", "out"), [("4", 4), (4.0, 4), (0, 0), (10_000, 10_000)])
def test_counts(value, out) -> None:
    assert fields.count(value, "capacity") == out


@pytest.mark.parametrize(("value", "reason"), [
    ("many", "Places “many” is not a whole number. Enter a count such as 4."),
    (2.5, "Places 2.5 is not a whole number. Enter a count such as 4."),
    (True, "Places True is not a whole number. Enter a count such as 4."),
    (float("inf"), "Places inf is not a whole number. Enter a count such as 4."),
    (-1, "Places -1 is out of range. Enter a whole number from 0 to 10,000."),
    (10_001, "Places 10001 is out of range. Enter a whole number from 0 to 10,000."),
])
def test_counts_refused(value, reason) -> None:
    assert refuse(fields.count, value, "capacity") == reason


def test_web_addresses() -> None:
    c = ctx()
    assert fields.web_address("https://example.org/x", "website", c) == "https://example.org/x"
    assert fields.web_address("www.example.org", "website", c) == "http://www.example.org"
    assert c.warnings == ["Website “www.example.org” has no http:// or https:// at the start: "
                          "stored as “http://www.example.org”"]
    for bad in ("javascript:alert(1)", "ftp://example.org", "not a url", "http://"):
        assert "is not a web address. Enter one that starts with http:// or https://" in refuse(
            fields.web_address, bad, "website", c)


def test_emails_and_phones() -> None:
    assert fields.email_address("a.b@example.org", "contact_email") == "a.b@example.org"
    assert refuse(fields.email_address, "a@b", "contact_email") == (
        "Contact email “a@b” is not an email address. Enter one such as name@example.org.")
    assert fields.phone_number("+44 (0)161 496-0000", "contact_phone") == "+44 (0)161 496-0000"
    for bad in ("12345", "ring Bob", "0161 496 0000 ext. 4"):
        assert refuse(fields.phone_number, bad, "contact_phone") == (
            f"Contact phone “{bad}” is not a phone number. Enter the digits, such as "
            "0161 496 0000 or +44 161 496 0000.")


def test_interests_lenient_and_strict() -> None:
    lookup = {"Gardening": "gardening", "gardening": "gardening"}.get
    lenient = ctx(interest_lookup=lookup)
    assert fields.interests("Gardening, knitting", "interests", lenient) == ["gardening"]
    assert lenient.warnings == ["Interests not in the list of interests, left out: “knitting”"]
    strict = ctx(interest_lookup=lookup, strict_interests=True)
    assert refuse(fields.interests, ["gardening", "knitting"], "interests", strict) == (
        "Interests: “knitting” is not one of our interests. Choose from the list of interests.")


def test_coordinates_and_postcodes() -> None:
    assert fields.coordinate(" 53.48 ", "lat") == 53.48
    assert refuse(fields.coordinate, "north", "lat") == (
        "Latitude “north” is not a number. Enter decimal degrees such as 53.48.")
    assert refuse(fields.coordinate, 181, "lon") == (
        "Longitude 181 is out of range. Enter a longitude between -180 and 180.")
    assert fields.postcode("m1 1aa", GB) == "M1 1AA"
    with pytest.raises(FieldError, match="Did you mean WA15 0HF") as info:
        fields.postcode("WA15 OHF", GB)
    assert info.value.field == "postcode"
    assert fields.postcode("2000", WORLD) == "2000"  # outside the UK: kept as text


@pytest.mark.parametrize(("latlon", "fragment"), [
    ((0.0, 0.0), "Latitude and longitude (0, 0) is a placeholder, not a position"),
    ((-33.87, 151.21), "Latitude and longitude (-33.87, 151.21) is outside the service area 'GB'"),
    ((-2.24, 53.48), "Latitude and longitude look swapped"),
])
def test_positions(latlon, fragment) -> None:
    (problem,) = fields.position_problems(*latlon, GB)
    assert problem.field == "lat,lon"
    assert problem.value == latlon
    assert problem.reason.startswith(fragment)
    assert fields.position_problems(53.48, -2.24, GB) == []
    assert fields.coordinates("53.48", None, GB) == (None, [Problem(
        "lon", None, "Longitude is missing while latitude is given. Enter both, or neither to "
        "place it by its postcode or address.")])
    assert fields.coordinates(53.48, -2.24, GB) == ((53.48, -2.24), [])


def test_placeholder_is_refused_even_under_world() -> None:
    assert fields.position_problems(0.0, 0.0, WORLD)[0].field == "lat,lon"
    assert fields.position_problems(-33.87, 151.21, WORLD) == []


def test_pairs() -> None:
    assert fields.pair_problems({"start_time": dt.time(22), "end_time": dt.time(0)}) == []
    problems = fields.pair_problems({
        "start_time": dt.time(10), "end_time": dt.time(9), "starts_on": dt.date(2025, 2, 1),
        "ends_on": dt.date(2025, 1, 1), "capacity": 2, "places_taken": 3})
    assert [(p.field, p.reason) for p in problems] == [
        ("end_time", "Finish time (09:00) must be after the start time (10:00). Change the "
                     "finish time, or leave it empty."),
        ("ends_on", "Last day (1 January 2025) must not be before the first day "
                    "(1 February 2025). Change the last day, or the first."),
        ("places_taken", "Places taken (3) cannot be more than the places (2). Lower the places "
                         "taken, or raise the places."),
    ]


def test_check_fields_collects_every_problem_and_the_required_name() -> None:
    values, refs, problems = records.check_fields("opportunities", {
        "capacity": "many", "weekdays": "funday", "association": "canal",
        "description": "Help"}, ctx())
    assert values == {"description": "Help"}
    assert refs == {"association": "canal"}
    assert [p.field for p in problems] == ["weekdays", "capacity", "title"]
    assert problems[-1].reason == ("Title is missing. Every opportunity needs one: enter its "
                                   "title.")
    error = RecordError(problems)
    assert set(error.problems) == {"weekdays", "capacity", "title"}
    assert records.unknown_fields({"title": 1, "colour": 2}, ("title",))[0].reason == (
        "“colour” cannot be set here (unknown or read-only). Send only “title”.")


# --- one wording: the partner path says what ingest says ----------------------------------

BAD_NEEDS = [
    {"title": "x" * 201},
    {"capacity": "many"},
    {"capacity": 10_001},
    {"weekdays": "funday"},
    {"start_time": "25:00"},
    {"starts_on": "yesterday"},
    {"status": "gone"},
    {"description": "a\x00b"},
    {"starts_on": "2025-02-01", "ends_on": "2025-01-01"},
    {"start_time": "10:00", "end_time": "09:00"},
    {"lat": 0, "lon": 0},
    {"lat": -33.87, "lon": 151.21},
    {"lat": 95, "lon": 0},
    {"lat": 53.4},
    {"title": ""},
]


@pytest.mark.parametrize("bad", BAD_NEEDS, ids=",".join)
def test_partner_and_ingest_give_one_wording(bad) -> None:
    need = {"title": "Litter pick", **bad}
    (valid, rejected) = validate([RawRecord(2, {**need, "association": "canal"})],
                                 "opportunities", area=GB, geocoder=OfflineGeocoder())
    ingest = {r["field"]: r["reason"] for r in rejected}
    if not ingest:  # an optional field: ingest leaves it out, with the same reason (issue 10)
        ingest = {w.split(" left out: ", 1)[0]: w.split(" left out: ", 1)[1]
                  for w in valid[0].warnings if " left out: " in w}
    with pytest.raises(OpportunityError) as info:
        clean_opportunity(need, interests={"outdoors"}, area=GB)
    assert ingest
    assert info.value.problems == ingest


@pytest.mark.parametrize("bad", BAD_NEEDS, ids=",".join)
def test_messages_name_fields_by_their_labels_and_say_what_to_do(bad) -> None:
    """For people: the label ("Finish time"), never the column's name ("end_time")."""
    with pytest.raises(OpportunityError) as info:
        clean_opportunity({"title": "Litter pick", **bad}, interests={"outdoors"}, area=GB)
    message = str(info.value)
    assert not re.search(r"\b[a-z]+_[a-z_]+\b", message), message
    for name in info.value.problems:
        assert label(name) in message, (name, message)
    assert message.endswith("."), message
