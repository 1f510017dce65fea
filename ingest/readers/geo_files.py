"""GeoJSON, GeoPackage and Shapefile -> canonical records.

- Properties (attribute columns) are mapped with the same aliases as tables
  (:data:`ingest.readers.tabular.ALIASES`); a shapefile's 10-character field names also match
  the aliases cut to 10 characters (``contact_em`` is ``contact_email``). A GeoJSON feature's
  ``id`` is the ``source_id`` when no property is.
- Points give ``lat``/``lon``; polygons, lines and multi-geometries give their centroid, with
  the record warning ``"geometry was Polygon: centroid used"`` (see
  :mod:`ingest.readers._coords`). A null geometry gives no coordinates (a ``lat``/``lon``
  property is then kept).
- Coordinates are reprojected to WGS84 from the file's CRS: a GeoJSON ``"crs"`` member
  (legacy, but common in British National Grid exports), or the GeoPackage/Shapefile CRS. A
  GeoPackage or Shapefile without a CRS (a shapefile without its ``.prj``) is refused.
- A GeoPackage is read from its first layer; a ``.zip`` from its first ``.shp``.
- Row numbers are 1-based feature indexes. A feature that is not a GeoJSON Feature, or whose
  geometry cannot be read, goes to ``ReadResult.errors``.
"""

from __future__ import annotations

import datetime as dt
import warnings
import zipfile
from typing import TYPE_CHECKING
from typing import Any

import pandas
import shapely.geometry
from shapely.errors import ShapelyError

from ingest.readers._common import clean
from ingest.readers._common import load_json
from ingest.readers._common import row_error
from ingest.readers._coords import lonlat_of_geometries
from ingest.readers._coords import parse_crs
from ingest.readers.tabular import finalise_records
from ingest.readers.tabular import map_columns
from ingest.records import IngestError
from ingest.records import RawRecord
from ingest.records import ReadResult

if TYPE_CHECKING:
    from pathlib import Path

    from pyproj import CRS

    from ingest.records import Kind

_GEOMETRY_ERRORS = (ShapelyError, ValueError, TypeError, KeyError, AttributeError, IndexError)


def read_geojson(path: Path, kind: Kind, *, id_column: str | None = None) -> ReadResult:
    """Read a GeoJSON FeatureCollection (or a single Feature).

    Parameters
    ----------
    path
        The file.
    kind
        Which aliases map the properties.
    id_column
        The property that holds ``source_id``.

    Returns
    -------
    ReadResult
        One record per readable feature.

    Raises
    ------
    IngestError
        Not JSON, not GeoJSON, or a ``crs`` member that names no known CRS.
    """
    doc, features = _features(path)
    crs = parse_crs(_geojson_crs_name(doc, path), where=repr(path.name))
    kept, keys, errors = _parse_features(features)
    header = keys
    columns = map_columns(header, kind, id_column=id_column)
    lons, lats, notes = lonlat_of_geometries([k[3] for k in kept], crs)
    records = []
    for (row, fid, props, shape), lon, lat, note in zip(kept, lons, lats, notes, strict=True):
        data = {name: clean(props.get(header[i])) for name, i in columns.fields.items()}
        if data.get("source_id") is None and fid is not None:
            data["source_id"] = fid
        record = RawRecord(row, data)
        if shape is not None:
            data["lat"], data["lon"] = lat, lon
        if note:
            record.warnings.append(note)
        records.append(record)
    result = ReadResult(records, "geojson", columns.warnings(), errors)
    finalise_records(result, kind)
    if not features:
        result.warnings.append(f"{path.name!r} has no features")
    return result


def _features(path: Path) -> tuple[dict[str, Any], list[Any]]:
    doc = load_json(path)
    kind_of = doc.get("type") if isinstance(doc, dict) else None
    if kind_of == "Feature":
        return doc, [doc]
    if kind_of != "FeatureCollection":
        msg = (f"{path.name!r} is not GeoJSON: expected an object with "
               f"\"type\": \"FeatureCollection\", found type {kind_of!r}")
        raise IngestError(msg)
    features = doc.get("features")
    if not isinstance(features, list):
        msg = f"{path.name!r}: \"features\" is {type(features).__name__}, expected a list"
        raise IngestError(msg)
    return doc, features


_Feature = tuple[int, Any, dict[str, Any], Any]


def _parse_features(
    features: list[Any],
) -> tuple[list[_Feature], list[str], list[dict[str, Any]]]:
    """Readable features as (row, id, properties, shape), property names, unreadable rows."""
    errors: list[dict[str, Any]] = []
    kept: list[_Feature] = []
    keys: dict[str, None] = {}
    for row, feature in enumerate(features, start=1):
        if not isinstance(feature, dict):
            errors.append(row_error(row, f"feature is {type(feature).__name__}, not an object"))
            continue
        fid = feature.get("id")
        props = feature.get("properties") or {}
        if not isinstance(props, dict):
            errors.append(row_error(row, "\"properties\" is not an object", id=fid,
                                    field="properties"))
            continue
        geometry = feature.get("geometry")
        try:
            shape = None if geometry is None else shapely.geometry.shape(geometry)
        except _GEOMETRY_ERRORS as exc:
            errors.append(row_error(row, f"unreadable geometry: {exc}", id=fid,
                                    field="geometry"))
            continue
        keys.update(dict.fromkeys(props))
        kept.append((row, fid, props, shape))
    return kept, list(keys), errors


def _geojson_crs_name(doc: dict[str, Any], path: Path) -> Any:
    member = doc.get("crs")
    if member is None:
        return "OGC:CRS84"
    name = member.get("properties", {}).get("name") if isinstance(member, dict) else None
    if not name:
        msg = (f"{path.name!r}: the \"crs\" member {member!r} names no CRS; expected "
               "{\"type\": \"name\", \"properties\": {\"name\": \"EPSG:27700\"}} or no member")
        raise IngestError(msg)
    return name


def read_gis(
    path: Path, kind: Kind, *, fmt: str, id_column: str | None = None
) -> ReadResult:
    """Read a GeoPackage (``fmt="gpkg"``) or Shapefile (``fmt="shp"``, or a zip holding one).

    Parameters
    ----------
    path
        The ``.gpkg``, ``.shp`` or ``.zip`` file.
    kind
        Which aliases map the attribute columns.
    fmt
        ``"gpkg"`` or ``"shp"``.
    id_column
        The column that holds ``source_id``.

    Returns
    -------
    ReadResult
        One record per feature, reprojected to WGS84.

    Raises
    ------
    IngestError
        Unreadable file, no layer, or no coordinate reference system.
    """
    frame, notes = _read_frame(path, fmt)
    geometry_name = getattr(frame, "active_geometry_name", None)
    header = [str(c) for c in frame.columns if c != geometry_name]
    columns = map_columns(header, kind, id_column=id_column,
                          max_len=10 if fmt == "shp" else None)
    values = {name: [_plain(v) for v in frame[header[i]].tolist()]
              for name, i in columns.fields.items()}
    n = len(frame)
    lons: list[Any] = [None] * n
    lats: list[Any] = [None] * n
    geo_notes: list[str | None] = [None] * n
    has_shape = [False] * n
    if geometry_name is not None:
        if frame.crs is None:
            why = " (the .prj file is missing)" if fmt == "shp" else ""
            msg = (f"{path.name!r} has no coordinate reference system{why}: cannot place its "
                   "features; define the CRS (e.g. EPSG:27700 or EPSG:4326) and export again")
            raise IngestError(msg)
        crs: CRS = frame.crs
        shapes = frame.geometry.to_numpy()
        has_shape = [s is not None and not s.is_empty for s in shapes]
        lons, lats, geo_notes = lonlat_of_geometries(list(shapes), crs)
    records = []
    for i in range(n):
        data = {name: column[i] for name, column in values.items()}
        if has_shape[i]:
            data["lat"], data["lon"] = lats[i], lons[i]
        record = RawRecord(i + 1, data)
        if geo_notes[i]:
            record.warnings.append(geo_notes[i])
        records.append(record)
    result = ReadResult(records, fmt, [*notes, *columns.warnings()])
    finalise_records(result, kind)
    if not records:
        result.warnings.append(f"{path.name!r} has no features")
    return result


def _read_frame(path: Path, fmt: str) -> tuple[Any, list[str]]:
    """The first layer as a GeoDataFrame, and what GDAL had to say while reading it."""
    import geopandas  # noqa: PLC0415 - heavy import, only for GIS files
    import pyogrio  # noqa: PLC0415 - heavy import, only for GIS files

    label = "GeoPackage" if fmt == "gpkg" else "Shapefile"
    if not path.exists():
        msg = f"file {str(path)!r} does not exist"
        raise IngestError(msg)
    notes: list[str] = []
    source, layer = str(path), None
    read_errors = (pyogrio.errors.DataSourceError, pyogrio.errors.DataLayerError,
                   pyogrio.errors.FieldError, pyogrio.errors.GeometryError, OSError,
                   ValueError)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        try:
            if fmt == "shp" and path.suffix.lower() == ".zip":
                source = f"/vsizip/{path}/{_shp_in_zip(path, notes)}"
            if fmt == "gpkg":
                layers = [str(name) for name, _ in pyogrio.list_layers(path)]
                if not layers:
                    msg = f"{path.name!r} is a GeoPackage without layers: nothing to read"
                    raise IngestError(msg)
                layer = layers[0]
                if len(layers) > 1:
                    notes.append(f"read the first layer {layer!r} only; "
                                 f"other layers ignored: {layers[1:]!r}")
            frame = geopandas.read_file(source, layer=layer, engine="pyogrio")
        except read_errors as exc:
            msg = f"{path.name!r} is not a readable {label}: {exc}"
            raise IngestError(msg) from None
    notes.extend(f"{label}: {w.message}" for w in caught)
    return frame, notes


def _shp_in_zip(path: Path, notes: list[str]) -> str:
    try:
        with zipfile.ZipFile(path) as archive:
            names = [n for n in archive.namelist() if n.lower().endswith(".shp")]
    except zipfile.BadZipFile:
        msg = f"{path.name!r} is not a readable zip archive"
        raise IngestError(msg) from None
    if not names:
        msg = f"{path.name!r} holds no .shp file: expected a zipped Shapefile"
        raise IngestError(msg)
    if len(names) > 1:
        notes.append(f"read {names[0]!r} only; other shapefiles ignored: {names[1:]!r}")
    return names[0]


def _plain(value: Any) -> Any:
    """Attribute values as plain Python: NaN/NaT -> None, timestamps -> ISO text."""
    if value is None or (not isinstance(value, list | tuple | dict) and pandas.isna(value)):
        return None
    if isinstance(value, dt.datetime | dt.date):
        return value.isoformat()
    if hasattr(value, "item") and not isinstance(value, str | bytes):
        value = value.item()
    return clean(value)
