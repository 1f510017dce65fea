"""Layer helpers: point layers that stay small with national data, catchments, hexagons."""

from __future__ import annotations

import json
from typing import TYPE_CHECKING
from typing import Any

import folium
import numpy as np
import shapely
from folium.plugins import FastMarkerCluster

from geo.projection import bng_to_lonlat
from geo.projection import lonlat_to_bng
from maps._common import DEFAULT_CLUSTER_FROM

if TYPE_CHECKING:
    from collections.abc import Sequence

#: Rounding of coordinates written into a map: 5 decimals of a degree is about 1 m.
COORD_DECIMALS = 5


class Point:
    """One circle marker: position, colour, size and the (escaped) texts it shows."""

    __slots__ = ("colour", "lat", "lon", "popup", "radius", "tooltip")

    def __init__(self, lat: float, lon: float, *, tooltip: str, popup: str | None = None,
                 colour: str = "#3388ff", radius: float = 5.0) -> None:
        self.lat, self.lon = float(lat), float(lon)
        self.tooltip, self.popup = tooltip, popup
        self.colour, self.radius = colour, float(radius)


def point_layer(
    points: Sequence[Point], *, name: str, show: bool = True,
    cluster_from: int = DEFAULT_CLUSTER_FROM, colour: str = "#3388ff",
) -> folium.FeatureGroup | FastMarkerCluster:
    """A layer of circle markers; clustered past ``cluster_from`` points.

    Up to ``cluster_from`` points each marker is its own circle with tooltip and popup. Past
    it the layer is a :class:`folium.plugins.FastMarkerCluster`: one compact array of
    ``[lat, lon, tooltip]`` rows turned into clustered circles in the browser (one colour,
    ``colour``; tooltips only), so that 20,000 meetings stay a few hundred kilobytes.
    """
    if len(points) > cluster_from:
        rows = [[round(p.lat, COORD_DECIMALS), round(p.lon, COORD_DECIMALS), p.tooltip]
                for p in points]
        callback = (
            "function (row) {"
            " var marker = L.circleMarker(new L.LatLng(row[0], row[1]),"
            f" {{radius: 5, color: {json.dumps(colour)}, weight: 1, fillOpacity: 0.8}});"
            " marker.bindTooltip(row[2]); return marker; }"
        )
        return FastMarkerCluster(rows, callback=callback, name=name, show=show)
    group = folium.FeatureGroup(name=name, show=show)
    for p in points:
        folium.CircleMarker(
            location=(round(p.lat, COORD_DECIMALS), round(p.lon, COORD_DECIMALS)),
            radius=p.radius, color=p.colour, weight=1, fill=True, fill_color=p.colour,
            fill_opacity=0.8, tooltip=folium.Tooltip(p.tooltip),
            popup=folium.Popup(p.popup, max_width=320) if p.popup else None,
        ).add_to(group)
    return group


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
    import h3  # noqa: PLC0415 - only hexagon layers need it (slow import)

    features = []
    for cell, props in zip(cells, properties, strict=True):
        ring = [[round(lon, COORD_DECIMALS), round(lat, COORD_DECIMALS)]
                for lat, lon in h3.cell_to_boundary(str(cell))]
        ring.append(ring[0])
        features.append({"type": "Feature", "id": str(cell), "properties": props,
                         "geometry": {"type": "Polygon", "coordinates": [ring]}})
    return {"type": "FeatureCollection", "features": features}


__all__ = ["COORD_DECIMALS", "Point", "catchment_geojson", "hexagon_features", "point_layer"]
