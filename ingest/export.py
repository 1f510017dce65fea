"""Write stored records out: GeoJSON, CSV, GeoPackage, and Meeting Guide JSON for meetings.

Field names are the domain's (ARCHITECTURE.md), the same in every format; GeoJSON carries
every stored field, the position precision included, as properties of a Point feature.
"""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path
from typing import Any

from ingest.meeting_feed import feed_entries
from ingest.records import IngestError
from ingest.safe_csv import SafeDictWriter

EXPORT_FORMATS = ("geojson", "csv", "gpkg", "meeting-guide")


def _plain(value: Any) -> Any:
    if isinstance(value, (dt.datetime, dt.date)):
        return value.isoformat()
    if isinstance(value, dt.time):
        return value.strftime("%H:%M")
    return value


def _flat(value: Any) -> Any:
    """Lists become ``;``-separated text, mappings JSON, for formats without such columns."""
    if isinstance(value, (list, tuple)):
        return ";".join(str(v) for v in value)
    if isinstance(value, dict):
        return json.dumps(value, ensure_ascii=False, sort_keys=True)
    return _plain(value)


def to_geojson(records: list[dict[str, Any]]) -> dict[str, Any]:
    """A GeoJSON FeatureCollection with every field as a property (``id`` included)."""
    features = []
    for rec in records:
        lat, lon = rec.get("lat"), rec.get("lon")
        geometry = ({"type": "Point", "coordinates": [lon, lat]}
                    if lat is not None and lon is not None else None)
        features.append({
            "type": "Feature", "id": rec.get("id"), "geometry": geometry,
            "properties": {k: _plain(v) for k, v in rec.items()},
        })
    return {"type": "FeatureCollection", "features": features}


def write_export(records: list[dict[str, Any]], path: Path, *, fmt: str, kind: str) -> int:
    """Write ``records`` of ``kind`` to ``path`` in ``fmt``; returns how many were written.

    Raises
    ------
    IngestError
        For an unknown format, or ``meeting-guide`` for anything but meetings.
    """
    path = Path(path)
    if fmt not in EXPORT_FORMATS:
        msg = f"export format {fmt!r} is not known; choose one of {', '.join(EXPORT_FORMATS)}"
        raise IngestError(msg)
    if fmt == "meeting-guide":
        if kind != "meetings":
            msg = f"the meeting-guide format is for meetings only, not {kind!r}"
            raise IngestError(msg)
        items = feed_entries(records)
        path.write_text(json.dumps(items, indent=1, ensure_ascii=False), encoding="utf-8")
        return len(items)
    if fmt == "geojson":
        path.write_text(json.dumps(to_geojson(records), ensure_ascii=False), encoding="utf-8")
        return len(records)
    if fmt == "csv":
        fields = list(records[0]) if records else ["id"]
        with path.open("w", newline="", encoding="utf-8") as fh:
            writer = SafeDictWriter(fh, fieldnames=fields)
            writer.writeheader()
            for rec in records:
                writer.writerow({k: _flat(v) for k, v in rec.items()})
        return len(records)
    import geopandas as gpd  # noqa: PLC0415 - heavy, only for GeoPackage

    frame = gpd.GeoDataFrame(
        [{k: _flat(v) for k, v in rec.items()} for rec in records],
        geometry=gpd.points_from_xy([r.get("lon") for r in records],
                                    [r.get("lat") for r in records]),
        crs="EPSG:4326",
    )
    frame.to_file(path, layer=kind, driver="GPKG")
    return len(records)
