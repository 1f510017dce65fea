"""Exports: GeoJSON with every stored field, CSV, GeoPackage, and the Meeting Guide feed."""

from __future__ import annotations

import csv
import json
import re
from pathlib import Path

import pytest
from click.testing import CliRunner

from ingest.demo import load_demo
from ingest.export import to_geojson
from ingest.readers import read_file
from service import get_store
from service.cli import main
from store import Store
from store.reads import export_records
from store.reads import feed_meetings

MG_TIME = re.compile(r"^([01]\d|2[0-3]):[0-5]\d$")


@pytest.fixture
def demo_store(sqlite_store: Store) -> Store:
    load_demo(sqlite_store)
    return sqlite_store


def test_geojson_carries_every_stored_field(demo_store: Store) -> None:
    records = export_records(demo_store, "opportunities")
    fc = to_geojson(records)
    assert len(fc["features"]) == len(records) >= 600
    props = fc["features"][0]["properties"]
    for column in ("id", "title", "status", "interests", "skills", "location_precision",
                   "capacity", "weekdays", "source", "source_id", "association", "category"):
        assert column in props
    assert fc["features"][0]["geometry"]["coordinates"] == [props["lon"], props["lat"]]
    json.dumps(fc)  # serialisable as is


@pytest.mark.parametrize("fmt", ["geojson", "csv", "gpkg"])
def test_cli_export_formats(demo_store: Store, tmp_path: Path, fmt: str) -> None:
    out = tmp_path / f"assoc.{fmt}"
    result = CliRunner().invoke(main, ["--database-url", demo_store.url, "export",
                                       "associations", "--format", fmt, "-o", str(out)])
    assert result.exit_code == 0, result.output
    n = demo_store.counts()["associations"]
    if fmt == "geojson":
        assert len(json.loads(out.read_text())["features"]) == n
    elif fmt == "csv":
        with out.open() as fh:
            assert len(list(csv.DictReader(fh))) == n
    else:
        import geopandas as gpd

        frame = gpd.read_file(out)
        assert len(frame) == n
        assert frame.crs.to_epsg() == 4326


def test_meeting_guide_export_is_valid_and_reads_back(demo_store: Store, tmp_path: Path) -> None:
    out = tmp_path / "feed.json"
    result = CliRunner().invoke(main, ["--database-url", demo_store.url, "export", "meetings",
                                       "--format", "meeting-guide", "-o", str(out)])
    assert result.exit_code == 0, result.output
    feed = json.loads(out.read_text())
    stored = export_records(demo_store, "meetings")
    assert len(feed) == sum(len(m["weekdays"]) for m in stored)  # one entry per weekday
    slugs = [m["slug"] for m in feed]
    assert len(set(slugs)) == len(slugs)
    for item in feed:  # the spec's required fields and formats
        assert item["name"]
        assert item["day"] in range(7)
        assert MG_TIME.match(item["time"])
        assert "ONL" not in item.get("types", [])  # not a spec code: online is conference_*
        if item.get("attendance_option") in ("online", "hybrid"):
            assert item["conference_url"]
            assert item["conference_phone"]
    back = read_file(out, "meetings")
    assert [r.data["name"] for r in back.records] == [m["name"] for m in feed]


def test_meeting_guide_only_for_meetings(demo_store: Store, tmp_path: Path) -> None:
    result = CliRunner().invoke(main, ["--database-url", demo_store.url, "export",
                                       "associations", "--format", "meeting-guide",
                                       "-o", str(tmp_path / "x.json")])
    assert result.exit_code == 1
    assert "meetings only" in result.output


def test_feed_endpoint(app, client) -> None:
    load_demo(get_store(app))
    response = client.get("/api/meetings/feed.json")
    assert response.status_code == 200
    feed = response.get_json()
    public = feed_meetings(get_store(app))
    assert len(feed) == sum(len(m["weekdays"]) for m in public)
    assert response.headers["Access-Control-Allow-Origin"] == "*"
    geo = client.get("/api/meetings?limit=1000").get_json()
    assert geo["type"] == "FeatureCollection"
    assert {f["properties"]["source_id"] for f in geo["features"]} >= {
        m["source_id"] for m in public}
