"""WGS84 (EPSG:4326) <-> British National Grid (EPSG:27700), for planar work in metres."""

from __future__ import annotations

from functools import cache
from typing import TYPE_CHECKING

import numpy as np
from pyproj import Transformer

if TYPE_CHECKING:
    from numpy.typing import ArrayLike
    from numpy.typing import NDArray

WGS84 = "EPSG:4326"
BNG = "EPSG:27700"


@cache
def _transformer(src: str, dst: str) -> Transformer:
    # always_xy: (lon, lat) and (easting, northing), whatever the CRS axis order says.
    return Transformer.from_crs(src, dst, always_xy=True)


def lonlat_to_bng(
    lon: ArrayLike, lat: ArrayLike
) -> tuple[NDArray[np.float64], NDArray[np.float64]]:
    """Project WGS84 degrees to British National Grid eastings and northings (metres).

    Examples
    --------
    >>> e, n = lonlat_to_bng(-2.2426, 53.4808)  # Manchester
    >>> round(float(e), -2), round(float(n), -2)
    (384000.0, 398300.0)
    """
    e, n = _transformer(WGS84, BNG).transform(
        np.asarray(lon, dtype=np.float64), np.asarray(lat, dtype=np.float64)
    )
    return np.asarray(e), np.asarray(n)


def bng_to_lonlat(
    easting: ArrayLike, northing: ArrayLike
) -> tuple[NDArray[np.float64], NDArray[np.float64]]:
    """Unproject British National Grid metres to WGS84 ``(lon, lat)`` degrees.

    Examples
    --------
    >>> lon, lat = bng_to_lonlat(384200.0, 398200.0)
    >>> round(float(lon), 2), round(float(lat), 2)
    (-2.24, 53.48)
    """
    lon, lat = _transformer(BNG, WGS84).transform(
        np.asarray(easting, dtype=np.float64), np.asarray(northing, dtype=np.float64)
    )
    return np.asarray(lon), np.asarray(lat)


def transform_lonlat(
    x: ArrayLike, y: ArrayLike, *, src_crs: str, dst_crs: str = WGS84
) -> tuple[NDArray[np.float64], NDArray[np.float64]]:
    """Transform coordinates between any two CRSs, in x/y (lon/lat) order.

    Examples
    --------
    >>> lon, lat = transform_lonlat(384200.0, 398200.0, src_crs="EPSG:27700")
    >>> round(float(lat), 2)
    53.48
    """
    tx, ty = _transformer(src_crs, dst_crs).transform(
        np.asarray(x, dtype=np.float64), np.asarray(y, dtype=np.float64)
    )
    return np.asarray(tx), np.asarray(ty)
