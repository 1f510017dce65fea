"""UK Volunteering Data Standard JSON-LD (volunteeringdata.io) -> canonical records.

Accepted shapes (``publishing-opportunities-data.md``): ``{"@context", "graph": [...]}`` (or
``@graph``) of Organisations, one Organisation or Activity object, or a JSON array of them.
JSON-LD spellings are both accepted (``id``/``@id``, ``type``/``@type``), and a property may
hold one value or a list.

Opportunities: each Role of each Activity is one opportunity; an Activity without roles is
one itself. Its ``source_id`` is the Role's id; an id-less first role takes the Activity's id,
the n-th (n >= 2) ``<activity id>-role-<n>``; an id-less Activity is
``<organisation id>#activity-<i>``.

==========================================  ================================================
Volunteering Data Standard                  canonical
==========================================  ================================================
role/activity title                         title
role description (+ activity description)   description
organisation id (else name), name, website  association, association_name,
                                            association_website
organisation/activity cause + role skill    interests (URIs, raw: validation maps them)
role skill                                  skills (URIs)
role commitment, accessibility              commitment, accessibility
role/activity capacity (numberOfPlaces)     capacity
activity publishStart, publishEnd           starts_on, ends_on
session time: MondayMorning ... or an       weekdays (0 = Sunday), start_time, end_time
OWL-Time entity (hasBeginning/hasEnd)       (the parts of the day of domain.schedule:
                                            morning 06:00-12:00, afternoon 12:00-17:00,
                                            evening 17:00-22:00); no time at all -> flexible
session location latitude, longitude,       lat, lon, address, postcode (found in the
address (else name)                         address text)
==========================================  ================================================

Several parts of the day are merged when they touch (morning + afternoon -> 06:00-17:00),
with a record warning; otherwise the times are left open. Associations: each Organisation
(name, description, website, charityNumber or the first charityRegistration number, and the
location of its first session, with a warning). Row numbers are 1-based indexes of the
top-level nodes.
"""

from __future__ import annotations

import re
from typing import TYPE_CHECKING
from typing import Any

from domain.schedule import DAY_NUMBERS
from domain.schedule import PARTS_OF_DAY as SCHEDULE_PARTS
from domain.schedule import format_time
from geo.postcode import find_postcode
from geo.postcode import is_postcode
from ingest.readers._common import as_list
from ingest.readers._common import check_kind
from ingest.readers._common import clean
from ingest.readers._common import first_present
from ingest.readers._common import load_json
from ingest.readers._common import row_error
from ingest.records import IngestError
from ingest.records import RawRecord
from ingest.records import ReadResult

if TYPE_CHECKING:
    from pathlib import Path

    from ingest.records import Kind

VDS_NAMESPACE = "https://ns.volunteeringdata.io/"
PARTS_OF_DAY = {part: (format_time(start), format_time(end))
                for part, (start, end) in SCHEDULE_PARTS.items()}
"""Part of the day -> ``("HH:MM", "HH:MM")``: the ranges of :mod:`domain.schedule`."""
_HOURS_A_DAY = 24
_SLOT = re.compile(r"(sunday|monday|tuesday|wednesday|thursday|friday|saturday)"
                   r"(morning|afternoon|evening)$", re.IGNORECASE)


def mentions_vds(context: Any) -> bool:
    """Whether a JSON-LD ``@context`` refers to the volunteeringdata.io vocabulary."""
    return "volunteeringdata" in str(context).lower()


def read_vds(path: Path, kind: Kind, *, id_column: str | None = None) -> ReadResult:
    """Read Volunteering Data Standard JSON-LD as opportunities (or associations).

    Parameters
    ----------
    path
        The ``.json``/``.jsonld`` file.
    kind
        ``"opportunities"`` (roles) or ``"associations"`` (organisations).
    id_column
        Not used: ``@id`` is the id (a warning says so).

    Returns
    -------
    ReadResult
        One record per role (or role-less activity), or per organisation.

    Raises
    ------
    IngestError
        Not JSON, or no objects at the top level.
    """
    check_kind(kind, "vds", ("opportunities", "associations"))
    doc = load_json(path)
    if isinstance(doc, dict):
        graph = doc.get("graph", doc.get("@graph"))
        nodes = as_list(graph) if graph is not None else [doc]
    elif isinstance(doc, list):
        nodes = doc
    else:
        msg = f"{path.name!r} is not Volunteering Data Standard JSON-LD: found a {type(doc)}"
        raise IngestError(msg)
    result = ReadResult([], "vds")
    if id_column is not None:
        result.warnings.append(f"id_column {id_column!r} ignored: JSON-LD @id is the id")
    for row, node in enumerate(nodes, start=1):
        node_type = _type(node)
        if node_type in ("organisation", "activity"):
            result.records += _records_of(row, node, node_type, kind)
        else:
            result.errors.append(row_error(
                row, f"node type {node_type!r} is not an Organisation or Activity",
                id=_id(node), field="type"))
    if not result.records:
        result.warnings.append(f"{path.name!r} holds no {kind}")
    return result


def _records_of(row: int, node: dict[str, Any], node_type: str, kind: Kind) -> list[RawRecord]:
    if node_type == "organisation":
        if kind == "associations":
            return [_association(row, node)]
        return [record for i, activity in enumerate(as_list(node.get("activity")), start=1)
                for record in _opportunities(row, node, activity, i)]
    if kind == "opportunities":
        return _opportunities(row, node.get("organisation"), node, 1)
    org = node.get("organisation")
    return [_association(row, org | {"activity": node})] if isinstance(org, dict) else []


def _id(node: Any) -> Any:
    if isinstance(node, dict):
        return clean(node.get("id", node.get("@id")))
    return clean(node)


def _type(node: Any) -> str | None:
    if not isinstance(node, dict):
        return None
    types = as_list(node.get("type", node.get("@type")))
    for value in types:
        name = re.split(r"[/#:]", str(value))[-1].lower()
        if name in ("organisation", "organization", "activity"):
            return "organisation" if name.startswith("organi") else name
    if types:
        return str(types[0])
    if "activity" in node:
        return "organisation"
    return "activity" if node.keys() & {"role", "session", "title"} else None


def _association(row: int, org: dict[str, Any]) -> RawRecord:
    registrations = [r for r in as_list(org.get("charityRegistration")) if isinstance(r, dict)]
    charity = clean(org.get("charityNumber")) or (
        clean(registrations[0].get("registrationNumber")) if registrations else None)
    record = RawRecord(row, {
        "source_id": _id(org),
        "name": clean(org.get("name")),
        "description": clean(org.get("description")),
        "website": clean(org.get("website")),
        "charity_number": charity,
    })
    for activity in as_list(org.get("activity")):
        sessions = as_list(activity.get("session")) if isinstance(activity, dict) else []
        if _place(record, sessions):
            record.warnings.append("location taken from its first activity session")
            break
    return record


def _opportunities(row: int, org: Any, activity: Any, index: int) -> list[RawRecord]:
    if not isinstance(activity, dict):
        activity = {"id": activity}
    org_id = _id(org)
    org = org if isinstance(org, dict) else {}
    base = _id(activity) or (f"{org_id}#activity-{index}" if org_id else None)
    roles = as_list(activity.get("role")) or [None]
    causes = as_list(org.get("cause")) + as_list(activity.get("cause"))
    records = []
    for n, given in enumerate(roles, start=1):
        role = given if isinstance(given, dict) else ({"id": given} if given else {})
        source_id = _id(role) or (base if n == 1 or base is None else f"{base}-role-{n}")
        skills = as_list(role.get("skill"))
        descriptions = [clean(role.get("description")), clean(activity.get("description"))]
        record = RawRecord(row, {
            "source_id": source_id,
            "title": clean(role.get("title")) or clean(activity.get("title")),
            "description": "\n\n".join(dict.fromkeys(d for d in descriptions if d)) or None,
            "association": org_id or clean(org.get("name")),
            "association_name": clean(org.get("name")),
            "association_website": clean(org.get("website")),
            "interests": list(dict.fromkeys([*causes, *skills])),
            "skills": skills,
            "commitment": clean(role.get("commitment")),
            "accessibility": as_list(role.get("accessibility")),
            "capacity": first_present(role, "capacity", "numberOfPlaces", "places")
            or first_present(activity, "capacity", "numberOfPlaces", "places"),
            "starts_on": clean(activity.get("publishStart")),
            "ends_on": clean(activity.get("publishEnd")),
        })
        if source_id is None:
            record.warnings.append("no @id: a later import cannot recognise this opportunity")
        sessions = as_list(activity.get("session"))
        _schedule(record, sessions)
        _place(record, sessions)
        records.append(record)
    return records


def _schedule(record: RawRecord, sessions: list[Any]) -> None:
    days: list[Any] = []
    spans: set[tuple[str, str]] = set()
    for session in sessions:
        if not isinstance(session, dict):
            continue
        for time in as_list(session.get("time")):
            day, span = _slot(time)
            if day is not None and day not in days:
                days.append(day)
            if span is not None:
                spans.add(span)
    data = record.data
    data["weekdays"] = days or None
    data["flexible"] = not days and not spans
    merged = _merge(sorted(spans))
    data["start_time"], data["end_time"] = merged[0] if len(merged) == 1 else (None, None)
    if len(spans) > 1:
        used = f"{merged[0][0]}-{merged[0][1]} used" if len(merged) == 1 else "times left open"
        record.warnings.append(f"sessions at {len(spans)} times of day: {used}")


def _merge(spans: list[tuple[str, str]]) -> list[tuple[str, str]]:
    merged: list[tuple[str, str]] = []
    for start, end in spans:
        if merged and merged[-1][1] >= start:
            merged[-1] = (merged[-1][0], max(end, merged[-1][1]))
        else:
            merged.append((start, end))
    return merged


def _slot(time: Any) -> tuple[Any, tuple[str, str] | None]:
    """A session time -> (weekday 0-6 or None, (start, end) or None)."""
    if isinstance(time, dict) and ("id" in time or "@id" in time) and len(time) == 1:
        time = _id(time)
    if isinstance(time, str):
        m = _SLOT.search(time.rsplit("/", 1)[-1].rsplit(":", 1)[-1])
        if not m:
            return None, None
        return DAY_NUMBERS[m[1].lower()], PARTS_OF_DAY[m[2].lower()]
    if not isinstance(time, dict):
        return None, None
    begin = _instant(time, "hasBeginning")
    end = _instant(time, "hasEnd")
    day = begin[0] if begin[0] is not None else end[0]
    span = (begin[1], end[1]) if begin[1] and end[1] else None
    return day, span


def _instant(time: dict[str, Any], key: str) -> tuple[Any, str | None]:
    node = time.get(f"time:{key}", time.get(key))
    node = node if isinstance(node, dict) else {}
    moment = node.get("time:inDateTime", node.get("inDateTime"))
    moment = moment if isinstance(moment, dict) else {}
    day_name = str(moment.get("time:dayOfWeek", moment.get("dayOfWeek")) or "")
    day = DAY_NUMBERS.get(re.split(r"[/#:]", day_name)[-1].lower()) if day_name else None
    hour = moment.get("time:hour", moment.get("hour"))
    minute = moment.get("time:minute", moment.get("minute")) or 0
    try:
        hhmm = "23:59" if int(hour) >= _HOURS_A_DAY else f"{int(hour):02d}:{int(minute):02d}"
    except (TypeError, ValueError):
        hhmm = None
    return day, hhmm


def _place(record: RawRecord, sessions: list[Any]) -> bool:
    locations = [loc for s in sessions if isinstance(s, dict)
                 for loc in as_list(s.get("location")) if isinstance(loc, dict)]
    if not locations:
        return False
    location = locations[0]
    distinct = {(loc.get("address"), loc.get("latitude")) for loc in locations}
    if len(distinct) > 1:
        record.warnings.append(f"{len(distinct)} session locations: the first used")
    address = first_present(location, "address", "name")
    postcode = None
    if isinstance(address, str):
        found = find_postcode(address)
        postcode = found.text if found else (address if is_postcode(address) else None)
    if location.get("geometry") is not None and location.get("latitude") is None:
        record.warnings.append("location geometry ignored: give latitude/longitude")
    record.data |= {
        "lat": clean(location.get("latitude")),
        "lon": clean(location.get("longitude")),
        "address": address,
        "postcode": postcode,
    }
    return True
