"""Postcode reference tables: full postcodes and district centroids for offline geocoding.

Reads the ONS Postcode Directory (``pcds``/``lat``/``long``), Code-Point Open (no header;
eastings/northings reprojected from British National Grid), simple ``postcode,lat,lon`` or
``postcode,lon,lat`` files, and districts tables (``Postcode`` = outward code, ``Latitude``,
``Longitude``, ``Active postcodes``). Postcode data is licensed OGL v3 ("Contains OS data ©
Crown copyright and database right; Contains Royal Mail data © Royal Mail copyright and
database right; Contains National Statistics data © Crown copyright and database right").
"""

from __future__ import annotations

import csv
import math
import re
from collections import Counter
from pathlib import Path
from typing import TYPE_CHECKING
from typing import Any

import numpy as np

from geo.distance import unit_vectors
from geo.errors import InvalidPostcodeError
from geo.postcode import POSTCODE_AREAS
from geo.postcode import Postcode
from geo.postcode import parse_postcode
from geo.projection import bng_to_lonlat

if TYPE_CHECKING:
    from collections.abc import Iterable
    from collections.abc import Mapping
    from collections.abc import Sequence

    from numpy.typing import ArrayLike

NOT_A_POSTCODE = "not a postcode"
NO_COORDINATES = "no coordinates"
INACTIVE = "inactive or non-geographic district"
# Code-Point Open positional quality 90: no coordinates.
_CODEPOINT_NO_COORDS = 90
_NORMAL_FULL_RE = re.compile(r"([A-Z]{1,2})[0-9][A-Z0-9]? [0-9][A-Z]{2}")
_POSTCODE_COLUMNS = ("pcds", "pcd", "pcd2", "postcode", "post code", "postcode district",
                     "district", "outward code")
_LAT_COLUMNS = ("lat", "latitude")
_LON_COLUMNS = ("long", "lon", "longitude", "lng")
_EASTING_COLUMNS = ("easting", "eastings", "oseast1m")
_DOOGAL_COLUMNS = ("grid ref", "grid reference", "in use?", "active postcodes", "town/area",
                   "nearby districts", "postcodes")
#: Columns of a list of places (libraries, clubs, ...) rather than of a postcode table.
PLACE_COLUMNS = ("name", "title", "address", "email", "e-mail", "website", "web", "url",
                 "phone", "telephone", "description", "organisation", "organization",
                 "charity_name", "category")
LAYOUTS = ("onspd", "doogal", "codepoint", "plain")
"""Recognised postcode table layouts: the ONS Postcode Directory / NSPL (``pcds`` ...), the
doogal.co.uk exports (``Postcode, Latitude, Longitude, Easting, Northing, Grid Ref``...),
OS Code-Point Open (no header) and plain ``postcode`` + ``lat``/``lon`` tables."""
_NORTHING_COLUMNS = ("northing", "northings", "osnrth1m")


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
    sums = sums / norms[:, None]  # not /=: bincount's stubs type its (float) result as int
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
    skip_reasons : collections.Counter
        ``skipped`` by reason: ``"not a postcode"``, ``"no coordinates"``, ``"inactive"``.

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
        self.skip_reasons: Counter[str] = Counter()
        for i, text in enumerate(postcodes):
            try:
                key = _full_key(text)
            except InvalidPostcodeError:
                self.skipped += 1
                self.skip_reasons[NOT_A_POSTCODE] += 1
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
        out.skip_reasons = sum((t.skip_reasons for t in tables), Counter())
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


def postcode_layout(first_row: Sequence[str]) -> str:
    """Which of :data:`LAYOUTS` a table's first row (header) says it is.

    Raises
    ------
    ValueError
        When the row is none of them, or names columns of a list of places (``name``,
        ``address``, ``website``, ...): such a table is not a postcode table.

    Examples
    --------
    >>> postcode_layout(["pcd", "pcd2", "pcds", "dointr", "lat", "long"])
    'onspd'
    >>> postcode_layout(["Postcode", "Latitude", "Longitude", "Easting", "Northing"])
    'doogal'
    >>> postcode_layout(["postcode", "lon", "lat"])
    'plain'
    """
    row = list(first_row)
    if _looks_like_codepoint(row):
        return "codepoint"
    header = [str(h).replace("\ufeff", "").strip().lower() for h in row]
    places = [h for h in header if h in PLACE_COLUMNS]
    if places:
        msg = (f"columns {places!r} are those of a list of places, not of a postcode table: "
               "load such a file with `ingest associations` (or meetings, opportunities)")
        raise ValueError(msg)
    has_pc = _column(header, _POSTCODE_COLUMNS) is not None
    latlon = _column(header, _LAT_COLUMNS) is not None and \
        _column(header, _LON_COLUMNS) is not None
    grid = _column(header, _EASTING_COLUMNS) is not None and \
        _column(header, _NORTHING_COLUMNS) is not None
    if not has_pc or not (latlon or grid):
        msg = (f"cannot tell the layout from the first row {row[:8]!r}; expected a postcode "
               f"column ({', '.join(_POSTCODE_COLUMNS)}) with lat/long or easting/northing "
               "columns, or Code-Point Open rows (postcode, quality, eastings, northings) "
               "without a header")
        raise ValueError(msg)
    if "pcds" in header or "pcd" in header:
        return "onspd"
    if (latlon and grid) or any(h in header for h in _DOOGAL_COLUMNS):
        return "doogal"
    return "plain"


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
    reasons: Counter[str] = Counter()
    for row in rows:
        try:
            quality, e, n = int(row[1]), float(row[2]), float(row[3])
        except (IndexError, ValueError):
            reasons[NO_COORDINATES] += 1
            continue
        if quality >= _CODEPOINT_NO_COORDS or (e == 0.0 and n == 0.0):
            reasons[NO_COORDINATES] += 1
            continue
        codes.append(row[0])
        east.append(e)
        north.append(n)
    lon, lat = bng_to_lonlat(east, north)
    table = PostcodeTable(codes, lat, lon)
    table.skipped += sum(reasons.values())
    table.skip_reasons.update(reasons)
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
    reasons: Counter[str] = Counter()
    for row in rows:
        parsed = _read_row(row, columns)
        if isinstance(parsed, str):
            reasons[parsed] += 1
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
    reasons[NO_COORDINATES] += (len(unit_latlon) - len(keep)) + district_latlon.count(None)
    table.skipped += sum(reasons.values())
    table.skip_reasons.update(+reasons)
    return table


def _read_row(
    row: list[str], columns: tuple[int, int, int, int | None, int | None]
) -> tuple[bool, str, float, float] | str:
    """``(is_full, postcode or district, x, y)`` of a row, or why it is skipped."""
    i_pc, i_x, i_y, i_active, i_town = columns
    try:
        text = row[i_pc].strip()
    except IndexError:
        return NOT_A_POSTCODE
    m = _NORMAL_FULL_RE.fullmatch(text)
    if m is not None and m[1] in POSTCODE_AREAS:  # the common case, without a full parse
        is_full, key = True, text
    else:
        pc = _parse_any(text)
        if pc is None or pc.kind == "area":
            return NOT_A_POSTCODE
        is_full, key = pc.kind == "full", pc.text
    try:
        x, y = float(row[i_x]), float(row[i_y])
        inactive = i_active is not None and _is_zero(row[i_active])
        non_geo = i_town is not None and "non-geographic" in row[i_town].lower()
    except (IndexError, ValueError):
        return NO_COORDINATES
    if inactive or non_geo:
        return INACTIVE
    return is_full, key, x, y


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
