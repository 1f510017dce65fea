"""Bad inputs, each with its documented outcome: a clear reason, no traceback, no valid row lost.

Outcomes (see ``ingest/readers/tabular.py`` and ``ingest/validate.py``):

==========================  ======================================================
input                       outcome
==========================  ======================================================
empty file                  IngestError "... is empty"; nothing written
header only                 0 rows, a warning; nothing written
wrong delimiter             the header names no known column: IngestError naming it
binary junk                 IngestError "not a text file"; nothing written
50 MB file                  read and loaded; every row accounted for
latitude/longitude swapped  row rejected, field "lat,lon", "look swapped"
coordinates in France       row rejected, field "lat,lon", outside the service area
postcode "NOT A CODE"       row rejected, field "postcode"
duplicate slugs             later rows rejected, "duplicate id"
HTML/script in names        kept verbatim in the store (escaped on output)
unknown columns             loaded; one warning naming the ignored columns
GeoJSON polygons            centroid used; a warning says so
Shapefile in EPSG:27700     reprojected to WGS84
==========================  ======================================================
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from click.testing import CliRunner

from geo.geocode import OfflineGeocoder
from geo.service_area import service_area_from_text
from ingest.pipeline import ingest_file
from ingest.records import IngestError
from service.cli import main
from store import Store
from store.reads import export_records

GB = service_area_from_text("GB")
HEADER = "id,name,category,postcode,lat,lon\n"
GOOD = "g1,Good Garden Society,allotment,,53.4808,-2.2426\n"



def run(store: Store, path: Path, geocoder: OfflineGeocoder, kind: str = "associations",
        **kw: object):
    return ingest_file(store, path, kind, area=GB, geocoder=geocoder, **kw)  # type: ignore[arg-type]


def cli(store: Store, *args: str) -> tuple[int, str]:
    result = CliRunner().invoke(main, ["--database-url", store.url, *args])
    assert "Traceback" not in result.output
    return result.exit_code, result.output


def test_empty_file(store: Store, tmp_path: Path, geocoder: OfflineGeocoder) -> None:
    path = tmp_path / "empty.csv"
    path.write_text("")
    with pytest.raises(IngestError, match="empty"):
        run(store, path, geocoder)
    code, out = cli(store, "ingest", "associations", str(path))
    assert code == 1
    assert "empty" in out
    assert store.counts()["associations"] == 0


def test_header_only(store: Store, tmp_path: Path, geocoder: OfflineGeocoder) -> None:
    path = tmp_path / "header.csv"
    path.write_text(HEADER)
    report = run(store, path, geocoder)
    assert report.total == 0
    assert report.warnings
    assert store.counts()["associations"] == 0


def test_wrong_delimiter(store: Store, tmp_path: Path, geocoder: OfflineGeocoder) -> None:
    path = tmp_path / "pipes.csv"
    path.write_text(HEADER.replace(",", "|") + GOOD.replace(",", "|"))
    with pytest.raises(IngestError, match="column"):
        run(store, path, geocoder)


def test_binary_junk(store: Store, tmp_path: Path, geocoder: OfflineGeocoder) -> None:
    path = tmp_path / "junk.csv"
    path.write_bytes(b"\x00\x01\x02PK\x03\x04" + bytes(range(256)) * 64)
    with pytest.raises(IngestError):
        run(store, path, geocoder)
    code, out = cli(store, "ingest", "associations", str(path))
    assert code == 1
    assert out.startswith("Error:")


@pytest.mark.slow
def test_fifty_megabyte_file(sqlite_store: Store, tmp_path: Path,
                             geocoder: OfflineGeocoder) -> None:
    path = tmp_path / "big.csv"
    desc = "x" * 450
    with path.open("w") as fh:
        fh.write("id,name,category,description,lat,lon\n")
        i = 0
        while fh.tell() < 50 * 1024 * 1024:
            fh.write(f"b{i},Big Club {i},sports_club,{desc},"
                     f"{52 + (i % 1000) / 1000:.4f},{-2 + (i // 1000) / 1000:.4f}\n")
            i += 1
    report = run(sqlite_store, path, geocoder, dry_run=True)
    assert report.total == i
    assert report.inserted == i
    assert report.rejected == []


def test_swapped_coordinates(store: Store, tmp_path: Path, geocoder: OfflineGeocoder) -> None:
    path = tmp_path / "swapped.csv"
    path.write_text(HEADER + GOOD + "s1,Swapped Club,sports_club,,-2.2426,53.4808\n")
    report = run(store, path, geocoder)
    assert report.inserted == 1  # the valid row is not lost
    (problem,) = report.rejected
    assert (problem["row"], problem["field"]) == (3, "lat,lon")
    assert "swapped" in problem["reason"]


def test_coordinates_in_france(store: Store, tmp_path: Path, geocoder: OfflineGeocoder) -> None:
    path = tmp_path / "france.csv"
    path.write_text(HEADER + GOOD + "f1,Club de Paris,sports_club,,48.8566,2.3522\n")
    report = run(store, path, geocoder)
    assert report.inserted == 1
    (problem,) = report.rejected
    assert problem["field"] == "lat,lon"
    assert "outside" in problem["reason"]


def test_postcode_not_a_code(store: Store, tmp_path: Path, geocoder: OfflineGeocoder) -> None:
    path = tmp_path / "pc.csv"
    path.write_text(HEADER + GOOD + "p1,Bad Postcode Trust,charity,NOT A CODE,53.5,-2.3\n")
    report = run(store, path, geocoder)
    # The row has coordinates: its bad postcode is left out, with a warning (issue 10, pt 2)
    assert report.inserted == 2
    assert report.rejected == []
    assert any(w.startswith("row 3: postcode left out: Postcode “NOT A CODE”")
               and "is not a UK postcode" in w for w in report.warnings)


def test_duplicate_slugs(store: Store, tmp_path: Path, geocoder: OfflineGeocoder) -> None:
    meeting = {"name": "Tuesday Peers", "day": 2, "time": "19:00",
               "latitude": 53.48, "longitude": -2.24}
    feed = [{**meeting, "slug": "tue"}, {**meeting, "slug": "tue", "name": "Copy"},
            {**meeting, "slug": "wed", "day": 3}]
    path = tmp_path / "feed.json"
    path.write_text(json.dumps(feed))
    report = run(store, path, geocoder, kind="meetings")
    assert report.inserted == 2
    assert [r["row"] for r in report.rejected] == [2]
    assert "duplicate" in report.rejected[0]["reason"]


def test_html_and_script_kept_verbatim(store: Store, tmp_path: Path,
                                       geocoder: OfflineGeocoder) -> None:
    path = tmp_path / "xss.csv"
    name = "<script>alert(1)</script> & <b>Friends</b>"
    path.write_text(HEADER + f'x1,"{name}",charity,,53.48,-2.24\n')
    report = run(store, path, geocoder)
    assert report.inserted == 1
    assert export_records(store, "associations")[0]["name"] == name


def test_unknown_columns(store: Store, tmp_path: Path, geocoder: OfflineGeocoder) -> None:
    path = tmp_path / "extra.csv"
    path.write_text("id,name,favourite_colour,lat,lon\nu1,Colour Club,blue,53.48,-2.24\n")
    report = run(store, path, geocoder)
    assert report.inserted == 1
    assert any("favourite_colour" in w for w in report.warnings)


def test_geojson_polygons_use_centroid(store: Store, tmp_path: Path,
                                       geocoder: OfflineGeocoder) -> None:
    square = [[-2.25, 53.47], [-2.23, 53.47], [-2.23, 53.49], [-2.25, 53.49], [-2.25, 53.47]]
    fc = {"type": "FeatureCollection", "features": [
        {"type": "Feature", "properties": {"id": "p1", "name": "Park Friends"},
         "geometry": {"type": "Polygon", "coordinates": [square]}},
        {"type": "Feature", "properties": {"id": "p2", "name": "Point Club"},
         "geometry": {"type": "Point", "coordinates": [-2.3, 53.5]}},
    ]}
    path = tmp_path / "areas.geojson"
    path.write_text(json.dumps(fc))
    report = run(store, path, geocoder)
    assert report.inserted == 2
    assert any("centroid" in w for w in report.warnings)
    stored = {r["source_id"]: r for r in export_records(store, "associations")}
    assert stored["p1"]["lat"] == pytest.approx(53.48, abs=1e-3)
    assert stored["p1"]["lon"] == pytest.approx(-2.24, abs=1e-3)


def test_shapefile_in_british_national_grid(store: Store, tmp_path: Path,
                                            geocoder: OfflineGeocoder) -> None:
    import geopandas as gpd
    from shapely.geometry import Point

    frame = gpd.GeoDataFrame(
        {"id": ["bng1"], "name": ["Grid Club"]},
        geometry=[Point(383997.4, 398258.3)], crs="EPSG:27700",
    )
    path = tmp_path / "clubs.shp"
    frame.to_file(path)
    report = run(store, path, geocoder)
    assert report.inserted == 1
    stored = export_records(store, "associations")[0]
    assert stored["lat"] == pytest.approx(53.4808, abs=1e-3)
    assert stored["lon"] == pytest.approx(-2.2426, abs=1e-3)
