"""Great-circle distances on one sphere, and the helpers that bound them.

One distance model everywhere (ARCHITECTURE.md): a sphere of radius 6371.0088 km (the IUGG
mean radius). Both store backends compute final distances with :func:`haversine_km`, so they
give bit-identical answers.
"""

from __future__ import annotations

import math
from typing import TYPE_CHECKING

import numpy as np

from geo.errors import InvalidCoordinateError

if TYPE_CHECKING:
    from numpy.typing import ArrayLike
    from numpy.typing import NDArray

EARTH_RADIUS_KM = 6371.0088
"""Mean Earth radius (IUGG) in kilometres."""

MAX_LAT = 90.0
MAX_LON = 180.0


def validate_latlon(lat: float, lon: float, *, name: str = "location") -> tuple[float, float]:
    """Return ``(lat, lon)`` as floats, or raise a clear error.

    Parameters
    ----------
    lat, lon
        Degrees WGS84.
    name
        What the coordinate is, for the message.

    Returns
    -------
    tuple of float
        ``(lat, lon)``.

    Raises
    ------
    InvalidCoordinateError
        When either value is not a finite number or is out of range.

    Examples
    --------
    >>> validate_latlon("53.48", -2.24)
    (53.48, -2.24)
    """
    try:
        flat, flon = float(lat), float(lon)
    except (TypeError, ValueError):
        msg = f"{name}: latitude/longitude must be numbers, got lat={lat!r}, lon={lon!r}"
        raise InvalidCoordinateError(msg) from None
    if not (math.isfinite(flat) and math.isfinite(flon)):
        msg = f"{name}: latitude/longitude must be finite, got lat={lat!r}, lon={lon!r}"
        raise InvalidCoordinateError(msg)
    if not -MAX_LAT <= flat <= MAX_LAT:
        msg = f"{name}: latitude must be between -90 and 90, got {lat!r}"
        raise InvalidCoordinateError(msg)
    if not -MAX_LON <= flon <= MAX_LON:
        msg = f"{name}: longitude must be between -180 and 180, got {lon!r}"
        raise InvalidCoordinateError(msg)
    return flat, flon


def haversine_km(
    lat1: ArrayLike, lon1: ArrayLike, lat2: ArrayLike, lon2: ArrayLike
) -> NDArray[np.float64]:
    """Great-circle distance in kilometres, vectorised with numpy broadcasting.

    Parameters
    ----------
    lat1, lon1, lat2, lon2
        Degrees WGS84; scalars or arrays that broadcast together.

    Returns
    -------
    numpy.ndarray
        Distances in km (a 0-d array for scalar input).

    Examples
    --------
    >>> round(float(haversine_km(53.4808, -2.2426, 53.4084, -2.9916)), 1)  # Manchester-Liverpool
    50.3
    """
    phi1 = np.radians(np.asarray(lat1, dtype=np.float64))
    phi2 = np.radians(np.asarray(lat2, dtype=np.float64))
    dphi = phi2 - phi1
    dlmb = np.radians(np.asarray(lon2, dtype=np.float64) - np.asarray(lon1, dtype=np.float64))
    a = np.sin(dphi / 2.0) ** 2 + np.cos(phi1) * np.cos(phi2) * np.sin(dlmb / 2.0) ** 2
    km: NDArray[np.float64] = 2.0 * EARTH_RADIUS_KM * np.arcsin(np.sqrt(np.clip(a, 0.0, 1.0)))
    return km


def unit_vectors(lat: ArrayLike, lon: ArrayLike) -> NDArray[np.float64]:
    """Points on the unit sphere, shape ``(n, 3)``, for chord-length indexing.

    Examples
    --------
    >>> unit_vectors([0.0], [0.0]).round(6).tolist()
    [[1.0, 0.0, 0.0]]
    """
    phi = np.radians(np.asarray(lat, dtype=np.float64))
    lmb = np.radians(np.asarray(lon, dtype=np.float64))
    cos_phi = np.cos(phi)
    return np.column_stack((cos_phi * np.cos(lmb), cos_phi * np.sin(lmb), np.sin(phi)))


def chord_from_km(distance_km: float) -> float:
    """Chord length on the unit sphere for a great-circle distance in km.

    Examples
    --------
    >>> round(chord_from_km(math.pi * EARTH_RADIUS_KM), 6)
    2.0
    """
    angle = min(max(distance_km, 0.0) / EARTH_RADIUS_KM, math.pi)
    return 2.0 * math.sin(angle / 2.0)


def km_from_chord(chord: ArrayLike) -> NDArray[np.float64]:
    """Great-circle distance in km for chord lengths on the unit sphere.

    Examples
    --------
    >>> round(float(km_from_chord(chord_from_km(12.5))), 9)
    12.5
    """
    c = np.clip(np.asarray(chord, dtype=np.float64), 0.0, 2.0)
    return 2.0 * EARTH_RADIUS_KM * np.arcsin(c / 2.0)


def bounding_boxes(
    latlon: tuple[float, float], radius_km: float
) -> list[tuple[float, float, float, float]]:
    """Lon/lat boxes ``(west, south, east, north)`` that contain a spherical cap.

    The boxes are a conservative pre-filter (a database index can use them); callers still
    cut on :func:`haversine_km`. A cap that crosses the antimeridian gives two boxes; one
    that reaches a pole gives a full band of longitude.

    Parameters
    ----------
    latlon
        Centre ``(lat, lon)`` in degrees.
    radius_km
        Cap radius in km.

    Returns
    -------
    list of tuple
        One or two boxes.

    Examples
    --------
    >>> [tuple(round(v, 3) for v in b) for b in bounding_boxes((0.0, 0.0), 111.195)]
    [(-1.0, -1.0, 1.0, 1.0)]
    """
    lat, lon = validate_latlon(*latlon)
    # A hair of slack so that float rounding never drops a point on the boundary.
    angle = (max(radius_km, 0.0) / EARTH_RADIUS_KM) * (1.0 + 1e-9) + 1e-12
    if angle >= math.pi:
        return [(-180.0, -90.0, 180.0, 90.0)]
    dlat = math.degrees(angle)
    south, north = lat - dlat, lat + dlat
    if north >= MAX_LAT or south <= -MAX_LAT:
        return [(-MAX_LON, max(south, -MAX_LAT), MAX_LON, min(north, MAX_LAT))]
    # Longitude half-width of a cap (exact: max over the cap of the longitude offset).
    dlon = math.degrees(math.asin(min(1.0, math.sin(angle) / math.cos(math.radians(lat)))))
    west, east = lon - dlon, lon + dlon
    if west < -MAX_LON:
        return [(west + 360.0, south, MAX_LON, north), (-MAX_LON, south, east, north)]
    if east > MAX_LON:
        return [(west, south, MAX_LON, north), (-MAX_LON, south, east - 360.0, north)]
    return [(west, south, east, north)]
