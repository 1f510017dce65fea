"""The opportunities map: a search origin, its radius, the results by category, meetings."""

from __future__ import annotations

from typing import TYPE_CHECKING
from typing import Any

import folium

from geo.distance import validate_latlon
from maps._assets import titled
from maps._common import DEFAULT_CLUSTER_FROM
from maps._common import MEETING_COLOUR
from maps._common import ORIGIN_COLOUR
from maps._common import LayerList
from maps._common import Legend
from maps._common import base_map
from maps._common import category_colours
from maps._common import fit
from maps._common import fmt_km
from maps._common import present
from maps._common import text
from maps._layers import Point
from maps._layers import marker
from maps._layers import point_layer
from maps.coverage import _check_radius
from maps.coverage import records

if TYPE_CHECKING:
    from collections.abc import Mapping
    from collections.abc import Sequence

LAYER_NAMES = {"origin": "Search origin", "radius": "Search radius",
               "results": "Opportunities", "meetings": "Meetings"}


def _origin(origin: Mapping[str, Any] | Sequence[float]) -> tuple[float, float, str]:
    if isinstance(origin, dict) or hasattr(origin, "keys"):
        lat, lon = validate_latlon(origin["lat"], origin["lon"], name="origin")  # type: ignore[index]
        label = str(origin.get("label") or origin.get("name") or "Search origin")  # type: ignore[union-attr]
        return lat, lon, label
    lat, lon = validate_latlon(*origin, name="origin")  # type: ignore[misc]
    return lat, lon, "Search origin"


def _schedule(r: Mapping[str, Any]) -> str:
    value = r.get("schedule")
    if isinstance(value, dict):
        parts = [str(value.get(k)) for k in ("days", "times", "commitment") if value.get(k)]
        return "; ".join(parts) or ("flexible" if value.get("flexible") else "")
    return str(value) if present(value) else ""


def _approximate(r: Mapping[str, Any]) -> bool:
    if r.get("approximate") is not None:
        return bool(r["approximate"])
    precision = r.get("location_precision")
    return precision is not None and precision != "exact"


def popup_html(r: Mapping[str, Any], *, number: int | None = None) -> str:
    """The popup of one result: title, association, distance, reasons, schedule (escaped)."""
    reasons = r.get("reasons") or []
    parts = [f"<b>{'' if number is None else f'{number}. '}{text(r.get('title'))}</b>"]
    if present(r.get("association")):
        parts.append(text(r["association"]))
    if present(r.get("category")):
        parts.append(f"<i>{text(str(r['category']).replace('_', ' '))}</i>")
    if present(r.get("distance_km")):
        parts.append(f"{fmt_km(r['distance_km'])} away")
    schedule = _schedule(r)
    if schedule:
        parts.append(f"When: {text(schedule)}")
    if reasons:
        parts.append("<ul style='margin:4px 0;padding-left:16px'>"
                     + "".join(f"<li>{text(x)}</li>" for x in reasons) + "</ul>")
    if _approximate(r):
        parts.append("<small>approximate location</small>")
    return "<br>".join(parts)


def build_opportunities_map(
    origin: Mapping[str, Any] | Sequence[float], results: Sequence[Mapping[str, Any]],
    meetings: Any = None, *, radius_km: float, m: folium.Map | None = None,
    cluster_from: int = DEFAULT_CLUSTER_FROM,
) -> folium.Map:
    """Draw a search: its origin and radius, the opportunities found, nearby meetings.

    Parameters
    ----------
    origin
        ``{"lat", "lon", "label"}`` (as in the recommendations answer) or ``(lat, lon)``.
    results
        Opportunities: ``title``, ``association``, ``category``, ``distance_km``, ``lat``,
        ``lon`` and optionally ``reasons``, ``schedule`` (text or ``{"days", "times",
        "commitment"}``), ``location_precision`` or ``approximate``. Best first.
    meetings
        Meetings to show (``name``, ``lat``, ``lon``), a data frame or mappings.
    radius_km
        The search radius, drawn as a circle.
    m
        A map to add to (default: a new one).
    cluster_from
        Result and meeting layers past this size are clustered.

    Returns
    -------
    folium.Map
        The map, with a LayerControl and a legend of the categories shown.

    Examples
    --------
    >>> m = build_opportunities_map((53.48, -2.24), [{"title": "Towpath tidy", "lat": 53.49,
    ...     "lon": -2.25, "category": "waterway_trust", "distance_km": 1.3}], radius_km=5)
    >>> "Towpath tidy" in m.get_root().render()
    True
    """
    radius_km = _check_radius(radius_km)
    lat, lon, label = _origin(origin)
    m = titled(base_map(m), "Map of the opportunities found")
    rows = [r for r in records(results) if present(r.get("lat")) and present(r.get("lon"))]
    colours = category_colours(str(r.get("category") or "other") for r in rows)

    folium.Circle(location=(lat, lon), radius=radius_km * 1000.0, color=ORIGIN_COLOUR,
                  weight=1, fill=False, dash_array="4 4",
                  tooltip=folium.Tooltip(f"Search radius {radius_km:g} km")).add_to(
        folium.FeatureGroup(name=LAYER_NAMES["radius"]).add_to(m))
    origin_group = folium.FeatureGroup(name=LAYER_NAMES["origin"]).add_to(m)
    marker(Point(lat, lon, tooltip=text(label), colour=ORIGIN_COLOUR, radius=7.0)
           ).add_to(origin_group)

    meeting_rows = [r for r in records(meetings)
                    if present(r.get("lat")) and present(r.get("lon"))]
    if meeting_rows:
        point_layer([Point(r["lat"], r["lon"], tooltip=text(r.get("name") or "Meeting"),
                           colour=MEETING_COLOUR, radius=5.0, shape="square")
                     for r in meeting_rows],
                    name=LAYER_NAMES["meetings"], cluster_from=cluster_from,
                    colour=MEETING_COLOUR, shape="square").add_to(m)
    points = [
        Point(r["lat"], r["lon"], colour=colours[str(r.get("category") or "other")],
              radius=10.0, shape="numbered", label=str(i),
              tooltip=f"{i}. {text(r.get('title'))} ({fmt_km(r.get('distance_km'))})",
              popup=popup_html(r, number=i))
        for i, r in enumerate(rows, start=1)
    ]
    point_layer(points, name=LAYER_NAMES["results"], cluster_from=cluster_from,
                shape="numbered").add_to(m)

    LayerList(collapsed=False).add_to(m)
    items = [(ORIGIN_COLOUR, label, "circle")]
    items += [(colour, cat.replace("_", " "), "numbered") for cat, colour in colours.items()]
    if meeting_rows:
        items.append((MEETING_COLOUR, "ACT Peer Recovery meeting", "square"))
    Legend(f"Opportunities within {radius_km:g} km", items).add_to(m)
    lats = [lat] + [float(r["lat"]) for r in rows]
    lons = [lon] + [float(r["lon"]) for r in rows]
    # Show the whole search circle, not only the results.
    dlat = radius_km / 111.2
    fit(m, [*lats, lat - dlat, lat + dlat], [*lons, lon, lon])
    return m


__all__ = ["LAYER_NAMES", "build_opportunities_map", "popup_html"]
