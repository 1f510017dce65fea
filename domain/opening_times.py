"""Free-text opening times -> schedules, where the text is unambiguous.

``"Wednesday 10am - 4pm"``, ``"Mon-Fri 9.30-12"``, ``"Tue 10:00-17:00; Thu 1-4pm"`` and
``"Saturdays"`` become schedules: a list of ``{"weekdays": [...], "start": "HH:MM" | None,
"end": "HH:MM" | None}`` (days numbered as in :mod:`domain.schedule`, 0 = Sunday). Anything
else (``"2nd Tuesday of the month"``, ``"by appointment"``, ``"term time only"``) gives
``None``: the text is kept as it is, and nobody is told a wrong day.

A bare hour is read on the clock the text suggests: ``9.30-12`` is 09:30 to 12:00, ``10-4``
is 10:00 to 16:00 (an end before the start is in the afternoon), ``6-8pm`` is 18:00 to 20:00.
"""

from __future__ import annotations

import re
from typing import Any

from domain.errors import FieldError
from domain.schedule import format_time
from domain.schedule import parse_time
from domain.schedule import parse_weekdays

#: Words that make a text a rule we do not model (monthly, fortnightly, exceptions, ...).
_AMBIGUOUS = re.compile(
    r"\b(?:\d+(?:st|nd|rd|th)|first|second|third|fourth|last|month|monthly|fortnight\w*|"
    r"alternate|every other|other week|appointment|term|holiday|except|closed|varies|"
    r"variable|by arrangement|call|phone|ring|see|check|tbc|seasonal)\b", re.IGNORECASE)
# Segments: ';' or a new line, or a comma right after a time ("10-12, Thu 1-4pm"; not the
# comma of a list of days, "Mon, Wed 10-12").
_SEGMENTS = re.compile(r"\s*(?:;|\n|(?<=[0-9mM.]),(?=\s*[A-Za-z]))\s*")
_SEGMENT = re.compile(
    r"^(?P<days>[A-Za-z][A-Za-z.,&\s\-\u2013]*?)\s*[:,]?\s*"
    r"(?:(?:from\s+)?(?P<start>\d{1,2}(?:[.:]\d{2})?\s*(?:[ap]\.?m\.?)?|noon|midday)\s*"
    r"(?:-|\u2013|to|till|until)\s*"
    r"(?P<end>\d{1,2}(?:[.:]\d{2})?\s*(?:[ap]\.?m\.?)?|noon|midday|midnight))?$",
    re.IGNORECASE)
_AMPM = re.compile(r"[ap]\.?m\.?$", re.IGNORECASE)
_NOON = 12


def _clock(text: str, *, after: int | None = None) -> int:
    """Minutes after midnight of one time as written (see the module docstring)."""
    raw = text.strip().lower()
    if not _AMPM.search(raw):
        raw = raw.replace(".", ":")  # 9.30 is 09:30
    if raw.isdigit():
        hour = int(raw)
        if after is not None and hour * 60 <= after and hour < _NOON:
            hour += 12
        raw = f"{hour:02d}:00"
    time = parse_time(raw.replace(" ", ""), "opening_times")
    return time.hour * 60 + time.minute


def _times(start: str, end: str) -> tuple[str, str]:
    end_pm = bool(re.search(r"p\.?m\.?$", end.strip(), re.IGNORECASE))
    start_is_bare = not _AMPM.search(start)
    first = _clock(start)
    if start_is_bare and end_pm:
        # "6-8pm": the start is on the end's clock when that keeps it before the end
        last = _clock(end)
        if first + 12 * 60 < last:
            first += 12 * 60
    last = _clock(end, after=first)
    if last <= first:
        msg = f"ends before it starts: {start}-{end}"
        raise FieldError(msg)
    return format_time(first), format_time(last)


def parse_opening_times(text: Any) -> list[dict[str, Any]] | None:
    """A schedule from free-text opening times, or ``None`` when the text is ambiguous.

    Examples
    --------
    >>> parse_opening_times("Wednesday 10am - 4pm")
    [{'weekdays': [3], 'start': '10:00', 'end': '16:00'}]
    >>> parse_opening_times("Mon-Fri 9.30-12")
    [{'weekdays': [1, 2, 3, 4, 5], 'start': '09:30', 'end': '12:00'}]
    >>> parse_opening_times("2nd Tuesday of the month") is None
    True
    """
    if not isinstance(text, str) or not text.strip() or _AMBIGUOUS.search(text):
        return None
    schedule = []
    for segment in _SEGMENTS.split(text.strip()):
        if not segment:
            continue
        m = _SEGMENT.match(segment)
        if m is None:
            return None
        try:
            days = parse_weekdays(m["days"].strip(" ,:-"), "opening_times")
            start, end = _times(m["start"], m["end"]) if m["start"] else (None, None)
        except FieldError:
            return None
        schedule.append({"weekdays": days, "start": start, "end": end})
    return schedule or None
