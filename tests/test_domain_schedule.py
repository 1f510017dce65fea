"""The one weekday and part-of-day vocabulary of domain/schedule, and that every layer uses it."""

from __future__ import annotations

import datetime as dt

import pytest

from domain.errors import FieldError
from domain.schedule import DAY_ABBREVIATIONS
from domain.schedule import DAY_NAMES
from domain.schedule import PARTS_OF_DAY
from domain.schedule import day_number
from domain.schedule import format_days
from domain.schedule import format_schedule
from domain.schedule import format_time
from domain.schedule import format_time_range
from domain.schedule import in_part_of_day
from domain.schedule import parse_time
from domain.schedule import parse_time_windows
from domain.schedule import parse_weekdays
from domain.schedule import part_of_day_times


def test_numbering_is_meeting_guide() -> None:
    assert DAY_NAMES[0] == "Sunday"
    assert DAY_NAMES[6] == "Saturday"
    assert DAY_ABBREVIATIONS == ("Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat")


@pytest.mark.parametrize(("word", "number"), [
    ("Sunday", 0), ("sundays", 0), ("su", 0), ("sun", 0), ("Mon.", 1), ("mo", 1), ("tu", 2),
    ("tues", 2), ("weds", 3), ("wed", 3), ("th", 4), ("thur", 4), ("thurs", 4), ("fri", 5),
    ("SATURDAY", 6), ("sa", 6), ("0", 0), (6, 6),
])
def test_day_words(word, number) -> None:
    assert day_number(word) == number


@pytest.mark.parametrize("word", ["t", "s", "funday", 7, -1, "7", True, "", "mondayy"])
def test_not_days(word) -> None:
    assert day_number(word) is None


@pytest.mark.parametrize(("text", "days"), [
    ("Mon, Wed", [1, 3]), ("mon wed", [1, 3]), ("Mon-Fri", [1, 2, 3, 4, 5]),
    ("Fri-Mon", [0, 1, 5, 6]), ("Mon to Wed", [1, 2, 3]), ("Mon \u2013 Wed", [1, 2, 3]),
    ("weekend", [0, 6]), ("weekends", [0, 6]), ("weekday", [1, 2, 3, 4, 5]),
    ("every day", list(range(7))), ("daily", list(range(7))), ("Tuesdays and Thursdays", [2, 4]),
    ([0, "6"], [0, 6]), (3, [3]), (4.0, [4]), ("0-6", list(range(7))), ("sat, sun", [0, 6]),
])
def test_parse_weekdays(text, days) -> None:
    assert parse_weekdays(text) == days


@pytest.mark.parametrize(("value", "reason"), [
    (7, "7 is not a day"), ("Funday", "“funday” is not a day"), (True, "True is not a day"),
    (1.5, "1.5 is not a day"), ("and", "names no day"), ("", "names no day"),
])
def test_parse_weekdays_refuses(value, reason) -> None:
    with pytest.raises(FieldError, match="from 0 \\(Sunday\\) to 6 \\(Saturday\\)") as info:
        parse_weekdays(value, "days")
    assert reason in str(info.value)
    assert str(info.value).startswith("Days ")
    assert info.value.field == "days"


@pytest.mark.parametrize("days", [[0], [1, 3], [0, 6], list(range(7)), [2, 4, 5]])
@pytest.mark.parametrize("short", [False, True])
def test_format_then_parse_round_trip(days, short) -> None:
    assert parse_weekdays(format_days(days, short=short)) == days


@pytest.mark.parametrize("text", ["18:30", "06:05", "00:00", "23:59", "12:00"])
def test_time_round_trip(text) -> None:
    assert format_time(parse_time(text)) == text


def test_times() -> None:
    assert parse_time("6:30 PM") == dt.time(18, 30)
    assert parse_time("midnight") == dt.time(0)
    with pytest.raises(FieldError, match="Enter a time from 00:00 to 23:59"):
        parse_time("25:00")
    with pytest.raises(FieldError, match="13 is not an hour of a 12-hour clock"):
        parse_time("13pm", "end_time")
    assert format_time_range(dt.time(18), dt.time(20)) == "18:00-20:00"
    assert format_time_range(18 * 60, 24 * 60) == "18:00-24:00"
    assert format_time_range(None, dt.time(1)) == ""


def test_schedule_formatter() -> None:
    assert format_schedule([6], dt.time(10), dt.time(13), commitment="monthly",
                           short=True) == "Sat 10:00-13:00; monthly"
    assert format_schedule([1, 2], dt.time(18), dt.time(20)) == "Monday, Tuesday 18:00-20:00"
    assert format_schedule([], flexible=True) == "flexible"
    assert format_schedule([], None, None) == ""
    assert format_schedule([9, 1]) == "Monday"  # out-of-range numbers are skipped


def test_parts_of_day_are_one_table() -> None:
    assert PARTS_OF_DAY == {"morning": (360, 720), "afternoon": (720, 1020),
                            "evening": (1020, 1320)}
    assert part_of_day_times("Morning") == (dt.time(6), dt.time(12))
    assert parse_time_windows("morning, evening") == (PARTS_OF_DAY["morning"],
                                                      PARTS_OF_DAY["evening"])
    with pytest.raises(FieldError, match="“25:00-26:00” is not a time of day"):
        parse_time_windows("25:00-26:00")


@pytest.mark.parametrize(("part", "start", "end", "inside"), [
    ("morning", dt.time(6), None, True), ("morning", dt.time(5, 59), None, False),
    ("morning", dt.time(12), None, False), ("afternoon", dt.time(12), None, True),
    ("evening", dt.time(21, 59), None, True), ("evening", dt.time(22), None, False),
    ("morning", dt.time(5), dt.time(7), True), ("afternoon", dt.time(11), dt.time(13), True),
    ("evening", dt.time(16), dt.time(17), False), ("evening", dt.time(23), dt.time(1), False),
    ("morning", None, None, False),
])
def test_in_part_of_day(part, start, end, inside) -> None:
    assert in_part_of_day(part, start, end) is inside


def test_search_and_readers_use_the_same_parts_of_day() -> None:
    """The peer search, the VDS reader and the vocabulary agree (they differed before)."""
    from ingest.readers import vds
    from matching import query

    assert query.PARTS_OF_DAY is PARTS_OF_DAY
    assert query.parse_times("evening") == ((17 * 60, 22 * 60),)
    for part, (start, end) in PARTS_OF_DAY.items():
        assert vds.PARTS_OF_DAY[part] == (format_time(start), format_time(end))


def test_matching_and_readers_use_the_same_day_words() -> None:
    from ingest.readers._common import weekday_number
    from matching.query import parse_days

    for word in ("mo", "tues", "weds", "thurs", "saturdays"):
        assert weekday_number(word) == day_number(word)
        assert parse_days(word) == frozenset({day_number(word)})
    assert parse_days("") == frozenset()
    assert parse_days("mon-wed") == frozenset({1, 2, 3})


@pytest.mark.parametrize("part", list(PARTS_OF_DAY))
def test_meeting_finder_and_search_agree_on_parts_of_day(part) -> None:
    """A meeting is in a part of the day for the finder exactly when the search's window
    for that part overlaps it (before: finder 00-12/17-24 by start hour, search 06-12/17-22)."""
    from matching.query import parse_times
    from service.usecases.listings import filter_meetings

    (w_start, w_end), = parse_times(part)
    meetings = []
    for start in range(0, 24 * 60, 30):
        for length in (60, 120):
            end = start + length
            if end < 24 * 60:
                meetings.append({"id": len(meetings), "weekdays": [1], "attendance": "in_person",
                                 "start_time": dt.time(start // 60, start % 60),
                                 "end_time": dt.time(end // 60, end % 60), "span": (start, end)})
    shown = {m["id"] for m in filter_meetings(meetings, part=part)}
    expected = {m["id"] for m in meetings if m["span"][0] < w_end and m["span"][1] > w_start}
    assert shown == expected
    late = {"id": -1, "weekdays": [1], "attendance": "in_person", "start_time": dt.time(23),
            "end_time": None}
    assert filter_meetings([late], part="evening") == []
