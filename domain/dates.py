"""Dates and times as people in the UK write them: the one house style (Babel, ``en_GB``).

Every page, e-mail and CSV meant for people words dates with these functions (the pages
through the Jinja filters of the same names); machine formats (the JSON API, the Meeting
Guide feed, ``commonground export``, ``.ics``) stay ISO 8601.

The house style
---------------
- a date: ``4 September 2025`` (:func:`long_date`); with its weekday
  ``Thursday 4 September 2025`` (:func:`weekday_date`);
- a time: the 24-hour clock, ``14:00`` (:func:`clock`), as UK timetables and meeting lists
  write it; a range ``14:00 to 16:00``;
- a moment: ``4 September 2025, 14:00`` (:func:`date_time`); within the coming week
  ``Thursday 14:00`` (:func:`weekday_time`) or ``Thursday 4 September, 14:00``
  (:func:`weekday_day_time`).

Month and day names are never abbreviated (Babel's ``en_GB`` abbreviates September as
"Sept", which people do not all read the same way).
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from babel.dates import format_date
from babel.dates import format_time

LOCALE = "en_GB"
_LONG = "d MMMM y"
_WEEKDAY = "EEEE d MMMM y"
_WEEKDAY_DAY = "EEEE d MMMM"
_CLOCK = "HH:mm"


def _as_date(value: Any) -> dt.date | None:
    """A date from a date, a datetime or ISO text (``2025-09-04``, ``2025-09-04T10:00``)."""
    if value is None or value == "":
        return None
    if isinstance(value, dt.datetime):
        return value.date()
    if isinstance(value, dt.date):
        return value
    return dt.date.fromisoformat(str(value).strip()[:10])


def _as_datetime(value: Any) -> dt.datetime | None:
    if value is None or value == "":
        return None
    if isinstance(value, dt.datetime):
        return value
    if isinstance(value, dt.date):
        return dt.datetime.combine(value, dt.time())
    return dt.datetime.fromisoformat(str(value).strip())


def long_date(value: Any) -> str:
    """``4 September 2025`` (``""`` for nothing); takes a date, a datetime or ISO text.

    Examples
    --------
    >>> long_date(dt.date(2025, 9, 4)), long_date("2025-09-04"), long_date(None)
    ('4 September 2025', '4 September 2025', '')
    """
    day = _as_date(value)
    return "" if day is None else format_date(day, _LONG, locale=LOCALE)


def weekday_date(value: Any) -> str:
    """``Thursday 4 September 2025``.

    Examples
    --------
    >>> weekday_date(dt.date(2025, 9, 4))
    'Thursday 4 September 2025'
    """
    day = _as_date(value)
    return "" if day is None else format_date(day, _WEEKDAY, locale=LOCALE)


def clock(value: Any) -> str:
    """``14:00``: the 24-hour clock, of a time or a datetime.

    Examples
    --------
    >>> clock(dt.time(9, 5)), clock(dt.datetime(2025, 9, 4, 14, 0))
    ('09:05', '14:00')
    """
    if value is None or value == "":
        return ""
    if isinstance(value, str):
        value = dt.time.fromisoformat(value.strip())
    when = value.time() if isinstance(value, dt.datetime) else value
    return format_time(when, _CLOCK, locale=LOCALE)


def time_range(start: Any, end: Any = None) -> str:
    """``14:00 to 16:00``; ``14:00`` without an end.

    Examples
    --------
    >>> time_range(dt.time(14), dt.time(16))
    '14:00 to 16:00'
    """
    if start is None or start == "":
        return ""
    return clock(start) + (f" to {clock(end)}" if end not in (None, "") else "")


def date_time(value: Any) -> str:
    """``4 September 2025, 14:00``.

    Examples
    --------
    >>> date_time(dt.datetime(2025, 9, 4, 14, 0))
    '4 September 2025, 14:00'
    """
    when = _as_datetime(value)
    return "" if when is None else f"{long_date(when)}, {clock(when)}"


def weekday_time(value: Any) -> str:
    """``Thursday 14:00`` (a moment within the coming week).

    Examples
    --------
    >>> weekday_time(dt.datetime(2025, 9, 4, 14, 0))
    'Thursday 14:00'
    """
    when = _as_datetime(value)
    return "" if when is None else f"{format_date(when, 'EEEE', locale=LOCALE)} {clock(when)}"


def weekday_day_time(value: Any) -> str:
    """``Thursday 4 September, 14:00`` (the next time a meeting starts).

    Examples
    --------
    >>> weekday_day_time(dt.datetime(2025, 9, 4, 14, 0))
    'Thursday 4 September, 14:00'
    """
    when = _as_datetime(value)
    if when is None:
        return ""
    return f"{format_date(when, _WEEKDAY_DAY, locale=LOCALE)}, {clock(when)}"


def human(value: Any) -> str:
    """Any date, datetime or time in the house style; other values as text.

    Examples
    --------
    >>> human(dt.date(2025, 9, 4)), human(dt.time(14)), human(3)
    ('4 September 2025', '14:00', '3')
    """
    if isinstance(value, dt.datetime):
        return date_time(value)
    if isinstance(value, dt.date):
        return long_date(value)
    if isinstance(value, dt.time):
        return clock(value)
    return "" if value is None else str(value)


def period(value: Any) -> str:
    """A record's period as people say it: ``September 2026`` for ``2026-09``, else a date.

    Examples
    --------
    >>> period("2026-09"), period("2026-08-16"), period(None)
    ('September 2026', '16 August 2026', '')
    """
    text = "" if value is None else str(value).strip()
    if len(text) == 7 and text[4] == "-" and text[:4].isdigit() and text[5:].isdigit():  # noqa: PLR2004
        return format_date(dt.date(int(text[:4]), int(text[5:]), 1), "MMMM y", locale=LOCALE)
    return long_date(value)


FILTERS = {"long_date": long_date, "period": period, "weekday_date": weekday_date, "clock": clock,
           "date_time": date_time, "weekday_time": weekday_time,
           "weekday_day_time": weekday_day_time, "human_date": human}
"""The Jinja filters of the pages, by name."""


__all__ = [
    "FILTERS",
    "LOCALE",
    "clock",
    "date_time",
    "human",
    "long_date",
    "period",
    "time_range",
    "weekday_date",
    "weekday_day_time",
    "weekday_time",
]
