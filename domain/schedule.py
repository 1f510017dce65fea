"""Weekdays, times of day and the parts of the day: one vocabulary for every layer.

Weekdays are numbered as in the Meeting Guide format, which is also how ``weekdays`` is
stored: ``0`` = Sunday, ``1`` = Monday ... ``6`` = Saturday.

Accepted day words (case-insensitive, a trailing ``.`` ignored): full names and their
plurals (``Monday``, ``mondays``), any prefix of two letters or more (``mo``, ``mon``,
``tues``, ``thurs``), ``weds``, and the groups ``daily``/``everyday``/``every day`` (all
seven), ``weekday``/``weekdays`` (Monday to Friday), ``weekend``/``weekends`` (Saturday and
Sunday). A list separates days by commas, semicolons, spaces or ``and``; a range is
``Mon-Fri`` or ``Mon to Fri`` and wraps round the week (``Fri-Mon`` is Fri, Sat, Sun, Mon).
Numbers ``0`` to ``6`` are days too.

The parts of the day are one set of ranges, used by the peer search (when a peer is free),
by the meeting finder (when a meeting is held) and by readers that turn a named part into
times (the Volunteering Data Standard's ``MondayMorning``):

=========  =============
morning    06:00 - 12:00
afternoon  12:00 - 17:00
evening    17:00 - 22:00
=========  =============

Start inclusive, end exclusive. A span of time is *in* a part when it overlaps it; a single
time (a meeting without an end) when it falls inside it. Night hours (22:00 - 06:00) belong
to no part: asking for a part of the day does not find a 23:00 start.
"""

from __future__ import annotations

import datetime as dt
import re
from typing import Any

from domain.errors import FieldError
from domain.labels import label
from domain.labels import shown

DAY_NAMES = ("Sunday", "Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday")
"""Weekday names by number: 0 = Sunday ... 6 = Saturday."""
DAY_ABBREVIATIONS = tuple(name[:3] for name in DAY_NAMES)
"""Three-letter names by number: ``("Sun", "Mon", ...)``."""

DAY_NUMBERS: dict[str, int] = {}
"""Every accepted day word (lower case) -> its number."""
for _number, _name in enumerate(DAY_NAMES):
    _lower = _name.lower()
    DAY_NUMBERS[f"{_lower}s"] = _number
    for _end in range(2, len(_lower) + 1):
        DAY_NUMBERS.setdefault(_lower[:_end], _number)
DAY_NUMBERS["weds"] = 3

DAY_GROUPS: dict[str, tuple[int, ...]] = {
    "daily": tuple(range(7)), "everyday": tuple(range(7)),
    "weekday": (1, 2, 3, 4, 5), "weekdays": (1, 2, 3, 4, 5),
    "weekend": (0, 6), "weekends": (0, 6),
}
"""Words that stand for several days."""

PARTS_OF_DAY: dict[str, tuple[int, int]] = {
    "morning": (6 * 60, 12 * 60),
    "afternoon": (12 * 60, 17 * 60),
    "evening": (17 * 60, 22 * 60),
}
"""The parts of the day in minutes after midnight (start inclusive, end exclusive)."""

DAYS_HINT = ("Give day names such as Monday or Mon, a list such as Mon, Wed, a range such as "
             "Mon-Fri, or numbers from 0 (Sunday) to 6 (Saturday).")
TIME_HINT = "Enter a time from 00:00 to 23:59, such as 18:30 or 6:30pm."
WINDOW_HINT = ("Choose morning, afternoon or evening, or give hours such as 18:00-20:00 (the "
               "start before the end).")

_MINUTES_A_DAY = 24 * 60
_DAY_TOKEN_RE = re.compile(r"[a-z]+|\d+(?:\.0+)?|-")
_RANGE_WORDS = frozenset(("-", "to", "through", "thru"))
_FILLER_WORDS = frozenset(("and", "on", "every", "each"))
_TIME_RE = re.compile(
    r"(?P<h>\d{1,2})(?:[:.](?P<m>\d{2})(?::(?P<s>\d{2}))?|(?P<m2>\d{2}))?"
    r"(?:(?P<ampm>[ap])\.?m?\.?)?"
)
_WINDOW_RE = re.compile(r"^(\d{1,2}):?(\d{2})\s*-\s*(\d{1,2}):?(\d{2})$")
_TIME_WORDS = {"noon": "12:00", "midday": "12:00", "midnight": "00:00"}


# ------------------------------------------------------------------------------ days


def day_number(token: Any) -> int | None:
    """A single day word or number as 0 (Sunday) ... 6 (Saturday), ``None`` if not a day.

    Examples
    --------
    >>> day_number("Monday"), day_number("thu"), day_number("weds"), day_number(6)
    (1, 4, 3, 6)
    >>> day_number("funday") is None, day_number(7) is None, day_number("t") is None
    (True, True, True)
    """
    if isinstance(token, bool):
        return None
    if isinstance(token, int):
        return token if 0 <= token < len(DAY_NAMES) else None
    text = str(token).strip().lower().rstrip(".")
    if text.isdigit():
        return day_number(int(text))
    return DAY_NUMBERS.get(text)


def _day_tokens(value: Any, name: str) -> list[str | int]:
    tokens: list[str | int] = []
    for item in value if isinstance(value, list | tuple | set | frozenset) else [value]:
        if isinstance(item, bool) or (isinstance(item, float) and not item.is_integer()):
            msg = f"{label(name)} {shown(value)}: {shown(item)} is not a day. {DAYS_HINT}"
            raise FieldError(msg, field=name, value=value)
        if isinstance(item, int | float):
            tokens.append(int(item))
        else:
            text = str(item).lower().replace("every day", "daily").replace("\u2013", "-")
            tokens.extend(_DAY_TOKEN_RE.findall(text))
    return tokens


def parse_weekdays(value: Any, name: str = "weekdays") -> list[int]:
    """Days as ``0`` (Sunday) ... ``6`` (Saturday), sorted, from any accepted form.

    Parameters
    ----------
    value
        A number, a day word, a list of them, or text with lists and ranges.
    name
        The field or parameter, for the message.

    Returns
    -------
    list of int
        The days, sorted, each once.

    Raises
    ------
    FieldError
        When an item is not a day, or nothing names a day.

    Examples
    --------
    >>> parse_weekdays("Mon, Wed"), parse_weekdays([0, "6"]), parse_weekdays("Mon-Fri")
    ([1, 3], [0, 6], [1, 2, 3, 4, 5])
    >>> parse_weekdays("Fri to Mon"), parse_weekdays("weekends")
    ([0, 1, 5, 6], [0, 6])
    """
    days: list[int] = []
    pending_range = False
    for token in _day_tokens(value, name):
        if token in _RANGE_WORDS:
            pending_range = bool(days)
        elif token in DAY_GROUPS:
            days.extend(DAY_GROUPS[str(token)])
        elif token not in _FILLER_WORDS:
            is_word = isinstance(token, str) and token.isalpha()
            day = DAY_NUMBERS.get(str(token)) if is_word else int(float(token))
            if day is None or not 0 <= day < len(DAY_NAMES):
                msg = f"{label(name)} {shown(value)}: {shown(token)} is not a day. {DAYS_HINT}"
                raise FieldError(msg, field=name, value=value)
            if pending_range:  # Fri-Mon wraps round the week
                start = days[-1]
                days.extend((start + i) % 7 for i in range(1, (day - start) % 7 + 1))
                pending_range = False
            else:
                days.append(day)
    if not days:
        msg = f"{label(name)} {shown(value)} names no day. {DAYS_HINT}"
        raise FieldError(msg, field=name, value=value)
    return sorted(set(days))


def format_days(days: Any, *, short: bool = False, sep: str = ", ") -> str:
    """Day numbers as names, in week order from Sunday; numbers outside 0-6 are skipped.

    Examples
    --------
    >>> format_days([6, 0]), format_days([1, 3], short=True), format_days([])
    ('Sunday, Saturday', 'Mon, Wed', '')
    """
    names = DAY_ABBREVIATIONS if short else DAY_NAMES
    wanted = {int(d) for d in days or () if not isinstance(d, bool)}
    return sep.join(names[d] for d in range(len(names)) if d in wanted)


# ----------------------------------------------------------------------------- times


def parse_time(value: Any, name: str = "start_time") -> dt.time:
    """A time of day from ``"18:30"``, ``"6:30 PM"``, ``"1830"``, ``"18:30:00"``, a time.

    Raises
    ------
    FieldError
        When the value is not a time of day.

    Examples
    --------
    >>> parse_time("6:30 PM"), parse_time("1830"), parse_time("12am"), parse_time("noon")
    (datetime.time(18, 30), datetime.time(18, 30), datetime.time(0, 0), datetime.time(12, 0))
    """
    if isinstance(value, dt.datetime):
        return value.time()
    if isinstance(value, dt.time):
        return value
    if isinstance(value, bool) or (isinstance(value, float) and not value.is_integer()):
        msg = f"{label(name)} {shown(value)} is not a time of day. {TIME_HINT}"
        raise FieldError(msg, field=name, value=value)
    text = str(int(value) if isinstance(value, float) else value).strip().lower()
    text = _TIME_WORDS.get(text, text)
    m = _TIME_RE.fullmatch(text.replace(" ", ""))
    if m is None or (m["m"] is None and m["m2"] is None and m["ampm"] is None):
        msg = f"{label(name)} {shown(value)} is not a time of day. {TIME_HINT}"
        raise FieldError(msg, field=name, value=value)
    hour, minute, second = int(m["h"]), int(m["m"] or m["m2"] or 0), int(m["s"] or 0)
    if m["ampm"]:
        if not 1 <= hour <= 12:  # noqa: PLR2004 - a 12-hour clock
            msg = (f"{label(name)} {shown(value)}: {hour} is not an hour of a 12-hour clock. "
                   f"{TIME_HINT}")
            raise FieldError(msg, field=name, value=value)
        hour = hour % 12 + (12 if m["ampm"] == "p" else 0)
    if hour > 23 or minute > 59 or second > 59:  # noqa: PLR2004
        msg = f"{label(name)} {shown(value)} is not a time of day. {TIME_HINT}"
        raise FieldError(msg, field=name, value=value)
    return dt.time(hour, minute, second)


def minutes_of(time: dt.time) -> int:
    """Minutes after midnight (seconds dropped).

    Examples
    --------
    >>> minutes_of(dt.time(18, 30))
    1110
    """
    return time.hour * 60 + time.minute


def format_time(time: dt.time | int) -> str:
    """``"HH:MM"`` of a time or of minutes after midnight (1440 is ``"24:00"``).

    Examples
    --------
    >>> format_time(dt.time(9, 5)), format_time(1110), format_time(1440)
    ('09:05', '18:30', '24:00')
    """
    if isinstance(time, dt.time):
        return f"{time:%H:%M}"
    return f"{int(time) // 60:02d}:{int(time) % 60:02d}"


def format_time_range(start: dt.time | int | None, end: dt.time | int | None) -> str:
    """``"18:00-20:00"``, ``"18:00"`` without an end, ``""`` without a start.

    Examples
    --------
    >>> format_time_range(dt.time(18), dt.time(20)), format_time_range(600, None)
    ('18:00-20:00', '10:00')
    """
    if start is None:
        return ""
    return format_time(start) + (f"-{format_time(end)}" if end is not None else "")


def format_schedule(
    weekdays: Any, start_time: dt.time | None = None, end_time: dt.time | None = None, *,
    flexible: bool = False, commitment: str | None = None, short: bool = False,
) -> str:
    """A schedule for people: days, times, ``flexible``, then the commitment.

    Parameters
    ----------
    weekdays
        Day numbers (0 = Sunday).
    start_time, end_time
        The times, when set.
    flexible
        Whether it fits around the person's week: ``"flexible"`` (with the days in
        brackets, if any) instead of days and times.
    commitment
        Free text (``"monthly"``), after a ``"; "``.
    short
        Three-letter day names.

    Examples
    --------
    >>> format_schedule([6], dt.time(10), dt.time(13), commitment="monthly", short=True)
    'Sat 10:00-13:00; monthly'
    >>> format_schedule([1, 3], flexible=True), format_schedule([], dt.time(18))
    ('flexible (Monday, Wednesday)', '18:00')
    """
    days = format_days(weekdays, short=short)
    if flexible:
        when = "flexible" + (f" ({days})" if days else "")
    else:
        when = " ".join(p for p in (days, format_time_range(start_time, end_time)) if p)
    return "; ".join(p for p in (when, commitment or "") if p)


# ----------------------------------------------------------------------- parts of day


def part_of_day_times(part: str) -> tuple[dt.time, dt.time]:
    """The ``(start, end)`` of a part of the day as times (for readers that store them).

    Examples
    --------
    >>> part_of_day_times("evening")
    (datetime.time(17, 0), datetime.time(22, 0))
    """
    start, end = PARTS_OF_DAY[part.lower()]
    return dt.time(start // 60, start % 60), dt.time(end // 60, end % 60)


def in_part_of_day(part: str, start: dt.time | None, end: dt.time | None = None) -> bool:
    """Whether a span (or a single start time) is in ``part`` (see the module's table).

    Examples
    --------
    >>> in_part_of_day("morning", dt.time(11), dt.time(13))
    True
    >>> in_part_of_day("evening", dt.time(22, 30)), in_part_of_day("morning", None)
    (False, False)
    """
    lo, hi = PARTS_OF_DAY[part]
    if start is None:
        return False
    first = minutes_of(start)
    if end is None or minutes_of(end) <= first:
        return lo <= first < hi
    return first < hi and minutes_of(end) > lo


def parse_time_windows(text: str, name: str = "times") -> tuple[tuple[int, int], ...]:
    """Time windows from text: parts of the day or ``HH:MM-HH:MM``, separated by commas.

    Returns
    -------
    tuple of (int, int)
        Windows in minutes after midnight, start inclusive, end exclusive.

    Raises
    ------
    FieldError
        When an item is neither.

    Examples
    --------
    >>> parse_time_windows("morning, 18:00-20:30")
    ((360, 720), (1080, 1230))
    """
    windows: list[tuple[int, int]] = []
    for raw in re.split(r"[,;]+", str(text).strip().lower()):
        item = raw.strip()
        if not item:
            continue
        if item in PARTS_OF_DAY:
            windows.append(PARTS_OF_DAY[item])
            continue
        found = _WINDOW_RE.match(item)
        if found:
            h1, m1, h2, m2 = (int(g) for g in found.groups())
            start, end = h1 * 60 + m1, h2 * 60 + m2
            if h1 < 24 and m1 < 60 and m2 < 60 and start < end <= _MINUTES_A_DAY:  # noqa: PLR2004
                windows.append((start, end))
                continue
        msg = (f"{label(name)} {shown(text)}: {shown(item)} is not a time of day. "
               f"{WINDOW_HINT}")
        raise FieldError(msg, field=name, value=text)
    return tuple(windows)


__all__ = [
    "DAYS_HINT",
    "DAY_ABBREVIATIONS",
    "DAY_GROUPS",
    "DAY_NAMES",
    "DAY_NUMBERS",
    "PARTS_OF_DAY",
    "TIME_HINT",
    "WINDOW_HINT",
    "day_number",
    "format_days",
    "format_schedule",
    "format_time",
    "format_time_range",
    "in_part_of_day",
    "minutes_of",
    "parse_time",
    "parse_time_windows",
    "parse_weekdays",
    "part_of_day_times",
]
