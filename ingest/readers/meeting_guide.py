"""Meeting Guide JSON feeds (code4recovery/spec) -> canonical meeting records.

Reading (:func:`read_meeting_guide`): the file is a JSON array of meetings, or an object
with a ``"meetings"`` array. Row numbers are 1-based item indexes. Each item maps as:

=======================================  =======================================================
Meeting Guide                            canonical
=======================================  =======================================================
slug (else id)                           source_id
name                                     name
day (int, list of ints, day names)       weekdays: a list, 0 = Sunday ... 6 = Saturday
time, end_time                           start_time, end_time (text as found, "19:00", "7:00 PM")
timezone                                 timezone
location                                 venue
formatted_address, else address, city,   address
state, postal_code, country
postal_code                              postcode
latitude, longitude (numbers or text)    lat, lon
approximate "yes"/"no" (with lat/lon)    location_precision "town"/"exact"
types (codes)                            types; and accessibility: X -> wheelchair,
                                         XB -> accessible_toilet
attendance_option                        attendance; "inactive" -> active False
conference_url, conference_phone         conference_url, conference_phone
notes, location_notes                    notes, location_notes
regions, else region (+ sub_region       regions: a list, most general first
+ sub_sub_region)
group                                    group_name; and organisation (a peer organisation
                                         of that name, when there is one)
updated                                  updated_at
url, conference_url_notes, venmo, ...    feed_extra (the public fields in
                                         :data:`ingest.meeting_feed.EXTRA_FIELDS`)
=======================================  =======================================================

Contact fields (``contact_1_name`` ...), ``email`` and ``phone`` are not read: people's
details, not the meeting's.

Without ``attendance_option`` the attendance follows TSML UI: online when the types say
``ONL`` or there is a conference URL; in person when there is an address, it is not
approximate and the types do not say ``TC`` (location temporarily closed); both -> hybrid;
``TC`` and not online -> inactive.

Writing feeds is :mod:`ingest.meeting_feed`'s job; it writes every field read here.
"""

from __future__ import annotations

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
from ingest.readers._types import type_code
from ingest.records import IngestError
from ingest.records import RawRecord
from ingest.records import ReadResult

if TYPE_CHECKING:
    from pathlib import Path

    from ingest.records import Kind

#: The spec's public fields kept whole in ``feed_extra`` (:mod:`ingest.meeting_feed` writes
#: them back). Contact fields are left out on purpose: people, not meetings.
EXTRA_KEYS = (
    "url", "edit_url", "conference_url_notes", "conference_phone_notes", "group_notes",
    "venmo", "square", "paypal", "homegroup_online", "feedback_url", "feedback_emails",
    "entity", "entity_email", "entity_location", "entity_logo", "entity_phone", "entity_url",
    "entity_website_url",
)
#: The Meeting Guide keys :func:`meeting_from_item` reads.
USED_KEYS = frozenset((
    "slug", "id", "name", "day", "time", "end_time", "location", "formatted_address",
    "address", "city", "state", "postal_code", "country", "latitude", "longitude",
    "approximate", "types", "attendance_option", "conference_url", "conference_phone", "notes",
    "location_notes", "region", "sub_region", "sub_sub_region", "regions", "group",
    "organisation", "organization", "timezone", "updated", *EXTRA_KEYS,
))


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
    types = [type_code(t) for t in split_text_list(item.get("types"))]
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
        "conference_phone": _dial_string(clean(item.get("conference_phone"))),
        "notes": clean(item.get("notes")),
        "location_notes": clean(item.get("location_notes")),
        "regions": _regions(item),
        "organisation": first_present(item, "group", "organisation", "organization"),
        "group_name": clean(item.get("group")),
        "timezone": clean(item.get("timezone")),
        "updated_at": clean(item.get("updated")),
        "feed_extra": {k: v for k in EXTRA_KEYS
                       if (v := clean(item.get(k))) not in (None, "", [])} or None,
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


def _regions(item: dict[str, Any]) -> list[str]:
    raw = item.get("regions")
    if isinstance(raw, str) and ">" in raw:  # a sheet's "Illinois > Chicago"
        raw = raw.split(">")
    regions = [str(r).strip() for r in split_text_list(raw) if clean(r) is not None]
    if regions:
        return regions
    nested = [clean(item.get(k)) for k in ("region", "sub_region", "sub_sub_region")]
    out: list[str] = []
    for name in nested:  # a sub-region only counts under its region
        if name is None:
            break
        out.append(str(name))
    return out


def _dial_string(phone: Any) -> Any:
    """A conference phone as the spec defines it: digits, ``+`` and the one-tap ``,`` ``*`` ``#``.

    Feeds put passwords in letters after the pauses (``...#,,#,,M1F3...#``); a phone dials
    digits only, so the letters go here, as the feed writer drops them on the way out.

    >>> _dial_string("+1 587 328 1099,,829#,,#,,M1F3#")
    '+15873281099,,829#,,#,,13#'
    """
    if phone is None or not str(phone).strip():
        return phone
    return re.sub(r"[^\d+,*#]", "", str(phone)) or None
