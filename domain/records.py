"""The fields of each kind of record, and checking a whole record by them.

:data:`RULES` names, for meetings, associations and opportunities, the parser of
:mod:`domain.fields` each field goes through; :func:`check_fields` parses every given field
of a record and collects every problem; :func:`unknown_fields` names columns no rule knows.
"""

from __future__ import annotations

from functools import partial
from typing import TYPE_CHECKING
from typing import Any

from domain.errors import FieldError
from domain.errors import Problem
from domain.fields import LONGEST_MISSING
from domain.fields import MISSING_WORDS
from domain.fields import NAME_FIELD
from domain.fields import NOUN
from domain.fields import Context
from domain.fields import choice
from domain.fields import count
from domain.fields import email_address
from domain.fields import feed_extra
from domain.fields import interests
from domain.fields import is_missing
from domain.fields import parse_date
from domain.fields import phone_number
from domain.fields import region_list
from domain.fields import short_text
from domain.fields import text
from domain.fields import text_items
from domain.fields import time_of_day
from domain.fields import timezone
from domain.fields import updated_time
from domain.fields import web_address
from domain.fields import weekdays
from domain.fields import yes_no
from domain.labels import label
from domain.labels import shown
from domain.status import ATTENDANCE
from domain.status import OPPORTUNITY_STATUSES
from domain.status import ORG_STATUSES

if TYPE_CHECKING:
    from collections.abc import Collection
    from collections.abc import Mapping

_Spec = dict[str, tuple[Any, str]]
_COMMON: _Spec = {"address": (text, "values")}
RULES: dict[str, _Spec] = {
    "meetings": {
        "name": (short_text, "values"), "weekdays": (weekdays, "values"),
        "start_time": (time_of_day, "values"), "end_time": (time_of_day, "values"),
        "venue": (short_text, "values"),
        "attendance": (partial(choice, allowed=ATTENDANCE), "values"),
        "conference_url": (web_address, "values"), "accessibility": (text_items, "values"),
        "notes": (text, "values"), "active": (yes_no, "values"),
        "organisation": (short_text, "refs"), "region": (short_text, "refs"),
        # Meeting Guide fields kept whole, so a feed round trip loses nothing
        "types": (text_items, "values"), "regions": (region_list, "values"),
        "conference_phone": (short_text, "values"), "location_notes": (text, "values"),
        "group_name": (short_text, "values"), "timezone": (timezone, "values"),
        "updated_at": (updated_time, "values"), "feed_extra": (feed_extra, "values"),
    },
    "associations": {
        "name": (short_text, "values"), "category": (short_text, "values"),
        "description": (text, "values"), "website": (web_address, "values"),
        "contact_email": (email_address, "values"), "contact_phone": (phone_number, "values"),
        "charity_number": (short_text, "values"),
        "status": (partial(choice, allowed=ORG_STATUSES), "values"),
        "opening_times": (text, "values"),
    },
    "opportunities": {
        "title": (short_text, "values"), "description": (text, "values"),
        "interests": (interests, "values"), "skills": (text_items, "values"),
        "weekdays": (weekdays, "values"), "start_time": (time_of_day, "values"),
        "end_time": (time_of_day, "values"), "flexible": (yes_no, "values"),
        "commitment": (short_text, "values"), "accessibility": (text_items, "values"),
        "capacity": (count, "values"), "places_taken": (count, "values"),
        "status": (partial(choice, allowed=OPPORTUNITY_STATUSES), "values"),
        "starts_on": (parse_date, "values"), "ends_on": (parse_date, "values"),
        "association": (short_text, "refs"), "association_name": (short_text, "refs"),
        "association_category": (short_text, "refs"),
        "association_postcode": (short_text, "refs"),
        "association_website": (web_address, "refs"),
    },
}
"""Per kind: field -> (parser, ``"values"`` (a column) or ``"refs"`` (a reference)).
Positions (``lat``, ``lon``, ``postcode``, ``location_precision``) are checked apart, with
the service area: :func:`coordinates`, :func:`postcode`, :func:`precision`."""

_ALL_RULES = {kind: {**_COMMON, **rules} for kind, rules in RULES.items()}
#: (kind, the record's keys in order) -> (field, parser, is a column) of the fields given.
_PLANS: dict[tuple[str, tuple[str, ...]], tuple[tuple[str, Any, bool], ...]] = {}
_MAX_PLANS = 256


def check_fields(
    kind: str, data: Mapping[str, Any], ctx: Context,
) -> tuple[dict[str, Any], dict[str, Any], list[Problem]]:
    """Parse every given field of a record of ``kind``; collect every problem.

    Returns
    -------
    values, refs : dict
        The parsed columns and references (missing fields are absent).
    problems : list of Problem
        One per field that could not be parsed, then the required name if missing.
    """
    values: dict[str, Any] = {}
    refs: dict[str, Any] = {}
    problems: list[Problem] = []
    keys = tuple(data)
    plan = _PLANS.get((kind, keys))
    if plan is None:  # the rules of the fields given, in rule order: once per file layout
        if len(_PLANS) > _MAX_PLANS:
            _PLANS.clear()
        plan = _PLANS[kind, keys] = tuple(
            (name, parser, dest == "values") for name, (parser, dest) in _ALL_RULES[kind].items()
            if name in data)
    for name, parser, is_value in plan:
        raw = data[name]
        if raw is None:
            continue
        if type(raw) is str:  # is_missing, inline: a file's every cell passes here
            bare = raw.strip()
            if len(bare) <= LONGEST_MISSING and bare.lower() in MISSING_WORDS:
                continue
        elif is_missing(raw):
            continue
        try:
            parsed = parser(raw, name, ctx)
        except FieldError as exc:
            problems.append(Problem(name, raw, str(exc)))
            continue
        (values if is_value else refs)[name] = parsed
    name = NAME_FIELD[kind]
    if name not in values and not any(p.field == name for p in problems):
        problems.append(Problem(name, data.get(name), missing_name(kind)))
    return values, refs, problems


def missing_name(kind: str) -> str:
    """The reason given when a record of ``kind`` has no name (or title)."""
    name = NAME_FIELD[kind]
    return (f"{label(name)} is missing. Every {NOUN[kind]} needs one: "
            f"enter its {label(name).lower()}.")


def unknown_fields(data: Collection[str], allowed: Collection[str]) -> list[Problem]:
    """A problem naming the fields outside ``allowed`` (forms and the API), if any."""
    unknown = sorted(set(data) - set(allowed))
    if not unknown:
        return []
    return [Problem("fields", unknown, f"{', '.join(map(shown, unknown))} cannot be set "
                    "here (unknown or read-only). Send only "
                    f"{', '.join(map(shown, allowed))}.")]


__all__ = ["NAME_FIELD", "RULES", "check_fields", "missing_name", "unknown_fields"]
