"""Pure geography: distances, projections, a spatial index, postcodes and the gazetteer.

Imports nothing of ours. Coordinates are WGS84 degrees; the order is in every name
(``latlon`` or ``lonlat``), never a bare ``point`` tuple.
"""

from __future__ import annotations

from geo.distance import EARTH_RADIUS_KM
from geo.distance import haversine_km
from geo.errors import GeoError
from geo.errors import InvalidCoordinateError
from geo.errors import InvalidPostcodeError
from geo.errors import PlaceNotFoundError
from geo.index import PointIndex

__all__ = [
    "EARTH_RADIUS_KM",
    "GeoError",
    "InvalidCoordinateError",
    "InvalidPostcodeError",
    "PlaceNotFoundError",
    "PointIndex",
    "haversine_km",
]
