"""What each field is called where people read about it: labels, and values as shown.

The rules of :mod:`domain.fields` and :mod:`domain.schedule` word their messages for people:
a message names the field by the label the forms show (``Finish time``, never ``end_time``),
shows the value as given, and says what to do. Ingest reports carry the column name beside
the message (the report's ``field``), so a file's author finds the column as well.
"""

from __future__ import annotations

from typing import Any

LABELS = {
    # needs (the partner form's labels)
    "title": "Title", "description": "Description", "interests": "Interests",
    "skills": "Skills", "weekdays": "Days", "start_time": "Start time",
    "end_time": "Finish time", "flexible": "Flexible times", "commitment": "Commitment",
    "accessibility": "Accessibility", "capacity": "Places", "places_taken": "Places taken",
    "status": "Status", "starts_on": "First day", "ends_on": "Last day",
    "postcode": "Postcode", "address": "Address", "lat": "Latitude", "lon": "Longitude",
    "lat,lon": "Latitude and longitude", "location": "Location",
    "location_from": "Where", "location_precision": "Location precision",
    "association": "Association", "association_name": "Association name",
    "association_category": "Association category",
    "association_postcode": "Association postcode",
    "association_website": "Association website", "association_id": "Association",
    # meetings
    "name": "Name", "venue": "Venue", "attendance": "Attendance",
    "conference_url": "Online meeting link", "conference_phone": "Dial-in number",
    "notes": "Notes", "active": "Active", "organisation": "Organisation",
    "region": "Region", "regions": "Regions", "types": "Meeting types",
    "location_notes": "Location notes", "group_name": "Group name",
    "timezone": "Time zone", "updated_at": "Last updated",
    "feed_extra": "Other Meeting Guide fields",
    # associations
    "category": "Category", "website": "Website", "contact_email": "Contact email",
    "contact_phone": "Contact phone", "charity_number": "Charity number",
    "opening_times": "Opening times", "source_id": "Id", "fields": "Fields",
    # the peer search and the meeting finder
    "days": "Days", "times": "Time of day",
}
"""Field -> the label people see."""


def label(name: str) -> str:
    """The label of a field: :data:`LABELS`, else its name in words.

    Examples
    --------
    >>> label("end_time"), label("entity_logo")
    ('Finish time', 'Entity logo')
    """
    found = LABELS.get(name)
    if found:
        return found
    words = str(name).replace("_", " ").replace(",", " and ").strip()
    return words[:1].upper() + words[1:]


def shown(value: Any, *, limit: int = 80) -> str:
    """A value as a message shows it: text in curly quotes (cut at ``limit``), else ``repr``.

    Examples
    --------
    >>> shown("31/02/2026"), shown(3)
    ('“31/02/2026”', '3')
    """
    if isinstance(value, str):
        text = value if len(value) <= limit else value[: limit - 1] + "…"
        return f"“{text}”"
    return repr(value)


__all__ = ["LABELS", "label", "shown"]
