"""Meeting Guide JSON feeds (code4recovery/spec) <-> canonical meeting records.

Reading (:func:`read_meeting_guide`): the file is a JSON array of meetings, or an object
with a ``"meetings"`` array. Row numbers are 1-based item indexes. Each item maps as:

=======================================  =======================================================
Meeting Guide                            canonical
=======================================  =======================================================
slug (else id)                           source_id
name                                     name
day (int, list of ints, day names)       weekdays: a list, 0 = Sunday ... 6 = Saturday
time, end_time                           start_time, end_time (text as found, "19:00", "7:00 PM")
location                                 venue
formatted_address, else address, city,   address
state, postal_code, country
postal_code                              postcode
latitude, longitude (numbers or text)    lat, lon
approximate "yes"/"no" (with lat/lon)    location_precision "town"/"exact"
types (codes)                            types; and accessibility: X -> wheelchair,
                                         XB -> accessible_toilet
attendance_option                        attendance; "inactive" -> active False
conference_url                           conference_url
notes (+ location_notes)                 notes
regions (joined with " > "), else        region
region (+ " > " sub_region)
group, else organisation                 organisation
=======================================  =======================================================

Without ``attendance_option`` the attendance follows TSML UI: online when the types say
``ONL`` or there is a conference URL; in person when there is an address, it is not
approximate and the types do not say ``TC`` (location temporarily closed); both -> hybrid;
``TC`` and not online -> inactive.

Writing (:func:`to_meeting_guide`): stored meeting dicts -> valid Meeting Guide items.
"""

from __future__ import annotations

import datetime as dt
import re
from typing import TYPE_CHECKING
from typing import Any

from ingest.readers._common import check_kind
from ingest.readers._common import clean
from ingest.readers._common import first_present
from ingest.readers._common import join_address
from ingest.readers._common import load_json
from ingest.readers._common import row_error
from ingest.readers._common import split_text_list
from ingest.readers._common import weekday_list
from ingest.readers._types import ONLINE
from ingest.readers._types import TEMPORARILY_CLOSED
from ingest.readers._types import TYPE_ACCESSIBILITY
from ingest.records import IngestError
from ingest.records import RawRecord
from ingest.records import ReadResult

if TYPE_CHECKING:
    from collections.abc import Iterable
    from pathlib import Path

    from ingest.records import Kind

#: The Meeting Guide keys :func:`meeting_from_item` reads.
USED_KEYS = frozenset((
    "slug", "id", "name", "day", "time", "end_time", "location", "formatted_address",
    "address", "city", "state", "postal_code", "country", "latitude", "longitude",
    "approximate", "types", "attendance_option", "conference_url", "conference_phone", "notes",
    "location_notes", "region", "sub_region", "regions", "group", "organisation", "organization",
))
_ACCESS_CODES = {slug: code for code, slug in TYPE_ACCESSIBILITY.items()}
_HHMM = re.compile(r"^\s*(\d{1,2}):(\d{2})")


def read_meeting_guide(path: Path, kind: Kind, *, id_column: str | None = None) -> ReadResult:
    """Read a Meeting Guide JSON feed of meetings.

    Parameters
    ----------
    path
        The ``.json`` file.
    kind
        Must be ``"meetings"``.
    id_column
        Not used: the ``slug`` is the id (a warning says so).

    Returns
    -------
    ReadResult
        One record per meeting object; non-objects go to ``errors``.

    Raises
    ------
    IngestError
        Not JSON, or not a list of meetings.
    """
    check_kind(kind, "meeting-guide", ("meetings",))
    doc = load_json(path)
    items = doc.get("meetings") if isinstance(doc, dict) else doc
    if not isinstance(items, list):
        msg = (f"{path.name!r} is not a Meeting Guide feed: expected a JSON array of meetings "
               "or an object with a \"meetings\" array")
        raise IngestError(msg)
    result = ReadResult([], "meeting-guide")
    if id_column is not None:
        result.warnings.append(f"id_column {id_column!r} ignored: Meeting Guide slugs are ids")
    for row, item in enumerate(items, start=1):
        if not isinstance(item, dict):
            result.errors.append(row_error(row, f"item is {type(item).__name__}, not a meeting"))
            continue
        data, notes = meeting_from_item(item)
        result.records.append(RawRecord(row, data, notes))
    if not items:
        result.warnings.append(f"{path.name!r} lists no meetings")
    return result


def meeting_from_item(item: dict[str, Any]) -> tuple[dict[str, Any], list[str]]:
    """One Meeting Guide item (keys as in the spec) -> canonical meeting data and warnings."""
    notes: list[str] = []
    source_id = clean(item.get("slug"))
    if source_id is None and clean(item.get("id")) is not None:
        source_id = clean(item.get("id"))
        notes.append("no slug: the id is used as source_id")
    types = [t.strip() if isinstance(t, str) else t for t in split_text_list(item.get("types"))]
    types = [t for t in types if t not in ("", None)]
    address = first_present(item, "formatted_address") or join_address(
        item.get("address"), item.get("city"), item.get("state"), item.get("postal_code"),
        item.get("country"),
    )
    lat, lon = clean(item.get("latitude")), clean(item.get("longitude"))
    approximate = str(clean(item.get("approximate")) or "").lower()
    conference_url = clean(item.get("conference_url"))
    attendance, active = _attendance(item, types, address=address, approximate=approximate)
    data: dict[str, Any] = {
        "source_id": source_id,
        "name": clean(item.get("name")),
        "weekdays": weekday_list(item.get("day")),
        "start_time": clean(item.get("time")),
        "end_time": clean(item.get("end_time")),
        "venue": clean(item.get("location")),
        "address": address,
        "postcode": clean(item.get("postal_code")),
        "lat": lat,
        "lon": lon,
        "types": types,
        "accessibility": sorted({TYPE_ACCESSIBILITY[t] for t in types if t in TYPE_ACCESSIBILITY}),
        "attendance": attendance,
        "active": active,
        "conference_url": conference_url,
        "notes": join_address(item.get("notes"), item.get("location_notes"), sep="\n\n"),
        "region": _region(item),
        "organisation": first_present(item, "group", "organisation", "organization"),
    }
    if lat is not None and lon is not None and approximate in ("yes", "no"):
        data["location_precision"] = "town" if approximate == "yes" else "exact"
    return data, notes


def _attendance(
    item: dict[str, Any], types: list[Any], *, address: str | None, approximate: str
) -> tuple[Any, bool | None]:
    option = clean(item.get("attendance_option"))
    if option is not None:
        if str(option).lower() == "inactive":
            return None, False
        return option, None
    online = ONLINE in types or bool(first_present(item, "conference_url", "conference_phone"))
    closed = TEMPORARILY_CLOSED in types
    in_person = bool(address) and approximate != "yes" and not closed
    if online and in_person:
        return "hybrid", None
    if online:
        return "online", None
    if in_person:
        return "in_person", None
    return None, (False if closed else None)


def _region(item: dict[str, Any]) -> Any:
    regions = [r for r in split_text_list(item.get("regions")) if clean(r) is not None]
    if regions:
        return " > ".join(str(r).strip() for r in regions)
    region = clean(item.get("region"))
    sub = clean(item.get("sub_region"))
    return f"{region} > {sub}" if region is not None and sub is not None else region


def to_meeting_guide(meetings: Iterable[dict[str, Any]]) -> list[dict[str, Any]]:
    """Stored meetings -> Meeting Guide feed items (the ``/api/meetings/feed.json`` body).

    Parameters
    ----------
    meetings
        Dicts with the stored meeting fields: ``id``, ``source_id``, ``name``, ``weekdays``
        (0 = Sunday), ``start_time``/``end_time`` (:class:`datetime.time` or ``"HH:MM"``),
        ``venue``, ``address``, ``postcode``, ``lat``, ``lon``, ``attendance``,
        ``conference_url``, ``accessibility``, ``notes``, ``active``, ``organisation`` (a
        name), ``region``, ``updated_at``; missing keys are left out of the item.

    Returns
    -------
    list of dict
        One item per meeting: a unique ``slug`` (the ``source_id``, else ``meeting-<id>``),
        ``day`` as an int (a list for several days), ``time``/``end_time`` as ``"HH:MM"``,
        ``types`` with ``ONL`` for online and hybrid meetings and the access codes,
        ``attendance_option`` (``"inactive"`` for inactive meetings), ``formatted_address``,
        ``latitude``/``longitude``, ``updated`` as ``"YYYY-MM-DD HH:MM:SS"``.

    Examples
    --------
    >>> import datetime as dt
    >>> item = to_meeting_guide([{"id": 7, "name": "Hope", "weekdays": [1],
    ...                           "start_time": dt.time(19), "attendance": "hybrid"}])[0]
    >>> item["slug"], item["day"], item["time"], item["types"], item["attendance_option"]
    ('meeting-7', 1, '19:00', ['ONL'], 'hybrid')
    """
    items: list[dict[str, Any]] = []
    used: set[str] = set()
    for meeting in meetings:
        get = meeting.get
        slug = base = str(get("source_id") or f"meeting-{get('id')}")
        n = 2
        while slug in used:
            slug, n = f"{base}-{n}", n + 1
        used.add(slug)
        days = [int(d) for d in get("weekdays") or []]
        attendance = get("attendance") or "in_person"
        types = {str(t) for t in get("types") or []}
        types |= {_ACCESS_CODES[a] for a in get("accessibility") or [] if a in _ACCESS_CODES}
        if attendance in ("online", "hybrid"):
            types.add(ONLINE)
        address = get("address")
        postcode = get("postcode")
        if postcode and address and str(postcode).replace(" ", "").upper() not in str(
                address).replace(" ", "").upper():
            address = f"{address}, {postcode}"
        updated = get("updated_at")
        item: dict[str, Any] = {
            "name": get("name"),
            "slug": slug,
            "day": days[0] if len(days) == 1 else (days or None),
            "time": _hhmm(get("start_time")),
            "end_time": _hhmm(get("end_time")),
            "location": get("venue"),
            "formatted_address": address or postcode,
            "postal_code": postcode,
            "latitude": None if get("lat") is None else round(float(get("lat")), 6),
            "longitude": None if get("lon") is None else round(float(get("lon")), 6),
            "types": sorted(types),
            "attendance_option": attendance if get("active", True) is not False else "inactive",
            "conference_url": get("conference_url"),
            "notes": get("notes"),
            "group": get("organisation"),
            "region": get("region"),
            "updated": updated.strftime("%Y-%m-%d %H:%M:%S")
            if isinstance(updated, dt.datetime) else updated,
        }
        items.append({k: v for k, v in item.items() if v not in (None, "", [])})
    return items


def _hhmm(value: Any) -> str | None:
    if isinstance(value, dt.time | dt.datetime):
        return value.strftime("%H:%M")
    if isinstance(value, str) and (m := _HHMM.match(value)):
        return f"{int(m[1]):02d}:{m[2]}"
    return None
