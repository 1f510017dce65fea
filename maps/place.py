"""A map of one place: an opportunity or a meeting on its own page."""

from __future__ import annotations

import folium

from geo.distance import validate_latlon
from maps._assets import titled
from maps._common import Popup
from maps._common import base_map
from maps._common import text


def build_place_map(
    latlon: tuple[float, float], *, label: str, approximate: bool = False,
    m: folium.Map | None = None, zoom: int = 14,
) -> folium.Map:
    """One marker at ``latlon`` with an escaped tooltip, centred and zoomed in.

    Parameters
    ----------
    latlon
        ``(lat, lon)`` in degrees.
    label
        What the place is (user text: escaped here).
    approximate
        Draw a circle of about 1 km instead of a pin, and say "approximate location".
    m
        A map to add to (default: a new one).
    zoom
        Initial zoom.

    Returns
    -------
    folium.Map
        The map.

    Examples
    --------
    >>> html = build_place_map((53.54, -2.63), label="<b>Towpath</b>").get_root().render()
    >>> "&lt;b&gt;Towpath&lt;/b&gt;" in html
    True
    """
    lat, lon = validate_latlon(*latlon, name="place")
    m = titled(base_map(m), "Map of the place")
    tooltip = text(label) + (" (approximate location)" if approximate else "")
    if approximate:
        drawn = folium.Circle(location=(lat, lon), radius=1000.0, color="#0b5e55", weight=2,
                              fill=True, fill_opacity=0.15, tooltip=tooltip)
    else:
        drawn = folium.CircleMarker(location=(lat, lon), radius=9, color="#0b5e55", weight=3,
                                    fill=True, fill_color="#ffffff", fill_opacity=1.0,
                                    tooltip=tooltip)
    Popup(tooltip).add_to(drawn)
    drawn.add_to(m)
    m.location = [lat, lon]
    m.options["zoom"] = zoom
    return m
