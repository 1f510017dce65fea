r"""iCalendar (RFC 5545) files for weekly events: a meeting, a volunteering need.

The one calendar builder of the project. Pure text building, no I/O and no Flask:
:func:`weekly_event` describes one event, :func:`need_event` a need's days or dates,
:func:`to_ics` writes a ``VCALENDAR`` with one ``VEVENT`` per event. Weekdays are the
project's (``0`` = Sunday, :mod:`domain.schedule`). Times are local
Europe/London times (``DTSTART;TZID=Europe/London``) with the ``VTIMEZONE`` that the TZID
names (GMT in winter, BST from the last Sunday of March to the last Sunday of October), so a
weekly meeting stays at 19:30 across the clock changes. Lines end in CRLF and are folded at
75 octets; text values are escaped (``\``, ``;``, ``,``, newlines).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import TYPE_CHECKING
from typing import Any
from zoneinfo import ZoneInfo

if TYPE_CHECKING:
    from collections.abc import Iterable
    from collections.abc import Mapping

PRODID = "-//CommonGround//ACT Peer Recovery//EN"
TZID = "Europe/London"
BYDAY = ("SU", "MO", "TU", "WE", "TH", "FR", "SA")
"""RFC 5545 day codes by our weekday numbers (0 = Sunday)."""
DEFAULT_DURATION = dt.timedelta(hours=1)
_LONDON_VTIMEZONE = (
    "BEGIN:VTIMEZONE", f"TZID:{TZID}",
    "BEGIN:DAYLIGHT", "TZOFFSETFROM:+0000", "TZOFFSETTO:+0100", "TZNAME:BST",
    "DTSTART:19810329T010000", "RRULE:FREQ=YEARLY;BYMONTH=3;BYDAY=-1SU", "END:DAYLIGHT",
    "BEGIN:STANDARD", "TZOFFSETFROM:+0100", "TZOFFSETTO:+0000", "TZNAME:GMT",
    "DTSTART:19961027T020000", "RRULE:FREQ=YEARLY;BYMONTH=10;BYDAY=-1SU", "END:STANDARD",
    "END:VTIMEZONE",
)


@dataclass(frozen=True)
class Event:
    """One (weekly repeating) event, in local London time."""

    uid: str
    summary: str
    start: dt.datetime
    duration: dt.timedelta = DEFAULT_DURATION
    weekdays: tuple[int, ...] = ()
    location: str | None = None
    description: str | None = None
    url: str | None = None
    latlon: tuple[float, float] | None = None
    until: dt.date | None = None
    """The last day a weekly event happens (written as a UTC ``UNTIL``)."""
    all_day_until: dt.date | None = None
    """For an all-day event (dates, no times): its last day; ``start`` gives the first."""


def escape_text(value: str) -> str:
    r"""A TEXT value escaped as RFC 5545 section 3.3.11 says.

    Examples
    --------
    >>> escape_text("Hall; room 2, upstairs\nBring a mug")
    'Hall\\; room 2\\, upstairs\\nBring a mug'
    """
    return (value.replace("\\", "\\\\").replace(";", "\\;").replace(",", "\\,")
            .replace("\r\n", "\\n").replace("\n", "\\n").replace("\r", "\\n"))


def fold(line: str) -> str:
    """A content line folded at 75 octets (continuations start with a space), CRLF-ended."""
    out: list[str] = []
    current = ""
    size = 0
    for char in line:
        width = len(char.encode("utf-8"))
        limit = 75 if not out else 74  # a continuation's leading space counts
        if size + width > limit:
            out.append(current)
            current, size = "", 0
        current += char
        size += width
    out.append(current)
    return "\r\n ".join(out) + "\r\n"


def _local(value: dt.datetime) -> str:
    return value.strftime("%Y%m%dT%H%M%S")


def _until_utc(day: dt.date) -> str:
    """The end of ``day`` in London as the UTC ``UNTIL`` RFC 5545 asks for beside a TZID."""
    end = dt.datetime.combine(day, dt.time(23, 59, 59), tzinfo=ZoneInfo(TZID))
    return end.astimezone(dt.UTC).strftime("%Y%m%dT%H%M%SZ")


def _duration(value: dt.timedelta) -> str:
    minutes = max(1, int(value.total_seconds() // 60))
    hours, rest = divmod(minutes, 60)
    return "PT" + (f"{hours}H" if hours else "") + (f"{rest}M" if rest else "")


def weekly_event(*, uid: str, summary: str, start: dt.datetime, end: dt.datetime | None = None,
                 weekdays: Iterable[int] = (), location: str | None = None,
                 description: str | None = None, url: str | None = None,
                 latlon: tuple[float, float] | None = None) -> Event:
    """An event starting at ``start`` (local London time), weekly on ``weekdays`` (0 = Sunday).

    Without ``end`` it lasts an hour; an ``end`` before ``start`` runs past midnight.
    """
    duration = DEFAULT_DURATION
    if end is not None:
        duration = (end - start) % dt.timedelta(days=1) or DEFAULT_DURATION
    return Event(uid=uid, summary=summary, start=start.replace(tzinfo=None, microsecond=0),
                 duration=duration, weekdays=tuple(sorted({int(d) % 7 for d in weekdays})),
                 location=location, description=description, url=url, latlon=latlon)


def _sunday_first(day: dt.date) -> int:
    return (day.weekday() + 1) % 7


def need_event(record: Mapping[str, Any], *, today: dt.date, url: str, host: str
               ) -> Event | None:
    """A need (``weekdays`` 0 = Sunday, times, ``starts_on``/``ends_on``) as one event.

    Days and a start time give a weekly event from the first such day on or after its first
    day (or ``today``) until its last day; dates without times give an all-day event over
    them; ``None`` when there is nothing to put in a calendar.

    Examples
    --------
    >>> event = need_event({"id": 7, "title": "Towpath tidy", "weekdays": [6],
    ...                     "start_time": dt.time(10), "end_time": dt.time(13)},
    ...                    today=dt.date(2026, 11, 30), url="https://cg.example/n/7",
    ...                    host="cg.example")
    >>> event.start, event.weekdays, event.duration
    (datetime.datetime(2026, 12, 5, 10, 0), (6,), datetime.timedelta(seconds=10800))
    >>> need_event({"id": 8, "title": "Any time"}, today=dt.date(2026, 11, 30), url="-",
    ...            host="-") is None
    True
    """
    days = sorted({int(d) % 7 for d in record.get("weekdays") or []})
    start_t, end_t = record.get("start_time"), record.get("end_time")
    first_day, last_day = record.get("starts_on"), record.get("ends_on")
    where = ", ".join(str(record[k]) for k in ("venue", "address", "postcode") if record.get(k))
    common: dict[str, Any] = {
        "uid": f"opportunity-{record['id']}@{host}",
        "summary": f"{record.get('title')} ({record.get('association') or 'volunteering'})",
        "location": where or None, "description": str(record.get("description") or "") or None,
        "url": url}
    if days and start_t is not None:
        on = max(first_day or today, today)
        on += dt.timedelta(days=next(k for k in range(7) if _sunday_first(
            on + dt.timedelta(days=k)) in days))
        start = dt.datetime.combine(on, start_t)
        end = dt.datetime.combine(on, end_t) if end_t is not None else None
        event = weekly_event(start=start, end=end, weekdays=days, **common)
        return Event(**{**event.__dict__, "until": last_day})
    if first_day is not None:
        return Event(start=dt.datetime.combine(first_day, dt.time()),
                     all_day_until=last_day or first_day, **common)
    return None


def to_ics(events: Iterable[Event], *, stamp: dt.datetime) -> str:
    r"""A ``VCALENDAR`` (RFC 5545) with one ``VEVENT`` per event.

    Parameters
    ----------
    events
        The events (:func:`weekly_event`).
    stamp
        When the file is made (``DTSTAMP``, written in UTC).

    Examples
    --------
    >>> import datetime as dt
    >>> event = weekly_event(uid="meeting-1@example.org", summary="Peers, Wigan",
    ...                      start=dt.datetime(2026, 12, 2, 19, 30), weekdays=[3])
    >>> text = to_ics([event], stamp=dt.datetime(2026, 11, 30, 12, tzinfo=dt.UTC))
    >>> "RRULE:FREQ=WEEKLY;BYDAY=WE" in text, text.endswith("END:VCALENDAR\r\n")
    (True, True)
    """
    utc = stamp.astimezone(dt.UTC).strftime("%Y%m%dT%H%M%SZ")
    lines = ["BEGIN:VCALENDAR", "VERSION:2.0", f"PRODID:{PRODID}", "CALSCALE:GREGORIAN",
             "METHOD:PUBLISH", *_LONDON_VTIMEZONE]
    for event in events:
        lines += ["BEGIN:VEVENT", f"UID:{escape_text(event.uid)}", f"DTSTAMP:{utc}"]
        if event.all_day_until is not None:
            after = event.all_day_until + dt.timedelta(days=1)
            lines += [f"DTSTART;VALUE=DATE:{event.start:%Y%m%d}",
                      f"DTEND;VALUE=DATE:{after:%Y%m%d}"]
        else:
            lines += [f"DTSTART;TZID={TZID}:{_local(event.start)}",
                      f"DURATION:{_duration(event.duration)}"]
        lines.append(f"SUMMARY:{escape_text(event.summary)}")
        if event.weekdays and event.all_day_until is None:
            until = f";UNTIL={_until_utc(event.until)}" if event.until is not None else ""
            lines.append("RRULE:FREQ=WEEKLY;BYDAY="
                         + ",".join(BYDAY[d] for d in event.weekdays) + until)
        if event.location:
            lines.append(f"LOCATION:{escape_text(event.location)}")
        if event.description:
            lines.append(f"DESCRIPTION:{escape_text(event.description)}")
        if event.url:
            lines.append(f"URL:{event.url}")
        if event.latlon is not None:
            lines.append(f"GEO:{event.latlon[0]:.6f};{event.latlon[1]:.6f}")
        lines.append("END:VEVENT")
    lines.append("END:VCALENDAR")
    return "".join(fold(line) for line in lines)


__all__ = ["BYDAY", "PRODID", "TZID", "Event", "escape_text", "fold", "need_event", "to_ics",
           "weekly_event"]
