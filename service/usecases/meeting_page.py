"""What a meeting's page offers besides its facts: directions and a calendar entry.

Directions are links to route planners that take the meeting's point as the destination (the
peer's own start is asked by the planner, never sent by us). The calendar entry is a weekly
event (:mod:`service.usecases.calendar`) from the meeting's next start.
"""

from __future__ import annotations

import datetime as dt
from typing import TYPE_CHECKING
from typing import Any
from urllib.parse import urlencode

from service.usecases.calendar import weekly_event
from service.usecases.finder import next_start
from service.usecases.finder import starts_at

if TYPE_CHECKING:
    from collections.abc import Mapping

    from service.usecases.calendar import Event


def directions(meeting: Mapping[str, Any]) -> dict[str, str] | None:
    """Route-planner links to the meeting (``openstreetmap``, ``google``); ``None``: no point.

    Examples
    --------
    >>> directions({"lat": 53.5411, "lon": -2.6355})["openstreetmap"]
    'https://www.openstreetmap.org/directions?route=%3B53.54110%2C-2.63550'
    """
    if meeting.get("lat") is None or meeting.get("lon") is None:
        return None
    latlon = f"{float(meeting['lat']):.5f},{float(meeting['lon']):.5f}"
    return {
        "openstreetmap": "https://www.openstreetmap.org/directions?"
                         + urlencode({"route": f";{latlon}"}),
        "google": "https://www.google.com/maps/dir/?" + urlencode({"api": "1",
                                                                  "destination": latlon}),
    }


def _where(meeting: Mapping[str, Any]) -> str | None:
    parts = [str(meeting[k]) for k in ("venue", "address", "postcode") if meeting.get(k)]
    return ", ".join(parts) or None


def meeting_event(meeting: Mapping[str, Any], *, now: dt.datetime, url: str,
                  host: str = "commonground") -> Event | None:
    """The meeting as a weekly calendar event from its next start; ``None``: no day or time."""
    wait, _ = next_start(meeting, now)
    if wait is None:
        return None
    start = starts_at(now, wait)
    end = None
    if meeting.get("end_time") is not None:
        end = dt.datetime.combine(start.date(), meeting["end_time"])
    online = meeting.get("attendance") in ("online", "hybrid") and meeting.get("conference_url")
    phone = meeting.get("conference_phone") if meeting.get("attendance") != "in_person" else None
    description = "\n".join(filter(None, (
        f"Join online: {meeting['conference_url']}" if online else None,
        f"Join by phone: {phone}" if phone else None,
        str(meeting.get("notes") or "") or None, url)))
    return weekly_event(
        uid=f"meeting-{meeting['id']}@{host}", summary=str(meeting["name"]),
        start=start.replace(tzinfo=None), end=end, weekdays=meeting.get("weekdays") or (),
        location=_where(meeting) or (str(meeting["conference_url"]) if online else None),
        description=description or None, url=url,
        latlon=(float(meeting["lat"]), float(meeting["lon"]))
        if meeting.get("lat") is not None and meeting.get("attendance") != "online" else None)


__all__ = ["directions", "meeting_event"]
