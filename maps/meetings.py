"""The meeting finder's map: meetings coloured by how to attend, with escaped popups."""

from __future__ import annotations

from typing import TYPE_CHECKING
from typing import Any

import folium  # noqa: TC002 - the return type, documented

from maps._assets import titled
from maps._common import LayerList
from maps._common import Legend
from maps._common import base_map
from maps._common import fit
from maps._common import text
from maps._layers import Point
from maps._layers import point_layer
from maps.coverage import records

if TYPE_CHECKING:
    from collections.abc import Mapping

ATTENDANCE_COLOURS = {"in_person": "#0b5394", "hybrid": "#6a0dad", "online": "#2ca02c"}
ATTENDANCE_SHAPES = {"in_person": "square", "hybrid": "diamond", "online": "triangle"}
ATTENDANCE_LABELS = {"in_person": "In person", "hybrid": "Hybrid (in person and online)",
                     "online": "Online"}


def meeting_popup(r: Mapping[str, Any]) -> str:
    """Name, when, where and how to attend (all user text escaped)."""
    parts = [f"<b>{text(r.get('name'))}</b>"]
    if r.get("when"):
        parts.append(text(r["when"]))
    if r.get("venue"):
        parts.append(text(r["venue"]))
    parts.append(text(ATTENDANCE_LABELS.get(str(r.get("attendance")), r.get("attendance"))))
    if r.get("location_precision") not in (None, "exact"):
        parts.append("<small>approximate location</small>")
    return "<br>".join(parts)


def build_meetings_map(meetings: Any, *, m: folium.Map | None = None) -> folium.Map:
    """Draw meetings as points coloured by attendance, with a legend.

    Parameters
    ----------
    meetings
        Rows with ``lat``, ``lon``, ``name``, ``attendance`` and optionally ``when``,
        ``venue``, ``location_precision`` (a data frame or mappings); rows without a
        position (online meetings, say) are left off the map.
    m
        A map to add to (default: a new one).

    Returns
    -------
    folium.Map
        The map.

    Examples
    --------
    >>> m = build_meetings_map([{"name": "Tuesday <b>peers</b>", "lat": 53.5, "lon": -2.6,
    ...                          "attendance": "in_person"}])
    >>> "Tuesday &lt;b&gt;peers&lt;/b&gt;" in m.get_root().render()
    True
    """
    m = titled(base_map(m), "Map of meetings")
    rows = [r for r in records(meetings) if r.get("lat") is not None]
    by_attendance: dict[str, list[Point]] = {}
    for r in rows:
        kind = str(r.get("attendance") or "in_person")
        by_attendance.setdefault(kind, []).append(Point(
            r["lat"], r["lon"], colour=ATTENDANCE_COLOURS.get(kind, "#555555"), radius=6.0,
            tooltip=text(r.get("name")), popup=meeting_popup(r),
            shape=ATTENDANCE_SHAPES.get(kind, "circle")))
    for kind, points in by_attendance.items():
        point_layer(points, name=ATTENDANCE_LABELS.get(kind, kind),
                    colour=ATTENDANCE_COLOURS.get(kind, "#555555"),
                    shape=ATTENDANCE_SHAPES.get(kind, "circle")).add_to(m)
    LayerList(collapsed=True).add_to(m)
    Legend("ACT Peer Recovery meetings",
           [(ATTENDANCE_COLOURS[k], ATTENDANCE_LABELS[k], ATTENDANCE_SHAPES[k])
            for k in ATTENDANCE_COLOURS if k in by_attendance]).add_to(m)
    fit(m, [r["lat"] for r in rows], [r["lon"] for r in rows])
    return m


__all__ = ["build_meetings_map", "meeting_popup"]
