"""Demand: where people live, as population points, for coverage and site suggestion.

The default demand ships with the project: ``ingest/data/uk_demand_districts.csv``, every
populated UK postcode district at its centroid with its Census 2011 population scaled per local
authority to ONS mid-2022, so each authority totals its ONS figure and the UK 67,596,281
(built by ``scripts/build_demand.py``; method and licence in ``ingest/data/README.md``).

Finer demand a user loads (output areas, LSOA population-weighted centroids, postcodes with
counts, H3 cells) replaces the districts it falls in (:func:`finest_demand`): per postcode
district, the loaded table with the most points there stands for that district's people.

Examples
--------
>>> uk = district_demand()
>>> int(uk["population"].sum()), len(uk) > 2800
(67596281, True)
"""

from __future__ import annotations

from functools import cache
from importlib import resources
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

from geo.distance import MAX_LAT
from geo.distance import MAX_LON
from geo.index import PointIndex
from geo.postcode import parse_postcode
from geo.projection import bng_to_lonlat

if TYPE_CHECKING:
    from geo.service_area import ServiceArea

DEMAND_FILE = "uk_demand_districts.csv"
DISTRICT_SOURCE = ("UK postcode districts, Census 2011 population scaled per local authority "
                   "to ONS mid-2022 (OGL v3)")
"""How the default demand is described in answers (``population_source``)."""
DEMAND_COLUMNS = ("name", "lat", "lon", "population")


class DemandFileError(ValueError):
    """A demand table that cannot be read: says which rows and why.

    Attributes
    ----------
    status : int
        The HTTP status a web layer answers with.
    code : str
        A stable machine-readable code.
    """

    status = 400
    code = "bad_demand_file"


@cache
def _districts() -> pd.DataFrame:
    ref = resources.files("ingest").joinpath("data", DEMAND_FILE)
    with ref.open("r", encoding="utf-8") as fh:
        frame = pd.read_csv(fh, dtype={"district": str}, keep_default_na=False,
                            na_values={"lat": [""], "lon": [""]})
    frame["population"] = frame["population"].astype(np.int64)
    return frame


def district_demand(area: ServiceArea | None = None) -> pd.DataFrame:
    """The shipped demand: UK postcode districts with mid-2022 populations.

    Parameters
    ----------
    area
        Keep only the points inside this service area (``None``: the whole UK).

    Returns
    -------
    pandas.DataFrame
        ``name`` (``"M14 Fallowfield"``), ``lat``, ``lon``, ``population``, ``district``,
        ``place`` (the town its people live in: post town, or London borough), ``la_code``,
        ``la_name``; a copy, largest first.
    """
    return _in_area(area).copy()


@cache
def _in_area(area: ServiceArea | None) -> pd.DataFrame:
    frame = _districts()
    if area is not None:
        inside = [area.contains(a, b) for a, b in zip(frame["lat"], frame["lon"], strict=True)]
        frame = frame.loc[inside]
    frame = frame.sort_values(["population", "name"], ascending=[False, True], kind="stable")
    return frame.reset_index(drop=True)


# -- user tables -----------------------------------------------------------------------------

_LAT = ("lat", "latitude", "y_lat")
_LON = ("lon", "lng", "long", "longitude")
_EAST = ("x", "easting", "east", "bng_x")
_NORTH = ("y", "northing", "north", "bng_y")
_POP = ("population", "pop", "people", "count", "usual_residents", "weight")
_NAME = ("name", "area_name", "lsoa21nm", "lsoa11nm", "msoa21nm", "postcode", "oa21cd",
         "lsoa21cd", "cell", "h3", "code", "id")
_POSTCODE = ("postcode", "pcds", "pcd")
_H3 = ("h3", "cell", "h3_cell", "hex")


def _column(frame: pd.DataFrame, options: tuple[str, ...]) -> str | None:
    lower = {str(c).strip().lower(): c for c in frame.columns}
    for option in options:
        if option in lower:
            return str(lower[option])
    return None


def _h3_centres(cells: pd.Series) -> tuple[np.ndarray, np.ndarray]:
    import h3  # noqa: PLC0415 - only H3 tables need it

    lat = np.full(len(cells), np.nan)
    lon = np.full(len(cells), np.nan)
    for i, cell in enumerate(cells.astype(str)):
        try:
            lat[i], lon[i] = h3.cell_to_latlng(cell.strip())
        except (ValueError, TypeError):  # h3 raises its own ValueError subclasses
            continue
    return lat, lon


def demand_from_frame(frame: pd.DataFrame, *, area: ServiceArea | None = None) -> pd.DataFrame:
    """Demand points from a table a user loads.

    Columns (any case): a ``population`` (or ``pop``, ``people``, ``count``, ``weight``), a
    position as ``lat``/``lon`` (WGS84), ``x``/``y`` (``easting``/``northing``, British
    National Grid metres) or an H3 cell (``h3``/``cell``), and optionally a ``name`` (or an
    area code or postcode). A ``postcode`` column also fixes each point's postcode district.

    Parameters
    ----------
    frame
        The table.
    area
        Drop rows outside this service area.

    Returns
    -------
    pandas.DataFrame
        ``name``, ``lat``, ``lon``, ``population`` and ``district`` (the postcode district
        from a ``postcode`` column, else empty), largest first.

    Raises
    ------
    DemandFileError
        When a column is missing or values are not numbers, naming the first bad rows.

    Examples
    --------
    >>> import pandas as pd
    >>> rows = pd.DataFrame({"LSOA21CD": ["E01"], "x": [384200.0], "y": [398200.0],
    ...                      "population": [1500]})
    >>> demand_from_frame(rows)[["name", "population"]].to_dict("records")
    [{'name': 'E01', 'population': 1500}]
    """
    problems = []
    pop_col = _column(frame, _POP)
    if pop_col is None:
        problems.append(f"a population column (one of {', '.join(_POP)})")
    lat_col, lon_col = _column(frame, _LAT), _column(frame, _LON)
    east_col, north_col = _column(frame, _EAST), _column(frame, _NORTH)
    h3_col = _column(frame, _H3)
    if (lat_col is None or lon_col is None) and (east_col is None or north_col is None) \
            and h3_col is None:
        problems.append("a position: lat and lon (WGS84), x and y / easting and northing "
                        "(British National Grid) or an H3 cell column")
    if problems:
        msg = (f"demand table with columns {list(map(str, frame.columns))!r} lacks "
               f"{' and '.join(problems)}")
        raise DemandFileError(msg)
    population = pd.to_numeric(frame[pop_col], errors="coerce").to_numpy(np.float64)
    if lat_col is not None and lon_col is not None:
        lat = pd.to_numeric(frame[lat_col], errors="coerce").to_numpy(dtype=np.float64)
        lon = pd.to_numeric(frame[lon_col], errors="coerce").to_numpy(dtype=np.float64)
    elif east_col is not None and north_col is not None:
        east = pd.to_numeric(frame[east_col], errors="coerce").to_numpy(dtype=np.float64)
        north = pd.to_numeric(frame[north_col], errors="coerce").to_numpy(dtype=np.float64)
        lon, lat = bng_to_lonlat(east, north)
    else:
        lat, lon = _h3_centres(frame[h3_col])
    bad = (~np.isfinite(lat) | ~np.isfinite(lon) | ~np.isfinite(population)
           | (np.abs(lat) > MAX_LAT) | (np.abs(lon) > MAX_LON) | (population < 0))
    if bad.any():
        rows = (np.flatnonzero(bad) + 2)[:5].tolist()  # +2: header line, 1-based
        msg = (f"demand table: {int(bad.sum())} rows have a position or population that is "
               f"not valid (first data rows: {rows}); positions must be degrees, British "
               f"National Grid metres or H3 cells, populations numbers >= 0")
        raise DemandFileError(msg)
    name_col = _column(frame, _NAME)
    names = (frame[name_col].astype(str).to_numpy() if name_col is not None
             else np.array([f"area {i + 1}" for i in range(len(frame))]))
    pc_col = _column(frame, _POSTCODE)
    districts = [""] * len(frame)
    if pc_col is not None:
        for i, text in enumerate(frame[pc_col].astype(str)):
            pc = parse_postcode(text)
            districts[i] = (pc.district or "") if pc is not None else ""
    out = pd.DataFrame({"name": names, "lat": lat, "lon": lon,
                        "population": np.round(population).astype(np.int64),
                        "district": districts})
    if area is not None:
        out = out[[area.contains(a, b) for a, b in zip(out["lat"], out["lon"], strict=True)]]
    out = out.sort_values(["population", "name"], ascending=[False, True], kind="stable")
    return out.reset_index(drop=True)


def read_demand_file(path: str | Path, *, area: ServiceArea | None = None) -> pd.DataFrame:
    """:func:`demand_from_frame` of a CSV file (``.csv`` or ``.csv.gz``).

    Raises
    ------
    DemandFileError
        When the file cannot be read or its rows are bad.
    """
    path = Path(path)
    try:
        frame = pd.read_csv(path, dtype=str, keep_default_na=False)
    except (OSError, ValueError, UnicodeDecodeError) as exc:
        msg = f"cannot read {path.name} as CSV: {exc}"
        raise DemandFileError(msg) from None
    return demand_from_frame(frame, area=area)


LOADED_FOLDER = "demand"
"""Sub-folder of ``COMMONGROUND_DATA_DIR`` that holds the demand tables a user loaded."""
LOADED_COLUMNS = ("name", "lat", "lon", "population", "district")


def _slug(name: str) -> str:
    keep = "".join(c if c.isalnum() or c in "-_" else "-" for c in name.lower())
    return keep.strip("-")[:60] or "demand"


def save_demand(frame: pd.DataFrame, data_dir: str | Path, *, name: str) -> Path:
    """Keep a loaded demand table (from :func:`demand_from_frame`) for coverage to use.

    Written as ``<data_dir>/demand/<name>.csv`` (replacing a table of the same name).
    """
    folder = Path(data_dir) / LOADED_FOLDER
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / f"{_slug(name)}.csv"
    out = frame.copy()
    if "district" not in out.columns:
        out["district"] = ""
    tmp = path.with_suffix(".tmp")
    out[list(LOADED_COLUMNS)].to_csv(tmp, index=False)
    tmp.replace(path)  # readers never see half a file
    return path


def loaded_fingerprint(data_dir: str | Path | None) -> tuple[tuple[str, int, int], ...]:
    """Names, sizes and modification times of the loaded tables (a cache key)."""
    if data_dir is None:
        return ()
    folder = Path(data_dir) / LOADED_FOLDER
    if not folder.is_dir():
        return ()
    return tuple((p.name, p.stat().st_size, p.stat().st_mtime_ns)
                 for p in sorted(folder.glob("*.csv")))


def loaded_tables(data_dir: str | Path | None) -> list[tuple[str, pd.DataFrame]]:
    """The loaded demand tables, by name."""
    out = []
    for name, _size, _mtime in loaded_fingerprint(data_dir):
        path = Path(data_dir) / LOADED_FOLDER / name  # type: ignore[arg-type]
        frame = pd.read_csv(path, dtype={"district": str, "name": str},
                            keep_default_na=False, na_values={"lat": [""], "lon": [""]})
        out.append((path.stem, frame))
    return out


def demand_in_use(
    area: ServiceArea | None = None, data_dir: str | Path | None = None,
) -> tuple[pd.DataFrame, str]:
    """The demand coverage uses, and its description: districts, finer where loaded.

    Returns
    -------
    tuple
        The frame (:func:`finest_demand`) and a ``population_source`` text.
    """
    base = district_demand(area)
    tables = loaded_tables(data_dir)
    if not tables:
        return base, DISTRICT_SOURCE
    loaded = []
    for _name, frame in tables:
        inside = (frame if area is None else
                  frame.loc[[area.contains(a, b) for a, b in
                             zip(frame["lat"], frame["lon"], strict=True)]])
        loaded.append(inside)
    used = finest_demand(base, loaded)
    names = ", ".join(n for n, _ in tables)
    return used, f"{DISTRICT_SOURCE}; finer where loaded ({names})"


def finest_demand(
    base: pd.DataFrame, loaded: list[pd.DataFrame],
) -> pd.DataFrame:
    """The demand in use: per postcode district, the finest table loaded there.

    Each point of a loaded table belongs to a postcode district: the one of its ``district``
    column when the table had postcodes, else the nearest district point of ``base``. In
    each district the loaded table with the most points there replaces the district's own
    point (and the other tables' points), so no people are counted twice; districts without
    loaded points keep ``base``. Points with no people are ignored. A table stands for the
    whole of each district it has points in: load tables that cover whole districts (a
    table cut at a boundary takes the district's people outside the cut with it).

    Parameters
    ----------
    base
        :func:`district_demand` (``district`` column).
    loaded
        Tables from :func:`demand_from_frame`, each with ``name``, ``lat``, ``lon``,
        ``population`` and optionally ``district``.

    Returns
    -------
    pandas.DataFrame
        ``name``, ``lat``, ``lon``, ``population``, ``district``, ``place``, ``source``
        (``"districts"`` or the loaded table's index), largest first.
    """
    base = base.copy()
    base["source"] = "districts"
    if not loaded or base.empty:
        return base
    index = PointIndex(np.arange(len(base)), base["lat"], base["lon"])
    place_of = dict(zip(base["district"], base["place"], strict=True))
    counts: dict[str, tuple[int, int]] = {}  # district -> (points, table)
    tagged = []
    for t, table in enumerate(loaded):
        frame = table.loc[table["population"] > 0].copy()  # an empty point stands for nobody
        _, row = index.nearest_many(frame["lat"], frame["lon"])
        nearest = base["district"].to_numpy()[row] if len(frame) else np.array([], dtype=str)
        given = frame["district"].astype(str).to_numpy() if "district" in frame else None
        district = (np.where(np.isin(given, base["district"]), given, nearest)
                    if given is not None else nearest)
        frame["district"] = district
        frame["source"] = f"loaded {t + 1}"
        frame["name"] = frame["name"].astype(str)
        for d, n in frame.groupby("district").size().items():
            if n > counts.get(str(d), (0, -1))[0]:
                counts[str(d)] = (int(n), t)
        tagged.append(frame)
    keep_base = ~base["district"].isin(list(counts))
    parts = [base.loc[keep_base]]
    for t, frame in enumerate(tagged):
        mine = [d for d, (_, best) in counts.items() if best == t]
        part = frame.loc[frame["district"].isin(mine)].copy()
        part["place"] = part["district"].map(place_of).fillna(part["name"])
        parts.append(part)
    out = pd.concat(parts, ignore_index=True)
    out = out.sort_values(["population", "name"], ascending=[False, True], kind="stable")
    return out.reset_index(drop=True)


def share_out(points: pd.DataFrame, totals: pd.DataFrame) -> pd.DataFrame:
    """Give each point its district's population, shared equally (largest remainders).

    Used to turn a postcode list (no counts) into demand: ``points`` with ``district``,
    ``totals`` with ``district`` and ``population``.
    """
    pop = dict(zip(totals["district"], totals["population"], strict=True))
    out = points.copy()
    out["population"] = 0
    for d, rows in out.groupby("district").groups.items():
        total = int(pop.get(str(d), 0))
        n = len(rows)
        if n == 0 or total == 0:
            continue
        each = np.full(n, total // n, dtype=np.int64)
        each[: total - int(each.sum())] += 1
        out.loc[rows, "population"] = each
    return out


__all__ = [
    "DISTRICT_SOURCE",
    "LOADED_FOLDER",
    "DemandFileError",
    "demand_from_frame",
    "demand_in_use",
    "district_demand",
    "finest_demand",
    "loaded_fingerprint",
    "loaded_tables",
    "read_demand_file",
    "save_demand",
    "share_out",
]
