"""Service areas: where the programme's records may lie, to catch bad or swapped coordinates.

An ingest rejects a position outside its service area. Named areas cover the United Kingdom
(``GB``/``UK``, with the Isle of Man and the Channel Islands) and its four nations; ``world``
accepts everything; any other area is a ``"west,south,east,north"`` box in degrees.

The ``GB`` outline is deliberately coarse: a hand-drawn polygon (16 vertices) that holds every
active postcode district centroid and every GeoNames place of the UK, and keeps out France,
Belgium, the Netherlands and the Republic of Ireland south of Dundalk (the border counties
and Donegal are inside: a coarse line cannot follow the land border without cutting Northern
Ireland). The nations are plain bounding boxes, so they overlap at their borders.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from dataclasses import field
from typing import TYPE_CHECKING

import numpy as np
import shapely
from shapely.geometry import Polygon
from shapely.geometry import box

from geo.distance import MAX_LAT
from geo.distance import MAX_LON

if TYPE_CHECKING:
    from collections.abc import Sequence

# (lon, lat) vertices around Great Britain, Northern Ireland, the Isle of Man and the Channel
# Islands, running up the English Channel between the two coasts.
_GB_OUTLINE_LONLAT = (
    (-8.7, 49.8), (-2.8, 49.8), (-2.8, 49.1), (-2.0, 49.1), (-2.0, 49.85), (-1.2, 49.85),
    (0.5, 50.45), (1.2, 50.85), (1.5, 51.05), (1.9, 51.3), (1.9, 61.0), (-8.7, 61.0),
)
# The Republic of Ireland south of Dundalk: west of the Irish Sea, between Kinsale and Dundalk.
_IRELAND_CUT_WSEN = (-8.7, 51.35, -5.9, 53.95)

#: ``west, south, east, north`` of the named areas, in degrees.
_BOXES: dict[str, tuple[float, float, float, float]] = {
    "GB": (-8.7, 49.1, 1.9, 61.0),
    "england": (-6.5, 49.8, 1.8, 55.85),
    "scotland": (-8.7, 54.6, -0.7, 60.9),
    "wales": (-5.7, 51.35, -2.6, 53.45),
    "northern-ireland": (-8.2, 54.0, -5.4, 55.35),
    "world": (-MAX_LON, -MAX_LAT, MAX_LON, MAX_LAT),
}
_ALIASES = {"uk": "GB", "gb": "GB", "great-britain": "GB", "united-kingdom": "GB"}

#: The names :func:`service_area_from_text` accepts (case-insensitive).
AREA_NAMES = ("GB", "UK", "england", "scotland", "wales", "northern-ireland", "world")

_UK_AREAS = frozenset(("GB", "england", "scotland", "wales", "northern-ireland"))


@dataclass(frozen=True)
class ServiceArea:
    """A named region that positions must fall in.

    Attributes
    ----------
    name
        ``"GB"``, ``"england"``, ..., ``"world"``, or the box as given (``"-10,40,10,60"``).
    west, south, east, north
        The bounding box in degrees WGS84.
    polygon
        A finer outline (shapely, ``(lon, lat)`` coordinates) inside the box, or ``None``
        when the box is the area.
    uk_postcodes
        Whether postcodes in this area are UK postcodes (checked for syntax and geocoded):
        true for ``GB``/``UK`` and the four nations, false for ``world`` and boxes.

    Examples
    --------
    >>> area = service_area_from_text("GB")
    >>> area.contains(53.48, -2.24), area.contains(48.85, 2.35)
    (True, False)
    """

    name: str
    west: float
    south: float
    east: float
    north: float
    polygon: Polygon | None = field(default=None, compare=False, repr=False)
    uk_postcodes: bool = False

    def __post_init__(self) -> None:
        """Prepare the polygon for repeated point tests."""
        if self.polygon is not None:
            shapely.prepare(self.polygon)

    def contains(self, lat: float, lon: float) -> bool:
        """Whether ``(lat, lon)`` lies in the area (the boundary counts as inside).

        Parameters
        ----------
        lat, lon
            Degrees WGS84; anything that is not a finite number is outside.

        Returns
        -------
        bool
            True when inside.

        Examples
        --------
        >>> service_area_from_text("-10,40,10,60").contains(48.85, 2.35)
        True
        """
        try:
            flat, flon = float(lat), float(lon)
        except (TypeError, ValueError):
            return False
        if not (math.isfinite(flat) and math.isfinite(flon)):
            return False
        if not (self.south <= flat <= self.north and self.west <= flon <= self.east):
            return False
        if self.polygon is None:
            return True
        return bool(shapely.intersects_xy(self.polygon, flon, flat))

    def contains_many(self, lats: Sequence[float], lons: Sequence[float]) -> list[bool]:
        """:meth:`contains` for many points at once (one vectorised polygon test).

        Examples
        --------
        >>> service_area_from_text("GB").contains_many([53.48, 48.85], [-2.24, 2.35])
        [True, False]
        """
        lat = np.asarray(lats, dtype=float)
        lon = np.asarray(lons, dtype=float)
        with np.errstate(invalid="ignore"):
            inside = (np.isfinite(lat) & np.isfinite(lon) & (lat >= self.south)
                      & (lat <= self.north) & (lon >= self.west) & (lon <= self.east))
        if self.polygon is not None and inside.any():
            inside[inside] = shapely.intersects_xy(self.polygon, lon[inside], lat[inside])
        return [bool(v) for v in inside.tolist()]

    def describe(self) -> str:
        """The area for messages: its name and box.

        Examples
        --------
        >>> service_area_from_text("wales").describe()
        "'wales' (west,south,east,north = -5.7,51.35,-2.6,53.45)"
        """
        wsen = ",".join(f"{v:g}" for v in (self.west, self.south, self.east, self.north))
        shape = "an outline within " if self.polygon is not None else ""
        return f"{self.name!r} ({shape}west,south,east,north = {wsen})"


def _gb_polygon() -> Polygon:
    outline = Polygon(_GB_OUTLINE_LONLAT)
    cut = outline.difference(box(*_IRELAND_CUT_WSEN))
    if not isinstance(cut, Polygon):  # pragma: no cover - constant geometry
        msg = "the built-in GB outline must be one polygon"
        raise TypeError(msg)
    return cut


def _named(key: str, display: str) -> ServiceArea:
    west, south, east, north = _BOXES[key]
    polygon = _gb_polygon() if key == "GB" else None
    return ServiceArea(display, west, south, east, north, polygon, uk_postcodes=key in _UK_AREAS)


def _parse_box(text: str) -> ServiceArea:
    parts = [p.strip() for p in text.split(",")]
    allowed = ", ".join(repr(n) for n in AREA_NAMES)
    if len(parts) != 4:  # noqa: PLR2004 - west, south, east, north
        msg = (f"service area {text!r} is neither a named area ({allowed}) nor a box "
               "'west,south,east,north' in degrees, such as '-8.65,49.8,1.8,60.9'")
        raise ValueError(msg)
    try:
        west, south, east, north = (float(p) for p in parts)
    except ValueError:
        msg = (f"service area {text!r}: the box 'west,south,east,north' must be four numbers "
               "in degrees, such as '-8.65,49.8,1.8,60.9'")
        raise ValueError(msg) from None
    problems = []
    if not all(math.isfinite(v) for v in (west, south, east, north)):
        problems.append("every value must be a finite number")
    if not (-MAX_LON <= west <= MAX_LON and -MAX_LON <= east <= MAX_LON):
        problems.append("west and east must be longitudes between -180 and 180")
    if not (-MAX_LAT <= south <= MAX_LAT and -MAX_LAT <= north <= MAX_LAT):
        problems.append("south and north must be latitudes between -90 and 90")
    if not west < east:
        problems.append(f"west ({west:g}) must be less than east ({east:g})")
    if not south < north:
        problems.append(f"south ({south:g}) must be less than north ({north:g})")
    if problems:
        msg = (f"service area {text!r} is not a valid box 'west,south,east,north': "
               f"{'; '.join(problems)}")
        raise ValueError(msg)
    name = ",".join(f"{v:g}" for v in (west, south, east, north))
    return ServiceArea(name, west, south, east, north)


def service_area_from_text(text: str) -> ServiceArea:
    """The service area named or boxed by ``text``.

    Parameters
    ----------
    text
        A named area (``GB``, ``UK``, ``england``, ``scotland``, ``wales``,
        ``northern-ireland``, ``world``; any case, spaces or underscores for hyphens) or a box
        ``"west,south,east,north"`` in degrees. A box may not cross the antimeridian.

    Returns
    -------
    ServiceArea
        The area.

    Raises
    ------
    ValueError
        When the text is neither, listing the named areas and the box format.

    Examples
    --------
    >>> service_area_from_text("UK").name
    'UK'
    >>> service_area_from_text("-10, 40, 10, 60").describe()
    "'-10,40,10,60' (west,south,east,north = -10,40,10,60)"
    """
    raw = str(text).strip()
    key = "-".join(raw.replace("_", " ").replace("-", " ").lower().split())
    if key in _ALIASES:
        return _named("GB", raw.upper() if key in ("uk", "gb") else "GB")
    if key in _BOXES:
        return _named(key, key)
    if "," in raw:
        return _parse_box(raw)
    allowed = ", ".join(repr(n) for n in AREA_NAMES)
    msg = (f"service area {raw!r} is unknown: use one of {allowed} or a box "
           "'west,south,east,north' in degrees, such as '-8.65,49.8,1.8,60.9'")
    raise ValueError(msg)


def looks_swapped(lat: float, lon: float, area: ServiceArea) -> bool:
    """Whether ``(lat, lon)`` lies outside ``area`` but ``(lon, lat)`` would lie inside.

    Parameters
    ----------
    lat, lon
        The position as given.
    area
        The service area.

    Returns
    -------
    bool
        True when the values were most likely given in the wrong order.

    Examples
    --------
    >>> gb = service_area_from_text("GB")
    >>> looks_swapped(-2.24, 53.48, gb), looks_swapped(53.48, -2.24, gb)
    (True, False)
    """
    return not area.contains(lat, lon) and area.contains(lon, lat)
