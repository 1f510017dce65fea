"""Outcome records: the anonymous counts of what came of a link or a need, and their rules.

An outcome record says, for one period (a month or a day), how many peers took part, the
hours they volunteered, the skills they learned (slugs of the skill vocabulary,
:data:`matching.taxonomy.SKILLS`), how many went on to volunteer and how many became
licensed volunteers. Nothing in it names or describes a peer: the figures are whole numbers
with upper bounds, hours in quarter hours, skills from a fixed list, and there is no free
text. The store, the partner portal, the organisation side's pages and the partner API all
check values with :func:`clean_outcome`, so they say the same words.

Who records: a partner for its own association's needs and links (``recorded_by`` =
``association``); the peer organisation side, i.e. a hotspot lead for the organisations of
their growth tree or an admin for any (``recorded_by`` = ``organisation``); and the partner's
inbox, which counts one peer taking part when an interest is marked "taking part"
(``recorded_by`` = ``inbox``, never edited by hand).
"""

from __future__ import annotations

import datetime as dt
import functools
import math
import re
from typing import TYPE_CHECKING
from typing import Any

from domain.errors import Problem
from domain.errors import RecordError

if TYPE_CHECKING:
    from collections.abc import Callable
    from collections.abc import Collection
    from collections.abc import Mapping

RECORDED_BY = ("association", "organisation", "inbox")
"""Who recorded an outcome: the partner, the peer organisation side, or the partner's inbox."""
PERIOD_UNITS = ("month", "day")
"""A record covers a whole month (``period`` ``YYYY-MM``) or one day (``YYYY-MM-DD``)."""
COUNTS = ("peers_taking_part", "went_on_to_volunteer", "became_licensed")
"""The whole-number figures of a record."""
FIGURES = ("peers_taking_part", "hours", "went_on_to_volunteer", "became_licensed")
"""Every number of a record, in the order pages and CSV show them."""
MAX_PEERS = 1000
"""The most peers one record may count (a busy month of a large association)."""
MAX_HOURS = 20000.0
"""The most hours one record may hold (1,000 peers at 20 hours each)."""
HOURS_STEP = 0.25
"""Hours are kept in quarter hours: exact in binary, so sums agree on every backend."""
EARLIEST = dt.date(2000, 1, 1)
"""No record is older than this."""
EDITABLE = ("organisation_id", "opportunity_id", "period", *FIGURES, "skills")
"""Fields a record is made of, as forms and the API name them."""
LABELS = {
    "peers_taking_part": "Peers who took part", "hours": "Hours volunteered",
    "went_on_to_volunteer": "Went on to volunteer", "became_licensed": "Became licensed",
    "skills": "Skills learned", "period": "Period",
}

_MONTH = re.compile(r"^(\d{4})-(\d{2})$")
_DAY = re.compile(r"^(\d{4})-(\d{2})-(\d{2})$")


def parse_period(text: Any, *, today: dt.date) -> tuple[dt.date, str]:
    """``(period_start, period_unit)`` of ``"YYYY-MM"`` (a month) or ``"YYYY-MM-DD"`` (a day).

    Raises
    ------
    ValueError
        Naming ``period``: malformed, before :data:`EARLIEST`, or in the future.

    Examples
    --------
    >>> parse_period("2026-03", today=dt.date(2026, 11, 30))
    (datetime.date(2026, 3, 1), 'month')
    """
    raw = "" if text is None else str(text).strip()
    month, day = _MONTH.match(raw), _DAY.match(raw)
    try:
        if month:
            start, unit = dt.date(int(month[1]), int(month[2]), 1), "month"
        elif day:
            start, unit = dt.date(int(day[1]), int(day[2]), int(day[3])), "day"
        else:
            raise ValueError
    except ValueError:
        msg = (f"period {raw[:40]!r} is not a month or a day: type a month like "
               f"{today:%Y-%m} or a day like {today:%Y-%m-%d}")
        raise ValueError(msg) from None
    if start < EARLIEST:
        msg = f"period {raw!r} is too long ago: use a month from {EARLIEST:%Y-%m} on"
        raise ValueError(msg)
    if (unit == "day" and start > today) or (unit == "month" and start > today.replace(day=1)):
        msg = f"period {raw!r} is in the future: record outcomes once they have happened"
        raise ValueError(msg)
    return start, unit


def period_text(start: dt.date, unit: str) -> str:
    """``YYYY-MM`` for a month, ``YYYY-MM-DD`` for a day: the form :func:`parse_period` reads."""
    return f"{start:%Y-%m}" if unit == "month" else start.isoformat()


def _integral(value: Any) -> bool:
    if isinstance(value, float):
        return math.isfinite(value) and value.is_integer()
    return isinstance(value, str) and re.fullmatch(r"\s*[+-]?\d{1,12}\s*", value) is not None


def _whole(name: str, value: Any, top: int) -> int:
    allowed = f"give a whole number from 0 to {top:,}"
    if value is None or (isinstance(value, str) and not value.strip()):
        return 0
    if isinstance(value, bool):
        msg = f"{name}: {allowed}, not {value!r}"
        raise ValueError(msg)
    if isinstance(value, int):
        number = value
    elif _integral(value):
        number = int(value)
    else:
        msg = f"{name}: {allowed}, not {str(value)[:40]!r}"
        raise ValueError(msg)
    if not 0 <= number <= top:
        msg = f"{name}: {allowed}, not {number!r}"
        raise ValueError(msg)
    return number


def _hours(value: Any) -> float:
    allowed = (f"give the hours from 0 to {MAX_HOURS:,.0f}, in quarter hours "
               "(like 3, 2.5 or 1.75)")
    if value is None or (isinstance(value, str) and not value.strip()):
        return 0.0
    if isinstance(value, bool) or not isinstance(value, (int, float, str)):
        msg = f"hours: {allowed}, not {value!r}"
        raise ValueError(msg)
    text = str(value).strip()
    try:
        number = float(text) if len(text) <= 20 else math.nan  # noqa: PLR2004
    except ValueError:
        number = math.nan
    if not math.isfinite(number) or not 0 <= number <= MAX_HOURS:
        msg = f"hours: {allowed}, not {text[:40]!r}"
        raise ValueError(msg)
    if not (number / HOURS_STEP).is_integer():
        msg = f"hours: {allowed}; {text!r} is not a whole number of quarter hours"
        raise ValueError(msg)
    return number + 0.0  # -0.0 -> 0.0


def _skills(value: Any, allowed: Collection[str]) -> list[str]:
    if value is None or value == "":
        return []
    items = value.split(",") if isinstance(value, str) else value
    if not isinstance(items, (list, tuple)):
        msg = "skills: give a list of skill names from the list"
        raise ValueError(msg)
    out: list[str] = []
    unknown = []
    for item in items:
        slug = str(item).strip()
        if not slug:
            continue
        if slug not in allowed:
            unknown.append(slug[:40])
        elif slug not in out:
            out.append(slug)
    if unknown:
        msg = (f"skills: {', '.join(repr(u) for u in unknown[:5])} "
               f"{'is' if len(unknown) == 1 else 'are'} not on the list of skills; "
               "choose from the list")
        raise ValueError(msg)
    return out


def clean_outcome(values: Mapping[str, Any], *, skills: Collection[str], today: dt.date,
                  partial: bool = False) -> dict[str, Any]:
    """Check and convert an outcome record's values; every problem reported at once.

    Parameters
    ----------
    values
        Field -> value (fields of :data:`EDITABLE` and no others). Numbers may be text;
        ``period`` is ``YYYY-MM`` or ``YYYY-MM-DD``; ``skills`` a list or comma-separated.
    skills
        The skill slugs allowed.
    today
        The day "the future" starts after.
    partial
        ``True`` for a change: only the given fields are checked and returned.

    Returns
    -------
    dict
        ``period_start``, ``period_unit``, the figures, ``skills`` and the ids given.

    Raises
    ------
    domain.errors.RecordError
        With each field's problem, in plain words naming the field.
    """
    problems: list[Problem] = []
    unknown = sorted(k for k in values if k not in EDITABLE)
    if unknown:
        problems.append(Problem("fields", unknown, (
            f"{', '.join(unknown)}: not fields of an outcome record; the fields are "
            f"{', '.join(EDITABLE)} (no names or notes about peers are kept)")))
    out: dict[str, Any] = {}
    if "period" in values or not partial:
        try:
            out["period_start"], out["period_unit"] = parse_period(values.get("period"),
                                                                   today=today)
        except ValueError as exc:
            problems.append(Problem("period", values.get("period"), str(exc)))
    checks: dict[str, Callable[[Any], Any]] = {
        **{name: functools.partial(_whole, name, top=MAX_PEERS) for name in COUNTS},
        "hours": _hours, "skills": functools.partial(_skills, allowed=skills)}
    for name, check in checks.items():
        if name in values or not partial:
            try:
                out[name] = check(values.get(name))
            except ValueError as exc:
                problems.append(Problem(name, values.get(name), str(exc)))
    for name in ("organisation_id", "opportunity_id"):
        if name in values:
            raw = values[name]
            if raw is None or raw == "":
                out[name] = None
                continue
            try:
                out[name] = _whole(name, raw, 2**31 - 1) or None
            except ValueError:
                problems.append(Problem(name, raw, f"{name}: give the number of one from "
                                                   f"the list, not {str(raw)[:40]!r}"))
    if not partial and not problems and not any(out[f] for f in FIGURES) and not out["skills"]:
        problems.append(Problem("peers_taking_part", 0, (
            "peers_taking_part: the record is empty; give at least one figure (peers, hours, "
            "volunteers, licences) or a skill")))
    if problems:
        raise RecordError(problems)
    return out


__all__ = [
    "COUNTS",
    "EARLIEST",
    "EDITABLE",
    "FIGURES",
    "HOURS_STEP",
    "LABELS",
    "MAX_HOURS",
    "MAX_PEERS",
    "PERIOD_UNITS",
    "RECORDED_BY",
    "clean_outcome",
    "parse_period",
    "period_text",
]
