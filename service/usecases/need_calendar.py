"""Add-to-calendar files (iCalendar, RFC 5545) for a need and for a meeting record.

(The meeting finder's weekly events use :mod:`service.usecases.calendar`; folding the two
into one builder is left to do.)

A weekly schedule becomes one recurring event (``RRULE:FREQ=WEEKLY;BYDAY=...``) in the
programme's time zone (Europe/London, with its ``VTIMEZONE``), from the need's first day (or
today) until its last day when it has one. A need with dates but no times is an all-day
event over those dates.
"""

from __future__ import annotations

import datetime as dt
from typing import TYPE_CHECKING
from typing import Any
from zoneinfo import ZoneInfo

from icalendar import Calendar
from icalendar import Event
from icalendar import vRecur

if TYPE_CHECKING:
    from collections.abc import Mapping

TZ = ZoneInfo("Europe/London")
ICAL_DAYS = ("MO", "TU", "WE", "TH", "FR", "SA", "SU")
PRODID = "-//CommonGround//Volunteering near ACT Peer Recovery meetings//EN"


def _first_on(days: list[int], start: dt.date) -> dt.date:
    """The first date on or after ``start`` that falls on one of ``days`` (0 = Monday)."""
    for offset in range(7):
        day = start + dt.timedelta(days=offset)
        if day.weekday() in days:
            return day
    return start


def _event(record: Mapping[str, Any], *, uid: str, summary: str, location: str,
           description: str, url: str, today: dt.date) -> Event | None:
    event = Event()
    event.add("uid", uid)
    event.add("dtstamp", dt.datetime.now(dt.UTC).replace(microsecond=0))
    event.add("summary", summary)
    if location:
        event.add("location", location)
    if description:
        event.add("description", description)
    event.add("url", url)
    days = sorted({int(d) for d in record.get("weekdays") or [] if 0 <= int(d) <= 6})  # noqa: PLR2004
    start_t, end_t = record.get("start_time"), record.get("end_time")
    first = max(record.get("starts_on") or today, today)
    last = record.get("ends_on")
    if days and start_t is not None:
        on = _first_on(days, first)
        start = dt.datetime.combine(on, start_t, tzinfo=TZ)
        end = (dt.datetime.combine(on, end_t, tzinfo=TZ) if end_t is not None and end_t > start_t
               else start + dt.timedelta(hours=1))
        event.add("dtstart", start)
        event.add("dtend", end)
        rule: dict[str, Any] = {"freq": "weekly", "byday": [ICAL_DAYS[d] for d in days]}
        if last is not None:
            rule["until"] = dt.datetime.combine(last, dt.time(23, 59, 59), tzinfo=TZ
                                                ).astimezone(dt.UTC)
        event.add("rrule", vRecur(rule))
        return event
    if record.get("starts_on") is not None:
        event.add("dtstart", record["starts_on"])
        event.add("dtend", (last or record["starts_on"]) + dt.timedelta(days=1))
        return event
    return None


def to_ics(record: Mapping[str, Any], *, kind: str, url: str, host: str,
           today: dt.date | None = None) -> bytes | None:
    """An iCalendar file for a need (``kind="opportunity"``) or a meeting, or ``None``.

    ``None`` when there is nothing to put in a calendar (no days and times, no dates).

    >>> ics = to_ics({"id": 1, "name": "Tuesday group", "weekdays": [1],
    ...               "start_time": dt.time(18), "end_time": dt.time(19)},
    ...              kind="meeting", url="https://cg.example/meetings/1", host="cg.example",
    ...              today=dt.date(2026, 12, 1))
    >>> b"RRULE:FREQ=WEEKLY;BYDAY=TU" in ics
    True
    >>> b"DTSTART;TZID=Europe/London:20261201T180000" in ics
    True
    """
    day = today or dt.date.today()
    if kind == "opportunity":
        summary = f"{record.get('title')} ({record.get('association') or 'volunteering'})"
        description = str(record.get("description") or "")
    else:
        summary = str(record.get("name") or "Meeting")
        description = str(record.get("notes") or "")
    location = ", ".join(str(p) for p in (record.get("venue"), record.get("address"),
                                          record.get("postcode")) if p)
    event = _event(record, uid=f"{kind}-{record['id']}@{host}", summary=summary,
                   location=location, description=description, url=url, today=day)
    if event is None:
        return None
    cal = Calendar()
    cal.add("prodid", PRODID)
    cal.add("version", "2.0")
    cal.add("calscale", "GREGORIAN")
    cal.add("method", "PUBLISH")
    cal.add_component(event)
    cal.add_missing_timezones()
    return cal.to_ical()


__all__ = ["to_ics"]
