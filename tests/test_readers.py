"""Readers: every format from fixtures written here, and the real files in ../shared/data."""

from __future__ import annotations

import datetime as dt
import json
import warnings
import zipfile
from pathlib import Path
from typing import Any

import geopandas as gpd
import pytest
from openpyxl import Workbook
from shapely.geometry import Point
from shapely.geometry import Polygon

from ingest.meeting_feed import feed_entries
from ingest.readers import FORMATS
from ingest.readers import detect_format
from ingest.readers import read_file
from ingest.records import FIELDS
from ingest.records import IngestError
from ingest.records import ReadResult

MANCHESTER_BNG = (383997.4, 398258.3)
MANCHESTER_LATLON = (53.4808, -2.2426)


def write(path: Path, text: str, encoding: str = "utf-8") -> Path:
    path.write_bytes(text.encode(encoding))
    return path


def write_json(path: Path, doc: Any) -> Path:
    path.write_text(json.dumps(doc), encoding="utf-8")
    return path


def canonical_only(result: ReadResult, kind: str) -> None:
    for record in result.records:
        assert set(record.data) <= set(FIELDS[kind]), record.data


# --- CSV and XLSX ---------------------------------------------------------------------------

def test_csv_with_bom_maps_aliases_and_numbers_rows(tmp_path: Path) -> None:
    path = write(tmp_path / "clubs.csv",
                 "\ufeffName,Post_Code,Latitude,Longitude,Web,Registered Charity Number,Colour\n"
                 "Sale Rowing Club,M33 7AB,53.42,-2.32,https://example.org,1234567,blue\n"
                 "\n"
                 "Urmston Bowls,NA,N/A,,NA,7654321,green\n")
    result = read_file(path, "associations")
    assert result.format == "csv"
    assert [r.row for r in result.records] == [2, 4]  # header is row 1, blank row 3 skipped
    first, second = (r.data for r in result.records)
    assert first == {"name": "Sale Rowing Club", "postcode": "M33 7AB", "lat": "53.42",
                     "lon": "-2.32", "website": "https://example.org", "charity_number": "1234567",
                     "source_id": "1234567"}
    assert second["postcode"] is None
    assert second["lat"] is None
    assert second["lon"] is None
    assert second["website"] is None
    assert result.warnings == ["unknown columns ignored: ['Colour']"]
    canonical_only(result, "associations")


def test_cp1252_csv_is_read_with_a_warning(tmp_path: Path) -> None:
    path = write(tmp_path / "cafes.csv", "name,postcode\nCafé Allotments,M32 0TH\n", "cp1252")
    result = read_file(path, "associations")
    assert result.records[0].data["name"] == "Café Allotments"
    assert any("cp1252" in w for w in result.warnings)


@pytest.mark.parametrize("delimiter", [";", "\t"])
def test_semicolon_and_tab_delimiters_are_sniffed(tmp_path: Path, delimiter: str) -> None:
    lines = ["title;association_id;days;start;end;tags", "Towpath tidy;crt-1;Sat;10:00;13:00;"
             "outdoors, waterways"]
    path = write(tmp_path / "needs.csv", "\n".join(x.replace(";", delimiter) for x in lines))
    data = read_file(path, "opportunities").records[0].data
    assert data == {"title": "Towpath tidy", "association": "crt-1", "weekdays": "Sat",
                    "start_time": "10:00", "end_time": "13:00",
                    "interests": "outdoors, waterways"}


def test_xlsx_first_sheet_with_typed_cells(tmp_path: Path) -> None:
    book = Workbook()
    sheet = book.active
    sheet.title = "Needs"
    sheet.append(["Title", "Organisation ID", "Day", "Start Time", "Start Date", "Capacity"])
    sheet.append(["Garden helper", "g-1", "Monday", dt.time(9, 30), dt.date(2026, 3, 1), 4])
    sheet.append([None, None, None, None, None, None])
    sheet.append(["Café shift", "c-2", "Tue", "14:00", None, "NA"])
    book.create_sheet("Notes").append(["ignore me"])
    book.save(tmp_path / "needs.xlsx")
    result = read_file(tmp_path / "needs.xlsx", "opportunities")
    assert detect_format(tmp_path / "needs.xlsx") == "xlsx"
    assert [r.row for r in result.records] == [2, 4]
    assert result.records[0].data == {"title": "Garden helper", "association": "g-1",
                                      "weekdays": "Monday", "start_time": "09:30",
                                      "starts_on": "2026-03-01", "capacity": 4}
    assert result.records[1].data["capacity"] is None
    assert any("'Notes'" in w for w in result.warnings)


def test_id_column_overrides_the_aliases(tmp_path: Path) -> None:
    path = write(tmp_path / "a.csv", "id,Club Code,name\n1,SALE-RC,Sale Rowing\n")
    assert read_file(path, "associations", id_column="club code").records[0].data[
        "source_id"] == "SALE-RC"
    with pytest.raises(IngestError, match="id_column 'nope' is not a column"):
        read_file(path, "associations", id_column="nope")


def test_british_national_grid_columns_become_lat_lon(tmp_path: Path) -> None:
    e, n = MANCHESTER_BNG
    path = write(tmp_path / "bng.csv", f"name,easting,northing\nTown Hall,{e},{n}\nBad,x,y\n")
    good, bad = read_file(path, "associations").records
    assert good.data["lat"] == pytest.approx(MANCHESTER_LATLON[0], abs=1e-3)
    assert good.data["lon"] == pytest.approx(MANCHESTER_LATLON[1], abs=1e-3)
    assert "British National Grid" in good.warnings[0]
    assert "lat" not in bad.data
    assert "not numbers" in bad.warnings[0]


def test_awkward_rows_are_reported_not_raised(tmp_path: Path) -> None:
    huge = "x" * 200_000
    path = write(tmp_path / "a.csv", f'name,postcode\nOne,M1 1AA,extra\n"{huge}",M1\nThree,M3\n')
    result = read_file(path, "associations")
    assert [r.data["name"] for r in result.records] == ["One", "Three"]
    assert "extra cells ignored" in result.records[0].warnings[0]
    assert result.errors[0]["row"] == 3
    assert "field limit" in result.errors[0]["reason"]


def test_empty_header_only_and_binary_files(tmp_path: Path) -> None:
    for text in ("", "\n\n  \n", "\ufeff"):
        with pytest.raises(IngestError, match="is empty"):
            read_file(write(tmp_path / "empty.csv", text), "associations")
    result = read_file(write(tmp_path / "head.csv", "name,postcode\n"), "associations")
    assert result.records == []
    assert "no data rows" in result.warnings[-1]
    junk = tmp_path / "junk.csv"
    junk.write_bytes(bytes(range(256)) * 40)
    with pytest.raises(IngestError, match=r"'junk\.csv' is not a text table"):
        read_file(junk, "associations")
    with pytest.raises(IngestError, match="no column is known for associations"):
        read_file(write(tmp_path / "data.csv", "1,2,3\n4,5,6\n"), "associations")
    with pytest.raises(IngestError, match=r"not a readable \.xlsx workbook"):
        read_file(write(tmp_path / "fake.xlsx", "name\nx\n"), "associations")


def test_large_csv_reads_every_row(tmp_path: Path) -> None:
    """Every row of a large file, numbered as in the file (its speed: bench/ingest.py)."""
    path = tmp_path / "big.csv"
    row = '{i},"Club {i}",Football,"{i} High Street, Sale",M33 7AB,53.4,-2.3,"About us {i}"\n'
    with path.open("w", encoding="utf-8") as handle:
        handle.write("id,name,category,address,postcode,lat,lon,description\n")
        handle.writelines(row.format(i=i) for i in range(100_000))
    result = read_file(path, "associations")
    assert len(result.records) == 100_000
    assert result.records[-1].row == 100_001
    assert result.records[-1].data["name"] == "Club 99999"
    assert result.errors == []


# --- GeoJSON, GeoPackage, Shapefile ---------------------------------------------------------

def test_geojson_points_polygon_and_bad_features(tmp_path: Path) -> None:
    square = [[-2.30, 53.40], [-2.28, 53.40], [-2.28, 53.42], [-2.30, 53.42], [-2.30, 53.40]]
    doc = {"type": "FeatureCollection", "features": [
        {"type": "Feature", "id": "a1", "properties": {"Name": "Lock 92 Trust", "Type": "canal"},
         "geometry": {"type": "Point", "coordinates": [-2.2426, 53.4808]}},
        {"type": "Feature", "properties": {"name": "Allotments", "ref": "p-2"},
         "geometry": {"type": "Polygon", "coordinates": [square]}},
        {"type": "Feature", "properties": {"name": "No place", "lat": "53.1", "lon": "-2.1"},
         "geometry": None},
        {"type": "Feature", "properties": {"name": "Broken"},
         "geometry": {"type": "Polygon", "coordinates": "nonsense"}},
        "not a feature",
    ]}
    path = write_json(tmp_path / "places.geojson", doc)
    assert detect_format(path) == "geojson"
    result = read_file(path, "associations")
    point, polygon, nowhere = result.records
    assert point.row == 1
    assert point.data["source_id"] == "a1"
    assert point.data["category"] == "canal"
    assert (point.data["lat"], point.data["lon"]) == (53.4808, -2.2426)
    assert polygon.data["lat"] == pytest.approx(53.41, abs=1e-4)
    assert polygon.data["lon"] == pytest.approx(-2.29, abs=1e-4)
    assert polygon.warnings == ["geometry was Polygon: centroid used"]
    assert (nowhere.data["lat"], nowhere.data["lon"]) == ("53.1", "-2.1")
    assert [(e["row"], e["field"]) for e in result.errors] == [(4, "geometry"), (5, None)]


def test_geojson_crs_member_is_reprojected(tmp_path: Path) -> None:
    doc = {"type": "FeatureCollection",
           "crs": {"type": "name", "properties": {"name": "urn:ogc:def:crs:EPSG::27700"}},
           "features": [{"type": "Feature", "properties": {"name": "Town Hall"},
                         "geometry": {"type": "Point", "coordinates": list(MANCHESTER_BNG)}}]}
    data = read_file(write_json(tmp_path / "bng.json", doc), "associations").records[0].data
    assert (data["lat"], data["lon"]) == pytest.approx(MANCHESTER_LATLON, abs=1e-3)
    doc["crs"]["properties"]["name"] = "EPSG:999999"
    with pytest.raises(IngestError, match="cannot understand the coordinate reference system"):
        read_file(write_json(tmp_path / "bad.json", doc), "associations")


def _frame(crs: str) -> gpd.GeoDataFrame:
    square = Polygon([(377000, 392000), (378000, 392000), (378000, 393000), (377000, 393000)])
    frame = gpd.GeoDataFrame(
        {"name": ["Town Hall Garden", "Sale Water Park"], "category": ["garden", "waterway"],
         "contact_email": ["a@example.org", None]},
        geometry=[Point(*MANCHESTER_BNG), square], crs="EPSG:27700")
    return frame.to_crs(crs)


def test_geopackage_in_british_national_grid(tmp_path: Path) -> None:
    path = tmp_path / "places.gpkg"
    _frame("EPSG:27700").to_file(path, driver="GPKG")
    assert detect_format(path) == "gpkg"
    result = read_file(path, "associations")
    town, park = result.records
    assert (town.row, town.data["name"], town.data["contact_email"]) == (
        1, "Town Hall Garden", "a@example.org")
    assert (town.data["lat"], town.data["lon"]) == pytest.approx(MANCHESTER_LATLON, abs=1e-3)
    assert park.warnings == ["geometry was Polygon: centroid used"]
    assert park.data["contact_email"] is None
    assert park.data["lat"] == pytest.approx(53.4288, abs=1e-3)


def test_shapefile_plain_zipped_and_without_prj(tmp_path: Path) -> None:
    frame = _frame("EPSG:4326").iloc[:1]
    with warnings.catch_warnings():  # the writer warns that it cuts names to 10 characters
        warnings.simplefilter("ignore")
        frame.to_file(tmp_path / "places.shp")
    for path in (tmp_path / "places.shp", tmp_path / "places.zip"):
        if path.suffix == ".zip":
            with zipfile.ZipFile(path, "w") as archive:
                for part in tmp_path.glob("places.*"):
                    if part.suffix != ".zip":
                        archive.write(part, part.name)
        assert detect_format(path) == "shp"
        data = read_file(path, "associations").records[0].data
        assert data["contact_email"] == "a@example.org"  # field name cut to "contact_em"
        assert (data["lat"], data["lon"]) == pytest.approx(MANCHESTER_LATLON, abs=1e-3)
    (tmp_path / "places.prj").unlink()
    with pytest.raises(IngestError, match=r"no coordinate reference system \(the .prj"):
        read_file(tmp_path / "places.shp", "associations")


# --- Meeting Guide --------------------------------------------------------------------------

MEETING = {"name": "Serenity", "slug": "serenity-1", "day": 1, "time": "19:00",
           "end_time": "20:30", "location": "St Mary's Hall", "address": "1 Church St",
           "city": "Sale", "postal_code": "M33 7AB", "country": "UK", "types": ["O", "X"],
           "latitude": "53.42", "longitude": "-2.32", "group": "Sale ACT", "approximate": "no",
           "regions": ["Trafford", "Sale"], "notes": "Side door"}


def test_meeting_guide_items_map_to_canonical_fields(tmp_path: Path) -> None:
    items = [MEETING,
             {"name": "Online", "slug": 7, "day": ["Monday", "Wed"], "time": "7:00 PM",
              "types": ["ONL", "TC"], "conference_url": "https://zoom.example/j/1",
              "formatted_address": "Sale, UK", "approximate": "yes"},
             {"name": "Closed", "slug": "c", "day": 3, "time": "10:00", "types": ["TC"],
              "formatted_address": "2 Mill Lane, Sale M33 2AB"},
             {"name": "Inactive", "slug": "i", "attendance_option": "inactive", "types": None},
             ["not", "a", "meeting"]]
    path = write_json(tmp_path / "feed.json", {"meetings": items})
    assert detect_format(path) == "meeting-guide"
    result = read_file(path, "meetings")
    first, online, closed, inactive = (r.data for r in result.records)
    assert first == {
        "source_id": "serenity-1", "name": "Serenity", "weekdays": [1], "start_time": "19:00",
        "end_time": "20:30", "venue": "St Mary's Hall",
        "address": "1 Church St, Sale, M33 7AB, UK", "postcode": "M33 7AB", "lat": "53.42",
        "lon": "-2.32", "types": ["O", "X"], "accessibility": ["wheelchair"],
        "attendance": "in_person", "active": None, "conference_url": None,
        "conference_phone": None, "notes": "Side door", "location_notes": None,
        "regions": ["Trafford", "Sale"], "organisation": "Sale ACT", "group_name": "Sale ACT",
        "timezone": None, "updated_at": None, "feed_extra": None, "location_precision": "exact"}
    assert online["weekdays"] == [1, 3]
    assert online["attendance"] == "online"
    assert closed["active"] is False
    assert closed["attendance"] is None
    assert inactive["active"] is False
    assert inactive["types"] == []
    assert result.errors == [{"row": 5, "id": None, "field": None,
                              "reason": "item is list, not a meeting"}]
    canonical_only(result, "meetings")
    with pytest.raises(IngestError, match="format 'meeting-guide' holds meetings"):
        read_file(path, "associations")


FEEDS = {"sussexaa": 123, "aasepia": 2038, "edmonton": 315, "eda": 185, "atlanta": 6}


@pytest.mark.parametrize(("name", "count"), FEEDS.items())
def test_real_meeting_feeds(shared_data: Path, name: str, count: int) -> None:
    path = shared_data / "meeting-feeds" / f"{name}.json"
    assert detect_format(path) == "meeting-guide"
    result = read_file(path, "meetings")
    assert (len(result.records), result.errors) == (count, [])
    assert [r.row for r in result.records] == list(range(1, count + 1))
    assert all(r.data["name"] and r.data["source_id"] for r in result.records)
    assert all(isinstance(r.data["weekdays"], list) for r in result.records)
    canonical_only(result, "meetings")
    data = [r.data for r in result.records]
    if name == "aasepia":
        assert all(isinstance(d["lat"], str) and isinstance(d["lon"], str) for d in data)
    if name == "edmonton":
        assert all(d["lat"] is None and d["address"] for d in data)
        assert data[0]["weekdays"] == [6]
        assert data[0]["start_time"] == "11:00 AM"
    if name == "eda":
        assert sum(1 for d in data if d["types"] == []) == 71
        assert sum(1 for d in data if d["active"] is False) == 1
    if name == "sussexaa":
        attendance = [d["attendance"] for d in data]
        assert (attendance.count("in_person"), attendance.count("online"),
                attendance.count("hybrid")) == (94, 28, 1)
    if name in ("sussexaa", "aasepia"):
        assert any("wheelchair" in d["accessibility"] for d in data)


def test_feed_entries_round_trip(tmp_path: Path) -> None:
    stored = [
        {"id": 1, "source_id": None, "name": "Hope", "weekdays": [2], "start_time": dt.time(19),
         "end_time": dt.time(20, 30), "venue": "Hall", "address": "1 Church St, Sale",
         "postcode": "M33 7AB", "lat": 53.4201234567, "lon": -2.32, "attendance": "in_person",
         "accessibility": ["wheelchair", "hearing_loop"], "active": True, "region": "Trafford",
         "organisation": "Sale ACT", "updated_at": dt.datetime(2026, 1, 2, 3, 4, 5)},
        {"id": 2, "source_id": "twice", "name": "Twice", "weekdays": [1, 4],
         "start_time": "10:00", "attendance": "hybrid", "conference_url": "https://zoom.us/j/1"},
        {"id": 3, "source_id": "twice-1", "name": "Dup slug", "weekdays": [], "active": False},
    ]
    items = feed_entries(stored, town_of=lambda lat, lon: None)
    assert [i["slug"] for i in items] == ["meeting-1", "twice-1", "twice-4", "twice-1-2"]
    assert items[0] == {"name": "Hope", "slug": "meeting-1", "day": 2, "time": "19:00",
                        "end_time": "20:30", "timezone": "Europe/London", "location": "Hall",
                        "formatted_address": "Hall, 1 Church St, Sale M33 7AB, UK",
                        "postal_code": "M33 7AB", "latitude": 53.420123, "longitude": -2.32,
                        "approximate": "no", "types": ["X"], "attendance_option": "in_person",
                        "group": "Sale ACT", "regions": ["Trafford"],
                        "updated": "2026-01-02 03:04:05"}
    assert [i["day"] for i in items[1:3]] == [1, 4]
    assert "types" not in items[1]  # ONL is no longer a spec code
    assert items[3]["attendance_option"] == "inactive"
    assert items[3]["types"] == ["TC"]
    assert "day" not in items[3]
    back = read_file(write_json(tmp_path / "feed.json", items), "meetings").records
    assert [(r.data["name"], r.data["weekdays"], r.data["start_time"]) for r in back] == [
        ("Hope", [2], "19:00"), ("Twice", [1], "10:00"), ("Twice", [4], "10:00"),
        ("Dup slug", None, None)]
    assert back[0].data["accessibility"] == ["wheelchair"]
    assert [r.data["attendance"] for r in back] == ["in_person", "hybrid", "hybrid", None]


def test_real_feed_survives_a_round_trip(shared_data: Path, tmp_path: Path) -> None:
    original = read_file(shared_data / "meeting-feeds" / "sussexaa.json", "meetings").records
    stored = [r.data | {"id": r.row} for r in original]
    path = write_json(tmp_path / "again.json", feed_entries(stored))
    again = read_file(path, "meetings").records
    keys = ("source_id", "name", "weekdays", "start_time", "end_time", "attendance")
    assert [[r.data[k] for k in keys] for r in again] == [[r.data[k] for k in keys]
                                                          for r in original]


# --- 12 Step Meeting List CSV ---------------------------------------------------------------

TSML = (
    '"Time","End Time","Day","Name","Location","Address","City","State","Postal Code",'
    '"Country","Region","Sub Region","Types","Notes","Group","Website","ID","Latitude",'
    '"Longitude"\n'
    '"6:00 PM",,"Monday","After Work","Friends Hall","2 Mill Lane","Sale","","M33 2AB","UK",'
    '"Trafford","Sale","Open, Wheelchair Access","Side door","Sale ACT",'
    '"https://x.example","aw-1","53.42","-2.32"\n'
    '"19:30","20:30","Tuesday, Thursday","Online Circle","","","","","","","","",'
    '"Online Meeting, Temporary Closure, Made Up",,,,"oc-2",,\n'
)


def test_tsml_csv(tmp_path: Path) -> None:
    path = write(tmp_path / "meetings.csv", TSML)
    assert detect_format(path) == "tsml-csv"
    result = read_file(path, "meetings")
    first, second = result.records
    assert first.row == 2
    assert first.data["source_id"] == "aw-1"
    assert first.data["weekdays"] == [1]
    assert first.data["start_time"] == "6:00 PM"
    assert first.data["types"] == ["O", "X"]
    assert first.data["accessibility"] == ["wheelchair"]
    assert first.data["address"] == "2 Mill Lane, Sale, M33 2AB, UK"
    assert (first.data["regions"], first.data["organisation"]) == (["Trafford", "Sale"], "Sale ACT")
    assert (first.data["lat"], first.data["postcode"]) == ("53.42", "M33 2AB")
    assert second.data["weekdays"] == [2, 4]
    assert second.data["types"] == ["ONL", "TC", "Made Up"]
    assert second.data["attendance"] == "online"
    assert result.warnings == ["unknown columns ignored: ['Website']"]
    canonical_only(result, "meetings")
    with pytest.raises(IngestError, match="format 'tsml-csv' holds meetings"):
        read_file(path, "associations", format="tsml-csv")


def test_meeting_like_table_of_other_kinds_is_plain_csv(tmp_path: Path) -> None:
    path = write(tmp_path / "t.csv", TSML)
    result = read_file(path, "opportunities")
    assert result.format == "csv"
    assert result.records[0].data["title"] == "After Work"


# --- HSDS / Open Referral UK ----------------------------------------------------------------

@pytest.mark.parametrize("spec", ["hsds", "oruk"])
def test_real_hsds_examples(shared_data: Path, spec: str) -> None:
    examples = shared_data / "specs" / spec / "examples"
    org_file, service_file = examples / "organization_full.json", examples / "service_full.json"
    for path in (org_file, service_file, examples / "service_at_location_list.json",
                 examples / "organization_list.json"):
        assert detect_format(path) == "hsds"
    org = read_file(org_file, "associations").records[0].data
    assert org["source_id"] == "d9d5e0f5-d3ce-4f73-9a2f-4dd0ecc6c610"
    assert (org["name"], org["website"]) == ("Example Organization Inc.", "http://example.com")
    assert (org["lat"], org["lon"]) == (100, 101)  # placeholders pass through, raw
    assert org["postcode"] == "ABC 1234"
    service = read_file(service_file, "opportunities")
    assert len(service.records) == 1
    data = service.records[0].data
    assert (data["source_id"], data["title"]) == ("ac148810-d857-441c-9679-408f346de14b",
                                                  "Community Counselling")
    assert data["association"] == "d9d5e0f5-d3ce-4f73-9a2f-4dd0ecc6c610"
    assert (data["weekdays"], data["start_time"], data["end_time"]) == (
        [4, 5], "10:00:00", "18:00:00")
    assert (data["status"], data["interests"], data["lat"]) == ("open", ["name"], 100)
    canonical_only(service, "opportunities")
    listed = read_file(examples / "service_at_location_list.json", "opportunities").records
    assert [r.data["title"] for r in listed] == ["Community Counselling"]
    folder = read_file(examples / "csv", "opportunities")
    assert folder.format == "hsds"
    assert folder.records[0].data["weekdays"] == [4, 5]
    assert folder.records[0].data["lat"] == "100"
    assert read_file(examples / "csv", "associations").records[0].data["name"] == (
        "Example Organization Inc.")


def test_hsds_synthetic_list(tmp_path: Path) -> None:
    org = {"id": "o1", "name": "Canal Friends", "website": "https://cf.example",
           "organization_identifiers": [{"identifier_scheme": "GB-CHC", "identifier": "1100"}],
           "phones": [{"number": "0161 496 0000"}],
           "locations": [{"id": "l1", "location_type": "physical", "latitude": 53.4,
                          "longitude": -2.3,
                          "addresses": [{"address_1": "Towpath", "city": "Sale",
                                         "postal_code": "M33 7AB", "address_type": "physical"}]}]}
    services = [
        {"id": "s1", "name": "Towpath tidy", "organization": org, "status": "inactive",
         "schedules": [{"byday": "SA,SU", "opens_at": "10:00", "closes_at": "13:00",
                        "freq": "MONTHLY"}],
         "attributes": [{"taxonomy_term": {"name": "Waterways"}}]},
        {"id": "s2", "name": "Boat crew", "organization_id": "o1", "status": "active"},
        "junk",
    ]
    path = write_json(tmp_path / "hsds.json", services)
    assert detect_format(path) == "hsds"
    result = read_file(path, "opportunities")
    tidy, crew = (r.data for r in result.records)
    assert tidy["weekdays"] == [6, 0]
    assert tidy["status"] == "closed"
    assert tidy["interests"] == ["Waterways"]
    assert tidy["association_name"] == "Canal Friends"
    assert "read as weekly" in result.records[0].warnings[0]
    assert crew["association"] == "o1"
    assert crew["status"] == "open"
    assert result.errors[0]["row"] == 3
    association = read_file(path, "associations").records[0].data
    assert association == {"source_id": "o1", "name": "Canal Friends", "description": None,
                           "website": "https://cf.example", "contact_email": None,
                           "contact_phone": "0161 496 0000", "charity_number": "1100",
                           "lat": 53.4, "lon": -2.3, "address": "Towpath, Sale, M33 7AB",
                           "postcode": "M33 7AB"}
    with pytest.raises(IngestError, match="format 'hsds' holds associations and opportunities"):
        read_file(path, "meetings")


# --- Volunteering Data Standard -------------------------------------------------------------

VDS = {
    "@context": "https://api.volunteeringdata.io/context/v1",
    "graph": [{
        "type": "Organisation", "id": "https://id.example/org/1", "name": "Canal Friends",
        "website": "https://cf.example", "charityNumber": "1100",
        "cause": ["https://ns.volunteeringdata.io/Environment"],
        "activity": [
            {"id": "https://id.example/act/1", "title": "Towpath days",
             "description": "Keep the towpath tidy.",
             "role": [{"title": "Litter picker",
                       "skill": ["https://ns.volunteeringdata.io/Teamwork"],
                       "commitment": "A morning a month", "numberOfPlaces": 6},
                      {"id": "https://id.example/role/9", "title": "Team lead"}],
             "session": [{"location": {"name": "Lock 92", "address": "Sale M33 7AB",
                                       "latitude": "53.42", "longitude": "-2.32"},
                          "time": ["volunteering:SaturdayMorning",
                                   "https://ns.volunteeringdata.io/SundayMorning"]}]},
            {"title": "Office help",
             "session": [{"time": {"time:hasBeginning": {"time:inDateTime": {
                 "time:dayOfWeek": "time:Tuesday", "time:hour": 14}},
                 "time:hasEnd": {"time:inDateTime": {"time:dayOfWeek": "time:Tuesday",
                                                     "time:hour": 16}}}}]},
            {"title": "Whenever you like"},
        ],
    }, {"type": "Place", "id": "x"}],
}


def test_volunteering_data_standard(tmp_path: Path) -> None:
    path = write_json(tmp_path / "needs.jsonld", VDS)
    assert detect_format(path) == "vds"
    result = read_file(path, "opportunities")
    picker, lead, office, anytime = (r.data for r in result.records)
    assert picker["source_id"] == "https://id.example/act/1"
    assert lead["source_id"] == "https://id.example/role/9"
    assert office["source_id"] == "https://id.example/org/1#activity-2"
    assert picker["title"] == "Litter picker"
    assert picker["capacity"] == 6
    assert picker["association"] == "https://id.example/org/1"
    assert picker["interests"] == ["https://ns.volunteeringdata.io/Environment",
                                   "https://ns.volunteeringdata.io/Teamwork"]
    assert (picker["weekdays"], picker["start_time"], picker["end_time"]) == (
        [6, 0], "06:00", "12:00")
    assert (picker["lat"], picker["postcode"]) == ("53.42", "M33 7AB")
    assert (office["weekdays"], office["start_time"], office["end_time"]) == (
        [2], "14:00", "16:00")
    assert anytime["flexible"] is True
    assert anytime["weekdays"] is None
    assert result.errors[0]["row"] == 2
    assert result.errors[0]["field"] == "type"
    canonical_only(result, "opportunities")
    association = read_file(path, "associations").records[0].data
    assert (association["name"], association["charity_number"]) == ("Canal Friends", "1100")


# --- Detection and refusals -----------------------------------------------------------------

def test_detect_format_refuses_the_unknown(tmp_path: Path) -> None:
    with pytest.raises(IngestError, match="--format") as info:
        detect_format(write_json(tmp_path / "x.json", {"hello": "world"}))
    assert all(fmt in str(info.value) for fmt in FORMATS)
    with pytest.raises(IngestError, match="not one this reads"):
        detect_format(write(tmp_path / "x.pdf", "%PDF-1.4"))
    with pytest.raises(IngestError, match=r"old Excel \.xls"):
        detect_format(write(tmp_path / "x.xls", "x"))
    with pytest.raises(IngestError, match="does not exist"):
        detect_format(tmp_path / "missing.csv")
    with pytest.raises(IngestError, match="is not valid JSON"):
        read_file(write(tmp_path / "bad.json", "{"), "meetings")
    with pytest.raises(IngestError, match="format 'pdf' is not one of"):
        read_file(tmp_path / "x.pdf", "meetings", format="pdf")
    with pytest.raises(IngestError, match="kind 'people' is not one of"):
        read_file(tmp_path / "x.pdf", "people")  # type: ignore[arg-type]


def test_detection_by_content_without_extension(tmp_path: Path) -> None:
    assert detect_format(write_json(tmp_path / "feed", [MEETING])) == "meeting-guide"
    book = Workbook()
    book.active.append(["name"])
    book.save(tmp_path / "book")
    assert detect_format(tmp_path / "book") == "xlsx"


# --- Trafford associations ------------------------------------------------------------------

TRAFFORD = {"charities_operating_in_trafford.csv": 736, "sports_clubs.csv": 140,
            "trafford_allotments.csv": 35, "trafford_libraries.csv": 13,
            "trafford_mental_health_services.csv": 60}


@pytest.mark.parametrize(("name", "count"), TRAFFORD.items())
def test_real_trafford_associations(shared_data: Path, name: str, count: int) -> None:
    path = shared_data / "associations-trafford" / name
    assert detect_format(path) == "csv"
    result = read_file(path, "associations")
    assert (len(result.records), result.errors) == (count, [])
    assert [r.row for r in result.records] == list(range(2, count + 2))
    assert all(r.data["name"] for r in result.records)
    canonical_only(result, "associations")
    data = [r.data for r in result.records]
    if name.startswith("charities"):
        assert sum(d["description"] is not None for d in data) == 717  # "NA" -> None
        assert all(d["source_id"] == d["charity_number"] for d in data)
        assert data[0]["contact_email"] is None
        assert data[0]["postcode"] == "SK6 1LB"
    if name == "sports_clubs.csv":
        assert sum(d["category"] == "Bowling" for d in data) == 26
        assert all(d["postcode"] and d["address"] for d in data[:10])
    if name == "trafford_allotments.csv":
        assert data[0] == {"name": "Eaton Road", "source_id": "275299908",
                           "lon": "-2.3600202903966987", "lat": "53.37195383282586"}
