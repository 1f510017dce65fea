r"""iCalendar (RFC 5545) files for weekly events: a meeting, a volunteering slot.

Pure text building, no I/O and no Flask: :func:`weekly_event` describes one event,
:func:`to_ics` writes a ``VCALENDAR`` with one ``VEVENT`` per event. Times are local
Europe/London times (``DTSTART;TZID=Europe/London``) with the ``VTIMEZONE`` that the TZID
names (GMT in winter, BST from the last Sunday of March to the last Sunday of October), so a
weekly meeting stays at 19:30 across the clock changes. Lines end in CRLF and are folded at
75 octets; text values are escaped (``\``, ``;``, ``,``, newlines).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from collections.abc import Iterable

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
        lines += ["BEGIN:VEVENT", f"UID:{escape_text(event.uid)}", f"DTSTAMP:{utc}",
                  f"DTSTART;TZID={TZID}:{_local(event.start)}",
                  f"DURATION:{_duration(event.duration)}",
                  f"SUMMARY:{escape_text(event.summary)}"]
        if event.weekdays:
            lines.append("RRULE:FREQ=WEEKLY;BYDAY=" + ",".join(BYDAY[d] for d in event.weekdays))
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


__all__ = ["BYDAY", "PRODID", "TZID", "Event", "escape_text", "fold", "to_ics", "weekly_event"]
