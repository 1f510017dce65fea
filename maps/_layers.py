"""Layer helpers: point layers that stay small with national data, catchments, hexagons."""

from __future__ import annotations

import functools
import itertools
import json
import secrets
from typing import TYPE_CHECKING
from typing import Any

import folium
import numpy as np
import shapely
from branca.element import MacroElement
from folium.plugins import FastMarkerCluster
from jinja2.utils import htmlsafe_json_dumps

from geo.projection import bng_to_lonlat
from geo.projection import lonlat_to_bng
from maps._common import DEFAULT_CLUSTER_FROM
from maps._common import SHAPES
from maps._common import Popup
from maps._common import marker_html

if TYPE_CHECKING:
    from collections.abc import Sequence

#: Rounding of coordinates written into a map: 5 decimals of a degree is about 1 m.
COORD_DECIMALS = 5


class Point:
    """One marker: position, colour, size, shape and the (escaped) texts it shows.

    ``shape`` is one of :data:`maps._common.SHAPES`: ``circle`` is drawn on the canvas
    (sized by ``radius``), the others are small HTML markers ``2 * radius`` pixels wide;
    ``numbered`` shows ``label`` inside a disc. Every marker opens a popup on tap or click
    (``popup``, or else ``tooltip``), so that names do not depend on hovering.

    Markers are pointer targets only, not keyboard stops (Leaflet's ``keyboard: false``): a
    map of a few hundred places would otherwise be hundreds of unnamed, overlapping tab
    stops. Every page that shows a map lists the same places as text with their links, the
    equivalent that WCAG 2.2's target-size criterion (2.5.8) and keyboard users rely on.
    """

    __slots__ = ("colour", "label", "lat", "lon", "popup", "radius", "shape", "tooltip")

    def __init__(self, lat: float, lon: float, *, tooltip: str, popup: str | None = None,
                 colour: str = "#3388ff", radius: float = 5.0, shape: str = "circle",
                 label: str = "") -> None:
        if shape not in SHAPES:
            msg = f"shape must be one of {', '.join(SHAPES)}, got {shape!r}"
            raise ValueError(msg)
        self.lat, self.lon = float(lat), float(lon)
        self.tooltip, self.popup = tooltip, popup
        self.colour, self.radius = colour, float(radius)
        self.shape, self.label = shape, label


def marker(p: Point) -> folium.Marker | folium.CircleMarker:
    """The folium marker of one point (see :class:`Point`)."""
    location = (round(p.lat, COORD_DECIMALS), round(p.lon, COORD_DECIMALS))
    if p.shape == "circle":
        drawn: folium.Marker | folium.CircleMarker = folium.CircleMarker(
            location=location, radius=p.radius, color=p.colour, weight=1, fill=True,
            fill_color=p.colour, fill_opacity=0.8, tooltip=folium.Tooltip(p.tooltip))
    else:
        size = max(10, round(2 * p.radius))
        drawn = folium.Marker(location=location, tooltip=folium.Tooltip(p.tooltip),
                              keyboard=False, icon=folium.DivIcon(
                                  html=marker_html(p.colour, shape=p.shape, label=p.label),
                                  icon_size=(size, size), icon_anchor=(size // 2, size // 2),
                                  class_name=f"cg-mk cg-{p.shape}"))
    Popup(p.popup or p.tooltip).add_to(drawn)
    return drawn


def point_layer(
    points: Sequence[Point], *, name: str, show: bool = True,
    cluster_from: int = DEFAULT_CLUSTER_FROM, colour: str = "#3388ff", shape: str = "circle",
) -> folium.FeatureGroup | FastMarkerCluster:
    """A layer of markers; clustered past ``cluster_from`` points.

    Up to ``cluster_from`` points each marker is its own (:func:`marker`). Past it the layer
    is a :class:`folium.plugins.FastMarkerCluster`: one compact array of
    ``[lat, lon, text]`` rows turned into clustered markers of one ``colour`` and ``shape``
    in the browser (the text as tooltip and popup), so that 20,000 meetings stay a few
    hundred kilobytes.
    """
    if len(points) > cluster_from:
        rows = [[round(p.lat, COORD_DECIMALS), round(p.lon, COORD_DECIMALS), p.tooltip]
                for p in points]
        if shape == "circle":
            make = ("L.circleMarker(new L.LatLng(row[0], row[1]),"
                    f" {{radius: 5, color: {json.dumps(colour)}, weight: 1, fillOpacity: 0.8}})")
        else:
            icon = {"className": f"cg-mk cg-{shape}", "html": marker_html(colour, shape=shape),
                    "iconSize": [10, 10]}
            make = (f"L.marker(new L.LatLng(row[0], row[1]), {{icon: L.divIcon("
                    f"{json.dumps(icon)}), keyboard: false}})")
        callback = (f"function (row) {{ var marker = {make};"
                    " marker.bindTooltip(row[2]); marker.bindPopup(row[2]); return marker; }")
        return FastMarkerCluster(rows, callback=callback, name=name, show=show)
    group = folium.FeatureGroup(name=name, show=show)
    MarkerBatch(points).add_to(group)
    return group


_CIRCLE_OPTIONS = {"bubblingMouseEvents": True, "dashArray": None, "dashOffset": None,
                   "fill": True, "fillOpacity": 0.8, "fillRule": "evenodd", "lineCap": "round",
                   "lineJoin": "round", "opacity": 1.0, "stroke": True, "weight": 1}
_ids = itertools.count()


class MarkerBatch(MacroElement):
    """The markers of many points, written as :func:`marker` would write each, in one element.

    The script is the one folium writes for a :func:`marker` per point (the same Leaflet
    calls, options, tooltip, popup and icon, in the same order), but it is formatted here in
    one pass: folium builds and renders about ten elements per marker (each with a random
    id), which made a map of a few hundred places take most of a second to draw.
    """

    def __init__(self, points: Sequence[Point]) -> None:
        super().__init__()
        self._name = "MarkerBatch"
        self.points = list(points)

    def render(self, **kwargs: Any) -> None:
        """Add the markers' script to the figure (as folium's elements do)."""
        figure = self.get_root()
        parent = self._parent.get_name() if self._parent is not None else "map"
        prefix = secrets.token_hex(8)
        parts = [_marker_script(p, parent, f"{prefix}{next(_ids):016x}") for p in self.points]
        figure.script.add_child(  # type: ignore[attr-defined]
            folium.Element("\n".join(parts)), name=self.get_name())


def _marker_script(p: Point, parent: str, uid: str) -> str:
    """The script folium writes for :func:`marker` of ``p`` (``uid`` makes the names unique)."""
    location = json.dumps([round(p.lat, COORD_DECIMALS), round(p.lon, COORD_DECIMALS)])
    popup = (p.popup or p.tooltip).replace("\n", " ")
    if p.shape == "circle":
        name = f"circle_marker_{uid}"
        options = json.dumps({**_CIRCLE_OPTIONS, "color": p.colour, "fillColor": p.colour,
                              "radius": p.radius}, sort_keys=True)
        head = f"var {name} = L.circleMarker(\n    {location},\n    {options}\n).addTo({parent});"
        icon = tail = ""
    else:
        name = f"marker_{uid}"
        size = max(10, round(2 * p.radius))
        head = (f"var {name} = L.marker(\n    {location},\n    {{\n  \"keyboard\": false,\n}}\n"
                f").addTo({parent});")
        icon_options = htmlsafe_json_dumps(
            {"html": marker_html(p.colour, shape=p.shape, label=p.label),
             "iconSize": [size, size], "iconAnchor": [size // 2, size // 2],
             "className": f"cg-mk cg-{p.shape}"})
        icon = f"\nvar div_icon_{uid} = L.divIcon({icon_options});"
        tail = f"\n{name}.setIcon(div_icon_{uid});"
    return (f"{head}{icon}\n{name}.bindTooltip(\n    `<div>\n         {p.tooltip}\n     </div>`,"
            f"\n    {{\n  \"sticky\": true,\n}}\n);"
            f"\nvar popup_{uid} = L.popup({{\n  \"maxWidth\": 320,\n}});"
            f"\npopup_{uid}.setContent(`{popup}`);\n{name}.bindPopup(popup_{uid});{tail}")


def _round_coords(value: Any) -> Any:
    if isinstance(value, (list, tuple)):
        if value and isinstance(value[0], (int, float)):
            return [round(float(v), COORD_DECIMALS) for v in value]
        return [_round_coords(v) for v in value]
    return value


def catchment_geojson(
    lat: Sequence[float], lon: Sequence[float], radius_km: float, *,
    simplify_m: float = 200.0,
) -> dict[str, Any] | None:
    """The area within ``radius_km`` of any of the points, as one simplified GeoJSON geometry.

    Buffers are drawn in British National Grid metres (EPSG:27700, where a buffer is a true
    circle to within 0.04 % over Great Britain), merged, simplified to ``simplify_m`` and
    turned back into WGS84 with 5-decimal coordinates.
    """
    lat_a, lon_a = np.asarray(lat, np.float64), np.asarray(lon, np.float64)
    if lat_a.size == 0:
        return None
    east, north = lonlat_to_bng(lon_a, lat_a)
    discs = shapely.buffer(shapely.points(east, north), radius_km * 1000.0, quad_segs=16)
    area = shapely.union_all(discs).simplify(simplify_m)

    def to_lonlat(xy: np.ndarray) -> np.ndarray:
        x, y = bng_to_lonlat(xy[:, 0], xy[:, 1])
        return np.column_stack((x, y))

    geometry = shapely.geometry.mapping(shapely.transform(area, to_lonlat))
    return {"type": geometry["type"], "coordinates": _round_coords(geometry["coordinates"])}


def hexagon_features(
    cells: Sequence[str], properties: Sequence[dict[str, Any]],
) -> dict[str, Any]:
    """A FeatureCollection of H3 cells (``id`` = the cell) with the given properties."""
    features = []
    for cell, props in zip(cells, properties, strict=True):
        features.append({"type": "Feature", "id": str(cell), "properties": props,
                         "geometry": {"type": "Polygon", "coordinates": [_ring(str(cell))]}})
    return {"type": "FeatureCollection", "features": features}


@functools.lru_cache(maxsize=65536)
def _ring(cell: str) -> list[list[float]]:
    """The closed outline of an H3 cell, ``[lon, lat]`` rounded (a cell never moves: kept).

    Shared by every map that draws the cell: treat it as read-only.
    """
    import h3  # noqa: PLC0415 - only hexagon layers need it (slow import)

    ring = [[round(lon, COORD_DECIMALS), round(lat, COORD_DECIMALS)]
            for lat, lon in h3.cell_to_boundary(cell)]
    ring.append(ring[0])
    return ring


__all__ = ["COORD_DECIMALS", "MarkerBatch", "Point", "catchment_geojson", "hexagon_features",
           "marker", "point_layer"]
