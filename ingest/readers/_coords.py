"""Coordinates for readers: British National Grid columns, and one point per geometry.

Polygons and lines become their centroid. Inside Great Britain the centroid is taken in
British National Grid metres (EPSG:27700), where it is a true planar centroid; elsewhere in
the geometry's own projected CRS, or in plain degrees for geographic data outside GB.
"""

from __future__ import annotations

import math
from typing import TYPE_CHECKING
from typing import Any

import numpy as np
import shapely
from pyproj import CRS
from pyproj.exceptions import CRSError

from geo.projection import BNG
from geo.projection import WGS84
from geo.projection import bng_to_lonlat
from geo.projection import transform_lonlat
from ingest.records import IngestError

if TYPE_CHECKING:
    from collections.abc import Sequence

    from numpy.typing import NDArray

    from ingest.records import RawRecord

#: (min lon, min lat, max lon, max lat) of Great Britain and Northern Ireland, generously.
GB_LONLAT_BOUNDS = (-9.0, 49.0, 2.5, 61.5)
_POINT = 0  # shapely.GeometryType.POINT


def bng_records_to_lonlat(records: Sequence[RawRecord]) -> None:
    """Fill lat/lon from ``_easting``/``_northing`` helper keys when a record has neither.

    Records whose easting/northing are not numbers keep no coordinates and get a warning.
    """
    todo: list[tuple[RawRecord, float, float]] = []
    for record in records:
        easting, northing = record.data.get("_easting"), record.data.get("_northing")
        if easting is None and northing is None:
            continue
        if record.data.get("lat") is not None or record.data.get("lon") is not None:
            continue
        try:
            todo.append((record, float(easting), float(northing)))
        except (TypeError, ValueError):
            record.warnings.append(
                f"easting/northing {easting!r}, {northing!r} are not numbers: no coordinates taken"
            )
    if not todo:
        return
    lon, lat = bng_to_lonlat([t[1] for t in todo], [t[2] for t in todo])
    for (record, _, _), x, y in zip(todo, lon.tolist(), lat.tolist(), strict=True):
        if math.isfinite(x) and math.isfinite(y):
            record.data["lat"], record.data["lon"] = round(y, 7), round(x, 7)
            record.warnings.append("coordinates converted from British National Grid "
                                   "(EPSG:27700) easting/northing")


def parse_crs(value: Any, *, where: str) -> CRS:
    """A :class:`pyproj.CRS` from what a file names, or an :class:`IngestError` naming it."""
    try:
        return CRS.from_user_input(value)
    except (CRSError, TypeError, ValueError):
        msg = f"{where}: cannot understand the coordinate reference system {value!r}"
        raise IngestError(msg) from None


def is_wgs84(crs: CRS) -> bool:
    """Whether ``crs`` is WGS84 degrees (EPSG:4326 or OGC CRS84, whatever the axis order)."""
    return crs.equals(CRS.from_epsg(4326), ignore_axis_order=True) or crs.equals(
        CRS.from_user_input("OGC:CRS84"), ignore_axis_order=True
    )


def _to(arr: NDArray[Any], src: str, dst: str) -> NDArray[Any]:
    def reproject(coords: NDArray[np.float64]) -> NDArray[np.float64]:
        x, y = transform_lonlat(coords[:, 0], coords[:, 1], src_crs=src, dst_crs=dst)
        return np.column_stack([x, y])

    return shapely.transform(arr, reproject)


def lonlat_of_geometries(
    geometries: Sequence[Any], crs: CRS
) -> tuple[list[float | None], list[float | None], list[str | None]]:
    """One WGS84 point per geometry: points as they are, other shapes by their centroid.

    Parameters
    ----------
    geometries
        Shapely geometries (``None`` or empty for "no geometry").
    crs
        Their coordinate reference system.

    Returns
    -------
    tuple
        ``(lons, lats, notes)``: ``None`` where there is no geometry; a note such as
        ``"geometry was Polygon: centroid used"`` where a centroid stood in.
    """
    arr = np.empty(len(geometries), dtype=object)
    arr[:] = list(geometries)
    missing = shapely.is_missing(arr) | shapely.is_empty(arr)
    arr[missing] = None
    type_ids = shapely.get_type_id(arr)
    shaped = ~missing & (type_ids != _POINT)
    type_names = {i: arr[i].geom_type for i in np.flatnonzero(shaped).tolist()}
    src = crs.to_string()
    if crs.is_projected:
        arr[shaped] = shapely.centroid(arr[shaped])
        arr = _to(arr, src, WGS84)
    else:
        if not is_wgs84(crs):
            arr = _to(arr, src, WGS84)
        minx, miny, maxx, maxy = shapely.bounds(arr).T
        lo_x, lo_y, hi_x, hi_y = GB_LONLAT_BOUNDS
        in_gb = shaped & (minx >= lo_x) & (miny >= lo_y) & (maxx <= hi_x) & (maxy <= hi_y)
        if in_gb.any():
            arr[in_gb] = _to(shapely.centroid(_to(arr[in_gb], WGS84, BNG)), BNG, WGS84)
        elsewhere = shaped & ~in_gb
        arr[elsewhere] = shapely.centroid(arr[elsewhere])
    lons: list[float | None] = [None] * len(arr)
    lats: list[float | None] = [None] * len(arr)
    notes: list[str | None] = [None] * len(arr)
    xs, ys = shapely.get_x(arr), shapely.get_y(arr)
    for i in np.flatnonzero(~missing).tolist():
        x, y = float(xs[i]), float(ys[i])
        if math.isfinite(x) and math.isfinite(y):
            lons[i], lats[i] = round(x, 7), round(y, 7)
        if shaped[i]:
            notes[i] = f"geometry was {type_names[i]}: centroid used"
    return lons, lats, notes
